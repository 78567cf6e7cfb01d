"""Plain records passed between the API clients and the sync."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from assistant.corpus.inventory import id_forms


class RefRecord(BaseModel):
    """One numbered reference of the review, as an API reports it."""

    ref_no: int | None = None
    title: str = ""
    authors: list[str] = Field(default_factory=list)
    journal: str | None = None
    year: int | None = None
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    source: str = ""

    @property
    def ids(self) -> set[str]:
        return id_forms(self.doi, self.pmid, self.pmcid)


def split_author_string(s: str | None) -> list[str]:
    """'Smith J, Doe AB.' -> ['Smith J', 'Doe AB']."""
    if not s:
        return []
    return [a.strip().rstrip(".").strip() for a in s.split(",") if a.strip().rstrip(".").strip()]


def to_year(v: object) -> int | None:
    m = re.search(r"\b(1[89]\d\d|20\d\d)\b", str(v or ""))
    return int(m.group(1)) if m else None


def norm_title(t: str | None) -> str:
    """Title reduced to lowercase words, for matching the same paper across sources."""
    return " ".join(re.findall(r"[a-z0-9]+", (t or "").lower()))
