"""Small helpers shared by the readers: errors, whitespace, names, identifiers, years."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.corpus.contracts import Document, Section, make_doc_id, make_paper_id, sha256_bytes
from assistant.errors import ReaderError

__all__ = [
    "DOI_RE",
    "clean_doi",
    "clean_inline",
    "finish_document",
    "find_doi",
    "initials_of",
    "join_paragraphs",
    "label_title",
    "normalise_pmcid",
    "parse_year",
    "reader_error",
    "split_paragraphs",
    "surname_initials",
]

_WS_RE = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
DOI_RE = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)
_YEAR_RE = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_MINOR_WORDS = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "vs",
                "with"}
NO_LABEL = {"", "UNLABELLED", "UNLABELED", "UNASSIGNED"}
"""Section labels that say the part has no label (PubMed writes 'UNLABELLED' / NlmCategory 'UNASSIGNED')."""


def label_title(label: str | None) -> str:
    """A structured-abstract label as a section title: 'MATERIALS AND METHODS' → 'Materials and Methods',
    'CONCLUSIONS/SIGNIFICANCE' → 'Conclusions/Significance'. A label already in mixed case is kept; a label that
    only says 'unlabelled' gives ''."""
    text = clean_inline(label).rstrip(":.").strip()
    if text.upper() in NO_LABEL:
        return ""
    if text != text.upper():
        return text
    words = re.split(r"(\W+)", text.lower())
    out = []
    for i, w in enumerate(words):
        out.append(w if (i > 0 and w in _MINOR_WORDS) else w[:1].upper() + w[1:])
    return "".join(out)


def reader_error(path: Path | str, reason: str, fix: str) -> ReaderError:
    """A ReaderError in the shared shape '<file>: <reason> — <what to do>'."""
    return ReaderError(f"{path}: {reason} — {fix}")


def clean_inline(text: str | None) -> str:
    """Collapse every run of whitespace (newlines included) to one space; drop invisible characters."""
    if not text:
        return ""
    return _WS_RE.sub(" ", text.translate(_INVISIBLE)).strip()


def split_paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, each with its inner whitespace collapsed; empty ones dropped."""
    paras = (clean_inline(p) for p in re.split(r"\n[ \t\r\f\v]*\n", text or ""))
    return [p for p in paras if p]


def join_paragraphs(paragraphs: list[str]) -> str:
    """Paragraphs (already cleaned or not) joined with the canonical '\\n\\n' break."""
    return "\n\n".join(p for p in (clean_inline(x) for x in paragraphs) if p)


def find_doi(text: str | None) -> str | None:
    """First DOI-looking string in ``text``, without trailing punctuation (case kept)."""
    if not text:
        return None
    m = DOI_RE.search(text)
    if not m:
        return None
    doi = m.group(1).rstrip(".,;:)]}'")
    # an unbalanced closing bracket belongs to the sentence, a balanced one (10.1016/S0140-6736(20)…) to the DOI
    while doi.endswith(")") and doi.count("(") < doi.count(")"):
        doi = doi[:-1]
    return doi


def clean_doi(value: str | None) -> str | None:
    """A DOI without URL/'doi:' prefix or whitespace, case kept (make_paper_id lower-cases for matching)."""
    v = clean_inline(value)
    if not v:
        return None
    low = v.lower()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:"):
        if low.startswith(prefix):
            v = v[len(prefix):].strip()
            break
    return v or None


def normalise_pmcid(value: str | None) -> str | None:
    """'10167032' / 'pmc10167032' / 'PMC10167032' -> 'PMC10167032'; None when empty."""
    v = clean_inline(value).upper()
    if not v:
        return None
    return v if v.startswith("PMC") else f"PMC{v}"


def parse_year(value: str | int | None) -> int | None:
    """The first plausible 4-digit year in ``value`` ('2019 Nov-Dec' -> 2019)."""
    if value is None:
        return None
    if isinstance(value, int):
        return value if 1800 <= value <= 2100 else None
    m = _YEAR_RE.search(str(value))
    return int(m.group(1)) if m else None


def initials_of(given: str | None) -> str:
    """'Yu-Wei' -> 'YW'; 'J. R.' -> 'JR'; 'Jean Pierre' -> 'JP'."""
    parts = [p for p in re.split(r"[\s.\-‐‑–]+", given or "") if p]
    return "".join(p[0].upper() for p in parts if p[0].isalpha())


def surname_initials(surname: str | None, given: str | None = None, initials: str | None = None) -> str:
    """Author in the project's 'Surname Initials' form ('Bai YW'); explicit initials win over given names."""
    sur = clean_inline(surname)
    ini = clean_inline(initials).replace(".", "").replace(" ", "") if initials else initials_of(given)
    return f"{sur} {ini}".strip() if sur else ini


def finish_document(*, path: Path, data: bytes, kind: str, sections: list[Section], part: str | None = None,
                    **fields: object) -> Document:
    """Build a Document with paper_id/doc_id/sha256/source derived the same way by every reader."""
    digest = sha256_bytes(data)
    if kind == "evidence-note" and part and not any(fields.get(k) for k in ("doi", "pmid", "pmcid")):
        paper_id = f"note:{part}"  # stable across edits of a note about a paper without identifiers
    else:
        paper_id = make_paper_id(fields.get("doi"), fields.get("pmid"), fields.get("pmcid"), digest)  # type: ignore[arg-type]
    return Document(
        doc_id=make_doc_id(paper_id, kind, part),
        paper_id=paper_id,
        kind=kind,
        source=str(path),
        sha256=digest,
        sections=sections,
        **fields,
    )
