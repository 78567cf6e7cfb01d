"""The evidence table: one row per (digest note, marker change), filterable by marker, tissue,
direction of change and study type. Built only from the notes' structured front matter."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assistant.corpus.digest import NoteFrontMatter, load_digest
from assistant.corpus.markers import canonical_marker, marker_key
from assistant.errors import CorpusError

COLUMNS: tuple[str, ...] = (
    "note_id", "first_author", "year", "title", "doi", "pmid", "study_type", "species", "pain_model",
    "target", "frequency", "marker", "tissue", "change",
)

CHANGES = ("up", "down", "unchanged")
_CHANGE_SYNONYMS = {
    "up": "up", "increase": "up", "increased": "up", "upregulated": "up", "higher": "up", "↑": "up",
    "down": "down", "decrease": "down", "decreased": "down", "downregulated": "down", "lower": "down",
    "↓": "down",
    "unchanged": "unchanged", "same": "unchanged", "no change": "unchanged", "none": "unchanged",
}

# Other spellings of the canonical tissue names used in the notes.
_TISSUE_ALIASES = {
    "drg": "dorsal root ganglion",
    "dorsal root ganglia": "dorsal root ganglion",
    "cerebrospinal fluid": "csf",
    "sciatic nerve": "peripheral nerve",
}


def normalise_change(change: str) -> str:
    """'up' | 'down' | 'unchanged' from a user's spelling ('Down', 'decreased', '↓', ...)."""
    c = _CHANGE_SYNONYMS.get(change.strip().casefold())
    if c is None:
        raise CorpusError(f"change filter {change!r} is not understood; use one of: {', '.join(CHANGES)}")
    return c


def _tissue_norm(tissue: str) -> str:
    t = " ".join(tissue.casefold().split())
    return _TISSUE_ALIASES.get(t, t)


def _tissue_matches(query: str, tissue: str) -> bool:
    """Case-insensitive containment after aliasing, so 'spinal cord' also finds 'spinal cord dorsal horn'."""
    return _tissue_norm(query) in _tissue_norm(tissue)


def _base_row(front: NoteFrontMatter) -> dict[str, Any]:
    stim = front.stimulation
    return {
        "note_id": front.id,
        "first_author": front.authors[0] if front.authors else "",
        "year": front.year,
        "title": front.title,
        "doi": front.doi or "",
        "pmid": front.pmid or "",
        "study_type": front.study_type,
        "species": front.species or "",
        "pain_model": front.pain_model or "",
        "target": (stim.target or "") if stim else "",
        "frequency": (stim.frequency or "") if stim else "",
        "marker": "",
        "tissue": "",
        "change": "",
    }


def rows_from_notes(notes: Iterable[NoteFrontMatter], marker: str | None = None, tissue: str | None = None,
                    change: str | None = None, study_type: str | None = None) -> list[dict[str, Any]]:
    """Filter and flatten already-loaded notes (see :func:`evidence_table` for the filter rules)."""
    marker_q = marker_key(marker) if marker and marker.strip() else None
    tissue_q = tissue.strip() if tissue and tissue.strip() else None
    change_q = normalise_change(change) if change and change.strip() else None
    type_q = study_type.strip().casefold() if study_type and study_type.strip() else None
    row_filter = bool(marker_q or tissue_q or change_q)

    rows: list[dict[str, Any]] = []
    for front in notes:
        if type_q and type_q not in front.study_type.casefold():
            continue
        base = _base_row(front)
        if not front.markers:
            if not row_filter:
                rows.append(base)
            continue
        for m in front.markers:
            if marker_q and marker_key(m.marker) != marker_q:
                continue
            if tissue_q and not _tissue_matches(tissue_q, m.tissue):
                continue
            if change_q and m.change != change_q:
                continue
            rows.append({**base, "marker": canonical_marker(m.marker), "tissue": m.tissue, "change": m.change})
    return rows


def evidence_table(digest_dir: Path, marker: str | None = None, tissue: str | None = None,
                   change: str | None = None, study_type: str | None = None) -> list[dict[str, Any]]:
    """Rows (dicts with :data:`COLUMNS`) for every marker change reported in the notes under ``digest_dir``.

    Filters are case-insensitive. ``marker`` matches any spelling of the same marker (TNF-α, TNF-alpha,
    TNFa ...); ``tissue`` matches when it is contained in the row's tissue ('spinal cord', 'DRG');
    ``change`` is up / down / unchanged (or 'increased', 'decreased' ...); ``study_type`` matches when
    it is contained in the note's study type, so 'review' also finds systematic and narrative reviews.
    A note without markers gives one row with empty marker fields, but only when no marker, tissue or
    change filter is set. An invalid note raises CorpusError naming the file and field.
    """
    return rows_from_notes((front for front, _body in load_digest(digest_dir)), marker=marker, tissue=tissue,
                           change=change, study_type=study_type)


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    """CSV text with a header of :data:`COLUMNS` (always present, also for no rows)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(COLUMNS), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in COLUMNS})
    return buf.getvalue()
