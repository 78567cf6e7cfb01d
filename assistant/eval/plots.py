"""PNG plots of eval runs (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from assistant import atomicio  # noqa: E402
from assistant.eval.dataset import QUESTION_TYPES  # noqa: E402
from assistant.eval.metrics import percentile  # noqa: E402

Config = tuple[str, dict[str, Any]]
"""(label, report dict)"""


def config_label(report: dict[str, Any]) -> str:
    c = report["config"]
    return f"{c['backend']}/{c['retrieval']}"


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    try:
        with atomicio.atomic_path(path, keep_suffix=True) as tmp:
            fig.savefig(tmp, dpi=110)
    finally:
        plt.close(fig)
    return path


def _grouped_bars(ax: Any, groups: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]]) -> None:
    n = max(len(series), 1)
    width = 0.8 / n
    for i, (label, values) in enumerate(series):
        xs = [g + (i - (n - 1) / 2) * width for g in range(len(groups))]
        ys = [100 * v if v is not None else 0.0 for v in values]
        bars = ax.bar(xs, ys, width, label=label)
        for b, v in zip(bars, values, strict=True):
            if v is None:  # no data (e.g. no citations in a closed-book run): say so instead of a zero bar
                ax.text(b.get_x() + b.get_width() / 2, 1, "n/a", ha="center", va="bottom", fontsize=7, rotation=90)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups, rotation=30, ha="right")
    ax.set_ylim(0, 105)
    ax.set_ylabel("%")
    ax.grid(axis="y", alpha=0.3)


def plot_accuracy_by_type(configs: Sequence[Config], path: Path) -> Path:
    """Share of correct questions per type (for 'unanswerable': share refused) for each configuration."""
    types = [t for t in QUESTION_TYPES if any(t in r["by_type"] for _, r in configs)] + ["all"]
    series = [(label, [(r["by_type"].get(t) or {}).get("litqa_accuracy") if t != "all" else
                       r["overall"].get("litqa_accuracy") for t in types]) for label, r in configs]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(types) + 0.4 * len(configs)), 4.2))
    _grouped_bars(ax, types, series)
    ax.set_title("Accuracy by question type (unanswerable: correct refusals)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(fig, path)


def plot_citations(configs: Sequence[Config], path: Path) -> Path:
    """ALCE citation recall and precision per configuration (judge named in the title)."""
    labels = [label for label, _ in configs]
    judges = sorted({r["config"].get("judge", "?") for _, r in configs})
    series = [("citation recall", [r["overall"].get("citation_recall") for _, r in configs]),
              ("citation precision", [r["overall"].get("citation_precision") for _, r in configs])]
    fig, ax = plt.subplots(figsize=(max(5.0, 1.3 * len(labels) + 2), 4.0))
    _grouped_bars(ax, labels, series)
    ax.set_title(f"ALCE citation quality (judge: {', '.join(judges)})")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(fig, path)


def plot_latency(runs: Sequence[tuple[str, Sequence[dict[str, Any]]]], path: Path) -> Path:
    """Distribution of per-question wall time: a histogram for one run, box plots for several."""
    data = [(label, [r["timings"]["wall_s"] for r in recs if not r.get("error") and r.get("timings")])
            for label, recs in runs]
    fig, ax = plt.subplots(figsize=(max(5.5, 1.3 * len(data) + 2), 4.0))
    if len(data) == 1:
        label, xs = data[0]
        ax.hist(xs or [0.0], bins=min(30, max(5, len(xs) // 3)), color="tab:blue", alpha=0.8)
        if xs:
            for q, style in ((50, "-"), (95, "--")):
                v = percentile(xs, q)
                if v is None:  # every time is NaN
                    continue
                ax.axvline(v, color="black", linestyle=style, label=f"p{q} = {v:.2f} s")
            ax.legend(fontsize=8)
        ax.set_xlabel("seconds per question")
        ax.set_ylabel("questions")
        ax.set_title(f"Latency: {label}")
    else:
        ax.boxplot([xs or [0.0] for _, xs in data], showfliers=True)
        ax.set_xticks(range(1, len(data) + 1))
        ax.set_xticklabels([label for label, _ in data], rotation=30, ha="right")
        ax.set_ylabel("seconds per question")
        ax.set_yscale("symlog", linthresh=0.1)
        ax.set_title("Latency per question")
        ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def plot_run(out_dir: Path, report: dict[str, Any], records: Sequence[dict[str, Any]]) -> list[Path]:
    label = config_label(report)
    return [
        plot_accuracy_by_type([(label, report)], out_dir / "accuracy_by_type.png"),
        plot_citations([(label, report)], out_dir / "citations.png"),
        plot_latency([(label, records)], out_dir / "latency.png"),
    ]


def plot_confusion(confusion: dict[str, Any], path: Path, title: str = "Confusion matrix") -> Path:
    """A confusion matrix (rows: gold labels, columns: predictions) as a heat map with the counts written in."""
    rows, cols, matrix = confusion["rows"], confusion["columns"], confusion["matrix"]
    fig, ax = plt.subplots(figsize=(1.1 * len(cols) + 2.2, 0.9 * len(rows) + 1.6))
    top = max((v for row in matrix for v in row), default=0) or 1
    ax.imshow(matrix, cmap="Blues", vmin=0, vmax=top)
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            ax.text(j, i, str(v), ha="center", va="center", fontsize=10,
                    color="white" if v > 0.6 * top else "black")
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels(cols)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows)
    ax.set_xlabel("predicted (none = no yes/no/maybe verdict)")
    ax.set_ylabel("gold")
    ax.set_title(title, fontsize=10)
    return _save(fig, path)


def plot_pubmedqa_scores(configs: Sequence[Config], path: Path) -> Path:
    """PubMedQA verdict accuracy, macro-F1, gold-at-rank-1 and gold-cited per configuration, majority line drawn."""
    labels = [label for label, _ in configs]
    series = [(name, [r["overall"].get(key) for _, r in configs])
              for name, key in (("accuracy", "accuracy"), ("macro-F1", "macro_f1"), ("gold at rank 1", "recall@1"),
                                ("gold cited", "gold_cited"))]
    fig, ax = plt.subplots(figsize=(max(5.5, 1.5 * len(labels) + 2.5), 4.2))
    _grouped_bars(ax, labels, series)
    if configs:
        ax.axhline(100 * configs[0][1]["majority"]["accuracy"], color="grey", linestyle="--", label="majority accuracy")
    ax.set_title("PubMedQA")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(fig, path)
