"""Matching a question's words against study records' values: a value the question names, a finding on a marker in
a tissue. Shared by the planner and the answers it plans."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from assistant.answer.terms import term_set
from assistant.studies.contracts import StudyRecord
from assistant.studies.vocab import COMPARTMENT


def within(value: str, asked: set[str]) -> bool:
    """Are all of ``value``'s terms among the question's terms? A word of six letters or more also meets another
    form of itself ("ischemia" in "ischemic stroke", "diabetes" in "diabetic"); names with digits or Greek letters
    meet only themselves."""
    got = term_set(value)
    return bool(got) and all(t in asked or t.isalpha() and len(t) >= 6
                             and any(a.isalpha() and a[:6] == t[:6] for a in asked) for t in got)


def together(value: str, order: list[str], slack: int = 1) -> bool:
    """Do ``value``'s terms stand together in ``order`` (a question's terms in order), at most ``slack`` other terms
    between them? "pain intensity" is not named by "post-stroke pain pts? freq, intensity?"."""
    got = term_set(value)
    if len(got) < 2:
        return True
    width = len(got) + slack
    return any(within(value, set(order[i:i + width])) for i in range(max(1, len(order) - width + 1)))


def named_values(values: Iterable[str], asked: set[str], order: list[str] | None = None) -> tuple[str, ...]:
    """The values the question names, longer ones first, without a value inside a longer one named too. With
    ``order`` (the question's terms in order) a value of several words is named only where they stand together."""
    hit = sorted({v for v in values if within(v, asked) and (order is None or together(v, order))},
                 key=lambda v: (-len(term_set(v)), v))  # ties: by name
    kept: list[str] = []
    for v in hit:
        if not any(term_set(v) < term_set(k) for k in kept):
            kept.append(v)
    return tuple(kept)


def in_tissues(tissue: str | None, asked: Iterable[str]) -> bool:
    """Is ``tissue`` one of the ``asked`` ones or part of one ("insula" of "brain", "prefrontal cortex" of
    "cortex", "serum" of "blood": the records' compartments)?"""
    if not tissue:
        return False
    have = term_set(tissue)
    return any(tissue == a or term_set(a) <= have or COMPARTMENT.get(tissue) == a for a in asked)


def matching_findings(record: StudyRecord, markers: Iterable[str], tissues: Iterable[str] = (),
                      direction: str | None = None) -> list[Any]:
    """The record's findings on one of ``markers`` (in one of ``tissues`` and in ``direction``, when given)."""
    ms, ts = set(markers), tuple(tissues)
    return [f for f in record.findings if f.marker in ms and (not ts or in_tissues(f.tissue, ts))
            and (direction is None or f.direction == direction)]
