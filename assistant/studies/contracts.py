"""The study record: what a researcher weighs a finding by, every value tied to the sentence it came from.

A value is recorded only with its ``Source``: the chunk, the sentence's character span in that chunk's text and
the exact words (``quote``) inside that sentence that carry the value, so a record is as checkable as a citation
(``tests/studies`` walks every record of the default corpus and checks each quote against its chunk).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.studies.vocab import ANIMAL_EXPOSURE

Kind = Literal[
    "randomised trial", "crossover trial", "open-label trial", "controlled trial", "cohort study",
    "case-control study", "cross-sectional study", "case series", "case report", "animal study", "in vitro",
    "review", "systematic review", "meta-analysis", "guideline", "evidence map",
]
"""What kind of study a paper reports. Human designs first, then laboratory work, then secondary literature."""

HUMAN_KINDS: frozenset[str] = frozenset({
    "randomised trial", "crossover trial", "open-label trial", "controlled trial", "cohort study",
    "case-control study", "cross-sectional study", "case series", "case report"})
SECONDARY_KINDS: frozenset[str] = frozenset({"review", "systematic review", "meta-analysis", "guideline",
                                             "evidence map"})

EXPOSURE_SPECIES: frozenset[str] = frozenset(name for name, _ in ANIMAL_EXPOSURE)
"""Animals a human study's people met (bites, stings, allergens): recorded in ``species`` beside 'human', but the
study is no animal study."""
NOT_ANIMALS: frozenset[str] = frozenset({"human", "cell culture"}) | EXPOSURE_SPECIES
"""``species`` values that do not make a study an animal study."""

Direction = Literal["up", "down", "unchanged"]
SizeRole = Literal["randomised", "treated", "patients", "participants", "animals", "per arm", "studies", "total"]


def asked_by(cues: str, description: str | None = None, default: Any = ()) -> Any:
    """A record field with the words of a question that ask for it ("sham?" asks ``control``, "how many?"
    ``sizes``): the question planner reads them from the schema (``question_cues``), one home with the field."""
    return Field(default, description=description, json_schema_extra={"asked_by": cues})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Frozen):
    """Where a value was read: a sentence of one chunk and the words in it that carry the value."""

    chunk_id: str
    start: int = Field(description="start of the sentence in the chunk's text")
    end: int = Field(description="end of the sentence in the chunk's text")
    quote: str = Field(description="the exact words inside that sentence that carry the value")


class Fact(_Frozen):
    """One recorded value (normalised, e.g. 'rat', 'double-blind', '10 Hz') and its source."""

    value: str
    source: Source


class Size(_Frozen):
    """A number of participants, animals or studies, what it counts, and its source."""

    n: int = Field(ge=1)
    role: SizeRole
    source: Source


class Finding(_Frozen):
    """One reported change: a marker or outcome, where it was measured, its direction after rTMS."""

    marker: str = Field(description="canonical marker ('TNF-α') or outcome ('mechanical allodynia', 'pain')")
    tissue: str | None = Field(None, description="tissue or compartment ('spinal cord', 'serum'), if stated")
    direction: Direction
    comparison: str | None = Field(None, description="what it was compared with ('sham', 'CCI'), if stated")
    magnitude: str | None = Field(None, description="size of the change as written ('35 %'), if stated")
    source: Source


class Claim(_Frozen):
    """A review's statement and the primary studies (paper ids) it rests on, where the text says so."""

    text: str
    studies: tuple[str, ...] = ()
    source: Source


class Stimulation(_Frozen):
    """The rTMS protocol, each part a list of facts (a study may compare 1 Hz and 10 Hz)."""

    target: tuple[Fact, ...] = asked_by("target targeted site coil")
    side: tuple[Fact, ...] = ()
    frequency: tuple[Fact, ...] = asked_by("frequency frequencies hz")
    intensity: tuple[Fact, ...] = asked_by("intensity threshold rmt")
    pulses: tuple[Fact, ...] = asked_by("pulses trains")
    sessions: tuple[Fact, ...] = asked_by("sessions session duration")
    schedule: tuple[Fact, ...] = asked_by("schedule often daily")
    start: tuple[Fact, ...] = asked_by("start started begin began",
                                       "start relative to injury ('one week after surgery')")

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in type(self).model_fields)


class StudySummary(_Frozen):
    """What a source card, a citation or an export shows of a paper's record."""

    kind: str | None = None
    badge: str = ""
    species: tuple[str, ...] = ()
    n: int | None = None
    human: bool = False


class StudyRecord(_Frozen):
    """One paper's study record."""

    paper_id: str
    doc_ids: tuple[str, ...] = Field(description="the indexed documents the record was read from")
    label: str = Field(description="'Hu et al. 2022'")
    title: str = ""
    journal: str = Field("", description="the journal, as the document's metadata names it (a question may say "
                                         "'the review in Life')")
    kind: Fact | None = asked_by("design kind rct cohort observational", "value is one of ``Kind``", default=None)
    design: tuple[Fact, ...] = asked_by("randomised randomized randomisation allocated allocation assigned crossover "
                                        "multicentre",
                                        "design features: 'randomised', 'double-blind', 'crossover', "
                                        "'sham-controlled', 'retrospective', 'prospective', 'cohort', "
                                        "'case-control', 'cross-sectional', 'follow-up', 'multicentre'")
    species: tuple[Fact, ...] = asked_by("species population humans animals patients people rats mice",
                                         "'human', 'rat', 'mouse', 'cell culture', ...")
    strain: tuple[Fact, ...] = asked_by("strain strains")
    sex: tuple[Fact, ...] = asked_by("sex male female gender", "'male', 'female'")
    condition: tuple[Fact, ...] = Field((), description="condition or pain model ('CCI', 'diabetic neuropathy')")
    sizes: tuple[Size, ...] = asked_by("sample size enrolled enrol recruited many")
    control: tuple[Fact, ...] = asked_by("sham placebo control controlled",
                                         "'sham', 'no stimulation', 'drug', 'healthy controls'")
    blinding: tuple[Fact, ...] = asked_by("blind blinded blinding masked",
                                          "'double-blind', 'single-blind', 'open-label'")
    stimulation: Stimulation = asked_by("protocol parameters regimen settings", "the whole protocol",
                                        default=Stimulation())
    outcomes: tuple[Fact, ...] = ()
    findings: tuple[Finding, ...] = ()
    claims: tuple[Claim, ...] = ()
    source_sha256: str = Field("", description="sha256 of the document the record was read from (reuse key)")
    extractor: int = Field(0, description="version of the extraction rules that made it")

    @property
    def kind_value(self) -> str | None:
        return self.kind.value if self.kind else None

    @property
    def is_human(self) -> bool:
        return any(f.value == "human" for f in self.species) or self.kind_value in HUMAN_KINDS

    @property
    def is_animal(self) -> bool:
        return any(f.value not in NOT_ANIMALS for f in self.species) or self.kind_value == "animal study"

    @property
    def is_primary(self) -> bool:
        return self.kind_value not in SECONDARY_KINDS

    def facts(self) -> list[tuple[str, Fact | Size | Finding | Claim]]:
        """Every recorded value with its field name (``stimulation.frequency`` for nested ones)."""
        out: list[tuple[str, Fact | Size | Finding | Claim]] = []
        if self.kind:
            out.append(("kind", self.kind))
        for name in ("design", "species", "strain", "sex", "condition", "sizes", "control", "blinding", "outcomes",
                     "findings", "claims"):
            out.extend((name, v) for v in getattr(self, name))
        for name in Stimulation.model_fields:
            out.extend((f"stimulation.{name}", v) for v in getattr(self.stimulation, name))
        return out

    def size(self) -> Size | None:
        """The size a reader wants first: randomised, else treated/patients/participants/animals, else total."""
        order = ("randomised", "participants", "patients", "treated", "animals", "total", "studies", "per arm")
        ranked = sorted(self.sizes, key=lambda s: (order.index(s.role), -s.n))
        return ranked[0] if ranked else None

    def badge(self) -> str:
        """A short evidence label for source cards and citations: 'RCT · 149 patients', 'rat · CCI · n = 32'."""
        kind = self.kind_value
        parts: list[str] = []
        short = {"randomised trial": "RCT", "crossover trial": "crossover trial", "meta-analysis": "meta-analysis",
                 "systematic review": "systematic review"}
        if kind and kind != "animal study":
            parts.append(short.get(kind, kind))
        species = [f.value for f in self.species if f.value != "human" and f.value not in EXPOSURE_SPECIES]
        if kind == "animal study" or (species and not self.is_human):
            parts.append(species[0] if species else "animals")
            if self.condition:
                parts.append(self.condition[0].value)
        size = self.size()
        if size is not None:
            if size.role == "studies":
                parts.append(f"{size.n} studies")
            elif self.is_human and not species:
                parts.append(f"{size.n} {'participants' if size.role == 'participants' else 'patients'}")
            else:
                parts.append(f"n = {size.n}")
        return " · ".join(parts)

    def summary(self) -> StudySummary:
        size = self.size()
        return StudySummary(kind=self.kind_value, badge=self.badge(), n=size.n if size else None,
                            species=tuple(dict.fromkeys(f.value for f in self.species)), human=self.is_human)


def question_cues() -> dict[str, str]:
    """Record field (``stimulation.frequency`` for the protocol's parts, ``stimulation`` for all of it) → the words
    of a question that ask for it, in the schema's order."""
    out: dict[str, str] = {}
    for prefix, model in (("", StudyRecord), ("stimulation.", Stimulation)):
        for name, info in model.model_fields.items():
            extra = info.json_schema_extra
            if isinstance(extra, dict) and isinstance(extra.get("asked_by"), str):
                out[prefix + name] = str(extra["asked_by"])
    return out


def direction_words(direction: Direction) -> tuple[str, str]:
    """How a finding's direction is written: its arrow and its verb ('↓', 'fell')."""
    return {"up": ("↑", "rose"), "down": ("↓", "fell"), "unchanged": ("=", "did not change")}[direction]
