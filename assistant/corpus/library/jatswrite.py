"""An entry without a PDF as a small JATS article (front matter and abstract only), the format the corpus readers
already read as kind "abstract" with its bibliography and identifiers."""

from __future__ import annotations

import re

from lxml import etree

from assistant.corpus.library.entries import LibraryEntry
from assistant.corpus.readers.common import split_paragraphs

_INITIALS = re.compile(r"[A-Z][A-Z-]{0,5}")
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(text: str) -> str:
    """Text without the characters XML 1.0 cannot hold (control characters from a damaged export)."""
    return _NOT_XML.sub("", text)


def _name(parent: etree._Element, author: str) -> None:
    contrib = etree.SubElement(parent, "contrib", {"contrib-type": "author"})
    surname, _, initials = author.rpartition(" ")
    if surname and _INITIALS.fullmatch(initials):
        name = etree.SubElement(contrib, "name")
        etree.SubElement(name, "surname").text = _x(surname)
        etree.SubElement(name, "given-names", {"initials": initials}).text = initials
    else:
        etree.SubElement(contrib, "collab").text = _x(author)


def abstract_jats(entry: LibraryEntry) -> bytes:
    """UTF-8 JATS bytes for ``entry`` (which must have an abstract); deterministic, so a re-import of an unchanged
    entry writes the same bytes and the index reuses the document."""
    article = etree.Element("article", {"article-type": "research-article"})
    front = etree.SubElement(article, "front")
    if entry.journal:
        jm = etree.SubElement(front, "journal-meta")
        etree.SubElement(etree.SubElement(jm, "journal-title-group"), "journal-title").text = _x(entry.journal)
    meta = etree.SubElement(front, "article-meta")
    for kind, value in (("doi", entry.doi), ("pmid", entry.pmid), ("pmc", entry.pmcid)):
        if value:
            etree.SubElement(meta, "article-id", {"pub-id-type": kind}).text = value
    etree.SubElement(etree.SubElement(meta, "title-group"), "article-title").text = _x(entry.title)
    if entry.authors:
        group = etree.SubElement(meta, "contrib-group")
        for a in entry.authors:
            _name(group, a)
    if entry.year:
        etree.SubElement(etree.SubElement(meta, "pub-date", {"pub-type": "epub"}), "year").text = str(entry.year)
    abstract = etree.SubElement(meta, "abstract")
    for para in split_paragraphs(entry.abstract or ""):
        etree.SubElement(abstract, "p").text = _x(para)
    return etree.tostring(article, xml_declaration=True, encoding="UTF-8", pretty_print=True)
