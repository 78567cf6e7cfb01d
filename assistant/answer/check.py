"""Check a generated answer against its passages: markers in range, every sentence judged, unsupported ones
flagged or dropped, missing markers repaired when one passage clearly supports the sentence.

``check_answer`` is a short pipeline over one step per job, each testable alone: a draft that is empty or the
refusal (``unchecked``); per sentence, a partial refusal, a repeat (``repeated``) or a restatement of the
question (``restates``) dropped; the sentence judged against its cited passages (``supporting_markers``, with what
each says of a study the claim names: ``about_studies``), its citations corrected or added (``correct``,
``add_citation``) and pruned to those that back it (``prune_citations``); last the answer's flags
(``citation_flags``, ``closing_flags``) and its citations (``citations_of``). ``CheckContext`` is what every
sentence of one draft is checked against, made once (``check_context``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from assistant.answer.attribution import (
    Cited,
    asked_study,
    attributed_evidence,
    cited_studies,
    known_authors,
    without_citations,
)
from assistant.answer.citations import (
    add_markers,
    clean_markers,
    is_refusal,
    parse_markers,
    render_reference,
    split_sentences,
    strip_markers,
)
from assistant.answer.contracts import Citation, SentenceCheck
from assistant.answer.judge import Judge, LexicalJudge
from assistant.answer.select import usable_texts
from assistant.answer.terms import term_set
from assistant.index.contracts import Passage
from assistant.vocab import AnswerFlag

UNSUPPORTED_TAG = "[unsupported]"
MAX_JUDGED_MARKERS = 3  # as in ALCE: a sentence is judged against its first three citations
MIN_REPAIR_TERMS = 3


@dataclass(frozen=True)
class CheckResult:
    text: str
    sentences: list[SentenceCheck] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    flags: list[AnswerFlag] = field(default_factory=list)
    refusal: bool = False

    @property
    def supported_count(self) -> int:
        return sum(1 for s in self.sentences if s.supported)


@dataclass(frozen=True)
class CheckContext:
    """What every sentence of a draft is checked against (``check_context``)."""

    passages: list[Passage]
    evidence: list[str]  # the passages' support texts, "" for one that gives no text (select.gives_text)
    judge: Judge
    lexical: LexicalJudge  # ranks the passages a citation may be repaired to
    asked: set[str] = field(default_factory=set)  # the question's terms
    known: set[str] = field(default_factory=set)  # surnames that name a study here
    study: list[Cited] | None = None  # the one study the question names

    @property
    def k(self) -> int:
        return len(self.passages)


@dataclass(frozen=True)
class Judged:
    """One sentence after a step: its text (with markers), its check, and what the step flags."""

    text: str
    check: SentenceCheck
    flags: tuple[AnswerFlag, ...] = ()


def lexical_judge(judge: Judge, evidence: list[str]) -> LexicalJudge:
    """The lexical judge that picks repair targets: an LLM judge's lexical fallback, the judge itself when it is
    lexical, else one fitted to ``evidence``."""
    fallback = getattr(judge, "fallback", None)
    if isinstance(fallback, LexicalJudge):
        return fallback
    return judge if isinstance(judge, LexicalJudge) else LexicalJudge().fit(evidence)


def check_context(passages: list[Passage], evidence: list[str], judge: Judge,
                  question: str | None = None) -> CheckContext:
    """The context of a check; a passage that gives no text supports nothing (nor is it a repair target)."""
    evidence = usable_texts(passages, evidence)
    known = known_authors(passages, evidence)
    return CheckContext(passages=passages, evidence=evidence, judge=judge, lexical=lexical_judge(judge, evidence),
                        asked=term_set(question) if question else set(), known=known,
                        study=asked_study(question, known))  # claims naming no other study are about it


def _tag(sentence: str) -> str:
    """Mark a sentence as unsupported, before its final punctuation."""
    s = sentence.rstrip()
    if s and s[-1] in ".!?":
        return f"{s[:-1].rstrip()} {UNSUPPORTED_TAG}{s[-1]}"
    return f"{s} {UNSUPPORTED_TAG}"


# --- the whole draft ---------------------------------------------------------------------------------
def unchecked(raw: str) -> CheckResult | None:
    """The result of a draft with nothing to check: empty, or (essentially) the refusal phrase."""
    if not raw:
        return CheckResult(text="", flags=[AnswerFlag.EMPTY_OUTPUT])
    if is_refusal(raw):
        return CheckResult(text=raw, refusal=True)
    return None


def citation_flags(raw: str, k: int) -> list[AnswerFlag]:
    """``no-citations`` when the draft has no marker in range."""
    return [] if any(1 <= n <= k for n in parse_markers(raw)) else [AnswerFlag.NO_CITATIONS]


# --- sentences that say nothing new ------------------------------------------------------------------
def repeated(claim_terms: set[str], seen: set[str]) -> bool:
    """Whether a sentence says what an earlier one said (the same terms); ``seen`` remembers it otherwise."""
    key = " ".join(sorted(claim_terms))
    if key and key in seen:
        return True
    seen.add(key)
    return False


def restates(claim_terms: set[str], asked: set[str]) -> bool:
    """Whether a sentence only restates the question ("The two trials differed in their results.")."""
    return bool(asked) and bool(claim_terms) and claim_terms <= asked


# --- judging a sentence ------------------------------------------------------------------------------
def about_studies(claim: str, judged: list[int], ctx: CheckContext) -> tuple[str, list[int], list[str]]:
    """Study attribution: a claim that names studies is judged against what each passage says of those studies
    (see attribution.py); so is a claim that names none when the question asked about one study (``ctx.study``):
    the answer is about that study. Returns the claim without its study citations, the markers whose passages
    say something of the studies, and the evidence limited to it."""
    cited = cited_studies(claim, ctx.known) if ctx.passages else []
    about = cited or ctx.study or []
    if not (about and ctx.passages):
        return claim, judged, ctx.evidence
    said = {n: attributed_evidence(about, ctx.passages[n - 1], ctx.evidence[n - 1]) for n in judged}
    evidence = [said.get(n) or ev for n, ev in enumerate(ctx.evidence, 1)]
    return without_citations(claim, cited), [n for n in judged if said[n]], evidence


def supporting_markers(claim: str, markers: list[int], ctx: CheckContext) -> list[int]:
    """Markers whose passage supports ``claim`` (alone, or all cited passages together)."""
    claim, judged, evidence = about_studies(claim, markers[:MAX_JUDGED_MARKERS], ctx)
    ok = [n for n in judged if ctx.judge.supports(claim, evidence[n - 1])]
    if not ok and len(judged) > 1 and ctx.judge.supports(claim, "\n".join(evidence[n - 1] for n in judged)):
        ok = _needed(claim, judged, evidence, ctx.judge)
    return ok


def _needed(claim: str, jointly: list[int], evidence: list[str], judge: Judge) -> list[int]:
    """The markers of a jointly supported claim that it needs: one whose removal leaves the claim supported by
    the others is dropped (ALCE's redundant citation), the last-cited first, so a reader is sent to no passage
    that adds nothing."""
    kept = list(jointly)
    for n in reversed(jointly):
        rest = [m for m in kept if m != n]
        # no single passage supports the claim (else it would not be judged jointly): two must remain
        if len(rest) >= 2 and judge.supports(claim, "\n".join(evidence[m - 1] for m in rest)):
            kept = rest
    return kept


def repair_target(claim: str, ctx: CheckContext, exclude: Collection[int] = ()) -> int | None:
    """Passage number that supports an uncited (or wrongly cited) claim: the lexically closest passage outside
    ``exclude``, confirmed by the judge."""
    if len(term_set(claim)) < MIN_REPAIR_TERMS:  # too little content to pin on one passage
        return None
    scores = [(ctx.lexical.score(claim, ev), n) for n, ev in enumerate(ctx.evidence, 1) if n not in exclude]
    if not scores:
        return None
    score, n = max(scores)
    if score <= 0:
        return None
    return n if ctx.judge.supports(claim, ctx.evidence[n - 1]) else None


def correct(s: Judged, ctx: CheckContext) -> Judged:
    """Cited to the wrong passages ("[2][4][5]" for a fact of passage 6): the one passage that backs it, judged
    as a cited passage is (with what it says of a study the claim names)."""
    claim = s.check.text
    n = repair_target(claim, ctx, exclude=s.check.markers)
    if n is None or not supporting_markers(claim, [n], ctx):
        return s
    check = s.check.model_copy(update={"markers": [n], "supported_markers": [n], "repaired": True})
    return Judged(add_markers(strip_markers(s.text), [n]), check, (*s.flags, AnswerFlag.CITATIONS_CORRECTED))


def add_citation(s: Judged, ctx: CheckContext) -> Judged:
    """An uncited claim that one passage clearly supports: cited to it."""
    n = repair_target(s.check.text, ctx)
    if n is None:
        return s
    check = s.check.model_copy(update={"markers": [n], "supported_markers": [n], "repaired": True})
    return Judged(add_markers(s.text, [n]), check, (*s.flags, AnswerFlag.CITATIONS_ADDED))


def prune_citations(s: Judged) -> Judged:
    """A supported sentence keeps only the markers whose passages back it (the model cites [1][2][3] for
    everything)."""
    c = s.check
    if not (c.supported and len(c.supported_markers) < len(c.markers)):
        return s
    check = c.model_copy(update={"markers": list(c.supported_markers)})
    return Judged(add_markers(strip_markers(s.text), c.supported_markers), check,
                  (*s.flags, AnswerFlag.CITATIONS_PRUNED))


def judge_sentence(s: Judged, ctx: CheckContext, repair: bool = True, do_prune: bool = True) -> Judged:
    """A sentence with content judged against its cited passages, its citations corrected or added
    (``repair``) and pruned (``do_prune``)."""
    if s.check.markers:
        s = Judged(s.text, s.check.model_copy(update={
            "supported_markers": supporting_markers(s.check.text, s.check.markers, ctx)}), s.flags)
        if not s.check.supported_markers and repair:
            s = correct(s, ctx)
    elif repair:
        s = add_citation(s, ctx)
    s = Judged(s.text, s.check.model_copy(update={"supported": bool(s.check.supported_markers)}), s.flags)
    return prune_citations(s) if do_prune else s


def shown(s: Judged, unsupported: str) -> str | None:
    """How a checked sentence stands in the answer: as it is when supported (or glue without content), tagged
    when unsupported and ``unsupported="flag"``, else not at all."""
    if s.check.supported is not False:
        return s.text
    return _tag(s.text) if unsupported == "flag" else None


# --- the draft's sentences ---------------------------------------------------------------------------
def check_sentences(raw: str, ctx: CheckContext, unsupported: str = "flag", repair: bool = True,
                    do_prune: bool = True) -> tuple[list[SentenceCheck], list[str], list[AnswerFlag]]:
    """Every sentence of ``raw`` screened and judged: the checks, the sentences shown, the flags in order."""
    checks: list[SentenceCheck] = []
    out: list[str] = []
    flags: list[AnswerFlag] = []
    seen: set[str] = set()
    for sent in split_sentences(raw):
        if is_refusal(sent):
            flags.append(AnswerFlag.PARTIAL_REFUSAL)
            continue
        text, markers, dropped = clean_markers(sent, ctx.k)
        claim = strip_markers(text)
        if not claim:
            continue
        claim_terms = term_set(claim)
        if repeated(claim_terms, seen):
            flags.append(AnswerFlag.REPEATED_SENTENCE_DROPPED)
            continue
        if restates(claim_terms, ctx.asked):
            flags.append(AnswerFlag.RESTATED_QUESTION_DROPPED)
            continue
        s = Judged(text, SentenceCheck(text=claim, markers=markers, dropped_markers=dropped))
        if claim_terms:  # glue without content ("Sure.") is neither checked nor cited
            s = judge_sentence(s, ctx, repair, do_prune)
        flags.extend(s.flags)
        checks.append(s.check)
        if (line := shown(s, unsupported)) is not None:
            out.append(line)
    return checks, out, flags


def closing_flags(checks: list[SentenceCheck], unsupported: str = "flag") -> list[AnswerFlag]:
    """Out-of-range markers removed; unsupported sentences flagged or dropped."""
    flags: list[AnswerFlag] = []
    if any(c.dropped_markers for c in checks):
        flags.append(AnswerFlag.OUT_OF_RANGE_MARKERS_REMOVED)
    if any(c.supported is False for c in checks):
        flags.append(AnswerFlag.UNSUPPORTED_SENTENCES_DROPPED if unsupported == "drop"
                     else AnswerFlag.UNSUPPORTED_SENTENCES)
    return flags


def citations_of(checks: list[SentenceCheck], passages: list[Passage], unsupported: str = "flag") -> list[Citation]:
    """Every marker left in the text, in order; supported if some sentence is supported through it."""
    kept = [c for c in checks if c.supported or unsupported == "flag" or c.supported is None]
    order: list[int] = []
    for c in kept:
        order.extend(n for n in c.markers if n not in order)
    return [Citation(n=n, passage=passages[n - 1],
                     supported=any(n in c.supported_markers for c in kept if n in c.markers)) for n in order]


def check_answer(raw: str, passages: list[Passage], evidence: list[str], judge: Judge,
                 unsupported: str = "flag", repair: bool = True, prune: bool = True,
                 question: str | None = None) -> CheckResult:
    """Validate ``raw`` (LLM or extractive output) against ``passages``; ``evidence`` are their sanitised texts
    (what the model saw, and what counts as support). ``prune``: keep only the markers of a supported sentence
    whose passages back it. ``question``: a sentence that only restates it ("The two trials differed in their
    results.") says nothing and is dropped, as is a sentence repeated."""
    ctx = check_context(passages, evidence, judge, question)
    raw = raw.strip()
    if (done := unchecked(raw)) is not None:
        return done
    checks, out, flags = check_sentences(raw, ctx, unsupported, repair, prune)
    citations = citations_of(checks, passages, unsupported)
    return CheckResult(text=" ".join(out), sentences=checks, citations=citations,
                       references=[render_reference(c.n, c.passage) for c in citations],
                       flags=list(dict.fromkeys([*citation_flags(raw, ctx.k), *flags,
                                                 *closing_flags(checks, unsupported)])))
