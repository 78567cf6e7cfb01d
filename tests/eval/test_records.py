"""Typed eval records: old run folders load unchanged, new records are written in the same shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.eval.records import EvalRecord, read_records
from assistant.eval.report import summarise
from assistant.settings import PROJECT_ROOT

V8 = PROJECT_ROOT / "eval" / "runs" / "v8-llama-hybrid"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


@pytest.mark.skipif(not (V8 / "results.jsonl").is_file(),
                    reason="no stored v8 run folder (eval/runs is git-ignored; test_eval_smoke.py checks a fresh run)")
def test_an_existing_run_loads_and_writes_back_byte_for_byte_the_same_json() -> None:
    raw = _lines(V8 / "results.jsonl")
    records = read_records(V8)
    assert len(records) == len(raw) > 0
    for rec, line in zip(records, raw, strict=True):
        assert rec.to_json() == line and list(rec.to_json()) == list(line)  # same keys, same order
    # and the report rebuilt from the typed records says what the committed report says
    saved = json.loads((V8 / "report.json").read_text(encoding="utf-8"))
    again = summarise(records, saved["config"].get("top_k"))
    for key in ("n", "key_fact_accuracy", "litqa_accuracy", "citation_recall", "recall@5", "mrr", "flags"):
        assert again[key] == saved["overall"][key], key


def test_a_failed_question_keeps_only_the_keys_it_was_given(tmp_path: Path) -> None:
    rec = EvalRecord(id="q1", type="factoid", question="?", error="model missing", answered=False,
                     gold={"sources": ["doi:10.1/x"], "answerable": True}, timings={"wall_s": 0.5})
    assert rec.to_json() == {"id": "q1", "type": "factoid", "question": "?", "gold": {"sources": ["doi:10.1/x"],
                             "answerable": True}, "timings": {"wall_s": 0.5}, "answered": False,
                             "error": "model missing"}
    assert not rec.correct and rec.flags == [] and rec.citation_eval is None


def test_unknown_keys_survive_a_round_trip() -> None:
    line = {"id": "q", "type": "factoid", "question": "?", "gold": {"answerable": False, "note": "x"},
            "later_field": [1, 2]}
    assert EvalRecord.model_validate(line).to_json() == line


def test_a_record_without_gold_answerability_is_refused() -> None:
    with pytest.raises(ValueError):
        EvalRecord.model_validate({"id": "q", "type": "factoid", "question": "?", "gold": {}})
