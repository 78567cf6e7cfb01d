"""Markdown / plain-text reader, with optional YAML front matter (the evidence-note format).

A file whose front matter has an ``id`` is an evidence note (kind "evidence-note", doc_id part = the id);
anything else is kind "text". The whole front matter goes to ``Document.extra`` (dates as ISO strings).
The body is split on ATX headings (``#`` … ``######``, not inside code fences) into Sections titled with
their heading path ("Methods > Animals"); a single level-1 heading is the document's title, not a path
step. Text before the first heading gets the note's ``topic`` (or "Evidence note"; "" for plain text).
Paragraphs are separated by blank lines; every list item is its own paragraph.
In an evidence note only findings are indexed: the front matter's ``caveats`` (and a body section headed
"Caveats" or "Provenance", whose paragraphs are added to them) travel in ``Document.extra["caveats"]``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

from assistant.corpus.contracts import Document, Section
from assistant.corpus.readers.common import (
    clean_doi,
    clean_inline,
    finish_document,
    join_paragraphs,
    normalise_pmcid,
    parse_year,
    reader_error,
)
from assistant.safetext import load_yaml

__all__ = ["read_markdown", "split_front_matter"]

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)")
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]+")
_FM_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$")
_CAVEAT_HEADINGS = {"caveats", "caveat", "provenance"}


def read_markdown(path: Path) -> Document:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise reader_error(path, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                           "re-save it as UTF-8, e.g. `iconv -f latin1 -t utf-8 IN > OUT`") from None
    front, body = split_front_matter(text.replace("\r\n", "\n").replace("\r", "\n"), path)

    is_note = front.get("id") not in (None, "")
    headings, blocks = _blocks(body)
    doc_title_h1 = headings[0][1] if [lvl for lvl, _ in headings].count(1) == 1 and headings[0][0] == 1 else None
    lead_title = (clean_inline(str(front.get("topic") or "")) or "Evidence note") if is_note else ""
    sections = []
    caveats: list[str] = []
    for path_titles, lines in blocks:
        if doc_title_h1 is not None and path_titles[:1] == [doc_title_h1]:
            path_titles = path_titles[1:]
        if is_note and path_titles and path_titles[-1].casefold() in _CAVEAT_HEADINGS:
            caveats += [clean_inline(_LIST_ITEM.sub("", p)) for p in _paragraphs(lines)]
            continue
        text_ = join_paragraphs(_paragraphs(lines))
        if text_:
            sections.append(Section(title=" > ".join(t for t in path_titles if t) or lead_title, text=text_))
    if not sections:
        raise reader_error(path, "no text (empty body)", "write the note's body below its front matter or remove it")

    if is_note:
        front["caveats"] = [clean_inline(str(c)) for c in (front.get("caveats") or []) if c] + caveats
    title = clean_inline(str(front.get("title") or "")) or doc_title_h1 or _first_line(body)
    return finish_document(
        path=path, data=data, kind="evidence-note" if is_note else "text", sections=sections,
        part=clean_inline(str(front["id"])) if is_note else None,
        title=title, authors=_authors(front.get("authors"), path), year=parse_year(front.get("year")),
        journal=_str(front.get("journal")), doi=clean_doi(_str(front.get("doi"))), pmid=_str(front.get("pmid")),
        pmcid=normalise_pmcid(_str(front.get("pmcid"))), license=_str(front.get("license")),
        role=_str(front.get("role")), extra=_jsonable(front),
    )


def split_front_matter(text: str, path: Path | str = "<text>") -> tuple[dict[str, Any], str]:
    """(front matter dict, body). No front matter gives ({}, text); bad YAML raises ReaderError."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return {}, text
    end = next((i for i in range(1, len(lines)) if _FM_END.match(lines[i])), None)
    if end is None:
        raise reader_error(path, "YAML front matter opened with '---' but never closed",
                           "add a closing '---' line after the front matter")
    try:
        front = load_yaml("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 2}" if where is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise reader_error(path, f"invalid YAML front matter{at} ({problem})",
                           "fix the YAML (quote values containing ':' or '#')") from None
    if front is None:
        front = {}
    if not isinstance(front, dict):
        raise reader_error(path, f"front matter is a {type(front).__name__}, not a mapping",
                           "write it as 'key: value' lines")
    return {str(k): v for k, v in front.items()}, "\n".join(lines[end + 1:])


def _blocks(body: str) -> tuple[list[tuple[int, str]], list[tuple[list[str], list[str]]]]:
    """Headings found, and (heading path, lines) blocks in order; code fences are never split."""
    headings: list[tuple[int, str]] = []
    stack: list[tuple[int, str]] = []
    blocks: list[tuple[list[str], list[str]]] = [([], [])]
    fenced = False
    for line in body.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
        m = None if fenced else _HEADING.match(line)
        if m:
            level, title = len(m.group(1)), clean_inline(m.group(2))
            headings.append((level, title))
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
            blocks.append(([t for _, t in stack], []))
        else:
            blocks[-1][1].append(line)
    return headings, blocks


def _paragraphs(lines: list[str]) -> list[str]:
    """Blank-line separated paragraphs; a list item starts a new paragraph."""
    paras: list[list[str]] = [[]]
    for line in lines:
        if not line.strip():
            paras.append([])
        elif _LIST_ITEM.match(line) and paras[-1]:
            paras.append([line])
        else:
            paras[-1].append(line)
    return [" ".join(p) for p in paras if p]


def _first_line(body: str) -> str:
    for line in body.split("\n"):
        if t := clean_inline(line.lstrip("#")):
            return t[:200]
    return ""


def _str(value: Any) -> str | None:
    if value is None:
        return None
    return clean_inline(str(value)) or None


def _authors(value: Any, path: Path) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [v for v in re.split(r"\s*;\s*", value) if v]
    if not isinstance(value, list):
        raise reader_error(path, f"'authors' must be a list of 'Surname Initials' strings, not {type(value).__name__}",
                           'write authors: ["Bai YW", "Yang QH"]')
    return [clean_inline(str(a)) for a in value if a is not None and clean_inline(str(a))]


def _jsonable(value: Any) -> Any:
    """Front matter as JSON-safe data: dates -> ISO strings, sets -> sorted lists, other scalars -> str."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
