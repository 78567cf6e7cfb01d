"""The state one question carries through the answer pipeline's stages (see stages.py), and the typed, frozen
results the stages return. A stage reads the turn and returns what it makes; the engine takes it into the next
turn (``Turn.taking``): nothing is written into what an earlier stage made."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from assistant.answer.check import CheckResult
from assistant.answer.contracts import EvidenceSentence, Verdict
from assistant.index.contracts import Passage
from assistant.settings import field_default
from assistant.vocab import AnswerFlag, Backend, RetrievalMode


@dataclass(frozen=True)
class Retrieved:
    """Retrieval's result: the passages shown (numbered 1..n) and the gate's flag when the question is refused."""

    passages: list[Passage]
    gate: AnswerFlag | None = None


@dataclass(frozen=True)
class EvidenceSet:
    """Selection's result: the passages' sanitised texts, the judge's support texts, the evidence sentences, whether
    a verdict is wanted, and the flags selection raised."""

    texts: list[str]
    support: list[str]
    evidence: list[EvidenceSentence]
    yes_no: bool = False
    flags: tuple[AnswerFlag, ...] = ()


@dataclass(frozen=True)
class Findings:
    """A yes/no question's findings: the best paper's findings text (the verdict is read from it) and its passages."""

    findings: str = ""
    findings_from: list[tuple[Passage, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Shown:
    """What an answer may cite: the passages with their texts and support texts, numbered 1..n."""

    passages: list[Passage]
    texts: list[str]
    support: list[str]


@dataclass(frozen=True)
class Probe:
    """What a composer learnt of the verdict as it wrote: the verdict asked for from the findings alone
    (``probed``), the model's log-odds of "Yes" over "No" (first word, or the probe), the verdict model's score
    (above the threshold: yes), and whether the answer was written without markers (the check adds them)."""

    probed: Verdict | None = None
    yes_logodds: float | None = None
    verdict_score: float | None = None
    unmarked: bool = False


@dataclass(frozen=True)
class Draft:
    """A written answer: the text being checked (the model's, or the fallback's), what the backend wrote (kept as
    ``Answer.raw_answer``), whether a model wrote it, the restatement and request it was asked again with."""

    raw: str
    generated: str
    used_llm: bool
    again: list[dict[str, str]] = field(default_factory=list)
    flags: tuple[AnswerFlag, ...] = ()


@dataclass(frozen=True)
class Checked:
    """A draft's check: the result and the verdict word the answer opened with (or the probed one)."""

    result: CheckResult
    said: Verdict | None = None
    flags: tuple[AnswerFlag, ...] = ()


@dataclass(frozen=True)
class Revised:
    """A draft's text revised by a stage after its check (checked again by the next one), and why."""

    raw: str
    flags: tuple[AnswerFlag, ...] = ()
    probed: Verdict | None = None  # the verdict the revision states (it outranks the raw's opening word)


@dataclass(frozen=True)
class VerdictResult:
    """The verdict the answer carries, checked against the evidence it cites."""

    verdict: Verdict | None = None


Result = Retrieved | EvidenceSet | Findings | Shown | Probe | Draft | Checked | Revised | VerdictResult


@dataclass(frozen=True)
class Turn:
    """One question on its way to an Answer: the inputs, then what each stage returned. Frozen: a stage reads it
    and returns a result, and the engine takes that into a new turn (``taking``); the lists it holds are never
    changed in place."""

    question: str
    history: list[dict[str, Any]] = field(default_factory=list)
    backend: str = Backend.EXTRACTIVE
    model: str = ""
    mode: RetrievalMode = RetrievalMode.HYBRID
    k: int = field(default_factory=lambda: int(field_default("top_k")))
    given: list[Passage] | None = None  # passages chosen by the caller: no search
    query: str = ""  # the question resolved against the conversation (what is searched and answered)
    about: tuple[str, ...] = ()  # the studies the question names or describes (the plan's, scope "named")
    across: bool = False  # the question collects over several studies (Plan.across): one sentence per paper first
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

    def but(self, **changes: Any) -> Turn:
        """A new turn with ``changes``; this one is left as it is."""
        return replace(self, **changes)

    def taking(self, result: Result | None) -> Turn:
        """A new turn holding a stage's result (its flags added after the turn's own); this one when it made none."""
        if result is None:
            return self
        changes = {f.name: getattr(result, f.name) for f in fields(result) if f.name != "flags"}
        return replace(self, **changes).flagged(*getattr(result, "flags", ()))

    def flagged(self, *names: AnswerFlag) -> Turn:
        """A new turn with ``names`` added to its flags (each once, in order)."""
        flags = [*self.flags, *(n for n in dict.fromkeys(names) if n not in self.flags)]
        return replace(self, flags=flags) if len(flags) != len(self.flags) else self

    @property
    def focus(self) -> str | None:
        """The user's own words when the query is a resolved follow-up."""
        return self.question if self.query != self.question else None
