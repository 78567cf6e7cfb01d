"""Rows of dicts (corpus manifest status, evidence table) → table headers/cells, filter choices, CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant import atomicio

CORPUS_COLUMNS = ("key", "title", "authors", "year", "journal", "role", "ref_no", "status", "local",
                  "digest_notes", "doi", "pmid", "pmcid", "license")
EVIDENCE_COLUMNS = ("marker", "tissue", "change", "study_type", "species", "pain_model", "target", "frequency",
                    "first_author", "year", "title", "doi", "pmid", "note_id")
CONFLICT_COLUMNS = ("marker", "tissue_group", "change", "study", "tissue", "study_type", "doi", "pmid", "note_id")
SKIP_COLUMNS = {"files"}
CONFLICTS_ONLY = "conflicts only"
"""Choice of the Evidence tab's "Show" filter that lists only marker x tissue pairs whose direction differs."""


def cell(value: Any, *, authors: bool = False) -> str | int | float:
    """A value fit for one table cell: lists joined, dicts as compact JSON, None as ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        items = [str(cell(v)) for v in value]
        if authors and len(items) > 3:
            return f"{items[0]} et al. ({len(items)})"
        return ", ".join(items)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def columns(rows: Sequence[dict[str, Any]], preferred: Sequence[str]) -> list[str]:
    """Preferred columns that occur, in order, then any other keys in first-seen order."""
    seen: list[str] = []
    for r in rows:
        for k in r:
            if k not in seen and k not in SKIP_COLUMNS:
                seen.append(k)
    return [c for c in preferred if c in seen] + [c for c in seen if c not in preferred]


def table(rows: Sequence[dict[str, Any]], preferred: Sequence[str]) -> tuple[list[str], list[list[Any]]]:
    """Headers and cell rows for a ``gr.Dataframe``."""
    cols = columns(rows, preferred)
    return cols, [[cell(r.get(c), authors=(c == "authors")) for c in cols] for r in rows]


def distinct(rows: Sequence[dict[str, Any]], *keys: str) -> list[str]:
    """Sorted distinct values found under the first of ``keys`` each row has (list values are split)."""
    values: set[str] = set()
    for r in rows:
        for k in keys:
            if k in r and r[k] not in (None, ""):
                v = r[k]
                values.update(str(x) for x in (v if isinstance(v, list | tuple) else [v]) if x not in (None, ""))
                break
    return sorted(values, key=str.casefold)


def write_csv(rows: Sequence[dict[str, Any]], preferred: Sequence[str], path: Path) -> Path:
    """Write ``rows`` as UTF-8 CSV (temp file, then rename)."""
    cols = columns(rows, preferred)
    with atomicio.atomic_open(path, newline="", mode=0o600) as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for r in rows:
            w.writerow([cell(r.get(c)) for c in cols])
    return path
