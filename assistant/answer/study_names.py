"""Which papers a question names or describes: by first author ("Hu et al. 2022", "the Toledo CCI rats", "both Hong
papers"), or by what their records hold ("the 2021 multicentre trial", "the Egyptian five-day study of trigeminal
neuralgia", "the narrative review in Life"). Read against the study records only; nothing here is proposed by a
model."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from assistant.answer.attribution import cited_studies
from assistant.answer.record_match import in_tissues, matching_findings, within
from assistant.answer.terms import STUDY_NOUNS, term_set
from assistant.studies.contracts import HUMAN_KINDS, SECONDARY_KINDS, StudyRecord
from assistant.studies.vocab import DESIGN_PATTERNS


def label_parts(record: StudyRecord) -> tuple[str, int | None]:
    """A record's first author's surname and year, read from its label ('Hu et al. 2022')."""
    surname = record.label.split()[0].rstrip(",") if record.label else ""
    year = re.search(r"(?:19|20)\d\d", record.label)
    return surname, int(year.group(0)) if year else None


def named_studies(question: str, records: Mapping[str, StudyRecord]) -> tuple[str, ...]:
    """Papers the question names by author (with "et al.", "and colleagues" or a year; a bare surname that only one
    paper's first author has, used as a name: "the Toledo CCI rats", "Khedr's trial")."""
    parts = {pid: label_parts(r) for pid, r in records.items()}
    cited = cited_studies(question, {s for s, _ in parts.values() if s})
    if cited:
        return tuple(pid for pid, (s, y) in parts.items()
                     if any(c.surname == s and c.year in (None, y) for c in cited))
    by_name: dict[str, list[str]] = {}
    for pid, (surname, _) in parts.items():
        by_name.setdefault(surname, []).append(pid)
    every = [pid for name, pids in by_name.items() if name[:1].isupper()  # "both Hong papers": each of them
             and re.search(_EVERY_BY_NAME.format(name=re.escape(name)), question) for pid in pids]
    return tuple(every) or tuple(pids[0] for name, pids in by_name.items() if len(pids) == 1 and name[:1].isupper()
                                 and re.search(_BARE_NAME.format(name=re.escape(name)), question))


_BARE_NAME = (r"(?:\b(?:the|in|by|from|of) {name}\b|\b{name}(?:'s|\u2019s)\s"
              r"|(?<=\S )\b{name} (?:[\w-]+ ){{0,2}}(?:study|trial|rats|mice|patients|review|paper|group|cohort|"
              r"survey|experiment|data)\b)")
"""A surname used as a study's name (case as written): "the Toledo CCI rats", "Khedr's trial", "in Hu rats"."""
_EVERY_BY_NAME = (r"\b(?i:both|the two|the three|all(?: the)?|each of the) {name} "
                  r"(?i:papers|studies|trials|reviews|reports)\b")
"""Every paper of one first author: "both Hong papers", "the two Hosomi trials"."""


_NOUN = "|".join(sorted(STUDY_NOUNS, key=len, reverse=True))
_YEAR_THEN_STUDY = re.compile(rf"\b(?P<year>(?:19|20)\d\d)\b(?:[ ,]+[\w-]+){{0,4}}?[ ,]+(?P<noun>{_NOUN})\b"
                              rf"|\b(?P<noun2>{_NOUN}) \((?:[A-Z][\w.]*,? ){{0,4}}(?P<year2>(?:19|20)\d\d)\)", re.I)
"""A year before a study noun, a few words apart: "the 2021 multicentre trial", "which 2020 crossover study"; or
in brackets after it, with its journal: "the 5 Hz M1 study (Pain 2013)"."""


_SINGULAR_NOUN = "|".join(sorted((n for n in STUDY_NOUNS if not n.endswith("s") and n != "model"), key=len,
                                  reverse=True))
_THE_STUDY = re.compile(rf"(?:^(?:the )?|\b(?:the|that|this) )"
                        rf"(?:(?!(?:the|a|an|any|which|what|each|every|other|another) )[\w-]+ ){{1,5}}?"
                        rf"(?P<noun>{_SINGULAR_NOUN})\b", re.I)
"""A study described without its year: "the Egyptian five-day rTMS study of …", "Japanese 7-centre crossover trial of
daily M1 rTMS: …" (at the start of the question or after "the"; "a trial", "which trial" describe none)."""


_RULED_OUT = re.compile(r"\b(?:non-|outside (?:of )?(?:the )?|other than (?:the )?|except (?:the )?|beyond (?:the )?)"
                        r"(?:(?:[\w-]+ ){0,3}?(?:cortex|cortical targets?|areas?|regions?|targets?|sites?)\b|[\w-]+)",
                        re.I)
"""What a description rules out: "non-motor targets", "outside the motor cortex", "other than M1"."""

_SECONDARY_NOUNS: dict[str, frozenset[str]] = {
    "review": SECONDARY_KINDS, "meta-analysis": frozenset({"meta-analysis"}), "map": frozenset({"evidence map"}),
    "guideline": frozenset({"guideline"}), "update": SECONDARY_KINDS}
"""A study noun that names a kind of secondary paper, and the record kinds it covers ("the review": any)."""

JOURNAL_WEIGHT = 3
"""A journal the question names outweighs the other values it describes a paper by (it is nearly a name)."""


def journal_named(journal: str, question: str) -> bool:
    """Does the question name the journal ("the narrative review in Life", "Yang 2018 (Curr Med Sci)")? Written
    as the metadata writes it, without a bracketed place ("Life (Basel)"); a one-word journal ("Pain") only after
    "in" or a bracket, so that a question opening with the word does not name it; an abbreviated name also in full."""
    name = re.sub(r"\s*\(.*?\)", "", journal).strip()
    if not name:
        return False
    if " " not in name:
        return bool(re.search(rf"(?:\bin |\(){re.escape(name)}\b", question))
    # each word of the (NLM-abbreviated) name begins a word of the question: "BMC Neuroscience" for "BMC Neurosci",
    # "Journal of Neurology, Neurosurgery and Psychiatry" for "J Neurol Neurosurg Psychiatry"
    spelled = r"\W+(?:(?:of|and|the|in|for|on|&)\W+)*".join(rf"{re.escape(w)}\w*" for w in name.split())
    return bool(re.search(rf"(?<=\S)\s{spelled}\b", question))


def described_studies(question: str, records: Mapping[str, StudyRecord], markers: Iterable[str] = (),
                      tissues: Iterable[str] = ()) -> tuple[str, ...]:
    """The one paper a question describes instead of naming it: a year with a study noun ("the 2021 multicentre
    trial that tested M1 against DLPFC"), then the record values the question names (design, kind, population,
    condition, target, frequency; a tissue or marker its findings hold; a size; its journal) to choose among that
    year's papers; a trial is a human study, a study a primary one. Without a year ("the Egyptian five-day study of
    trigeminal neuralgia and post-stroke pain"), among all papers and only on two such values or more. Nothing
    unless one paper fits best."""
    surnames = {label_parts(r)[0] for r in records.values()} - {""}
    for c in sorted(cited_studies(question, surnames), key=lambda c: -c.span[0]):  # a named study's own words
        question = f"{question[:c.span[0]]} \u00a7 {question[c.span[1]:]}"  # ("the Jiang et al. 2022 paper")
    by_year = [(int(m.group("year") or m.group("year2")), (m.group("noun") or m.group("noun2")).lower())
               for m in _YEAR_THEN_STUDY.finditer(question)]
    if by_year:  # each year described is one paper: "the 2014 guideline and its 2020 update"
        return tuple(dict.fromkeys(pid for year, noun in by_year for pid in _described(
            question, noun, [pid for pid, r in records.items() if label_parts(r)[1] == year], 1, records, markers,
            tissues)))
    m = _THE_STUDY.search(question)
    return _described(question, m.group("noun").lower(), list(records), 2, records, markers, tissues) if m else ()


def _described(question: str, noun: str, papers: list[str], least: int, records: Mapping[str, StudyRecord],
               markers: Iterable[str], tissues: Iterable[str]) -> tuple[str, ...]:
    """The one paper of ``papers`` a description with study ``noun`` fits best on ``least`` values or more."""
    if noun.startswith("trial"):
        papers = [pid for pid in papers if records[pid].kind_value in HUMAN_KINDS]
    elif noun in ("study", "experiment"):  # a review names the conditions and targets of the studies it reviews
        papers = [pid for pid in papers if records[pid].is_primary]
    elif noun in _SECONDARY_NOUNS:  # "the 2021 evidence map", "the 2022 meta-analysis": a paper of that kind
        papers = [pid for pid in papers if records[pid].kind_value in _SECONDARY_NOUNS[noun]]
    # read with the records' own design patterns too ("the 7-centre trial" is a multicentre one), without what the
    # description rules out ("the evidence map of rTMS outside the motor cortex" is not about the motor cortex)
    question = _RULED_OUT.sub(" ", question)
    asked = term_set(question) | {t for name, pattern in DESIGN_PATTERNS if pattern.search(question)
                                  for t in term_set(name)}
    numbers = set(re.findall(r"\b\d+\b", question))

    def named(r: StudyRecord) -> int:
        facts = [*r.design, *r.species, *r.condition, *r.stimulation.target, *r.stimulation.frequency,
                 *([r.kind] if r.kind else [])]
        measured = sum(bool(matching_findings(r, [m])) for m in markers) + sum(
            any(in_tissues(f.tissue, [t]) for f in r.findings) for t in tissues)
        sized = any(str(sz.n) in numbers for sz in r.sizes)  # "the 144-patient trial", "with 86 diabetics"
        return (sum(within(v, asked) for v in {f.value for f in facts}) + measured + sized
                + JOURNAL_WEIGHT * journal_named(r.journal, question))

    scores = {pid: named(records[pid]) for pid in papers}
    best = max(scores.values(), default=0)
    chosen = tuple(pid for pid, n in scores.items() if n == best)
    return chosen if len(chosen) == 1 and (best >= least or len(papers) == 1 and least == 1) else ()
