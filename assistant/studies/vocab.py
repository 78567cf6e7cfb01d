"""The study-record vocabulary: every word list and pattern the rules of ``studies.extract`` read, in one place.

Each pattern is compiled once, at import. A table maps a pattern's hit to the normalised value a record stores
('rats' -> 'rat', 'double-masked' -> 'double-blind'); the marker names themselves live in
``assistant.corpus.markers`` (one home for them), this module only finds them in a sentence.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

from assistant.corpus.markers import CANONICAL_MARKERS, canonical_marker, marker_key

_I = re.IGNORECASE
_PATTERNS = tomllib.loads(Path(__file__).with_name("patterns.toml").read_text(encoding="utf-8"))


def named_patterns(table: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """A table of patterns.toml, in order: (name, compiled pattern), case-insensitive unless marked ``case``."""
    out = []
    for name, value in _PATTERNS[table].items():
        pattern, case = (value["pattern"], value.get("case", False)) if isinstance(value, dict) else (value, False)
        out.append((name, re.compile(pattern, 0 if case else _I)))
    return tuple(out)


@lru_cache(maxsize=64)
def any_of(table: tuple[tuple[str, re.Pattern[str]], ...]) -> re.Pattern[str]:
    """One pattern matching wherever any pattern of ``table`` does: a sentence it misses needs no other look."""
    return re.compile("|".join(f"(?:{p.pattern})" for _, p in table), _I)


# --- numbers written as words ------------------------------------------------------------------------------
UNITS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19,
}
TENS: dict[str, int] = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
                        "eighty": 80, "ninety": 90}
_UNIT_WORDS = "|".join(sorted(UNITS, key=len, reverse=True))
_TEN_WORDS = "|".join(TENS)
NUMBER = (rf"(?:(?:a|one|two|three|four|five|six|seven|eight|nine) hundreds?"
          rf"(?: and (?:{_TEN_WORDS})(?:[- ](?:{_UNIT_WORDS}))?| and (?:{_UNIT_WORDS}))?"
          rf"|\d{{1,3}}(?:,\d{{3}})+(?![,.]?\d)|\d+(?![,.]?\d)"
          rf"|(?:{_TEN_WORDS})(?:[- ](?:{_UNIT_WORDS}))?|{_UNIT_WORDS})")
"""A count as authors write it: '149', '1,024', 'Thirty-two', 'twelve', 'one hundred and six'."""


def parse_number(text: str) -> int | None:
    """'149' -> 149, '1,024' -> 1024, 'Thirty-two' -> 32, 'one hundred and six' -> 106; None if not a count."""
    t = text.strip().lower().replace(",", "")
    if t.isdigit():
        return int(t)
    total = 0
    words = [w for w in re.split(r"[\s-]+", t) if w and w != "and"]
    if not words:
        return None
    for w in words:
        if w in UNITS:
            total += UNITS[w]
        elif w in TENS:
            total += TENS[w]
        elif w in ("hundred", "hundreds"):
            total = max(total, 1) * 100
        elif w == "a":
            total += 1
        else:
            return None
    return total or None


# --- kind of study and design features ---------------------------------------------------------------------
_CROSS_SECTIONAL = (r"\bcross[- ]?sectional\b(?! (?:areas?|diameters?|dimensions?|images?|imaging|views?"
                    r"|slices?|anatomy|measurements? of)\b)")
"""A design written with or without its hyphen ('cross sectional survey'), not a cut through anatomy ('the
cross-sectional area of the muscle')."""
_RANDOM_ALLOCATION = (r"\brandomly (?:assigned|allocated|divided)\b"
                      r"|\b(?:allocated|assigned|divided) (?:\w+ ){0,2}by (?:a )?random\b")
"""Allocation by chance: 'randomly assigned', 'allocated by random-number table' (a kind and a design feature)."""
KIND_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("evidence map", re.compile(r"\bevidence (?:and gap )?maps?\b|\bscoping review\b", _I)),
    ("meta-analysis", re.compile(r"\bmeta-?analys[ie]s\b|\bpooled analysis of (?:\w+ )?(?:trials|studies)\b", _I)),
    ("systematic review", re.compile(r"\bsystematic(?:ally)? (?:literature )?review(?:ed|s)?\b"
                                     r"|\b(?:searched|search of|searches of|searching) (?:the )?(?:\w+ ){0,3}?"
                                     r"(?:MEDLINE|PubMed|EMBASE|Cochrane|Web of Science|electronic databases)\b"
                                     r"|\b(?:MEDLINE|PubMed|EMBASE) (?:\w+ )?search\b", _I)),
    ("guideline", re.compile(r"\b(?:(?:practice|clinical|consensus|evidence-based) guidelines?|this guideline"
                             r"|(?:these|our|the) recommendations (?:are|were) (?:based|made|graded)"
                             r"|consensus statement|expert panel)\b", _I)),
    ("review", re.compile(r"\b(?:narrative|literature|this|our|the present|critical|comprehensive|brief|mini-)"
                          r"[ -]?review\b(?! of (?:the )?(?:medical |clinical |patient |hospital )?"
                          r"(?:records?|charts?|notes|files|database))"
                          r"|\breview(?:s|ed)? (?:of )?the (?:current |recent |available |published )?literature\b"
                          r"|\bwe review\b|\bhere,? we (?:review|summari[sz]e|discuss)\b|\bthis article reviews\b"
                          r"|\breviews? (?:how|the evidence|evidence|recent)\b", _I)),
    ("crossover trial", re.compile(r"\bcross-?over\b", _I)),
    ("randomised trial", re.compile(r"\brandomi[sz]ed,? (?:[\w-]+,? ){0,4}(?:trial|study)\b|\bRCTs?\b"
                                    r"|\brandomi[sz]ed (?:to|into|in)\b|\bwere randomi[sz]ed\b"
                                    rf"|{_RANDOM_ALLOCATION}", _I)),
    ("open-label trial", re.compile(r"\bopen-?label\b", _I)),
    ("controlled trial", re.compile(r"\b(?:controlled|clinical) trial\b|\bsham-controlled\b", _I)),
    ("case-control study", re.compile(r"\bcase[- ]control(?:led)?\b", _I)),
    ("cohort study", re.compile(r"\bcohort (?:study|studies|analysis)\b|\b(?:prospective|retrospective|"
                                r"population-based|birth|historical) cohort\b", _I)),
    ("cross-sectional study", re.compile(_CROSS_SECTIONAL, _I)),
    ("case series", re.compile(r"\bcase series\b|\bseries of \d+ (?:patients|cases)\b", _I)),
    ("case report", re.compile(r"\bcase report\b|\bwe (?:report|describe|present) (?:a|the|an unusual|a rare) "
                               r"(?:case|patient)\b|\b\d+-year-old (?:man|woman|boy|girl|male|female|patient)\b",
                               _I)),
    ("in vitro", re.compile(r"\bin vitro\b|\bcell cultures?\b|\bcultured (?:\w+ )?(?:cells|neurons|microglia|"
                            r"astrocytes)\b|\bcell lines?\b", _I)),
)
"""Phrases that name the kind of study, most specific (secondary literature) first."""

_RECORDS = (r"(?:(?:medical|hospital|clinical|clinic|patients?'?|health|electronic|case|departmental) records?"
            r"|records? of (?:all |the )?(?:[\d,]+ |[a-z]+ )?(?:patients|cases|women|men|children|infants|adults"
            r"|subjects|individuals|persons)|case notes)")
_RETROSPECTIVE = (r"\bretrospective(?:ly)?\b|\bchart review\b"
                  r"|\b(?:medical|patient|patients'|hospital|clinical|case) charts\b"
                  r"|\b(?:reviewed|review of|reviewing) (?:the |all )?(?:\w+ )?charts\b"
                  rf"|\b(?:charts|{_RECORDS})\b[^.;]{{0,150}}\b(?:were|was) (?:\w+ )?"
                  r"(?:reviewed|analy[sz]ed|examined|scrutini[sz]ed|studied)\b"
                  r"|\b(?:reviewed|review of|reviewing|analy[sz]ed|examined) (?:the |all |our )?"
                  rf"(?:[\w-]+ ){{0,3}}?(?:records?|case notes|databases?|registry|registers?)\b")
"""A look back: the word, or patients' charts and records reviewed (not Snellen charts read, not blood pressure
recorded, not a review's records screened)."""
DESIGN_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("randomised", re.compile(rf"\brandomi[sz](?:ed|ation)\b|\bRCTs?\b|{_RANDOM_ALLOCATION}", _I)),
    ("double-blind", re.compile(r"\b(?:double|triple)[- ]?(?:blind(?:ed)?|mask(?:ed)?)\b", _I)),
    ("single-blind", re.compile(r"\bsingle[- ]?(?:blind(?:ed)?|mask(?:ed)?)\b", _I)),
    ("crossover", re.compile(r"\bcross-?over\b", _I)),
    ("sham-controlled", re.compile(r"\bsham(?:-controlled)?\b", _I)),
    ("placebo-controlled", re.compile(r"\bplacebo(?:-controlled)?\b", _I)),
    ("retrospective", re.compile(_RETROSPECTIVE, _I)),
    ("prospective", re.compile(r"\bprospective(?:ly)?\b(?! (?:\w+ )?(?:recipients|donors|parents|students|candidates"
                               r"|mothers|fathers|buyers|applicants|adopters|employees|jurors|users)\b)", _I)),
    ("cross-sectional", re.compile(_CROSS_SECTIONAL, _I)),
    ("case-control", re.compile(r"\bcase[- ]control(?:led)?\b|\bcase-referent\b"
                                r"|\bcases and (?:\d+ )?(?:\w+ )?controls\b"
                                r"|\bmatched (?:healthy )?controls?\b|\bcontrols? matched\b"
                                r"|\b(?:age|sex|gender)(?:[- ]and[- ](?:sex|age|gender))?[- ]matched\b"
                                r"|\bmatched (?:for|by|on|according to|with respect to) (?:\w+ )?(?:age|sex|gender)\b"
                                r"|\b(?:age|sex|gender)-? and [\w-]+-matched\b"
                                r"|\bhealthy controls?\b|\b\d+ (?:healthy )?controls\b"
                                r"|\bcontrol (?:group|subjects) (?:of|consisted|comprised|included)\b"
                                r"|\bcompared (?:with|to) (?:\d+ )?(?:healthy )?controls\b", _I)),
    ("cohort", re.compile(r"\bcohorts?\b", _I)),
    ("follow-up", re.compile(r"\bfollow(?:ed)?[- ]?ups?\b|\bfollowed (?:for|over|during|until|prospectively)\b", _I)),
    ("multicentre", re.compile(r"\bmulti-?cent(?:er|re|ric)\b|\bmulti-?institutional\b"
                               r"|\b(?:at|in|across|from) (?:(?:\d+|two|three|four|five|six|seven|eight|nine|ten|"
                               r"eleven|twelve|several|many|multiple) )(?:\w+ )?(?:cent(?:er|re)s|hospitals|sites)\b"
                               r"|\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)-cent(?:er|re)\b",
                               _I)),
)
"""Design features ('randomised', 'double-blind', 'retrospective', ...) and the words that state them."""

BLINDING = frozenset({"double-blind", "single-blind"})
OPEN_LABEL = re.compile(r"\bopen-?label\b|\bunblinded\b", _I)

# --- who was studied ---------------------------------------------------------------------------------------
HUMAN_WORDS = re.compile(
    r"\b(?:patients?|participants?|volunteers?|subjects|(?:wo)?men|children|child|adults?|adolescents?|infants?"
    r"|neonates?|newborns?|boys|girls|persons?|people|individuals|humans?|outpatients|inpatients|residents"
    r"|physicians|nurses|surgeons|students|respondents|mothers|pregnant|veterans|smokers|athletes|twins"
    r"|(?:healthy )?controls? subjects|elderly|survivors|recipients|donors|employees|workers|clinicians"
    r"|practitioners|doctors|caregivers|parents|families|women's|men's|schoolchildren|teenagers|toddlers)\b", _I)
"""People words: a sentence with one is about humans (unless animal words say otherwise, see ``extract``)."""
HUMAN_HINTS = re.compile(
    r"\b(?:cases|males|females|population|deliver(?:y|ies)|births?|mortality|hospitals?|clinics?|admissions"
    r"|players|coaches|drivers|farmers|trainees|casualties|owners|ethnic|maternal|pregnan\w*|clinical|surgical"
    r"|surgery|biops(?:y|ies)|specimens|autops(?:y|ies)|diagnosis|diagnosed|births|gestation(?:al)?"
    r"|cancers?|carcinomas?|tumou?rs|melanomas?|deaths|suicides?|homicides?|p(?:a)?ediatric"
    r"|(?:traffic|road|sports?|occupational|work-related|firearm|gunshot|(?:un)?intentional) injur(?:y|ies)"
    r"|medicines|implants|angioplasty|(?:adverse|case) reports)\b", _I)
"""Words that speak of people less directly: read as 'human' only when no animal or cell words are found."""

ANIMAL_SPECIES = named_patterns("ANIMAL_SPECIES")
"""Animal words → species; 'animal' only for the generic word."""
ANIMAL_EXPOSURE = named_patterns("ANIMAL_EXPOSURE")
"""Animals a human study's people met (bites, stings, allergens): recorded beside 'human', never as subjects."""

ANIMAL_CONTEXT = re.compile(r"\b(?:animal|experimental|rodent|murine|rat|mouse|canine|porcine|preclinical)"
                            r"(?: \w+)? models?\b|\bin (?:animals|rodents)\b|\banimal (?:studies|experiments|data"
                            r"|work|research)\b|\bpreclinical\b", _I)
"""Animal words that refer to other work ('in animal models', 'animal studies'), not to the study's subjects."""

ANIMAL_USE = re.compile(r"\b(?:anesthetized|anaesthetized|male|female|adult|young|old|aged|juvenile|neonatal|"
                        r"pregnant|weanling|transgenic|knockout|wild-?type|inbred|rats? (?:were|was)|mice (?:were|was)"
                        r"|animals (?:were|was)|sacrificed|euthani[sz]ed|housed)\b", _I)
"""Words that show the animals were the study's own subjects."""

STRAINS = named_patterns("STRAINS")

CELL_CULTURE = re.compile(r"\bcell cultures?\b|\bcultured (?:\w+ )?(?:cells|neurons|microglia|astrocytes)\b"
                          r"|\bcell lines?\b|\b(?:BV-?2|PC-?12|HEK-?293|SH-SY5Y|HeLa)(?: cells)?\b", _I)

_BOTH_SEXES = r"\bboth (?:sexes|genders)\b|\b(?:sex|gender)\b(?! hormones?| steroids?| workers?| chromosomes?)"
SEX_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (  # 'sex' or 'gender' as a variable: both were studied
    ("male", re.compile(rf"\bmales?\b|\bmen\b|\bboys\b|{_BOTH_SEXES}|\b(?:\d+-year-old )man\b", _I)),
    ("female", re.compile(rf"\bfemales?\b|\bwomen\b|\bgirls\b|{_BOTH_SEXES}|\bpregnan(?:t|cy)\b"
                          r"|\bmothers\b|\bmaternal\b|\b(?:\d+-year-old )woman\b|\bpostmenopausal\b", _I)),
)

CONDITIONS = named_patterns("CONDITIONS")
"""Conditions and pain models, the specific ones first (a sentence naming 'CCI' is not recorded as 'neuropathic
pain' too: see ``extract._conditions``)."""
PAIN_CONDITIONS = frozenset(name for name, _ in CONDITIONS) - {"ischemia"}
"""The conditions that are pain, or the injuries of pain models: what "neuropathic pain" covers in a question."""

# --- sizes ---------------------------------------------------------------------------------------------------
_NOT_ADJ = rf"(?:of|percent|per|and|or|in|with|from|to|than|hundreds?|{_UNIT_WORDS}|{_TEN_WORDS})\b"
_ADJ = rf"(?:(?!{_NOT_ADJ})[A-Za-z][\w/-]* ){{0,4}}?"
SIZE_NOUNS: dict[str, str] = {
    "patients": "patients", "patient": "patients", "cases": "patients", "outpatients": "patients",
    "inpatients": "patients", "women": "participants", "men": "participants", "children": "participants",
    "participants": "participants", "subjects": "participants", "volunteers": "participants",
    "individuals": "participants", "adults": "participants", "infants": "participants", "neonates": "participants",
    "adolescents": "participants", "persons": "participants", "people": "participants", "respondents": "participants",
    "boys": "participants", "girls": "participants", "controls": "participants", "pregnancies": "participants",
    "newborns": "participants", "residents": "participants", "students": "participants", "eyes": "participants",
    "rats": "animals", "mice": "animals", "animals": "animals", "rabbits": "animals", "dogs": "animals",
    "pigs": "animals", "sheep": "animals", "monkeys": "animals", "cats": "animals",
    "studies": "studies", "trials": "studies", "RCTs": "studies", "articles": "studies", "publications": "studies",
    "papers": "studies", "reviews": "studies",
}
_NOUNS = "|".join(sorted(SIZE_NOUNS, key=len, reverse=True))
SIZE = re.compile(rf"(?<![\w.,/%-])(?P<num>{NUMBER})(?![\w%.,-]\d|\s*%|\s*(?:percent|years?|months?|weeks?|days?|"
                  rf"hours?|mg|ml|kg|cm|mm)\b) (?P<adj>{_ADJ})(?P<noun>{_NOUNS})\b"
                  rf"(?P<verb>,? (?:[A-Za-z]+ ){{0,3}}?(?:were|was) (?:\w+ )?(?:randomi[sz]ed|randomly|treated|"
                  rf"included|enrolled|recruited|studied|analy[sz]ed|assigned|allocated))?", _I)
"""'149 patients were randomised', 'Thirty-two male Sprague-Dawley rats', '12 studies'."""
CASES = re.compile(r"\bcases\b", _I)
"""A size counted in 'cases': patients in a primary study, situations in a review."""
SIZE_NOUN = re.compile(rf"\b(?:{_NOUNS})\b", _I)
"""A sentence without one of these nouns holds no ``SIZE``."""
GROUPS_OF = re.compile(rf"\b(?P<groups>{NUMBER}) (?:\w+ )?(?:groups?|arms?) of (?P<num>{NUMBER})\b"
                       rf"|\((?:n|N) ?= ?(?P<num2>\d+)(?: (?:per|in each|each) (?:group|arm))\)"
                       rf"|\b(?P<num3>{NUMBER}) (?:rats|mice|animals|patients|participants) (?:per|in each|each) "
                       rf"(?:group|arm)\b", _I)
"""Sizes per arm: 'four groups of eight', 'two arms of 43', '(n = 8 per group)', '10 rats per group'."""
N_EQUALS = re.compile(r"\(\s*[nN]\s*=\s*(?P<num>\d[\d,]*)\s*\)|\b[nN]\s*=\s*(?P<num2>\d{1,3}(?:,\d{3})+|\d+)(?![,.]?\d)"
                      r"(?!\s*(?:per|each))")
COUNT_VERB = re.compile(rf"(?<![\w.,/%-])(?P<num>{NUMBER}) (?:were|was) (?:subsequently |successfully |finally )?"
                        rf"(?P<verb>randomi[sz]ed|randomly assigned|treated|enrolled|included)\b", _I)
"""A count without its noun ('Of 152 randomised patients, 149 were treated')."""
YEAR_BEFORE = re.compile(r"\b(?:the|in|since|from|until|before|after|and|to|of|between)\s+$", _I)
"""The words before a number that make it a year ('the 2014 studies')."""
RANDOMISED_VERB = re.compile(r"\brandomi[sz]ed\b|\brandomly\b|\ballocated\b|\bassigned\b", _I)
TREATED_VERB = re.compile(r"\btreated\b|\breceived\b|\bunderwent\b", _I)

# --- stimulation ------------------------------------------------------------------------------------------
FREQUENCY = re.compile(r"(?<![\w.])(?P<num>\d+(?:\.\d+)?)\s*-?\s*(?:Hz|hertz)\b"
                       r"|\b(?P<tbs>[ic]TBS|(?:intermittent |continuous )?theta[- ]burst(?: stimulation)?)\b"
                       r"|\b(?P<band>(?:high|low)-frequency)\b(?= (?:\w+ )?(?:rTMS|stimulation|TMS))", _I)
INTENSITY = re.compile(r"(?P<num>\d+(?:\.\d+)?)\s*%\s*(?:of (?:the )?(?:individual |subject's |patient's )?)?"
                       r"(?P<mt>(?:resting|active) motor threshold|motor threshold|[RA]MT\b|MT\b|"
                       r"(?:maximum |maximal )?(?:stimulator|machine) output|MSO\b)", _I)
PULSES = re.compile(rf"(?P<num>\d{{1,3}}(?:,\d{{3}})+|\d+|{NUMBER}) (?:(?:magnetic|TMS|total) )?pulses\b", _I)
SESSIONS = re.compile(rf"(?P<num>{NUMBER}) (?:(?:daily|consecutive|weekly|active|real|sham|rTMS|treatment|"
                      rf"stimulation)[ -]?){{0,2}}sessions\b", _I)
SCHEDULE = re.compile(rf"\b(?:(?:once|twice) (?:a|per) (?:day|week)|daily|every day|(?:{NUMBER}) days? (?:a|per) week"
                      rf"|(?:{NUMBER}) times (?:a|per) (?:day|week))"
                      rf"(?:,? (?:\w+ ){{0,3}}?for (?:{NUMBER}) (?:consecutive )?(?:days|weeks|months))?"
                      rf"|\bfor (?:{NUMBER}) (?:consecutive )?(?:days|weeks)\b"
                      rf"|\b(?:{NUMBER}) (?:consecutive )?(?:days|weeks) of (?:daily )?(?:rTMS|stimulation|"
                      rf"treatment)\b", _I)
START = re.compile(rf"\b(?:(?:{NUMBER}|a|one) (?:days?|weeks?|hours?|months?)|immediately|the day) "
                   rf"(?:after|post|following) (?:the )?(?:surgery|injury|operation|ligation|CCI|SNI|SNL|lesion|"
                   rf"nerve injury|stroke|contusion|modell?ing|induction)\b"
                   rf"|\b(?:on|from) (?:post-?operative |postoperative )?day (?:{NUMBER})\b", _I)
_SECONDS_OR_MINUTES = r"min(?:utes?)?|s|sec(?:onds?)?"
SESSION_LENGTH = re.compile(rf"\bsessions? (?:lasted|of|took|was|were) (?:about |approximately )?"
                            rf"(?P<num>\d+|{NUMBER})[- ]?(?P<unit>{_SECONDS_OR_MINUTES})\b"
                            rf"|\b(?P<num2>\d+|{NUMBER})[- ]?(?P<unit2>{_SECONDS_OR_MINUTES}) "
                            rf"(?:per|each|a|every) session\b"
                            rf"|\b(?P<num3>\d+|{NUMBER})[- ]min(?:ute)? "
                            rf"(?:(?:daily|rTMS|stimulation|treatment) )?sessions?\b", _I)
"""How long one session lasted ('each session lasted 5 minutes', '20 min per session', '20-minute sessions')."""
COURSE_CONTEXT = re.compile(r"\b(?:treatment|sessions?|course)\b", _I)
"""A sentence about the course of treatment ('Treatment began on day 8 and ran for 11 days'): in a study that
stimulated, its start and schedule are the stimulation's."""
TARGETS = named_patterns("TARGETS")
SIDE = re.compile(r"\b(?P<side>left|right|contralateral|ipsilateral|bilateral)\b(?= (?:\w+ ){0,3}?(?:M1|DLPFC|"
                  r"motor|prefrontal|insula|hemisphere|cortex|S1|dorsal|side))", _I)
STIM_CONTEXT = re.compile(r"\b(?:r?TMS|stimulation|stimulated|coil|pulses|magnetic|TBS|neuronavigat\w*)\b", _I)
"""A sentence about the protocol (targets and sides count only in such sentences)."""

# --- controls ------------------------------------------------------------------------------------------------
CONTROLS = named_patterns("CONTROLS")

# --- outcomes, markers, tissues, directions ------------------------------------------------------------------
OUTCOMES = named_patterns("OUTCOMES")
"""Outcome measures; the behavioural ones double as 'markers' of findings (a change in allodynia)."""
BEHAVIOUR_FINDINGS = frozenset({"mechanical allodynia", "mechanical threshold", "thermal hyperalgesia",
                                "cold allodynia", "mechanical hyperalgesia", "pain intensity"})

_LONG_MARKERS: tuple[tuple[str, str], ...] = (
    (r"tumou?r necrosis factor[- ]?(?:alpha|α)", "TNF-α"),
    (r"interleukin[- ]?1[- ]?(?:beta|β)", "IL-1β"),
    (r"interleukin[- ]?(?:6|10|17|18)", ""),
    (r"interferon[- ]?(?:gamma|γ)", "IFN-γ"),
    (r"brain[- ]derived neurotrophic factor", "BDNF"),
    (r"glial fibrillary acidic protein", "GFAP"),
    (r"substance P", "substance P"),
    (r"nuclear factor[- ](?:kappa|κ)[- ]?B", "NF-κB"),
    (r"(?:neuronal|inducible) nitric oxide synthase", ""),
    (r"ionized calcium[- ]binding adapter molecule[- ]1", "Iba1"),
    (r"calcitonin gene[- ]related peptide", "CGRP"),
    (r"(?:beta|β)[- ]endorphin", "β-endorphin"),
)
LONG_MARKERS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(rf"\b{p}\b", _I), c)
                                                              for p, c in _LONG_MARKERS)
"""Markers written out in words, with their canonical name ('' when ``marker_of`` reads it from the words)."""
MARKER_TOKEN = re.compile(r"(?<![\w-])(?=[\w\-αβγδκμß]*[A-Z0-9αβγδκμ])[A-Za-zαβγδκμß][\w\-αβγδκμß]*(?<!-)")
"""Candidate marker tokens ('TNF-α', 'IL1B', 'Iba-1': a capital, digit or Greek letter in them); a token is a
marker when its key is a canonical one."""
_MARKER_KEYS = {marker_key(m): m for m in CANONICAL_MARKERS}
_LONG_CANONICAL = {"interleukin6": "IL-6", "interleukin10": "IL-10", "interleukin17": "IL-17",
                   "interleukin18": "IL-18", "neuronalnitricoxidesynthase": "nNOS",
                   "induciblenitricoxidesynthase": "iNOS"}
_NOT_MARKERS = frozenset({"sp", "tnf"})  # 'SP' is too often something else; bare 'TNF' is kept via its alias key


def marker_of(token: str) -> str | None:
    """The canonical marker a token or long name denotes, else None."""
    key = marker_key(token)
    if key in _NOT_MARKERS and token != "TNF":
        return None
    if key in _MARKER_KEYS:
        return _MARKER_KEYS[key]
    squashed = re.sub(r"[^a-z0-9]", "", token.lower())
    if squashed in _LONG_CANONICAL:
        return _LONG_CANONICAL[squashed]
    long = canonical_marker(token)
    return long if long in CANONICAL_MARKERS else None


TISSUES = named_patterns("TISSUES")
"""Tissues and compartments, the specific ones first."""
COMPARTMENT: dict[str, str] = {
    "dorsal horn": "spinal cord", "spinal cord": "spinal cord", "dorsal root ganglion": "dorsal root ganglion",
    "sciatic nerve": "peripheral nerve", "peripheral nerve": "peripheral nerve", "serum": "blood", "plasma": "blood",
    "blood": "blood", "CSF": "CSF", "prefrontal cortex": "brain", "insula": "brain", "hippocampus": "brain",
    "thalamus": "brain", "cortex": "brain", "brain": "brain", "culture medium": "culture medium",
}
"""A tissue's compartment, as evidence notes file markers ('serum' -> 'blood', 'insula' -> 'brain')."""

DIRECTIONS = named_patterns("DIRECTIONS")
"""Direction words; 'unchanged' is looked for first ('did not change' must not read as a change)."""
COMPARISON = re.compile(r"\b(?:than|compared (?:with|to)|versus|vs\.?|relative to) (?:the |in |untreated )*"
                        r"(?P<what>sham(?:[- ](?:operated|stimulated|rTMS|group))?|CCI|SNI|SNL|SCI|controls?|"
                        r"placebo|baseline|1 Hz|untreated \w+|model)\b", _I)
MAGNITUDE = re.compile(r"\b(?:by )?(?:about |approximately |~)?(?P<pct>\d+(?:\.\d+)?) ?%", _I)

# --- secondary literature: claims and their citations --------------------------------------------------------
EFFECT_CLAIM = re.compile(r"\b(?:reduc\w*|decreas\w*|lower\w*|increas\w*|improv\w*|reliev\w*|alleviat\w*|"
                          r"attenuat\w*|suppress\w*|inhibit\w*|effective|efficacy|beneficial|benefit\w*|"
                          r"analgesic|elevat\w*|rais\w*|normali[sz]\w*|regulat\w*)\b", _I)
AUTHOR_YEAR = re.compile(r"\b(?P<who>[A-Z][A-Za-z'-]+ et al\.?),? \(?(?P<year>(?:19|20)\d{2})[a-z]?\b"
                         r"|\((?P<who2>[A-Z][A-Za-z'-]+(?: and [A-Z][A-Za-z'-]+)?),? (?P<year2>(?:19|20)\d{2})[a-z]?\)")
PMID_REF = re.compile(r"\bPMID:? ?(?P<pmid>\d{6,9})\b")
DOI_REF = re.compile(r"\b(?:doi:? ?|https?://(?:dx\.)?doi\.org/)(?P<doi>10\.\d{4,9}/[^\s;,)\]]+[^\s;,.)\]])", _I)

# --- section labels ------------------------------------------------------------------------------------------
BACKGROUND_SECTION = re.compile(r"^(?:background|introduction|context|rationale|importance)\b", _I)
"""Abstract parts that speak of other work: their animal or people words do not make the study's population."""
SELF_REFERENCE = re.compile(r"\b(?:this|the present|the current|our) (?:[\w,-]+ ){0,4}?(?:study|trial|investigation|"
                            r"analysis|review|work|survey)\b|\bwe\b|\bhere\b", _I)
OWN_DESIGN = re.compile(r"\b(?:study|trial|analysis|survey|review) (?:was|is) (?:done|performed|conducted|carried out"
                        r"|undertaken)\b|\bas part of (?:a|an|the)\b", _I)
"""A background sentence that states the study's own design ('A cross-sectional study was done in ...')."""
"""A background sentence that speaks of the study itself ('In this randomized, double-blind study, we ...')."""

# --- evidence notes: the front matter's study_type and what the body must say to support it ---------------------
NOTE_KINDS: dict[str, tuple[str, ...]] = {
    "clinical trial": ("randomised trial", "crossover trial", "open-label trial", "controlled trial"),
    "observational study": ("cohort study", "case-control study", "cross-sectional study", "case series",
                            "case report"),
    "animal study": ("animal study",),
    "cell study": ("in vitro",),
    "meta-analysis": ("meta-analysis",),
    "guideline": ("guideline",),
    "systematic review": ("systematic review", "evidence map", "meta-analysis"),
    "review": ("review",),
    "narrative review": ("review",),
}
"""A note's ``study_type`` → the record kinds it allows (the rules pick among them)."""
_REVIEW_WORDS = re.compile(r"\breview\w*\b|\bsummari[sz]\w+\b", _I)
NOTE_KIND_SUPPORT: dict[str, tuple[str, re.Pattern[str]]] = {
    "clinical trial": ("controlled trial", re.compile(r"\btrials?\b|\bsham\b|\bplacebo\b|\bcontrol group\b", _I)),
    "observational study": ("cross-sectional study", re.compile(r"\bsurveys?\b|\bquestionnaires?\b", _I)),
    "cell study": ("in vitro", re.compile(r"\bcultured?\b|\bcells?\b|\bin vitro\b", _I)),
    "meta-analysis": ("meta-analysis", re.compile(r"\bmeta-?analys[ie]s\b|\bpooled\b", _I)),
    "guideline": ("guideline", re.compile(r"\bguidelines?\b|\brecommendations?\b|\brecommend(?:s|ed)?\b", _I)),
    "systematic review": ("systematic review", re.compile(r"\bsystematic\w*\b|\bevidence map\b", _I)),
    "review": ("review", _REVIEW_WORDS),
    "narrative review": ("review", _REVIEW_WORDS),
}
"""A note's study_type → the kind recorded, and the words that support it, when no kind phrase of the rules is
found in its body (a body that never says so records no kind)."""
