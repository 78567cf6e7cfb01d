"""A yes/no question about a treatment the corpus never mentions: "Does low-level laser therapy reduce IL-6 after
sciatic nerve injury?", "Is transcutaneous vagus nerve stimulation better than rTMS?". Its subject (the words
between the opening verb and what is claimed of it) names a treatment ("… therapy", "… stimulation",
"electroacupuncture") with a word no document has; the passages found are about rTMS, and an answer from them
would answer another question ("rTMS lowers IL-6"). Only a treatment is judged: a question's other words may be
phrased otherwise than its abstract (PubMedQA's "underprescribe", "myringotomy": 5 % of its questions).

A subject that names the corpus's own topic (rTMS, TMS), a study (a year, "study", "review") or a number is not
judged: "Did Hu et al. 2022 and Toledo et al. 2021 agree …" is about studies the corpus holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from assistant.answer.terms import QUESTION_OPENERS, STUDY_NOUNS, TOPIC_TERMS, terms, unknown_terms

_OPENERS = frozenset(QUESTION_OPENERS["whether"].split())
_SKIPPED = frozenset(["the", "a", "an", "any", "this", "that", "these", "those"])
_PREDICATE = re.compile(
    r"^(?:reduc|lower|rais|increas|decreas|improv|reliev|help|work|beat|affect|chang|alter|suppress|inhibit|"
    r"better|worse|more|less|show|have|has|had|caus|modulat|lead|produc|target|use|used|revers|prevent|protect|"
    r"act|benefit|outperform|superior|effective|safe|associat|link|correlat|differ|rate|give|gave|find|found|"
    r"report|measur|still|also|actually|really|significant|work)", re.I)
"""Words that begin what is claimed of the subject (a verb or a comparison): the subject ends before the first."""
_PREPOSITIONS = frozenset(["to", "in", "of", "for", "with", "after", "on", "at", "by", "from", "than", "during"])
"""A subject's noun phrase ends before a preposition ("tuberculosis patients adherent | to prescribed treatments")."""
MIN_LETTERS = 4
_TREATMENT = re.compile(r"(?:therap(?:y|ies)|stimulation|acupuncture|treatments?|surgery|training|exercises?|"
                        r"injections?|devices?)$", re.I)
"""The head nouns of a treatment's name; the subject up to the first of them names the treatment."""


def subject_words(question: str) -> list[str]:
    """The words of a yes/no question's subject ("low-level laser therapy" of "Does low-level laser therapy reduce
    IL-6 …?"); none for a question that does not open with an auxiliary verb."""
    ws = re.findall(r"[A-Za-z0-9][\w\-]*", question)
    if not ws or ws[0].lower() not in _OPENERS:
        return []
    out: list[str] = []
    for w in ws[1:]:
        if _PREDICATE.match(w) or w.lower() in _PREPOSITIONS:
            break
        if out or w.lower() not in _SKIPPED:  # a leading "the", "any" … is no part of the name
            out.append(w)
    return out


def foreign_subject(question: str, vocabulary: Callable[[], Collection[str] | None]) -> set[str]:
    """The terms of the treatment the subject names that occur nowhere in the corpus (``vocabulary()``: its terms,
    read only for a question with such a subject), when it names neither the corpus's topic nor a study; empty
    otherwise."""
    words = subject_words(question)
    if not words:
        return set()
    head = next((i for i, w in enumerate(words) if _TREATMENT.search(w)), None)
    if head is None:
        return set()
    words = words[:head + 1]
    subject = terms(" ".join(words))
    if (TOPIC_TERMS & set(subject) or any(re.search(r"\d", w) for w in words)
            or {w.lower() for w in words} & STUDY_NOUNS):
        return set()
    known = vocabulary()
    if not known:
        return set()
    return {t for t in unknown_terms(" ".join(words), known) if t.isalpha() and len(t) >= MIN_LETTERS}
