"""BibTeX / BibLaTeX exports (Zotero, Better BibTeX, Mendeley, JabRef) parsed with ``bibtexparser``.

Each ``@entry`` is decoded on its own (one entry in another encoding is reported and skipped); LaTeX in titles,
names, journals and abstracts is turned into Unicode with ``pylatexenc`` (bibtexparser's own dependency).
Fields read: title, author, year/date, journal/journaltitle/booktitle, doi, pmid (or eprint with
eprinttype = pubmed), pmcid, abstract, file (Zotero's ``description:path:mime`` list), note/annote/extra.
"""

from __future__ import annotations

import re
from pathlib import Path

from bibtexparser.entrypoint import parse_string
from bibtexparser.model import Field
from pylatexenc.latex2text import LatexNodes2Text  # type: ignore[import-untyped]

from assistant.corpus.library.entries import LibraryEntry, Problem, clean_ids, ids_from_notes
from assistant.corpus.readers.common import clean_inline, parse_year, surname_initials

_ENTRY_START = re.compile(rb"^[ \t]*@", re.MULTILINE)
_KEY = re.compile(rb"@\s*\w+\s*[{(]\s*([^,\s]+)")
_TITLE = re.compile(rb"\btitle\s*=\s*[{\"]([^\r\n}\"]*)", re.IGNORECASE)
_AND = re.compile(r"\s+and\s+")
_SKIP_TYPES = {"comment", "string", "preamble"}
_latex = LatexNodes2Text()


def read_bibtex(path: Path, encoding: str = "utf-8") -> tuple[list[LibraryEntry], list[Problem]]:
    """Entries of a BibTeX file and the entries that could not be read."""
    data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    starts = [m.start() for m in _ENTRY_START.finditer(data)]
    chunks = [data[a:b] for a, b in zip(starts, [*starts[1:], len(data)], strict=True)]
    problems: list[Problem] = []
    good: list[str] = []
    for chunk in chunks:
        key = _KEY.search(chunk)
        origin = f"{path.name}, entry {key.group(1).decode('ascii', 'replace') if key else '?'}"
        try:
            good.append(chunk.decode(encoding))
        except UnicodeDecodeError as exc:
            title = _TITLE.search(chunk)
            problems.append(Problem(origin, clean_inline(title.group(1).decode("ascii", "replace")) if title else "", (
                f"not valid {encoding} text (byte 0x{chunk[exc.start]:02x}); re-export the library as UTF-8 "
                "(Zotero: Export Options → Character Encoding), or give the file's encoding with --encoding")))
    library = parse_string("".join(good))
    for block in library.failed_blocks:
        raw = str(getattr(block, "raw", ""))
        key = _KEY.search(raw.encode())
        origin = f"{path.name}, entry {key.group(1).decode() if key else '?'}"
        problems.append(Problem(origin, "", "not a complete BibTeX entry (unbalanced braces or a missing comma); "
                                "fix it in the reference manager and export again"))
    entries = [entry_from_bibtex(e.fields_dict, f"{path.name}, entry {e.key}", path.parent)
               for e in library.entries if e.entry_type.lower() not in _SKIP_TYPES]
    return entries, problems


def detex(value: str | None) -> str | None:
    """LaTeX markup as plain Unicode: '{IL-1$\\beta$} \\& {\\'e}' -> 'IL-1β & é'."""
    if not value:
        return None
    try:
        text = _latex.latex_to_text(value)
    except Exception:  # noqa: BLE001 - pylatexenc gives up on some malformed markup: keep the raw text
        text = value.replace("{", "").replace("}", "")
    return clean_inline(text) or None


def bibtex_author(name: str) -> str:
    """'Testa, Anna B.' / 'Anna B. Testa' -> 'Testa AB'; '{Invented Consortium}' stays whole."""
    name = name.strip()
    if name.startswith("{") and name.endswith("}"):
        return detex(name[1:-1]) or ""
    plain = detex(name) or ""
    if "," in plain:
        family, _, given = plain.partition(",")
        return surname_initials(family, given.split(",")[-1])
    parts = plain.split()
    return surname_initials(parts[-1], " ".join(parts[:-1])) if len(parts) > 1 else plain


def split_authors(value: str) -> list[str]:
    """'A and B and {C and D}' -> ['A', 'B', '{C and D}'] (an 'and' inside braces is part of a name)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(value):
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 0 and (m := _AND.match(value, i)) and i > start:
            out.append(value[start:i])
            start = m.end()
    out.append(value[start:])
    return [a for a in (x.strip() for x in out) if a]


def file_paths(value: str) -> list[str]:
    """Zotero's ``file`` field: 'Full Text PDF:files/12/x.pdf:application/pdf;…' -> ['files/12/x.pdf']; a plain
    path is returned as it is. Escaped colons ('C\\:\\\\…', Windows) are unescaped."""
    out = []
    for item in re.split(r"(?<!\\);", value):
        parts = re.split(r"(?<!\\):", item)
        path = ":".join(parts[1:-1]) if len(parts) >= 3 else item
        path = path.replace("\\:", ":").replace("\\\\", "\\").replace("\\;", ";").strip()
        if path:
            out.append(path)
    return out


def entry_from_bibtex(fields: dict[str, Field], origin: str, base_dir: Path) -> LibraryEntry:
    f = {k.lower(): str(v.value) for k, v in fields.items()}
    notes = [f.get(k, "") for k in ("note", "annote", "extra", "annotation")]
    pmid_note, pmcid_note = ids_from_notes(notes)
    eprint_pmid = f.get("eprint") if f.get("eprinttype", "").lower() == "pubmed" else None
    entry = LibraryEntry(
        title=detex(f.get("title")) or "", origin=origin, base_dir=base_dir,
        authors=[a for a in (bibtex_author(x) for x in split_authors(f.get("author", ""))) if a],
        year=parse_year(f.get("year") or f.get("date")),
        journal=detex(f.get("journal") or f.get("journaltitle") or f.get("booktitle")),
        doi=f.get("doi"), pmid=f.get("pmid") or eprint_pmid or pmid_note, pmcid=f.get("pmcid") or pmcid_note,
        abstract=detex(f.get("abstract")), attachments=file_paths(f.get("file", "")),
    )
    clean_ids(entry)
    return entry
