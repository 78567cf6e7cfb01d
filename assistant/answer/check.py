"""Check a generated answer against its passages: markers in range, every sentence judged, unsupported ones
flagged or dropped, missing markers repaired when one passage clearly supports the sentence."""

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
from assistant.answer.terms import term_set
from assistant.index.contracts import Passage
from assistant.vocab import AnswerFlag

UNSUPPORTED_TAG = "[unsupported]"
MAX_JUDGED_MARKERS = 3  # as in ALCE: a sentence is judged against its first three citations
MIN_REPAIR_TERMS = 3


@dataclass
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


def _tag(sentence: str) -> str:
    """Mark a sentence as unsupported, before its final punctuation."""
    s = sentence.rstrip()
    if s and s[-1] in ".!?":
        return f"{s[:-1].rstrip()} {UNSUPPORTED_TAG}{s[-1]}"
    return f"{s} {UNSUPPORTED_TAG}"


def _judge_sentence(claim: str, markers: list[int], evidence: list[str], judge: Judge,
                    passages: list[Passage] | None = None, known: set[str] | None = None,
                    asked: list[Cited] | None = None) -> list[int]:
    """Markers whose passage supports ``claim`` (alone, or all cited passages together). A claim that names
    studies is judged against what each passage says of those studies (see attribution.py); so is a claim that
    names none when the question asked about one study (``asked``): the answer is about that study."""
    judged = markers[:MAX_JUDGED_MARKERS]
    cited = cited_studies(claim, known or set()) if passages else []
    about = cited or asked or []
    if about and passages:
        said = {n: attributed_evidence(about, passages[n - 1], evidence[n - 1]) for n in judged}
        judged = [n for n in judged if said[n]]
        evidence = [said.get(n) or ev for n, ev in enumerate(evidence, 1)]
        claim = without_citations(claim, cited)
    ok = [n for n in judged if judge.supports(claim, evidence[n - 1])]
    if not ok and len(judged) > 1 and judge.supports(claim, "\n".join(evidence[n - 1] for n in judged)):
        ok = _needed(claim, judged, evidence, judge)
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


def _repair(claim: str, evidence: list[str], judge: Judge, lexical: LexicalJudge,
            exclude: Collection[int] = ()) -> int | None:
    """Passage number that supports an uncited (or wrongly cited) claim: the lexically closest passage outside
    ``exclude``, confirmed by the judge."""
    if len(term_set(claim)) < MIN_REPAIR_TERMS:  # too little content to pin on one passage
        return None
    scores = [(lexical.score(claim, ev), n) for n, ev in enumerate(evidence, 1) if n not in exclude]
    if not scores:
        return None
    score, n = max(scores)
    if score <= 0:
        return None
    return n if judge.supports(claim, evidence[n - 1]) else None


def check_answer(raw: str, passages: list[Passage], evidence: list[str], judge: Judge,
                 unsupported: str = "flag", repair: bool = True, prune: bool = True,
                 question: str | None = None) -> CheckResult:
    """Validate ``raw`` (LLM or extractive output) against ``passages``; ``evidence`` are their sanitised texts
    (what the model saw, and what counts as support). ``prune``: keep only the markers of a supported sentence
    whose passages back it. ``question``: a sentence that only restates it ("The two trials differed in their
    results.") says nothing and is dropped, as is a sentence repeated."""
    k = len(passages)
    # a passage flagged as instruction-like at index time supports nothing (nor is it a repair target)
    evidence = ["" if p.chunk.instruction_like else ev for p, ev in zip(passages, evidence, strict=True)]
    fallback = getattr(judge, "fallback", None)  # an LLM judge's lexical fallback
    lexical = fallback if isinstance(fallback, LexicalJudge) else None
    if lexical is None:
        lexical = judge if isinstance(judge, LexicalJudge) else LexicalJudge().fit(evidence)
    raw = raw.strip()
    if not raw:
        return CheckResult(text="", flags=[AnswerFlag.EMPTY_OUTPUT])
    if is_refusal(raw):
        return CheckResult(text=raw, refusal=True)

    flags: list[AnswerFlag] = []
    if not [n for n in parse_markers(raw) if 1 <= n <= k]:
        flags.append(AnswerFlag.NO_CITATIONS)
    checks: list[SentenceCheck] = []
    out_sentences: list[str] = []
    asked = term_set(question) if question else set()
    known = known_authors(passages, evidence)
    study = asked_study(question, known)  # one study named in the question: claims naming no other are about it
    seen: set[str] = set()
    for sent in split_sentences(raw):
        if is_refusal(sent):
            flags.append(AnswerFlag.PARTIAL_REFUSAL)
            continue
        text, markers, dropped = clean_markers(sent, k)
        claim = strip_markers(text)
        if not claim:
            continue
        claim_terms = term_set(claim)
        key = " ".join(sorted(claim_terms))
        if key and key in seen:
            flags.append(AnswerFlag.REPEATED_SENTENCE_DROPPED)
            continue
        seen.add(key)
        if asked and claim_terms and claim_terms <= asked:
            flags.append(AnswerFlag.RESTATED_QUESTION_DROPPED)
            continue
        check = SentenceCheck(text=claim, markers=markers, dropped_markers=dropped)
        if not claim_terms:  # glue without content ("Sure.") is neither checked nor cited
            checks.append(check)
            out_sentences.append(text)
            continue
        if markers:
            check.supported_markers = _judge_sentence(claim, markers, evidence, judge, passages, known, study)
            # cited to the wrong passages ("[2][4][5]" for a fact of passage 6): the one passage that backs it,
            # judged as a cited passage is (with what it says of a study the claim names)
            if not check.supported_markers and repair \
                    and (n := _repair(claim, evidence, judge, lexical, exclude=markers)) is not None \
                    and _judge_sentence(claim, [n], evidence, judge, passages, known, study):
                text = add_markers(strip_markers(text), [n])
                check.markers, check.supported_markers = [n], [n]
                check.repaired = True
                flags.append(AnswerFlag.CITATIONS_CORRECTED)
        elif repair and (n := _repair(claim, evidence, judge, lexical)) is not None:
            text = add_markers(text, [n])
            check.markers = [n]
            check.supported_markers = [n]
            check.repaired = True
            flags.append(AnswerFlag.CITATIONS_ADDED)
        check.supported = bool(check.supported_markers)
        if prune and check.supported and len(check.supported_markers) < len(check.markers):
            # a citation that does not back the claim (the model cites [1][2][3] for everything) is removed
            text = add_markers(strip_markers(text), check.supported_markers)
            check.markers = list(check.supported_markers)
            flags.append(AnswerFlag.CITATIONS_PRUNED)
        checks.append(check)
        if check.supported:
            out_sentences.append(text)
        elif unsupported == "flag":
            out_sentences.append(_tag(text))
    if any(c.dropped_markers for c in checks):
        flags.append(AnswerFlag.OUT_OF_RANGE_MARKERS_REMOVED)
    if any(c.supported is False for c in checks):
        flags.append(AnswerFlag.UNSUPPORTED_SENTENCES_DROPPED if unsupported == "drop"
                     else AnswerFlag.UNSUPPORTED_SENTENCES)

    text = " ".join(out_sentences)
    # citations: every marker left in the text, in order; supported if some sentence is supported through it
    kept_checks = [c for c in checks if c.supported or unsupported == "flag" or c.supported is None]
    order: list[int] = []
    for c in kept_checks:
        order.extend(n for n in c.markers if n not in order)
    citations = []
    for n in order:
        supported = any(n in c.supported_markers for c in kept_checks if n in c.markers)
        citations.append(Citation(n=n, passage=passages[n - 1], supported=supported))
    references = [render_reference(c.n, c.passage) for c in citations]
    return CheckResult(text=text, sentences=checks, citations=citations, references=references,
                       flags=list(dict.fromkeys(flags)))
