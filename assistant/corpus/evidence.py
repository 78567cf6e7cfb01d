"""The evidence table: one row per (evidence note, marker change), filterable by marker, tissue,
direction of change and study type, and the conflicts in it (marker x tissue group pairs whose direction
differs between studies). Built only from the notes' structured front matter."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from assistant.corpus.markers import canonical_marker, marker_key
from assistant.corpus.notes import NoteFrontMatter, load_notes
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
    return rows_from_notes((front for front, _body in load_notes(digest_dir)), marker=marker, tissue=tissue,
                           change=change, study_type=study_type)


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    """CSV text with a header of :data:`COLUMNS` (always present, also for no rows)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(COLUMNS), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in COLUMNS})
    return buf.getvalue()


# ----------------------------------------------------------------------------- where studies disagree

# Tissue groups for comparing directions across studies: a rat's insula and prefrontal cortex are both
# "brain", the dorsal horn is "spinal cord". Checked in order; the first group whose words occur wins.
TISSUE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("dorsal root ganglion", ("dorsal root gangli", "drg")),
    ("spinal cord", ("spinal", "dorsal horn", "ventral horn")),
    ("peripheral nerve", ("sciatic", "nerve")),
    ("CSF", ("csf", "cerebrospinal")),
    ("blood", ("blood", "serum", "plasma")),
    ("cell culture", ("culture", "medium", "cells", "in vitro")),
    ("brain", ("brain", "cortex", "cortical", "insula", "hippocamp", "thalam", "striatum", "amygdala",
               "cerebr", "subcortical", "infarct", "penumbra")),
)


def tissue_group(tissue: str) -> str:
    """The coarse tissue group of a note's tissue ('prefrontal cortex' -> 'brain'); unknown ones stay as given."""
    t = " ".join(tissue.casefold().split())
    for group, words in TISSUE_GROUPS:
        if any(w in t for w in words):
            return group
    return tissue.strip()


class StudyRef(BaseModel):
    """One study (paper) on one side of a conflict, with the note and tissue it was read from."""

    paper: str = Field(description="paper key: doi:/pmid:/pmc:/url: identifier")
    note_ids: list[str] = Field(description="evidence notes of this paper reporting this direction")
    label: str = Field(description="'Toledo et al. 2021' style label")
    tissues: list[str] = Field(description="the tissues as the notes name them")
    study_type: str
    doi: str | None = None
    pmid: str | None = None


class Conflict(BaseModel):
    """A marker x tissue-group pair whose direction after rTMS differs between studies."""

    marker: str = Field(description="canonical marker spelling, e.g. 'TNF-α'")
    tissue_group: str
    sides: dict[str, list[StudyRef]] = Field(description="direction ('up'/'down'/'unchanged') -> studies")

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per (direction, study), for tables and CSV."""
        return [{"marker": self.marker, "tissue_group": self.tissue_group, "change": change,
                 "study": s.label, "tissue": "; ".join(s.tissues), "study_type": s.study_type, "doi": s.doi or "",
                 "pmid": s.pmid or "", "note_id": ", ".join(s.note_ids)}
                for change, studies in self.sides.items() for s in studies]


def _paper_key(front: NoteFrontMatter) -> str:
    kind, value = next(iter(front.identifiers.items()), ("note", front.id))
    return f"{kind}:{value.lower() if kind == 'doi' else value}"


def _label(front: NoteFrontMatter) -> str:
    if not front.authors:
        who = front.journal or "Anon."
    else:
        who = front.authors[0].split()[0] + (" et al." if len(front.authors) > 1 else "")
    return f"{who} {front.year}"


def find_conflicts(notes: Iterable[NoteFrontMatter], marker: str | None = None,
                   tissue: str | None = None) -> list[Conflict]:
    """Marker x tissue-group pairs reported with different directions by different papers.

    Several notes about one paper count as one study. ``marker`` (any spelling) and ``tissue`` (a tissue or
    group name, contained match) narrow the result. Sorted by marker, then tissue group.
    """
    marker_q = marker_key(marker) if marker and marker.strip() else None
    group_q = tissue_group(tissue) if tissue and tissue.strip() else None
    by_pair: dict[tuple[str, str], dict[str, dict[str, StudyRef]]] = {}
    names: dict[str, str] = {}
    for front in notes:
        for m in front.markers:
            key, group = marker_key(m.marker), tissue_group(m.tissue)
            if marker_q and key != marker_q:
                continue
            if group_q and group_q.casefold() != group.casefold():
                continue
            names.setdefault(key, canonical_marker(m.marker))
            studies = by_pair.setdefault((key, group), {}).setdefault(m.change, {})
            paper = _paper_key(front)
            ref = studies.get(paper)
            if ref is None:
                studies[paper] = StudyRef(paper=paper, note_ids=[front.id], label=_label(front), tissues=[m.tissue],
                                          study_type=front.study_type, doi=front.doi, pmid=front.pmid)
            else:
                if front.id not in ref.note_ids:
                    ref.note_ids.append(front.id)
                if m.tissue not in ref.tissues:
                    ref.tissues.append(m.tissue)
    out = []
    for (key, group), sides in by_pair.items():
        if len(sides) < 2:
            continue
        ordered = {c: sorted(sides[c].values(), key=lambda s: s.label) for c in CHANGES if c in sides}
        out.append(Conflict(marker=names[key], tissue_group=group, sides=ordered))
    return sorted(out, key=lambda c: (c.marker.casefold(), c.tissue_group.casefold()))


def evidence_conflicts(digest_dir: Path, marker: str | None = None, tissue: str | None = None) -> list[Conflict]:
    """:func:`find_conflicts` over the notes under ``digest_dir`` (an invalid note raises CorpusError)."""
    return find_conflicts((front for front, _body in load_notes(digest_dir)), marker=marker, tissue=tissue)


def conflict_rows(conflicts: Iterable[Conflict]) -> list[dict[str, Any]]:
    """Flat rows of all conflicts (see :meth:`Conflict.rows`)."""
    return [row for c in conflicts for row in c.rows()]
