"""Key terms of a sentence for lexical matching (extractive selection, lexical judge, follow-up merging).

Uses the index tokenizer's folding (Greek letters → names, dashes, "10 Hz" → ``10hz``) so IL-1β and IL-1beta
match, then drops function words and applies a light suffix stemmer so "reduced", "reduces" and "reduction"
meet. Tokens with digits or Greek-letter names (IL-6, 10hz, TNF-alpha, NF-kB) are *salient*: a claim that
names one the evidence lacks is not supported.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from assistant.biotext import GREEK_NAMES, TERM_ALIASES, TERM_GREEK
from assistant.biotext import fold_terms as fold
from assistant.studies.contracts import question_cues
from assistant.studies.vocab import TENS, UNITS

_TOKEN = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*")
_JOIN_PREFIXES = {"pro", "anti", "non", "pre", "post", "co", "re", "sub", "inter", "intra", "over", "up", "down"}
_GREEK_NAMES = tuple(GREEK_NAMES[c] for c in TERM_GREEK)  # the letters fold_terms spells out
DIRECTION_WORDS = {
    "down": "reduc downregulat decreas lower suppress inhibit down dampen attenuat diminish fell fall falling",
    "up": "increas upregulat elevat rais rise rose rising",
}
"""Which way a word says something moved, as stems; ``terms`` reads each as the first ("lowered" → ``reduc``)."""
DIRECTIONS = {words.split()[0]: way for way, words in DIRECTION_WORDS.items()}
"""The two stems a direction is read as → the direction (``reduc`` → down)."""
_ALIASES = {**TERM_ALIASES, "ganglia": "gangl",  # dorsal root ganglia / ganglion
            **{w: words.split()[0] for words in DIRECTION_WORDS.values() for w in words.split()[1:]}}
_STOPWORDS_TEXT = """a about above after again against all also am an and any are as at be because been before
being below
between both but by can could did do does doing done during each either few for from further had has have
having he her here hers him his how i if in into is it its itself just me more most my no nor not now of off
on once only or other our ours out over own same she should so some such than that the their theirs them
then there these they this those through to too under until up very was we were what when where which while
who whom whose why will with would you your yours
please tell explain describe list give know according paper papers study studies passage passages
corpus evidence answer question show shown shows yes happen happens happened happening occur occurs occurred"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
# a number written as a word is the number: "Forty systematic reviews" states 40, and "three trials" is not
# backed by a passage that says 38 ("one" is left alone: mostly a determiner, "one of four compartments")
NUMBER_WORDS = {w: str(n) for w, n in (UNITS | TENS).items() if w != "one"}
"""Numbers written as words → their digits, as ``terms`` reads them (the words are the study records')."""
AMOUNT_WORDS_TEXT = "one hundred thousand once twice daily weekly half third quarter"
"""Amounts written as words that ``terms`` keeps as words (the numbers of NUMBER_WORDS it reads as digits)."""
_SUFFIXES = ("ational", "ations", "ation", "ingly", "ings", "ing", "ions", "ion", "ities", "ity", "ies", "ied",
             "ed", "es", "ly", "s", "e")


def stem(tok: str) -> str:
    """A deliberately light stemmer: enough for reduce/reduced/reduction, never touches salient tokens."""
    if not tok.isalpha():
        return tok
    if len(tok) <= 4:
        plural = len(tok) == 4 and tok.endswith("s") and not tok.endswith(("ss", "us", "is"))
        return tok[:-1] if plural and re.search(r"[aeiou]", tok[:-1]) else tok  # rats → rat, rTMS stays
    for suf in _SUFFIXES:
        if tok.endswith(suf) and len(tok) - len(suf) >= 4:
            tok = tok[: -len(suf)]
            break
    if tok.endswith("ct") and len(tok) > 5:  # reduct(ion) → reduc
        tok = tok[:-1]
    return tok


def _pieces(raw: str) -> list[str]:
    raw = raw.strip(".-")
    if not raw:
        return []
    if re.search(r"\d", raw) or raw.endswith(_GREEK_NAMES):
        if re.fullmatch(r"\d+(\.\d+)?", raw):
            return [raw]
        if m := re.fullmatch(r"(\d+(?:\.\d+)?)-([a-z]{3,})", raw):  # "5-day" is "5 days", "1.5-fold" keeps 1.5
            return [m.group(1), m.group(2)]
        return [raw.replace("-", "").replace(".", "")]
    parts = [p for p in re.split(r"[-.]", raw) if p]
    if len(parts) > 1 and (parts[0] in _JOIN_PREFIXES or len(parts[-1]) <= 2 or len(parts[0]) <= 2
                           or any(g in p for p in parts for g in _GREEK_NAMES)):  # NF-κB → nfkappab
        return ["".join(parts)]
    return parts


def terms(text: str) -> list[str]:
    """Normalised content terms of ``text`` in order (duplicates kept)."""
    out: list[str] = []
    for raw in _TOKEN.findall(fold(text)):
        for piece in _pieces(raw):
            if piece in STOPWORDS or (len(piece) < 2 and not piece.isdigit()):
                continue
            if piece in _ALIASES or piece in NUMBER_WORDS:
                out.append(_ALIASES.get(piece) or NUMBER_WORDS[piece])
                continue
            tok = stem(piece)
            out.append(_ALIASES.get(tok, tok))
    return out


def term_set(text: str) -> set[str]:
    return set(terms(text))


TOPIC_TERMS = frozenset(term_set("rTMS TMS magnetic transcranial repetitive"))
"""The corpus's own subject, named in nearly every passage: never what a question asks about in particular."""
UMBRELLA_CONDITION = frozenset(term_set("chronic neuropathic pain"))
"""The condition every pain model and patient group here is a kind of: named in a question ("the rat studies of
neuropathic pain"), it chooses no study over another (CCI rats have neuropathic pain too)."""
AMOUNT_WORDS = frozenset(term_set(AMOUNT_WORDS_TEXT))
"""AMOUNT_WORDS_TEXT as ``term_set`` reads it."""
AMOUNT = re.compile(r"(?<![\w\-])(?!(?:19|20)\d\d\b)\d|"  # a number, not part of a name (Iba1, IL-1β) nor a year
                    rf"\b(?:{'|'.join([*NUMBER_WORDS, *AMOUNT_WORDS_TEXT.split()[1:]])})\b", re.I)
"""An amount in a sentence: a number (not a year nor part of a name), or one written as a word ("one" aside)."""
LEADING = re.compile(r"^\s*(?:and|but|so|also|then|ok(?:ay)?|well|now)\b[\s,]*", re.I)
"""The words a question may open with that ask nothing ("And", "So,", "OK now")."""
_GREEK_TOKEN = re.compile(rf"^[a-z]{{0,5}}(?:{'|'.join(g for g in _GREEK_NAMES if g != 'mu')})[a-z0-9]{{0,3}}$")
"""A token built on a Greek letter's name (tnfalpha, il1beta, nfkappab); not on "mu", inside ordinary words."""


def is_salient(term: str) -> bool:
    """Numbers and gene/protein-like tokens with digits or Greek letters (IL-6, 10hz, tnfalpha, nfkappab)."""
    return bool(re.search(r"\d", term)) or bool(_GREEK_TOKEN.match(term))


def named_terms(text: str) -> set[str]:
    """Terms of ``text`` that name something specific: salient tokens plus acronyms written in capitals (BDNF,
    CRPS, GFAP); used to weigh what a question is about."""
    out = {t for t in terms(text) if is_salient(t)}
    for raw in re.findall(r"[\w\-]+", text):
        if re.fullmatch(r"[A-Z]{2,}[A-Z0-9\-]*", raw):
            out.update(terms(raw))
    return out - TOPIC_TERMS


_YEAR = re.compile(r"(?:19|20)\d\d")
_QUANTITY = re.compile(r"\d+(?:\.\d+)?[a-z]{0,3}")  # 10, 20hz, 5mg: passages may give values in other words


def unknown_terms(text: str, vocabulary: Collection[str]) -> set[str]:
    """The terms of ``text`` (numbers aside) that occur nowhere in the corpus (``vocabulary``: its terms)."""
    return {t for t in term_set(text) if t not in vocabulary and not t.isdigit()}


def missing_named_terms(question: str, texts: list[str]) -> set[str]:
    """Specific names in the question (IL-17, P2X4, CX3CR1, TNF-α; not years, numbers or quantities such as
    20 Hz, which passages may phrase otherwise or keep in the bibliography) that none of ``texts`` mentions.

    A question about a marker the passages never name cannot be answered from them, however similar they are;
    the model would otherwise answer about the nearest marker it does see.
    """
    wanted = {t for t in terms(question) if is_salient(t) and not _QUANTITY.fullmatch(t) and not _YEAR.fullmatch(t)}
    wanted -= TOPIC_TERMS
    if not wanted:
        return set()
    seen = set().union(*(term_set(t) for t in texts)) if texts else set()
    flat = re.sub(r"[\s\-.]+", "", fold(" ".join(texts)))  # "20 Hz" / "IL-17" written apart or joined
    return {t for t in wanted if t not in seen and t not in flat}


# --- the question planner's vocabulary (plan.py): what a question asks of a study record ------------------------
def _cues(text: str) -> frozenset[str]:
    return frozenset(term_set(text))


FIELD_CUES: dict[str, frozenset[str]] = {f: _cues(words) for f, words in question_cues().items()}
"""Record field → the words that ask for it ("patients or rats?" asks ``species``, "sham?" asks ``control``,
"protocol?" the whole ``stimulation``): the record schema's own ``asked_by`` words, stemmed as questions are."""

QUESTION_OPENERS = {
    "what": "what which who whom whose when where why how",
    "whether": "is are was were do does did can could should would will has have had may might must shall",
}
"""The words that open a question, by what it asks: what (a wh-word) or whether (an auxiliary verb)."""
WH_WORDS = frozenset(QUESTION_OPENERS["what"].split())
"""The words of a question that asks what, not whether (verdict.is_yes_no; plan: a second part that asks anew)."""
STUDY_NOUNS = frozenset(["study", "studies", "trial", "trials", "paper", "papers", "experiment", "experiments",
                         "report", "reports", "model", "models", "review", "reviews", "meta-analysis",
                         "meta-analyses", "guideline", "guidelines", "survey", "surveys", "map", "maps",
                         "update", "updates"])
"""Nouns that name a study, as written (``term_set`` drops "study" as a function word): a field cue before one
describes the study ("the sham-controlled trial"); a wh-word before a plural one collects over studies ("which
trials …"; "which 2020 trial …" asks for one)."""
COMPARE_WORDS = frozenset(["compare", "compared", "comparison", "versus", "vs", "differ", "difference", "differed",
                           "than", "against"])
"""Words that ask for a comparison ("than" and "against" are function words to ``term_set``) and, right before a
field cue, name what was compared ("more than sham", "versus placebo") rather than ask for it."""
COMPARE_CUES = _cues(" ".join(sorted(COMPARE_WORDS)))

TARGET_PHRASE = re.compile(
    r"\b(?:(?:left|right|primary|motor|dorsolateral|prefrontal|insular|cortical|premotor|cingulate)\s+)*"
    r"(?:cortex|cortical|insula|M1|DLPFC|area)\s+(?:stimulation|rTMS|TMS)\b"
    r"|\b(?:(?:stimulation|rTMS|TMS)\s+(?:over|of|to|at|on)|stimulated)\s+(?:the\s+)?(?:[\w-]+\s+){0,3}?"
    r"(?:cortex|insula|M1|DLPFC|area)\b", re.IGNORECASE)
"""Where a question says the stimulation went ("motor cortex stimulation", "rTMS over the left DLPFC", "stimulated
the motor cortex"): the target, not a tissue something was measured in."""
