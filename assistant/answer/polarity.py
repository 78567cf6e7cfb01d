"""Which way a sentence says named things moved: "rTMS lowers IL-1β and raises IL-10" → IL-1β down, IL-10 up.

Small models often flip a direction ("rTMS reduces IL-10") while every word of the claim still occurs in the
passage, which fools a term-overlap judge. A named thing (IL-10, TNF-α, BDNF, GFAP, 10 Hz…) takes the direction
word right after it ("IL-10 rose", "IL-10 levels were increased"), else the nearest one before it in the same
sentence ("raises IL-10 and BDNF"). A claim contradicts its evidence when the evidence gives a named thing only
the opposite direction. Numbers and stimulation settings (20 Hz, 11 days, 3000 pulses) name no quantity that
moves: "were raised; 20 Hz rTMS brought both down" says nothing about which way 20 Hz went.
"""

from __future__ import annotations

import re

from assistant.answer.citations import split_sentences
from assistant.answer.terms import DIRECTIONS, named_terms, terms
from assistant.biotext import fold_terms as fold

_FILLER = {"level", "levels", "expression", "expressions", "was", "were", "is", "are", "be", "been", "has", "have",
           "significantly", "markedly", "clearly", "also", "protein", "mrna", "concentration", "concentrations",
           "content", "release", "production", "both", "all", "strongly", "slightly", "further"}
_WORD = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*")


def _entries(sentence: str) -> list[tuple[str, list[str]]]:
    return [(w, terms(w)) for w in _WORD.findall(fold(sentence))]


_REVERSES = re.compile(r"\b(?:revers|prevent|normali[sz]|restor|counteract|abolish|attenuat|rescu)\w*", re.I)
_POINTS_BACK = re.compile(r"\b(?:it|them|these|those|this|that|such|both|each)\b", re.I)
_REVERSED_CHANGE = re.compile(r"\s+(?:the|this|that|an?|its|their)\s+(?:[\w-]+\s+)?(?:increase|rise|elevation|"
                              r"up-?regulation|reduction|decrease|loss|drop|fall|down-?regulation)s?\b"
                              r"(?:(?!\band\b|\bbut\b)[^;,.])*", re.I)


def _sentence_directions(sent: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    named = {t for t in named_terms(sent) if not t[:1].isdigit()}
    if not named:
        return out
    entries = _entries(sent)
    dirs = [next((DIRECTIONS[t] for t in ts if t in DIRECTIONS), None) for _, ts in entries]
    for i, (_, ts) in enumerate(entries):
        hits = [t for t in ts if t in named]
        if not hits:
            continue
        d = None
        for j in range(i + 1, len(entries)):  # "IL-10 levels were increased"
            if dirs[j]:
                d = dirs[j]
                break
            if entries[j][0] not in _FILLER:
                break
        if d is None:  # "raises IL-10 and BDNF"
            d = next((dirs[j] for j in range(i - 1, -1, -1) if dirs[j]), None)
        if d:
            for t in hits:
                out.setdefault(t, set()).add(d)
    return out


def directions(text: str) -> dict[str, set[str]]:
    """Named term → the directions ('up', 'down') the text gives it. A reversal ("injury raised GFAP; rTMS
    reversed it", "prevented the increase in GFAP", "… These changes were prevented by rTMS") gives the things it
    reverses — named before it or in the change it names, else in the sentence before when it points back — the
    other direction too."""
    out: dict[str, set[str]] = {}
    previous: dict[str, set[str]] = {}
    for sent in split_sentences(text) or [text]:
        mine = _sentence_directions(sent)
        rev = _REVERSES.search(sent)
        if rev:
            before = _sentence_directions(sent[:rev.start()])
            change = _REVERSED_CHANGE.match(sent, rev.end())  # "prevented the increase in GFAP"
            if change and not before:
                before = _sentence_directions(change.group(0))
            source = before or (previous if _POINTS_BACK.search(sent) else {})
            flipped = {t: {"up" if d == "down" else "down" for d in ds} for t, ds in source.items()}
            for t, ds in flipped.items():
                (mine if t in before else out).setdefault(t, set()).update(ds)
        for t, ds in mine.items():
            out.setdefault(t, set()).update(ds)
        previous = mine
    return out


def both_ways(text: str) -> bool:
    """Does ``text`` say that something went up and something down ("IL-18 rose after the injury and fell again
    with rTMS")? Which way rTMS moved each named thing is then not read reliably word by word."""
    return len({DIRECTIONS[t] for _, ts in _entries(text) for t in ts if t in DIRECTIONS}) > 1


def contradicts(claim: str, evidence: str) -> bool:
    """True when the evidence gives some named thing of the claim only the opposite direction."""
    said = directions(claim)
    if not said:
        return False
    found = directions(evidence)
    return any(t in found and not (d & found[t]) for t, d in said.items())
