"""Backends that write an answer from a Turn's evidence, all behind one interface: ``compose(turn)`` yields the
deltas and returns the ``Probe`` (what it learnt of the verdict; the turn is not written into).

``LLMComposer`` prompts a language model with the evidence sentences (or passage excerpts) and, where the
backend supports it, constrains its output with a grammar; ``ExtractiveComposer`` picks passage sentences
without a model. Stages never ask which one they hold.
"""

from __future__ import annotations

import functools
from collections.abc import Generator
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol, cast

from assistant.answer import verdict
from assistant.answer.attribution import about_study, asked_study, known_authors
from assistant.answer.citations import is_refusal, source_label
from assistant.answer.extractive import ExtractiveBackend
from assistant.answer.grammar import answer_grammar
from assistant.answer.llm import LLM, DecidesYesNo
from assistant.answer.prompts import (
    answer_messages,
    evidence_messages,
    findings_answer_messages,
    snippet,
    verdict_messages,
)
from assistant.answer.turn import Probe, Turn
from assistant.settings import Settings
from assistant.vocab import Backend


class Composer(Protocol):
    name: str
    model: str
    uses_llm: bool

    def compose(self, turn: Turn) -> Generator[str, None, Probe]: ...

    def from_findings(self, turn: Turn) -> bool:
        """Will it answer this yes/no question from the findings its verdict is read from?"""
        ...

    def probes(self, turn: Turn) -> bool:
        """Will it ask for this yes/no question's verdict from the findings alone (``turn.probed``)?"""
        ...


class ExtractiveComposer:
    """Verified passage sentences; for a yes/no question the verdict word comes from their wording."""

    name: str = Backend.EXTRACTIVE
    model = ""
    uses_llm = False

    def __init__(self, settings: Settings) -> None:
        self.backend = ExtractiveBackend(max_sentences=settings.extractive_max_sentences,
                                         min_coverage=settings.extractive_min_coverage)

    def compose(self, turn: Turn) -> Generator[str, None, Probe]:
        """A question about one study ("How were the sessions spaced in Quesada 2020?") is answered from what the
        passages say of that study only: a neighbouring study's sentence would answer another question."""
        labels = [source_label(p.doc.first_author, p.doc.year, None, None) for p in turn.passages]  # who, when
        asked = asked_study(turn.query, known_authors(turn.passages, turn.texts)) if turn.passages else None
        only = about_study(asked, turn.passages, turn.texts) if asked else None
        text = self.backend.compose(turn.query, turn.texts, focus=turn.focus, labels=labels, only=only)
        if turn.yes_no and not is_refusal(text):
            from assistant.answer.citations import split_sentences

            word = "Yes" if verdict.lean(split_sentences(text)) == "yes" else "No"
            text = f"{word}. {text}"
        yield text
        return Probe()

    def from_findings(self, turn: Turn) -> bool:
        return False

    def probes(self, turn: Turn) -> bool:
        return False


class LLMComposer:
    """An LLM writing from the evidence; grammar-constrained on llama.cpp."""

    uses_llm = True

    def __init__(self, llm: LLM, settings: Settings, name: str | None = None) -> None:
        self.llm = llm
        self.settings = settings
        self.name = name or str(getattr(llm, "name", "llm"))
        self.model = str(getattr(llm, "model", ""))

    def probes(self, turn: Turn) -> bool:
        """Is the verdict asked for separately, from the findings (rather than as the answer's first word)?"""
        return bool(turn.yes_no and self.settings.verdict_probe and getattr(self.llm, "decides_yes_no", False))

    def from_findings(self, turn: Turn) -> bool:
        """Is the verdict asked for first, and the answer written on from the findings it was read from?"""
        return bool(self.probes(turn) and turn.findings and self.settings.yes_no_answer == "findings")

    def messages(self, turn: Turn) -> list[dict[str, str]]:
        s = self.settings
        if s.prompt_evidence == "sentences" and turn.evidence:
            yes_no: bool | Literal["findings"] = "findings" if self.probes(turn) else turn.yes_no
            return evidence_messages(turn.query, turn.evidence, turn.passages, yes_no=yes_no) + turn.again
        excerpts = [snippet(t, turn.query, s.llm_passage_chars) for t in turn.texts]
        return answer_messages(turn.query, excerpts, turn.passages) + turn.again

    def grammar(self, turn: Turn) -> str | None:
        if not self.settings.constrained_output or not getattr(self.llm, "supports_grammar", False):
            return None
        return answer_grammar(len(turn.passages), yes_no=turn.yes_no and not self.probes(turn))

    def compose(self, turn: Turn) -> Generator[str, None, Probe]:
        if self.from_findings(turn):
            probed = self.probe(turn)
            if probed.probed in ("yes", "no"):
                said = str(probed.probed).capitalize()
                yield f"{said}. "
                out = self.llm.generate(findings_answer_messages(turn.query, turn.findings, said), stream=True)
                yield from ([out] if isinstance(out, str) else out)
                return replace(probed, unmarked=True)
            return (yield from self._from_evidence(turn, probe=False))  # the probe could not decide: as without it
        return (yield from self._from_evidence(turn))

    def _from_evidence(self, turn: Turn, probe: bool = True) -> Generator[str, None, Probe]:
        grammar = self.grammar(turn)
        # options only a backend that declares them takes (supports_grammar, decides_yes_no: llama.cpp)
        kwargs: dict[str, Any] = {"grammar": grammar} if grammar else {}
        probes = self.probes(turn)
        decide = (grammar and turn.yes_no and not probes and self.settings.verdict_yes_threshold is not None
                  and getattr(self.llm, "decides_yes_no", False))
        if decide:
            kwargs["yes_threshold"] = self.settings.verdict_yes_threshold
        out = self.llm.generate(self.messages(turn), stream=True, **kwargs)
        yield from ([out] if isinstance(out, str) else out)
        if decide:
            return Probe(yes_logodds=getattr(self.llm, "last_yes_logodds", None))
        return self.probe(turn) if probes and probe else Probe()

    def probe(self, turn: Turn) -> Probe:
        """The verdict from the findings alone: a short prompt of the best-matching paper's results, asked before
        the answer (``yes_no_answer="findings"``) or after it has streamed. A 1.5B model that must open
        its answer with Yes or No says yes to nearly everything; asked about the results alone it separates yes
        from no far better (measured in eval/README.md)."""
        if not turn.findings:  # stages.findings found no text for the best paper
            return Probe()
        probe = verdict_logodds(cast(DecidesYesNo, self.llm), turn.query, turn.findings)  # probes() checked it
        if probe is None:
            return Probe()
        score = verdict_model(self.settings.verdict_model).score(probe.plain, probe.negated, turn.findings)
        return Probe("yes" if score >= self.settings.verdict_probe_threshold else "no", probe.plain, score)


class VerdictProbe(NamedTuple):
    plain: float  # log-odds of "Yes" over "No" to the question
    negated: float  # the same to "is the answer no?"


def verdict_logodds(llm: DecidesYesNo, question: str, findings: str) -> VerdictProbe | None:
    """The model's log-odds of "Yes" over "No" as its one-token answer to ``question`` over ``findings``, and to
    "is the answer to this question no?" (the verdict model's inputs, at answer time and when it is fitted).

    A 1.5B model also says yes to the negated asking for much the same reasons it says yes to the question; how
    much more it says yes to the question is a better signal: AUC 0.706 against 0.689 for the plain log-odds on
    400 PubMedQA calibration questions (eval/README.md, round 8). The two askings share all but their last line."""
    out = []
    for negated in (False, True):
        llm.generate(verdict_messages(question, findings, negated), stream=False, max_tokens=1, yes_threshold=0.0,
                     restart=not negated)
        if llm.last_yes_logodds is None:
            return None
        out.append(llm.last_yes_logodds)
    return VerdictProbe(*out)


@functools.lru_cache(maxsize=4)
def verdict_model(path: Path | None) -> verdict.VerdictModel:
    return verdict.VerdictModel.load(path)
