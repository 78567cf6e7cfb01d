"""Runner, reports, plots, compare and calibration against a fake Assistant (no index, no model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.answer.contracts import REFUSAL, Answer, SentenceCheck
from assistant.corpus.contracts import DocumentMeta
from assistant.eval import calibrate
from assistant.eval.compare import RunFolderError, compare, load_run
from assistant.eval.dataset import Question
from assistant.eval.records import EvalRecord, read_records
from assistant.eval.runner import RunConfigError, read_results, run_eval
from assistant.index.contracts import Chunk, IndexManifest, Passage
from assistant.settings import Settings

PAPERS = {
    "doi:10.1000/alpha": "Invented study: daily 10 Hz stimulation lowered spinal Iba1 in injured rats.",
    "doi:10.1000/beta": "Invented trial: 5 Hz sessions gave small pain relief in patients.",
    "doi:10.1000/gamma": "Invented review: microglia and astrocytes drive central sensitization.",
}


def passage(pid: str, rank: int, cos: float) -> Passage:
    doc = DocumentMeta(doc_id=f"{pid}#evidence-note", paper_id=pid, kind="evidence-note", title=pid,
                       authors=["Doe J"], year=2020, source=f"digest/{pid.split('/')[-1]}.md")
    text = PAPERS[pid]
    chunk = Chunk(chunk_id=f"c{rank}{pid[-3:]}", doc_id=doc.doc_id, paper_id=pid, ord=0, char_start=0,
                  char_end=len(text), text=text)
    return Passage(chunk=chunk, doc=doc, score=1.0 / rank, dense_score=cos, rank=rank)


class FakeAssistant:
    """Answers from a fixed script; 'unknown' questions get low cosines and a refusal."""

    def __init__(self) -> None:
        self.settings = Settings(backend="extractive", retrieval="hybrid")
        self.asked: list[str] = []
        self.modes: list[str | None] = []
        self.searched: list[str] = []
        self.warmed: list[tuple[str | None, bool]] = []

    def documents(self) -> dict[str, DocumentMeta]:
        return {p.doc.doc_id: p.doc for p in (passage(pid, 1, 0.5) for pid in PAPERS)}

    def index_manifest(self) -> IndexManifest:
        return IndexManifest(built_at="2024-01-01", counts={"documents": 3, "chunks": 3}, index_hash="h1")

    def warm_up(self, backend: str | None = None, search: bool = True) -> dict[str, float]:
        self.warmed.append((backend, search))
        return {}

    def search(self, query: str, k: int | None = None, *, mode: str | None = None, **_: Any) -> list[Passage]:
        self.searched.append(query)
        if "unknown" in query:
            return [passage("doi:10.1000/gamma", 1, 0.21), passage("doi:10.1000/beta", 2, 0.18)]
        if "trial" in query:
            return [passage("doi:10.1000/beta", 1, 0.62), passage("doi:10.1000/alpha", 2, 0.4)]
        return [passage("doi:10.1000/alpha", 1, 0.71), passage("doi:10.1000/gamma", 2, 0.35)]

    def ask(self, question: str, history: list[dict[str, Any]] | None = None, backend: str | None = None,
            k: int | None = None, retrieval: str | None = None) -> Answer:
        self.asked.append(question)
        self.modes.append(retrieval)
        if retrieval == "none":  # as the extractive backend does closed book: nothing to extract from
            return Answer(question=question, query=question, answer=REFUSAL, answerable=False, flags=["closed-book"],
                          backend="extractive", retrieval="none")
        ps = self.search(question)
        if "unknown" in question:
            return Answer(question=question, query=question, answer=REFUSAL, answerable=False, passages=ps,
                          backend="extractive", timings={"retrieve_s": 0.01, "first_token_s": 0.0, "total_s": 0.02})
        text = ps[0].chunk.text.replace("Invented study: ", "").replace("Invented trial: ", "")
        sent = SentenceCheck(text=text + " [1]", markers=[1], supported=True)
        return Answer(question=question, query=question, answer=sent.text, answerable=True, passages=ps,
                      sentences=[sent], backend="extractive",
                      timings={"retrieve_s": 0.01, "first_token_s": 0.0, "total_s": 0.03})


def lexical(sentence: str, passages: list[str]) -> bool:
    from assistant.eval.normalise import tokens

    return set(t for t in tokens(sentence) if len(t) > 3) <= set(tokens(" ".join(passages)))


QS = [
    Question(id="q-rat", question="Which marker fell in injured rats?", answer="Iba1",
             key_facts=[{"fact": "Iba1", "any_of": ["Iba-1"]}, {"fact": "10 Hz"}], sources=["doi:10.1000/alpha"],
             type="factoid"),
    Question(id="q-trial", question="What did the trial at 5 Hz find?", answer="small relief",
             key_facts=[{"fact": "5 Hz"}, {"fact": "large relief"}], sources=["doi:10.1000/beta"], type="parameter"),
    Question(id="q-none", question="What is the unknown dose?", answer=REFUSAL, type="unanswerable"),
    Question(id="q-fu", question="And in which tissue?", answer="spinal cord",
             history=[{"role": "user", "content": "What did rTMS lower?"}, {"role": "assistant", "content": "Iba1."}],
             key_facts=[{"fact": "spinal"}], sources=["note:alpha", "doi:10.1000/gamma"], type="follow-up"),
]


def test_run_writes_every_output_and_scores(tmp_path: Path) -> None:
    fa = FakeAssistant()
    report = run_eval(fa, QS, tmp_path, retrieval="hybrid", judge=lexical, progress=False)
    for name in ("results.jsonl", "report.json", "report.md", "config.json", "accuracy_by_type.png",
                 "citations.png", "latency.png"):
        assert (tmp_path / name).is_file() and (tmp_path / name).stat().st_size > 0, name
    rows = {r["id"]: r for r in read_results(tmp_path)}
    assert rows["q-rat"]["correct"] and rows["q-rat"]["key_fact_hits"] == [True, True]
    assert rows["q-trial"]["key_fact_hits"] == [True, False] and not rows["q-trial"]["correct"]
    assert rows["q-none"]["refused"] and rows["q-none"]["correct"]
    # the note: source was resolved to the paper id through the index documents
    assert rows["q-fu"]["gold"]["sources"] == ["doi:10.1000/alpha", "doi:10.1000/gamma"]
    assert rows["q-rat"]["citation_eval"]["recall"] == 1.0
    o = report["overall"]
    assert o["key_fact_accuracy"] == pytest.approx(2 / 3)  # q-rat and q-fu ("spinal" in the answer)
    assert o["refusal_rate"] == 1.0 and o["wrong_refusal_rate"] == 0.0
    assert o["litqa_accuracy"] == pytest.approx(3 / 4) and o["litqa_precision"] == pytest.approx(2 / 3)
    assert o["recall@1"] == pytest.approx((1 + 1 + 0.5) / 3)  # q-fu: 1 of its 2 gold papers first
    assert o["recall@5"] == 1.0 and o["mrr"] == 1.0
    assert report["config"]["judge"] == "lexical" and report["config"]["backend"] == "extractive"
    assert set(report["by_type"]) == {"factoid", "parameter", "unanswerable", "follow-up"}
    md = (tmp_path / "report.md").read_text()
    assert "judge: **lexical**" in md and "| follow-up |" in md
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["plots"] == ["accuracy_by_type.png", "citations.png", "latency.png"]
    assert saved["machine"]["cpus"]


def test_rerun_resumes_and_skips_finished_questions(tmp_path: Path) -> None:
    fa = FakeAssistant()
    run_eval(fa, QS, tmp_path, judge=lexical, limit=2, progress=False, make_plots=False)
    assert len(fa.asked) == 2
    # a crash mid-write leaves a broken last line: it is ignored and redone
    with (tmp_path / "results.jsonl").open("a") as fh:
        fh.write('{"id": "q-none", "trunc')
    fa2 = FakeAssistant()
    rep = run_eval(fa2, QS, tmp_path, judge=lexical, progress=False, make_plots=False)
    assert fa2.asked == [q.question for q in QS[2:]]
    assert rep["n_results"] == 4 and rep["complete"]


def test_rebuild_report_from_results(tmp_path: Path) -> None:
    from assistant.eval.runner import rebuild_report

    first = run_eval(FakeAssistant(), QS, tmp_path, judge=lexical, limit=3, progress=False, make_plots=False)
    (tmp_path / "report.json").unlink()
    again = rebuild_report(tmp_path, QS)
    assert again["overall"] == first["overall"] and again["n_results"] == 3
    assert (tmp_path / "report.json").is_file() and (tmp_path / "latency.png").is_file()
    with pytest.raises(RunConfigError, match="no results"):
        rebuild_report(tmp_path / "empty", QS)


def test_limit_takes_questions_round_robin_across_types() -> None:
    from assistant.eval.runner import select

    qs = [QS[0].model_copy(update={"id": f"f{i}"}) for i in range(3)] + QS[1:]
    assert [q.id for q in select(qs, 3)] == ["f0", "q-trial", "q-none"]
    assert [q.id for q in select(qs, 5)] == ["f0", "f1", "q-trial", "q-none", "q-fu"]
    assert select(qs, None) == qs and select(qs, 99) == qs


def test_other_configuration_in_same_folder_is_refused(tmp_path: Path) -> None:
    run_eval(FakeAssistant(), QS[:1], tmp_path, judge=lexical, progress=False, make_plots=False)
    with pytest.raises(RunConfigError, match="another configuration"):
        run_eval(FakeAssistant(), QS[:1], tmp_path, judge=lexical, retrieval="none", progress=False)
    with pytest.raises(RunConfigError, match="unknown retrieval"):
        run_eval(FakeAssistant(), QS[:1], tmp_path / "x", judge=lexical, retrieval="tfidf", progress=False)


def test_closed_book_extractive_refuses_everything(tmp_path: Path) -> None:
    fa = FakeAssistant()
    rep = run_eval(fa, QS, tmp_path, retrieval="none", judge=lexical, progress=False, make_plots=False)
    assert len(fa.asked) == len(QS) and set(fa.modes) == {"none"} and fa.searched == []
    o = rep["overall"]
    assert o["litqa_coverage"] == 0.0 and o["refusal_rate"] == 1.0 and o["wrong_refusal_rate"] == 1.0
    assert o["recall@5"] is None  # nothing retrieved in closed book


def test_compare_and_calibrate(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    run_eval(FakeAssistant(), QS, a, judge=lexical, progress=False, make_plots=False)
    run_eval(FakeAssistant(), QS, b, retrieval="none", judge=lexical, progress=False, make_plots=False)
    res = compare([a, b], tmp_path / "cmp")
    assert res["labels"] == ["extractive/hybrid", "extractive/none"]
    assert "| extractive/none |" in res["markdown"]
    for name in ("compare.md", "accuracy_by_type.png", "citations.png", "latency.png"):
        assert (tmp_path / "cmp" / name).is_file()
    with pytest.raises(RunFolderError):
        load_run(tmp_path / "missing")

    recs = read_records(a)
    rows = calibrate.sweep(recs, [0.1, 0.3, 0.5, 0.65, 0.8], top_k=5, run_threshold=0.1)
    by_t = {r["threshold"]: r for r in rows}
    assert by_t[0.3]["wrong_refusal_rate"] == 0.0 and by_t[0.3]["refusal_rate"] == 1.0
    assert by_t[0.65]["wrong_refusal_rate"] == pytest.approx(1 / 3)  # q-trial (best cosine 0.62)
    assert by_t[0.8]["wrong_refusal_rate"] == 1.0 and by_t[0.8]["coverage"] == 0.0
    chosen = calibrate.choose_threshold(rows)
    assert chosen is not None and chosen["threshold"] == 0.1
    assert calibrate.distribution(recs)["unanswerable"] == [0.21]
    assert "**←**" in calibrate.markdown(rows, chosen)


def test_rescore_judges_again_without_regenerating(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.eval import dataset, runner

    src = tmp_path / "src"
    run_eval(FakeAssistant(), QS, src, judge=lexical, progress=False, make_plots=False)
    before = (src / "results.jsonl").read_text()
    monkeypatch.setattr(dataset, "DEFAULT_QUESTIONS", tmp_path / "q.jsonl")
    (tmp_path / "q.jsonl").write_text("\n".join(q.model_dump_json() for q in QS) + "\n")

    def never(sentence: str, passages: list[str]) -> bool:
        return False

    rep = runner.rescore(src, tmp_path / "re", never, progress=False)
    assert rep["config"]["judge"] == "never" and rep["config"]["rescored_from"] == str(src)
    assert rep["overall"]["citation_recall"] == 0.0 and rep["overall"]["citation_precision"] == 0.0
    assert rep["overall"]["key_fact_accuracy"] == pytest.approx(2 / 3)  # answers unchanged
    assert (src / "results.jsonl").read_text() == before
    with pytest.raises(RunConfigError):
        runner.rescore(src, src, never, progress=False)


def test_cli_compare_calibrate_and_report(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    import assistant.cli.eval_cmds  # noqa: F401  (registers the `eval` commands)
    from assistant.cli import app

    a, b = tmp_path / "a", tmp_path / "b"
    run_eval(FakeAssistant(), QS, a, judge=lexical, progress=False, make_plots=False)
    run_eval(FakeAssistant(), QS, b, retrieval="none", judge=lexical, progress=False, make_plots=False)
    runner = CliRunner()
    res = runner.invoke(app, ["eval", "compare", str(a), str(b), "--markdown"])
    assert res.exit_code == 0, res.output
    assert "| extractive/hybrid |" in res.output and "| extractive/none |" in res.output
    res = runner.invoke(app, ["eval", "calibrate", str(a), "--start", "0.1", "--stop", "0.8", "--step", "0.1",
                              "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["signal"] == "dense" and len(data["rows"]) == 8 and data["auc"] == 1.0
    res = runner.invoke(app, ["eval", "calibrate", str(a), "--signal", "cosine"])
    assert res.exit_code != 0
    res = runner.invoke(app, ["eval", "compare", str(tmp_path / "nothing")])
    assert res.exit_code != 0


def test_sweep_marks_rows_inexact_only_when_the_run_gate_refused_something() -> None:
    def rec(gold: bool, answered: bool, cos: float, bm25: float, flags: list[str]) -> EvalRecord:
        return EvalRecord(id=f"q{cos}", type="factoid", question="?", gold={"answerable": gold}, answered=answered,
                          key_fact_hits=[answered] if gold else [], best_dense=cos,
                          retrieved=[{"dense_score": cos, "bm25_score": bm25}], flags=flags)

    recs = [rec(True, True, 0.6, 5.0, []), rec(False, True, 0.5, 1.0, []), rec(True, False, 0.25, 0.5, [])]
    rows = calibrate.sweep(recs, [0.2, 0.55], run_threshold=0.3)
    assert all(r["exact"] for r in rows)
    assert rows[1]["refusal_rate"] == 1.0 and rows[1]["wrong_refusal_rate"] == 0.5
    bm = calibrate.sweep(recs, [2.0], run_threshold=0.3, signal="bm25")
    assert bm[0]["refusal_rate"] == 1.0 and bm[0]["key_fact_accuracy"] == 0.5 and bm[0]["exact"]
    recs[2].flags = ["below-threshold"]
    rows = calibrate.sweep(recs, [0.2, 0.55], run_threshold=0.3)
    assert [r["exact"] for r in rows] == [False, True]
    assert calibrate.auc(recs, signal="bm25") == 0.5  # answerable 5.0 and 0.5 against unanswerable 1.0
    # the dense gate is held fixed in a BM25 sweep; only the BM25 gate's own refusals make lower rows inexact
    assert calibrate.sweep(recs, [2.0], run_threshold=0.8, signal="bm25")[0]["exact"]
    recs[2].flags = ["below-bm25-threshold"]
    assert [r["exact"] for r in calibrate.sweep(recs, [0.5, 1.0], run_threshold=0.8, signal="bm25")] == [False, True]
    recs[1].retrieved[0]["bm25_rel"] = 0.2  # relative scores win over raw ones once a run records them
    assert calibrate.best_score(recs[1], signal="bm25") == 0.2


def test_citation_judges_see_the_passage_as_cited_label_then_text():
    from assistant.eval.runner import cited_texts, passage_label

    p = {"first_author": "Bai", "year": 2023, "title": "rTMS and neuroinflammation", "section": "Spinal cord",
         "text": "IL-1β fell after 10 Hz rTMS."}
    label = passage_label(p)
    assert label == "Bai 2023. rTMS and neuroinflammation. Spinal cord"
    assert cited_texts([{"label": label, "text": p["text"]}]) == [f"{label}\nIL-1β fell after 10 Hz rTMS."]
    assert cited_texts([{"text": "bare"}]) == ["bare"]  # runs recorded without labels


def test_eval_warms_up_through_the_facade_and_reads_documents_from_it(tmp_path: Path) -> None:
    fa = FakeAssistant()
    run_eval(fa, QS[:1], tmp_path / "hybrid", judge=lexical, progress=False, make_plots=False)
    closed = FakeAssistant()
    run_eval(closed, QS[:1], tmp_path / "none", retrieval="none", judge=lexical, progress=False, make_plots=False)
    assert fa.warmed == [("extractive", True)] and closed.warmed == [("extractive", False)]
    report = json.loads((tmp_path / "hybrid" / "report.json").read_text())
    assert report["index"]["counts"] == {"documents": 3, "chunks": 3} and report["index"]["index_hash"] == "h1"
