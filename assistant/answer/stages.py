"""The answer pipeline as small stages over a frozen ``Turn``:

validate → resolve conversation → retrieve → gate → select evidence → findings (yes/no questions: what the
verdict is read from; joined to the passages when the answer is written from them) → generate → verify →
fallback → complete → verdict → assemble.

Each stage reads the turn and returns what it makes, typed (``turn.py``): ``retrieve``/``expand`` the passages,
``gate`` the refusal flag, ``select`` an ``EvidenceSet``, ``findings`` the ``Findings``, ``join_findings`` what is
``Shown``, ``generate`` a ``Draft`` and the composer's ``Probe``, ``verify``/``complete`` a ``Checked``,
``decide_verdict`` a ``VerdictResult``; ``ask_again`` and ``fallback`` stream a notice and
return the turn with their new draft, checked (or the turn as it was). The engine takes each result into a new
turn; nothing is written into what an earlier stage made, and each stage is testable alone with hand-built
passages. Every draft is checked once: the generated one (``verify``), one written anew by ``ask_again`` or
``fallback``, and the completed one (``complete``, whose candidate sentences are each
checked once).
"""
from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Collection, Generator
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar, cast

from assistant.answer import conversation, verdict
from assistant.answer.attribution import asked_study, cited_studies, known_authors, own_study
from assistant.answer.check import CheckContext, CheckResult, check_answer, check_context, check_sentences, unchecked
from assistant.answer.citations import add_markers, is_refusal, source_label, strip_markers
from assistant.answer.composers import Composer
from assistant.answer.contracts import REFUSAL, Answer, Citation, Evidence, EvidenceSentence, VerdictBasis
from assistant.answer.extractive import ANSWER_TYPES
from assistant.answer.judge import Judge
from assistant.answer.prompts import sanitize
from assistant.answer.select import best_sentences_for, gives_text, select_evidence, usable_texts
from assistant.answer.terms import (
    AMOUNT_WORDS,
    TOPIC_TERMS,
    missing_named_terms,
    named_terms,
    term_set,
    unknown_terms,
)
from assistant.answer.turn import Checked, Draft, EvidenceSet, Findings, Probe, Shown, Turn, VerdictResult
from assistant.corpus.sentences import sentence_spans
from assistant.errors import AssistantError, QuestionError
from assistant.index.contracts import Passage
from assistant.index.retrieve import cap_per_group
from assistant.settings import Settings
from assistant.vocab import AnswerFlag

log = logging.getLogger(__name__)

MAX_ADDED = 2  # evidence sentences the completion stage may add to an answer
# a part of a question asking "in which cells?" is answered by a cell type's name, not by the word "cells"
INSTANCES = {"cell": term_set("glia glial astrocytes astrocytic microglia microglial neurons neuronal satellite "
                              "macrophages lymphocytes monocytes neutrophils Schwann oligodendrocytes endothelial "
                              "keratinocytes fibroblasts")}


class Retriever(Protocol):
    def __call__(self, query: str, k: int, *, mode: str | None = None,
                 papers: list[str] | None = None) -> list[Passage]: ...


class Similar(Protocol):
    """The query's cosine with every stored sentence of the given chunks, keyed by (chunk_id, start)."""

    def __call__(self, query: str, chunk_ids: list[str]) -> dict[tuple[str, int], float]: ...


class PaperPassages(Protocol):
    """Every passage of one paper, in document order."""

    def __call__(self, paper_id: str) -> list[Passage]: ...


def support_text(p: Passage, text: str) -> str:
    """What the judge reads for a passage: where it comes from, then its sanitised text."""
    return f"{sanitize(where(p))[0]}\n{text}"


def named_text(p: Passage) -> str:
    """A passage with its provenance, as the question's names are looked for in it (a name may be in the title)."""
    return f"{where(p)}\n{p.chunk.text}"


def where(p: Passage) -> str:
    """Where a passage comes from (who, when, which paper and section): "according to Bai 2023" or "in the
    spinal cord" is often said by the provenance, not the passage's own sentences."""
    return source_label(p.doc.first_author, p.doc.year, p.doc.title, p.chunk.section)


# --- validate ----------------------------------------------------------------------------------------
def validate(question: Any, settings: Settings) -> str:
    if not isinstance(question, str) or not question.strip():
        raise QuestionError("the question is empty: ask something about rTMS, neuropathic pain or "
                            "neuroinflammation.")
    q = " ".join(question.split())
    if len(q) > settings.max_question_chars:
        raise QuestionError(f"the question has {len(q)} characters; the limit is {settings.max_question_chars} "
                            "(RTMS_MAX_QUESTION_CHARS): shorten it.")
    return q


# --- resolve conversation ----------------------------------------------------------------------------
def resolve(turn: Turn, rewriter: Any = None) -> str:
    """The query: the question made standalone against the conversation (the question itself without)."""
    return conversation.resolve(turn.question, turn.history, rewriter) if turn.history else turn.question


# --- retrieve ----------------------------------------------------------------------------------------
def fuse(lists: list[list[Passage]], k: int, cap: int, rrf_k: int = 60) -> list[Passage]:
    """Reciprocal rank fusion of passage lists by chunk, capped per paper; a chunk keeps its best scores."""
    score: dict[str, float] = {}
    best: dict[str, Passage] = {}
    for ranking in lists:
        for rank, p in enumerate(ranking, 1):
            cid = p.chunk.chunk_id
            score[cid] = score.get(cid, 0.0) + 1.0 / (rrf_k + rank)
            old = best.get(cid)
            if old is None:
                best[cid] = p.model_copy()
            else:
                for attr in ("dense_score", "bm25_score", "bm25_rel"):
                    a, b = getattr(old, attr), getattr(p, attr)
                    if b is not None and (a is None or b > a):
                        setattr(old, attr, b)
    order = sorted(score, key=lambda c: -score[c])
    papers = {c: best[c].chunk.paper_id for c in order}
    kept = cap_per_group(list(range(len(order))), [papers[c] for c in order], cap, k)
    out = []
    for rank, i in enumerate(kept, 1):
        p = best[order[i]]
        p.score, p.rank = score[order[i]], rank
        out.append(p)
    return out


def _search(search: Retriever, query: str, k: int, mode: str | None, papers: list[str] | None = None
            ) -> list[Passage]:
    kwargs: dict[str, Any] = {}
    if mode:
        kwargs["mode"] = mode
    if papers:
        kwargs["papers"] = papers
    return list(search(query, k, **kwargs))


def prior_papers(turn: Turn, search: Retriever, mode: str | None) -> list[str]:
    """The papers the previous answer cited: recorded on the message, else found by searching its text."""
    prev = conversation.previous_answer(turn.history)
    if prev is None:
        return []
    if prev.get("paper_ids"):
        return list(prev["paper_ids"])[:3]
    text = strip_markers(prev["content"])
    if not text or is_refusal(text):
        return []
    found = _search(search, text, 2, mode)
    return list(dict.fromkeys(p.chunk.paper_id for p in found))


def retrieve(turn: Turn, search: Retriever, settings: Settings, explicit_mode: bool) -> list[Passage]:
    """Passages for the turn: the caller's, or the fusion of searches for the question as asked, its resolved
    form and (in a conversation) the resolved form within the papers the previous answer cited."""
    if turn.given is not None:
        return [p.model_copy(update={"rank": i}) for i, p in enumerate(turn.given[:turn.k], 1)]
    mode = turn.mode if explicit_mode else None
    depth = max(turn.k * 3, turn.k)
    lists = [_search(search, turn.query, depth, mode)]
    if turn.query != turn.question:
        lists.append(_search(search, turn.question, depth, mode))
    if turn.history:
        papers = prior_papers(turn, search, mode)
        if papers:
            lists.append(_search(search, turn.query, turn.k, mode, papers=papers))
    return lists[0][:turn.k] if len(lists) == 1 else fuse(lists, turn.k, settings.per_paper_cap, settings.rrf_k)


ACROSS_ROOM = 1.5
"""The evidence's sentence cap and token budget, times this for a question that collects over studies."""
NAMED_PASSAGES = 1
"""The passages a named study that retrieval missed brings (``expand``)."""


def expand(turn: Turn, search: Retriever, settings: Settings, explicit_mode: bool) -> list[Passage]:
    """After the gates: the retrieved papers' best-matching other passages join the evidence pool (at most
    ``sibling_passages``, the per-paper cap still holding). A paper's method passage often shares the question's
    words while its results passage holds the answer ("Which drug class had the lowest NNT?" finds the
    meta-analysis's methods, not its table of NNTs). A question about one study takes that study's passages; a study
    the question names or describes (``turn.about``) that retrieval missed gives its best ``NAMED_PASSAGES``."""
    n = settings.sibling_passages
    if n <= 0 or turn.given is not None or not turn.passages or turn.gate:
        return turn.passages
    papers = list(dict.fromkeys(p.chunk.paper_id for p in turn.passages))
    mode = turn.mode if explicit_mode else None
    missed = [p for pid in turn.about if pid not in papers
              for p in _search(search, turn.query, NAMED_PASSAGES, mode, papers=[pid])[:NAMED_PASSAGES]]
    asked = asked_study(turn.query, {p.doc.first_author for p in turn.passages if p.doc.first_author})
    if asked:
        papers = list(dict.fromkeys(p.chunk.paper_id for p in turn.passages if own_study(asked, p))) or papers
    have = {p.chunk.chunk_id for p in turn.passages}
    found = _search(search, turn.query, turn.k + n, mode, papers=papers)
    extra = [p for p in found if p.chunk.chunk_id not in have][:n] + missed
    start = len(turn.passages)
    return [*turn.passages, *(p.model_copy(update={"rank": start + i}) for i, p in enumerate(extra, 1))]


# --- gate --------------------------------------------------------------------------------------------
def standout(passages: list[Passage]) -> float:
    """How far the best paper's cosine lies above the next paper's (0 with fewer than two papers). One paper
    standing out means the question is about it, even when its words differ from the abstract's; a question the
    corpus cannot answer meets a cluster of loosely related papers instead."""
    best: dict[str, float] = {}
    for p in passages:
        if p.dense_score is not None:
            best[p.doc.paper_id] = max(best.get(p.doc.paper_id, -1.0), p.dense_score)
    top = sorted(best.values(), reverse=True)
    return top[0] - top[1] if len(top) >= 2 else 0.0


def gate(turn: Turn, settings: Settings) -> AnswerFlag | None:
    """Refuse before generation: no passages; best cosine or relative BM25 under its calibrated threshold
    (a strong dense match overrules a weak lexical one); or a name in the question no passage mentions."""
    ps = turn.passages
    if not ps:
        return AnswerFlag.NO_PASSAGES
    dense = max((p.dense_score for p in ps if p.dense_score is not None), default=None)
    if dense is not None and dense < settings.refusal_threshold:
        return AnswerFlag.BELOW_THRESHOLD
    lexical = max((p.bm25_rel for p in ps if p.bm25_rel is not None), default=None)
    margin = settings.refusal_margin_overrule
    strong_dense = dense is not None and (dense > settings.refusal_dense_overrule
                                          or (margin > 0 and standout(ps) >= margin))
    if (lexical is not None and settings.refusal_bm25_threshold > 0 and lexical < settings.refusal_bm25_threshold
            and not strong_dense):
        return AnswerFlag.BELOW_BM25_THRESHOLD
    if settings.refusal_missing_terms and missing_named_terms(turn.question, [named_text(p) for p in ps]):
        return AnswerFlag.QUESTION_TERM_MISSING
    return None


# --- select evidence ---------------------------------------------------------------------------------
def select(turn: Turn, settings: Settings, similar: Similar | None = None) -> EvidenceSet:
    """Sanitised texts, the judge's support texts, the evidence sentences and whether a verdict is wanted.
    ``similar(query, chunk_ids)``: the question's cosine with the chunks' stored sentences (optional)."""
    cleaned = [sanitize(p.chunk.text) for p in turn.passages]
    texts = [t for t, _ in cleaned]
    flags = [AnswerFlag.INSTRUCTIONS_IN_PASSAGES_REMOVED] if any(n for _, n in cleaned) else []
    # a passage flagged as instruction-like at index time gives no text at all (select.gives_text)
    if not all(gives_text(p) for p in turn.passages):
        texts = usable_texts(turn.passages, texts)
        flags.append(AnswerFlag.INSTRUCTION_LIKE_PASSAGES_IGNORED)
    # the judge also sees where a passage comes from: "in the spinal cord" is often said by the title only
    support = [support_text(p, t) for p, t in zip(turn.passages, texts, strict=True)]
    dense = similar(turn.query, [p.chunk.chunk_id for p in turn.passages]) if similar and turn.passages else None
    more = ACROSS_ROOM if turn.across else 1.0  # a question over several studies: room for each one's sentence
    evidence = select_evidence(turn.query, turn.passages, texts, round(settings.evidence_sentences * more),
                               round(settings.evidence_tokens * more), focus=turn.focus, dense=dense,
                               about=turn.about, across=turn.across)
    yes_no = verdict.is_yes_no(turn.question) or verdict.is_yes_no(turn.query)
    return EvidenceSet(texts=texts, support=support, evidence=evidence, yes_no=yes_no, flags=tuple(flags))


def findings(turn: Turn, settings: Settings, paper_passages: PaperPassages | None) -> Findings:
    """For a yes/no question, the best-matching paper's findings, which the verdict is decided from: all its
    passages when the index can give them (a structured abstract's results are often not among the retrieved
    passages, which match the question's wording: background and aim), else its retrieved ones. A paper with no
    results or findings section (a review) gives its retrieved passages only: its first 1,600 characters are about
    whatever it covers first ("Does rTMS reduce TNF-α in the dorsal root ganglia?" was decided from the review's
    paragraphs on the brain and on clinical protocols, not from its passage on the ganglia)."""
    if not turn.yes_no or not turn.passages or not settings.verdict_probe:
        return Findings()
    top = turn.passages[0]
    retrieved = ps = [p for p in turn.passages if p.chunk.paper_id == top.chunk.paper_id]
    if paper_passages is not None:
        with contextlib.suppress(AssistantError):  # a paper the index no longer holds: its retrieved passages
            ps = paper_passages(top.chunk.paper_id) or ps
    if not verdict.has_findings([p.chunk.section or "" for p in ps]):
        ps = retrieved
    texts = usable_texts(ps, [sanitize(p.chunk.text)[0] for p in ps])
    return Findings(verdict.findings_text(ps, texts, settings.verdict_findings_chars),
                    verdict.findings_passages(ps, texts))


def evidence_item(turn: Turn) -> Evidence:
    """What is streamed before any token: the shown passages (every passage a later draft may cite is among them)
    and the evidence sentences. A copy: nothing done to the turn afterwards changes it."""
    return Evidence(question=turn.question, query=turn.query, passages=list(turn.passages),
                    sentences=list(turn.evidence), yes_no=turn.yes_no, refused=turn.gate)


# --- generate ----------------------------------------------------------------------------------------
T = TypeVar("T")


def kept(deltas: Generator[str, None, T], seen: Callable[[str], object]) -> Generator[str, None, T]:
    """``deltas`` passed on, each shown to ``seen`` first (to collect or time them); what their generator returns."""
    while True:
        try:
            delta = next(deltas)
        except StopIteration as stop:
            return cast(T, stop.value)
        seen(delta)
        yield delta


def generate(turn: Turn, composer: Composer) -> Generator[str, None, tuple[Draft, Probe]]:
    """The composer's answer as it streams; the draft it makes and what it learnt of the verdict."""
    parts: list[str] = []
    probe = yield from kept(composer.compose(turn), parts.append)
    raw = "".join(parts)
    return Draft(raw=raw, generated=raw, used_llm=composer.uses_llm), probe


# --- verify ------------------------------------------------------------------------------------------
def verify(turn: Turn, judge: Judge, settings: Settings, repair: bool | None = None) -> Checked:
    """Check the raw answer (its verdict word set aside) against the passages."""
    word = verdict.said(turn.raw)
    said = (turn.probed or word) if turn.yes_no else None  # a probed verdict outranks a restated "Yes, …"
    body = verdict.strip_verdict(turn.raw)  # "Yes, …" to a wh-question is dropped too
    result = check_answer(body, turn.passages, turn.support, judge, unsupported=settings.unsupported,
                          repair=settings.repair_citations if repair is None else repair, question=turn.query)
    if turn.unmarked and turn.used_llm:  # no markers was asked for, not a fault to warn of
        result = replace(result, flags=[f for f in result.flags if f != AnswerFlag.NO_CITATIONS])
    return Checked(result, said)


def verified(turn: Turn, judge: Judge, settings: Settings, repair: bool | None = None) -> Turn:
    """The turn with its draft's check: a new draft is checked once, as it is made."""
    return turn.taking(verify(turn, judge, settings, repair))


# --- ask again ---------------------------------------------------------------------------------------
ASK_AGAIN = "That repeats the question. State what the evidence found, ending each sentence with its paper number."


def ask_again(turn: Turn, composer: Composer, judge: Judge, settings: Settings) -> Generator[str, None, Turn]:
    """The model wrote the question back ("Hong and colleagues tested 10 Hz rTMS in 2020 and 2022 [2][3]."), often
    when the question opens with a statement: ask once more, its restatement kept in the conversation. The
    first prompt is a prefix of the second, so llama.cpp reads only the new lines. Not for a yes/no question:
    "Yes, atropine is needed with ketamine sedation." has given its verdict, and asked again the model wrote the
    same sentence 21 times in 23 (PubMedQA dev100); the findings answer gives the evidence instead."""
    r = turn.result
    if not (settings.ask_again and turn.used_llm and not turn.yes_no and r is not None and not r.refusal
            and r.supported_count == 0 and AnswerFlag.RESTATED_QUESTION_DROPPED in r.flags):
        return turn
    again = [{"role": "assistant", "content": turn.generated}, {"role": "user", "content": ASK_AGAIN}]
    yield "\n\n[the answer only restated the question; asked again]\n"
    parts: list[str] = []
    yield from kept(composer.compose(turn.but(again=again)), parts.append)
    raw = "".join(parts)
    draft = Draft(raw=raw, generated=f"{turn.generated}\n{raw}", used_llm=turn.used_llm, again=again,
                  flags=(AnswerFlag.ASKED_AGAIN,))
    return verified(turn.taking(draft), judge, settings)


# --- fallback ----------------------------------------------------------------------------------------
def outside_corpus(question: str, vocabulary: Collection[str] | None, share: float) -> bool:
    """Whether at least ``share`` of the question's terms, and two or more, are unknown to the corpus. On the
    project's questions the unanswerable ones hold 20–40 % such terms (dose, titration, montage, infusion), the
    answerable ones at most 14 %, mostly plain words the notes phrase otherwise."""
    if not vocabulary or share <= 0:
        return False
    asked = term_set(question)
    unknown = unknown_terms(question, vocabulary)
    return len(unknown) >= 2 and len(unknown) >= share * len(asked)


def fallback(turn: Turn, extractive: Composer, judge: Judge, settings: Settings,
             vocabulary: Callable[[], Collection[str] | None] | None = None) -> Generator[str, None, Turn]:
    """When the model's answer has no verifiable sentence, or the model declined although retrieval passed the
    gates, offer verified passage sentences instead — only if they cover the question (the extractive backend's
    own coverage check) and the corpus knows the question's words (``vocabulary()``: its terms, read only when
    needed); a refusal is never turned into an assertion the extractive backend would not make."""
    r = turn.result
    if not turn.used_llm or r is None:
        return turn
    unverified = not r.refusal and r.supported_count == 0 and settings.unverified_fallback
    declined = r.refusal
    if not (unverified or declined):
        return turn
    if vocabulary is not None and outside_corpus(turn.query, vocabulary(), settings.fallback_unknown_share):
        # the passages are about something near the question, not about it: their sentences would answer
        # another question ("pregabalin titration" meets rTMS in diabetic neuropathy)
        return turn.flagged(AnswerFlag.UNKNOWN_QUESTION_TERMS)
    raw = "".join(extractive.compose(turn))
    if is_refusal(verdict.strip_verdict(raw) or raw):
        return turn
    flags = (*r.flags, *([AnswerFlag.LLM_REFUSED] if declined else []), AnswerFlag.EXTRACTIVE_FALLBACK)
    fell = turn.taking(Draft(raw=raw, generated=turn.generated, used_llm=False, again=turn.again, flags=flags))
    checked = verify(fell, judge, settings, repair=False)
    if turn.said and not declined:  # the model's reading of the evidence stands; its wording did not verify
        checked = replace(checked, said=turn.said)
    why = "the model declined" if declined else "no verifiable sentence in the model's answer"
    yield f"\n\n[{why}; extracted from the passages instead]\n"
    return fell.taking(checked)


# --- the verdict and what it was read from ----------------------------------------------------------
def join_passage(shown: Shown, p: Passage, text: str) -> tuple[int, Shown]:
    """``p``'s number among the shown passages and what is shown with it: a new ``Shown`` with ``p`` last when it
    was not one of them."""
    for n, q in enumerate(shown.passages, 1):
        if q.chunk.chunk_id == p.chunk.chunk_id:
            return n, shown
    joined = Shown([*shown.passages, p.model_copy(update={"rank": len(shown.passages) + 1})],
                   [*shown.texts, text], [*shown.support, support_text(p, text)])
    return len(joined.passages), joined


def shown(turn: Turn) -> Shown:
    return Shown(turn.passages, turn.texts, turn.support)


def findings_read(turn: Turn) -> list[tuple[Passage, str]]:
    """The findings passages (with their texts) that the cut findings text covers (``verdict.parts_read``)."""
    return [turn.findings_from[i] for i in verdict.parts_read([t for _, t in turn.findings_from], turn.findings)]


def join_findings(turn: Turn) -> Shown:
    """The passages the verdict is read from join the shown ones, for an answer written from them
    (``yes_no_answer="findings"``): its sentences are checked against them and cite them. Only those the cut
    findings text covers."""
    out = shown(turn)
    for p, text in findings_read(turn):
        _, out = join_passage(out, p, text)
    return out


# --- complete ----------------------------------------------------------------------------------------
_PARTS = re.compile(r",?\s+and\s+(?=(?:what|which|how|when|where|why|who|at what|for how|in what|in which|on how|"
                    r"by how|did|does|do|was|were|is|are)\b)|;\s*|\?\s+(?=\w)", re.I)


SETTINGS_ASKED = re.compile(r"\b(?:protocol|schedule|regimen|parameters?|dose|dosage|intensity|frequency|"
                           r"frequencies|how (?:long|often|many|much))\b", re.I)
# a stimulation or dosing setting stated as a value: "20 Hz", "80% of motor threshold", "10 trains", "5 days"
SETTING_VALUE = re.compile(r"\b\d+(?:\.\d+)?\s*(?:hz|%|pulses?|sessions?|trains?|days?|weeks?|min(?:utes?)?|"
                           r"s\b|seconds?|ma|mg|times)", re.I)


def specifics(text: str) -> set[str]:
    """The values and names a sentence states: numbers (also written as words), units, acronyms, genes."""
    return named_terms(text) | (term_set(text) & AMOUNT_WORDS)


def question_parts(question: str) -> list[str]:
    """The parts of a question that asks several things ("How much did it fall, and what produced it?")."""
    return [p for p in _PARTS.split(question) if p.strip()]


def holds(e: EvidenceSentence, ctx: CheckContext) -> bool:
    """Whether an evidence sentence, cited to its passage, passes the answer check as the answer's own sentences
    do (a question about one study takes only that study's sentences)."""
    raw = add_markers(e.text, [e.n]).strip()
    if unchecked(raw) is not None:
        return False
    checks, _, _ = check_sentences(raw, ctx, repair=False, do_prune=False)
    return bool(checks) and all(s.supported for s in checks if s.supported is not None)


@dataclass
class Holds:
    """``holds`` for one turn: the check's context made once, each candidate sentence checked once however often
    the completion asks."""

    ctx: CheckContext
    known: dict[tuple[int, str], bool] = field(default_factory=dict)

    @classmethod
    def of(cls, turn: Turn, judge: Judge) -> Holds:
        return cls(check_context(turn.passages, turn.support, judge, turn.query))

    def __call__(self, e: EvidenceSentence) -> bool:
        key = (e.n, e.text)
        if key not in self.known:
            self.known[key] = holds(e, self.ctx)
        return self.known[key]


@dataclass(frozen=True)
class Additions:
    """The completion so far: the evidence sentences added (cited) and every term the answer now says."""

    sentences: tuple[str, ...] = ()
    said: frozenset[str] = frozenset()

    @property
    def full(self) -> bool:
        return len(self.sentences) >= MAX_ADDED

    def has(self, e: EvidenceSentence) -> bool:
        return add_markers(e.text, [e.n]) in self.sentences

    def plus(self, e: EvidenceSentence) -> Additions:
        return Additions((*self.sentences, add_markers(e.text, [e.n])), self.said | term_set(e.text))


def add_one(e: EvidenceSentence | None, a: Additions, check: Callable[[EvidenceSentence], bool]) -> Additions:
    """``a`` with ``e`` added (cited, verified by ``check``) unless the answer is full or already has it."""
    if e is None or a.full or a.has(e) or not check(e):
        return a
    return a.plus(e)


def best_evidence(evidence: list[EvidenceSentence], rank: Callable[[EvidenceSentence], int],
                  keep: Callable[[EvidenceSentence], Any]) -> EvidenceSentence | None:
    """The evidence sentence ``keep`` allows that ``rank`` puts first (ties: the higher selection score)."""
    return max(((rank(e), e.score, e) for e in evidence if keep(e)), default=(0, 0.0, None), key=lambda x: x[:2])[2]


def paper_idents(passages: list[Passage]) -> set[str]:
    """The terms that name the passages' papers (first authors, years)."""
    return {t for p in passages for t in term_set(f"{p.doc.first_author or ''} {p.doc.year or ''}")}


def add_missing(evidence: list[EvidenceSentence], missing: set[str], named: set[str], cited: set[int],
                a: Additions, check: Callable[[EvidenceSentence], bool]) -> Additions:
    """The verified evidence sentences that hold the question's words the answer lacks, most of them first:
    named things from any paper, other words only from papers the answer cites; none that restates the answer."""
    def gain(e: EvidenceSentence) -> tuple[int, int, float]:
        got = term_set(e.text) & missing
        return (len(got & named), len(got), e.score)

    for e in sorted(evidence, key=gain, reverse=True):
        terms_e = term_set(e.text)
        got = terms_e & missing
        if a.full or not got:
            continue
        if not got & named and e.n not in cited:
            continue
        if len(terms_e & a.said) / max(1, len(terms_e)) > 0.8:  # restates what the answer says
            continue
        if not check(e):
            continue
        a = a.plus(e)
        missing = missing - got
    return a


def add_first_part(turn: Turn, answer: str, cited: set[int], idents: set[str], a: Additions,
                   check: Callable[[EvidenceSentence], bool]) -> Additions:
    """The answer restates the question without the thing asked for ("The STOPNEP study identified neuropathic
    characteristics …" for "Which questionnaire identified …, and how many …?"): it states no value or name the
    question lacks, so the cited papers' sentence on the first part that brings one is added."""
    asked_specifics = specifics(turn.query)
    if turn.yes_no or specifics(answer) - asked_specifics:
        return a
    first = term_set(question_parts(turn.query)[0]) - TOPIC_TERMS - idents
    return add_one(best_evidence(turn.evidence, lambda e: len(term_set(e.text) & first),
                                 lambda e: e.n in cited and term_set(e.text) & first
                                 and specifics(e.text) - asked_specifics - a.said), a, check)


def add_setting(turn: Turn, answer: str, cited: set[int], a: Additions,
                check: Callable[[EvidenceSentence], bool]) -> Additions:
    """A question asking for settings (a protocol, a dose) whose answer states no value: the cited papers'
    sentence with the most setting values."""
    if not SETTINGS_ASKED.search(turn.query) or SETTING_VALUE.search(answer):
        return a
    return add_one(best_evidence(turn.evidence, lambda e: len(SETTING_VALUE.findall(e.text)),
                                 lambda e: e.n in cited and SETTING_VALUE.search(e.text)), a, check)


def on_cited(e: EvidenceSentence, cited: set[int], known: set[str], passages: list[Passage]) -> bool:
    """From a cited paper, or a sentence elsewhere (a review's) that names the study of a cited paper."""
    if e.n in cited:
        return True
    names = cited_studies(e.text, known)
    return any(own_study(names, passages[n - 1]) for n in cited)


def on_part(clause: str, evidence: list[EvidenceSentence], idents: set[str], a: Additions,
            cited: Callable[[EvidenceSentence], bool]) -> EvidenceSentence | None:
    """The sentence for one later part of the question: most of its words, a value or name the answer lacks,
    from a cited paper (``cited``)."""
    want = term_set(clause) - TOPIC_TERMS - idents  # "how many sessions": the type word locates it
    want |= set().union(*(INSTANCES.get(t, set()) for t in want))
    return best_evidence(evidence, lambda e: len(term_set(e.text) & want), lambda e: term_set(e.text) & want
                         and specifics(e.text) - a.said and cited(e) and not a.has(e))


def complete(turn: Turn, judge: Judge, settings: Settings) -> Checked | None:
    """Add the evidence for a part of the question the answer left out (the model gave 10 Hz and dropped 1 Hz;
    it said how much IL-1β fell but not what stimulation did it): at most MAX_ADDED verified evidence sentences
    that hold the missing words — named things from any paper, other words only from papers the answer cites —
    flagged 'evidence-added'."""
    r = turn.result
    if not settings.complete_answers or r is None or r.refusal or not r.text.strip():
        return None
    answer = strip_markers(r.text)
    idents = paper_idents(turn.passages)
    missing = term_set(turn.query) - term_set(answer) - ANSWER_TYPES - TOPIC_TERMS - idents
    cited = {c.n for c in r.citations if c.supported}
    check = Holds.of(turn, judge)
    a = add_missing(turn.evidence, missing, named_terms(turn.query) & missing, cited,
                    Additions(said=frozenset(term_set(answer))), check)
    a = add_first_part(turn, answer, cited, idents, a, check)
    a = add_setting(turn, answer, cited, a, check)
    # a later part of a two-part question ("…, and what stimulation produced it?") whose words the answer uses
    # without the specifics: the cited papers' sentence on it that brings a value or name the answer lacks
    known = known_authors(turn.passages, turn.texts)
    later = question_parts(turn.query)[1:] + (question_parts(turn.question)[1:] if turn.focus else [])
    for clause in dict.fromkeys(later):  # the user's own parts too: a rewrite may have merged or lost one
        a = add_one(on_part(clause, turn.evidence, idents, a,
                            lambda e: on_cited(e, cited, known, turn.passages)), a, check)
    if not a.sentences:
        return None
    body = verdict.strip_verdict(turn.raw)
    return Checked(check_answer(f"{body.strip()} {' '.join(a.sentences)}", turn.passages, turn.support, judge,
                                unsupported=settings.unsupported, repair=settings.repair_citations,
                                question=turn.query), turn.said, (AnswerFlag.EVIDENCE_ADDED,))


# --- verdict -----------------------------------------------------------------------------------------
def decide_verdict(turn: Turn) -> VerdictResult:
    """The verdict the answer carries: the one it said, checked against the studies it cites (yes/no questions)."""
    r = turn.result
    if not turn.yes_no or r is None:
        return VerdictResult(turn.verdict)
    answerable = not r.refusal and bool(r.text.strip()) and r.supported_count > 0
    cited: dict[str, list[str]] = {}
    for c in r.citations:
        if c.supported:
            cited.setdefault(c.passage.chunk.paper_id, []).append(turn.texts[c.n - 1])
    return VerdictResult(verdict.check(turn.said, answerable, turn.query, cited))


# --- assemble ----------------------------------------------------------------------------------------
def _highlights(turn: Turn, r: CheckResult) -> CheckResult:
    """The check's result with every citation pointed at the sentence(s) of its passage that back the answer
    sentences citing it, and every sentence at its evidence sentences (new sentences and citations)."""
    spans: dict[int, list[tuple[int, int]]] = {}
    sentences = []
    for s in r.sentences:
        ids = list(s.evidence_ids)
        for n in s.supported_markers or s.markers:
            best = best_sentences_for(s.text, n, turn.evidence)
            if best:
                ids += [e.id for e in best if e.id not in ids]
                spans.setdefault(n, []).extend((e.start, e.end) for e in best)
                continue
            claim = term_set(s.text)
            cands = sentence_spans(turn.passages[n - 1].chunk.text)
            if cands:
                a, b, _ = max(cands, key=lambda c: len(claim & term_set(c[2])))
                spans.setdefault(n, []).append((a, b))
        sentences.append(s.model_copy(update={"evidence_ids": ids}))
    citations = [c.model_copy(update={"highlights": sorted(set(spans.get(c.n, [])))}) for c in r.citations]
    return replace(r, sentences=sentences, citations=citations)


def assemble(turn: Turn, base: dict[str, Any], judge: Judge) -> Answer:
    r = turn.result
    assert r is not None
    turn = turn.flagged(*r.flags)
    if single_unverified_source(r.citations):
        turn = turn.flagged(AnswerFlag.SINGLE_UNVERIFIED_SOURCE)
        if turn.verdict in ("yes", "no"):  # a verdict never rests on an unidentified document alone
            turn = turn.but(verdict="insufficient")
    common = dict(base, passages=turn.passages, raw_answer=turn.generated or turn.raw, judge=judge.name,
                  sentences=r.sentences,
                  evidence=turn.evidence, verdict=turn.verdict, verdict_logodds=turn.yes_logodds,
                  verdict_score=turn.verdict_score, verdict_basis=verdict_basis(turn))
    content = [x for x in r.sentences if x.supported is not None]
    unverified = bool(content) and not any(x.supported for x in content)
    if r.refusal or not r.text.strip() or unverified:  # no sentence verified: nothing to stand behind
        turn = turn.flagged(AnswerFlag.LLM_REFUSED if r.refusal and turn.used_llm else
                            AnswerFlag.INSUFFICIENT_COVERAGE if r.refusal else AnswerFlag.NOTHING_VERIFIABLE)
        return Answer(answer=REFUSAL, answerable=False, flags=list(turn.flags), **common)
    r = _highlights(turn, r)
    text = f"{turn.said.capitalize()}. {r.text}" if turn.said in ("yes", "no") and turn.verdict == turn.said \
        else r.text
    return Answer(answer=text, answerable=True, citations=r.citations, references=r.references,
                  flags=list(turn.flags), **{**common, "sentences": r.sentences})


def single_unverified_source(citations: list[Citation]) -> bool:
    """Whether every supported citation is of one document that has no DOI, PMID or PMCID (its paper id is its
    sha256) and is not an evidence note: a planted or unidentified file alone behind the answer."""
    backing = {c.passage.chunk.paper_id: c.passage.doc for c in citations if c.supported}
    if len(backing) != 1:
        return False
    ((paper_id, doc),) = backing.items()
    return paper_id.startswith("sha256:") and doc.kind != "evidence-note"


def verdict_basis(turn: Turn) -> VerdictBasis | None:
    """What the verdict was read from, when the probe decided it (yes or no) and the answer carries it."""
    if turn.probed is None or turn.verdict != turn.probed or not turn.findings_from:
        return None
    read = [p for p, _ in findings_read(turn)]
    first = turn.findings_from[0][0]
    return VerdictBasis(paper_id=first.chunk.paper_id, label=first.doc.short_label(),
                        sections=list(dict.fromkeys(p.chunk.section or "" for p in read)),
                        chunk_ids=[p.chunk.chunk_id for p in read], text=turn.findings)


def refusal(turn: Turn, base: dict[str, Any]) -> Answer:
    turn = turn.flagged(turn.gate or AnswerFlag.NO_PASSAGES)
    return Answer(answer=REFUSAL, answerable=False, flags=list(turn.flags), evidence=turn.evidence,
                  verdict="insufficient" if turn.yes_no else None, **base)


def citation_papers(citations: list[Citation]) -> list[str]:
    return list(dict.fromkeys(c.passage.chunk.paper_id for c in citations))


# --- an answer from the study records ---------------------------------------------------------------------------
def take_record_answer(turn: Turn, found: Any) -> Turn:
    """The records' checked answer (``planned.RecordAnswer``) becomes the turn's answer: nothing is generated,
    and a yes/no question takes the verdict aggregated over the records."""
    said = found.verdict if turn.yes_no else turn.said
    draft = Draft(raw=found.text, generated=found.text, used_llm=False, flags=(AnswerFlag.FROM_RECORDS,))
    verdict_ = VerdictResult(found.verdict if turn.yes_no else turn.verdict)
    return turn.taking(draft).taking(Checked(found.result, said)).taking(verdict_)
