"""The state one question carries through the answer pipeline's stages (see stages.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.answer.check import CheckResult
from assistant.answer.contracts import EvidenceSentence, Verdict
from assistant.index.contracts import Passage
from assistant.settings import field_default
from assistant.vocab import AnswerFlag, Backend, RetrievalMode


@dataclass
class Turn:
    """One question on its way to an Answer. Stages read and fill it in order."""

    question: str
    history: list[dict[str, Any]] = field(default_factory=list)
    backend: str = Backend.EXTRACTIVE
    model: str = ""
    mode: RetrievalMode = RetrievalMode.HYBRID
    k: int = field(default_factory=lambda: int(field_default("top_k")))
    given: list[Passage] | None = None  # passages chosen by the caller: no search
    query: str = ""  # the question resolved against the conversation (what is searched and answered)
    passages: list[Passage] = field(default_factory=list)
    gate: AnswerFlag | None = None  # why the question is refused before generation
    texts: list[str] = field(default_factory=list)  # sanitised passage texts (what the model may use)
    support: list[str] = field(default_factory=list)  # texts with title and section, for the judge
    evidence: list[EvidenceSentence] = field(default_factory=list)
    yes_no: bool = False
    raw: str = ""  # the text being checked (the model's, or the fallback's)
    generated: str = ""  # what the backend wrote (kept as Answer.raw_answer)
    said: Verdict | None = None  # the verdict word the answer opened with
    yes_logodds: float | None = None  # the model's log-odds of "Yes" over "No" (first word, or the follow-up)
    findings: str = ""  # the best-matching paper's findings, for the verdict (stages.findings)
    findings_from: list[tuple[Passage, str]] = field(default_factory=list)  # their passages and texts
    verdict_score: float | None = None  # the verdict model's score (above the threshold: yes)
    probed: Verdict | None = None  # the verdict asked for from the findings alone (verdict_probe)
    unmarked: bool = False  # the model was not asked for markers (an answer from the findings): the check adds them
    result: CheckResult | None = None
    again: list[dict[str, str]] = field(default_factory=list)  # the model's restatement and the request after it
    used_llm: bool = False
    verdict: Verdict | None = None
    flags: list[AnswerFlag] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    first_token: float | None = None

    def flag(self, *names: AnswerFlag) -> None:
        for n in names:
            if n not in self.flags:
                self.flags.append(n)

    @property
    def focus(self) -> str | None:
        """The user's own words when the query is a resolved follow-up."""
        return self.question if self.query != self.question else None
