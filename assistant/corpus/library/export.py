"""Find the reference files of an export (an RIS or BibTeX file, or Zotero's "Export Files" folder), read every
entry, fold duplicates, and find each entry's PDF attachment."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from assistant.corpus.library.bibtex import read_bibtex
from assistant.corpus.library.entries import LibraryEntry, Problem
from assistant.corpus.library.ris import read_ris
from assistant.errors import CorpusError

RIS_SUFFIXES = {".ris", ".nbib", ".enw"}
BIB_SUFFIXES = {".bib", ".bibtex", ".biblatex"}


@dataclass
class Export:
    """Everything read from an export: its files, the usable entries (one per identity), the rows refused."""

    files: list[Path] = field(default_factory=list)
    entries: list[LibraryEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    folded: int = 0  # entries found twice in the export (e.g. in both its RIS and its BibTeX file)


def export_files(path: Path) -> list[Path]:
    """The RIS/BibTeX files of ``path`` (a file, or a folder holding them at its top level)."""
    path = Path(path)
    if path.is_file():
        return [path]
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in RIS_SUFFIXES | BIB_SUFFIXES)
        if not found:
            raise CorpusError(f"{path}: no .ris or .bib file in this folder. Export the collection from your "
                              "reference manager (Zotero: right-click → Export Collection… → RIS, with "
                              "'Export Files' ticked) and give that folder or file.")
        return found
    raise CorpusError(f"{path}: no such file or folder.")


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in RIS_SUFFIXES:
        return "ris"
    if suffix in BIB_SUFFIXES:
        return "bibtex"
    head = path.read_bytes()[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:6] in (b"TY  - ", b"TY  -\n") or head.startswith(b"TY  -"):
        return "ris"
    if head.startswith((b"@", b"%")):
        return "bibtex"
    raise CorpusError(f"{path}: neither RIS (first tag 'TY  -') nor BibTeX ('@article{{…'). Export the library "
                      "as RIS or BibTeX and import that file.")


def read_export(path: Path, encoding: str = "utf-8") -> Export:
    """Read every entry of the export at ``path``; the same reference twice (same identity) becomes one entry."""
    out = Export(files=export_files(path))
    by_identity: dict[str, LibraryEntry] = {}
    for f in out.files:
        reader = read_ris if _format(f) == "ris" else read_bibtex
        try:
            entries, problems = reader(f, encoding)
        except LookupError:
            raise CorpusError(f"--encoding {encoding!r} is not an encoding Python knows (try utf-8, cp1252, "
                              "latin-1).") from None
        out.problems += problems
        for e in entries:
            if not e.title:
                out.problems.append(Problem(e.origin, "", "no title; add the title in the reference manager and "
                                            "export again"))
            elif (known := by_identity.get(e.identity)) is not None:
                known.merge_from(e)
                out.folded += 1
            else:
                by_identity[e.identity] = e
    out.entries = list(by_identity.values())
    return out


def attachment_path(raw: str, base_dir: Path) -> Path | None:
    """The local file an attachment field names: a relative path (against the export's folder), an absolute path,
    or a ``file://`` URL; None for links the import cannot follow (http, EndNote's internal-pdf://)."""
    raw = raw.strip()
    scheme = urlsplit(raw).scheme.lower()
    if scheme == "file":
        return Path(url2pathname(unquote(urlsplit(raw).path)))
    if scheme in {"http", "https", "internal-pdf", "ftp"}:
        return None
    p = Path(raw).expanduser()
    return p if p.is_absolute() else base_dir / p


def pdf_attachment(entry: LibraryEntry) -> tuple[Path | None, str | None]:
    """(the entry's PDF, None) when one exists; (None, reason) when a PDF is named but missing; (None, None) when
    the entry names no PDF."""
    named: list[str] = []
    for raw in entry.attachments:
        if raw.lower().startswith("internal-pdf://"):
            named.append(raw)
            continue
        p = attachment_path(raw, entry.base_dir)
        if p is None or p.suffix.lower() != ".pdf":
            continue
        if p.is_file():
            return p, None
        named.append(raw)
    if not named:
        return None, None
    return None, (f"the attached PDF {named[0]} is missing; export again with 'Export Files' ticked (keep the "
                  "files/ folder beside the .ris/.bib), or remove the attachment to import the abstract only")
