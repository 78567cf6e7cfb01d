"""Smoke run of the whole question set with the extractive backend over a fresh index of corpus/digest.

Uses the real MiniLM embedder (integration). The floors sit below the values measured on 2026-11-27 with the
cosine and relative-BM25 refusal gates (see eval/README.md): recall@5 97.3 %, MRR 0.81, refusal on
unanswerable 100 %, wrong refusals 24.3 %, key-fact accuracy 47.3 %. Crossing a floor means retrieval, refusal
or extraction got clearly worse, or the question set no longer fits the corpus.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.integration

FLOORS = {"recall@5": 0.90, "mrr": 0.70, "refusal_rate": 0.80, "key_fact_accuracy": 0.40}
CEILINGS = {"wrong_refusal_rate": 0.32}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from assistant.api import Assistant
    from assistant.eval.dataset import load_questions
    from assistant.eval.runner import run_eval
    from assistant.index.builder import build_index

    root = tmp_path_factory.mktemp("eval-smoke")
    corpus = root / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus" / "digest", corpus / "digest")  # only the shipped digest
    index = root / "index"
    index.mkdir()
    cache = PROJECT_ROOT / "index" / "embed_cache.sqlite"  # vectors keyed by embedder and exact text
    if cache.is_file():
        shutil.copy(cache, index / cache.name)
    settings = Settings(corpus_dir=corpus, index_dir=index, backend="extractive", judge="lexical")
    build_index(settings, progress=False)
    out = root / "run"
    run_eval(Assistant.load(settings), load_questions(), out, backend="extractive", retrieval="hybrid",
             judge="lexical", progress=False)
    return out


def test_outputs_exist(run_dir: Path) -> None:
    for name in ("results.jsonl", "report.json", "report.md", "accuracy_by_type.png", "citations.png",
                 "latency.png"):
        p = run_dir / name
        assert p.is_file() and p.stat().st_size > 0, name
    assert (run_dir / "accuracy_by_type.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_question_answered_or_refused_without_errors(run_dir: Path) -> None:
    from assistant.eval.dataset import load_questions

    report = json.loads((run_dir / "report.json").read_text())
    assert report["complete"] and report["n_results"] == len(load_questions())
    assert report["overall"]["errors"] == 0
    assert report["config"]["judge"] == "lexical" and report["config"]["backend"] == "extractive"
    lines = (run_dir / "results.jsonl").read_text().splitlines()
    assert len(lines) == report["n_results"]


def test_metrics_stay_above_floors(run_dir: Path) -> None:
    o = json.loads((run_dir / "report.json").read_text())["overall"]
    for key, floor in FLOORS.items():
        assert o[key] is not None and o[key] >= floor, f"{key} = {o[key]:.3f} fell below its floor {floor}"
    for key, ceiling in CEILINGS.items():
        assert o[key] is not None and o[key] <= ceiling, f"{key} = {o[key]:.3f} rose above {ceiling}"


def test_the_runs_records_load_typed_and_write_back_the_same_json(run_dir: Path) -> None:
    """The typed eval records over a run made here (CI has no stored run folders: eval/runs is git-ignored)."""
    from assistant.eval.records import read_records
    from assistant.eval.report import summarise

    raw = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines() if line.strip()]
    records = read_records(run_dir)
    assert len(records) == len(raw) > 0
    for rec, line in zip(records, raw, strict=True):
        assert rec.to_json() == line and list(rec.to_json()) == list(line)  # same keys, same order
    saved = json.loads((run_dir / "report.json").read_text())
    again = summarise(records, saved["config"].get("top_k"))
    for key in ("n", "key_fact_accuracy", "litqa_accuracy", "citation_recall", "recall@5", "mrr", "flags"):
        assert again[key] == saved["overall"][key], key
