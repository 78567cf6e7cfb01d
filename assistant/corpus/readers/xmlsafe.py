"""Safe XML parsing for the JATS and PubMed readers.

defusedxml refuses entity declarations (billion laughs, XXE) and never fetches external resources;
a DOCTYPE that only *names* an external DTD (as PMC and PubMed efetch output does) is allowed, because
expat does not load it. Namespaces are stripped from tag names so Europe PMC, PMC and namespaced JATS
variants look the same to the readers. Trees nested deeper than ``MAX_DEPTH`` elements are refused with a
ReaderError (real JATS and PubMed stay far below it), so the recursive readers never hit Python's recursion
limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from assistant.corpus.readers.common import clean_inline, reader_error

__all__ = ["MAX_DEPTH", "Element", "attr", "child", "children", "local", "parse_xml", "text_of", "tree_depth"]

MAX_DEPTH = 200
"""Deepest element nesting accepted (PMC articles with MathML stay below 60)."""


def parse_xml(data: bytes, path: Path | str) -> Element:
    """Parse ``data`` safely; every failure becomes a ReaderError naming ``path``."""
    if not data.strip():
        raise reader_error(path, "empty XML file", "re-download it or remove it from the corpus")
    try:
        root: Element = DET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except (EntitiesForbidden, ExternalReferenceForbidden, DTDForbidden) as exc:
        raise reader_error(path, f"unsafe XML refused ({type(exc).__name__}: entity declarations and external "
                                 "references are not allowed)",
                           "use the plain XML as served by PubMed / PMC / Europe PMC") from None
    except DefusedXmlException as exc:
        raise reader_error(path, f"unsafe XML refused ({type(exc).__name__})",
                           "use the plain XML as served by PubMed / PMC / Europe PMC") from None
    except ParseError as exc:
        raise reader_error(path, f"malformed XML ({exc})", "re-download the file or fix the markup") from None
    depth = tree_depth(root, MAX_DEPTH)
    if depth > MAX_DEPTH:
        raise reader_error(path, f"elements nested more than {MAX_DEPTH} levels deep",
                           "use the XML as served by PubMed / PMC / Europe PMC (this nesting is not real markup)")
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.rsplit("}", 1)[1]
    return root


def tree_depth(root: Element, stop_above: int) -> int:
    """Nesting depth of ``root``'s tree (without recursion), or the first depth found above ``stop_above``."""
    best = 0
    stack: list[tuple[Element, int]] = [(root, 1)]
    while stack:
        el, depth = stack.pop()
        if depth > best:
            best = depth
            if best > stop_above:
                return best
        stack.extend((c, depth + 1) for c in el)
    return best


def local(el: Element) -> str:
    """Tag name without namespace (comments and processing instructions give '')."""
    return el.tag if isinstance(el.tag, str) else ""


def attr(el: Element, name: str) -> str | None:
    """Attribute by local name, whatever its namespace ('href' finds 'xlink:href')."""
    if name in el.attrib:
        return el.attrib[name]
    for key, value in el.attrib.items():
        if key.rsplit("}", 1)[-1] == name:
            return value
    return None


def children(el: Element | None, *names: str) -> Iterator[Element]:
    """Direct children with one of the given local names (all element children when none given)."""
    if el is None:
        return
    for c in el:
        tag = local(c)
        if tag and (not names or tag in names):
            yield c


def child(el: Element | None, *path: str) -> Element | None:
    """Follow a path of direct-child local names; None as soon as a step is missing."""
    cur = el
    for name in path:
        cur = next(children(cur, name), None)
        if cur is None:
            return None
    return cur


def text_of(el: Element | None) -> str:
    """All text below ``el``, whitespace-collapsed ('' for None)."""
    return "" if el is None else clean_inline("".join(el.itertext()))
