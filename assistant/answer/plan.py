"""The question plan: what a question asks and over which studies, typed by rules and the study records.

``make_plan(question, focus, records)`` is pure. It matches the question's terms against the records' own values
(markers, tissues, species, labels) and against the field cues of ``terms.py`` ("patients or rats?" asks the
population, "sham?" the control, "which studies …" collects over records), and chooses the studies the answer is
planned over: those the question names or describes (``study_names.py``), else — a review named with a claim — the
primary studies behind the claim, else the studies in the conversation's focus, else the records whose findings
match the question's marker × tissue × species. Nothing here is proposed by a model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from assistant.answer.record_match import in_tissues, matching_findings, named_values, within
from assistant.answer.study_names import described_studies, named_studies
from assistant.answer.terms import (
    COMPARE_CUES,
    COMPARE_WORDS,
    FIELD_CUES,
    STOPWORDS,
    STUDY_NOUNS,
    TARGET_PHRASE,
    UMBRELLA_CONDITION,
    WH_WORDS,
    term_set,
    terms,
)
from assistant.answer.verdict import is_yes_no
from assistant.studies.contracts import StudyRecord
from assistant.studies.extract import tissues_in
from assistant.studies.vocab import (
    ANIMAL_SPECIES,
    CELL_CULTURE,
    HUMAN_WORDS,
    PAIN_CONDITIONS,
)

Ask = Literal["effect", "design", "protocol", "which_studies", "comparison", "yes_no"]
Scope = Literal["named", "claim", "focus", "matched", "none"]
Direction = Literal["up", "down"]

PROTOCOL_FIELDS = tuple(f for f in FIELD_CUES if f.startswith("stimulation."))
"""The protocol's parts a question can ask for (``stimulation`` asks for all of them)."""
DESIGN_FIELDS = tuple(f for f in FIELD_CUES if not f.startswith("stimulation"))
"""The record's design and population fields a question can ask for."""


@dataclass(frozen=True)
class Focus:
    """What the conversation so far was about: the studies, markers and tissues its answers cited."""

    papers: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()
    tissues: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """What is asked, and over which studies."""

    question: str
    asks: tuple[Ask, ...] = ()
    fields: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()
    tissues: tuple[str, ...] = ()
    species: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    frequencies: tuple[str, ...] = ()
    direction: Direction | None = None
    studies: tuple[str, ...] = ()
    scope: Scope = "none"
    yes_no: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def from_records(self) -> bool:
        """Is this a plan the study records can answer (design, protocol, which studies; a verdict on a marker some
        record measured, aggregated over all of them)?"""
        if "comparison" in self.asks and "which_studies" not in self.asks and len(self.studies) >= 2:
            return self.compares_fields  # how two named studies differed in design or protocol: each one's record
        if self.scope == "claim" and not self.yes_no and self.studies:
            return True  # the experiments behind a review's claim: the claim's effect is the premise, not the ask
        if self.yes_no and (self.markers and not self.fields
                            or self.scope == "named" and bool(self.conditions or self.species)):
            return True  # a verdict over the records, or a named study's premise checked against its record
        if not self.studies:
            return False
        if "which_studies" in self.asks:
            return True
        if "effect" in self.asks:  # a change the records do not type beyond marker × tissue × direction
            return self.lists_findings
        return bool(self.design_fields) or (bool(self.protocol_fields) and self.scope in ("focus", "claim", "named"))

    @property
    def compares_fields(self) -> bool:
        """"How did Khedr 2005's and Quesada 2020's session schedules differ?": the design or protocol fields of two
        or more studies the question names, compared."""
        return ("comparison" in self.asks and self.scope == "named" and len(self.studies) >= 2
                and bool(self.design_fields or self.protocol_fields))

    @property
    def whole_protocol(self) -> bool:
        """"What stimulation protocol did they use?" asks every protocol field: any the record holds answers it."""
        return set(self.protocol_fields) == set(PROTOCOL_FIELDS)

    @property
    def lists_findings(self) -> bool:
        """"Which two molecules does rTMS increase in the brain, according to Bai et al.?": what changed in the
        studies the question or the conversation names, in an asked direction or tissue, no marker named (a
        class of them may be: "which cytokines"). Their records' findings answer it; their passages too."""
        return ("effect" in self.asks and not self.yes_no and not self.markers and self.scope in ("named", "focus")
                and bool(self.studies) and (self.direction is not None or bool(self.tissues)))

    @property
    def across(self) -> bool:
        """Does the question collect over several studies ("which studies …", "what tests did the rat studies
        use?", "what ranges do the review articles quote?")? Its evidence is each paper's best sentence first."""
        return not self.yes_no and ("which_studies" in self.asks or spans_studies(self.question))

    @property
    def design_fields(self) -> tuple[str, ...]:
        return tuple(f for f in self.fields if f in DESIGN_FIELDS)

    @property
    def protocol_fields(self) -> tuple[str, ...]:
        """The protocol asked for (of the studies named, in the conversation's focus or behind a review's claim)."""
        return tuple(f for f in self.fields if f in PROTOCOL_FIELDS)


def words(text: str) -> list[str]:
    """Lower-case words as written (the study nouns and wh-words that ``term_set`` drops as function words)."""
    return re.findall(r"[a-z][a-z\-]*", text.lower())


POPULATIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("human", HUMAN_WORDS), *ANIMAL_SPECIES, ("cell culture", CELL_CULTURE))
"""The records' own population patterns (people words, animal species, cell culture), read in questions too."""


def populations_in(text: str) -> list[tuple[str, str]]:
    """(population, the words naming it) for each population ``text`` names: "in women?" names ``human``,
    "in rodents?" ``animal``; "clinical" and "in vitro" name the people and the cells a record would say."""
    out = [(name, m.group(0)) for name, pattern in POPULATIONS for m in pattern.finditer(text)]
    return out + [("human" if w.startswith("clinic") else "cell culture", w)
                  for w in re.findall(r"\bclinical(?:ly)?\b|\bvitro\b", text, re.I)]


def species_named(question: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for name, _ in populations_in(question)))


def has_species(record: StudyRecord, species: Iterable[str]) -> bool:
    """Is the record's population one of ``species`` (``human`` by its kind too; ``animal``: any animal)?"""
    asked = set(species)
    return (any(f.value in asked for f in record.species) or "human" in asked and record.is_human
            or "animal" in asked and record.is_animal)


def fields_asked(question: str, asked: set[str], markers: tuple[str, ...]) -> tuple[str, ...]:
    """The record fields the question asks for; the population only when it is the question ("patients or
    rats?", "in humans?"), not a filter of an effect question ("does it lower TNF-α in rats?")."""
    valued = _VALUED_PROTOCOL.sub(lambda m: " " if re.search(r"\d", m.group(0)) else m.group(0), question)
    unvalued = term_set(valued)  # "the neuronavigated 10 Hz sessions" is the subject, not a protocol field asked
    found = [f for f, cues in FIELD_CUES.items() if cues & (unvalued if f.startswith("stimulation.") else asked)
             and f not in ("species", "sizes", "stimulation")]
    if FIELD_CUES["stimulation"] & unvalued:
        found += [f for f in PROTOCOL_FIELDS if f not in found]
    species = species_named(question)
    ws = words(question)
    counted = [" ".join(ws[i + 1:i + 2]) for i, w in enumerate(ws) if w == "many"]
    protocol_cues = set().union(*(FIELD_CUES[f] for f in PROTOCOL_FIELDS))
    how_many = (any(not (term_set(c) & protocol_cues) or species_named(c) for c in counted)
                or bool(_HOW_BIG.search(question)))  # "how big was it?": its size
    if how_many or FIELD_CUES["sizes"] - {"many"} & asked:
        found.append("sizes")
    named = {t for c in cues_of(question, "species") if not c.describes for t in term_set(c.word)}
    short = len(asked) <= 4  # "In humans?", "and in rats?"
    # "in which neuropathic pain populations?" asks which patients by their pain, not the species
    of_pain = any(w.startswith("popul") and ws[i - 1:i] in (["pain"], ["patient"]) for i, w in enumerate(ws))
    population = (len(named) >= 2 or "spec" in named or "popul" in named and not of_pain
                  or bool(species and short and not found))
    if population:
        found.insert(0, "species")
    if "species" in found and "kind" not in found:
        found.insert(0, "kind")
    if "kind" in found and "design" not in found:
        found.insert(found.index("kind") + 1, "design")
    if "design" in found and {"design", "designs"} & set(words(question)):
        found += ["control", "blinding"]  # "how do their designs differ?": a control group and blinding are design
    return tuple(dict.fromkeys(found))


_HOW_BIG = re.compile(r"\bhow (?:big|large)\b(?! (?:\w+ ){0,2}(?:drop|effect|change|reduction|decrease|increase|fall"
                      r"|rise|difference|improvement|relief|gain|loss)s?\b)", re.I)
""""How big was it?" asks a size; "how big was the drop?" a magnitude."""
_VALUED_PROTOCOL = re.compile(
    r"\bthe (?:[\w-]+ ){0,4}?(?:protocols?|regimens?|parameters|settings|sessions?|courses?)\b", re.I)
"""A protocol named by its values ("the 5-day 20 Hz protocol"): it is what the question is about, not what it asks
for (only when a value in it has a digit: "the stimulation protocol" still asks)."""


def one_thing(question: str) -> bool:
    """Does a yes/no question ask one thing? Not when it offers a choice between two values of one record field
    ("patients or rats?", "male or female?") or goes on with a wh-part ("…, and how many per group?"); "does
    screening or surveillance improve …?" still asks whether."""
    ws = words(question)
    offered = [(term_set(ws[i - 1]), term_set(ws[i + 1])) for i, w in enumerate(ws[1:-1], 1) if w == "or"]
    if any(a & cues and b & cues for a, b in offered for cues in FIELD_CUES.values()):
        return False  # "patients or rats?", "male or female?": which one, not whether
    parts = re.split(r",\s+and\s+|;|\?\s+(?=\w)", question)
    return not any(set(words(p)[:2]) & WH_WORDS for p in parts[1:])


_PLACE_NOUNS = frozenset(["tissues", "regions", "compartments"])
_PLURAL_NOUN = "|".join(sorted((n for n in STUDY_NOUNS if n.endswith("s") and n != "models"), key=len, reverse=True))
_ARE_THERE_STUDIES = re.compile(rf"\b(?:are|were) there (?:any )?(?:[\w-]+ ){{0,3}}?(?:{_PLURAL_NOUN})\b", re.I)
""""Are there (any) human trials …?": asks which studies there are."""


def collects(question: str, markers: tuple[str, ...] = ()) -> bool:
    """A "which studies …" question: a wh-word followed closely by a study noun; or, of a marker, "where" or "in
    which tissues" ("Where has rTMS been shown to raise IL-10?": each study's finding says where; "in which
    region did a study …" asks of one)."""
    ws = words(question)
    if markers and ws and (ws[0] == "where" or any(w in ("which", "what") and ws[i + 1:i + 2] and ws[i + 1]
                                                     in _PLACE_NOUNS for i, w in enumerate(ws))):
        return True
    if _ARE_THERE_STUDIES.search(question):  # "Are there animal studies that compared 1 Hz with 10 Hz?"
        return True
    return any(w in ("which", "what") and any(n in STUDY_NOUNS and n.endswith("s") for n in ws[i + 1:i + 4])
               for i, w in enumerate(ws))


_PLURALS = "|".join(sorted((n for n in STUDY_NOUNS if n.endswith("s") and not n.endswith(("sis", "models"))),
                           key=len, reverse=True) + ["articles"])
_SPANS = re.compile(rf"\b(?:the|these|those|all|both|across)\s+(?:[\w-]+\s+){{0,3}}?(?:{_PLURALS})\b", re.I)


def spans_studies(question: str) -> bool:
    """A wh-question over a set of studies ("What tests did the rat rTMS studies use?", "across the trials")."""
    return bool(set(words(question)) & WH_WORDS) and bool(_SPANS.search(question))


def asks_of(question: str, asked: set[str], fields: tuple[str, ...], markers: tuple[str, ...],
            named: int) -> tuple[Ask, ...]:
    out: list[Ask] = []
    if collects(question, markers):
        out.append("which_studies")
    if any(f in DESIGN_FIELDS for f in fields):
        out.append("design")
    if any(f in PROTOCOL_FIELDS for f in fields):
        out.append("protocol")
    if markers or {"reduc", "increas"} & asked:
        out.append("effect")
    if COMPARE_CUES & asked or named >= 2:
        out.append("comparison")
    if is_yes_no(question) and one_thing(question):
        out.append("yes_no")
    return tuple(out)


# --- over which studies ----------------------------------------------------------------------------------------
def fits(record: StudyRecord, plan: Plan) -> bool:
    """Does a record match the question's markers (× tissues), species, conditions and frequencies?"""
    if plan.markers and not matching_findings(record, plan.markers, plan.tissues):
        return False
    if plan.tissues and not plan.markers and not any(in_tissues(f.tissue, plan.tissues) for f in record.findings):
        return False
    if plan.species and not has_species(record, plan.species):
        return False
    if plan.frequencies and not any(f.value in plan.frequencies for f in record.stimulation.frequency):
        return False
    umbrella = covers_pain(plan.conditions)
    return not plan.conditions or any(c.value in plan.conditions or umbrella and c.value in PAIN_CONDITIONS
                                      for c in record.condition)


def covers_pain(conditions: Iterable[str]) -> bool:
    """Does the question name the condition every pain model and patient group here is a kind of ("the rat
    studies of neuropathic pain": CCI rats too, not the stroke studies)?"""
    return any(term_set(c) <= UMBRELLA_CONDITION for c in conditions)


def behind_claims(reviews: Iterable[StudyRecord], plan: Plan, records: Mapping[str, StudyRecord],
                  asked: set[str]) -> tuple[str, ...]:
    """The primary studies behind a review's claim the question repeats: the claim's links (those the question's
    species, frequency, tissue and condition fit, when any do), else the primary records whose findings match the
    claim's marker, tissue and direction."""
    by_label = {r.label: pid for pid, r in records.items()}
    linked: list[str] = []
    for review in reviews:
        for claim in review.claims:
            if plan.markers and any(within(m, term_set(claim.text)) for m in plan.markers):
                linked += [s if s in records else by_label[s] for s in claim.studies if s in records or s in by_label]
    if linked and not plan.yes_no:  # those of them the question's other values fit ("which 20 Hz rat study …")
        return tuple(dict.fromkeys([pid for pid in linked if fits(records[pid], plan)] or linked))
    direction = None if plan.yes_no else plan.direction  # a verdict on the claim weighs every study that measured it
    return tuple(pid for pid, r in records.items() if r.is_primary and plan.markers
                 and matching_findings(r, plan.markers, plan.tissues, direction) and fits(r, plan))


def choose_studies(plan: Plan, focus: Focus, records: Mapping[str, StudyRecord],
                   asked: set[str], points_back: bool, by_name: tuple[str, ...]) -> tuple[tuple[str, ...], Scope]:
    """``by_name``: the papers the question names (``named_studies``, read once by ``make_plan``)."""
    named = tuple(dict.fromkeys(by_name + described_studies(plan.question, records, plan.markers, plan.tissues)))
    if named:
        reviews = [records[p] for p in named if not records[p].is_primary]
        if reviews and len(reviews) == len(named) and (plan.fields or plan.markers):
            behind = behind_claims(reviews, plan, records, asked)
            if behind:
                return behind, "claim"
        return named, "named"
    in_focus = tuple(p for p in focus.papers if p in records)
    if in_focus and (points_back or not (plan.markers or "which_studies" in plan.asks)):
        return in_focus, "focus"
    constrained = plan.markers or plan.tissues or plan.conditions or plan.frequencies or plan.species
    if constrained and (plan.markers or plan.tissues or "which_studies" in plan.asks):
        matched = [pid for pid, r in records.items() if fits(r, plan)]
        primary = [pid for pid in matched if records[pid].is_primary]  # a review restates its primary studies
        if matched:
            return tuple(primary or matched), "matched"
    return (), "none"


def measured_tissues(tissues: tuple[str, ...], records: Mapping[str, StudyRecord]) -> tuple[str, ...]:
    """The named tissues, without one that is only ever a stimulation target ("stimulated the motor cortex")."""
    targets = [w for r in records.values() for t in r.stimulation.target for w in (t.value, t.source.quote)]
    found = [f.tissue for r in records.values() for f in r.findings]
    return tuple(t for t in tissues if any(in_tissues(f, [t]) for f in found)
                 or not any(term_set(t) <= term_set(v) for v in targets))


def tissues_named(question: str, records: Mapping[str, StudyRecord]) -> tuple[str, ...]:
    """The tissues a question asks about, read with the records' own tissue patterns (named, or by their adjective:
    "spinal IL-1β"), but not where it says the stimulation went ("after motor cortex stimulation")."""
    named = sorted({t for t, _, _ in tissues_in(TARGET_PHRASE.sub(" ", question))},
                   key=lambda t: (-len(term_set(t)), t))
    return measured_tissues(tuple(named), records)


def make_plan(question: str, focus: Focus | None = None, records: Mapping[str, StudyRecord] | None = None,
              points_back: bool = False) -> Plan:
    """The plan of ``question`` given the conversation's ``focus`` and the study ``records`` (paper → record).
    ``points_back``: the question refers into the conversation ("it", "that trial", "and in which tissue?")."""
    focus, records = focus or Focus(), records or {}
    asked, order = term_set(question), terms(question)
    conditions = named_values((c.value for r in records.values() for c in r.condition), asked, order)
    if not covers_pain(conditions) and UMBRELLA_CONDITION - {"chronic"} <= asked:
        conditions += ("neuropathic pain",)  # named even where no record says it: it covers every pain model

    def condition_word(term: str) -> bool:  # "spinal cord" of "spinal cord injury", "pain" of "neuropathic pain"
        return any(term_set(term) <= term_set(c) for c in conditions)
    own = tuple(m for m in named_values((f.marker for r in records.values() for f in r.findings), asked, order)
                if not condition_word(m))
    markers = own or (focus.markers if points_back else ())
    fields = fields_asked(question, asked, markers)
    up, down = "increas" in asked, "reduc" in asked  # "did it rise or fall?" asks no direction
    either = bool(re.search(r"\b(?:up or down|down or up)\b", question, re.I))  # nor "did it go up or down?"
    direction: Direction | None = None if up == down or either else "down" if down else "up"
    tissues = tuple(t for t in tissues_named(question, records) if not condition_word(t))  # the injury's place
    frequencies = named_values((f.value for r in records.values() for f in r.stimulation.frequency), asked,
                               order)
    draft = Plan(question=question, fields=fields, markers=markers, tissues=tissues, species=species_named(question),
                 conditions=conditions, frequencies=frequencies, direction=direction)
    by_name = named_studies(question, records)
    n_named = len(by_name)
    asks = asks_of(question, asked, fields, own, n_named)
    draft = Plan(**{**asdict(draft), "asks": asks, "yes_no": "yes_no" in asks})
    studies, scope = choose_studies(draft, focus, records, asked, points_back, by_name)
    def premise(f: str) -> bool:  # a field word that describes the study, not what is asked of it
        return comparator(question, f) or definite(question, f) if draft.yes_no else describing(question, f)
    kept = tuple(f for f in fields if not premise(f))
    if kept != fields:
        fields, asks = kept, asks_of(question, asked, kept, own, n_named)
    if scope == "named" and len(studies) == 1:  # "which trials went into Finnerup 2015?": the trials inside it
        asks = tuple(a for a in asks if a != "which_studies")
    return Plan(**{**asdict(draft), "asks": asks, "fields": fields, "studies": studies, "scope": scope})


COMPARATOR_BEFORE = COMPARE_WORDS | {"beat", "beats", "outperform", "outperformed", "outperforms"}
"""Words before a field cue that make it the comparator ("did it beat sham?", "more than placebo"), not the ask."""
_DEFINITE = frozenset(["the", "this", "that", "these", "those", "their", "its", "his", "her"])


@dataclass(frozen=True)
class Cue:
    """A question's word that cues a record field, the (up to six) words before it, and whether it describes a
    study or names a comparator rather than asking for the field (see ``cues_of``)."""

    word: str
    before: tuple[str, ...]
    describes: bool


def cues_of(question: str, field: str) -> list[Cue]:
    """The question's words that cue ``field``, each with whether it describes a study ("the multicentre
    sham-controlled trial", "their rat rTMS study": a study noun follows within a few words, no function word
    between) or names a comparator ("more than sham") rather than asking for it ("was there a sham group?"; "how
    many trials …?" counts them)."""
    ws = re.findall(r"[a-z0-9][a-z0-9\-]*", question.lower())

    def before_noun(i: int) -> bool:
        for w in ws[i + 1:i + 5]:
            if w in STUDY_NOUNS:
                return True
            if w in STOPWORDS:
                return False
        return False
    return [Cue(w, tuple(ws[max(0, i - 6):i]),
                i > 0 and ws[i - 1] != "how" and (before_noun(i) or ws[i - 1] in COMPARATOR_BEFORE))
            for i, w in enumerate(ws) if term_set(w) & FIELD_CUES[field]]


def definite(question: str, field: str) -> bool:
    """Does every word that cues ``field`` describe a study already picked out ("did rTMS beat sham in the Hosomi
    2020 multicentre trial?": "the … trial"), not what is asked of it ("was it a multicentre trial?")?"""
    cued = cues_of(question, field)
    return bool(cued) and all(c.describes and bool(_DEFINITE & set(c.before)) for c in cued)


def comparator(question: str, field: str) -> bool:
    """Is every word that cues ``field`` a comparator ("did active rTMS beat sham?" asks the effect, not the
    control)?"""
    cued = cues_of(question, field)
    return bool(cued) and all(bool(c.before) and c.before[-1] in COMPARATOR_BEFORE for c in cued)


def describing(question: str, field: str) -> bool:
    """Does every word that cues ``field`` describe a study (see ``cues_of``)?"""
    cued = cues_of(question, field)
    return bool(cued) and all(c.describes for c in cued)
