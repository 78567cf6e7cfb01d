"""Provenance sentences: who wrote a paper, where and in which journal — evidence only when that is asked.

A note or abstract says where a paper comes from ("Nanjing group; BMC Neuroscience 23:49, published 4 August
2022", "Review by … (Shanghai University of Sport) on …"). Such a sentence shares the words a user describes the
paper by ("the BMC Neurosci paper", "the Egyptian study"), so it outscored the findings it was asked about and
became the answer. It identifies the paper; it answers only a question about the paper's origin.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

PROVENANCE_WEIGHT = 0.3
"""A provenance sentence's score factor when the question does not ask where the paper comes from."""

# "(Lefaucheur et al., Clin Neurophysiol 131:474–528)": the source of a claim the sentence makes
_CITATION = re.compile(r"\([^()]*\bet al\b[^()]*\)")
_LOCATOR = re.compile(r"\b\d{1,4}\s*\(\d{1,3}\)\s*:\s*\d{1,5}|\b[Vv]olume \d+|\b[Pp]ages? \d+\s*[–-]\s*\d+"
                      r"|\b[A-Z][\w.]*(?: [A-Z][\w.]*)* \d{1,4}:\d{1,5}\b|\bpublished (?:in|on) ", )
_INSTITUTION = re.compile(r"\b(?:Universit(?:y|ies|é|à|ät)|Hospital|Inserm|Institute|College|Faculty|Department|"
                          r"(?<!\d )[A-Z][\w-]+ group)\b")
_AUTHORED = re.compile(r"^(?:[\w-]+ ){0,3}(?:review|guideline|study|article|survey|map)? ?(?:by|from) [A-Z]", re.I)
_ASKS_ORIGIN = re.compile(r"\b(?:journal|publish\w*|publication|universit\w*|institut\w*|affiliat\w*|hospital|"
                          r"authors?|wrote|written|country|countries|where (?:was|were|did) (?:it|they|the \w+) "
                          r"(?:done|conducted|carried out|run|based))\b", re.I)


def is_provenance(sentence: str) -> bool:
    """Does the sentence say where a paper comes from (its journal and pages, its authors' institution) rather
    than what it did or found? An institution counts when the sentence opens with it or with "review by …"."""
    text = _CITATION.sub(" ", sentence)
    if _LOCATOR.search(text):
        return True
    return bool(_INSTITUTION.search(" ".join(text.split()[:8])) or _AUTHORED.match(text)
                and _INSTITUTION.search(text))


def asks_origin(question: str) -> bool:
    """Does the question ask where a paper comes from (journal, authors, institution, country)?"""
    return bool(_ASKS_ORIGIN.search(question))


class _Scored(Protocol):
    text: str
    score: float


def demote_origin_lines(question: str, sentences: Iterable[_Scored]) -> None:
    """Weigh the candidate ``sentences`` that say where a paper comes from by PROVENANCE_WEIGHT, unless the question
    asks that: "the BMC Neurosci paper" names the paper, and its journal line is no finding. The one rule for the
    evidence selection and the extractive answer (each scores its own candidates)."""
    if asks_origin(question):
        return
    for s in sentences:
        if is_provenance(s.text):
            s.score *= PROVENANCE_WEIGHT
