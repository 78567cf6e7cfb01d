"""Citation markers and sentences: parse, validate, render.

Markers are ``[n]`` (also accepted from LLMs: ``[1, 2]``, ``[1-3]``, ``[Passage 2]``); the canonical form written
back into answers is one bracket per passage, ``[1][3]``.
"""

from __future__ import annotations

import re

from assistant.answer.contracts import REFUSAL
from assistant.corpus.sentences import split_sentences as split_sentences  # re-exported: the answer layer splits here
from assistant.index.contracts import Passage

MARKER_RE = re.compile(
    r"\[\s*(?:(?:passages?|sources?|refs?|p)\s*)?"
    r"(\d{1,3}(?:\s*(?:,|;|-|\u2013|and)\s*(?:(?:passages?|p)\s*)?\d{1,3})*)\s*\]",
    re.IGNORECASE,
)


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


def source_label(first_author: object, year: object, title: object, section: object) -> str:
    """"Bai 2023. Title. Section": where a passage comes from, as a citation shows it beside the text. The
    engine's citation check and the evaluation's citation judges both read a passage with this label first."""
    who = " ".join(str(x) for x in (first_author, year) if x)
    return ". ".join(str(x) for x in (who, title, section) if x)


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
