"""Sentences of prose with their character offsets: shared by the index (sentence vectors) and the answer layer
(evidence selection, citation checking).

Lines (bullets, numbered items) are split first; decimals ("1.5 mA"), initials and common abbreviations
("et al.", "e.g.", "Fig.") do not end a sentence; citation markers that trail a sentence stay with it.
"""

from __future__ import annotations

import re

_ABBREV = {"e.g", "i.e", "al", "fig", "figs", "vs", "approx", "ca", "cf", "no", "ref", "refs", "dr", "sp", "spp",
           "resp", "eq", "mr", "ms", "st", "vol", "pp", "ed", "eds", "jr", "inc", "etc", "mol", "conc"}
_BOUNDARY = re.compile(r"([.!?])([\"\u201d')\]]?)((?:\s*\[[^\[\]\n]{1,24}\])*)(\s+)"
                       r"(?=[A-Z0-9\"\u201c(\[]|[a-z]{1,3}[A-Z])")  # next sentence: capital, digit, or rTMS-like
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d{1,2}[.)])\s+")
MIN_EVIDENCE_CHARS = 20
"""Shorter sentences ("Results.", a heading) are neither stored with a vector nor chosen as evidence."""

_MARKER = re.compile(r"\[[^\[\]\n]{1,24}\]")


def _is_abbreviation(text_before: str) -> bool:
    word = re.split(r"[\s(\[]", text_before)[-1].lower()
    if not word:
        return False
    if word in _ABBREV or word.rstrip(".") in _ABBREV:
        return True
    if re.fullmatch(r"[a-z]", word):  # an initial: "Bai Y. W."
        return True
    return bool(re.fullmatch(r"(?:[a-z]\.-?)+[a-z]", word))  # "e.g", "i.e", "u.s"; initials "J.-P. Lefaucheur"


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
        if out and not _MARKER.sub("", piece).strip(" .,;"):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def sentence_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, sentence) for each sentence of ``text``; offsets index into ``text`` itself."""
    out: list[tuple[int, int, str]] = []
    pos = 0
    for sent in split_sentences(text):
        i = text.find(sent, pos)
        if i < 0:  # the splitter normalised something (bullets): locate by the first words
            i = text.find(sent[:20], pos)
        if i < 0:
            continue
        out.append((i, i + len(sent), sent))
        pos = i + len(sent)
    return out
