"""Judges decide whether an evidence passage supports one answer sentence.

* ``LexicalJudge`` — fast, deterministic: weighted share of the claim's key terms found in the evidence, where a
  term's weight grows with its rarity among the retrieved passages (a term every passage shares says little; a
  term none holds is probably invented). A salient token (number, IL-6, 10hz, TNF-alpha) missing from the
  evidence fails the claim outright, and so does a flipped direction ("reduces IL-10" against "raises IL-10",
  see ``polarity.py``).
* ``LLMJudge`` — a small GGUF model asked yes/no; falls back to the lexical judge when the model errs.

``make_judge`` is the one way to get either (the answer engine and the eval both use it).
"""

from __future__ import annotations

import logging
import math
from typing import Protocol

from assistant.answer.polarity import contradicts
from assistant.answer.terms import is_salient, term_set
from assistant.errors import AssistantError, ConfigError, ModelError
from assistant.settings import Settings
from assistant.studies.extract import tissues_in
from assistant.vocab import JudgeName

log = logging.getLogger(__name__)


class Judge(Protocol):
    name: str

    def fit(self, texts: list[str]) -> Judge:
        """A judge prepared for the passages of one answer (term statistics); returns a new object."""
        ...

    def supports(self, claim: str, evidence: str) -> bool: ...


class LexicalJudge:
    name: str = JudgeName.LEXICAL

    def __init__(self, min_overlap: float = 0.6) -> None:
        self.min_overlap = min_overlap
        self._df: dict[str, int] = {}
        self._n = 0

    def fit(self, texts: list[str]) -> LexicalJudge:
        """A judge with term statistics from ``texts`` (a new object: the engine may serve several threads)."""
        fitted = LexicalJudge(self.min_overlap)
        fitted._n = len(texts)
        for t in texts:
            for term in term_set(t):
                fitted._df[term] = fitted._df.get(term, 0) + 1
        return fitted

    def weight(self, term: str) -> float:
        return 1.0 + math.log((self._n + 1) / (self._df.get(term, 0) + 1))

    def score(self, claim: str, evidence: str) -> float:
        """Weighted share of the claim's terms present in the evidence (0..1); 0 if a salient term is missing."""
        claim_terms = term_set(claim)
        if not claim_terms:
            return 1.0
        ev = term_set(evidence)
        ev |= {term for name, _, _ in tissues_in(evidence) for term in term_set(name)}  # "PFC": prefrontal cortex
        if any(is_salient(t) and t not in ev for t in claim_terms):
            return 0.0
        total = sum(self.weight(t) for t in claim_terms)
        return sum(self.weight(t) for t in claim_terms if t in ev) / total

    def supports(self, claim: str, evidence: str) -> bool:
        return self.score(claim, evidence) >= self.min_overlap and not contradicts(claim, evidence)


# Framing matters for small models: with "Passage / Claim / Does the passage support the claim?" the 0.5B model
# answered "no" to everything; "Text / Statement / Is the statement true according to the text?" separates
# supported from unsupported pairs for both the 0.5B and the 1.5B model (measured on hand-labelled pairs).
JUDGE_SYSTEM = "You are a strict fact checker. Reply with yes or no."


class LLMJudge:
    """Yes/no verdicts from a small chat model; verdicts are cached per (claim, evidence)."""

    def __init__(self, llm: object, fallback: LexicalJudge, max_evidence_chars: int = 1500) -> None:
        self.llm = llm
        self.fallback = fallback
        self.max_evidence_chars = max_evidence_chars
        self.name = f"llm:{getattr(llm, 'model', 'model')}"
        self._cache: dict[tuple[str, str], bool] = {}

    def fit(self, texts: list[str]) -> LLMJudge:
        fitted = LLMJudge(self.llm, self.fallback.fit(texts), self.max_evidence_chars)
        fitted._cache = self._cache  # verdicts do not depend on the other passages
        return fitted

    def supports(self, claim: str, evidence: str) -> bool:
        key = (claim, evidence)
        if key in self._cache:
            return self._cache[key]
        messages = [
            {"role": "system", "content": JUDGE_SYSTEM},
            {"role": "user", "content": f"Text: {evidence[: self.max_evidence_chars]}\n\nStatement: {claim}\n\n"
                                        "Is the statement true according to the text? Reply yes or no."},
        ]
        try:
            out = str(self.llm.generate(messages, stream=False, max_tokens=3))  # type: ignore[attr-defined]
        except AssistantError as exc:
            log.warning("LLM judge failed (%s); using the lexical judge", exc)
            return self.fallback.supports(claim, evidence)
        word = out.strip().lower().lstrip("*'\"").split()
        if not word or word[0].rstrip(".,!") not in {"yes", "no"}:
            verdict = self.fallback.supports(claim, evidence)
        else:
            verdict = word[0].startswith("yes")
        self._cache[key] = verdict
        return verdict


def make_judge(name: str, settings: Settings, *, strict: bool = False, max_evidence_chars: int = 1500) -> Judge:
    """The citation judge called ``name``: 'lexical' (fast, deterministic) or 'llm' (a GGUF model asked yes/no,
    RTMS_JUDGE_MODEL or else the answer model; ``max_evidence_chars`` of evidence per question).

    Fallback, documented once: the LLM judge needs llama-cpp-python and a model file. When either is missing,
    ``strict=False`` (answering: a lexical check beats an unchecked answer) logs a warning and returns the lexical
    judge; ``strict=True`` (evaluation: a score must come from the judge asked for) raises ConfigError /
    ModelError naming the fix. An RTMS_JUDGE_MODEL that points nowhere always raises. Once made, an LLM judge
    answers a sentence lexically when its model fails on it (``LLMJudge.supports``)."""
    from assistant.answer.backends import backend_spec, local_llm
    from assistant.answer.model_files import answer_model_path, judge_model_path
    from assistant.vocab import Backend

    lexical = LexicalJudge(settings.judge_min_overlap)
    try:
        kind = JudgeName(name)
    except ValueError:
        raise ConfigError(f"unknown judge {name!r}: use one of {', '.join(JudgeName)}") from None
    if kind is JudgeName.LEXICAL:
        return lexical
    if not backend_spec(Backend.LLAMA_CPP).available():
        if strict:
            raise ConfigError(f"the {JudgeName.LLM} judge needs llama-cpp-python (`make run` installs it); "
                              f"or use --judge {JudgeName.LEXICAL}")
        log.warning("judge=%s but llama-cpp-python is not installed: using the lexical judge", JudgeName.LLM)
        return lexical
    path = judge_model_path(settings)
    if path is None:
        try:
            path = answer_model_path(settings)
        except ModelError as exc:
            if strict:
                raise
            log.warning("no judge model (%s): using the lexical judge", exc)
            return lexical
    judge_settings = settings.model_copy(update={"llm_temperature": 0.0, "llm_context": 2048})
    return LLMJudge(local_llm(path, judge_settings), lexical, max_evidence_chars=max_evidence_chars)
