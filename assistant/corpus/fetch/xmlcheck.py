"""Safe XML parsing and the checks that decide whether a fetched XML is worth caching."""

from __future__ import annotations

from lxml import etree

from assistant.errors import FetchError


class MalformedResponse(FetchError):
    """A response that should be XML/JSON could not be parsed (not cached; the run goes on)."""


def parse_xml(data: bytes, what: str) -> etree._Element:
    """Parse without entity expansion, DTD loading or network access."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise MalformedResponse(f"malformed XML in {what}: {exc}") from None
    if root is None:
        raise MalformedResponse(f"empty XML in {what}")
    return root


def local(tag: object) -> str:
    """Tag name without namespace."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def text_of(el: etree._Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def jats_has_body(root: etree._Element, min_chars: int = 200) -> bool:
    """True when the JATS article has a ``<body>`` with real text (PMC returns front matter only for
    articles it may not redistribute)."""
    body = next((el for el in root.iter() if local(el.tag) == "body"), None)
    return body is not None and len(text_of(body)) >= min_chars


def jats_license(root: etree._Element) -> str | None:
    """Licence URL or type from ``permissions/license``."""
    for el in root.iter():
        if local(el.tag) != "license":
            continue
        for name, value in el.attrib.items():
            if local(name) == "href" and value:
                return value
        for child in el.iter():
            if local(child.tag) == "license_ref" and text_of(child):
                return text_of(child)
        return el.get("license-type") or None
    return None
