"""JATS XML reader (PMC efetch ``<pmc-articleset>`` and Europe PMC ``fullTextXML`` ``<article>``).

Sections, in document order: the abstract ("Abstract", or "Abstract > Label" for structured abstracts, with an
all-capitals label in title case: "Abstract > Results"), the body's nested ``<sec>`` as heading paths
("Results > Spinal cord"), and each figure / table right after the section that holds it ("Figure 2",
"Table 1": caption, then for tables their rows as "cell | cell" lines and footnotes). In-text citations keep
their visible text; their ``rid``s go to ``Section.cite_ids``, with ranges such as
``<xref rid="B3">3</xref>–<xref rid="B6">6</xref>`` expanded through the reference list. Only the top-level
article is read (``<sub-article>`` peer-review material is ignored), and ``<back>`` contributes only its
reference list.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.corpus.contracts import Document, Section
from assistant.corpus.readers.common import (
    clean_doi,
    clean_inline,
    find_doi,
    finish_document,
    join_paragraphs,
    label_title,
    normalise_pmcid,
    parse_year,
    reader_error,
    surname_initials,
)
from assistant.corpus.readers.xmlsafe import Element, attr, child, children, local, parse_xml, text_of

__all__ = ["is_jats_root", "read_jats", "read_jats_all", "jats_documents"]

log = logging.getLogger(__name__)

FLOAT_TAGS = {"fig", "fig-group", "table-wrap", "table-wrap-group"}
_SKIP_TAGS = {"tex-math", "graphic", "inline-graphic", "media", "supplementary-material", "object-id", "ref-list"}
_BLOCK_TAGS = {"p", "list", "list-item", "title", "label", "caption", "def", "def-item", "term", "td", "th",
               "tr", "disp-quote", "boxed-text", "statement", "sec", "disp-formula", "attrib", "break",
               "table", "thead", "tbody", "tfoot", "fn", "sec-meta", "speech", "verse-group", "verse-line"}
_DASHES = {"-", "–", "—", "‒", "‐", "‑"}
_CITATION_TAGS = ("element-citation", "mixed-citation", "citation", "nlm-citation")


def is_jats_root(root: Element) -> bool:
    return local(root) in {"article", "pmc-articleset"}


def read_jats(path: Path) -> Document:
    """The first (usually only) article of a JATS file."""
    return read_jats_all(path)[0]


def read_jats_all(path: Path) -> list[Document]:
    """Every top-level article of a JATS file (a ``<pmc-articleset>`` may hold several)."""
    data = path.read_bytes()
    return jats_documents(parse_xml(data, path), path, data)


def jats_documents(root: Element, path: Path, data: bytes) -> list[Document]:
    """Documents from an already parsed (safely) JATS tree; ``data`` are the file bytes for sha256."""
    if local(root) == "article":
        articles = [root]
    elif local(root) == "pmc-articleset":
        articles = list(children(root, "article"))
        if not articles:
            problem = text_of(child(root, "error")) or "no <article> element"
            raise reader_error(path, f"PMC article set without an article ({problem})",
                               "fetch the record again or use its PubMed abstract instead")
    else:
        raise reader_error(path, f"not JATS (root element <{local(root)}>)",
                           "give a PMC/Europe PMC full-text XML whose root is <article> or <pmc-articleset>")
    return [_article(a, path, data) for a in articles]


# --- inline text ----------------------------------------------------------------------------------------


@dataclass
class _Cites:
    """Citation ids met while reading one section, plus dash ranges between two ids."""

    ids: list[str] = field(default_factory=list)
    ranges: list[tuple[str, str]] = field(default_factory=list)

    def add(self, rids: list[str]) -> None:
        for r in rids:
            if r not in self.ids:
                self.ids.append(r)


def _inline(el: Element, cites: _Cites, floats: list[Element]) -> str:
    """Visible text of ``el``; bibr xref rids go to ``cites``, nested figures/tables to ``floats``."""
    parts: list[str] = []

    def walk(e: Element) -> None:
        if e.text:
            parts.append(e.text)
        prev_bibr: str | None = None
        for c in e:
            tag = local(c)
            if tag in FLOAT_TAGS:
                floats.append(c)
            elif tag and tag not in _SKIP_TAGS:
                if tag == "xref" and attr(c, "ref-type") == "bibr":
                    rids = (attr(c, "rid") or "").split()
                    if prev_bibr and rids:
                        cites.ranges.append((prev_bibr, rids[0]))
                    cites.add(rids)
                block = tag in _BLOCK_TAGS
                parts.append(" " if block else "")
                walk(c)
                parts.append(" " if block else "")
            # a bibr xref followed directly by a dash and another bibr xref is a citation range
            is_bibr = tag == "xref" and attr(c, "ref-type") == "bibr"
            between = (c.tail or "").strip()
            prev_bibr = None
            if is_bibr and between in _DASHES:
                bibr_rids = (attr(c, "rid") or "").split()
                prev_bibr = bibr_rids[-1] if bibr_rids else None
            if c.tail:
                parts.append(c.tail)

    walk(el)
    return clean_inline("".join(parts))


def _block_paragraphs(el: Element, cites: _Cites, floats: list[Element]) -> list[str]:
    """Paragraph strings for one block child of a section (a list gives one paragraph per item)."""
    if local(el) in {"list", "def-list"}:
        out: list[str] = []
        for item in children(el, "list-item", "def-item"):
            for c in children(item):
                if local(c) in {"list", "def-list"}:
                    out.extend(_block_paragraphs(c, cites, floats))
                elif local(c) != "label":
                    out.append(_inline(c, cites, floats))
        return [p for p in out if p]
    text = _inline(el, cites, floats)
    return [text] if text else []


# --- sections --------------------------------------------------------------------------------------------


@dataclass
class _Out:
    sections: list[Section] = field(default_factory=list)
    ranges: dict[int, list[tuple[str, str]]] = field(default_factory=dict)  # section index -> ranges
    figures: int = 0
    tables: int = 0
    seen_floats: set[int] = field(default_factory=set)

    def add(self, section: Section, cites: _Cites) -> None:
        if cites.ranges:
            self.ranges[len(self.sections)] = cites.ranges
        self.sections.append(section)


def _heading(sec: Element) -> str:
    return text_of(child(sec, "title")) or text_of(child(sec, "label"))


def _walk(container: Element, path: list[str], out: _Out, *, heading: bool = True, labels: bool = False) -> None:
    """Emit the container's own text as one Section, then its floats, then its sub-sections (recursively).
    ``labels``: headings are structured-abstract labels ('RESULTS' becomes 'Results')."""
    title = _heading(container) if heading else ""
    if labels:
        title = label_title(title)
    here = [*path, title] if title else list(path)
    cites, floats, paras = _Cites(), [], []
    for c in children(container):
        tag = local(c)
        if tag in {"title", "label", "sec", "sec-meta", "ref-list"} | _SKIP_TAGS:
            continue
        if tag in FLOAT_TAGS:
            floats.append(c)
        else:
            paras.extend(_block_paragraphs(c, cites, floats))
    if paras:
        out.add(Section(title=" > ".join(here), text=join_paragraphs(paras), cite_ids=cites.ids), cites)
    for f in floats:
        _emit_float(f, out)
    for sub in children(container, "sec"):
        _walk(sub, here, out, labels=labels)


def _float_label(el: Element, out: _Out, is_table: bool) -> str:
    label = text_of(child(el, "label"))
    if label.isupper():  # 'FIGURE 1A' -> 'Figure 1A'
        word, _, rest = label.partition(" ")
        label = f"{word.capitalize()} {rest}".strip()
    if is_table:
        out.tables += 1
        return label or f"Table {out.tables}"
    out.figures += 1
    return label or f"Figure {out.figures}"


def _emit_float(el: Element, out: _Out) -> None:
    if id(el) in out.seen_floats:
        return
    out.seen_floats.add(id(el))
    tag = local(el)
    if tag in {"fig-group", "table-wrap-group"}:
        for member in children(el, "fig", "table-wrap"):
            _emit_float(member, out)
        return
    is_table = tag == "table-wrap"
    title = _float_label(el, out, is_table)
    cites = _Cites()
    nested: list[Element] = []
    paras: list[str] = []
    caption = child(el, "caption")
    for c in children(caption):
        paras.extend(_block_paragraphs(c, cites, nested))
    if is_table:
        for table in el.iter("table"):
            for row in table.iter("tr"):
                cells = [_inline(cell, cites, nested) for cell in children(row, "td", "th")]
                if any(cells):
                    paras.append(" | ".join(cells))
        for foot in children(el, "table-wrap-foot"):
            paras.extend(_inline(c, cites, nested) for c in foot.iter("p"))
    text = join_paragraphs(paras)
    if text:
        out.add(Section(title=title, text=text, cite_ids=cites.ids), cites)


def _abstract_sections(meta: Element | None, out: _Out) -> None:
    abstracts = list(children(meta, "abstract"))
    if not abstracts:
        return
    primary = next((a for a in abstracts if not attr(a, "abstract-type")), abstracts[0])
    _walk(primary, ["Abstract"], out, heading=False, labels=True)


def _expand_ranges(out: _Out, ref_order: list[str]) -> None:
    """Add the ids between the ends of each citation range ('3–6' cites 4 and 5 too), section by section."""
    pos = {rid: i for i, rid in enumerate(ref_order)}
    for index, ranges in out.ranges.items():
        ids = out.sections[index].cite_ids
        for a, b in ranges:
            if a in pos and b in pos and pos[a] < pos[b] and a in ids:
                inner = [r for r in ref_order[pos[a] + 1:pos[b]] if r not in ids]
                i = ids.index(a) + 1
                ids[i:i] = inner


# --- metadata --------------------------------------------------------------------------------------------


def _person(name: Element) -> str:
    if local(name) == "string-name" and child(name, "surname") is None:
        return text_of(name)
    given = child(name, "given-names")
    return surname_initials(text_of(child(name, "surname")), text_of(given), attr(given, "initials") if
                            given is not None else None)


def _contrib_name(contrib: Element) -> str | None:
    alts = child(contrib, "name-alternatives")
    names = list(children(alts, "name")) if alts is not None else []
    name = next((n for n in names if attr(n, "name-style") in (None, "western")), names[0] if names else None)
    name = name if name is not None else child(contrib, "name")
    name = name if name is not None else child(contrib, "string-name")
    if name is not None:
        return _person(name) or None
    return text_of(child(contrib, "collab")) or None


def _authors(meta: Element | None) -> list[str]:
    out: list[str] = []
    for group in children(meta, "contrib-group"):
        for contrib in children(group, "contrib"):
            if attr(contrib, "contrib-type") not in (None, "author"):
                continue
            if (who := _contrib_name(contrib)) and who not in out:
                out.append(who)
    return out


def _year(meta: Element | None) -> int | None:
    def rank(d: Element) -> int:
        kind = attr(d, "pub-type") or attr(d, "date-type") or ""
        return {"ppub": 0, "epub-ppub": 0, "collection": 1, "epub": 2, "pub": 2}.get(kind, 3)

    dated = [(rank(d), parse_year(text_of(child(d, "year")))) for d in children(meta, "pub-date")]
    dated = [(r, y) for r, y in dated if y]
    return min(dated)[1] if dated else None


def _journal(front: Element | None) -> tuple[str | None, str | None]:
    """(abbreviation used as Document.journal, full title)."""
    jm = child(front, "journal-meta")
    ids = {attr(j, "journal-id-type"): text_of(j) for j in children(jm, "journal-id")}
    group = child(jm, "journal-title-group")
    full = text_of(child(group, "journal-title")) or text_of(child(jm, "journal-title")) or None
    abbrev = (ids.get("nlm-ta") or ids.get("iso-abbrev") or text_of(child(group, "abbrev-journal-title"))
              or full)
    return abbrev or None, full


_CC_RE = re.compile(r"creativecommons\.org/licenses/([a-z-]+)/(\d+(?:\.\d+)?)", re.IGNORECASE)
_CC0_RE = re.compile(r"creativecommons\.org/publicdomain/zero/(\d+(?:\.\d+)?)", re.IGNORECASE)
_CC_TEXT_RE = re.compile(r"\bCC[ -]?(BY(?:-NC)?(?:-ND|-SA)?|0)\b")


def license_label(url: str | None, text: str | None = None) -> str | None:
    """'https://creativecommons.org/licenses/by-nc/4.0/' -> 'CC BY-NC 4.0'; other URLs kept as they are."""
    if url:
        if m := _CC_RE.search(url):
            return f"CC {m.group(1).upper()} {m.group(2)}"
        if m := _CC0_RE.search(url):
            return f"CC0 {m.group(1)}"
        return url.strip()
    if text and (m := _CC_TEXT_RE.search(text)):
        return "CC0" if m.group(1) == "0" else f"CC {m.group(1)}"
    return None


def _license(meta: Element | None) -> str | None:
    perms = child(meta, "permissions")
    lic = child(perms, "license")
    url: str | None = text_of(child(perms, "license_ref"))
    if lic is not None:
        url = attr(lic, "href") or text_of(child(lic, "license_ref")) or url
        if not url:
            link = next((e for e in lic.iter("ext-link") if attr(e, "href")), None)
            url = attr(link, "href") if link is not None else None
    if lic is None and not url:
        return None
    text = text_of(lic) if lic is not None else ""
    return license_label(url or None, text) or (attr(lic, "license-type") if lic is not None else None)


def _reference(ref: Element) -> dict[str, Any]:
    cit = next((e for e in ref.iter() if local(e) in _CITATION_TAGS), None)
    entry: dict[str, Any] = {"id": attr(ref, "id"), "label": text_of(child(ref, "label")) or None}
    if cit is None:
        text = _inline(ref, _Cites(), [])
        entry.update(title=None, authors=[], year=parse_year(text), journal=None, doi=find_doi(text), pmid=None,
                     text=text)
        return entry
    groups = [g for g in children(cit, "person-group") if attr(g, "person-group-type") in (None, "author")]
    holders = groups or [cit]
    authors = [who for h in holders for n in children(h, "name", "string-name", "collab")
               if (who := (text_of(n) if local(n) == "collab" else _person(n)))]
    ids = {attr(p, "pub-id-type"): text_of(p) for p in children(cit, "pub-id")}
    raw = _inline(cit, _Cites(), [])
    doi = ids.get("doi")
    if not doi:
        link = next((attr(e, "href") for e in cit.iter("ext-link") if "doi.org/" in (attr(e, "href") or "")), None)
        doi = find_doi(link) or find_doi(raw)
    title = text_of(child(cit, "article-title")) or text_of(child(cit, "chapter-title"))
    source = text_of(child(cit, "source")) or None
    if not title and attr(cit, "publication-type") == "book":
        title, source = source or "", None
    year = parse_year(text_of(child(cit, "year")))
    text = raw
    if local(cit) in {"element-citation", "nlm-citation"}:  # no punctuation between the parts: compose a line
        text = ". ".join(x for x in (", ".join(authors), title, " ".join(str(v) for v in (source, year) if v)) if x)
        text = f"{text}." if text else raw
    entry.update(title=title or None, authors=authors, year=year, journal=source, doi=clean_doi(doi),
                 pmid=ids.get("pmid") or None, text=text)
    return entry


def _article(article: Element, path: Path, data: bytes) -> Document:
    front = child(article, "front")
    meta = child(front, "article-meta")
    if meta is None:
        raise reader_error(path, "JATS article without <front>/<article-meta>",
                           "give the complete article XML (PMC efetch or Europe PMC fullTextXML)")
    ids: dict[str, str] = {}
    for a in children(meta, "article-id"):
        kind = (attr(a, "pub-id-type") or "").lower()
        ids.setdefault("pmc" if kind == "pmcid" else kind, text_of(a))
    group = child(meta, "title-group")
    title_el = child(group, "article-title")
    title = _inline(title_el, _Cites(), []) if title_el is not None else ""
    if subtitle := text_of(child(group, "subtitle")):
        title = f"{title}: {subtitle}" if title else subtitle
    journal, journal_title = _journal(front)

    out = _Out()
    _abstract_sections(meta, out)
    n_abstract = len(out.sections)
    body = child(article, "body")
    if body is not None:
        _walk(body, [], out, heading=False)
    for f in children(child(article, "floats-group")):
        if local(f) in FLOAT_TAGS:
            _emit_float(f, out)
    has_body = len(out.sections) > n_abstract and body is not None
    if not out.sections:
        raise reader_error(path, "no abstract or body text in the JATS article",
                           "fetch the full text again or use the PubMed abstract")

    back = child(article, "back")
    references = [_reference(r) for r in back.iter("ref")] if back is not None else []
    _expand_ranges(out, [r["id"] for r in references if r.get("id")])

    keywords = [text_of(k) for g in children(meta, "kwd-group") for k in children(g, "kwd") if text_of(k)]
    extra = {k: v for k, v in {
        "journal_title": journal_title,
        "article_type": attr(article, "article-type"),
        "volume": text_of(child(meta, "volume")) or None,
        "elocation_id": text_of(child(meta, "elocation-id")) or text_of(child(meta, "fpage")) or None,
        "keywords": keywords or None,
    }.items() if v}
    return finish_document(
        path=path, data=data, kind="full-text" if has_body else "abstract", sections=out.sections,
        title=title, authors=_authors(meta), year=_year(meta), journal=journal,
        doi=clean_doi(ids.get("doi")), pmid=clean_inline(ids.get("pmid")) or None,
        pmcid=normalise_pmcid(ids.get("pmc")), license=_license(meta), references=references, extra=extra,
    )
