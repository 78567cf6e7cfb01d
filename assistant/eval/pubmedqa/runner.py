"""Ask PubMedQA questions through the public `Assistant` API over the abstracts' own index, resumably.

A run folder is laid out like an `eval run` folder (config.json, results.jsonl appended per question, then
report.json, report.md and plots: confusion.png, latency.png); an interrupted run resumes where it stopped and
a folder holding another configuration is refused.

Retrieval settings: ``hybrid`` / ``dense`` / ``bm25`` (search the abstracts' index, as a user's question would),
``none`` (closed book: the model alone) and ``oracle`` (the gold abstract given directly, all its passages, through
``Assistant.ask(question, passages=assistant.passages_of(paper_id))``: the paper's reasoning-required setting, so
retrieval loss and reasoning loss can be told apart). The majority-class baseline needs no run: every report has it.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from assistant.errors import AssistantError, LLMError, QuestionError
from assistant.eval import metrics
from assistant.eval.judges import make_judge
from assistant.eval.pubmedqa import scoring
from assistant.eval.pubmedqa.build import AbstractIndex, ensure_index
from assistant.eval.pubmedqa.data import PQAQuestion, load_pubmedqa
from assistant.eval.pubmedqa.report import write_reports
from assistant.eval.pubmedqa.subset import SUBSET_FILE, select_questions
from assistant.eval.runfiles import (
    CONFIG,
    RESULTS,
    RunConfigError,
    append_result,
    check_config,
    read_results,
    repair_results,
)
from assistant.eval.runner import answer_sentences, cited_texts, judge_citations, passage_rows, retrieved, warm_up
from assistant.settings import PROJECT_ROOT, Settings
from assistant.vocab import SEARCHED_MODES, RetrievalMode

if TYPE_CHECKING:
    from assistant.answer.contracts import Answer
    from assistant.api import Assistant

log = logging.getLogger(__name__)

RETRIEVALS = (*SEARCHED_MODES, RetrievalMode.NONE, RetrievalMode.ORACLE)
SEARCHED = SEARCHED_MODES
CONFIG_KEYS = ("benchmark", "split", "backend", "retrieval", "settings_hash", "judge", "index_key")
"""What must match to resume a run folder (a different --limit or --subset only adds or leaves out questions)."""


def default_out(split: str, backend: str, retrieval: str) -> Path:
    return PROJECT_ROOT / "eval" / "runs" / f"pubmedqa-{split}-{backend}-{retrieval}-{datetime.now():%Y%m%d}"


def gold_papers(assistant: Assistant) -> dict[str, str]:
    """PMID → paper id of every indexed abstract (from the index's documents)."""
    return {d.pmid: d.paper_id for d in assistant.store.docs.values() if d.pmid}


class GoldMissingError(AssistantError):
    """The gold abstract of a question is not in the abstracts' index (the reader skipped it)."""


def ask(assistant: Assistant, q: PQAQuestion, backend: str, retrieval: str, gold_paper: str | None) -> Answer:
    """The question asked as a user would: searched, closed book, or about the gold paper's passages (oracle)."""
    if retrieval == RetrievalMode.ORACLE:
        if gold_paper is None:
            raise GoldMissingError(f"the abstract of PMID {q.pmid} is not in the index (see `skipped` in the "
                                   "index manifest): delete its cache folder and run again")
        passages = assistant.passages_of(gold_paper)
        return assistant.ask(q.question, backend=backend, passages=passages, k=len(passages))
    return assistant.ask(q.question, backend=backend, retrieval=retrieval)


def result_row(q: PQAQuestion, ans: Answer, wall_s: float, gold_paper: str | None, judge: Any) -> dict[str, Any]:
    """Everything the report needs about one answer, and enough to judge its citations again."""
    d = ans.to_dict()
    verdict = d.get("verdict")
    answered = bool(ans.answerable)
    pred = scoring.predicted_label(verdict, answered)
    citations = [{k: c.get(k) for k in ("n", "paper_id", "doc_id", "pmid", "chunk_id", "section", "supported")}
                 for c in d["citations"]]
    passages = passage_rows(d)
    row: dict[str, Any] = {
        "id": q.pmid, "question": q.question,
        "gold": {"label": q.label, "pmid": q.pmid, "paper_id": gold_paper},
        "query": d["query"], "answer": d["answer"], "raw_answer": d.get("raw_answer", ""),
        "verdict": verdict, "verdict_logodds": d.get("verdict_logodds"),
        "verdict_score": d.get("verdict_score"), "predicted": pred,
        "correct": pred == q.label, "answered": answered,
        "flags": d["flags"], "citations": citations, "sentences": d["sentences"], "passages": passages,
        "gold_in_context": any(p["paper_id"] == gold_paper for p in passages),
        "gold_cited": any(c["paper_id"] == gold_paper or c["pmid"] == q.pmid for c in citations),
        "backend": d["backend"], "model": d["model"], "engine_judge": d.get("judge"),
        "retrieval_used": d.get("retrieval"), "settings_hash": d["settings_hash"],
        "timings": {**d["timings"], "wall_s": round(wall_s, 4)},
    }
    if answered:
        row["citation_eval"] = judge_citations(answer_sentences(ans), cited_texts(passages), judge)
    return row


def error_row(q: PQAQuestion, exc: Exception, wall_s: float, gold_paper: str | None) -> dict[str, Any]:
    return {"id": q.pmid, "question": q.question, "gold": {"label": q.label, "pmid": q.pmid, "paper_id": gold_paper},
            "error": str(exc), "verdict": None, "predicted": None, "correct": False, "answered": False,
            "gold_in_context": False, "gold_cited": False, "timings": {"wall_s": round(wall_s, 4)}}


def run_pubmedqa(out_dir: Path | str | None = None, *, settings: Settings | None = None, split: str = "dev",
                 subset: str = "dev100", limit: int | None = None, backend: str | None = None,
                 retrieval: str = RetrievalMode.HYBRID, judge: Any = None, distractors: int | None = None,
                 data_dir: Path | str | None = None, cache_dir: Path | str | None = None,
                 subset_file: Path | str = SUBSET_FILE, rebuild_index: bool = False, progress: bool = True,
                 make_plots: bool = True, command: str | None = None, embedder: Any = None) -> dict[str, Any]:
    """Build (once) or reuse the abstracts' index, answer every selected question not yet in ``out_dir``, report.

    ``subset`` 'dev100' (the committed stratified subset) or 'all' (the whole split); ``limit`` keeps its first N
    (still stratified). ``distractors`` None indexes all abstracts; N indexes the abstracts of the questions asked
    plus N others (faster to build; retrieval gets easier; another --limit then means another index).
    ``judge``: 'lexical' / 'llm' / a callable (default: the settings' judge). ``command`` is recorded in the
    report (the CLI passes its command line). Returns the report.
    """
    from assistant.api import Assistant

    if retrieval not in RETRIEVALS:
        raise RunConfigError(f"unknown retrieval {retrieval!r}: use one of {', '.join(RETRIEVALS)}")
    settings = settings or Settings()
    backend = backend or settings.backend
    data = load_pubmedqa(data_dir, settings, splits=(split,))
    questions = select_questions(data, split, subset, limit, subset_file)
    index = ensure_index(settings, data, [q.pmid for q in questions], distractors, cache_dir, rebuild_index,
                         progress, embedder)
    assistant = Assistant.load(index.settings)
    if judge is None or isinstance(judge, str):
        judge = make_judge(judge or settings.judge, settings)
    run_settings = (settings if retrieval in (RetrievalMode.NONE, RetrievalMode.ORACLE)
                    else settings.model_copy(update={"retrieval": RetrievalMode(retrieval)}))
    out = Path(out_dir) if out_dir else default_out(split, backend, retrieval)
    out.mkdir(parents=True, exist_ok=True)
    config = _config(data, index, split, subset, limit, backend, retrieval, judge, run_settings, questions, command)
    check_config(out, config, CONFIG_KEYS, command="eval pubmedqa")

    golds = gold_papers(assistant)
    done = {r["id"] for r in read_results(out)}
    todo = [q for q in questions if q.pmid not in done]
    results_path = out / RESULTS
    repair_results(results_path)
    if todo:
        warm_up(assistant, backend, RetrievalMode.NONE if retrieval == RetrievalMode.ORACLE else retrieval)
    bar = tqdm(todo, desc=f"pubmedqa {backend}/{retrieval}", unit="q", disable=not progress)
    correct = 0
    for i, q in enumerate(bar, start=1):
        gold = golds.get(q.pmid)
        t0 = time.perf_counter()
        try:
            ans = ask(assistant, q, backend, retrieval, gold)
        except (LLMError, QuestionError, GoldMissingError) as exc:
            log.warning("PMID %s failed: %s", q.pmid, exc)
            append_result(results_path, error_row(q, exc, time.perf_counter() - t0, gold))
            continue
        row = result_row(q, ans, time.perf_counter() - t0, gold, judge)
        row["retrieved"] = retrieved(assistant, ans.query or q.question, retrieval) if retrieval in SEARCHED else []
        append_result(results_path, row)
        correct += row["correct"]
        bar.set_postfix(accuracy=f"{correct / i:.2f}", refresh=False)
    ids = {q.pmid for q in questions}
    records = [r for r in read_results(out) if r["id"] in ids]
    return write_reports(out, records, len(questions), config, make_plots=make_plots)


def _config(data: Any, index: AbstractIndex, split: str, subset: str, limit: int | None, backend: str,
            retrieval: str, judge: Any, run_settings: Settings, questions: list[PQAQuestion],
            command: str | None) -> dict[str, Any]:
    from assistant.eval.report import git_commit, machine_info

    return {
        "benchmark": "pubmedqa", "split": split, "subset": subset, "limit": limit, "backend": backend,
        "retrieval": retrieval, "judge": metrics.judge_name(judge), "settings_hash": run_settings.settings_hash(),
        "index_key": index.key, "top_k": run_settings.top_k, "n_questions": len(questions),
        "question_pmids": [q.pmid for q in questions],
        "data": {"dir": str(data.root), **{f"{k}_sha256": v[:16] for k, v in data.hashes.items()}},
        "index": index.to_dict(),
        "command": command or (f"run_pubmedqa(split={split!r}, subset={subset!r}, limit={limit!r}, "
                               f"backend={backend!r}, retrieval={retrieval!r}, "
                               f"distractors={index.info.get('distractors')!r})"),
        "started": datetime.now(UTC).isoformat(timespec="seconds"), "git_commit": git_commit(),
        "machine": {k: v for k, v in machine_info().items() if k in ("platform", "cpus", "cpu_model", "python")},
    }


def rebuild_report(run_dir: Path | str, make_plots: bool = True) -> dict[str, Any]:
    """Write report.json, report.md and the plots of a PubMedQA run again from its results.jsonl."""
    out = Path(run_dir)
    if not (out / RESULTS).is_file() or not (out / CONFIG).is_file():
        raise RunConfigError(f"{out} has no {RESULTS}: run `rtms-assistant eval pubmedqa --out {out}` first")
    config = json.loads((out / CONFIG).read_text())
    ids = set(config.get("question_pmids") or [])
    records = [r for r in read_results(out) if not ids or r["id"] in ids]
    return write_reports(out, records, config.get("n_questions") or len(records), config, make_plots=make_plots)
