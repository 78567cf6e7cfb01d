"""One entry of a reference-manager export, its identity, and the rows an import could not use."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from assistant.corpus.contracts import normalise_doi
from assistant.corpus.readers.common import clean_doi, clean_inline, normalise_pmcid

_PMID_NOTE = re.compile(r"\bPMID:?\s*(\d{1,9})\b", re.IGNORECASE)
_PMCID_NOTE = re.compile(r"\b(PMC\d{3,9})\b", re.IGNORECASE)
# UTF-8 read as Latin-1/cp1252 ('Ã©', 'â€™') and the replacement character: text that was decoded wrongly
_MOJIBAKE = re.compile("\ufffd|Ã[\u0080-\u00bf]|â€")


@dataclass
class LibraryEntry:
    """What the import needs of one reference: bibliography, identifiers, abstract, attachment paths."""

    title: str
    origin: str  # where it came from, for messages: 'library.ris, record 3'
    base_dir: Path  # relative attachment paths are resolved against the export file's folder
    authors: list[str] = field(default_factory=list)  # 'Surname Initials'
    year: int | None = None
    journal: str | None = None
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    abstract: str | None = None
    attachments: list[str] = field(default_factory=list)  # as written in the export (path or file:// URL)

    @property
    def identity(self) -> str:
        """DOI, else PMID, else the normalised title and year: what makes a re-import the same entry."""
        if d := normalise_doi(self.doi):
            return f"doi:{d}"
        if self.pmid:
            return f"pmid:{self.pmid}"
        return f"title:{normalise_title(self.title)}|{self.year or ''}"

    def merge_from(self, other: LibraryEntry) -> None:
        """Fill what this entry lacks from ``other`` (the same reference exported twice, e.g. RIS and BibTeX)."""
        for name in ("year", "journal", "doi", "pmid", "pmcid", "abstract"):
            if not getattr(self, name) and getattr(other, name):
                setattr(self, name, getattr(other, name))
        self.authors = self.authors or other.authors
        self.attachments += [a for a in other.attachments if a not in self.attachments]
        if not self.attachments and other.attachments:
            self.base_dir = other.base_dir


@dataclass
class Problem:
    """A row that was not imported, and why (the message says what to do)."""

    origin: str
    title: str
    reason: str

    def line(self) -> str:
        what = f" “{self.title[:70]}”" if self.title else ""
        return f"{self.origin}{what}: {self.reason}"


def normalise_title(title: str) -> str:
    """Case, accents, punctuation and spacing removed: 'The IL-1β  Study.' -> 'the il 1β study'."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.findall(r"\w+", text))


def looks_misdecoded(*texts: str | None) -> bool:
    """Replacement characters or UTF-8-read-as-Latin-1 sequences: the text's encoding was broken on the way."""
    return any(t and _MOJIBAKE.search(t) for t in texts)


def ids_from_notes(notes: list[str]) -> tuple[str | None, str | None]:
    """(PMID, PMCID) written in free-text fields ('PMID: 12345678', 'PMCID: PMC1234567') by Zotero and PubMed."""
    text = " ".join(notes)
    pmid = _PMID_NOTE.search(text)
    pmcid = _PMCID_NOTE.search(text)
    return (pmid.group(1) if pmid else None), (normalise_pmcid(pmcid.group(1)) if pmcid else None)


def clean_ids(entry: LibraryEntry) -> None:
    """DOI without resolver prefix, digits-only PMID, 'PMC…' PMCID; anything else dropped."""
    entry.doi = clean_doi(entry.doi)
    if entry.doi and not re.fullmatch(r"10\.\d{4,9}/\S+", entry.doi):
        entry.doi = None
    pmid = clean_inline(entry.pmid)
    entry.pmid = pmid if pmid.isdigit() else None
    pmcid = normalise_pmcid(entry.pmcid)
    entry.pmcid = pmcid if pmcid and re.fullmatch(r"PMC\d+", pmcid) else None
