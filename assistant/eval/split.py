"""The question set split by paper: a fixed half of the papers for development, the other half held out.

A question belongs to the half of its first gold paper (the smallest paper id among its sources; an unanswerable
question, which has none, to the half of its own id). The half of a paper is read from a hash of its id, so the
split is fixed without a list to keep up to date and a new question about a known paper lands where that paper
is; ``eval/split.json`` records the papers of each half (``rtms-assistant eval split`` writes it). The salt was
chosen once, the first of ``rtms-split-0:``, ``rtms-split-1:``, … that splits the 84 questions of round 11 into
halves of about equal papers (15 of 31) and questions (39 of 84); it is never changed after.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Literal

from assistant.eval.dataset import Question

Half = Literal["dev", "held"]
HALVES: tuple[Half, ...] = ("dev", "held")


SALT = "rtms-split-14:"


def paper_half(key: str) -> Half:
    """The half of a paper id (or of a question id for a question without papers)."""
    return "dev" if hashlib.sha256((SALT + key).encode("utf-8")).digest()[0] % 2 == 0 else "held"


def split_key(q: Question) -> str:
    return min(q.sources) if q.sources else f"question:{q.id}"


def half_of(q: Question) -> Half:
    return paper_half(split_key(q))


def only(questions: Iterable[Question], half: str | None) -> list[Question]:
    """The questions of one half (all of them for None or 'all')."""
    return [q for q in questions if half in (None, "all") or half_of(q) == half]


def split_table(questions: Sequence[Question]) -> dict[str, list[str]]:
    """Each half's papers (as in the question file) and its question ids, for eval/split.json."""
    out: dict[str, list[str]] = {}
    for half in HALVES:
        mine = [q for q in questions if half_of(q) == half]
        out[f"{half}_papers"] = sorted({split_key(q) for q in mine if q.sources})
        out[f"{half}_questions"] = [q.id for q in mine]
    return out
