"""The evaluation question set (eval/questions.jsonl): schema and loader."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant.errors import AssistantError
from assistant.settings import PROJECT_ROOT

DEFAULT_QUESTIONS = PROJECT_ROOT / "eval" / "questions.jsonl"

QuestionType = Literal["factoid", "list", "parameter", "mechanism", "comparison", "multi-hop", "follow-up",
                       "unanswerable", "design", "which-studies", "review-claim", "verdict"]
NEW_KINDS = ("design", "which-studies", "review-claim", "verdict")
"""The kinds added with the question plan (issue 29): evidence level and population, which studies, a review's
claim followed to its experiment, yes/no questions whose answer is often no, mixed or insufficient (follow-up
chains of two and three turns are ``follow-up`` questions with a longer history)."""
QUESTION_TYPES: tuple[str, ...] = QuestionType.__args__  # type: ignore[attr-defined]


class DatasetError(AssistantError):
    """The question file is missing or invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class KeyFact(_Strict):
    fact: str = Field(min_length=1, description="the fact as it should appear, e.g. 'TNF-α' or '10 Hz'")
    any_of: list[str] = Field(default_factory=list, description="other accepted surface forms")

    @property
    def forms(self) -> list[str]:
        return [self.fact, *self.any_of]


class Turn(_Strict):
    role: Literal["user", "assistant"]
    content: str = Field(min_length=1)


class Question(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    question: str = Field(min_length=8)
    history: list[Turn] = Field(default_factory=list, description="earlier turns, oldest first")
    answer: str = Field(min_length=1, description="gold answer, concise")
    key_facts: list[KeyFact] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list, description="gold paper ids (make_paper_id), or "
                               "'note:<evidence-note id>' for a paper that has no DOI, PMID or PMCID")
    type: QuestionType

    @field_validator("sources")
    @classmethod
    def _paper_ids(cls, v: list[str]) -> list[str]:
        for s in v:
            if not s.startswith(("doi:", "pmid:", "pmc:", "note:")) or s != s.strip():
                raise ValueError(f"source {s!r} is not a paper id like 'doi:10.1000/x' (see make_paper_id) "
                                 "or 'note:<evidence-note id>'")
            if s.startswith("doi:") and s != s.lower():
                raise ValueError(f"source {s!r}: DOIs in paper ids are lower-case")
        if len(set(v)) != len(v):
            raise ValueError("sources repeat a paper id")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if self.type == "unanswerable":
            if self.key_facts or self.sources:
                raise ValueError("an unanswerable question has no key_facts and no sources")
        else:
            if not self.key_facts:
                raise ValueError(f"a {self.type} question needs at least one key fact")
            if not self.sources:
                raise ValueError(f"a {self.type} question needs at least one gold source")
        if self.type == "follow-up":
            if not self.history or self.history[0].role != "user" or self.history[-1].role != "assistant":
                raise ValueError("a follow-up needs a history that starts with a user turn and ends with "
                                 "an assistant turn")
        elif self.history and self.type not in NEW_KINDS:
            raise ValueError("only follow-up questions (and the plan's kinds) carry a history")
        if self.type == "multi-hop" and len(self.sources) < 2:
            raise ValueError("a multi-hop question needs at least two gold sources")
        return self

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"

    def history_dicts(self) -> list[dict[str, str]]:
        return [t.model_dump() for t in self.history]


def load_questions(path: Path | str | None = None) -> list[Question]:
    """Read and validate the question file; errors name the file, the line and the fix."""
    p = Path(path) if path else DEFAULT_QUESTIONS
    if not p.is_file():
        raise DatasetError(f"question file {p} not found: pass --questions PATH or restore eval/questions.jsonl")
    out: list[Question] = []
    for lineno, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(Question.model_validate(json.loads(line)))
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{p}:{lineno}: not valid JSON ({exc.msg}); each line must be one JSON object") from None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"]) or "item"
            raise DatasetError(f"{p}:{lineno}: {where}: {first['msg']}") from None
    dupes = [i for i, c in Counter(q.id for q in out).items() if c > 1]
    if dupes:
        raise DatasetError(f"{p}: duplicate question ids {dupes}; ids must be unique")
    if not out:
        raise DatasetError(f"{p} holds no questions")
    return out
