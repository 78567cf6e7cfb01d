"""A verdict's reason agrees with it.

A small model asked to "start with Yes. or No., then state the finding that decides it" may follow a probed "No."
with the question turned into a claim ("No. Five daily sessions of 5 Hz rTMS reduced pain more than sham [2]."):
every word is in the passages, so the citation check passes it. Such a sentence, one that asserts most of what
the question asks with no word that denies it, is replaced by the null finding of a paper the answer cites (the
sentence of its shown passages that reports no effect and holds most of the question: "... a non-significant
difference (P = 0.58)"), or dropped when those papers state none and the answer says something else.
"""

from __future__ import annotations

from assistant.answer import verdict
from assistant.answer.citations import add_markers, parse_markers, split_sentences, strip_markers
from assistant.answer.stages import paper_idents
from assistant.answer.terms import TOPIC_TERMS, term_set
from assistant.answer.turn import Revised, Turn
from assistant.corpus.sentences import sentence_spans
from assistant.vocab import AnswerFlag


def null_finding(turn: Turn, asked: set[str], papers: set[str]) -> tuple[int, str] | None:
    """(passage number, sentence): the sentence of ``papers``' shown passages that reports no effect and holds the
    most of the question's terms (the first such on a tie)."""
    best: tuple[int, int, str] | None = None
    for n, (p, text) in enumerate(zip(turn.passages, turn.texts, strict=True), 1):
        if p.chunk.paper_id not in papers:
            continue
        for _, _, sent in sentence_spans(text):
            got = len(term_set(sent) & asked)
            if got and verdict.reports_null(sent) and (best is None or got > best[0]):
                best = (got, n, sent)
    return (best[1], best[2]) if best else None


def for_no(turn: Turn) -> Revised | None:
    """The draft with each sentence that asserts what its "No." denies replaced by a cited paper's null finding
    (once) or dropped; None when the answer is not a "No." or none of its sentences contradicts it."""
    r = turn.result
    if not turn.yes_no or turn.said != "no" or r is None or r.refusal:
        return None
    asked = term_set(turn.query) - TOPIC_TERMS - paper_idents(turn.passages)
    body = verdict.strip_verdict(turn.raw)
    sentences = split_sentences(body)
    wrong = [i for i, s in enumerate(sentences) if verdict.asserts(strip_markers(s), asked)]
    if not wrong:
        return None
    marked = [n for i in wrong for n in parse_markers(sentences[i]) if 1 <= n <= len(turn.passages)]
    papers = {c.passage.chunk.paper_id for c in r.citations if c.supported} | {
        turn.passages[n - 1].chunk.paper_id for n in marked}  # the check may have dropped the sentence itself
    found = null_finding(turn, asked, papers)
    kept = [s for i, s in enumerate(sentences) if i not in wrong]
    if found is not None:
        kept.insert(wrong[0], add_markers(found[1], [found[0]]))
    if not kept:
        return None
    return Revised(f"No. {' '.join(kept)}", (AnswerFlag.REASON_REPLACED,), turn.probed)


def for_partly(turn: Turn) -> Revised | None:
    """A "Yes." to whether something happened fully ("Did rTMS completely reverse allodynia?") whose own reason, or
    an evidence sentence of a paper it cites, says it happened only partly: the answer becomes "No." with the same
    reason. None otherwise."""
    r = turn.result
    if not turn.yes_no or turn.said != "yes" or r is None or r.refusal or not verdict.asks_wholly(turn.query):
        return None
    body = verdict.strip_verdict(turn.raw)
    cited = {c.passage.chunk.paper_id for c in r.citations if c.supported}
    said = [strip_markers(s) for s in split_sentences(body)]
    shown = [e.text for e in turn.evidence if turn.passages[e.n - 1].chunk.paper_id in cited]
    if not any(verdict.only_partly(turn.query, s) for s in [*said, *shown]):
        return None
    return Revised(f"No. {body}", (AnswerFlag.ONLY_PARTLY,), "no")  # outranks the probe's "Yes"
