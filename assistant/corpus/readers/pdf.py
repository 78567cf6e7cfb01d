"""PDF reader (pypdf): one Section per page with its 1-based physical page number.

Metadata comes from the PDF info dictionary and page 1: DOI / PMID / PMCID by pattern on page 1 (then the
info values), the title from the info dictionary when it looks like a real title, else page 1's first
line; the year from a 'Published' / '©' / 'Accepted' line on page 1, else the file's creation date.
When the PDF defines printed page labels that differ from the physical numbers, the page's title says so
("Page 3 (p. 247)") and ``extra['page_labels']`` keeps them all.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError

from assistant.corpus.contracts import Document, Section
from assistant.corpus.readers.common import (
    clean_doi,
    clean_inline,
    find_doi,
    finish_document,
    join_paragraphs,
    normalise_pmcid,
    parse_year,
    reader_error,
    split_paragraphs,
    surname_initials,
)

__all__ = ["read_pdf"]

log = logging.getLogger(__name__)

_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
_HYPHEN_BREAK = re.compile(r"([a-z])-\n[ \t]*([a-z])")
_PMID_RE = re.compile(r"\bPMID:?\s*(\d{6,9})\b")
_PMCID_RE = re.compile(r"\b(PMC\d{5,9})\b")
_YEAR_CUES = ("Published", "©", "Copyright", "Accepted")
_BAD_TITLE = re.compile(r"^(untitled|microsoft (word|powerpoint)\b.*|.*\.(pdf|docx?|tex|dvi|indd|qxd))$", re.I)


def read_pdf(path: Path) -> Document:
    data = path.read_bytes()
    if not data.strip():
        raise reader_error(path, "empty file (0 bytes of PDF)", "re-download the PDF or remove it")
    reader = _open(path, data)
    try:
        n_pages = len(reader.pages)
    except Exception as exc:  # pypdf raises many types on damaged page trees
        raise reader_error(path, f"corrupt PDF page tree ({exc})", "re-download or re-save the PDF") from None
    if n_pages == 0:
        raise reader_error(path, "PDF has no pages", "re-download the PDF")

    raw_pages = [_page_text(reader, i, path) for i in range(n_pages)]
    labels = _page_labels(reader, n_pages)
    sections = []
    for i, raw in enumerate(raw_pages, start=1):
        text = join_paragraphs(split_paragraphs(_clean_page(raw)))
        if text:
            label = labels[i - 1] if labels else None
            title = f"Page {i} (p. {label})" if label else f"Page {i}"
            sections.append(Section(title=title, text=text, page=i))
    if not sections:
        raise reader_error(path, f"no extractable text on any of its {n_pages} page(s) (scanned or image-only?)",
                           "run OCR first (e.g. `ocrmypdf in.pdf out.pdf`) and add the OCR'd file")

    info = _info(reader)
    first = _clean_page(raw_pages[0])
    info_values = " ".join(str(v) for v in info.values())
    extra: dict[str, Any] = {"page_count": n_pages}
    if labels:
        extra["page_labels"] = [labels[i] or str(i + 1) for i in range(n_pages)]
    return finish_document(
        path=path, data=data, kind="pdf", sections=sections,
        title=_title(info.get("/Title"), first),
        authors=_authors(info.get("/Author")),
        year=_year(first, info.get("/CreationDate")),
        doi=clean_doi(find_doi(first) or find_doi(info_values)),
        pmid=(m.group(1) if (m := _PMID_RE.search(first)) else None),
        pmcid=normalise_pmcid(m.group(1)) if (m := _PMCID_RE.search(first)) else None,
        extra=extra,
    )


def _open(path: Path, data: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data))
    except DependencyError as exc:
        raise reader_error(path, f"PDF needs an optional library ({exc})",
                           "install it into the venv: `.venv/bin/pip install cryptography`") from None
    except Exception as exc:  # PdfReadError, PdfStreamError, ValueError, KeyError… on damaged files
        raise reader_error(path, f"corrupt or not a PDF ({type(exc).__name__}: {exc})",
                           "re-download the PDF or re-save it from a PDF viewer") from None
    if reader.is_encrypted:
        try:
            ok = reader.decrypt("")
        except DependencyError as exc:
            raise reader_error(path, f"encrypted PDF needs an optional library ({exc})",
                               "install it into the venv: `.venv/bin/pip install cryptography`") from None
        except Exception as exc:
            raise reader_error(path, f"unsupported PDF encryption ({exc})",
                               "save an unencrypted copy and add that") from None
        if ok == PasswordType.NOT_DECRYPTED:
            raise reader_error(path, "encrypted PDF that needs a password",
                               "save an unprotected copy (e.g. `qpdf --decrypt --password=PW in.pdf out.pdf`) "
                               "and add that")
    return reader


def _page_text(reader: PdfReader, index: int, path: Path) -> str:
    try:
        return reader.pages[index].extract_text() or ""
    except Exception as exc:  # one bad page should not lose the others
        log.warning("%s: page %d: text extraction failed (%s); page skipped", path, index + 1, exc)
        return ""


def _clean_page(raw: str) -> str:
    """Undo ligatures and line-end hyphenation of lower-case words; keep line structure for title guessing."""
    return _HYPHEN_BREAK.sub(r"\1\2", raw.translate(_LIGATURES))


def _page_labels(reader: PdfReader, n_pages: int) -> list[str | None] | None:
    """Printed labels where they differ from the physical number; None when the PDF defines none."""
    try:
        labels = list(reader.page_labels)
    except Exception:
        return None
    if len(labels) != n_pages or all(lab == str(i) for i, lab in enumerate(labels, start=1)):
        return None
    return [None if lab == str(i) else lab for i, lab in enumerate(labels, start=1)]


def _info(reader: PdfReader) -> dict[str, str]:
    try:
        meta: Mapping[object, object] = reader.metadata or {}
        return {str(k): str(v) for k, v in meta.items() if v is not None and str(v).strip()}
    except Exception:
        return {}


def _title(info_title: str | None, first_page: str) -> str:
    t = clean_inline(info_title)
    if len(t) >= 4 and not _BAD_TITLE.match(t):
        return t
    for line in first_page.splitlines():
        line = clean_inline(line)
        if len(line.split()) >= 2 and not re.search(r"doi|https?://|©|copyright", line, re.I):
            return line[:300]
    return ""


def _authors(info_author: str | None) -> list[str]:
    """'Jane Q Doe; Ken Roe' or 'Doe JQ, Roe K' -> ['Doe JQ', 'Roe K'] (best effort)."""
    raw = clean_inline(info_author)
    if not raw or raw.lower() in {"anonymous", "unknown", "author", "admin", "user"}:
        return []
    pieces = re.split(r"\s*;\s*", raw) if ";" in raw else re.split(r"\s*,\s*|\s+and\s+|\s*&\s*", raw)
    out = []
    for p in (x.strip() for x in pieces):
        words = p.split()
        if not words:
            continue
        if len(words) == 1 or (words[-1].isupper() and len(words[-1]) <= 3):
            out.append(p)  # already 'Surname Initials' or a single name
        else:
            out.append(surname_initials(words[-1], " ".join(words[:-1])))
    return out


def _year(first_page: str, creation_date: str | None) -> int | None:
    for cue in _YEAR_CUES:
        if m := re.search(rf"{re.escape(cue)}[^\n]{{0,60}}?\b((?:19|20)\d\d)\b", first_page, re.I):
            return int(m.group(1))
    return parse_year((creation_date or "").removeprefix("D:")[:4])
