"""Put several run folders side by side: a markdown table, a rich table and comparison plots."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.eval.plots import (
    config_label,
    plot_accuracy_by_type,
    plot_citations,
    plot_latency,
    plot_pubmedqa_scores,
)
from assistant.eval.report import TABLE_COLUMNS, fmt, markdown_table
from assistant.eval.runfiles import read_results


class RunFolderError(AssistantError):
    """A folder given to compare is not a finished eval run."""


def load_run(path: Path | str) -> dict[str, Any]:
    p = Path(path)
    rp = p / "report.json"
    if not rp.is_file():
        raise RunFolderError(f"{p} has no report.json: run `rtms-assistant eval run --out {p}` first")
    report: dict[str, Any] = json.loads(rp.read_text(encoding="utf-8"))
    return report


def _labels(reports: Sequence[dict[str, Any]], dirs: Sequence[Path]) -> list[str]:
    labels = [config_label(r) for r in reports]
    if len(set(labels)) < len(labels):  # same configuration twice: tell them apart by folder
        labels = [f"{label} ({d.name})" for label, d in zip(labels, dirs, strict=True)]
    return labels


def compare(dirs: Sequence[Path | str], out_dir: Path | str | None = None) -> dict[str, Any]:
    """Load the runs; return rows (label, overall metrics) and the markdown table. With ``out_dir``,
    also write compare.md and the comparison plots there."""
    paths = [Path(d) for d in dirs]
    reports = [load_run(p) for p in paths]
    labels = _labels(reports, paths)
    rows = [(label, r["overall"]) for label, r in zip(labels, reports, strict=True)]
    judges = sorted({r["config"].get("judge", "?") for r in reports})
    kinds = {r.get("benchmark", "eval") for r in reports}
    if len(kinds) > 1:
        raise RunFolderError("these folders hold runs of different benchmarks (eval run and eval pubmedqa): "
                             "compare each kind separately")
    if kinds == {"pubmedqa"}:
        return _compare_pubmedqa(paths, reports, labels, judges, out_dir)
    md = "\n".join([
        markdown_table(rows, "configuration"),
        "",
        f"Citation judge: {', '.join(judges)}. Runs: "
        + "; ".join(f"{label} = {p} ({r['date'][:10]}, {r['n_results']}/{r['n_questions']} questions)"
                    for label, p, r in zip(labels, paths, reports, strict=True)),
    ])
    result: dict[str, Any] = {"labels": labels, "rows": rows, "markdown": md, "reports": reports}
    if out_dir:
        result["plots"] = _write(Path(out_dir), "Eval comparison", md, paths, reports, labels,
                                 lambda configs, out: plot_accuracy_by_type(configs, out / "accuracy_by_type.png"))
    return result


def _compare_pubmedqa(paths: list[Path], reports: list[dict[str, Any]], labels: list[str], judges: list[str],
                      out_dir: Path | str | None) -> dict[str, Any]:
    """PubMedQA runs side by side, with the majority-class row of the first run's questions."""
    # the pubmedqa package imports its index builder: loaded only when PubMedQA runs are compared
    from assistant.eval.pubmedqa.report import majority_row
    from assistant.eval.pubmedqa.report import markdown_table as pubmedqa_table

    rows = [(label, r["overall"]) for label, r in zip(labels, reports, strict=True)]
    md = "\n".join([
        pubmedqa_table([*rows, majority_row(reports[0])], "configuration"),
        "",
        f"Citation judge: {', '.join(judges)}. Runs: "
        + "; ".join(f"{label} = {p} ({r['date'][:10]}, {r['n_results']}/{r['n_questions']} questions, "
                    f"{r['config'].get('subset')})" for label, p, r in zip(labels, paths, reports, strict=True)),
    ])
    result: dict[str, Any] = {"benchmark": "pubmedqa", "labels": labels, "rows": rows, "markdown": md,
                              "reports": reports}
    if out_dir:
        result["plots"] = _write(Path(out_dir), "PubMedQA comparison", md, paths, reports, labels,
                                 lambda configs, out: plot_pubmedqa_scores(configs, out / "pubmedqa_scores.png"))
    return result


def _write(out: Path, title: str, md: str, paths: list[Path], reports: list[dict[str, Any]], labels: list[str],
           scores_plot: Callable[[list[tuple[str, dict[str, Any]]], Path], Path]) -> list[Path]:
    """compare.md, the benchmark's own score plot, then the citation and latency plots every run has."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "compare.md").write_text(f"# {title}\n\n" + md + "\n", encoding="utf-8")
    configs = list(zip(labels, reports, strict=True))
    return [
        scores_plot(configs, out),
        plot_citations(configs, out / "citations.png"),
        plot_latency([(label, read_results(p)) for label, p in zip(labels, paths, strict=True)], out / "latency.png"),
    ]


def rich_table(rows: Sequence[tuple[str, dict[str, Any]]]) -> Any:
    from rich.table import Table

    table = Table(title="Eval runs side by side")
    table.add_column("configuration", style="bold")
    for name, _, _ in TABLE_COLUMNS:
        table.add_column(name, justify="right")
    table.add_column("median s", justify="right")
    table.add_column("p95 s", justify="right")
    for label, s in rows:
        lat = s.get("latency_total") or {}
        table.add_row(label, *[fmt(s.get(key), pct) for _, key, pct in TABLE_COLUMNS],
                      fmt(lat.get("median_s"), False), fmt(lat.get("p95_s"), False))
    return table
