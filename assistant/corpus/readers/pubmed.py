"""PubMed XML reader (E-utilities efetch ``<PubmedArticleSet>``; a bare ``<PubmedArticle>`` also works).

Each record becomes one Document of kind "abstract". A structured abstract keeps its parts in order as
labelled Sections titled by the label in title case ("Background", "Materials and Methods", "Results"), so the
label is the passage's provenance, shown with a citation, and never words inside the evidence text; unlabelled
text (a plain abstract, or a part labelled "UNLABELLED") is a Section "Abstract". ``read_pubmed_all`` returns
every record that has abstract text (records without one are logged and skipped, because there is nothing to
cite); ``read_pubmed`` and the dispatcher's ``read_document`` return the first of them.
"""

from __future__ import annotations

import logging
from pathlib import Path

from assistant.corpus.contracts import Document, Section
from assistant.corpus.readers.common import (
    clean_doi,
    clean_inline,
    finish_document,
    join_paragraphs,
    label_title,
    normalise_pmcid,
    parse_year,
    reader_error,
    surname_initials,
)
from assistant.corpus.readers.xmlsafe import Element, attr, child, children, local, parse_xml, text_of

__all__ = ["is_pubmed_root", "pubmed_documents", "read_pubmed", "read_pubmed_all"]

log = logging.getLogger(__name__)


def is_pubmed_root(root: Element) -> bool:
    return local(root) in {"PubmedArticleSet", "PubmedArticle"}


def read_pubmed(path: Path) -> Document:
    """The first record with an abstract."""
    return read_pubmed_all(path)[0]


def read_pubmed_all(path: Path) -> list[Document]:
    """Every record with an abstract, in file order."""
    data = path.read_bytes()
    return pubmed_documents(parse_xml(data, path), path, data)


def pubmed_documents(root: Element, path: Path, data: bytes) -> list[Document]:
    """Documents from an already parsed (safely) PubMed tree; ``data`` are the file bytes for sha256."""
    if local(root) == "PubmedArticle":
        records = [root]
    elif local(root) == "PubmedArticleSet":
        records = list(children(root, "PubmedArticle"))
    else:
        raise reader_error(path, f"not PubMed XML (root element <{local(root)}>)",
                           "give an efetch result whose root is <PubmedArticleSet>")
    if not records:
        raise reader_error(path, "no <PubmedArticle> record (book records are not supported)",
                           "fetch the article record with efetch db=pubmed retmode=xml")
    docs: list[Document] = []
    skipped: list[str] = []
    for rec in records:
        doc = _record(rec, path, data)
        if doc.sections:
            docs.append(doc)
        else:
            skipped.append(doc.pmid or "?")
    if skipped and docs:
        log.warning("%s: skipped %d PubMed record(s) without an abstract (PMID %s)", path, len(skipped),
                    ", ".join(skipped))
    if not docs:
        raise reader_error(path, f"no abstract text (PMID {', '.join(skipped)})",
                           "add the paper's full text or PDF instead")
    return docs


def _abstract(article: Element | None) -> list[Section]:
    """One Section per labelled part (consecutive parts with the same label, or unlabelled, are merged)."""
    parts: list[tuple[str, list[str]]] = []
    for part in children(child(article, "Abstract"), "AbstractText"):
        text = clean_inline("".join(part.itertext()))
        if not text:
            continue
        title = label_title(attr(part, "Label")) or "Abstract"
        if parts and parts[-1][0] == title:
            parts[-1][1].append(text)
        else:
            parts.append((title, [text]))
    return [Section(title=title, text=join_paragraphs(paras)) for title, paras in parts]


def _authors(article: Element | None) -> list[str]:
    out = []
    for a in children(child(article, "AuthorList"), "Author"):
        if attr(a, "ValidYN") == "N":
            continue
        if collective := text_of(child(a, "CollectiveName")):
            out.append(collective)
        elif last := text_of(child(a, "LastName")):
            out.append(surname_initials(last, text_of(child(a, "ForeName")), text_of(child(a, "Initials")) or None))
    return out


def _year(article: Element | None, pubmed_data: Element | None) -> int | None:
    pub = child(article, "Journal", "JournalIssue", "PubDate")
    year = parse_year(text_of(child(pub, "Year"))) or parse_year(text_of(child(pub, "MedlineDate")))
    if year:
        return year
    year = parse_year(text_of(child(article, "ArticleDate", "Year")))
    if year:
        return year
    for d in children(child(pubmed_data, "History"), "PubMedPubDate"):
        if attr(d, "PubStatus") == "pubmed":
            return parse_year(text_of(child(d, "Year")))
    return None


def _title(article: Element | None) -> str:
    title = text_of(child(article, "ArticleTitle")) or text_of(child(article, "VernacularTitle"))
    return title[:-1] if title.endswith(".") and not title.endswith("..") else title


def _record(rec: Element, path: Path, data: bytes) -> Document:
    citation = child(rec, "MedlineCitation")
    article = child(citation, "Article")
    pubmed_data = child(rec, "PubmedData")
    # only the record's own id list: <ReferenceList> entries carry ArticleIdLists of the cited papers
    ids = {attr(a, "IdType"): text_of(a) for a in children(child(pubmed_data, "ArticleIdList"), "ArticleId")}
    doi = next((text_of(e) for e in children(article, "ELocationID")
                if attr(e, "EIdType") == "doi" and attr(e, "ValidYN") != "N"), None) or ids.get("doi")
    journal = child(article, "Journal")
    sections = _abstract(article)
    extra = {k: v for k, v in {
        "journal_title": text_of(child(journal, "Title")) or None,
        "publication_types": [text_of(t) for t in children(child(article, "PublicationTypeList"),
                                                             "PublicationType")] or None,
        "keywords": [text_of(k) for g in children(citation, "KeywordList") for k in children(g, "Keyword")] or None,
    }.items() if v}
    return finish_document(
        path=path, data=data, kind="abstract",
        sections=sections,
        title=_title(article), authors=_authors(article), year=_year(article, pubmed_data),
        journal=(text_of(child(journal, "ISOAbbreviation")) or text_of(child(journal, "Title"))
                 or text_of(child(citation, "MedlineJournalInfo", "MedlineTA")) or None),
        doi=clean_doi(doi), pmid=text_of(child(citation, "PMID")) or ids.get("pubmed") or None,
        pmcid=normalise_pmcid(ids.get("pmc")), extra=extra,
    )
