"""References in the formats reference managers import: RIS, BibTeX and CSL-JSON.

One ``Reference`` per paper (several cited passages of one paper are one entry), built from an Answer's
citations, a conversation's answers or the corpus manifest. Every entry carries DOI, PMID, PMCID and a URL when
known. RIS is written with ``rispy``, BibTeX with ``bibtexparser`` (which `corpus import` also reads them with).
Tag choices follow what Zotero, EndNote and Mendeley read: RIS ``DO`` (DOI), ``AN`` (PMID, EndNote's
accession number, as PubMed's own EndNote export uses it), ``C2`` (PMCID), ``UR``; BibTeX/biblatex ``doi``,
``pmid``, ``pmcid``, ``url`` (plus ``eprint``/``eprinttype = {pubmed}``); CSL-JSON ``DOI``, ``PMID``, ``PMCID``,
``URL``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import rispy  # type: ignore[import-untyped]
from bibtexparser.entrypoint import write_string
from bibtexparser.library import Library
from bibtexparser.model import Block, Entry, Field
from bibtexparser.writer import BibtexFormat

from assistant.errors import ConfigError

if TYPE_CHECKING:
    from assistant.answer.contracts import Answer
    from assistant.corpus.contracts import Bibliography
    from assistant.index.contracts import Passage

Format = Literal["ris", "bibtex", "csl-json"]
FORMATS: tuple[Format, ...] = ("ris", "bibtex", "csl-json")
EXTENSIONS: dict[str, str] = {"ris": "ris", "bibtex": "bib", "csl-json": "json"}
MEDIA_TYPES: dict[str, str] = {"ris": "application/x-research-info-systems", "bibtex": "application/x-bibtex",
                               "csl-json": "application/vnd.citationstyles.csl+json"}


def entry_url(doi: str | None, pmid: str | None, pmcid: str | None) -> str | None:
    """The paper's landing page: the DOI resolver first, then PubMed, then PubMed Central."""
    if doi:
        return f"https://doi.org/{doi}"
    if pmid:
        return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
    if pmcid:
        return f"https://pmc.ncbi.nlm.nih.gov/articles/{pmcid}/"
    return None


@dataclass
class Reference:
    """One paper's bibliographic record."""

    title: str = ""
    authors: list[str] = field(default_factory=list)  # 'Surname Initials' (the corpus's convention)
    year: int | None = None
    journal: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    key: str = ""
    note: str = ""

    @property
    def url(self) -> str | None:
        return entry_url(self.doi, self.pmid, self.pmcid)

    @classmethod
    def of(cls, bib: Bibliography | dict[str, Any], **extra: Any) -> Reference:
        """From a Bibliography/DocumentMeta or a manifest row (dict)."""
        d = bib if isinstance(bib, dict) else bib.model_dump()
        fields = ("title", "authors", "year", "journal", "volume", "issue", "pages", "doi", "pmid", "pmcid")
        vals: dict[str, Any] = {k: d.get(k) for k in fields if d.get(k) not in (None, "")}
        for k in ("volume", "issue", "pages", "pmid"):
            if k in vals:
                vals[k] = str(vals[k])
        return cls(**vals, **extra)


def split_name(name: str) -> tuple[str, str]:
    """'van der Berg JH' → ('van der Berg', 'JH'); a name without trailing initials is all family name."""
    parts = name.split()
    if len(parts) > 1 and re.fullmatch(r"[A-Z][A-Z-]{0,4}", parts[-1]):
        return " ".join(parts[:-1]), parts[-1]
    return name.strip(), ""


def _dotted(initials: str) -> str:
    """'JH' → 'J. H.'; 'J-P' → 'J.-P.'."""
    return " ".join(".-".join(p for p in chunk.split("-")) + "." for chunk in re.findall(r"[A-Z](?:-[A-Z])?",
                                                                                         initials))


# --- collecting ---------------------------------------------------------------------------------

def answer_references(answer: Answer) -> list[Reference]:
    """The papers an Answer cites, in the order of their first citation marker."""
    return collect([answer])


def collect(answers: Iterable[Answer | None]) -> list[Reference]:
    """The papers cited by several answers (a conversation), first citation first, one entry per paper."""
    seen: dict[str, Reference] = {}
    for a in answers:
        if a is None or not a.answerable:
            continue
        for c in sorted(a.citations, key=lambda c: c.n):
            d = c.passage.doc
            if d.paper_id not in seen:
                seen[d.paper_id] = Reference.of(d, note=study_note(c.passage))
    return with_keys(list(seen.values()))


def study_note(p: Passage) -> str:
    """What the paper's study record says of it, for an export's note field: 'Study: RCT · 149 patients'."""
    study = p.study
    if study is None or not (study.badge or study.kind):
        return ""
    kind = f" ({study.kind})" if study.kind and study.kind not in study.badge else ""
    return f"Study: {study.badge or study.kind}{kind}"


def corpus_references(rows: Sequence[dict[str, Any]]) -> list[Reference]:
    """The manifest's papers (``corpus_status`` rows); the manifest key is the citation key."""
    refs = []
    for r in rows:
        role = "the review this corpus is built on" if r.get("role") == "review" else (
            f"reference {r['ref_no']} of the review" if r.get("ref_no") else "")
        refs.append(Reference.of(r, key=str(r.get("key") or ""), note=role))
    return with_keys(refs)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def with_keys(refs: list[Reference]) -> list[Reference]:
    """Give each reference a unique citation key ('bai2023', 'bai2023a', ...), keeping keys already set."""
    used: set[str] = set()
    for r in refs:
        base = r.key or re.sub(r"[^a-z0-9]", "", _ascii(split_name(r.authors[0])[0] if r.authors else "").lower())
        if not r.key:
            base = (base or "anon") + str(r.year or "nd")
        key, n = base, 0
        while key in used:
            key = base + "abcdefghijklmnopqrstuvwxyz"[n % 26] * (n // 26 + 1)
            n += 1
        r.key = key
        used.add(key)
    return refs


# --- RIS ---------------------------------------------------------------------------------------

class _RisWriter(rispy.RisWriter):  # type: ignore[misc]  # rispy has no type hints
    """rispy's writer without its '1.', '2.' record-number lines, which are not RIS tags (EndNote shows them)."""

    def set_header(self, count: int) -> None:
        return None


def _one_line(value: object) -> str:
    return " ".join(str(value).split())  # one line per tag: no newlines inside a value


def to_ris(refs: Sequence[Reference]) -> str:
    records = []
    for r in refs:
        first, _, last = (r.pages or "").partition("-")
        fields: dict[str, Any] = {"type_of_reference": "JOUR" if r.journal else "GEN",
                                  "authors": [_one_line(_ris_author(a)) for a in r.authors]}
        pairs = [("title", r.title), ("secondary_title", r.journal), ("year", r.year), ("volume", r.volume),
                 ("number", r.issue), ("start_page", first.strip()), ("end_page", last.strip("- ")), ("doi", r.doi),
                 ("accession_number", r.pmid), ("custom2", r.pmcid), ("urls", r.url), ("id", r.key),
                 ("notes", r.note)]
        for key, value in pairs:
            if value not in (None, ""):
                fields[key] = [_one_line(value)] if key in ("urls", "notes") else _one_line(value)
        records.append({k: v for k, v in fields.items() if v != []})
    return str(rispy.dumps(records, implementation=_RisWriter))


def _ris_author(name: str) -> str:
    family, initials = split_name(name)
    return f"{family}, {_dotted(initials)}" if initials else family


# --- BibTeX -------------------------------------------------------------------------------------

_TEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&", "#": r"\#",
                "$": r"\$", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_TEX_RE = re.compile("|".join(re.escape(c) for c in _TEX_SPECIAL))


def tex_escape(text: str) -> str:
    """Escape LaTeX's special characters; other Unicode is kept (biber, Zotero and JabRef read UTF-8)."""
    return _TEX_RE.sub(lambda m: _TEX_SPECIAL[m.group(0)], " ".join(text.split()))


def _protect_case(title: str) -> str:
    """Brace words whose capitals must survive a style that lower-cases titles (IL-1β, rTMS, GFAP, Iba1)."""
    return " ".join("{" + w + "}" if re.search(r"[A-Z]", w[1:]) or (re.search(r"[A-Z]", w) and re.search(
        r"\d", w)) else w for w in title.split(" "))


def _bib_author(name: str) -> str:
    family, initials = split_name(name)
    if not initials:
        return "{" + tex_escape(family) + "}"  # a group or one-word name stays one family name
    return f"{tex_escape(family)}, {_dotted(initials)}"


def to_bibtex(refs: Sequence[Reference]) -> str:
    entries: list[Block] = []
    for r in refs:
        pages = re.sub(r"\s*-+\s*", "--", r.pages) if r.pages else None  # BibTeX's page-range dash
        text_fields = [("title", r.title), ("journal", r.journal), ("volume", r.volume), ("number", r.issue),
                       ("pages", pages), ("note", r.note)]
        rows = [("author", " and ".join(_bib_author(a) for a in r.authors))] if r.authors else []
        rows += [("year", str(r.year))] if r.year else []
        rows += [(k, _protect_case(tex_escape(v)) if k == "title" else tex_escape(v)) for k, v in text_fields if v]
        # identifiers and URLs are read verbatim (url/doi packages): only braces would break the entry
        verbatim = [("doi", r.doi), ("pmid", r.pmid), ("pmcid", r.pmcid), ("url", r.url)]
        rows += [(k, v.replace("{", "").replace("}", "")) for k, v in verbatim if v]
        if r.pmid:
            rows += [("eprint", r.pmid), ("eprinttype", "pubmed")]
        entries.append(Entry("article" if r.journal else "misc", r.key, [Field(k, v) for k, v in rows]))
    fmt = BibtexFormat()  # type: ignore[no-untyped-call]
    fmt.indent = "  "
    fmt.block_separator = "\n"
    return write_string(Library(entries), bibtex_format=fmt) if entries else ""


# --- CSL-JSON -----------------------------------------------------------------------------------

def _csl_author(name: str) -> dict[str, str]:
    family, initials = split_name(name)
    return {"family": family, "given": _dotted(initials)} if initials else {"literal": family}


def to_csl(refs: Sequence[Reference]) -> list[dict[str, Any]]:
    items = []
    for r in refs:
        item: dict[str, Any] = {"id": r.key, "type": "article-journal" if r.journal else "document",
                                "title": r.title, "author": [_csl_author(a) for a in r.authors]}
        if r.year:
            item["issued"] = {"date-parts": [[r.year]]}
        pairs = [("container-title", r.journal), ("volume", r.volume), ("issue", r.issue), ("page", r.pages),
                 ("DOI", r.doi), ("PMID", r.pmid), ("PMCID", r.pmcid), ("URL", r.url), ("note", r.note)]
        item.update({k: v for k, v in pairs if v})
        items.append(item)
    return items


def to_csl_json(refs: Sequence[Reference]) -> str:
    return json.dumps(to_csl(refs), indent=2, ensure_ascii=False) + "\n"


def render(refs: Sequence[Reference], fmt: str) -> str:
    """``refs`` in ``fmt`` (ris | bibtex | csl-json)."""
    if fmt == "ris":
        return to_ris(refs)
    if fmt == "bibtex":
        return to_bibtex(refs)
    if fmt == "csl-json":
        return to_csl_json(refs)
    raise ConfigError(f"unknown reference format {fmt!r}: use one of {', '.join(FORMATS)}.")
