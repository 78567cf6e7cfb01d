"""Answers written from study records: each line states a record's facts and cites the chunks of their sources.

``draft(plan, records)`` returns a ``RecordDraft`` (frozen) or None when the records do not answer the plan:

- design and population questions: kind, design, species, strain, sex, condition, sizes, control, blinding of
  each planned study (the words its source sentences carry, ``Source.quote``);
- protocol questions: the asked stimulation fields of each planned study;
- "which studies …": every matching record, one line each with its model, tissue and protocol;
- "which molecules rose in the brain (in a named study)?": its findings in that direction and tissue;
- yes/no questions on a marker: a verdict aggregated over every record that measured it (``aggregate``).

The lines are deterministic, so the extractive backend answers from records too; the engine checks them against
their source passages like any answer.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from assistant.answer.contracts import Verdict
from assistant.answer.plan import Plan, has_species
from assistant.answer.polarity import both_ways, directions
from assistant.answer.record_match import in_tissues, matching_findings
from assistant.answer.terms import term_set
from assistant.corpus.markers import MARKER_CLASSES, marker_classes_in
from assistant.studies.contracts import Fact, Finding, Size, StudyRecord, direction_words
from assistant.studies.vocab import BEHAVIOUR_FINDINGS

MAX_CHUNKS = 3  # a line is judged against its first three citations


Span = tuple[str, int, int]  # a source sentence: chunk id, start, end


@dataclass(frozen=True)
class Line:
    """One answer line (without markers): the facts written out (``text``), the chunks they were read from and,
    for a field answer, the source sentences (``spans``) that are stated instead, each cited to its passage."""

    text: str
    chunks: tuple[str, ...]
    paper_id: str
    label: str = ""
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class RecordDraft:
    """What the records answer: the lines, and for a yes/no question the aggregated verdict and its reason."""

    lines: tuple[Line, ...]
    verdict: Verdict | None = None
    reason: str = ""

    @property
    def chunks(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for line in self.lines for c in line.chunks))


def values(record: StudyRecord, field: str) -> tuple[Fact | Size, ...]:
    """The facts of one field ('sizes', 'stimulation.frequency', 'kind')."""
    if field == "kind":
        return (record.kind,) if record.kind else ()
    if field.startswith("stimulation."):
        got: tuple[Fact, ...] = getattr(record.stimulation, field.split(".", 1)[1])
        return got
    found: tuple[Fact | Size, ...] = getattr(record, field, ())
    return found


def quotes(facts: Iterable[Fact | Size | Finding]) -> list[str]:
    """The facts' quoted words, in order, without a quote another one contains."""
    qs = list(dict.fromkeys(f.source.quote.strip() for f in facts if f.source.quote.strip()))
    return [q for q in qs if not any(q != o and q.lower() in o.lower() for o in qs)]


def by_chunk(facts: Iterable[Fact | Size | Finding]) -> dict[str, list[Fact | Size | Finding]]:
    out: dict[str, list[Fact | Size | Finding]] = {}
    for f in facts:
        out.setdefault(f.source.chunk_id, []).append(f)
    return out


def field_lines(record: StudyRecord, fields: Iterable[str]) -> list[Line]:
    """A study's asked fields, one line per source chunk: "Attal et al. 2021: randomised; double-blind; 149
    were treated", stated by their source sentences where the passages are at hand; the line with the study's kind
    names it after the label ("Finnerup et al. 2015 (meta-analysis): …"): its source sentence says "pooled", not
    what kind of study that makes."""
    facts = [f for name in fields for f in values(record, name)]
    out = []
    for chunk, group in by_chunk(facts).items():
        spans = tuple(dict.fromkeys((f.source.chunk_id, f.source.start, f.source.end) for f in group))
        if quotes(group):
            kind = record.kind_value if any(f is record.kind for f in group) else None
            label = f"{record.label} ({kind})" if kind else record.label  # the type a source sentence may not name
            out.append(Line(f"{label}: {'; '.join(quotes(group))}.", (chunk,), record.paper_id,
                            label, tuple(sorted(spans, key=lambda x: x[1]))))
    return out


def finding_text(f: Finding) -> str:
    where = f" in the {f.tissue}" if f.tissue else ""
    return f"{f.marker} {direction_words(f.direction)[1]}{where}"


def study_line(record: StudyRecord, findings: list[Finding], frequencies: Collection[str] = (),
               every_frequency: bool = False) -> Line:
    """One line of a "which studies" answer: the study's model, what changed where, and its protocol (the
    frequency the question names when the study used several; all of them when it asks which)."""
    model = [*record.species[:1], *record.condition[:1]]
    hz = sorted(record.stimulation.frequency, key=lambda f: f.value not in frequencies)
    protocol = [*(hz if every_frequency else hz[:1]), *record.stimulation.target[:1]]
    parts = [", ".join(quotes(model)), "; ".join(finding_text(f) for f in findings[:3]), ", ".join(quotes(protocol))]
    sourced: list[Fact | Finding] = [*findings[:1], *model, *protocol]
    chunks = [f.source.chunk_id for f in sourced]
    text = f"{record.label}: {'; '.join(p for p in parts if p)}."
    return Line(text, tuple(dict.fromkeys(chunks))[:MAX_CHUNKS], record.paper_id)


def which_draft(plan: Plan, records: Mapping[str, StudyRecord]) -> RecordDraft | None:
    lines = []
    for pid in plan.studies:
        r = records[pid]
        found = matching_findings(r, plan.markers, plan.tissues, plan.direction) if plan.markers else []
        if plan.markers and not found:
            continue
        lines.append(study_line(r, found, plan.frequencies, "stimulation.frequency" in plan.fields))
    return RecordDraft(tuple(lines)) if lines else None


def listed_findings(record: StudyRecord, plan: Plan) -> list[Finding]:
    """A record's findings in the asked direction and tissue, of the marker class the question names (molecular
    findings before behaviour: "which molecules" is not answered by a paw threshold)."""
    members = {m for c in marker_classes_in(plan.question) for m in MARKER_CLASSES[c]}
    found = [f for f in record.findings if (plan.direction is None or f.direction == plan.direction)
             and (not plan.tissues or in_tissues(f.tissue, plan.tissues)) and (not members or f.marker in members)]
    return sorted(found, key=lambda f: f.marker in BEHAVIOUR_FINDINGS)


def findings_draft(plan: Plan, records: Mapping[str, StudyRecord]) -> RecordDraft | None:
    """What changed in the planned studies (``Plan.lists_findings``): one line per matching finding, stated by
    its source sentence; None when no record holds one (the passages then answer)."""
    studies = [records[pid] for pid in plan.studies[:3]]
    lines = [finding_line(r, f) for r in studies for f in listed_findings(r, plan)[:4]]
    return RecordDraft(tuple(lines)) if lines else None


def claim_draft(plan: Plan, records: Mapping[str, StudyRecord]) -> RecordDraft | None:
    """The experiments behind a review's claim: each study's model, what it found of the claim's marker (in the
    claim's tissue where it measured it there), its protocol, and the fields the question asks."""
    lines = []
    for pid in plan.studies[:3]:
        r = records[pid]
        found = matching_findings(r, plan.markers, plan.tissues) or matching_findings(r, plan.markers)
        lines += [study_line(r, found, plan.frequencies), *field_lines(r, plan.fields)]
    return RecordDraft(tuple(lines)) if lines else None


def fields_draft(plan: Plan, records: Mapping[str, StudyRecord]) -> RecordDraft | None:
    """The asked fields of the planned studies; None when a protocol field asked has no value in any of them, or
    the whole protocol asked has none at all (the passages then answer, as for any question). A review's protocol
    values are its primary studies' (restated): a protocol is read from primary studies' records only."""
    studies = [records[pid] for pid in plan.studies[:3]]
    primary = [r for r in studies if r.is_primary]
    protocol = plan.protocol_fields if plan.scope in ("focus", "claim", "named") and primary else ()
    held = [any(values(r, f) for r in primary) for f in protocol]
    if protocol and not (any(held) if plan.whole_protocol else all(held)):
        return None
    lines = [line for r in studies
             for line in field_lines(r, [*plan.design_fields, *(protocol if r.is_primary else ())])]
    return RecordDraft(tuple(lines)) if lines else None


def draft(plan: Plan, records: Mapping[str, StudyRecord], shown: Collection[str] | None = None
          ) -> RecordDraft | None:
    """The records' answer to ``plan``, or None when they hold nothing it asks for. ``shown``: the papers retrieved
    for the question (a verdict aggregates over their records)."""
    if not records:
        return None
    if plan.yes_no and plan.scope == "named" and (plan.conditions or plan.species):
        mismatch = premise(plan, records)
        if mismatch is not None:
            return mismatch
    if plan.yes_no and plan.markers and not plan.fields:
        return aggregate(plan, records, shown)
    if "which_studies" in plan.asks and plan.studies:
        return which_draft(plan, records)
    if plan.lists_findings:
        return findings_draft(plan, records)
    if plan.scope == "claim" and not plan.yes_no and plan.studies:
        return claim_draft(plan, records)
    if plan.fields and plan.studies and plan.scope != "matched":
        return fields_draft(plan, records)
    return None


# --- verdicts by aggregation ------------------------------------------------------------------------------------
def pool(plan: Plan, records: Mapping[str, StudyRecord], shown: Collection[str] | None = None) -> list[StudyRecord]:
    """The records a verdict aggregates over: the studies the question or the conversation names, else those of the
    papers retrieved for it (``shown``; every record when not given), of the asked population. A library of
    unrelated abstracts (PubMedQA's) is not polled for a question about one of them."""
    if plan.scope in ("named", "claim", "focus"):
        chosen = [records[p] for p in plan.studies]
    else:
        chosen = [r for pid, r in records.items() if shown is None or pid in shown]
    if plan.species:
        chosen = [r for r in chosen if has_species(r, plan.species)]
    return chosen


def decide(wanted: str | None, moves: set[str]) -> Verdict:
    """yes / no / mixed from the directions the matching findings report (``wanted``: the asked direction)."""
    if wanted is None:
        changed = moves - {"unchanged"}
        return "yes" if changed and "unchanged" not in moves else "no" if not changed else "mixed"
    if moves == {wanted}:
        return "yes"
    return "mixed" if wanted in moves else "no"


def elsewhere(found: list[tuple[StudyRecord, Finding]]) -> str:
    """"in the prefrontal cortex TNF-α rose (Toledo et al. 2021)" for findings outside the asked tissue, those
    with a stated tissue first, one per study."""
    ranked = sorted(found, key=lambda rf: rf[1].tissue is None)
    seen: set[str] = set()
    bits = []
    for r, f in ranked:
        if r.paper_id not in seen:
            seen.add(r.paper_id)
            moved = direction_words(f.direction)[1]
            bits.append(f"in the {f.tissue or 'tissue not stated'} {f.marker} {moved} ({r.label})")
    return "; ".join(bits[:4])


def finding_line(record: StudyRecord, f: Finding) -> Line:
    """A finding stated by its source sentence (the phrase from its values where the passage is not at hand)."""
    span = (f.source.chunk_id, f.source.start, f.source.end)
    return Line(f"{record.label}: {finding_text(f)}.", (f.source.chunk_id,), record.paper_id, record.label, (span,))


def aggregate(plan: Plan, records: Mapping[str, StudyRecord], shown: Collection[str] | None = None
              ) -> RecordDraft | None:
    """A yes/no verdict over every record that measured the asked marker: insufficient (with why) when none did,
    or none did in the asked tissue; else yes, no or mixed by the directions they report. (A rule that left the
    verdict to the passages when findings give no tissue was removed: it lowered the held half, eval/README.md.)"""
    chosen = pool(plan, records, shown)
    found = [(r, f) for r in chosen for f in matching_findings(r, plan.markers)]
    measured = [(r, f) for r, f in found if r.is_primary] or found  # a review restates its primary studies
    what = " or ".join(plan.markers)
    if not measured:
        return None if not chosen else RecordDraft((), "insufficient", f"No study here measured {what}.")
    here = [(r, f) for r, f in measured if not plan.tissues or in_tissues(f.tissue, plan.tissues)]
    lines = tuple(finding_line(r, f) for r, f in (here or measured))
    if not here:
        where = " or ".join(plan.tissues)
        return RecordDraft(lines[:4], "insufficient",
                           f"No study here measured {what} in the {where}; {elsewhere(measured)}.")
    verdict = decide(plan.direction, {f.direction for _, f in here})
    reason = "" if verdict in ("yes", "no") else f"The studies disagree: {elsewhere(here)}."
    return RecordDraft(lines[:4], verdict, reason)


def contradictions(claim: str, cited: Iterable[StudyRecord]) -> list[str]:
    """What a claim says of a marker that the cited studies' records contradict: the marker in a tissue where they
    did not measure it, or moving the other way. The claim's markers and tissues are read as the planner reads a
    question; each marker's direction is the one the claim gives that marker (``polarity.directions``), compared
    only when the claim says one way for all ("IL-18 and TNF-α rose after the injury and fell again with rTMS"
    says both, and which one rTMS moved is not read word by word)."""
    from assistant.answer.plan import make_plan

    studies = list(cited)
    plan = make_plan(claim, None, {r.paper_id: r for r in studies})
    said = directions(claim)
    two_way = both_ways(claim)  # "IL-18 and TNF-α rose after the injury and fell with rTMS": not compared
    out: list[str] = []
    for marker in plan.markers:
        found = [f for r in studies for f in matching_findings(r, [marker])]
        if not found:
            continue
        moves = set() if two_way else set().union(*(said.get(t, set()) for t in term_set(marker)))
        if plan.tissues and all(f.tissue for f in found) and not any(in_tissues(f.tissue, plan.tissues) for f in found):
            out.append(f"{marker}: not measured in the {' or '.join(plan.tissues)} by the cited study")
        elif len(moves) == 1 and all(f.direction != next(iter(moves)) for f in found):
            out.append(f"{marker}: the cited study reports it {direction_words(found[0].direction)[1]}")
    return out


def premise(plan: Plan, records: Mapping[str, StudyRecord]) -> RecordDraft | None:
    """A yes/no question about named studies whose premise their records contradict: it asks about a condition
    or a population none of them studied ("Did Luo et al. 2022 show that rTMS relieves neuropathic pain?" of an
    ischemic-stroke study in rats): no, with what they did study."""
    studies = [records[p] for p in plan.studies]
    if not all(r.is_primary for r in studies):
        return None  # a review's or guideline's record lists some of the conditions it covers, not all of them

    def has_condition(r: StudyRecord) -> bool:
        return any(term_set(c) <= term_set(v.value) for c in plan.conditions for v in r.condition)
    off_condition = bool(plan.conditions) and all(r.condition and not has_condition(r) for r in studies)
    off_species = bool(plan.species) and all(r.species and not has_species(r, plan.species) for r in studies)
    if not studies or not (off_condition or off_species):
        return None
    field = "condition" if off_condition else "species"
    lines = tuple(line for r in studies for line in field_lines(r, [field, "kind"]))
    studied = "; ".join(f"{r.label} studied {', '.join(v.value for v in getattr(r, field))}" for r in studies)
    asked = ", ".join(plan.conditions if off_condition else plan.species)
    return RecordDraft(lines, "no", f"{studied}, not {asked}.")
