"""PubMedQA on the real data folder (RTMS_PUBMEDQA_DIR, default ../shared/benchmarks/pubmedqa), when it exists.

The smoke run asks the first 10 questions of the committed development subset with the extractive backend over
a small index (their abstracts plus 40 seeded distractors) and checks retrieval and the report files, not a
quality floor: the extractive backend cannot weigh evidence into yes / no / maybe.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.settings import Settings

DATA = Settings().pubmedqa_dir
needs_data = pytest.mark.skipif(not (DATA / "contexts.jsonl").is_file() or not (DATA / "dev.jsonl").is_file(),
                                reason=f"no PubMedQA data folder at {DATA} (set RTMS_PUBMEDQA_DIR; see eval/README.md)")


@needs_data
def test_committed_subset_is_the_regenerated_one():
    from assistant.eval.pubmedqa.data import load_pubmedqa
    from assistant.eval.pubmedqa.subset import SUBSET_FILE, dev_subset, read_subset, render_subset

    regenerated = dev_subset(load_pubmedqa(DATA))
    assert read_subset(SUBSET_FILE) == regenerated, "run `python -m assistant.eval.pubmedqa.subset` and commit it"
    assert SUBSET_FILE.read_text(encoding="utf-8") == render_subset(regenerated)


@needs_data
@pytest.mark.integration
def test_smoke_ten_questions_extractive(tmp_path: Path, embedder) -> None:
    from assistant.eval.pubmedqa import run_pubmedqa

    out = tmp_path / "run"
    run_pubmedqa(out, settings=Settings(backend="extractive", judge="lexical"), limit=10, distractors=40,
                 data_dir=DATA, cache_dir=tmp_path / "cache", progress=False, embedder=embedder)
    for name in ("results.jsonl", "report.json", "report.md", "confusion.png", "latency.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    saved = json.loads((out / "report.json").read_text())
    assert saved["complete"] and saved["n_results"] == 10 and saved["overall"]["errors"] == 0
    assert saved["index"]["documents"] == 50
    for key in ("accuracy", "macro_f1", "answered", "recall@1", "recall@5", "gold_cited", "citation_recall",
                "citation_precision", "llm_refused", "latency_total", "latency_first_token"):
        assert key in saved["overall"], key
    assert saved["overall"]["recall@1"] >= 0.8  # the gold abstract is the first hit for most questions
    assert saved["overall"]["recall@5"] >= 0.9
    assert set(saved["by_label"]) == {"yes", "no", "maybe"}  # the first 10 keep the label mix
