"""Evidence selection: from the retrieved passages, the few sentences that answer the question.

Each passage is split into sentences with their character offsets (so a citation can point at, and the UI can
highlight, the exact sentence). A sentence scores by the IDF-weighted share of the question's key terms it holds
(named things such as IL-1β or 10 Hz weigh most), plus a little of what its passage holds around it (context such
as "in the spinal cord" is often said once per passage) and of its passage's rank. Selection is greedy under a
sentence cap and a token budget, with diversity: every paper whose passage covers part of the question gets its
best sentence before any paper gets a second one (comparisons and multi-hop questions need several papers).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from assistant.answer.abbreviations import defined_in, with_both_forms
from assistant.answer.contracts import EvidenceSentence
from assistant.answer.provenance import demote_origin_lines
from assistant.answer.terms import named_terms, term_set
from assistant.corpus.sentences import MIN_EVIDENCE_CHARS, sentence_spans
from assistant.index.contracts import Passage

NAMED_WEIGHT = 3.0
CONTEXT_WEIGHT = 0.3
CHARS_PER_TOKEN = 3.3  # measured with Qwen2.5's tokenizer on the digest's biomedical prose
PAPER_BONUS = 0.15
PAPER_SHARE = 0.45  # a paper's best sentence is chosen before others' second ones when it scores this share of the best
ACROSS_SHARE = 0.25  # ... and when the question collects over studies (``across``)
ABOUT_FIRST = 2  # sentences of the one paper a question names or describes, chosen before any other paper's
DENSE_WEIGHT = 0.5  # the cosine's share beside the word overlap (both about 0..1)
DENSE_ALONE = 0.55  # a sentence with no question word is evidence only when this close in meaning


_ANAPHORIC = re.compile(r"^(?:these|this|that|those|it|its|they|their|such|both|the same|here|there|in turn|"
                        r"in contrast|however|also)\b", re.I)
# "20 Hz rTMS reversed every one of these changes": a reference back inside the sentence
_REFERS_BACK = re.compile(r"\b(?:(?:all|both|each|every one|any|none) of )?(?:these|those|such|this|that) "
                          r"(?:changes?|effects?|increases?|decreases?|reductions?|rises?|elevations?|alterations?|"
                          r"differences?|abnormalities|deficits?|responses?)\b", re.I)


@dataclass
class Span:
    n: int  # passage number, 1-based
    start: int
    end: int
    text: str
    terms: set[str]
    score: float = 0.0
    cos: float = 0.0


def gives_text(p: Passage) -> bool:
    """Whether a passage gives any text. One flagged as instruction-like at index time gives none at all: no
    evidence sentence, no extractive or fallback sentence, no excerpt in the prompt, no support for a claim, no
    repair target. Every entry point asks this (see ``usable_texts``)."""
    return not p.chunk.instruction_like


def usable_texts(passages: list[Passage], texts: list[str]) -> list[str]:
    """``texts`` (one per passage) with the text of a passage that gives none (``gives_text``) emptied."""
    return [t if gives_text(p) else "" for p, t in zip(passages, texts, strict=True)]


def _spans(passages: list[Passage], texts: list[str]) -> list[Span]:
    spans: list[Span] = []
    for n, (p, text) in enumerate(zip(passages, texts, strict=True), 1):
        if not gives_text(p):  # its sentences are never evidence
            continue
        own = sentence_spans(p.chunk.text)  # offsets must point into the chunk, so split the original
        bad = {s for _, _, s in own} - {s for _, _, s in sentence_spans(text)} if text != p.chunk.text else set()
        for start, end, sent in own:
            if len(sent) < MIN_EVIDENCE_CHARS or sent in bad:  # sentences the sanitiser touched are not evidence
                continue
            spans.append(Span(n, start, end, sent, term_set(sent)))
    abbreviations = defined_in(t for p, t in zip(passages, texts, strict=True) if gives_text(p))
    for s in spans:  # "Combined NNTs: …" also holds "number needed to treat" where a passage defines NNT
        s.terms = with_both_forms(s.terms, abbreviations)
    return spans


_FINDING = re.compile(r"result|finding|conclusion|outcome|main outcome|effect", re.I)
_SETUP = re.compile(r"\b(?:background|objectives?|aims?|purpose|introduction|context|rationale|hypothes)", re.I)


def section_weight(section: str) -> float:
    """Findings answer questions; a structured abstract's aim restates them ("We asked whether …")."""
    if _FINDING.search(section or ""):
        return 1.3
    if _SETUP.search(section or ""):
        return 0.6
    return 1.0


def tokens(text: str) -> int:
    return int(math.ceil(len(text) / CHARS_PER_TOKEN))


def select_evidence(question: str, passages: list[Passage], texts: list[str] | None = None,
                    max_sentences: int = 8, token_budget: int = 260, focus: str | None = None,
                    dense: dict[tuple[str, int], float] | None = None,
                    about: Collection[str] = (), across: bool = False) -> list[EvidenceSentence]:
    """The evidence sentences for ``question`` (the resolved query), in passage order.

    ``texts``: the sanitised passage texts (sentences they lost are skipped); ``focus``: the user's own words of a
    follow-up (weighted fully; words merged in from the conversation weigh less); ``dense``: cosine of the
    question with each sentence, keyed by (chunk_id, start) — from the index's stored sentence vectors — which
    adds meaning to the word overlap and lets a paraphrase with no shared word be chosen; ``about``: the papers the
    question names or describes ("the Egyptian five-day study …"): their best sentences come first; ``across``: the
    question collects over studies: every paper's best sentence that meets ACROSS_SHARE of the best comes first.
    """
    texts = texts if texts is not None else [p.chunk.text for p in passages]
    spans = _spans(passages, texts)
    q = term_set(question)
    if not spans or not q:
        return []
    focus_terms = term_set(focus) if focus else q
    # words that name a paper (its first author, its year) pick the paper, not the sentence: they raise every
    # sentence of that paper a little instead of making "It is reference 5 of the Bai 2023 review" evidence
    ident = {n: q & term_set(f"{p.doc.first_author or ''} {p.doc.year or ''}") for n, p in enumerate(passages, 1)}
    q = q - (set().union(*ident.values()) if ident else set())
    if not q:
        return []
    weight = _weights(spans, q, named_terms(question), focus_terms)
    _score(spans, passages, weight, ident, dense or {})
    demote_origin_lines(question, spans)
    ranked = sorted((s for s in spans if q & s.terms or s.cos >= DENSE_ALONE), key=lambda s: -s.score)
    if not ranked:
        return []
    chosen = _choose(ranked, [p.chunk.paper_id for p in passages], max_sentences, token_budget, set(about),
                     ACROSS_SHARE if across else PAPER_SHARE)
    by_pos = {(sp.n, sp.start): i for i, sp in enumerate(spans)}
    _bring_antecedents(chosen, spans, by_pos)
    _bring_list_items(chosen, spans, by_pos)
    spans_out = sorted(chosen.spans, key=lambda s: (s.n, s.start))
    return [EvidenceSentence(id=i, n=s.n, chunk_id=passages[s.n - 1].chunk.chunk_id, text=s.text, start=s.start,
                             end=s.end, score=round(s.score, 4)) for i, s in enumerate(spans_out, 1)]


def _weights(spans: list[Span], q: set[str], named: set[str], focus_terms: set[str]) -> dict[str, float]:
    """Each question term's weight: named things most, the user's own words of a follow-up fully, rare terms
    among the sentences more (IDF)."""
    n_s = len(spans)
    df = {t: sum(1 for s in spans if t in s.terms) for t in q}
    return {t: (NAMED_WEIGHT if t in named else 1.0) * (1.0 if t in focus_terms else 0.5)
            * (1.0 + math.log((n_s + 1) / (df[t] + 1))) for t in q}


def _score(spans: list[Span], passages: list[Passage], weight: dict[str, float], ident: dict[int, set[str]],
           dense: dict[tuple[str, int], float]) -> None:
    """Score every span: its own share of the question, a little of its passage's, its cosine with the
    question, its section, its passage's rank and whether the question names its paper."""
    q = set(weight)
    total = sum(weight.values()) or 1.0
    around: dict[int, set[str]] = {}
    for s in spans:
        around.setdefault(s.n, set()).update(s.terms)
    part = {n: section_weight(p.chunk.section) for n, p in enumerate(passages, 1)}
    for s in spans:
        own = sum(weight[t] for t in q & s.terms) / total
        ctx = sum(weight[t] for t in q & around[s.n]) / total
        cos = dense.get((passages[s.n - 1].chunk.chunk_id, s.start))
        s.cos = cos or 0.0
        s.score = ((own + CONTEXT_WEIGHT * ctx + DENSE_WEIGHT * max(0.0, s.cos)) * part[s.n] + 0.05 / s.n
                   + (PAPER_BONUS if ident[s.n] else 0.0))


@dataclass
class _Chosen:
    """The sentences chosen so far under a sentence cap and a token budget."""

    max_sentences: int
    token_budget: int
    spans: list[Span] = field(default_factory=list)
    used: int = 0

    def take(self, s: Span) -> bool:
        cost = tokens(s.text)
        if len(self.spans) >= self.max_sentences or (self.spans and self.used + cost > self.token_budget):
            return False
        if any(c.n == s.n and c.start == s.start for c in self.spans):
            return False
        self.spans.append(s)
        self.used += cost
        return True

    def bring(self, s: Span) -> bool:
        """Add ``s`` as context of a chosen sentence, past the sentence cap but within 1.3 times the token budget;
        False when it does not fit (a sentence already chosen fits)."""
        if s in self.spans:
            return True
        if self.used + tokens(s.text) > self.token_budget * 1.3:
            return False
        self.spans.append(s)
        self.used += tokens(s.text)
        return True


def _choose(ranked: list[Span], paper: list[str], max_sentences: int, token_budget: int,
            about: set[str], share: float) -> _Chosen:
    """First the best sentences of the one paper the question is ``about`` (ABOUT_FIRST), then the best sentence
    of every paper that covers a fair share of the question, then more by score while they still add something
    (``paper``: each passage's paper, by passage number - 1)."""
    best = ranked[0].score
    chosen = _Chosen(max_sentences, token_budget)
    taken = 0
    one = next(iter(about)) if len(about) == 1 else None  # two studies compared share the room as before
    for s in ranked:
        if taken < ABOUT_FIRST and paper[s.n - 1] == one and s.score >= 0.3 * best and chosen.take(s):
            taken += 1
    papers_done: set[str] = {one} if taken and one else set()
    for s in ranked:
        if paper[s.n - 1] not in papers_done and s.score >= share * best and chosen.take(s):
            papers_done.add(paper[s.n - 1])
    for s in ranked:
        if s.score < 0.5 * best:
            break
        chosen.take(s)
    return chosen


def _bring_antecedents(chosen: _Chosen, spans: list[Span], by_pos: dict[tuple[int, int], int]) -> None:
    """A sentence that points back ("These changes were reversed…", "… reversed every one of these changes")
    brings the sentence it points to (``_Chosen.bring``). ``by_pos``: each span's index by (passage, start)."""
    for c in list(chosen.spans):
        i = by_pos.get((c.n, c.start))
        if i and spans[i - 1].n == c.n and (_ANAPHORIC.match(c.text) or _REFERS_BACK.search(c.text)):
            chosen.bring(spans[i - 1])


MAX_LIST = 5


def _list_around(i: int, spans: list[Span]) -> list[Span]:
    """The list sentence ``i`` opens or belongs to: a lead that ends with ":" and the items after it that end with
    ";", then the last one (one passage, at most MAX_LIST sentences); none when ``i`` is in no such list."""
    def same(k: int) -> bool:
        return 0 <= k < len(spans) and spans[k].n == spans[i].n

    def ends(k: int, marks: tuple[str, ...]) -> bool:
        return spans[k].text.rstrip().endswith(marks)
    first = i
    while same(first - 1) and ends(first - 1, (":", ";")) and i - first < MAX_LIST:
        first -= 1
    last = max(i, first + 1)
    if not ends(first, (":",)) or not same(last):
        return []
    while same(last + 1) and ends(last, (";",)) and last - first < MAX_LIST:
        last += 1
    return spans[first:last + 1]


def _bring_list_items(chosen: _Chosen, spans: list[Span], by_pos: dict[tuple[int, int], int]) -> None:
    """A chosen sentence that opens a list ("… Level A in two cases:") or is one of its items ("the pain-relieving
    effect of …;") brings the rest of the list (``_Chosen.bring``, up to the first item that does not fit): a lead
    alone says there are cases, not which, and an item alone does not say what it is a case of."""
    for c in list(chosen.spans):
        i = by_pos.get((c.n, c.start))
        if i is None:
            continue
        for item in _list_around(i, spans):
            if not chosen.bring(item):
                break


def best_sentences_for(claim: str, n: int, evidence: list[EvidenceSentence]) -> list[EvidenceSentence]:
    """The evidence sentences of passage ``n`` that share the most key terms with ``claim`` (for highlighting)."""
    claim_terms = term_set(claim)
    mine = [e for e in evidence if e.n == n]
    if not mine or not claim_terms:
        return mine[:1]
    scored = [(len(claim_terms & term_set(e.text)), e) for e in mine]
    top = max(s for s, _ in scored)
    return [e for s, e in scored if s == top and s > 0] or mine[:1]
