"""Evidence notes (corpus/digest/<id>.md): schema of the YAML front matter and loaders.

A note is Markdown with a YAML front matter block between two ``---`` lines. The format is
described in the project notes (digest_format.md); this module is its executable form, used by
the digest writers' tests, the Markdown reader and the evidence table.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from assistant.errors import CorpusError
from assistant.safetext import load_yaml

Role = Literal["review", "reference"]
Status = Literal["confirmed", "candidate"]
Change = Literal["up", "down", "unchanged"]
StudyType = Literal[
    "review",
    "clinical trial",
    "meta-analysis",
    "animal study",
    "guideline",
    "observational study",
    "cell study",
    "narrative review",
    "systematic review",
]

MIN_BODY_WORDS = 25
MAX_BODY_WORDS = 250

# Phrases that mark a remark about the evidence (what an abstract omits, how a study links to the review,
# its candidate status) rather than a finding. They belong in ``caveats``, never in the indexed body.
COMMENTARY_PATTERNS: tuple[str, ...] = (
    r"\bthe abstract (?:does not|doesn't|gives no|reports no|names no|says nothing)",
    r"\bcandidate (?:reference|primary stud|paper|stud)",
    r"\bnot confirmed entr",
    r"\breference \d+ of the Bai",
    r"\bavailable to us\b",
    r"\b(?:record|abstract) we read\b",
    r"^\s*(?:[-*]\s*)?Question:",
    r"^#+\s*(?:Relevance|Caveats?|Provenance)\s*$",
)
_COMMENTARY_RE = re.compile("|".join(COMMENTARY_PATTERNS), re.IGNORECASE | re.MULTILINE)
_PLACEHOLDER_TITLE_RE = re.compile(r"^\s*\[|not captured|title unknown|untitled", re.IGNORECASE)
CANONICAL_TISSUES = ("brain", "spinal cord", "dorsal root ganglion", "peripheral nerve", "blood", "CSF")

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FRONT_RE = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)(.*)\Z", re.DOTALL)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class StimulationParams(_Strict):
    """rTMS protocol as reported by the paper; every field may be unknown (null)."""

    target: str | None = Field(None, description="stimulated site, e.g. 'M1 (primary motor cortex)'")
    frequency: str | None = Field(None, description="'1 Hz', '10 Hz', 'iTBS', ...")
    intensity: str | None = Field(None, description="e.g. '120% resting motor threshold'")
    sessions: str | None = Field(None, description="number/schedule of sessions, e.g. 'daily for 2 weeks'")
    duration: str | None = Field(None, description="per-session duration or pulse count")

    @model_validator(mode="before")
    @classmethod
    def _numbers_to_str(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: (str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v)
                    for k, v in data.items()}
        return data


class MarkerChange(_Strict):
    """One molecular/cellular marker, the tissue it was measured in and its direction after rTMS."""

    marker: str = Field(min_length=1, description="canonical spelling with Greek letters, e.g. 'TNF-α'")
    tissue: str = Field(min_length=1)
    change: Change


class NoteFrontMatter(_Strict):
    """Front matter of one evidence note. ``id`` must equal the file stem (checked via validation context)."""

    id: str
    title: str = Field(min_length=1)
    authors: list[str] = Field(default_factory=list, description="'Surname Initials', in order")
    year: int = Field(ge=1900, le=2100)
    journal: str | None = None
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    license: str | None = None
    role: Role
    ref_no: int | None = Field(None, ge=1)
    status: Status
    study_type: StudyType
    topic: str | None = None
    species: str | None = None
    pain_model: str | None = None
    stimulation: StimulationParams | None = None
    tissues: list[str] = Field(default_factory=list)
    markers: list[MarkerChange] = Field(default_factory=list)
    outcome: str = Field(min_length=1)
    read_from: list[str] = Field(min_length=1, description="public http(s) URLs the facts were read from")
    language: str = Field("en", pattern=r"^[a-z]{2}$", description="ISO 639-1 code of the article's language")
    title_original: str | None = Field(None, description="title in the article's own language when it is "
                                                         "not English ('title' is then the English rendering)")
    url: str | None = Field(None, description="stable article (or article-record) URL; the identifier of a "
                                              "paper that has no DOI, PMID or PMCID")
    caveats: list[str] = Field(default_factory=list,
                               description="remarks beside the evidence: what the source does not say, how the "
                                           "study links to the review, candidate status. Shown with citations, "
                                           "never indexed as evidence")
    full_text_only: list[str] = Field(default_factory=list,
                                      description="statements only the full text makes (not checkable against "
                                                  "the abstract); kept for reference, never indexed")

    @field_validator("id")
    @classmethod
    def _check_id(cls, v: str, info: ValidationInfo) -> str:
        if not _ID_RE.match(v):
            raise ValueError(f"id {v!r} must be lowercase letters, digits and single hyphens")
        stem = (info.context or {}).get("stem")
        if stem is not None and v != stem:
            raise ValueError(f"id {v!r} must equal the file name stem {stem!r}")
        return v

    @field_validator("pmid", mode="before")
    @classmethod
    def _check_pmid(cls, v: Any) -> Any:
        if v is None:
            return None
        s = str(v).strip()
        if not s.isdigit():
            raise ValueError(f"pmid {v!r} must be digits only")
        return s

    @field_validator("pmcid")
    @classmethod
    def _check_pmcid(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"PMC\d+", v):
            raise ValueError(f"pmcid {v!r} must look like 'PMC1234567'")
        return v

    @field_validator("doi")
    @classmethod
    def _check_doi(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"10\.\d{4,9}/\S+", v):
            raise ValueError(f"doi {v!r} must be a bare DOI like '10.1234/abc' (no URL prefix)")
        return v

    @field_validator("authors", "tissues")
    @classmethod
    def _no_blank_items(cls, v: list[str]) -> list[str]:
        if any(not s.strip() for s in v):
            raise ValueError("list items must not be empty")
        return v

    @field_validator("read_from")
    @classmethod
    def _check_urls(cls, v: list[str]) -> list[str]:
        for url in v:
            _check_url(url)
        return v

    @field_validator("url")
    @classmethod
    def _check_article_url(cls, v: str | None) -> str | None:
        return None if v is None else _check_url(v)

    @field_validator("title")
    @classmethod
    def _real_title(cls, v: str) -> str:
        if _PLACEHOLDER_TITLE_RE.search(v):
            raise ValueError(f"title {v!r} is a placeholder; write the paper's own title (English rendering "
                             "in 'title', original-language title in 'title_original')")
        return v

    @field_validator("caveats", "full_text_only")
    @classmethod
    def _no_blank_remarks(cls, v: list[str]) -> list[str]:
        if any(not s.strip() for s in v):
            raise ValueError("list items must not be empty")
        return v

    @model_validator(mode="after")
    def _identified(self) -> NoteFrontMatter:
        if not self.identifiers:
            raise ValueError("the note has no identifier: give 'doi', 'pmid' or 'pmcid', or for a paper that has "
                             "none, 'url' (the journal's stable article URL)")
        return self

    @property
    def identifiers(self) -> dict[str, str]:
        """The resolvable identifiers the note carries (doi, pmid, pmcid, url), in that order of preference."""
        return {k: v for k, v in (("doi", self.doi), ("pmid", self.pmid), ("pmcid", self.pmcid),
                                  ("url", self.url)) if v}


def _check_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"{url!r} is not an http(s) URL")
    return url


def commentary_in(body: str) -> list[str]:
    """Lines of ``body`` that read as commentary (see :data:`COMMENTARY_PATTERNS`), not findings."""
    return [ln.strip() for ln in body.splitlines() if _COMMENTARY_RE.search(ln)]


def body_word_count(body: str) -> int:
    """Words of the note body, not counting '#' heading lines."""
    lines = [ln for ln in body.splitlines() if not ln.lstrip().startswith("#")]
    return len(re.findall(r"\S+", "\n".join(lines)))


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(front matter)"


def parse_note(text: str, name: str, stem: str | None = None) -> tuple[NoteFrontMatter, str]:
    """Parse and validate a note's text; ``name`` is used in error messages, ``stem`` checks ``id``."""
    m = _FRONT_RE.match(text.lstrip("\ufeff"))
    if not m:
        raise CorpusError(f"{name}: no YAML front matter: the file must start with a '---' line and the "
                          f"front matter must end with another '---' line")
    try:
        data = load_yaml(m.group(1))
    except yaml.YAMLError as exc:
        raise CorpusError(f"{name}: front matter is not valid YAML ({exc}); fix the syntax") from exc
    if not isinstance(data, dict):
        raise CorpusError(f"{name}: front matter must be a YAML mapping of fields")
    try:
        front = NoteFrontMatter.model_validate(data, context={"stem": stem})
    except ValidationError as exc:
        problems = "; ".join(f"field '{_field_path(e['loc'])}': {e['msg']}" for e in exc.errors())
        raise CorpusError(f"{name}: invalid front matter: {problems}. Fix these fields "
                          f"(format: notes/digest_format.md)") from exc
    body = m.group(2).strip()
    remarks = commentary_in(body)
    if remarks:
        raise CorpusError(f"{name}: field 'body': commentary in the findings ({remarks[0][:80]!r}); move remarks "
                          f"on what the source does not say or how it links to the review to 'caveats'")
    words = body_word_count(body)
    if not MIN_BODY_WORDS <= words <= MAX_BODY_WORDS:
        raise CorpusError(f"{name}: field 'body': {words} words; the note body must have "
                          f"{MIN_BODY_WORDS}-{MAX_BODY_WORDS} words")
    return front, body


def load_note(path: str | Path) -> tuple[NoteFrontMatter, str]:
    """Read one evidence note; raise CorpusError naming the file and the offending field."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{p.name}: cannot read the note as UTF-8 text ({exc})") from exc
    return parse_note(text, p.name, stem=p.stem)


def load_notes(directory: str | Path) -> list[tuple[NoteFrontMatter, str]]:
    """Load every ``*.md`` note in ``directory`` (sorted by name); ids must be unique."""
    d = Path(directory)
    if not d.is_dir():
        raise CorpusError(f"{d}: evidence-note folder not found; create it or point to corpus/digest")
    notes: list[tuple[NoteFrontMatter, str]] = []
    seen: dict[str, str] = {}
    for path in sorted(d.glob("*.md")):
        front, body = load_note(path)
        if front.id in seen:
            raise CorpusError(f"{path.name}: field 'id': {front.id!r} is already used by {seen[front.id]}")
        seen[front.id] = path.name
        notes.append((front, body))
    return notes
