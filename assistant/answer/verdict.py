"""Verdicts for yes/no questions ("Does rTMS lower TNF-α in the spinal cord?").

The model's first word is constrained to "Yes" or "No" (see grammar.py); the verdict is then checked against
the evidence: no verified sentence → ``insufficient``; cited papers that give a named thing of the question
opposite directions (one saw TNF-α fall, another saw it rise) → ``mixed``.
"""

from __future__ import annotations

import re

from assistant.answer.contracts import Verdict
from assistant.answer.polarity import directions
from assistant.answer.terms import named_terms
from assistant.index.contracts import Passage

_AUX = ("is", "are", "was", "were", "do", "does", "did", "can", "could", "should", "would", "will", "has", "have",
        "had", "may", "might", "must", "shall")
_WH = re.compile(r"\b(?:what|which|who|whom|whose|when|where|why|how)\b", re.I)
_LEAD = re.compile(r"^\s*(?:and|but|so|also|then|ok(?:ay)?|well|now)\b[\s,]*", re.I)
_FIRST_WORD = re.compile(r"^\W*(yes|no|mixed)\b[\s.,:;!-]*", re.I)
_NEGATION = re.compile(r"\b(?:failed to|did not|does not|do not|was not|were not|is not|are not|unchanged|"
                       r"no (?:significant |clear |measurable )?(?:change|difference|effect|association|benefit)|"
                       r"not (?:significantly |statistically )?(?:significant|different|associated|changed))\b", re.I)


def is_yes_no(question: str) -> bool:
    """A question that asks whether something is so: it opens (or a clause after ':' opens) with an auxiliary
    verb, or it is a title-like question with no wh-word ("Weak link in the cold chain?")."""
    q = _LEAD.sub("", question.strip())
    clauses = [q] + [c.strip() for c in re.split(r"[:;\u2014]|\s-\s", q)[1:]]
    for c in clauses:
        first = re.match(r"[A-Za-z]+", c)
        if first and first.group(0).lower() in _AUX:
            return True
    return q.endswith("?") and not _WH.search(q) and " or " not in q.lower()


def said(raw: str) -> Verdict | None:
    """The verdict word the answer opens with, if any."""
    m = _FIRST_WORD.match(raw or "")
    if not m:
        return None
    word = m.group(1).lower()
    return "mixed" if word == "mixed" else word  # type: ignore[return-value]


def strip_verdict(raw: str) -> str:
    """The answer without its opening verdict word ("Yes. rTMS lowered …" → "rTMS lowered …")."""
    m = _FIRST_WORD.match(raw or "")
    if not m:
        return raw
    rest = raw[m.end():].lstrip()
    if len(rest) > 1 and rest[0].islower() and rest[1].islower():  # "it did" → "It did"; "rTMS" stays
        rest = rest[0].upper() + rest[1:]
    return rest


def lean(sentences: list[str]) -> Verdict:
    """yes/no from the wording of evidence sentences (the extractive backend has no model to ask)."""
    return "no" if sentences and _NEGATION.search(sentences[0]) else "yes"


def conflict(question: str, papers: dict[str, list[str]]) -> bool:
    """Do two papers give a named thing of the question opposite directions? ``papers``: paper → its texts."""
    wanted = named_terms(question)
    if not wanted or len(papers) < 2:
        return False
    seen: dict[str, set[str]] = {}
    for texts in papers.values():
        dirs = directions(" ".join(texts))
        for term in wanted:
            got = dirs.get(term, set())
            if len(got) == 1:
                seen.setdefault(term, set()).update(got)
    return any(len(v) > 1 for v in seen.values())


def check(said_verdict: Verdict | None, answerable: bool, question: str,
          papers: dict[str, list[str]]) -> Verdict:
    """The verdict an answer carries: the model's word unless the evidence says insufficient or mixed."""
    if not answerable:
        return "insufficient"
    if conflict(question, papers):
        return "mixed"
    return said_verdict or "insufficient"


_FINDINGS = re.compile(r"result|finding|conclusion|outcome", re.I)


def findings_text(passages: list[Passage], texts: list[str], limit: int) -> str:
    """The best-matching paper's passages (sanitised texts), results and findings sections first, cut at
    ``limit`` characters on a sentence end where possible."""
    if not passages:
        return ""
    paper = passages[0].chunk.paper_id
    mine = [(p, t) for p, t in zip(passages, texts, strict=True) if p.chunk.paper_id == paper and t.strip()]
    mine.sort(key=lambda pt: not _FINDINGS.search(pt[0].chunk.section or ""))
    text = " ".join(t.strip() for _, t in mine)
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = cut.rfind(". ")
    return cut[:end + 1] if end > limit // 2 else cut
