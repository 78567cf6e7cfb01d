"""PubMedQA scores as pure functions over recorded results.

- The answer's ``verdict`` is the prediction: yes → yes, no → no, mixed → maybe. ``insufficient``, no verdict
  (None), a refusal and an error predict nothing and count as wrong (every question is answerable).
- **Accuracy** = correct / all questions. **Macro-F1** = mean F1 over the classes yes / no / maybe that occur
  among the gold labels or the predictions (as scikit-learn infers them); a question without a prediction
  lowers the recall of its gold class. These are the benchmark's own measures (Jin et al. 2019).
- Retrieval: is the gold abstract the first / among the first five distinct papers ``search`` returns
  (recall@1, recall@5, MRR); was it among the passages the answer was given; is it cited.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from assistant.eval import metrics
from assistant.eval.pubmedqa.data import LABELS
from assistant.vocab import AnswerFlag

VERDICT_TO_LABEL = {"yes": "yes", "no": "no", "mixed": "maybe"}
NO_PREDICTION = "none"
"""Confusion-matrix column of questions without a yes/no/maybe prediction (insufficient, None, refusal, error)."""
MAJORITY_LABEL = "yes"
RECALL_KS = (1, 5, 10)


def predicted_label(verdict: str | None, answered: bool = True) -> str | None:
    """yes / no / maybe from an answer's verdict; None when there is none (a refusal predicts nothing)."""
    if not answered or verdict is None:
        return None
    return VERDICT_TO_LABEL.get(str(verdict).lower())


def accuracy(gold: Sequence[str], pred: Sequence[str | None]) -> float | None:
    if not gold:
        return None
    return sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)


def f1_scores(gold: Sequence[str], pred: Sequence[str | None]) -> dict[str, float | None]:
    """Per-class F1 (None for a class neither in gold nor predicted)."""
    out: dict[str, float | None] = {}
    for c in LABELS:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == c and p == c)
        n_gold = sum(1 for g in gold if g == c)
        n_pred = sum(1 for p in pred if p == c)
        if n_gold == 0 and n_pred == 0:
            out[c] = None
        else:
            out[c] = 2 * tp / (n_gold + n_pred)
    return out


def macro_f1(gold: Sequence[str], pred: Sequence[str | None]) -> float | None:
    return metrics.mean(f1_scores(gold, pred).values()) if gold else None


def confusion(gold: Sequence[str], pred: Sequence[str | None]) -> dict[str, Any]:
    """Counts by gold label (rows) and prediction (columns yes, no, maybe, none)."""
    cols = [*LABELS, NO_PREDICTION]
    counts = Counter((g, p or NO_PREDICTION) for g, p in zip(gold, pred, strict=True))
    return {"rows": list(LABELS), "columns": cols, "matrix": [[counts[(r, c)] for c in cols] for r in LABELS]}


def label_scores(gold: Sequence[str], pred: Sequence[str | None]) -> dict[str, Any]:
    return {"accuracy": accuracy(gold, pred), "macro_f1": macro_f1(gold, pred), "f1": f1_scores(gold, pred)}


def majority_baseline(gold: Sequence[str], label: str = MAJORITY_LABEL) -> dict[str, Any]:
    """Always answer ``label`` (PubMedQA's majority class is yes): no model, no retrieval."""
    pred = [label] * len(gold)
    by = {c: accuracy([g for g in gold if g == c], [label] * sum(1 for g in gold if g == c)) for c in LABELS}
    return {"label": label, "n": len(gold), **label_scores(gold, pred), "by_label_accuracy": by}


def _share(values: Iterable[bool]) -> float | None:
    xs = list(values)
    return sum(xs) / len(xs) if xs else None


def summarise(records: Sequence[dict[str, Any]], with_f1: bool = True) -> dict[str, Any]:
    """All scores over result records (pure). ``with_f1`` False for a single gold label, where F1 says nothing."""
    recs = list(records)
    gold = [r["gold"]["label"] for r in recs]
    pred = [r.get("predicted") for r in recs]
    out: dict[str, Any] = {"n": len(recs), "errors": sum(1 for r in recs if r.get("error")),
                           "accuracy": accuracy(gold, pred)}
    if with_f1:
        out["macro_f1"] = macro_f1(gold, pred)
        out["f1"] = f1_scores(gold, pred)
    out["answered"] = _share(bool(r.get("answered")) for r in recs)
    out["verdicts"] = dict(Counter(_verdict_name(r) for r in recs).most_common())
    with_retrieval = [r for r in recs if r.get("retrieved") and r["gold"].get("paper_id")]
    for k in RECALL_KS:
        out[f"recall@{k}"] = metrics.mean(
            metrics.recall_at_k([p["paper_id"] for p in r["retrieved"]], [r["gold"]["paper_id"]], k)
            for r in with_retrieval)
    out["mrr"] = metrics.mean(metrics.reciprocal_rank([p["paper_id"] for p in r["retrieved"]],
                                                      [r["gold"]["paper_id"]]) for r in with_retrieval)
    out["n_retrieval_scored"] = len(with_retrieval)
    out["gold_in_context"] = _share(bool(r.get("gold_in_context")) for r in recs if not r.get("error"))
    out["gold_cited"] = _share(bool(r.get("gold_cited")) for r in recs)
    cites = [r["citation_eval"] for r in recs if r.get("answered") and r.get("citation_eval")]
    out["citation_recall"] = metrics.mean(c["recall"] for c in cites)
    out["citation_precision"] = metrics.mean(c["precision"] for c in cites)
    out["n_citation_scored"] = len(cites)
    out["llm_refused"] = _share(AnswerFlag.LLM_REFUSED in (r.get("flags") or []) for r in recs)
    flags = Counter(f for r in recs for f in (r.get("flags") or []))
    out["flags"] = dict(flags.most_common())
    ok = [r for r in recs if not r.get("error") and r.get("timings")]
    out["latency_total"] = metrics.latency_stats([r["timings"].get("wall_s") for r in ok])
    out["latency_first_token"] = metrics.latency_stats([r["timings"]["first_token_s"] for r in ok
                                                        if r["timings"].get("first_token_s")])
    out["latency_retrieve"] = metrics.latency_stats([r["timings"]["retrieve_s"] for r in ok
                                                     if r["timings"].get("retrieve_s") is not None])
    return out


def _verdict_name(r: dict[str, Any]) -> str:
    if r.get("error"):
        return "error"
    if not r.get("answered"):
        return "refused"
    return str(r.get("verdict")) if r.get("verdict") is not None else "none"


def by_label(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c: summarise([r for r in records if r["gold"]["label"] == c], with_f1=False) for c in LABELS
            if any(r["gold"]["label"] == c for r in records)}


def best_yes_threshold(records: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The log-odds threshold (Yes when the model's log-odds of Yes over No reaches it) that would have given the
    most right yes/no verdicts on ``records`` (a calibration run: ``--subset calib``), with its accuracy."""
    pts = [(float(r["verdict_logodds"]), r["gold"]["label"]) for r in records
           if r.get("verdict_logodds") is not None and r.get("answered")]
    if not pts:
        return None
    cands = sorted({lo for lo, _ in pts}) + [max(lo for lo, _ in pts) + 1.0]
    best = max(cands, key=lambda t: (sum((lo >= t) == (g == "yes") and g != "maybe" for lo, g in pts), -abs(t)))
    right = sum((lo >= best) == (g == "yes") and g != "maybe" for lo, g in pts)
    return {"threshold": round(best, 3), "accuracy": right / len(pts), "n": len(pts)}
