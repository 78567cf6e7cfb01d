"""The PubMedQA data folder: the labelled abstracts (contexts.jsonl) and questions (dev.jsonl), read and checked.

The data never enters the repository. The folder (``Settings.pubmedqa_dir``, env ``RTMS_PUBMEDQA_DIR``; default
``../shared/benchmarks/pubmedqa``) holds:

- ``contexts.jsonl``: one abstract per line — ``pmid``, ``year`` (or null), ``labels`` (section labels such as
  BACKGROUND, METHODS, RESULTS), ``contexts`` (the section texts, in the same order), ``meshes``;
- ``dev.jsonl``: one labelled question per line — ``pmid`` (of its abstract), ``question``, ``final_decision``
  (yes / no / maybe); other keys (``long_answer``, ...) are ignored.

``prepare_from_original`` writes both from the dataset's own release files (``data/ori_pqal.json`` and
``data/test_ground_truth.json`` of https://github.com/pubmedqa/pubmedqa, MIT licence): every one of the 1,000
labelled abstracts, and as ``dev`` the 500 questions outside the official test split.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant.eval.dataset import DatasetError
from assistant.settings import Settings

LABELS = ("yes", "no", "maybe")
"""PubMedQA's answer classes, in the order used by every table and plot."""
SPLITS = ("dev",)
CONTEXTS = "contexts.jsonl"

GET_THE_DATA = (
    "The dataset is not part of this repository. Get `data/ori_pqal.json` and `data/test_ground_truth.json` from "
    "the PubMedQA repository (https://github.com/pubmedqa/pubmedqa, MIT licence), then run `rtms-assistant eval "
    "pubmedqa-prepare ori_pqal.json test_ground_truth.json --out DIR` and point RTMS_PUBMEDQA_DIR (or --data) at "
    "DIR. Expected files: contexts.jsonl (one abstract per line: pmid, year, labels, contexts, meshes) and "
    "dev.jsonl (one question per line: pmid, question, final_decision yes/no/maybe); see eval/README.md."
)


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class Abstract(_Row):
    """One labelled abstract: its parts (label, text) in order; no title (the questions were made from them)."""

    pmid: str = Field(min_length=1)
    year: int | None = None
    labels: list[str]
    contexts: list[str] = Field(min_length=1)
    meshes: list[str] = Field(default_factory=list)

    @field_validator("pmid", mode="before")
    @classmethod
    def _pmid_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v

    @field_validator("year", mode="before")
    @classmethod
    def _year(cls, v: Any) -> Any:
        return int(v) if isinstance(v, str) and v.strip().isdigit() else (None if v in ("", None) else v)

    @model_validator(mode="after")
    def _parts(self) -> Abstract:
        if len(self.labels) != len(self.contexts):
            raise ValueError(f"{len(self.labels)} labels for {len(self.contexts)} contexts: give one label per "
                             "context ('' for an unlabelled one)")
        return self


class PQAQuestion(_Row):
    """One labelled question: asked of the abstract with the same PMID."""

    pmid: str = Field(min_length=1)
    question: str = Field(min_length=1)
    label: str = Field(alias="final_decision")

    @field_validator("pmid", mode="before")
    @classmethod
    def _pmid_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v

    @field_validator("label")
    @classmethod
    def _label(cls, v: str) -> str:
        v = v.lower()
        if v not in LABELS:
            raise ValueError(f"final_decision must be one of {', '.join(LABELS)}")
        return v


@dataclass
class PubMedQAData:
    root: Path
    abstracts: dict[str, Abstract]
    questions: dict[str, list[PQAQuestion]] = field(default_factory=dict)
    """split → questions, in file order"""
    hashes: dict[str, str] = field(default_factory=dict)
    """file name → sha256 of its bytes"""

    def split(self, name: str) -> list[PQAQuestion]:
        if name not in self.questions:
            raise DatasetError(f"no PubMedQA split {name!r} in {self.root}: use one of "
                               f"{', '.join(sorted(self.questions)) or ', '.join(SPLITS)}")
        return self.questions[name]

    @property
    def contexts_sha256(self) -> str:
        return self.hashes[CONTEXTS]


def data_dir(settings: Settings | None = None, override: Path | str | None = None) -> Path:
    return Path(override) if override else (settings or Settings()).pubmedqa_dir


def _read_jsonl(path: Path, model: type[_Row]) -> list[Any]:
    rows = []
    # split at newlines only: str.splitlines also splits at U+2029 and the like, which occur inside abstracts
    for lineno, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            rows.append(model.model_validate(json.loads(line)))
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}:{lineno}: not valid JSON ({exc.msg}); each line must be one JSON object. "
                               f"{GET_THE_DATA}") from None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"]) or "line"
            raise DatasetError(f"{path}:{lineno}: {where}: {first['msg']}. {GET_THE_DATA}") from None
    return rows


def load_pubmedqa(root: Path | str | None = None, settings: Settings | None = None,
                  splits: tuple[str, ...] = SPLITS) -> PubMedQAData:
    """Read and check the data folder; a missing or malformed folder raises DatasetError saying where to get it."""
    folder = data_dir(settings, root)
    needed = [CONTEXTS, *(f"{s}.jsonl" for s in splits)]
    missing = [n for n in needed if not (folder / n).is_file()]
    if missing:
        raise DatasetError(f"no PubMedQA data in {folder} (missing {', '.join(missing)}). {GET_THE_DATA}")
    hashes = {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in needed}
    abstracts: dict[str, Abstract] = {}
    for a in _read_jsonl(folder / CONTEXTS, Abstract):
        if a.pmid in abstracts:
            raise DatasetError(f"{folder / CONTEXTS}: PMID {a.pmid} occurs twice; each abstract once")
        abstracts[a.pmid] = a
    data = PubMedQAData(folder, abstracts, hashes=hashes)
    for s in splits:
        qs = _read_jsonl(folder / f"{s}.jsonl", PQAQuestion)
        orphans = [q.pmid for q in qs if q.pmid not in abstracts]
        if orphans:
            raise DatasetError(f"{folder / (s + '.jsonl')}: no abstract in {CONTEXTS} for PMID "
                               f"{', '.join(orphans[:5])}; the two files must come from the same release")
        dupes = sorted(p for p, n in Counter(q.pmid for q in qs).items() if n > 1)
        if dupes:
            raise DatasetError(f"{folder / (s + '.jsonl')}: PMID {', '.join(dupes[:5])} asked twice")
        if not qs:
            raise DatasetError(f"{folder / (s + '.jsonl')} holds no questions. {GET_THE_DATA}")
        data.questions[s] = qs
    return data


def prepare_from_original(ori_pqal: Path | str, test_ground_truth: Path | str, out_dir: Path | str) -> dict[str, int]:
    """Write contexts.jsonl (all labelled abstracts) and dev.jsonl (the questions outside the official test split)
    from the PubMedQA release files ``ori_pqal.json`` and ``test_ground_truth.json``."""
    try:
        ori = json.loads(Path(ori_pqal).read_text(encoding="utf-8"))
        test = json.loads(Path(test_ground_truth).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DatasetError(f"cannot read the PubMedQA release files ({exc}). {GET_THE_DATA}") from None
    if not isinstance(ori, dict) or not isinstance(test, dict):
        raise DatasetError(f"{ori_pqal} and {test_ground_truth} must be JSON objects keyed by PMID. {GET_THE_DATA}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    contexts, dev = [], []
    for pmid, r in ori.items():
        try:
            contexts.append({"pmid": str(pmid), "year": r.get("YEAR"), "labels": r["LABELS"],
                             "contexts": r["CONTEXTS"], "meshes": r.get("MESHES", [])})
            if str(pmid) not in test:
                dev.append({"pmid": str(pmid), "question": r["QUESTION"], "final_decision": r["final_decision"],
                            "long_answer": r.get("LONG_ANSWER", "")})
        except (KeyError, AttributeError, TypeError) as exc:
            raise DatasetError(f"{ori_pqal}: record {pmid} lacks {exc}; is this ori_pqal.json? "
                               f"{GET_THE_DATA}") from None
    for name, rows in ((CONTEXTS, contexts), ("dev.jsonl", dev)):
        (out / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return {"abstracts": len(contexts), "dev": len(dev), "test": len(contexts) - len(dev)}
