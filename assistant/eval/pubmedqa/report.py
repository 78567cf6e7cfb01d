"""report.json, report.md, confusion.png and latency.png of a PubMedQA run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.eval.pubmedqa import scoring
from assistant.eval.report import fmt, git_commit, machine_info
from assistant.eval.runfiles import write_atomic

REFERENCE_POINTS = {
    "source": "Jin et al., PubMedQA, EMNLP 2019: PQA-L test set (500 questions), reasoning-required setting",
    "majority": 0.552, "biobert_reasoning_required": 0.681, "single_human": 0.780,
}

TABLE_COLUMNS = [
    ("n", "n", False), ("accuracy %", "accuracy", True), ("macro-F1 %", "macro_f1", True),
    ("answered %", "answered", True), ("R@1 %", "recall@1", True), ("R@5 %", "recall@5", True),
    ("gold in context %", "gold_in_context", True), ("gold cited %", "gold_cited", True),
    ("cite R %", "citation_recall", True), ("cite P %", "citation_precision", True),
    ("LLM declined %", "llm_refused", True),
]


def markdown_table(rows: Sequence[tuple[str, dict[str, Any]]], first: str = "") -> str:
    head = [first, *(c[0] for c in TABLE_COLUMNS), "median s", "p95 s", "first token s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, s in rows:
        cells = [label, *(fmt(s.get(key), pct) for _, key, pct in TABLE_COLUMNS)]
        lat, first_token = s.get("latency_total") or {}, s.get("latency_first_token") or {}
        cells += [fmt(lat.get("median_s"), False), fmt(lat.get("p95_s"), False),
                  fmt(first_token.get("median_s"), False)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def majority_row(report: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The majority-class baseline of a report as a table row."""
    m = report["majority"]
    return f"majority ({m['label']})", {"n": m["n"], "accuracy": m["accuracy"], "macro_f1": m["macro_f1"]}


def build_report(records: Sequence[dict[str, Any]], n_questions: int, config: dict[str, Any]) -> dict[str, Any]:
    gold = [r["gold"]["label"] for r in records]
    pred = [r.get("predicted") for r in records]
    models = sorted({m for r in records if (m := r.get("model"))})
    used = sorted({b for r in records if (b := r.get("backend"))})
    return {
        "benchmark": "pubmedqa",
        "config": {**config, "model": ", ".join(models) or None, "backends_used": used},
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "git_commit": git_commit(),
        "machine": machine_info(), "command": config.get("command"), "index": config.get("index", {}),
        "n_questions": n_questions, "n_results": len(records), "complete": len(records) >= n_questions,
        "overall": scoring.summarise(records), "by_label": scoring.by_label(records),
        "majority": scoring.majority_baseline(gold),
        "confusion": scoring.confusion(gold, pred),
        "reference_points": REFERENCE_POINTS,
    }


def _confusion_md(conf: dict[str, Any]) -> str:
    lines = ["| gold \\ predicted | " + " | ".join(conf["columns"]) + " |", "|" + "---|" * (len(conf["columns"]) + 1)]
    lines += [f"| {r} | " + " | ".join(str(v) for v in row) + " |" for r, row in zip(conf["rows"], conf["matrix"],
                                                                                     strict=True)]
    return "\n".join(lines)


def render_markdown(report: dict[str, Any]) -> str:
    c, o, idx = report["config"], report["overall"], report.get("index") or {}
    ref = report["reference_points"]
    mach = report["machine"]
    lines = [
        f"# PubMedQA run: {c['backend']} / {c['retrieval']} ({c['split']}, {c['subset']})",
        "",
        f"- date: {report['date']}; git: {report.get('git_commit') or '–'}",
        f"- machine: {mach.get('cpu_model', mach.get('processor'))}, {mach.get('cpus')} CPUs, {mach.get('platform')}",
        f"- command: `{report.get('command') or '–'}`",
        f"- backend: {c['backend']}; model: {c.get('model') or '–'}; retrieval: {c['retrieval']}; "
        f"citation judge: **{c['judge']}**",
        *([f"- **warning**: answers came from {', '.join(c['backends_used'])}, not {c['backend']} "
           "(the engine fell back; is the model installed?)"]
          if c.get("backends_used") and c["backends_used"] != [c["backend"]] else []),
        f"- index: {idx.get('documents', '–')} abstracts → {idx.get('chunks', '–')} chunks "
        f"({'reused' if idx.get('reused') else 'built'}; key {idx.get('key', '–')}, "
        f"build {fmt(idx.get('build_seconds'), False)} s)",
        f"- settings hash: {c['settings_hash']}; questions: {report['n_results']}/{report['n_questions']}"
        + ("" if report["complete"] else " — **incomplete run**"),
        "",
        "## Overall and by gold label",
        "",
        markdown_table([("all", o), *((f"gold {k}", v) for k, v in report["by_label"].items()), majority_row(report)]),
        "",
        "F1 by class: " + ", ".join(f"{k} {fmt(v)}" + (" %" if v is not None else "")
                                    for k, v in (o.get("f1") or {}).items()) + ".",
        "Verdicts: " + (", ".join(f"{k} {v}" for k, v in o["verdicts"].items()) or "none") + ".",
        f"Retrieval (gold abstract among the distinct papers searched): recall@1 {fmt(o.get('recall@1'))} %, "
        f"recall@5 {fmt(o.get('recall@5'))} %, recall@10 {fmt(o.get('recall@10'))} %, MRR {fmt(o.get('mrr'), False)} "
        f"over {o['n_retrieval_scored']} questions.",
        f"Latency (s): total median {fmt(o['latency_total']['median_s'], False)}, "
        f"p95 {fmt(o['latency_total']['p95_s'], False)}; first token median "
        f"{fmt(o['latency_first_token']['median_s'], False)}; retrieval median "
        f"{fmt(o['latency_retrieve']['median_s'], False)}. Errors: {o['errors']}.",
        "Answer flags: " + (", ".join(f"{k} {v}" for k, v in o.get("flags", {}).items()) or "none") + ".",
        "",
        "## Confusion matrix",
        "",
        _confusion_md(report["confusion"]),
        "",
        f"Published reference points ({ref['source']}): majority {100 * ref['majority']:.1f} %, BioBERT "
        f"{100 * ref['biobert_reasoning_required']:.1f} %, single human annotator {100 * ref['single_human']:.1f} %.",
        "",
        "Definitions: the answer's verdict is the prediction (yes → yes, no → no, mixed → maybe; insufficient, no "
        "verdict and refusals count as wrong); accuracy = correct / all; macro-F1 = mean F1 over yes/no/maybe; "
        "answered = not refused (every question is answerable); R@k = gold abstract among the first k distinct "
        "papers of `search`; gold in context = among the passages the answer was given; gold cited = cited by the "
        "answer; citation recall and precision as in ALCE, judged by "
        f"`{c['judge']}`; LLM declined = answers flagged `llm-refused`.",
        "",
    ]
    return "\n".join(lines)


def write_reports(out_dir: Path, records: Sequence[dict[str, Any]], n_questions: int, config: dict[str, Any],
                  make_plots: bool = True) -> dict[str, Any]:
    report = build_report(records, n_questions, config)
    if make_plots:
        from assistant.eval.plots import plot_confusion, plot_latency

        label = f"PubMedQA {config['backend']}/{config['retrieval']}"
        acc = report["overall"]["accuracy"]
        title = f"{label}: accuracy {fmt(acc)} %, n = {len(records)}"
        report["plots"] = [plot_confusion(report["confusion"], out_dir / "confusion.png", title).name,
                           plot_latency([(label, records)], out_dir / "latency.png").name]
    write_atomic(out_dir / "report.json", json.dumps(report, indent=2, ensure_ascii=False))
    write_atomic(out_dir / "report.md", render_markdown(report))
    return report

