"""Contracts of the corpus layer: Document (text + bibliography) and its Sections."""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, Field

DocKind = Literal["full-text", "abstract", "evidence-note", "pdf", "text"]
"""What the text is: a publisher/PMC full text, an abstract only, the project's own evidence note,
a user-supplied PDF, or other plain text."""


class Section(BaseModel):
    """One ordered unit of a document's text: a titled section (XML, Markdown) or a page (PDF)."""

    title: str = Field("", description="Section heading path, e.g. 'Results > Spinal cord'; '' if none")
    text: str
    page: int | None = Field(None, description="1-based page number (PDF) when known")
    cite_ids: list[str] = Field(default_factory=list, description="in-text citation ids (JATS xref rid)")


class Bibliography(BaseModel):
    """Bibliographic metadata shared by every kind of document."""

    title: str = ""
    authors: list[str] = Field(default_factory=list, description="'Surname Initials', in order")
    year: int | None = None
    journal: str | None = None
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    license: str | None = None

    @property
    def first_author(self) -> str:
        return self.authors[0].split()[0] if self.authors else ""

    def short_label(self) -> str:
        """'Bai et al. 2023' style label used in prompts and reference lists."""
        if not self.authors:
            who = "Anon."
        elif len(self.authors) == 1:
            who = self.first_author
        else:
            who = f"{self.first_author} et al."
        return f"{who} {self.year or 'n.d.'}"


class DocumentMeta(Bibliography):
    """A document's identity and provenance without its text (what the index stores per document)."""

    doc_id: str = Field(description="unique per indexed file: '<paper_id>#<kind>[/<part>]'")
    paper_id: str = Field(description="the paper this text belongs to: 'doi:…', 'pmid:…', 'pmc:…' or 'sha256:…'")
    kind: DocKind = "text"
    role: str | None = Field(None, description="'review' or 'reference' when known from the manifest")
    source: str = Field("", description="path or URL the text was read from")
    sha256: str = Field("", description="sha256 of the source file's bytes")
    retrieved_at: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict,
                                  description="reader-specific fields, e.g. a note's front matter")


class Document(DocumentMeta):
    """A readable document: metadata plus ordered sections (or pages)."""

    sections: list[Section] = Field(default_factory=list)
    references: list[dict[str, Any]] = Field(default_factory=list, description="reference list (JATS), in order")

    def meta(self) -> DocumentMeta:
        return DocumentMeta(**self.model_dump(exclude={"sections", "references"}))

    @property
    def text_length(self) -> int:
        return sum(len(s.text.strip()) for s in self.sections)


def normalise_doi(doi: str | None) -> str | None:
    if not doi:
        return None
    d = doi.strip().lower()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
        if d.startswith(prefix):
            d = d[len(prefix):]
    return d or None


def make_paper_id(doi: str | None = None, pmid: str | None = None, pmcid: str | None = None,
                  sha256: str | None = None) -> str:
    """Stable paper identity: DOI first, then PMID, PMCID, finally a content hash."""
    if d := normalise_doi(doi):
        return f"doi:{d}"
    if pmid:
        return f"pmid:{str(pmid).strip()}"
    if pmcid:
        p = str(pmcid).strip().upper()
        return f"pmc:{p if p.startswith('PMC') else 'PMC' + p}"
    if sha256:
        return f"sha256:{sha256[:16]}"
    raise ValueError("make_paper_id needs at least one identifier or a content hash")


def make_doc_id(paper_id: str, kind: str, part: str | None = None) -> str:
    return f"{paper_id}#{kind}" + (f"/{part}" if part else "")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
