"""Study records by rules: one ``StudyRecord`` per document, read sentence by sentence from its chunks.

Pure, deterministic and fast (compiled patterns only, no model): the index builder calls :func:`extract_record`
for every document. Every value carries a ``Source``: the chunk, the sentence's span in the chunk's text
(``corpus.sentences.sentence_spans``) and the words of that sentence that carry the value (``quote`` is always
``chunk.text[start:end]``'s own substring). A value no sentence states is not recorded.

Evidence notes (``doc.kind == "evidence-note"``) bring their front matter (``doc.extra``): its study_type,
species, pain_model, stimulation and markers are the *expected* values, recorded where a body sentence supports
them (the sentence's words are the quote); where none does, the rules decide as for any other document.

Abstract parts headed Background / Introduction / Context speak of other work: their people, animal, design and
finding words are used only when the rest of the document says nothing of the kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.corpus.contracts import DocumentMeta, normalise_doi
from assistant.corpus.sentences import sentence_spans
from assistant.index.contracts import Chunk
from assistant.studies import vocab as V
from assistant.studies.contracts import (
    HUMAN_KINDS,
    NOT_ANIMALS,
    SECONDARY_KINDS,
    Claim,
    Direction,
    Fact,
    Finding,
    Size,
    SizeRole,
    Source,
    Stimulation,
    StudyRecord,
)

__all__ = ["EXTRACTOR_VERSION", "KIND_ORDER", "extract_record", "merge_records"]

EXTRACTOR_VERSION = 9
"""Version of the rules: raise it when they change, so an index build extracts every document again."""

KIND_ORDER: tuple[str, ...] = tuple(k for k, _ in V.KIND_PATTERNS)
"""Kinds from the most to the least specific; also the order ``merge_records`` prefers."""
_DIRECTIONS: dict[str, Direction] = {"up": "up", "down": "down", "unchanged": "unchanged"}
SIZE_ROLE_OF_NOUN: dict[str, str] = {k.lower(): v for k, v in V.SIZE_NOUNS.items()}
"""What a counted noun counts ('rats' -> 'animals'), by the lower-cased noun."""


@dataclass(frozen=True)
class _Sent:
    chunk_id: str
    start: int
    end: int
    text: str
    background: bool

    def source(self, a: int, b: int) -> Source:
        return Source(chunk_id=self.chunk_id, start=self.start, end=self.end, quote=self.text[a:b])

    def fact(self, value: str, m: re.Match[str] | tuple[int, int]) -> Fact:
        a, b = (m.start(), m.end()) if isinstance(m, re.Match) else m
        return Fact(value=value, source=self.source(a, b))


def _sentences(chunks: Sequence[Chunk]) -> list[_Sent]:
    out: list[_Sent] = []
    for c in sorted(chunks, key=lambda c: c.ord):
        background = bool(V.BACKGROUND_SECTION.match(c.section.split(" > ")[-1].strip()))
        for start, end, _ in sentence_spans(c.text):
            text = c.text[start:end]
            if text.strip():
                out.append(_Sent(c.chunk_id, start, end, text,
                                 background and not V.SELF_REFERENCE.search(text)))
    return out


def _unique(facts: Iterable[Fact]) -> tuple[Fact, ...]:
    """One fact per value, the first one found."""
    seen: dict[str, Fact] = {}
    for f in facts:
        seen.setdefault(f.value, f)
    return tuple(seen.values())


def _main(sents: Sequence[_Sent]) -> list[_Sent]:
    """The sentences about the study itself (not its background), or all when every one is background."""
    main = [s for s in sents if not s.background]
    return main or list(sents)


def _scan(sents: Iterable[_Sent], table: tuple[tuple[str, re.Pattern[str]], ...]) -> list[Fact]:
    """Every hit of every pattern of ``table`` in the sentences, as a fact of the pattern's value."""
    quick = V.any_of(table)
    return [s.fact(value, m) for s in sents if quick.search(s.text)
            for value, pattern in table for m in pattern.finditer(s.text)]


# --- population --------------------------------------------------------------------------------------------
def _animal_facts(sents: Sequence[_Sent]) -> list[Fact]:
    out = []
    quick = V.any_of(V.ANIMAL_SPECIES)
    for s in sents:
        if not quick.search(s.text):
            continue
        context = [(m.start(), m.end()) for m in V.ANIMAL_CONTEXT.finditer(s.text)]
        for value, pattern in V.ANIMAL_SPECIES:
            for m in pattern.finditer(s.text):
                if any(a <= m.start() < b for a, b in context):
                    continue
                out.append(s.fact(value, m))
    return out


def _people(sents: Iterable[_Sent]) -> list[tuple[_Sent, Fact]]:
    return [(s, s.fact("human", m)) for s in sents for m in V.HUMAN_WORDS.finditer(s.text)]


def _species(sents: Sequence[_Sent]) -> tuple[Fact, ...]:
    main = [s for s in sents if not s.background]
    animals = _animal_facts(main)
    humans = _people(main)
    cells = [s.fact("cell culture", m) for s in main for m in V.CELL_CULTURE.finditer(s.text)]
    if not (animals or humans or cells):  # only the background speaks of a population
        background = [s for s in sents if s.background]
        animals = _animal_facts(background)
        humans = _people(background)
    if not (animals or humans):  # no people or animal words: the weaker hints that people were studied (beside
        # cells, the hints of the study's own part: 'specimens from 134 melanomas' and the melanoma's cell lines)
        humans = [(s, s.fact("human", m)) for s in (main if cells else sents) for m in V.HUMAN_HINTS.finditer(s.text)]
    specific = [f for f in animals if f.value != "animal"]
    if specific:  # 'animals' beside 'rats' adds nothing
        animals = specific
    if animals and humans and _animals_are_subjects(main, animals):
        # an animal study that mentions people (what it may mean for patients) is not a human study, unless it
        # counts them ('40 patients')
        humans = [(s, f) for s, f in humans if _counts_people(s.text)]
    # the animals people met in a human study (bitten by snakes, tested with mites): also part of what was studied
    exposure = _scan(main, V.ANIMAL_EXPOSURE) if humans and not animals else []
    return _unique([*(f for _, f in humans[:1]), *animals, *exposure, *cells[:1]])


def _animals_are_subjects(sents: Sequence[_Sent], animals: Sequence[Fact]) -> bool:
    where = {(f.source.chunk_id, f.source.start) for f in animals}
    return any(V.ANIMAL_USE.search(s.text) or V.SIZE.search(s.text) for s in sents
               if (s.chunk_id, s.start) in where)


def _counts_people(text: str) -> bool:
    """A sentence that counts people ('40 patients were enrolled') describes the study's own population."""
    return any(SIZE_ROLE_OF_NOUN[m.group("noun").lower()] in ("patients", "participants")
               for m in V.SIZE.finditer(text))


def _strains(sents: Sequence[_Sent]) -> tuple[Fact, ...]:
    return _unique(_scan(sents, V.STRAINS))


def _sex(sents: Sequence[_Sent]) -> tuple[Fact, ...]:
    return _unique(_scan(_main(sents), V.SEX_PATTERNS))


def _conditions(sents: Sequence[_Sent]) -> tuple[Fact, ...]:
    facts = _unique(_scan(sents, V.CONDITIONS))
    values = {f.value for f in facts}
    if values - {"neuropathic pain"} and "neuropathic pain" in values:
        facts = tuple(f for f in facts if f.value != "neuropathic pain")
    return facts


# --- sizes ---------------------------------------------------------------------------------------------------
def _sizes(sents: Sequence[_Sent]) -> tuple[Size, ...]:
    out: list[Size] = []
    seen: set[tuple[int, str]] = set()

    def add(n: int | None, role: SizeRole, s: _Sent, a: int, b: int) -> None:
        if n is None or n < 1 or (n, role) in seen:
            return
        seen.add((n, role))
        out.append(Size(n=n, role=role, source=s.source(a, b)))

    for s in _main(sents):
        for m in V.SIZE.finditer(s.text) if V.SIZE_NOUN.search(s.text) else ():
            noun = m.group("noun").lower()
            role: SizeRole = SIZE_ROLE_OF_NOUN[noun]  # type: ignore[assignment]
            verb = m.group("verb") or ""
            if role != "studies" and (V.RANDOMISED_VERB.search(m.group("adj")) or V.RANDOMISED_VERB.search(verb)):
                role = "randomised"
            elif V.TREATED_VERB.search(verb) and role != "studies":
                role = "treated"
            n = V.parse_number(m.group("num"))
            if n is not None and 1950 <= n <= 2030 and V.YEAR_BEFORE.search(s.text, 0, m.start()):
                continue  # a year: 'the 2014 studies', 'in 2010 patients were ...'

            add(n, role, s, m.start(), m.end())
        for m in V.COUNT_VERB.finditer(s.text):
            verb = m.group("verb").lower()
            add(V.parse_number(m.group("num")), "randomised" if V.RANDOMISED_VERB.search(verb)
                else "treated" if verb == "treated" else "total", s, m.start(), m.end())
        for m in V.GROUPS_OF.finditer(s.text):
            num = m.group("num") or m.group("num2") or m.group("num3")
            add(V.parse_number(num), "per arm", s, m.start(), m.end())
        for m in V.N_EQUALS.finditer(s.text):
            num = m.group("num") or m.group("num2")
            add(V.parse_number(num), "total", s, m.start(), m.end())
    return tuple(out)


# --- design, kind, controls ------------------------------------------------------------------------------------
def _design(sents: Sequence[_Sent]) -> tuple[Fact, ...]:
    # the study's own sentences, and a background one that states its design ('As part of a prospective study, ...')
    main = {id(s) for s in _main(sents)}
    own = [s for s in sents if id(s) in main or V.OWN_DESIGN.search(s.text)]
    facts = _unique(_scan(own, V.DESIGN_PATTERNS))
    if any(f.value in ("cross-sectional", "case-control") for f in facts):
        # a cross-sectional or case-control study's 'cohort' is its sample ('49% of the cohort were men')
        facts = tuple(f for f in facts if f.value != "cohort")
    return facts


def _blinding(sents: Sequence[_Sent], design: Sequence[Fact]) -> tuple[Fact, ...]:
    blind = [f for f in design if f.value in V.BLINDING]
    opened = [s.fact("open-label", m) for s in _main(sents) for m in V.OPEN_LABEL.finditer(s.text)]
    return _unique([*blind, *opened])


def _kind_hits(sents: Sequence[_Sent]) -> list[Fact]:
    """Every kind phrase, most specific kind first, then in text order."""
    hits = _scan(_main(sents), V.KIND_PATTERNS)
    return sorted(hits, key=lambda f: KIND_ORDER.index(f.value))


def _kind(hits: Sequence[Fact], species: Sequence[Fact]) -> Fact | None:
    values = {f.value for f in species}
    animal = [f for f in species if f.value not in NOT_ANIMALS]
    for f in hits:
        if f.value in SECONDARY_KINDS:
            return f
        if f.value in HUMAN_KINDS and "human" not in values and (animal or "cell culture" in values):
            continue  # 'randomly assigned' rats: an animal study, randomised
        if f.value == "in vitro" and animal:
            continue
        return f
    if animal and "human" not in values:
        return Fact(value="animal study", source=animal[0].source)
    if "cell culture" in values and "human" not in values:
        cells = next(f for f in species if f.value == "cell culture")
        return Fact(value="in vitro", source=cells.source)
    return None


def _controls(sents: Sequence[_Sent]) -> tuple[Fact, ...]:
    out = []
    quick = V.any_of(V.CONTROLS)
    for s in _main(sents):
        if not quick.search(s.text):
            continue
        for value, pattern in V.CONTROLS:
            for m in pattern.finditer(s.text):
                if value == "drug" and not V.COMPARISON.search(s.text):
                    continue
                out.append(s.fact(value, m))
    return _unique(out)


# --- stimulation ------------------------------------------------------------------------------------------------
def _hz(num: str) -> str:
    return f"{float(num):g} Hz"


def _frequency_value(m: re.Match[str]) -> str:
    if m.group("num"):
        return _hz(m.group("num"))
    if m.group("tbs"):
        t = m.group("tbs").lower()
        return "iTBS" if t.startswith(("itbs", "intermittent")) else "cTBS" if t.startswith(("ctbs", "continuous")) \
            else "theta burst"
    return m.group("band").lower()


def _session_length(m: re.Match[str]) -> str:
    """'5 min per session' from a SESSION_LENGTH match ('' for a number it cannot read)."""
    n = V.parse_number(m.group("num") or m.group("num2") or m.group("num3"))
    unit = (m.group("unit") or m.group("unit2") or "min").lower()
    return f"{n} {'s' if unit.startswith('s') else 'min'} per session" if n else ""


def _stimulation(sents: Sequence[_Sent]) -> Stimulation:
    stim = [s for s in sents if V.STIM_CONTEXT.search(s.text)]
    if not stim:
        return Stimulation()
    freq = [s.fact(_frequency_value(m), m) for s in sents for m in V.FREQUENCY.finditer(s.text)]
    intensity = []
    for s in stim:
        for m in V.INTENSITY.finditer(s.text):
            mt = m.group("mt").lower()
            unit = ("RMT" if mt.startswith(("resting", "rmt")) or mt in ("motor threshold", "mt")
                    else "AMT" if mt.startswith(("active", "amt")) else "MSO")
            intensity.append(s.fact(f"{float(m.group('num')):g}% {unit}", m))
    pulses = [s.fact(f"{V.parse_number(m.group('num'))} pulses", m) for s in stim for m in V.PULSES.finditer(s.text)
              if V.parse_number(m.group("num"))]
    sessions = [s.fact(f"{V.parse_number(m.group('num'))} sessions", m) for s in stim
                for m in V.SESSIONS.finditer(s.text) if V.parse_number(m.group("num"))]
    sessions += [s.fact(length, m) for s in stim for m in V.SESSION_LENGTH.finditer(s.text)
                 if (length := _session_length(m))]
    course = [s for s in sents if V.STIM_CONTEXT.search(s.text) or V.COURSE_CONTEXT.search(s.text)]
    schedule = [s.fact(m.group(0).strip(), m) for s in course for m in V.SCHEDULE.finditer(s.text)]
    start = [s.fact(m.group(0), m) for s in course for m in V.START.finditer(s.text)]
    target = _scan(stim, V.TARGETS)
    side = [s.fact(m.group("side").lower(), (m.start("side"), m.end("side"))) for s in stim
            for m in V.SIDE.finditer(s.text)]
    return Stimulation(target=_unique(target), side=_unique(side), frequency=_unique(freq),
                       intensity=_unique(intensity), pulses=_unique(pulses), sessions=_unique(sessions),
                       schedule=_unique(schedule), start=_unique(start))


# --- outcomes and findings --------------------------------------------------------------------------------------
def _outcomes(sents: Sequence[_Sent]) -> tuple[Fact, ...]:
    return _unique(_scan(_main(sents), V.OUTCOMES))


def _markers_in(text: str) -> list[tuple[str, int, int]]:
    """(canonical marker or behavioural outcome, start, end) of each mention in a sentence."""
    out: list[tuple[str, int, int]] = []
    taken: list[tuple[int, int]] = []
    for pattern, canonical in V.LONG_MARKERS:
        for m in pattern.finditer(text):
            name = canonical or V.marker_of(m.group(0))
            if name:
                out.append((name, m.start(), m.end()))
                taken.append((m.start(), m.end()))
    for m in V.MARKER_TOKEN.finditer(text):
        tok = m.group(0)
        if any(a <= m.start() < b for a, b in taken):
            continue
        name = V.marker_of(tok)
        if name:
            out.append((name, m.start(), m.end()))
    for value, pattern in V.OUTCOMES:
        if value in V.BEHAVIOUR_FINDINGS:
            out.extend((value, m.start(), m.end()) for m in pattern.finditer(text))
    return sorted(out, key=lambda t: t[1])


def _directions(text: str) -> list[tuple[Direction, int, int]]:
    out: list[tuple[Direction, int, int]] = []
    spans: list[tuple[int, int]] = []
    for value, pattern in V.DIRECTIONS:
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in spans):
                continue  # 'no significant change' is not also read as a change
            spans.append((m.start(), m.end()))
            out.append((_DIRECTIONS[value], m.start(), m.end()))
    return out


def tissues_in(text: str) -> list[tuple[str, int, int]]:
    """The tissues ``text`` names (vocab.TISSUES, the specific ones first; no two overlap), with their spans: the
    one vocabulary for what records measured and what questions ask about."""
    out: list[tuple[str, int, int]] = []
    for value, pattern in V.TISSUES:
        for m in pattern.finditer(text):
            if not any(a < m.end() and m.start() < b for _, a, b in out):
                out.append((value, m.start(), m.end()))
    return out


def _nearest(pos: int, items: Sequence[tuple[Any, int, int]]) -> tuple[Any, int, int] | None:
    return min(items, key=lambda t: min(abs(t[1] - pos), abs(t[2] - pos)), default=None)


def _finding(s: _Sent, marker: str, a: int, b: int, direction: tuple[Direction, int, int],
             tissue: str | None = None, guess: bool = True) -> Finding:
    """The finding on ``marker`` at a..b; its tissue, when not given, the sentence's nearest one (``guess``; a
    behaviour such as a withdrawal threshold has none)."""
    tissues = tissues_in(s.text)
    if tissue is None and guess and marker not in V.BEHAVIOUR_FINDINGS:
        near = _nearest(a, tissues)
        tissue = near[0] if near else None
    comparison = V.COMPARISON.search(s.text)
    magnitude = V.MAGNITUDE.search(s.text)
    lo, hi = min(a, direction[1]), max(b, direction[2])
    return Finding(marker=marker, tissue=tissue, direction=direction[0],
                   comparison=comparison.group("what") if comparison else None,
                   magnitude=f"{magnitude.group('pct')} %" if magnitude else None, source=s.source(lo, hi))


def _findings(sents: Sequence[_Sent]) -> tuple[Finding, ...]:
    out: list[Finding] = []
    seen: set[tuple[str, str | None, str]] = set()
    for s in _main(sents):
        directions = _directions(s.text)
        if not directions:
            continue
        markers = _markers_in(s.text)
        if not markers:
            continue
        for name, a, b in markers:
            d = _nearest(a, directions)
            assert d is not None
            f = _finding(s, name, a, b, d)
            key = (f.marker, f.tissue, f.direction)
            if key not in seen:
                seen.add(key)
                out.append(f)
    return tuple(out)


# --- claims of secondary literature ------------------------------------------------------------------------------
def _cited(text: str) -> tuple[str, ...]:
    ids: list[str] = [f"pmid:{m.group('pmid')}" for m in V.PMID_REF.finditer(text)]
    ids += [f"doi:{normalise_doi(m.group('doi'))}" for m in V.DOI_REF.finditer(text)]
    ids += [f"{m.group('who') or m.group('who2')} {m.group('year') or m.group('year2')}"
            for m in V.AUTHOR_YEAR.finditer(text)]
    return tuple(dict.fromkeys(ids))


def _claims(sents: Sequence[_Sent]) -> tuple[Claim, ...]:
    out = []
    for s in sents:
        if V.EFFECT_CLAIM.search(s.text) and (_markers_in(s.text) or re.search(r"\b(?:r?TMS|pain|stimulation)\b",
                                                                               s.text, re.IGNORECASE)):
            out.append(Claim(text=s.text, studies=_cited(s.text), source=s.source(0, len(s.text))))
    return tuple(out)


# --- evidence notes: the front matter as expected values ---------------------------------------------------------
def _values_in(text: str, table: Sequence[tuple[str, re.Pattern[str]]]) -> set[str]:
    return {value for value, pattern in table if pattern.search(text)}


def _prefer(expected: set[str], found: tuple[Fact, ...]) -> tuple[Fact, ...]:
    """The rule facts that agree with the front matter when some do, else every rule fact."""
    agreeing = tuple(f for f in found if f.value in expected)
    return agreeing or found


def _note_kind(study_type: str, hits: Sequence[Fact], species: Sequence[Fact], sents: Sequence[_Sent],
               ruled: Fact | None) -> Fact | None:
    allowed = V.NOTE_KINDS.get(study_type)
    if not allowed:
        return ruled
    for f in hits:
        if f.value in allowed:
            return f
    if ruled is not None and ruled.value in allowed:
        return ruled
    if study_type == "animal study":
        animal = [f for f in species if f.value not in ("human", "cell culture")]
        return Fact(value="animal study", source=animal[0].source) if animal else None
    kind, support = V.NOTE_KIND_SUPPORT.get(study_type, ("", None))
    for s in sents if support else ():
        m = support.search(s.text) if support else None
        if m:
            return s.fact(kind, m)
    return None  # the body never says what the front matter says, and the rules read something else


def _note_species(expected: str, found: tuple[Fact, ...], sents: Sequence[_Sent]) -> tuple[Fact, ...]:
    want = "human" if expected.strip().lower() in ("human", "humans", "patients") else None
    if want is None:
        want = next((v for v, p in V.ANIMAL_SPECIES if p.search(expected)), None)
    if want is None:
        return found
    if any(f.value == want for f in found):
        return tuple(f for f in found if f.value == want)
    pattern = V.HUMAN_WORDS if want == "human" else dict(V.ANIMAL_SPECIES)[want]
    for s in sents:
        m = pattern.search(s.text)
        if m:
            return (s.fact(want, m),)
    return found


def _note_stimulation(expected: Mapping[str, Any], found: Stimulation) -> Stimulation:
    text = " ".join(str(v) for v in expected.values() if v)
    if not text:
        return found
    freq = {_frequency_value(m) for m in V.FREQUENCY.finditer(text)}
    targets = _values_in(text, V.TARGETS)
    pulses = {f"{V.parse_number(m.group('num'))} pulses" for m in V.PULSES.finditer(text)}
    sessions = {f"{V.parse_number(m.group('num'))} sessions" for m in V.SESSIONS.finditer(text)}
    return found.model_copy(update={
        "frequency": _prefer(freq, found.frequency), "target": _prefer(targets, found.target),
        "pulses": _prefer(pulses, found.pulses), "sessions": _prefer(sessions, found.sessions)})


def _mentions(text: str, marker: str) -> list[tuple[str, int, int]]:
    """Where a sentence names ``marker``: a canonical marker by any spelling, another name as written (without a
    parenthetical: 'A1 (neurotoxic) astrocyte markers' is found as 'A1 astrocyte markers', else as its first word
    when that is a code such as 'A1')."""
    if V.marker_of(marker):
        return _markers_in(text)
    out: list[tuple[str, int, int]] = []
    names = [marker, re.sub(r"\s*\([^)]*\)", "", marker)]
    first = marker.split()[0]
    if first != marker and re.fullmatch(r"[A-Z][A-Za-z]*\d+[\w-]*", first):
        names.append(first)
    for name in dict.fromkeys(names):
        if out:
            break
        pattern = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])", re.IGNORECASE)
        out += [(marker, m.start(), m.end()) for m in pattern.finditer(text)]
    return out


def _note_findings(expected: Sequence[Mapping[str, Any]], sents: Sequence[_Sent],
                   found: tuple[Finding, ...]) -> tuple[Finding, ...]:
    out: list[Finding] = []
    for item in expected:
        want = V.marker_of(str(item.get("marker", ""))) or str(item.get("marker", "")).strip()
        change = _DIRECTIONS.get(str(item.get("change", "")))
        tissue = str(item.get("tissue") or "")
        if not want or change is None:
            continue
        best: tuple[int, _Sent, int, int, tuple[Direction, int, int] | None, str | None] | None = None
        for s in sents:
            for name, a, b in _mentions(s.text, want):
                if name != want:
                    continue
                dirs = [d for d in _directions(s.text) if d[0] == change]
                tissues = [t for t in tissues_in(s.text) if tissue in (t[0], V.COMPARTMENT.get(t[0]))]
                score = 2 * bool(dirs) + bool(tissues)
                if best is None or score > best[0]:
                    best = (score, s, a, b, _nearest(a, dirs) if dirs else None,
                            tissues[0][0] if tissues else None)
        if best is None:
            continue
        _, s, a, b, d, t = best
        if d is None:  # the sentence names the marker; the direction is the note's
            out.append(Finding(marker=want, tissue=t, direction=change, source=s.source(a, b)))
        else:  # the note's own tissue or none: not another tissue the sentence names ("… dorsal horn, serum IL-18")
            out.append(_finding(s, want, a, b, d, tissue=t, guess=not tissue))
    behaviour = [f for f in found if f.marker in V.BEHAVIOUR_FINDINGS]
    return tuple([*out, *behaviour])


# --- the record ------------------------------------------------------------------------------------------------
def extract_record(doc: DocumentMeta, chunks: Sequence[Chunk]) -> StudyRecord:
    """The study record of one document from its chunks (``chunks`` of other documents are ignored)."""
    sents = _sentences([c for c in chunks if c.doc_id == doc.doc_id])
    species = _species(sents)
    design = _design(sents)
    hits = _kind_hits(sents)
    kind = _kind(hits, species)
    condition = _conditions(sents)
    stimulation = _stimulation(sents)
    findings = _findings(sents)
    front = doc.extra if doc.kind == "evidence-note" else {}
    if front:
        if front.get("species"):
            species = _note_species(str(front["species"]), species, sents)
            kind = _kind(hits, species)
        if front.get("study_type"):
            kind = _note_kind(str(front["study_type"]), hits, species, sents, kind)
        if front.get("pain_model"):
            condition = _prefer(_values_in(str(front["pain_model"]), V.CONDITIONS), condition)
        if isinstance(front.get("stimulation"), Mapping):
            stimulation = _note_stimulation(front["stimulation"], stimulation)
        markers = front.get("markers")
        if isinstance(markers, list) and markers:
            findings = _note_findings([m for m in markers if isinstance(m, Mapping)], sents, findings)
    secondary = (kind is not None and kind.value in SECONDARY_KINDS) or doc.role == "review"
    sizes = _sizes(sents)
    if secondary:  # a review's 'two cases' are situations, not patients
        sizes = tuple(sz for sz in sizes if not V.CASES.search(sz.source.quote))
    return StudyRecord(
        paper_id=doc.paper_id, doc_ids=(doc.doc_id,), label=doc.short_label(), title=doc.title,
        journal=doc.journal or "", kind=kind,
        design=design, species=species, strain=_strains(sents), sex=_sex(sents), condition=condition,
        sizes=sizes, control=_controls(sents), blinding=_blinding(sents, design), stimulation=stimulation,
        outcomes=_outcomes(sents), findings=findings, claims=_claims(sents) if secondary else (),
    )


def merge_records(records: Sequence[StudyRecord]) -> StudyRecord:
    """One record of a paper read from several documents (a note and the abstract, a full text): every value of
    each, first one of each value kept; the most specific kind."""
    if not records:
        raise ValueError("merge_records needs at least one record")
    papers = {r.paper_id for r in records}
    if len(papers) > 1:
        raise ValueError(f"records of different papers cannot be merged: {', '.join(sorted(papers))}")
    first = records[0]
    kinds = [r.kind for r in records if r.kind is not None]
    kind = min(kinds, key=lambda f: KIND_ORDER.index(f.value) if f.value in KIND_ORDER else len(KIND_ORDER),
               default=None)
    merged: dict[str, Any] = {}
    for name in ("design", "species", "strain", "sex", "condition", "control", "blinding", "outcomes"):
        merged[name] = _unique(f for r in records for f in getattr(r, name))
    sizes: dict[tuple[int, str], Size] = {}
    for r in records:
        for sz in r.sizes:
            sizes.setdefault((sz.n, sz.role), sz)
    findings: dict[tuple[str, str | None, str], Finding] = {}
    for r in records:
        for fd in r.findings:
            findings.setdefault((fd.marker, fd.tissue, fd.direction), fd)
    claims: dict[str, Claim] = {}
    for r in records:
        for c in r.claims:
            claims.setdefault(c.text, c)
    stim = {name: _unique(f for r in records for f in getattr(r.stimulation, name))
            for name in Stimulation.model_fields}
    title = next((r.title for r in records if r.title), "")
    journal = next((r.journal for r in records if r.journal), "")
    return StudyRecord(paper_id=first.paper_id, doc_ids=tuple(dict.fromkeys(d for r in records for d in r.doc_ids)),
                       label=first.label, title=title, journal=journal, kind=kind, sizes=tuple(sizes.values()),
                       findings=tuple(findings.values()), claims=tuple(claims.values()),
                       stimulation=Stimulation(**stim), **merged)
