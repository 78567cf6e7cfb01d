"""Citation markers and sentences: parse, validate, render.

Markers are ``[n]`` (also accepted from LLMs: ``[1, 2]``, ``[1-3]``, ``[Passage 2]``); the canonical form written
back into answers is one bracket per passage, ``[1][3]``.
"""

from __future__ import annotations

import re

from assistant.answer.models import REFUSAL
from assistant.index.models import Passage

MARKER_RE = re.compile(
    r"\[\s*(?:(?:passages?|sources?|refs?|p)\s*)?"
    r"(\d{1,3}(?:\s*(?:,|;|-|\u2013|and)\s*(?:(?:passages?|p)\s*)?\d{1,3})*)\s*\]",
    re.IGNORECASE,
)
_ABBREV = {"e.g", "i.e", "al", "fig", "figs", "vs", "approx", "ca", "cf", "no", "ref", "refs", "dr", "sp", "spp",
           "resp", "eq", "mr", "ms", "st", "vol", "pp", "ed", "eds", "jr", "inc", "etc", "mol", "conc"}
_BOUNDARY = re.compile(r"([.!?])([\"\u201d')\]]?)((?:\s*\[[^\[\]\n]{1,24}\])*)(\s+)"
                       r"(?=[A-Z0-9\"\u201c(\[]|[a-z]{1,3}[A-Z])")  # next sentence: capital, digit, or rTMS-like
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d{1,2}[.)])\s+")


def _expand(group: str) -> list[int]:
    nums: list[int] = []
    for part in re.split(r"\s*(?:,|;|and)\s*", group):
        part = re.sub(r"(?i)(passages?|p)\s*", "", part).strip()
        if not part:
            continue
        if re.fullmatch(r"\d+\s*[-\u2013]\s*\d+", part):
            a, b = (int(x) for x in re.split(r"\s*[-\u2013]\s*", part))
            if 0 < b - a < 10:
                nums.extend(range(a, b + 1))
                continue
            nums.extend([a, b])
        elif part.isdigit():
            nums.append(int(part))
    return nums


def parse_markers(text: str) -> list[int]:
    """All marker numbers in order of first appearance (out-of-range ones included)."""
    seen: list[int] = []
    for m in MARKER_RE.finditer(text):
        for n in _expand(m.group(1)):
            if n not in seen:
                seen.append(n)
    return seen


def strip_markers(text: str) -> str:
    t = MARKER_RE.sub("", text)
    t = re.sub(r"\s+([.,;:!?])", r"\1", t)
    return re.sub(r"\s{2,}", " ", t).strip()


def format_markers(ns: list[int]) -> str:
    return "".join(f"[{n}]" for n in ns)


def clean_markers(sentence: str, k: int) -> tuple[str, list[int], list[int]]:
    """Rewrite every marker group in place to its in-range members; move markers that trail the final
    punctuation in front of it. Returns (sentence, kept markers, dropped markers)."""
    kept: list[int] = []
    dropped: list[int] = []

    def repl(m: re.Match[str]) -> str:
        ns = _expand(m.group(1))
        good = [n for n in ns if 1 <= n <= k]
        dropped.extend(n for n in ns if not 1 <= n <= k and n not in dropped)
        kept.extend(n for n in good if n not in kept)
        return format_markers(list(dict.fromkeys(good)))

    s = MARKER_RE.sub(repl, sentence)
    s = re.sub(r"\s+([.,;:!?])", r"\1", s)
    s = re.sub(r"\s{2,}", " ", s).strip()
    s = re.sub(r"([.!?])\s*((?:\[\d+\]\s*)+)[.!?]$", r"\1 \2", s)  # "Claim. [1]." → "Claim. [1]"
    trail = re.match(r"^(.*?)([.!?])\s*((?:\[\d+\]\s*)+)$", s, re.S)  # "Claim. [1]" → "Claim [1]."
    if trail:
        s = f"{trail.group(1).rstrip()} {trail.group(3).strip()}{trail.group(2)}"
    lead = re.match(r"^((?:\[\d+\]\s*)+)(\S.*)$", s, re.S)  # "[1] Claim." → "Claim [1]."
    if lead:
        s = add_markers(lead.group(2), [int(n) for n in re.findall(r"\d+", lead.group(1))])
    s = re.sub(r"([.!?])\s*[.!?]$", r"\1", s)  # markers all dropped: "Claim. ." → "Claim."
    # adjacent groups "[2][3] [1]" → "[1][2][3]"
    s = re.sub(r"\[\d+\](?:\s*\[\d+\])+",
               lambda m: format_markers(sorted({int(n) for n in re.findall(r"\d+", m.group(0))})), s)
    return s, kept, dropped


def add_markers(sentence: str, ns: list[int]) -> str:
    """Insert markers before the sentence's final punctuation."""
    s = sentence.rstrip()
    if s and s[-1] in ".!?":
        return f"{s[:-1].rstrip()} {format_markers(ns)}{s[-1]}"
    return f"{s} {format_markers(ns)}"


def _is_abbreviation(text_before: str) -> bool:
    word = re.split(r"[\s(\[]", text_before)[-1].lower()
    if not word:
        return False
    if word in _ABBREV or word.rstrip(".") in _ABBREV:
        return True
    if re.fullmatch(r"[a-z]", word):  # an initial: "Bai Y. W."
        return True
    return bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", word))  # "e.g", "i.e", "u.s"


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences, keeping markers that trail a sentence with that sentence.

    Lines (bullets, numbered items) are split first; decimals ("1.5 mA"), initials and common abbreviations
    ("et al.", "e.g.", "Fig.") do not end a sentence.
    """
    out: list[str] = []
    for line in text.splitlines():
        line = _BULLET.sub("", line).strip()
        if not line:
            continue
        start = 0
        for m in _BOUNDARY.finditer(line):
            if m.group(1) == "." and _is_abbreviation(line[start:m.start(1)]):
                continue
            end = m.end(3)
            piece = line[start:end].strip()
            if piece:
                out.append(piece)
            start = m.end(4)
        tail = line[start:].strip()
        if tail:
            out.append(tail)
    return _attach_marker_only(out)


def _attach_marker_only(pieces: list[str]) -> list[str]:
    """Markers standing alone ("Claim. [1][2]" split before them) belong to the sentence before."""
    out: list[str] = []
    for piece in pieces:
        if out and not strip_markers(piece).strip(" .,;"):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


_REFUSAL_CORE = re.compile(r"(?:corpus|passages?)\s+(?:do|does)\s+not\s+contain\s+enough\s+evidence", re.I)


def is_refusal(text: str) -> bool:
    """True when ``text`` is (essentially) the constant refusal phrase."""
    t = strip_markers(text).strip().strip('"').strip()
    if not t:
        return False
    if t.lower() == REFUSAL.lower() or t.lower().rstrip(".") == REFUSAL.lower().rstrip("."):
        return True
    return bool(_REFUSAL_CORE.search(t)) and len(t) <= len(REFUSAL) + 40


def _end(s: str) -> str:
    s = s.strip()
    return s if not s or s[-1] in ".?!" else s + "."


def location(p: Passage) -> str:
    parts = [p.chunk.section.strip()] if p.chunk.section.strip() else []
    if p.chunk.page is not None:
        parts.append(f"p. {p.chunk.page}")
    return ", ".join(parts)


def render_reference(n: int, p: Passage) -> str:
    """``n. First-author et al. Year. Title. Journal. doi:… / PMID … — section or page``"""
    d = p.doc
    pieces = [f"{n}.", _end(d.short_label())]
    if d.title:
        pieces.append(_end(d.title))
    if d.journal:
        pieces.append(_end(d.journal))
    ids = [f"doi:{d.doi}" if d.doi else "", f"PMID {d.pmid}" if d.pmid else ""]
    ids = [i for i in ids if i]
    if not ids and d.source:
        ids = [d.source]
    line = " ".join(pieces)
    if ids:
        line += " " + " / ".join(ids)
    loc = location(p)
    if d.kind == "evidence-note":
        loc = f"{loc} (evidence note)" if loc else "evidence note"
    return f"{line} \u2014 {loc}" if loc else line
