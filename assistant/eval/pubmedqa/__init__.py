"""PubMedQA (Jin et al., EMNLP 2019) in the evaluation harness: real abstracts nobody here wrote.

    from assistant.eval.pubmedqa import run_pubmedqa

    report = run_pubmedqa("eval/runs/pqa-x", backend="extractive", retrieval="hybrid", limit=10)
    print(report["overall"]["accuracy"], report["overall"]["recall@1"])

Modules: ``data`` (the data folder, kept outside the repository), ``subset`` (the committed stratified
100-question development subset), ``build`` (the abstracts' own index, built once and reused), ``runner``
(questions through ``Assistant.ask``, resumable), ``scoring`` and ``report``.
"""

from __future__ import annotations

from assistant.eval.pubmedqa.data import LABELS, load_pubmedqa, prepare_from_original
from assistant.eval.pubmedqa.runner import RETRIEVALS, rebuild_report, run_pubmedqa
from assistant.eval.pubmedqa.subset import dev_subset, select_questions

__all__ = ["LABELS", "RETRIEVALS", "dev_subset", "load_pubmedqa", "prepare_from_original", "rebuild_report",
           "run_pubmedqa", "select_questions"]
