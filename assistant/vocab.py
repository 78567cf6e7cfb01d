"""The project's vocabulary: backend names, retrieval modes, judge names and answer flags, each spelled once.

They are ``StrEnum`` members, so a member equals its string (``Backend.OPENAI == "openai"``), formats as it
(``f"{Backend.OPENAI}"`` is ``openai``) and serialises as it in JSON: settings, ``RTMS_*`` variables, CLI options,
saved answers and eval records keep the strings they always had. Code compares and builds with the members.
"""

from __future__ import annotations

from enum import StrEnum


class Backend(StrEnum):
    """Who writes the answer (see ``assistant/answer/backends.py`` for what each needs)."""

    LLAMA_CPP = "llama-cpp"  # in-process GGUF model through llama-cpp-python
    OPENAI = "openai"  # any OpenAI-compatible chat-completions server
    EXTRACTIVE = "extractive"  # no LLM: verified passage sentences


class RetrievalMode(StrEnum):
    """Where an answer's passages come from."""

    HYBRID = "hybrid"  # dense and BM25 rankings fused
    DENSE = "dense"  # embedding cosine only
    BM25 = "bm25"  # lexical only
    NONE = "none"  # closed book: no passages
    ORACLE = "oracle"  # eval only: the gold context
    GIVEN = "given"  # the caller chose the passages (e.g. one paper)


SEARCHED_MODES = (RetrievalMode.HYBRID, RetrievalMode.DENSE, RetrievalMode.BM25)
"""The modes that search the index."""
ANSWER_MODES = (*SEARCHED_MODES, RetrievalMode.NONE)
"""The modes a caller may ask the answer engine for."""


class JudgeName(StrEnum):
    """The citation judges (``assistant/answer/judge.py``)."""

    LEXICAL = "lexical"
    LLM = "llm"


class AnswerFlag(StrEnum):
    """What ``Answer.flags`` can say about how an answer came about."""

    # refused before generation (the refusal gates)
    NO_PASSAGES = "no-passages"
    BELOW_THRESHOLD = "below-threshold"
    BELOW_BM25_THRESHOLD = "below-bm25-threshold"
    QUESTION_TERM_MISSING = "question-term-missing"
    NOT_STATED_BY_STUDY = "not-stated-by-study"  # the named study states none of the protocol fields asked
    # refusals and fallbacks after generation
    LLM_REFUSED = "llm-refused"
    INSUFFICIENT_COVERAGE = "insufficient-coverage"  # the extractive backend refused
    NOTHING_VERIFIABLE = "nothing-verifiable"
    EXTRACTIVE_FALLBACK = "extractive-fallback"
    UNKNOWN_QUESTION_TERMS = "unknown-question-terms"  # no fallback: the corpus lacks much of the question's wording
    ASKED_AGAIN = "asked-again"  # the model restated the question and was asked once more
    LLM_UNAVAILABLE = "llm-unavailable"
    CLOSED_BOOK = "closed-book"
    # the citation check's repairs and warnings
    EMPTY_OUTPUT = "empty-output"
    NO_CITATIONS = "no-citations"
    PARTIAL_REFUSAL = "partial-refusal"
    REPEATED_SENTENCE_DROPPED = "repeated-sentence-dropped"
    RESTATED_QUESTION_DROPPED = "restated-question-dropped"
    CITATIONS_ADDED = "citations-added"
    CITATIONS_CORRECTED = "citations-corrected"
    CITATIONS_PRUNED = "citations-pruned"
    OUT_OF_RANGE_MARKERS_REMOVED = "out-of-range-markers-removed"
    UNSUPPORTED_SENTENCES = "unsupported-sentences"
    UNSUPPORTED_SENTENCES_DROPPED = "unsupported-sentences-dropped"
    EVIDENCE_ADDED = "evidence-added"
    REASON_REPLACED = "reason-replaced"  # a "No." answer's sentence asserted what it denies: the null finding instead
    ONLY_PARTLY = "only-partly"  # asked whether fully ("completely reverse"); the finding says partly: "No."
    FROM_RECORDS = "from-records"  # written from the study records' facts (their source sentences cited)
    RECORD_CONTRADICTION = "record-contradiction"  # the cited study's record contradicts a claim (marker, tissue, way)
    # passages that look like instructions to a model
    INSTRUCTIONS_IN_PASSAGES_REMOVED = "instructions-in-passages-removed"
    INSTRUCTION_LIKE_PASSAGES_IGNORED = "instruction-like-passages-ignored"
    # provenance: every supported sentence rests on one document without DOI / PMID / PMCID (not an evidence note)
    SINGLE_UNVERIFIED_SOURCE = "single-unverified-source"
