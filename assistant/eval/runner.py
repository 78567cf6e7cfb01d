"""Run the question set through the public API and record one JSON line per question.

A run folder holds ``config.json`` (what was run), ``results.jsonl`` (appended as each question
finishes, so an interrupted run resumes where it stopped), and after the run ``report.json``,
``report.md`` and PNG plots.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from assistant.answer.citations import source_label
from assistant.errors import AssistantError, LLMError, QuestionError
from assistant.eval import metrics
from assistant.eval.dataset import Question, load_questions
from assistant.eval.judges import make_judge
from assistant.eval.records import CitationEval, EvalRecord, Gold, append_record, read_records
from assistant.eval.report import write_reports
from assistant.eval.runfiles import (
    CONFIG,
    RESULTS,
    RunConfigError,
    check_config,
    read_results,
    repair_results,
    write_atomic,
)
from assistant.vocab import ANSWER_MODES, RetrievalMode

if TYPE_CHECKING:
    from assistant.answer.contracts import Answer
    from assistant.api import Assistant
    from assistant.corpus.contracts import DocumentMeta

log = logging.getLogger(__name__)

RETRIEVAL_MODES = ANSWER_MODES
RETRIEVAL_K = 10
"""Depth of the retrieval list recorded per question (recall@k is reported for k ≤ this)."""


def questions_hash(questions: Sequence[Question]) -> str:
    blob = "\n".join(q.model_dump_json() for q in questions).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def retrieved(assistant: Assistant, query: str, mode: str) -> list[dict[str, Any]]:
    """The first RETRIEVAL_K passages ``assistant.search`` gives for ``query``: ranks, ids and scores."""
    keys = ("rank", "paper_id", "doc_id", "chunk_id", "score", "dense_score", "bm25_score", "bm25_rel")
    return [{k: d[k] for k in keys} for d in (p.to_dict() for p in assistant.search(query, RETRIEVAL_K, mode=mode))]


def note_paper_ids(assistant: Assistant) -> dict[str, str]:
    """Evidence-note id (file stem) → paper id, from the index's documents.

    Papers without DOI, PMID or PMCID get a content-hash paper id that changes whenever their note is
    edited, so the question set names them 'note:<id>' and they are resolved here.
    """
    out: dict[str, str] = {}
    for d in _docs(assistant).values():
        if d.kind == "evidence-note":
            out[Path(d.source).stem] = d.paper_id
            if isinstance(d.extra.get("id"), str):
                out[d.extra["id"]] = d.paper_id
    return out


def resolve_sources(sources: Sequence[str], notes: dict[str, str]) -> list[str]:
    return [notes.get(s[5:], s) if s.startswith("note:") else s for s in sources]


def answer_sentences(ans: Answer) -> list[tuple[str, list[int]]]:
    if ans.sentences:
        return [(s.text, list(s.markers)) for s in ans.sentences]
    return metrics.split_cited_sentences(ans.answer)


def score_answer(q: Question, ans: Answer, judge: Callable[[str, list[str]], bool]) -> dict[str, Any]:
    """Everything the report needs about one answer (pure given the judge)."""
    answered = bool(ans.answerable)
    hits = metrics.key_fact_hits(ans.answer, [kf.model_dump() for kf in q.key_facts]) if answered else \
        [False] * len(q.key_facts)
    row: dict[str, Any] = {
        "answered": answered, "refused": not answered, "key_fact_hits": hits,
        "correct": metrics.is_correct(answered, q.answerable, hits),
    }
    if answered:
        cited = cited_texts(passage_rows(ans.to_dict()))
        row["citation_eval"] = judge_citations(answer_sentences(ans), cited, judge)
    return row


def judge_citations(sentences: Sequence[tuple[str, Sequence[int]]], texts: list[str],
                    judge: Callable[[str, list[str]], bool]) -> dict[str, Any]:
    """ALCE citation scores of one answer; a judge with ``fit`` first sees all the answer's passages."""
    if hasattr(judge, "fit"):
        judge.fit(texts)
    return metrics.citation_scores(sentences, texts, metrics.CachedJudge(judge))


def rebuild_report(run_dir: Path | str, questions: Sequence[Question] | None = None,
                   assistant: Assistant | None = None) -> dict[str, Any]:
    """Write report.json, report.md and the plots again from a run folder's results.jsonl."""
    out = Path(run_dir)
    if not (out / RESULTS).is_file():
        raise RunConfigError(f"{out} has no {RESULTS}: run `rtms-assistant eval run --out {out}` first")
    config = json.loads((out / CONFIG).read_text())
    selected = select(questions or load_questions(), config.get("limit"))
    ids = {q.id for q in selected}
    return write_reports(out, [r for r in read_records(out) if r.id in ids], selected, config, assistant)


def _docs(assistant: Assistant | None) -> dict[str, DocumentMeta]:
    """The index's documents, or none when there is no index (a run without retrieval needs none)."""
    try:
        return assistant.documents() if assistant is not None else {}
    except AssistantError:
        return {}


def rescore(run_dir: Path | str, out_dir: Path | str, judge: Any, assistant: Assistant | None = None,
            progress: bool = True) -> dict[str, Any]:
    """Copy a run to ``out_dir`` with its citations judged again by ``judge`` (no answer is regenerated)."""
    src, out = Path(run_dir), Path(out_dir)
    if src.resolve() == out.resolve():
        raise RunConfigError("rescore writes a new run folder: give an --out different from the run")
    config = json.loads((src / CONFIG).read_text())
    config["judge"] = metrics.judge_name(judge)
    config["rescored_from"] = str(src)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    docs = _docs(assistant)
    for r in tqdm(read_records(src), desc=f"rescore with {config['judge']}", unit="q", disable=not progress):
        for p in r.passages:
            if "label" not in p and p.get("doc_id") in docs:  # a run recorded before labels were: from the index
                d = docs[p["doc_id"]]
                p["label"] = passage_label({"first_author": d.first_author, "year": d.year, "title": d.title,
                                            "section": p.get("section")})
        if r.citation_eval and r.passages and all("text" in p for p in r.passages):
            sents = [(s["text"], s["markers"]) for s in r.sentences] or metrics.split_cited_sentences(r.answer)
            r.citation_eval = CitationEval.model_validate(judge_citations(sents, cited_texts(r.passages), judge))
        rows.append(r)
    write_atomic(out / RESULTS, "".join(r.to_line() + "\n" for r in rows))
    write_atomic(out / CONFIG, json.dumps(config, indent=2, ensure_ascii=False))
    selected = select(load_questions(), config.get("limit"))
    ids = {q.id for q in selected}
    return write_reports(out, [r for r in rows if r.id in ids], selected, config, assistant)


def passage_rows(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The passages an answer was given (``Answer.to_dict()['passages']``): ids, scores, text and the label a
    citation shows with it (first author, year, title, section)."""
    keys = ("rank", "paper_id", "doc_id", "chunk_id", "kind", "section", "score", "dense_score", "bm25_score",
            "bm25_rel", "text")
    return [{**{k: p.get(k) for k in keys}, "label": passage_label(p)} for p in answer["passages"]]


def passage_label(p: dict[str, Any]) -> str:
    """"Bai 2023. Title. Section": what the reader of a citation sees beside the passage text."""
    return source_label(p.get("first_author"), p.get("year"), p.get("title"), p.get("section"))


def cited_texts(passages: list[dict[str, Any]]) -> list[str]:
    """What a citation points at, for the citation judges: the passage as cited, its label then its text (a claim
    such as "Bai 2023 reports …" or "in the spinal cord", said by the title, rests on the label)."""
    return [f"{p['label']}\n{p['text']}" if p.get("label") else p["text"] for p in passages]


def answer_record(q: Question, ans: Answer, wall_s: float, sources: list[str] | None = None) -> dict[str, Any]:
    d = ans.to_dict()
    passages = passage_rows(d)
    dense = [p["dense_score"] for p in passages if p["dense_score"] is not None]
    return {
        "id": q.id, "type": q.type, "question": q.question, "history": q.history_dicts(),
        "gold": {"answer": q.answer, "key_facts": [kf.model_dump() for kf in q.key_facts],
                 "sources": q.sources if sources is None else sources, "answerable": q.answerable},
        "query": d["query"], "answer": d["answer"], "raw_answer": d.get("raw_answer", ""),
        "answerable": d["answerable"], "flags": d["flags"],
        "citations": d["citations"], "sentences": d["sentences"], "passages": passages,
        "best_dense": max(dense) if dense else None,
        "backend": d["backend"], "model": d["model"], "engine_judge": d["judge"],
        "settings_hash": d["settings_hash"], "timings": {**d["timings"], "wall_s": round(wall_s, 4)},
        "plan": d.get("plan"), "verdict": d.get("verdict"),
    }


def warm_up(assistant: Assistant, backend: str, retrieval: str) -> None:
    """Load the embedder and the LLM before the clock starts (``Assistant.warm_up``), so the first question's
    latency is comparable."""
    try:
        assistant.warm_up(backend, search=retrieval != RetrievalMode.NONE)
    except AssistantError as exc:  # the run itself will report the problem question by question
        log.warning("warm-up failed: %s", exc)


def select(questions: Sequence[Question], limit: int | None) -> list[Question]:
    """The first ``limit`` questions taken round-robin across types, so a short run still covers every type."""
    if not limit or limit >= len(questions):
        return list(questions)
    by_type: dict[str, list[Question]] = {}
    for q in questions:
        by_type.setdefault(q.type, []).append(q)
    out: list[Question] = []
    while len(out) < limit:
        for group in by_type.values():
            if group and len(out) < limit:
                out.append(group.pop(0))
    order = {q.id: i for i, q in enumerate(questions)}
    return sorted(out, key=lambda q: order[q.id])


def run_eval(assistant: Assistant, questions: Sequence[Question], out_dir: Path | str, backend: str | None = None,
             retrieval: str = RetrievalMode.HYBRID, limit: int | None = None, judge: Any = None,
             progress: bool = True, make_plots: bool = True) -> dict[str, Any]:
    """Answer every question not yet in ``out_dir/results.jsonl``, then write the reports.

    ``retrieval`` is ``hybrid``, ``dense``, ``bm25`` or ``none`` (closed book). ``limit`` takes that many
    questions round-robin across question types. ``judge`` is any
    ``supports(sentence, passage_texts) -> bool`` callable, or 'lexical' / 'llm'; default: the
    settings' judge. Returns the report dict.
    """
    if retrieval not in RETRIEVAL_MODES:
        raise RunConfigError(f"unknown retrieval mode {retrieval!r}: use one of {', '.join(RETRIEVAL_MODES)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    backend = backend or assistant.settings.backend
    if judge is None or isinstance(judge, str):
        judge = make_judge(judge or assistant.settings.judge, assistant.settings)
    # the hash of the settings this run answers with (the retrieval mode is a per-question override)
    run_settings = (assistant.settings if retrieval == RetrievalMode.NONE
                    else assistant.settings.model_copy(update={"retrieval": RetrievalMode(retrieval)}))
    selected = select(questions, limit)
    config = {
        "backend": backend, "retrieval": retrieval, "judge": metrics.judge_name(judge),
        "settings_hash": run_settings.settings_hash(), "questions_hash": questions_hash(questions),
        "n_questions": len(selected), "limit": limit, "top_k": assistant.settings.top_k,
    }
    check_config(out, config)
    notes = note_paper_ids(assistant)
    done = {r["id"] for r in read_results(out)}  # raw rows: an id is all resuming needs
    todo = [q for q in selected if q.id not in done]
    results_path = out / RESULTS
    repair_results(results_path)
    if todo:
        warm_up(assistant, backend, retrieval)
    bar = tqdm(todo, desc=f"eval {backend}/{retrieval}", unit="q", disable=not progress)
    for q in bar:
        t0 = time.perf_counter()
        try:
            ans = assistant.ask(q.question, history=q.history_dicts() or None, backend=backend, retrieval=retrieval)
        except (LLMError, QuestionError) as exc:
            log.warning("question %s failed: %s", q.id, exc)
            append_record(results_path, EvalRecord(
                id=q.id, type=q.type, question=q.question, error=str(exc), answered=False, refused=False,
                correct=False, key_fact_hits=[False] * len(q.key_facts),
                gold=Gold(sources=resolve_sources(q.sources, notes), answerable=q.answerable),
                timings={"wall_s": round(time.perf_counter() - t0, 4)}))
            continue
        wall = time.perf_counter() - t0
        row = answer_record(q, ans, wall, resolve_sources(q.sources, notes))
        searched = retrieval != RetrievalMode.NONE
        row["retrieved"] = retrieved(assistant, ans.query or q.question, retrieval) if searched else []
        row.update(score_answer(q, ans, judge))
        record = EvalRecord.model_validate(row)
        append_record(results_path, record)
        bar.set_postfix(correct=record.correct)
    ids = {q.id for q in selected}
    records = [r for r in read_records(out) if r.id in ids]
    return write_reports(out, records, selected, config, assistant, make_plots=make_plots)
