"""The answer engine: runs a question through the stages in ``stages.py`` and streams the result.

``stream`` yields the ``Evidence`` (passages and the sentences chosen from them) before any model token, then
text deltas as the backend writes, then the complete, checked ``Answer`` last. The checked text can differ from
the streamed one (out-of-range markers removed, unsupported sentences flagged or dropped, a fallback), so
interfaces should replace what they streamed with ``Answer.answer`` at the end. The ``Evidence`` is never
changed once sent: ``Answer.evidence`` is its sentences, and every passage the answer cites is one it lists under
the same number (a passage only a later answer from the findings may cite is listed after the shown ones).

Flags an Answer can carry: ``below-threshold`` / ``below-bm25-threshold`` / ``question-term-missing`` /
``no-passages`` (refused before generation), ``llm-refused``, ``insufficient-coverage`` (extractive refusal),
``nothing-verifiable``, ``no-citations``, ``citations-added``, ``citations-corrected``,
``out-of-range-markers-removed``, ``unsupported-sentences`` / ``unsupported-sentences-dropped``,
``partial-refusal``, ``empty-output``, ``extractive-fallback``, ``evidence-added``, ``llm-unavailable``,
``instructions-in-passages-removed``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from assistant.answer import conversation, planned, reason, stages, study_answer
from assistant.answer.backends import backend_spec, make_llm
from assistant.answer.closed_book import closed_book
from assistant.answer.composers import Composer, ExtractiveComposer, LLMComposer
from assistant.answer.contracts import REFUSAL, Answer, Evidence
from assistant.answer.judge import Judge, make_judge
from assistant.answer.llm import LLM
from assistant.answer.plan import Plan, make_plan
from assistant.answer.stages import PaperPassages, Retriever, Similar
from assistant.answer.subject import foreign_subject
from assistant.answer.terms import term_set
from assistant.answer.turn import Retrieved, Turn
from assistant.answer.unstated import unstated_fields
from assistant.errors import AssistantError, ConfigError, ModelError
from assistant.index.contracts import Passage
from assistant.settings import Settings
from assistant.studies.contracts import StudyRecord
from assistant.vocab import ANSWER_MODES, AnswerFlag, RetrievalMode

log = logging.getLogger(__name__)

KEPT_GATES = (AnswerFlag.QUESTION_TERM_MISSING, AnswerFlag.NOT_STATED_BY_STUDY)
"""Refusals an answer from the records does not overrule: what the question asks is not in the corpus."""
ACROSS_K = 8
"""Passages retrieved for a question that collects over studies (``Plan.across``), at least."""
THRESHOLD_GATES = (AnswerFlag.BELOW_THRESHOLD, AnswerFlag.BELOW_BM25_THRESHOLD)
"""Refusals for a weak match, lifted when every study the question names was retrieved (its wording, not absence)."""


class AnswerEngine:
    """Holds the backends (created lazily, one per name) and the judge; safe to reuse across questions.

    ``search`` is the retriever interface: ``search(query, k, mode=..., papers=...) -> list[Passage]``;
    ``similar(query, chunk_ids) -> {(chunk_id, start): cosine}`` scores stored sentences (optional);
    ``paper_passages(paper_id)`` gives every passage of one paper (the verdict reads its findings; optional);
    ``corpus_texts()`` gives every chunk's text and every paper's bibliographic line, read once for the corpus's
    vocabulary (optional; without it the fallback does not check the question's words against the corpus)."""

    def __init__(self, settings: Settings, search: Retriever, llms: dict[str, LLM] | None = None,
                 judge: Judge | None = None, similar: Similar | None = None,
                 paper_passages: PaperPassages | None = None,
                 corpus_texts: Callable[[], Iterable[str]] | None = None,
                 studies: Callable[[], Mapping[str, StudyRecord]] | None = None) -> None:
        self.settings = settings
        self.studies = studies
        self.search = search
        self.similar = similar
        self.paper_passages = paper_passages
        self.corpus_texts = corpus_texts
        self._vocabulary: frozenset[str] | None = None
        self._llms: dict[str, LLM] = dict(llms or {})
        self._unavailable: dict[str, str] = {}
        self._llm_lock = threading.Lock()
        self._judge = judge
        self.extractive = ExtractiveComposer(settings)

    # --- components ----------------------------------------------------------------------------
    def records(self) -> Mapping[str, StudyRecord]:
        """The study records (paper id → record); none when the index holds none."""
        if self.studies is None:
            return {}
        try:
            return self.studies() or {}
        except AssistantError as exc:
            log.warning("study records unavailable (%s); answering from passages only", exc)
            return {}

    @staticmethod
    def plan(turn: Turn, records: Mapping[str, StudyRecord]) -> Plan:
        """The question's plan, with the conversation's focus (a question that points back resolves to it)."""
        focus = conversation.focus_of(turn.history, records)
        back = bool(turn.history) and (conversation.is_follow_up(turn.question, True)
                                       or conversation.mentions_context(turn.question))
        return make_plan(turn.question, focus, records, points_back=back)

    def llm(self, backend: str) -> LLM | None:
        """The LLM for ``backend``; None when it is unavailable and settings allow the extractive fallback. An
        unavailable one is made as soon as its spec says it is ready (a model `make run` installs in the
        background while the app already answers extractively)."""
        with self._llm_lock:
            ready = backend_spec(backend).ready if backend in self._unavailable else None
            if ready is not None and ready(self.settings):
                log.info("the %s backend is ready now; answering with it", backend)
                del self._unavailable[backend]
            if backend not in self._llms and backend not in self._unavailable:
                try:
                    self._llms[backend] = make_llm(backend, self.settings)
                except ModelError as exc:
                    missing = "not installed" in str(exc) or "does not exist" in str(exc)
                    if self.settings.llm_fallback == "error" or not missing or not backend_spec(backend).falls_back:
                        raise
                    log.warning("%s; answering extractively", exc)
                    self._unavailable[backend] = str(exc)
            return self._llms.get(backend)

    def unavailable(self, backend: str) -> str | None:
        """Why ``backend`` answers extractively for now (its LLM is tried first); None when it does not."""
        spec = backend_spec(backend)
        if spec.falls_back and self.settings.llm_fallback != "error":
            self.llm(backend)
        return self._unavailable.get(backend)

    def composer(self, backend: str) -> tuple[Composer, LLM | None]:
        if not backend_spec(backend).uses_llm:
            return self.extractive, None
        llm = self.llm(backend)
        return (self.extractive, None) if llm is None else (LLMComposer(llm, self.settings, backend), llm)

    @property
    def vocabulary(self) -> frozenset[str] | None:
        """Every term of the corpus (chunks and bibliographic lines), read on first use."""
        if self._vocabulary is None and self.corpus_texts is not None:
            vocabulary: set[str] = set()
            for text in self.corpus_texts():
                vocabulary |= term_set(text)
            self._vocabulary = frozenset(vocabulary)
        return self._vocabulary

    @property
    def judge(self) -> Judge:
        if self._judge is None:
            self._judge = make_judge(self.settings.judge, self.settings)
        return self._judge

    # --- public API ----------------------------------------------------------------------------
    def ask(self, question: str, history: list[dict[str, Any]] | None = None, backend: str | None = None,
            k: int | None = None, retrieval: str | None = None, passages: list[Passage] | None = None) -> Answer:
        answer: Answer | None = None
        for item in self.stream(question, history=history, backend=backend, k=k, retrieval=retrieval,
                                passages=passages):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def stream(self, question: str, history: list[dict[str, Any]] | None = None, backend: str | None = None,
               k: int | None = None, retrieval: str | None = None,
               passages: list[Passage] | None = None) -> Iterator[Evidence | str | Answer]:
        """``retrieval`` overrides the settings' mode for this question; 'none' answers closed book.
        ``passages``: answer from these instead of searching (e.g. one paper the user chose)."""
        s = self.settings
        question = stages.validate(question, s)
        spec = backend_spec(backend or s.backend)
        asked = retrieval or s.retrieval
        if asked not in ANSWER_MODES:
            raise ConfigError(f"unknown retrieval mode {asked!r}: use one of {', '.join(ANSWER_MODES)}.")
        mode = RetrievalMode(asked)
        clock = Clock()
        composer, llm = self.composer(spec.name)
        turn = Turn(question=question, history=conversation.normalise_history(history), backend=composer.name,
                    model=composer.model, mode=RetrievalMode.GIVEN if passages is not None else mode,
                    k=k or s.top_k, given=passages)
        if spec.uses_llm and llm is None:
            turn = turn.flagged(AnswerFlag.LLM_UNAVAILABLE)
        if mode is RetrievalMode.NONE and passages is None:
            closed = closed_book(s, question, turn.history, turn.backend, llm)
            yield closed.answer
            yield closed
            return

        turn = turn.but(query=stages.resolve(turn, llm if s.rewrite == "llm" else None))
        records = self.records()
        plan = self.plan(turn, records)
        clock.since_start("rewrite_s")
        turn, draft = self._gather(turn, plan, records, composer, clock, explicit=retrieval is not None)
        judge = self.judge.fit(turn.support)
        found = planned.record_answer(draft, turn.passages, turn.support, judge) if draft else None
        if found is not None and turn.gate not in KEPT_GATES:
            turn = turn.but(gate=None)  # the records answer: not refused by the score gates (a name no passage has)
        clock.since_start("evidence_s")
        yield stages.evidence_item(turn)  # never changed afterwards: every passage an answer may cite is in it
        base = dict(question=question, query=turn.query, passages=turn.passages, backend=turn.backend,
                    retrieval=turn.mode, model=turn.model, settings_hash=s.settings_hash(), plan=plan.to_dict())
        if turn.gate:
            yield REFUSAL
            yield clock.finish(stages.refusal(turn, base))
            return

        turn = yield from self._write(turn, composer, judge, found, planned.answers_all(plan, found), clock)
        if turn.result is not None:
            turn = turn.but(result=planned.record_check(turn.result, turn.passages, records,
                                                        drop=s.unsupported == "drop"))
        answer = stages.assemble(turn, base, judge)
        yield clock.finish(planned.with_reason(answer, found, turn.yes_no))

    def _write(self, turn: Turn, composer: Composer, judge: Judge, found: planned.RecordAnswer | None,
               records_only: bool, clock: Clock) -> Generator[str, None, Turn]:
        """The answer: the records' lines alone when they answer everything asked; else the written answer,
        checked, after the records' lines (the records first, retrieved sentences for the rest)."""
        t_g = time.perf_counter()
        if found is not None:
            yield found.text
            clock.first_token()
            turn = stages.take_record_answer(turn, found)
        if not records_only:
            draft, probe = yield from clock.timed(stages.generate(turn, composer))
            turn = turn.taking(draft).taking(probe)
        clock.timings["generate_s"] = time.perf_counter() - t_g
        t_c = time.perf_counter()
        if not records_only:
            turn = yield from self._check(turn, composer, judge)
            turn = turn.taking(stages.decide_verdict(turn))
        if found is not None and not records_only and turn.result is not None:
            turn = turn.but(result=planned.joined(found, turn.result, turn.passages, turn.support, judge,
                                                  self.settings.unsupported))
        clock.timings["check_s"] = time.perf_counter() - t_c
        return turn

    def _retrieved(self, turn: Turn, plan: Plan, clock: Clock, explicit: bool) -> Retrieved:
        """Retrieval and the gates; a follow-up the gates refuse is searched within the studies in focus."""
        s = self.settings
        t_r = time.perf_counter()
        turn = turn.but(passages=stages.retrieve(turn, self.search, s, explicit_mode=explicit))
        clock.timings["retrieve_s"] = time.perf_counter() - t_r
        turn = turn.but(gate=stages.gate(turn, s))
        if turn.gate is None and s.refusal_missing_terms and foreign_subject(turn.question, lambda: self.vocabulary):
            turn = turn.but(gate=AnswerFlag.QUESTION_TERM_MISSING)  # "Does laser therapy …?": not in the corpus
        if turn.gate in THRESHOLD_GATES and plan.scope == "named" and plan.studies and all(
                any(p.chunk.paper_id == pid for p in turn.passages) for pid in plan.studies):
            turn = turn.but(gate=None)  # the studies it names were found: a weak match is their wording, not absence
        if turn.gate and plan.scope == "focus" and turn.given is None:  # a follow-up on the studies in focus
            within = planned.focus_passages(plan, turn.query, self.search, turn.k)
            turn = turn.but(passages=within, gate=None) if within else turn
        return Retrieved(stages.expand(turn, self.search, s, explicit_mode=explicit), turn.gate)

    def _gather(self, turn: Turn, plan: Plan, records: Mapping[str, StudyRecord], composer: Composer,
                clock: Clock, explicit: bool) -> tuple[Turn, study_answer.RecordDraft | None]:
        """Retrieval, the gates and the evidence; the records' draft for the plan, whose source passages join the
        evidence before it is sent."""
        s = self.settings
        turn = turn.but(about=plan.studies if plan.scope == "named" else (), across=plan.across)
        if plan.across and turn.given is None:  # a question over several studies reads more of them
            turn = turn.but(k=max(turn.k, ACROSS_K))
        turn = turn.taking(self._retrieved(turn, plan, clock, explicit))
        shown = {p.chunk.paper_id for p in turn.passages}
        draft = study_answer.draft(plan, records, shown) if plan.from_records else None
        unstated = unstated_fields(plan, records, self.paper_passages) if not turn.gate else ()
        if unstated:  # "What frequency did Toledo et al. use?" of a study that states none: not another's
            turn = turn.but(gate=AnswerFlag.NOT_STATED_BY_STUDY)
        if draft is not None:
            sources = planned.record_sources(draft, turn.passages, self.paper_passages)
            turn = turn.but(passages=[*turn.passages, *sources])
        turn = turn.taking(stages.select(turn, s, self.similar if s.sentence_vectors else None))
        turn = turn.but(yes_no=planned.asks_yes_no(turn.yes_no, plan))
        turn = turn.taking(stages.findings(turn, s, self.paper_passages))
        if composer.from_findings(turn):
            turn = turn.taking(stages.join_findings(turn))
        return turn, draft

    def _check(self, turn: Turn, composer: Composer, judge: Judge) -> Generator[str, None, Turn]:
        """The written answer verified, asked again, fallen back and completed (see stages.py): each new draft is
        checked as it is made, and each stage returns the turn with its draft."""
        s = self.settings
        turn = stages.verified(turn, judge, s)
        turn = yield from stages.ask_again(turn, composer, judge, s)
        turn = yield from stages.fallback(turn, self.extractive, judge, s, lambda: self.vocabulary)
        for revise in (reason.for_no, reason.for_partly):
            revised = revise(turn)
            if revised is not None:
                turn = stages.verified(turn.taking(revised), judge, s)
        return turn.taking(stages.complete(turn, judge, s))


T = TypeVar("T")


@dataclass
class Clock:
    """The timings of one question (what ``Answer.timings`` reports): seconds per step and the first token."""

    t0: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)
    first: float | None = None

    def since_start(self, key: str) -> None:
        self.timings[key] = time.perf_counter() - self.t0

    def first_token(self) -> None:
        self.first = self.first or time.perf_counter()

    def timed(self, deltas: Generator[str, None, T]) -> Generator[str, None, T]:
        """``deltas`` passed on, the first one's time noted; what their generator returns."""
        return stages.kept(deltas, lambda _: self.first_token())

    def finish(self, answer: Answer) -> Answer:
        now = time.perf_counter()
        first = self.first or now
        timings = {"retrieve_s": round(self.timings.get("retrieve_s", 0.0), 4),
                   "first_token_s": round(first - self.t0, 4), "total_s": round(now - self.t0, 4),
                   **{key: round(v, 4) for key, v in self.timings.items() if key != "retrieve_s"}}
        return answer.model_copy(update={"timings": timings})
