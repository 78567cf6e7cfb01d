"""Verdicts for yes/no questions ("Does rTMS lower TNF-α in the spinal cord?").

The model's first word is constrained to "Yes" or "No" (see grammar.py); the verdict is then checked against
the evidence: no verified sentence → ``insufficient``; cited papers that give a named thing of the question
opposite directions (one saw TNF-α fall, another saw it rise) → ``mixed``.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from assistant.answer.contracts import Verdict
from assistant.answer.polarity import directions
from assistant.answer.terms import LEADING, QUESTION_OPENERS, WH_WORDS, named_terms, term_set
from assistant.errors import ConfigError
from assistant.index.contracts import Passage

_AUX = frozenset(QUESTION_OPENERS["whether"].split())
_FIRST_WORD = re.compile(r"^\W*(yes|no|mixed)\b[\s.,:;!-]*", re.I)
_DENIES = re.compile(r"\b(?:failed to|unchanged|not|no|neither|nor|without|never|none|similar|comparable)\b|"
                     r"n't\b|\bnon-?significant", re.I)
"""A word that denies or likens ("did not", "no difference", "comparable"): a sentence with one does not assert the
effect a question asks about."""


def is_yes_no(question: str) -> bool:
    """A question that asks whether something is so: it opens (or a clause after ':' opens) with an auxiliary
    verb, or it is a title-like question with no wh-word ("Weak link in the cold chain?")."""
    q = LEADING.sub("", question.strip())
    clauses = [q] + [c.strip() for c in re.split(r"[:;\u2014]|\s-\s", q)[1:]]
    for c in clauses:
        first = re.match(r"[A-Za-z]+", c)
        if first and first.group(0).lower() in _AUX:
            return True
    return q.endswith("?") and not WH_WORDS & set(re.findall(r"[a-z]+", q.lower())) and " or " not in q.lower()


def said(raw: str) -> Verdict | None:
    """The verdict word the answer opens with, if any."""
    m = _FIRST_WORD.match(raw or "")
    if not m:
        return None
    word = m.group(1).lower()
    return "mixed" if word == "mixed" else word  # type: ignore[return-value]


def strip_verdict(raw: str) -> str:
    """The answer without its opening verdict word ("Yes. rTMS lowered …" → "rTMS lowered …"); ``raw`` itself when
    it opens with none."""
    m = _FIRST_WORD.match(raw or "")
    if not m:
        return raw
    rest = raw[m.end():].lstrip()
    if len(rest) > 1 and rest[0].islower() and rest[1].islower():  # "it did" → "It did"; "rTMS" stays
        rest = rest[0].upper() + rest[1:]
    return rest


def reports_null(text: str) -> bool:
    """Does a sentence report no effect ("did not differ", "a non-significant difference (P = 0.58)")?"""
    return bool(_NOT_FOUND.search(text) or _ALIKE.search(text))


def asserts(text: str, asked: set[str], share: float = 0.8) -> bool:
    """Does a sentence assert what a yes/no question asks: most of its terms, and no word that denies it? In an
    answer that says "No." such a sentence contradicts it ("No. Five daily sessions reduced pain more than sham")."""
    return bool(asked) and not _DENIES.search(text) and len(term_set(text) & asked) >= share * len(asked)


_WHOLLY = re.compile(r"\b(?:complete(?:ly)?|full(?:y)?|entire(?:ly)?|total(?:ly)?|abolish\w*|eliminat\w*|"
                     r"normali[sz]\w*|back to (?:baseline|normal))\b", re.I)
_PARTLY = re.compile(r"\b(?:partly|partial(?:ly)?|incomplete(?:ly)?|not (?:fully|completely|entirely))\b", re.I)
_CLAUSE = re.compile(r",|;|\s(?:and|but|whereas|while)\s")


def asks_wholly(question: str) -> bool:
    """Does a yes/no question ask whether something happened fully ("completely reverse", "abolish", "normalise")?"""
    return bool(_WHOLLY.search(question))


def only_partly(question: str, sentence: str) -> bool:
    """Does ``sentence`` say that what the question asks about happened only partly? Read by clause: "rTMS partly
    reversed allodynia and completely reversed hyperalgesia" says partly of allodynia, not of hyperalgesia."""
    asked = term_set(_WHOLLY.sub(" ", question))
    if not asked:
        return False
    clauses = [c for c in _CLAUSE.split(sentence) if c.strip()]
    best = max(clauses, key=lambda c: len(term_set(c) & asked), default="")
    held = len(term_set(best) & asked)
    return held >= max(2, len(asked) // 2) and bool(_PARTLY.search(best)) and not _WHOLLY.search(best)


def lean(sentences: list[str]) -> Verdict:
    """yes/no from the wording of evidence sentences (the extractive backend has no model to ask)."""
    return "no" if sentences and reports_null(sentences[0]) else "yes"


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


def has_findings(sections: list[str]) -> bool:
    """Does a paper with these section names have a results or findings section?"""
    return any(_FINDINGS.search(name) for name in sections)


def findings_parts(sections: list[tuple[str, str]]) -> list[int]:
    """Which of one paper's (section, text) parts hold its findings: its results or findings sections when it has
    them, else every part with text."""
    parts = [i for i, (_, t) in enumerate(sections) if t.strip()]
    return [i for i in parts if _FINDINGS.search(sections[i][0] or "")] or parts


def pick_findings(sections: list[tuple[str, str]], limit: int) -> str:
    """From one paper's (section, text) parts: its results or findings sections when it has them (a structured
    abstract's background and aim restate the question and pull the small model towards yes: AUC of the
    log-odds 0.59 with them, 0.66 without, on 80 PubMedQA calibration questions), else all its parts; cut at
    ``limit`` characters on a sentence end where possible."""
    text = " ".join(sections[i][1].strip() for i in findings_parts(sections))
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = cut.rfind(". ")
    return cut[:end + 1] if end > limit // 2 else cut


def parts_read(texts: list[str], findings: str) -> list[int]:
    """Which of the findings parts ``texts`` (in ``findings_parts`` order) the cut text ``findings`` of
    ``pick_findings`` starts to cover: the parts are joined as there, and the cut may end inside the last one."""
    read, start = [], 0
    for i, text in enumerate(texts):
        if not text.strip():
            continue
        if start < len(findings):
            read.append(i)
        start += len(text.strip()) + 1
    return read


def findings_passages(passages: list[Passage], texts: list[str]) -> list[tuple[Passage, str]]:
    """The passages (with their sanitised texts) of the first passage's paper that hold its findings."""
    if not passages:
        return []
    paper = passages[0].chunk.paper_id
    mine = [(p, t) for p, t in zip(passages, texts, strict=True) if p.chunk.paper_id == paper]
    return [mine[i] for i in findings_parts([(p.chunk.section or "", t) for p, t in mine])]


def findings_text(passages: list[Passage], texts: list[str], limit: int) -> str:
    """The findings of the paper of the first passage, as ``pick_findings`` gives them."""
    return pick_findings([(p.chunk.section or "", t) for p, t in findings_passages(passages, texts)], limit)


# --- the verdict model: the model's log-odds read together with the findings' wording -----------------------
_NOT_FOUND = re.compile(r"\b(?:no (?:statistically )?significant|not (?:statistically )?significant(?:ly)?|"
                        r"non-?significant|did not|does not|do not|was not|were not|no difference|"
                        r"no association|not associated|no correlation|no effect|failed to)\b", re.I)
_ALIKE = re.compile(r"\b(?:similar|comparable|equivalent|unchanged|no change)\b", re.I)
_FOUND = re.compile(r"\b(?:significant(?:ly)?|p\s*<\s*0?\.0\d+)\b", re.I)
FEATURES = ("yes_logodds", "negated_yes_logodds", "not_found_cues", "alike_cues", "found_cues")
MODEL_FILE = Path(__file__).with_name("verdict_model.json")


def features(logodds: float, negated: float, findings: str) -> list[float]:
    """The verdict model's inputs: the model's log-odds of Yes over No to the question and to "is the answer
    no?", and how often the findings report no effect ("no significant difference", "did not"), sameness
    ("comparable") or an effect ("significantly", "p < 0.05"), each count capped at 3."""
    return [logodds, negated, *(float(min(3, len(rx.findall(findings)))) for rx in (_NOT_FOUND, _ALIKE, _FOUND))]


class VerdictModel(BaseModel):
    """A logistic model over ``FEATURES`` (fitted by `rtms-assistant eval pubmedqa-fit-verdict`): a 1.5B model's
    log-odds alone separates yes from no weakly; read against its log-odds for the negated asking it separates
    them better, and findings that report no effect pull towards no."""

    features: list[str]
    weights: list[float]
    bias: float
    fitted_on: str = ""
    n: int = 0
    cv_accuracy: float | None = None

    def score(self, logodds: float, negated: float, findings: str) -> float:
        """Above 0: yes."""
        return self.bias + sum(w * x for w, x in zip(self.weights, features(logodds, negated, findings),
                                                             strict=True))

    @classmethod
    def load(cls, path: Path | None = None) -> VerdictModel:
        path = path or MODEL_FILE
        try:
            model = cls.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the verdict model {path}: {exc}. Restore it from git or refit it "
                              "with `rtms-assistant eval pubmedqa-fit-verdict`.") from exc
        if model.features != list(FEATURES) or len(model.weights) != len(FEATURES):
            raise ConfigError(f"the verdict model {path} was fitted on other features ({model.features}); refit "
                              "it with `rtms-assistant eval pubmedqa-fit-verdict`.")
        return model
