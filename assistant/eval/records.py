"""One line of an `eval run`'s results.jsonl as a typed record.

The JSON on disk keeps the shape it always had: a record read from an old run and written again gives the same
keys and values (only the keys that were present are written back, unknown keys are kept), so every run folder
under eval/runs/ still loads, rebuilds and rescores. Nested parts that are copies of other contracts (passages,
citations, sentences as ``Answer.to_dict`` gives them) stay plain dicts. PubMedQA runs record another shape
(see ``assistant.eval.pubmedqa``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assistant.eval.runfiles import append_result, read_results


class _Record(BaseModel):
    model_config = ConfigDict(extra="allow")


class Gold(_Record):
    """What the question set says about the question (``sources`` already resolved to paper ids)."""

    answer: str | None = None
    key_facts: list[dict[str, Any]] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    answerable: bool


class CitationEval(_Record):
    """ALCE citation scores of one answer (``metrics.citation_scores``)."""

    recall: float | None = None
    precision: float | None = None
    n_sentences: int = 0
    n_citations: int = 0
    sentences: list[dict[str, Any]] = Field(default_factory=list)


class EvalRecord(_Record):
    """One question's answer, what retrieval found, and its scores. A question that failed has ``error`` and
    only the scoring fields."""

    id: str
    type: str
    question: str
    history: list[dict[str, Any]] = Field(default_factory=list)
    gold: Gold
    query: str = ""
    answer: str = ""
    raw_answer: str = ""
    answerable: bool | None = None
    flags: list[str] = Field(default_factory=list)
    citations: list[dict[str, Any]] = Field(default_factory=list)
    sentences: list[dict[str, Any]] = Field(default_factory=list)
    passages: list[dict[str, Any]] = Field(default_factory=list)
    best_dense: float | None = None
    backend: str = ""
    model: str = ""
    engine_judge: str = ""
    settings_hash: str = ""
    timings: dict[str, float | None] = Field(default_factory=dict)
    plan: dict[str, Any] | None = None
    verdict: str | None = None
    retrieved: list[dict[str, Any]] = Field(default_factory=list)
    answered: bool = False
    refused: bool = False
    key_fact_hits: list[bool] = Field(default_factory=list)
    correct: bool = False
    citation_eval: CitationEval | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The dict written to results.jsonl: the keys that were given, in the order of the fields."""
        return self.model_dump(mode="json", exclude_unset=True)

    def to_line(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False)


def read_records(out_dir: Path | str) -> list[EvalRecord]:
    """The records of a run folder (a truncated last line is skipped, as ``runfiles.read_results`` does)."""
    return [EvalRecord.model_validate(r) for r in read_results(out_dir)]


def append_record(path: Path, record: EvalRecord) -> None:
    """Append one record to results.jsonl and fsync it."""
    append_result(path, record.to_json())
