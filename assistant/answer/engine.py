"""The answer engine: question (+ history) → standalone query → passages → refusal gate → generation →
citation check → Answer.

``stream`` yields text deltas as the backend produces them, then the complete, checked ``Answer`` last. The
checked text can differ from the streamed one (out-of-range markers removed, unsupported sentences flagged or
dropped), so interfaces should replace what they streamed with ``Answer.answer`` at the end.

Flags an Answer can carry: ``below-threshold`` / ``below-bm25-threshold`` / ``question-term-missing`` /
``no-passages`` (refused before generation), ``llm-refused``,
``insufficient-coverage`` (extractive refusal), ``nothing-verifiable``, ``no-citations``, ``citations-added``,
``out-of-range-markers-removed``, ``unsupported-sentences`` / ``unsupported-sentences-dropped``,
``partial-refusal``, ``empty-output``, ``extractive-fallback``, ``llm-unavailable``,
``instructions-in-passages-removed``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from assistant.answer import conversation
from assistant.answer.check import CheckResult, check_answer
from assistant.answer.citations import is_refusal
from assistant.answer.closed_book import closed_book
from assistant.answer.extractive import ExtractiveBackend
from assistant.answer.judge import Judge, LexicalJudge, LLMJudge
from assistant.answer.llm import LLM, make_llm
from assistant.answer.models import REFUSAL, Answer
from assistant.answer.prompts import answer_messages, sanitize, snippet
from assistant.answer.terms import missing_named_terms
from assistant.errors import ConfigError, ModelError, QuestionError
from assistant.index.models import Passage
from assistant.settings import Settings

log = logging.getLogger(__name__)

BACKENDS = ("llama-cpp", "openai", "extractive")
RETRIEVAL_MODES = ("hybrid", "dense", "bm25", "none")
SearchFn = Callable[..., list[Passage]]


def _where(p: Passage) -> str:
    return ". ".join(x for x in (p.doc.title, p.chunk.section) if x)


class AnswerEngine:
    """Holds the backends (created lazily, one per name) and the judge; safe to reuse across questions."""

    def __init__(self, settings: Settings, search: SearchFn, llms: dict[str, LLM] | None = None,
                 judge: Judge | None = None) -> None:
        self.settings = settings
        self.search = search
        self._llms: dict[str, LLM] = dict(llms or {})
        self._unavailable: dict[str, str] = {}
        self._judge = judge
        self.extractive = ExtractiveBackend(max_sentences=settings.extractive_max_sentences,
                                            min_coverage=settings.extractive_min_coverage)

    # --- components ----------------------------------------------------------------------------
    def llm(self, backend: str) -> LLM | None:
        """The LLM for ``backend``; None when it is unavailable and settings allow the extractive fallback."""
        if backend not in self._llms and backend not in self._unavailable:
            try:
                self._llms[backend] = make_llm(backend, self.settings)
            except ModelError as exc:
                missing = "not installed" in str(exc) or "does not exist" in str(exc)
                if self.settings.llm_fallback == "error" or not missing or backend != "llama-cpp":
                    raise
                log.warning("%s; answering extractively", exc)
                self._unavailable[backend] = str(exc)
        return self._llms.get(backend)

    @property
    def judge(self) -> Judge:
        if self._judge is None:
            self._judge = self._make_judge()
        return self._judge

    def _make_judge(self) -> Judge:
        lexical = LexicalJudge(self.settings.judge_min_overlap)
        if self.settings.judge != "llm":
            return lexical
        from assistant.answer.llm import LlamaCppBackend, llama_cpp_available
        from assistant.answer.model_files import answer_model_path, judge_model_path

        if not llama_cpp_available():
            log.warning("judge=llm but llama-cpp-python is not installed: using the lexical judge")
            return lexical
        path = judge_model_path(self.settings)
        if path is None:
            try:
                path = answer_model_path(self.settings)
            except ModelError as exc:
                log.warning("no judge model (%s): using the lexical judge", exc)
                return lexical
        judge_settings = self.settings.model_copy(update={"llm_temperature": 0.0, "llm_context": 2048})
        return LLMJudge(LlamaCppBackend(path, judge_settings), lexical)

    # --- public API ----------------------------------------------------------------------------
    def ask(self, question: str, history: list[dict[str, Any]] | None = None, backend: str | None = None,
            k: int | None = None, retrieval: str | None = None) -> Answer:
        answer: Answer | None = None
        for item in self.stream(question, history=history, backend=backend, k=k, retrieval=retrieval):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def stream(self, question: str, history: list[dict[str, Any]] | None = None, backend: str | None = None,
               k: int | None = None, retrieval: str | None = None) -> Iterator[str | Answer]:
        """``retrieval`` overrides the settings' mode for this question; 'none' answers closed book."""
        s = self.settings
        question = self._validate(question)
        name = backend or s.backend
        if name not in BACKENDS:
            raise ConfigError(f"unknown backend {name!r}: use one of {', '.join(BACKENDS)}.")
        mode = retrieval or s.retrieval
        if mode not in RETRIEVAL_MODES:
            raise ConfigError(f"unknown retrieval mode {mode!r}: use one of {', '.join(RETRIEVAL_MODES)}.")
        k = k or s.top_k
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        flags: list[str] = []
        llm = self.llm(name) if name != "extractive" else None
        if name != "extractive" and llm is None:
            flags.append("llm-unavailable")
            name = "extractive"

        hist = conversation.normalise_history(history)
        if mode == "none":
            closed = closed_book(s, question, hist, name, llm)
            yield closed.answer
            yield closed
            return
        rewriter = llm if s.rewrite == "llm" else None
        query = conversation.rewrite(question, hist, rewriter)
        timings["rewrite_s"] = time.perf_counter() - t0

        t_r = time.perf_counter()
        found = self.search(query, k, mode=retrieval) if retrieval else self.search(query, k)
        passages = list(found)[:k]
        timings["retrieve_s"] = time.perf_counter() - t_r
        base = dict(question=question, query=query, passages=passages, backend=name, retrieval=mode,
                    model=getattr(llm, "model", "") if llm else "", settings_hash=s.settings_hash())

        gate = self._gate(question, passages)  # the user's words: a rewrite may add names
        if gate:
            flags.append(gate)
            yield REFUSAL
            refusal = Answer(answer=REFUSAL, answerable=False, flags=flags, **base)
            yield self._finish(refusal, t0, timings, time.perf_counter())
            return

        evidence, removed = zip(*(sanitize(p.chunk.text) for p in passages), strict=True)
        evidence = list(evidence)
        if any(removed):
            flags.append("instructions-in-passages-removed")
        # the judge also sees where a passage comes from: "in the spinal cord" is often said by the title only
        support = [f"{sanitize(_where(p))[0]}\n{e}" for p, e in zip(passages, evidence, strict=True)]
        judge = self.judge.fit(support)

        first: float | None = None
        parts: list[str] = []
        if llm is None:
            raw = self.extractive.compose(query, evidence, focus=question if query != question else None)
            first = time.perf_counter()
            parts.append(raw)
            yield raw
        else:
            prompt_texts = [snippet(t, query, s.llm_passage_chars) for t in evidence]
            t_g = time.perf_counter()
            for delta in llm.generate(answer_messages(query, prompt_texts, passages), stream=True):
                if first is None:
                    first = time.perf_counter()
                parts.append(delta)
                yield delta
            timings["generate_s"] = time.perf_counter() - t_g
        raw = "".join(parts)

        t_c = time.perf_counter()
        result = check_answer(raw, passages, support, judge, unsupported=s.unsupported, repair=s.repair_citations)
        unverified = not result.refusal and result.supported_count == 0 and s.unverified_fallback
        declined = result.refusal and s.refusal_fallback
        if llm is not None and (unverified or declined):
            fallback = self.extractive.compose(query, evidence, focus=question if query != question else None)
            if not (declined and is_refusal(fallback)):
                flags += result.flags + (["llm-refused"] if declined else []) + ["extractive-fallback"]
                result = check_answer(fallback, passages, support, judge, unsupported=s.unsupported, repair=False)
                why = "the model declined" if declined else "no verifiable sentence in the model's answer"
                yield f"\n\n[{why}; extracted from the passages instead]\n"
        timings["check_s"] = time.perf_counter() - t_c

        used_llm = llm is not None and "extractive-fallback" not in flags
        answer = self._assemble(result, raw, flags, base, judge, used_llm)
        yield self._finish(answer, t0, timings, first or time.perf_counter())

    # --- helpers -------------------------------------------------------------------------------
    def _gate(self, question: str, passages: list[Passage]) -> str | None:
        """Why to refuse before generation (a flag), or None: no passages; the best passage's cosine or BM25
        score under its calibrated threshold (BM25 separates in-corpus from out-of-corpus questions better); or
        a specific name in the question (IL-17, P2X4) that no passage mentions."""
        if not passages:
            return "no-passages"
        s = self.settings
        dense = max((p.dense_score for p in passages if p.dense_score is not None), default=None)
        if dense is not None and dense < s.refusal_threshold:
            return "below-threshold"
        lexical = max((p.bm25_rel for p in passages if p.bm25_rel is not None), default=None)
        if lexical is not None and s.refusal_bm25_threshold > 0 and lexical < s.refusal_bm25_threshold:
            return "below-bm25-threshold"
        texts = [f"{_where(p)}\n{p.chunk.text}" for p in passages]
        if s.refusal_missing_terms and missing_named_terms(question, texts):
            return "question-term-missing"
        return None

    def _validate(self, question: str) -> str:
        if not isinstance(question, str) or not question.strip():
            raise QuestionError("the question is empty: ask something about rTMS, neuropathic pain or "
                                "neuroinflammation.")
        q = " ".join(question.split())
        if len(q) > self.settings.max_question_chars:
            raise QuestionError(f"the question has {len(q)} characters; the limit is "
                                f"{self.settings.max_question_chars} (RTMS_MAX_QUESTION_CHARS): shorten it.")
        return q

    @staticmethod
    def _assemble(result: CheckResult, raw: str, flags: list[str], base: dict[str, Any], judge: Judge,
                  used_llm: bool) -> Answer:
        flags = list(dict.fromkeys(flags + result.flags))
        if result.refusal:
            flags.append("llm-refused" if used_llm else "insufficient-coverage")
        if result.refusal or not result.text.strip():
            if not result.refusal:
                flags.append("nothing-verifiable")
            return Answer(answer=REFUSAL, answerable=False, raw_answer=raw, flags=flags, judge=judge.name,
                          sentences=result.sentences, **base)
        return Answer(answer=result.text, answerable=True, citations=result.citations, references=result.references,
                      sentences=result.sentences, raw_answer=raw, flags=flags, judge=judge.name, **base)

    @staticmethod
    def _finish(answer: Answer, t0: float, timings: dict[str, float], first: float) -> Answer:
        now = time.perf_counter()
        answer.timings = {"retrieve_s": round(timings.get("retrieve_s", 0.0), 4),
                          "first_token_s": round(first - t0, 4), "total_s": round(now - t0, 4),
                          **{key: round(v, 4) for key, v in timings.items() if key != "retrieve_s"}}
        return answer
