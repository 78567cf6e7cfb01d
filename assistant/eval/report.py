"""Aggregate recorded results into report.json and report.md (and call the plots)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.eval import metrics
from assistant.eval.dataset import QUESTION_TYPES, Question
from assistant.eval.runfiles import write_atomic
from assistant.eval.split import HALVES, half_of
from assistant.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from assistant.api import Assistant
    from assistant.eval.records import EvalRecord

RECALL_KS = (1, 3, 5, 10)


def summarise(records: Sequence[EvalRecord], top_k: int | None = None) -> dict[str, Any]:
    """All metrics over a list of result records (pure)."""
    recs = list(records)
    answerable = [r for r in recs if r.gold.answerable]
    answered = [r for r in recs if r.answered]
    out: dict[str, Any] = {"n": len(recs), "n_answerable": len(answerable), "n_answered": len(answered),
                           "errors": sum(1 for r in recs if r.error)}
    out["key_fact_accuracy"] = metrics.mean(float(r.correct) for r in answerable) if answerable else None
    out["key_fact_recall"] = metrics.mean(
        (sum(r.key_fact_hits) / len(r.key_fact_hits)) if r.key_fact_hits else None for r in answerable)
    out.update({f"litqa_{k}": v for k, v in metrics.litqa_scores(
        (r.answered, r.correct) for r in recs).items() if k != "n"})
    out.update(metrics.refusal_rates((r.gold.answerable, r.refused) for r in recs))
    cites = [r.citation_eval for r in answered if r.citation_eval]
    out["citation_recall"] = metrics.mean(c.recall for c in cites)
    out["citation_precision"] = metrics.mean(c.precision for c in cites)
    out["n_citation_scored"] = len(cites)
    with_gold = [r for r in recs if r.gold.sources and r.retrieved]
    for k in RECALL_KS:
        out[f"recall@{k}"] = metrics.mean(
            metrics.recall_at_k([p["paper_id"] for p in r.retrieved], r.gold.sources, k) for r in with_gold)
    out["mrr"] = metrics.mean(
        metrics.reciprocal_rank([p["paper_id"] for p in r.retrieved], r.gold.sources) for r in with_gold)
    out["n_retrieval_scored"] = len(with_gold)
    if top_k:  # were the gold papers among the passages the answer engine actually saw?
        out["context_recall"] = metrics.mean(
            metrics.recall_at_k([p["paper_id"] for p in r.passages], r.gold.sources, top_k)
            for r in recs if r.gold.sources and r.passages)
    flags: dict[str, int] = {}
    for r in recs:
        for f in r.flags:
            flags[f] = flags.get(f, 0) + 1
    out["flags"] = dict(sorted(flags.items(), key=lambda kv: -kv[1]))  # e.g. how often the LLM answer fell back
    ok = [r for r in recs if not r.error]
    out["latency_total"] = metrics.latency_stats([r.timings.get("wall_s") for r in ok])
    out["latency_retrieve"] = metrics.latency_stats([r.timings.get("retrieve_s") for r in ok
                                                     if r.timings.get("retrieve_s") is not None])
    out["latency_first_token"] = metrics.latency_stats([r.timings.get("first_token_s") for r in ok
                                                        if r.timings.get("first_token_s")])
    return out


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {"platform": platform.platform(), "python": platform.python_version(),
                            "cpus": os.cpu_count(), "processor": platform.processor() or platform.machine()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()
        info["mem_gb"] = round(int(mem[1]) / 1024 / 1024, 1)
    except (OSError, IndexError, ValueError):
        pass
    return info


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _index_info(assistant: Assistant | None) -> dict[str, Any]:
    if assistant is None:
        return {}
    try:
        m = assistant.index_manifest()
    except Exception:  # noqa: BLE001 - an index problem must not lose a finished run's report
        return {}
    return {"built_at": m.built_at, "counts": m.counts.model_dump(exclude_none=True), "index_params": m.index_params,
            "index_hash": m.index_hash}


def build_report(records: Sequence[EvalRecord], questions: Sequence[Question], config: dict[str, Any],
                 assistant: Assistant | None = None) -> dict[str, Any]:
    settings = assistant.settings if assistant else None
    top_k = settings.top_k if settings else config.get("top_k")
    by_type = {t: summarise([r for r in records if r.type == t], top_k) for t in QUESTION_TYPES
               if any(r.type == t for r in records)}
    halves = {q.id: half_of(q) for q in questions}
    by_split = {h: summarise([r for r in records if halves.get(r.id) == h], top_k) for h in HALVES
                if any(halves.get(r.id) == h for r in records)}
    by_split_type = {f"{h} · {t}": summarise(rs, top_k) for h in HALVES for t in QUESTION_TYPES
                     if (rs := [r for r in records if halves.get(r.id) == h and r.type == t])}
    models = sorted({r.model for r in records if r.model})
    used = sorted({r.backend for r in records if r.backend})
    return {
        "config": {**config, "model": ", ".join(models) or None, "backends_used": used,
                   "settings": {k: str(v) for k, v in settings.model_dump().items()
                                if k in ("top_k", "candidates", "rrf_k", "per_paper_cap", "retrieval", "embedder",
                                         "chunk_tokens", "chunk_overlap_tokens", "llm_max_tokens", "llm_temperature",
                                         "refusal_threshold", "unsupported", "judge", "prefer_full_text")}
                   if settings else {}},
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(), "git_commit": git_commit(), "index": _index_info(assistant),
        "n_questions": len(questions), "n_results": len(records),
        "complete": len(records) >= len(questions),
        "overall": summarise(records, top_k), "by_type": by_type, "by_split": by_split,
        "by_split_type": by_split_type,
    }


def fmt(v: Any, pct: bool = True) -> str:
    """A table cell: a share as a percentage (or a plain number), "–" for none."""
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{100 * v:.1f}" if pct else f"{v:.2f}"
    return str(v)


TABLE_COLUMNS = [
    ("n", "n", False), ("key-fact acc %", "key_fact_accuracy", True), ("fact recall %", "key_fact_recall", True),
    ("accuracy %", "litqa_accuracy", True), ("precision %", "litqa_precision", True),
    ("coverage %", "litqa_coverage", True), ("refusal %", "refusal_rate", True),
    ("wrong refusal %", "wrong_refusal_rate", True), ("cite R %", "citation_recall", True),
    ("cite P %", "citation_precision", True), ("R@5 %", "recall@5", True), ("MRR", "mrr", False),
]


def markdown_table(rows: list[tuple[str, dict[str, Any]]], first: str = "") -> str:
    head = [first] + [c[0] for c in TABLE_COLUMNS] + ["median s", "p95 s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, s in rows:
        cells = [label] + [fmt(s.get(key), pct) for _, key, pct in TABLE_COLUMNS]
        lat = s.get("latency_total") or {}
        cells += [fmt(lat.get("median_s"), False), fmt(lat.get("p95_s"), False)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_markdown(report: dict[str, Any]) -> str:
    c, o = report["config"], report["overall"]
    lines = [
        f"# Eval run: {c['backend']} / {c['retrieval']}",
        "",
        f"- date: {report['date']}; git: {report.get('git_commit') or '–'}",
        f"- machine: {report['machine'].get('cpu_model', report['machine'].get('processor'))}, "
        f"{report['machine'].get('cpus')} CPUs, {report['machine'].get('platform')}",
        f"- backend: {c['backend']}; model: {c.get('model') or '–'}; retrieval: {c['retrieval']}; "
        f"citation judge: **{c['judge']}**",
        *([f"- **warning**: answers came from {', '.join(c['backends_used'])}, not {c['backend']} "
           "(the engine fell back; is the model installed?)"]
          if c.get("backends_used") and c["backends_used"] != [c["backend"]] else []),
        f"- settings hash: {c['settings_hash']}; questions: {report['n_results']}/{report['n_questions']} "
        f"(set hash {c['questions_hash']})" + ("" if report["complete"] else " — **incomplete run**"),
        "",
        "## Overall",
        "",
        markdown_table([("all", o)]),
        "",
        f"Retrieval: recall@1 {fmt(o.get('recall@1'))} %, recall@3 {fmt(o.get('recall@3'))} %, "
        f"recall@5 {fmt(o.get('recall@5'))} %, recall@10 {fmt(o.get('recall@10'))} %, MRR {fmt(o.get('mrr'), False)}"
        f" over {o['n_retrieval_scored']} questions with gold sources.",
        f"Latency (s): total median {fmt(o['latency_total']['median_s'], False)}, "
        f"p95 {fmt(o['latency_total']['p95_s'], False)}; retrieval median "
        f"{fmt(o['latency_retrieve']['median_s'], False)}; first token median "
        f"{fmt(o['latency_first_token']['median_s'], False)}. Errors: {o['errors']}.",
        "Answer flags: " + (", ".join(f"{k} {v}" for k, v in o.get("flags", {}).items()) or "none") + ".",
        "",
        "## By half (eval/split.py: development papers, held-out papers)",
        "",
        markdown_table(list(report.get("by_split", {}).items()), "half"),
        "",
        "## By question type",
        "",
        markdown_table(list(report["by_type"].items()), "type"),
        "",
        "## By half and question type",
        "",
        markdown_table(list(report.get("by_split_type", {}).items()), "half · type"),
        "",
        "Definitions: key-fact accuracy = answerable questions answered with every gold key fact; accuracy = "
        "correct / all (a refusal of an unanswerable question is correct); precision = correct answers / answers; "
        "coverage = answers / all; citation recall and precision as in ALCE (first 3 citations per sentence), "
        f"judged by `{c['judge']}`; R@5 = share of gold papers among the first 5 distinct retrieved papers.",
        "",
    ]
    return "\n".join(lines)


def write_reports(out_dir: Path, records: Sequence[EvalRecord], questions: Sequence[Question],
                  config: dict[str, Any], assistant: Assistant | None = None,
                  make_plots: bool = True) -> dict[str, Any]:
    report = build_report(records, questions, config, assistant)
    write_atomic(out_dir / "report.json", json.dumps(report, indent=2, ensure_ascii=False))
    write_atomic(out_dir / "report.md", render_markdown(report))
    if make_plots:
        from assistant.eval.plots import plot_run  # matplotlib: imported only when plots are drawn

        report["plots"] = [p.name for p in plot_run(out_dir, report, [r.to_json() for r in records])]
        write_atomic(out_dir / "report.json", json.dumps(report, indent=2, ensure_ascii=False))
    return report
