"""Abbreviations a text defines ("number needed to treat (NNT)"), so that a sentence written with one meets a
question written with the other.

An abstract defines an abbreviation once and then uses it: "… pooled the number needed to treat (NNT) …", later
"Combined NNTs: … pregabalin 7.7". A question asking for "the number needed to treat for pregabalin" shares only
"pregabalin" with the sentence that answers it. Definitions are read the way Schwartz and Hearst (2003) read them:
a short form in parentheses after its long form, whose first word starts with the short form's first letter and
which holds the short form's letters in order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.answer.terms import term_set

_DEFINED = re.compile(r"\(\s*(?P<short>[A-Za-z][A-Za-z0-9\-]{1,9}?)(?:s)?\s*[);,]")
_WORD = re.compile(r"[A-Za-z0-9][\w\-]*")


@dataclass(frozen=True)
class Abbreviation:
    short: frozenset[str]
    long: frozenset[str]


def _long_form(before: str, short: str) -> str | None:
    """The fewest words just before the parenthesis that spell ``short`` (Schwartz-Hearst): the first word starts
    with its first letter and its letters occur in order."""
    letters = [c for c in short.lower() if c.isalnum()]
    if len(letters) < 2 or sum(c.isupper() for c in short) < 2:
        return None  # "(n", "(Hz": not an abbreviation of several words
    words = _WORD.findall(before)[-(len(letters) + 4):]
    for k in range(2, len(words) + 1):
        cand = words[-k:]
        if not cand[0].lower().startswith(letters[0]):
            continue
        text, i = " ".join(cand).lower(), 0
        for c in letters:
            i = text.find(c, i)
            if i < 0:
                break
            i += 1
        else:
            return " ".join(cand)
    return None


def defined_in(texts: Iterable[str]) -> tuple[Abbreviation, ...]:
    """The abbreviations ``texts`` define, as term sets (each once)."""
    found: dict[tuple[frozenset[str], frozenset[str]], Abbreviation] = {}
    for text in texts:
        for m in _DEFINED.finditer(text):
            long = _long_form(text[max(0, m.start() - 120):m.start()], m.group("short"))
            if long is None:
                continue
            short, long_terms = frozenset(term_set(m.group("short"))), frozenset(term_set(long))
            if short and len(long_terms) >= 2 and not short & long_terms:
                found.setdefault((short, long_terms), Abbreviation(short, long_terms))
    return tuple(found.values())


def with_both_forms(terms: set[str], abbreviations: Iterable[Abbreviation]) -> set[str]:
    """``terms`` plus, for each abbreviation whose one form they hold, the other form's terms."""
    out = set(terms)
    for a in abbreviations:
        if a.short <= terms or {t + "s" for t in a.short} <= terms:  # "NNTs"
            out |= a.long
        elif a.long <= terms:
            out |= a.short
    return out
