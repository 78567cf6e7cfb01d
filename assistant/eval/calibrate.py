"""Choose the refusal threshold from recorded results, without re-running anything.

The answer engine refuses without calling the LLM when the best passage's cosine similarity is below
``Settings.refusal_threshold``. Given a run made with a low threshold (so that nearly every question
was answered), the outcome at any higher threshold ``t`` is known exactly: a question is refused when
it was refused in the run or its best cosine is below ``t``; otherwise its recorded answer stands.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.eval import metrics
from assistant.eval.records import EvalRecord
from assistant.vocab import AnswerFlag, RetrievalMode

DENSE, BM25 = RetrievalMode.DENSE, RetrievalMode.BM25

SIGNALS = (DENSE, BM25)
"""Gate signals that can be swept: the best passage's cosine or its relative BM25 score (BM25 divided by the
corpus's largest IDF; older runs without it fall back to the raw BM25 score). The engine gates on both."""
GATE_FLAGS: dict[str, AnswerFlag] = {DENSE: AnswerFlag.BELOW_THRESHOLD, BM25: AnswerFlag.BELOW_BM25_THRESHOLD}


def best_score(record: EvalRecord, top_k: int | None = None, signal: str = DENSE) -> float | None:
    """The best ``signal`` score among the first ``top_k`` passages (the ones the engine saw)."""
    if signal == DENSE and record.best_dense is not None:
        return float(record.best_dense)
    retrieved = record.retrieved
    key = "dense_score" if signal == DENSE else "bm25_rel"
    if signal == BM25 and not any("bm25_rel" in p for p in retrieved):
        key = "bm25_score"
    scores = [p[key] for p in retrieved[:top_k] if p.get(key) is not None]
    return max(scores) if scores else None


def best_cosine(record: EvalRecord, top_k: int | None = None) -> float | None:
    """The highest cosine similarity among the passages the engine saw (else the recorded retrieval)."""
    return best_score(record, top_k, DENSE)


def sweep(records: Sequence[EvalRecord], thresholds: Sequence[float], top_k: int | None = None,
          run_threshold: float | None = None, signal: str = DENSE) -> list[dict[str, Any]]:
    """Refusal rate, wrong-refusal rate, key-fact accuracy and LitQA precision at each threshold.

    Thresholds below ``run_threshold`` (the run's own threshold for this signal) are marked ``exact=False``
    when the run's gate on this signal refused some question: those might have been answered there, and
    their answers are unknown.
    """
    rows = []
    recs = [r for r in records if not r.error]
    # when the run's own gate on this signal refused nothing, every simulated threshold is exact
    run_gated = any(GATE_FLAGS[signal] in r.flags for r in recs)
    for t in thresholds:
        outcome = []
        for r in recs:
            best = best_score(r, top_k, signal)
            gated = best is None or best < t
            answered = r.answered and not gated
            gold = r.gold.answerable
            correct = metrics.is_correct(answered, gold, r.key_fact_hits)
            outcome.append((gold, answered, correct))
        ref = metrics.refusal_rates((g, not a) for g, a, _ in outcome)
        lit = metrics.litqa_scores((a, c) for _, a, c in outcome)
        answerable = [c for g, _, c in outcome if g]
        rows.append({
            "threshold": round(t, 4), "refusal_rate": ref["refusal_rate"],
            "wrong_refusal_rate": ref["wrong_refusal_rate"],
            "key_fact_accuracy": metrics.mean(float(c) for c in answerable) if answerable else None,
            "accuracy": lit["accuracy"], "precision": lit["precision"], "coverage": lit["coverage"],
            "exact": not run_gated or (run_threshold is not None and t >= run_threshold),
        })
    return rows


def choose_threshold(rows: Sequence[dict[str, Any]], max_wrong_refusal: float = 0.10) -> dict[str, Any] | None:
    """Highest refusal on unanswerable questions while wrong refusals stay ≤ ``max_wrong_refusal``;
    ties go to the lower threshold (fewer refusals of answerable questions)."""
    ok = [r for r in rows if r["exact"] and r["wrong_refusal_rate"] is not None
          and r["wrong_refusal_rate"] <= max_wrong_refusal and r["refusal_rate"] is not None]
    if not ok:
        return None
    return max(ok, key=lambda r: (r["refusal_rate"], r["accuracy"] or 0.0, -r["threshold"]))


def auc(records: Sequence[EvalRecord], top_k: int | None = None, signal: str = DENSE) -> float | None:
    """Probability that an answerable question scores higher than an unanswerable one (0.5 = no signal)."""
    d = distribution(records, top_k, signal)
    pos, neg = d["answerable"], d["unanswerable"]
    if not pos or not neg:
        return None
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))


def distribution(records: Sequence[EvalRecord], top_k: int | None = None,
                 signal: str = DENSE) -> dict[str, list[float]]:
    """Best scores of answerable and unanswerable questions (for the README and a quick look)."""
    out: dict[str, list[float]] = {"answerable": [], "unanswerable": []}
    for r in records:
        b = best_score(r, top_k, signal)
        if b is not None:
            out["answerable" if r.gold.answerable else "unanswerable"].append(round(b, 4))
    return {k: sorted(v) for k, v in out.items()}


def markdown(rows: Sequence[dict[str, Any]], chosen: dict[str, Any] | None) -> str:
    lines = ["| threshold | refusal (unanswerable) % | wrong refusal % | key-fact acc % | accuracy % | "
             "precision % | coverage % | exact |", "|---|---|---|---|---|---|---|---|"]

    def pct(v: float | None) -> str:
        return "–" if v is None else f"{100 * v:.1f}"

    for r in rows:
        mark = " **←**" if chosen and r["threshold"] == chosen["threshold"] else ""
        lines.append(f"| {r['threshold']:.2f}{mark} | {pct(r['refusal_rate'])} | {pct(r['wrong_refusal_rate'])} | "
                     f"{pct(r['key_fact_accuracy'])} | {pct(r['accuracy'])} | {pct(r['precision'])} | "
                     f"{pct(r['coverage'])} | {'yes' if r['exact'] else 'no'} |")
    return "\n".join(lines)
