"""The studies table: filters over study records and their flat rows (CLI, CSV, web UI, exports).

A cell keeps its sources: ``row_sources`` gives, per column, the (chunk_id, start, end) of the sentences its
values came from, so a table cell can open the sentence behind it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from assistant.errors import ConfigError
from assistant.studies.contracts import Claim, Fact, Finding, Size, StudyRecord, direction_words

COLUMNS: tuple[str, ...] = (
    "paper_id", "label", "title", "kind", "badge", "species", "strain", "sex", "condition", "n", "sizes", "control",
    "blinding", "design", "target", "frequency", "intensity", "sessions", "findings",
)
SPECIES_FILTERS = {"human": "human", "humans": "human", "patients": "human", "people": "human", "animal": "animal",
                   "animals": "animal", "rat": "rat", "rats": "rat", "mouse": "mouse", "mice": "mouse",
                   "in vitro": "cell culture", "cells": "cell culture", "cell culture": "cell culture"}


def _species_key(species: str) -> str:
    key = SPECIES_FILTERS.get(" ".join(species.casefold().split()))
    if key is None:
        raise ConfigError(f"species filter {species!r} is not understood; use one of: human, animal, rat, mouse, "
                          "in vitro")
    return key


def _matches_species(rec: StudyRecord, key: str) -> bool:
    if key == "human":
        return rec.is_human
    if key == "animal":
        return rec.is_animal
    return any(f.value == key for f in rec.species)


def filter_studies(records: Iterable[StudyRecord], *, species: str | None = None, kind: str | None = None,
                   primary: bool | None = None, text: str | None = None) -> list[StudyRecord]:
    """Records that match every filter given: species ('human', 'animal', 'rat', 'mouse', 'in vitro'), kind
    (contained match: 'trial', 'review', 'animal'), primary studies only (or secondary only), and a free text
    matched against the title and the recorded values. Sorted by label."""
    key = _species_key(species) if species else None
    kind_q = kind.casefold().strip() if kind else None
    text_q = text.casefold().strip() if text else None
    out = []
    for rec in records:
        if key is not None and not _matches_species(rec, key):
            continue
        if kind_q and kind_q not in (rec.kind_value or "").casefold():
            continue
        if primary is not None and rec.is_primary != primary:
            continue
        if text_q and text_q not in _haystack(rec):
            continue
        out.append(rec)
    return sorted(out, key=lambda r: (r.label.casefold(), r.paper_id))


def _haystack(rec: StudyRecord) -> str:
    values = [rec.title, rec.label] + [_value(v) for _, v in rec.facts()]
    return " ".join(values).casefold()


def _value(v: Fact | Size | Finding | Claim) -> str:
    if isinstance(v, Size):
        return f"{v.n} {v.role}"
    if isinstance(v, Fact):
        return v.value
    if isinstance(v, Finding):
        return finding_text(v)
    return v.text


def finding_text(f: Finding) -> str:
    """'TNF-α ↓ spinal cord' for a finding."""
    return f"{f.marker} {direction_words(f.direction)[0]}" + (f" {f.tissue}" if f.tissue else "")


def _join(facts: Iterable[Fact]) -> str:
    seen: list[str] = []
    for f in facts:
        if f.value not in seen:
            seen.append(f.value)
    return "; ".join(seen)


def study_row(rec: StudyRecord) -> dict[str, Any]:
    """One flat row of the table (strings and an int size)."""
    size = rec.size()
    st = rec.stimulation
    return {
        "paper_id": rec.paper_id, "label": rec.label, "title": rec.title, "kind": rec.kind_value or "",
        "badge": rec.badge(), "species": _join(rec.species), "strain": _join(rec.strain), "sex": _join(rec.sex),
        "condition": _join(rec.condition), "n": size.n if size else None,
        "sizes": "; ".join(f"{s.n} {s.role}" for s in rec.sizes), "control": _join(rec.control),
        "blinding": _join(rec.blinding), "design": _join(rec.design), "target": _join(st.target),
        "frequency": _join(st.frequency), "intensity": _join(st.intensity), "sessions": _join(st.sessions),
        "findings": "; ".join(dict.fromkeys(finding_text(f) for f in rec.findings)),
    }


def row_sources(rec: StudyRecord) -> dict[str, list[tuple[str, int, int]]]:
    """Per column, the sentences its values were read from: (chunk_id, start, end)."""
    out: dict[str, list[tuple[str, int, int]]] = {}
    column = {"stimulation.target": "target", "stimulation.frequency": "frequency",
              "stimulation.intensity": "intensity", "stimulation.sessions": "sessions", "sizes": "sizes"}
    for field, v in rec.facts():
        col = column.get(field, field)
        src = v.source
        spot = (src.chunk_id, src.start, src.end)
        if spot not in out.setdefault(col, []):
            out[col].append(spot)
    if "sizes" in out:
        out["n"] = out["sizes"][:1]
    return out


def studies_json(records: Iterable[StudyRecord]) -> list[dict[str, Any]]:
    """Full records (every value with its source) as JSON-ready dicts, with the row's summary fields."""
    return [{**study_row(r), "record": r.model_dump(mode="json")} for r in records]


def to_csv(records: Iterable[StudyRecord]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    for r in records:
        writer.writerow(study_row(r))
    return buf.getvalue()
