"""The ``extractive`` backend: no LLM. Picks the passage sentences that best cover the question and cites each.

Deterministic and fast. A sentence's score combines the IDF-weighted share of the query's key terms it contains
(rarer terms among the candidate sentences weigh more, as in the lexical judge) with the plain share of the
question that it and its passage cover, nudged by its passage's rank. When the best sentence covers too little of
the question (``extractive_min_coverage``), the answer is the refusal phrase.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from assistant.answer.citations import add_markers, split_sentences
from assistant.answer.contracts import REFUSAL
from assistant.answer.prompts import INJECTION_PLACEHOLDER
from assistant.answer.provenance import demote_origin_lines
from assistant.answer.terms import AMOUNT, named_terms, term_set
from assistant.vocab import Backend

MIN_SENTENCE_CHARS = 25
CONTEXT_WEIGHT = 0.35
NAMED_WEIGHT = 3.0
ANSWER_TYPE_WEIGHT = 0.3
ANSWER_TYPES = term_set("tissue frequency dose region area cell type model protocol target duration intensity "
                        "marker mechanism pathway outcome effect level site time session kind role "
                        "change affect modulate influence alter regulate act")  # named by instances or verbs


# a question asking for an amount is answered only by a sentence that states one ("What share of patients…",
# "By how much…", "How many sessions…"): a sentence on the topic without a number does not answer it
QUANTITY_QUESTION = re.compile(r"\b(?:how (?:much|many|long|often|big|large|high|strong)|by (?:roughly |about )?"
                               r"how much|what (?:share|proportion|percentage|fraction|number|dose|amount))\b", re.I)


@dataclass
class Candidate:
    n: int  # passage number, 1-based
    pos: int  # sentence position in the passage
    text: str
    terms: set[str]
    score: float = 0.0
    coverage: float = 0.0


def _candidates(texts: list[str]) -> list[Candidate]:
    out: list[Candidate] = []
    for n, text in enumerate(texts, 1):
        for pos, sent in enumerate(split_sentences(text)):
            if len(sent) < MIN_SENTENCE_CHARS or sent.startswith(INJECTION_PLACEHOLDER):  # what sanitize removed
                continue
            out.append(Candidate(n, pos, sent, term_set(sent)))
    return out


def _redundant(c: set[str], seen: set[str]) -> bool:
    """Most of the sentence's terms were already said (overlapping chunks, notes restating a paper)."""
    return bool(c) and len(c & seen) / len(c) > 0.7


class ExtractiveBackend:
    name: str = Backend.EXTRACTIVE
    model = ""

    def __init__(self, max_sentences: int = 3, min_coverage: float = 0.4, max_chars: int = 900) -> None:
        self.max_sentences = max_sentences
        self.min_coverage = min_coverage
        self.max_chars = max_chars

    def compose(self, query: str, texts: list[str], focus: str | None = None,
                labels: list[str] | None = None, only: list[str] | None = None) -> str:
        """Answer text with ``[n]`` markers (n = position in ``texts``), or REFUSAL.

        ``focus``: the user's own words when ``query`` is a rewritten follow-up; the terms merged in from earlier
        questions then weigh less than the ones the user just asked about. ``labels``: each passage's provenance
        (first author and year): "according to Jiang 2022" is answered by where a passage comes from, so its
        words count towards the passage's coverage of the question (never towards a sentence's own). ``only``:
        per passage, the text its answer sentences must come from (a question about one study: what each passage
        says of it); every sentence still counts in the term statistics.
        """
        q = term_set(query)
        cands = _candidates(texts)
        if not q or not cands:
            return REFUSAL
        _score(cands, q, term_set(focus) if focus else q, bool(focus), named_terms(query), labels or [])
        demote_origin_lines(query, cands)
        if only is not None:
            cands = [c for c in cands if c.text in only[c.n - 1]]
            if not cands:
                return REFUSAL
        amount = bool(QUANTITY_QUESTION.search(query))  # then the leading sentence must state an amount
        cands.sort(key=lambda c: (amount and not AMOUNT.search(c.text), -c.score))
        if amount and not AMOUNT.search(cands[0].text):
            return REFUSAL
        if cands[0].coverage < self.min_coverage:
            return REFUSAL
        return " ".join(add_markers(c.text, [c.n]) for c in self._choose(cands, q))

    def _choose(self, cands: list[Candidate], q: set[str]) -> list[Candidate]:
        """The best sentence, then others close to it in score that cover more of the question (or nearly
        match it), are not redundant and fit the length cap."""
        best = cands[0]
        chosen = [best]
        covered = q & best.terms
        said = set(best.terms)
        size = len(best.text)
        for c in cands[1:]:
            if len(chosen) >= self.max_sentences or c.score < 0.6 * best.score:
                break
            if c.coverage < self.min_coverage or _redundant(c.terms, said) or size + len(c.text) > self.max_chars:
                continue
            if (q & c.terms) - covered or c.score >= 0.85 * best.score:
                chosen.append(c)
                covered |= q & c.terms
                said |= c.terms
                size += len(c.text)
        return chosen


def _score(cands: list[Candidate], q: set[str], focus_terms: set[str], follow_up: bool, named: set[str],
           labels: list[str]) -> None:
    """Each candidate's coverage (answerability) and score (ranking)."""
    n_c = len(cands)
    df = {t: sum(1 for c in cands if t in c.terms) for t in q}
    ctx = {t: 1.0 if t in focus_terms else CONTEXT_WEIGHT for t in q}
    # answerability: plain share of the question's terms. Words naming the kind of answer wanted ("tissue",
    # "dose") count less, and in a follow-up the user's new words that no passage holds are ignored: the topic
    # came from the earlier turn and the answer names instances (spinal cord, 10 Hz), not the category word.
    # Named things (IL-10, NF-kB, 20 Hz, BDNF, CRPS) weigh most unless most sentences name them: when no
    # passage holds one, the question is probably about something the corpus lacks.
    ans_w = {t: 0.0 if follow_up and t in focus_terms and not df[t] else
             ctx[t] * (ANSWER_TYPE_WEIGHT if t in ANSWER_TYPES else
                       NAMED_WEIGHT if t in named and df[t] <= n_c / 2 else 1.0)
             for t in q}
    # ranking: the same weights, times rarity among the candidate sentences (rare terms discriminate)
    rank_w = {t: ans_w[t] * (1.0 + math.log((n_c + 1) / (df[t] + 1))) for t in q}
    rank_total, ans_total = sum(rank_w.values()) or 1.0, sum(ans_w.values()) or 1.0
    passage_terms: dict[int, set[str]] = {}
    for c in cands:
        passage_terms.setdefault(c.n, set()).update(c.terms)
    for n, label in enumerate(labels, 1):
        if n in passage_terms:
            passage_terms[n] |= term_set(label)
    for c in cands:
        own = sum(ans_w[t] for t in q & c.terms) / ans_total
        # answerability: the sentence's own share averaged with its passage's (context such as "in the spinal
        # cord" is often stated once per passage, not in every sentence); ranking: the sentence alone
        c.coverage = (own + sum(ans_w[t] for t in q & passage_terms[c.n]) / ans_total) / 2
        c.score = sum(rank_w[t] for t in q & c.terms) / rank_total + own + 0.02 / c.n - 0.001 * c.pos
