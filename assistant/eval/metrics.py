"""Evaluation metrics as pure functions over recorded results (no model, no index).

Definitions (see ../shared guide "Evaluation" and eval/README.md):

- key-fact accuracy: an answerable question is correct when the system answered it and every gold key
  fact appears in the answer under one of its accepted surface forms (see ``normalise``);
- LitQA-style: accuracy = correct / all, precision = correct / answered, coverage = answered / all,
  where a refusal of an unanswerable question counts as correct but not as answered, and an answer to
  an unanswerable question counts as answered and wrong;
- refusal rate on unanswerable questions, wrong-refusal rate on answerable ones;
- ALCE citation recall and precision with a named judge;
- retrieval recall@k and MRR of the gold source papers;
- latency median and p95.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.eval.normalise import matches_any, tokens

Judge = Callable[[str, list[str]], bool]
"""``supports(sentence, passage_texts) -> bool``: do these passages together support the sentence?"""

ALCE_MAX_CITATIONS = 3
"""ALCE judges a sentence against its first three citations only."""


# --- key facts and LitQA-style accuracy ---------------------------------------------------------

def key_fact_hits(answer: str, key_facts: Sequence[dict[str, Any]]) -> list[bool]:
    """Per gold key fact: does the answer contain one of its accepted forms (or the fact itself)? Citation
    markers are not text: "[2][3]" would otherwise spell the number 23."""
    toks = tokens(_MARKER_RE.sub(" ", answer))
    return [matches_any(toks, [kf["fact"], *kf.get("any_of", [])]) for kf in key_facts]


def is_correct(answered: bool, answerable_gold: bool, hits: Sequence[bool]) -> bool:
    """Correct = refused an unanswerable question, or answered an answerable one with every key fact."""
    if not answerable_gold:
        return not answered
    return answered and all(hits)


def _ratio(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


def litqa_scores(rows: Iterable[tuple[bool, bool]]) -> dict[str, float | None]:
    """LitQA-style accuracy, precision and coverage from (answered, correct) pairs over all questions.

    A correct refusal (unanswerable question) counts in ``correct`` but not in ``answered``; the
    precision counts only correct *answers*.
    """
    rows = list(rows)
    n = len(rows)
    answered = sum(1 for a, _ in rows if a)
    correct = sum(1 for _, c in rows if c)
    correct_answered = sum(1 for a, c in rows if a and c)
    return {
        "n": n,
        "accuracy": _ratio(correct, n),
        "precision": _ratio(correct_answered, answered),
        "coverage": _ratio(answered, n),
    }


def refusal_rates(rows: Iterable[tuple[bool, bool]]) -> dict[str, float | None]:
    """From (answerable_gold, refused) pairs: refusal rate on unanswerable, wrong refusals on answerable."""
    rows = list(rows)
    unans = [r for g, r in rows if not g]
    ans = [r for g, r in rows if g]
    return {
        "n_unanswerable": len(unans),
        "n_answerable": len(ans),
        "refusal_rate": _ratio(sum(unans), len(unans)),
        "wrong_refusal_rate": _ratio(sum(ans), len(ans)),
    }


# --- ALCE citation recall and precision ---------------------------------------------------------

_MARKER_RE = re.compile(r"\[(\d+(?:\s*[,;–-]\s*\d+)*)\]")


def parse_markers(sentence: str) -> list[int]:
    """Citation numbers in order of appearance, duplicates removed: '[1][3, 4]' → [1, 3, 4]."""
    out: list[int] = []
    for group in _MARKER_RE.findall(sentence):
        for part in re.split(r"\s*[,;]\s*", group):
            if re.fullmatch(r"\d+\s*[–-]\s*\d+", part):
                a, b = (int(x) for x in re.split(r"\s*[–-]\s*", part))
                nums = list(range(a, b + 1)) if 0 < b - a < 20 else [a, b]
            else:
                nums = [int(part)]
            out.extend(n for n in nums if n not in out)
    return out


def strip_markers(sentence: str) -> str:
    return re.sub(r"\s+", " ", _MARKER_RE.sub("", sentence)).strip()


def split_cited_sentences(text: str) -> list[tuple[str, list[int]]]:
    """Split an answer into sentences, keeping markers that follow the full stop with their sentence."""
    parts: list[str] = []
    start = 0
    for m in re.finditer(r"[.!?]((?:\s*\[\d+(?:\s*[,;–-]\s*\d+)*\])*)\s+(?=[A-Z0-9(])", text):
        parts.append(text[start:m.end()].strip())
        start = m.end()
    parts.append(text[start:].strip())
    return [(p, parse_markers(p)) for p in parts if strip_markers(p)]


class CachedJudge:
    """Memoises a judge within a scoring run (ALCE precision asks the same question several times)."""

    def __init__(self, judge: Judge) -> None:
        self.judge = judge
        self.calls = 0
        self._cache: dict[tuple[str, tuple[str, ...]], bool] = {}

    def __call__(self, sentence: str, passages: list[str]) -> bool:
        key = (sentence, tuple(passages))
        if key not in self._cache:
            self.calls += 1
            self._cache[key] = bool(self.judge(sentence, list(passages)))
        return self._cache[key]


@dataclass
class SentenceScore:
    text: str
    markers: list[int]
    recall: int  # 1 when the cited passages (first 3) together support the sentence
    citations: list[dict[str, Any]] = field(default_factory=list)  # {n, relevant, reason}


def score_sentence(text: str, markers: Sequence[int], passages: Sequence[str], judge: Judge,
                   max_citations: int = ALCE_MAX_CITATIONS) -> SentenceScore:
    """ALCE recall for one sentence and the relevance of each of its citations.

    - no citation → recall 0 (no citations to judge);
    - any marker outside 1..k → recall 0, and that citation is irrelevant (it points nowhere; ALCE
      leaves such citations out of the precision, we count them against it); the sentence's other
      citations are judged as if the bad marker were absent;
    - a citation is relevant when the sentence is supported and either the citation alone supports it
      or the other citations without it do not (ALCE's test for redundant citations).
    Only the first ``max_citations`` distinct markers count, as in ALCE.
    """
    claim = strip_markers(text)
    refs = list(dict.fromkeys(markers))[:max_citations]
    if not refs:
        return SentenceScore(text, [], 0)
    valid = [n for n in refs if 1 <= n <= len(passages)]
    joint = bool(valid) and judge(claim, [passages[n - 1] for n in valid])
    cites = []
    for n in refs:
        if n not in valid:
            cites.append({"n": n, "relevant": False, "reason": "out-of-range"})
        elif not joint:
            cites.append({"n": n, "relevant": False, "reason": "unsupported"})
        elif len(valid) == 1 or judge(claim, [passages[n - 1]]):
            cites.append({"n": n, "relevant": True, "reason": "supports"})
        elif judge(claim, [passages[m - 1] for m in valid if m != n]):
            cites.append({"n": n, "relevant": False, "reason": "redundant"})
        else:
            cites.append({"n": n, "relevant": True, "reason": "needed"})
    recall = int(joint and len(valid) == len(refs))
    return SentenceScore(text, refs, recall, cites)


def citation_scores(sentences: Sequence[tuple[str, Sequence[int]]], passages: Sequence[str],
                    judge: Judge) -> dict[str, Any]:
    """ALCE citation recall (mean over sentences) and precision (relevant / all citations) for one answer."""
    scored = [score_sentence(t, m, passages, judge) for t, m in sentences]
    n_cites = sum(len(s.citations) for s in scored)
    relevant = sum(c["relevant"] for s in scored for c in s.citations)
    return {
        "recall": _ratio(sum(s.recall for s in scored), len(scored)),
        "precision": _ratio(relevant, n_cites) if n_cites else (0.0 if scored else None),
        "n_sentences": len(scored),
        "n_citations": n_cites,
        "sentences": [{"text": s.text, "markers": s.markers, "supported": bool(s.recall),
                       "citations": s.citations} for s in scored],
    }


def judge_name(judge: Any) -> str:
    """A readable name for a judge callable (its ``name`` attribute, class or function name)."""
    name = getattr(judge, "name", None)
    if isinstance(name, str) and name:
        return name
    if isinstance(judge, CachedJudge):
        return judge_name(judge.judge)
    return getattr(judge, "__name__", None) or type(judge).__name__


# --- retrieval ----------------------------------------------------------------------------------

def ranked_unique(ids: Iterable[str]) -> list[str]:
    """Paper ids in first-seen order (several passages of one paper count once)."""
    return list(dict.fromkeys(ids))


def recall_at_k(retrieved: Sequence[str], gold: Iterable[str], k: int) -> float | None:
    """Share of gold papers among the first ``k`` distinct retrieved papers; None without gold."""
    gold_set = set(gold)
    if not gold_set:
        return None
    top = set(ranked_unique(retrieved)[:k])
    return len(gold_set & top) / len(gold_set)


def reciprocal_rank(retrieved: Sequence[str], gold: Iterable[str]) -> float | None:
    """1 / rank of the first gold paper among the distinct retrieved papers (0 if absent)."""
    gold_set = set(gold)
    if not gold_set:
        return None
    for i, pid in enumerate(ranked_unique(retrieved), start=1):
        if pid in gold_set:
            return 1.0 / i
    return 0.0


# --- latency and aggregation ---------------------------------------------------------------------

def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default method), ``q`` in 0..100."""
    xs = sorted(v for v in values if v is not None and not math.isnan(v))
    if not xs:
        return None
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def latency_stats(values: Sequence[float | None]) -> dict[str, float | None]:
    xs = [v for v in values if v is not None]
    return {
        "n": len(xs),
        "median_s": statistics.median(xs) if xs else None,
        "p95_s": percentile(xs, 95),
        "mean_s": statistics.fmean(xs) if xs else None,
        "max_s": max(xs) if xs else None,
    }


def mean(values: Iterable[float | None]) -> float | None:
    xs = [v for v in values if v is not None]
    return statistics.fmean(xs) if xs else None
