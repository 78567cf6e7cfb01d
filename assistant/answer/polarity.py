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
from assistant.answer.terms import named_terms, terms
from assistant.biotext import fold_terms as fold

DIRECTIONS = {"reduc": "down", "increas": "up"}
_FILLER = {"level", "levels", "expression", "expressions", "was", "were", "is", "are", "be", "been", "has", "have",
           "significantly", "markedly", "clearly", "also", "protein", "mrna", "concentration", "concentrations",
           "content", "release", "production", "both", "all", "strongly", "slightly", "further"}
_WORD = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*")


def _entries(sentence: str) -> list[tuple[str, list[str]]]:
    return [(w, terms(w)) for w in _WORD.findall(fold(sentence))]


def directions(text: str) -> dict[str, set[str]]:
    """Named term → the directions ('up', 'down') the text gives it."""
    out: dict[str, set[str]] = {}
    for sent in split_sentences(text) or [text]:
        named = {t for t in named_terms(sent) if not t[:1].isdigit()}
        if not named:
            continue
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


def contradicts(claim: str, evidence: str) -> bool:
    """True when the evidence gives some named thing of the claim only the opposite direction."""
    said = directions(claim)
    if not said:
        return False
    found = directions(evidence)
    return any(t in found and not (d & found[t]) for t, d in said.items())
