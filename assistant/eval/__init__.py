"""Evaluation: the question set, metrics over recorded results, runs, reports, comparison and calibration.

Python API (the CLI `rtms-assistant eval ...` is a thin layer over it)::

    from assistant import Assistant
    from assistant.eval import load_questions, run_eval, compare_runs

    report = run_eval(Assistant.load(), load_questions(), "eval/runs/mine", backend="extractive")
    print(compare_runs(["eval/runs/mine", "eval/runs/other"])["markdown"])
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.eval.dataset import Question, load_questions
from assistant.eval.runner import rescore, run_eval


def compare_runs(dirs: list[Path | str], out_dir: Path | str | None = None) -> dict[str, Any]:
    """Side-by-side table of run folders (imports matplotlib only when called)."""
    from assistant.eval.compare import compare

    return compare(dirs, out_dir)


__all__ = ["Question", "compare_runs", "load_questions", "rescore", "run_eval"]
