"""Evaluation: the question set, metrics over recorded results, runs, reports, comparison and calibration.

Python API (the CLI `rtms-assistant eval ...` is a thin layer over it)::

    from assistant import Assistant
    from assistant.eval import load_questions, run_eval, compare_runs

    report = run_eval(Assistant.load(), load_questions(), "eval/runs/mine", backend="extractive")
    print(compare_runs(["eval/runs/mine", "eval/runs/other"])["markdown"])

    # PubMedQA over its own index of the abstracts (see assistant.eval.pubmedqa)
    report = run_pubmedqa("eval/runs/pqa", backend="extractive", retrieval="oracle", limit=10)
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


def run_pubmedqa(out_dir: Path | str | None = None, **kwargs: Any) -> dict[str, Any]:
    """PubMedQA run (``assistant.eval.pubmedqa.run_pubmedqa``; imports the index builder only when called)."""
    from assistant.eval.pubmedqa import run_pubmedqa as run

    return run(out_dir, **kwargs)


__all__ = ["Question", "compare_runs", "load_questions", "rescore", "run_eval", "run_pubmedqa"]
