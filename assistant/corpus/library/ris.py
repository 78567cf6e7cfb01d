"""RIS exports (Zotero, EndNote, Mendeley) parsed with ``rispy``, record by record.

Each record is decoded on its own, so one record in another encoding is reported and skipped while the rest of
the file is imported. Tags read: TI/T1 title, AU/A1 authors, PY/Y1/DA year, T2/JO/JF/JA journal, DO DOI,
AN PMID (PubMed's and EndNote's accession number), C2 PMCID, AB/N2 abstract, L1/L2 attachments, N1 notes
('PMID: …', 'PMCID: …').
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import rispy  # type: ignore[import-untyped]

from assistant.corpus.library.entries import LibraryEntry, Problem, clean_ids, ids_from_notes
from assistant.corpus.readers.common import clean_inline, parse_year, surname_initials

_END = re.compile(rb"^ER  -[^\n]*$", re.MULTILINE)
_TITLE_LINE = re.compile(rb"^(?:TI|T1)  - ([^\r\n]*)", re.MULTILINE)
LIST_TAGS = [*rispy.LIST_TYPE_TAGS, "L1", "L2"]


def read_ris(path: Path, encoding: str = "utf-8") -> tuple[list[LibraryEntry], list[Problem]]:
    """Entries of an RIS file and the records that could not be read."""
    data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    entries: list[LibraryEntry] = []
    problems: list[Problem] = []
    start = 0
    chunks: list[bytes] = []
    for m in _END.finditer(data):
        chunks.append(data[start:m.end()])
        start = m.end()
    if data[start:].strip():
        chunks.append(data[start:])  # a last record without 'ER  -'
    for n, chunk in enumerate((c for c in chunks if c.strip()), 1):
        origin = f"{path.name}, record {n}"
        try:
            text = chunk.decode(encoding)
        except UnicodeDecodeError as exc:
            problems.append(Problem(origin, _raw_title(chunk), (
                f"not valid {encoding} text (byte 0x{chunk[exc.start]:02x}); re-export the library as UTF-8 "
                "(Zotero: Export Options → Character Encoding; EndNote: Preferences → Export to RIS → UTF-8), "
                "or give the file's encoding with --encoding")))
            continue
        try:
            records = rispy.loads(text.replace("\r\n", "\n"), list_tags=LIST_TAGS)
        except Exception as exc:  # noqa: BLE001 - rispy raises plain IOError/ValueError/KeyError variants
            problems.append(Problem(origin, _raw_title(chunk), f"not an RIS record ({exc}); check the export"))
            continue
        entries += [entry_from_ris(r, origin, path.parent) for r in records]
    return entries, problems


def _raw_title(chunk: bytes) -> str:
    m = _TITLE_LINE.search(chunk)
    return clean_inline(m.group(1).decode("ascii", errors="replace")) if m else ""


def _first(rec: dict[str, Any], *keys: str) -> str | None:
    for k in keys:
        v = rec.get(k)
        if isinstance(v, list):
            v = next((x for x in v if x), None)
        if v and clean_inline(str(v)):
            return clean_inline(str(v))
    return None


def _list(rec: dict[str, Any], *keys: str) -> list[str]:
    out: list[str] = []
    for k in keys:
        v = rec.get(k)
        for x in v if isinstance(v, list) else [v] if v else []:
            if clean_inline(str(x)):
                out.append(clean_inline(str(x)))
    return out


def ris_author(name: str) -> str:
    """'Testa, Anna B.' -> 'Testa AB'; a name without a comma (a group) is kept whole."""
    family, sep, given = name.partition(",")
    return surname_initials(family, given) if sep else clean_inline(name)


def entry_from_ris(rec: dict[str, Any], origin: str, base_dir: Path) -> LibraryEntry:
    notes = _list(rec, "notes", "note", "research_notes")
    pmid_note, pmcid_note = ids_from_notes(notes + _list(rec, "custom2", "accession_number"))
    accession = _first(rec, "accession_number")
    entry = LibraryEntry(
        title=_first(rec, "title", "primary_title") or "", origin=origin, base_dir=base_dir,
        authors=[ris_author(a) for a in _list(rec, "authors", "first_authors")],
        year=parse_year(_first(rec, "year", "publication_year", "date")),
        journal=_first(rec, "secondary_title", "journal_name", "alternate_title3", "alternate_title2",
                       "alternate_title1"),
        doi=_first(rec, "doi"),
        pmid=accession if accession and accession.isdigit() else pmid_note,
        pmcid=_first(rec, "custom2") if (_first(rec, "custom2") or "").upper().startswith("PMC") else pmcid_note,
        abstract=_first(rec, "abstract", "notes_abstract"),
        attachments=_list(rec, "file_attachments1", "file_attachments2"),
    )
    clean_ids(entry)
    return entry
