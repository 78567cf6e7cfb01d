"""The whole PubMedQA path over an invented mini data set (tests/fixtures/pubmedqa, 8 abstracts, 6 questions):
XML records → the project's index builder → `Assistant.ask` → results → scores → reports; the index is built
once and reused, runs resume, and a folder of another configuration is refused. Real MiniLM embedder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.eval.runfiles import RESULTS, RunConfigError, read_results
from assistant.settings import Settings

pytestmark = pytest.mark.integration

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "pubmedqa"
REPORT_KEYS = {"benchmark", "config", "date", "git_commit", "machine", "command", "index", "n_questions",
               "n_results", "complete", "overall", "by_label", "majority", "confusion", "reference_points", "plots"}
OVERALL_KEYS = {"n", "accuracy", "macro_f1", "f1", "answered", "verdicts", "recall@1", "recall@5", "mrr",
                "gold_in_context", "gold_cited", "citation_recall", "citation_precision", "llm_refused",
                "latency_total", "latency_first_token", "flags", "errors"}


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pubmedqa-cache")


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings(backend="extractive", judge="lexical")


def _run(out: Path, cache: Path, settings: Settings, embedder=None, **kw):
    from assistant.eval.pubmedqa import run_pubmedqa

    kw.setdefault("subset", "all")
    return run_pubmedqa(out, settings=settings, data_dir=FIX, cache_dir=cache, progress=False, embedder=embedder,
                        **kw)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, cache, settings, embedder) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("pqa") / "hybrid"
    return out, _run(out, cache, settings, embedder, retrieval="hybrid", command="pytest first run")


def test_first_run_builds_the_index_and_writes_the_reports(first_run):
    out, report = first_run
    for name in ("config.json", "results.jsonl", "report.json", "report.md", "confusion.png", "latency.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    saved = json.loads((out / "report.json").read_text())
    assert set(saved) >= REPORT_KEYS and set(saved["overall"]) >= OVERALL_KEYS
    assert saved["complete"] and saved["n_results"] == 6 and saved["overall"]["errors"] == 0
    assert saved["index"]["reused"] is False and saved["index"]["documents"] == 8
    assert saved["command"] == "pytest first run"
    assert set(saved["by_label"]) == {"yes", "no", "maybe"}
    assert sum(map(sum, saved["confusion"]["matrix"])) == 6
    assert saved["majority"]["accuracy"] == pytest.approx(0.5)
    config = json.loads((out / "config.json").read_text())
    assert config["benchmark"] == "pubmedqa" and config["question_pmids"] and config["machine"]["cpus"]


def test_retrieval_finds_the_gold_abstract(first_run):
    o = first_run[1]["overall"]
    assert o["recall@1"] == 1.0 and o["gold_in_context"] == 1.0
    rows = read_results(first_run[0])
    assert all(r["retrieved"][0]["paper_id"] == r["gold"]["paper_id"] for r in rows)
    assert all(r["passages"] and all(p["section"] for p in r["passages"]) for r in rows)


def test_structured_labels_are_sections_not_text(first_run, cache):
    from assistant.index.store import IndexStore

    idx = json.loads((first_run[0] / "config.json").read_text())["index"]
    s = Settings(corpus_dir=Path(idx["folder"]) / "corpus", index_dir=Path(idx["folder"]) / "index")
    chunks = IndexStore.open(s).chunks
    assert {c.section for c in chunks} >= {"Background", "Materials and Methods", "Results", "Abstract"}
    assert not any(c.text.startswith(("BACKGROUND", "RESULTS", "METHODS", "OBJECTIVE")) for c in chunks)


def test_second_run_reuses_the_index_without_building(first_run, cache, settings, tmp_path, monkeypatch):
    from assistant.eval.pubmedqa import build

    def no_build(*_a, **_k):
        raise AssertionError("the index was built again")

    monkeypatch.setattr(build, "build_index", no_build)
    monkeypatch.setattr("assistant.index.embedding.Embedder.encode", no_build)  # no passage is embedded
    report = _run(tmp_path / "bm25", cache, settings, retrieval="bm25")
    assert report["index"]["reused"] is True and report["index"]["key"] == first_run[1]["index"]["key"]
    assert report["overall"]["recall@1"] is not None and report["config"]["retrieval"] == "bm25"


def test_an_index_an_older_builder_wrote_is_not_reused(first_run, cache, settings, monkeypatch):
    from assistant.eval.pubmedqa import build

    folder = cache / first_run[1]["index"]["key"]
    local = settings.model_copy(update={"corpus_dir": folder / "corpus", "index_dir": folder / "index"})
    assert build._ready(folder, local, first_run[1]["index"]["key"]) is not None
    monkeypatch.setattr(build, "BUILDER_VERSION", build.BUILDER_VERSION + 1)
    assert build._ready(folder, local, first_run[1]["index"]["key"]) is None

def test_run_resumes_and_refuses_another_configuration(cache, settings, tmp_path, monkeypatch):
    from assistant.api import Assistant

    asked: list[str] = []
    real_ask = Assistant.ask

    def counting_ask(self, question, *a, **k):
        asked.append(question)
        return real_ask(self, question, *a, **k)

    monkeypatch.setattr(Assistant, "ask", counting_ask)
    out = tmp_path / "run"
    first = _run(out, cache, settings, retrieval="hybrid", limit=2)
    assert first["n_results"] == 2 and len(asked) == 2
    with (out / RESULTS).open("a") as fh:
        fh.write('{"id": "900000')  # a crash mid-write: ignored and redone
    report = _run(out, cache, settings, retrieval="hybrid")
    assert len(asked) == 6 and report["n_results"] == 6 and report["complete"]
    assert len(read_results(out)) == 6
    with pytest.raises(RunConfigError, match="another configuration"):
        _run(out, cache, settings, retrieval="dense")


def test_oracle_gives_the_gold_abstract_and_verdicts_are_scored(cache, settings, tmp_path, monkeypatch):
    from assistant.api import Assistant

    real_ask = Assistant.ask
    script = {"90000001": "yes", "90000002": "no", "90000003": "mixed", "90000004": "insufficient",
              "90000005": "yes", "90000006": None}
    given: list[set[str]] = []

    def scripted_ask(self, question, *a, passages=None, **k):
        ans = real_ask(self, question, *a, passages=passages, **k)
        given.append({p.doc.paper_id for p in passages or []})
        pmid = next(iter(given[-1])).split(":")[1]
        ans.verdict = script[pmid]  # the model's verdict, scripted
        return ans

    monkeypatch.setattr(Assistant, "ask", scripted_ask)
    report = _run(tmp_path / "oracle", cache, settings, retrieval="oracle")
    assert all(len(g) == 1 for g in given) and len(given) == 6  # one paper each: its own abstract, all passages
    o = report["overall"]
    assert o["gold_in_context"] == 1.0 and o["n_retrieval_scored"] == 0 and o["recall@1"] is None
    # gold: 01 yes, 02 no, 03 maybe, 04 yes, 05 no, 06 yes → right: 01, 02, 03
    assert o["accuracy"] == pytest.approx(0.5)
    assert report["confusion"]["matrix"] == [[1, 0, 0, 2], [1, 1, 0, 0], [0, 0, 1, 0]]
    assert report["by_label"]["maybe"]["accuracy"] == 1.0
    rows = {r["id"]: r for r in read_results(tmp_path / "oracle")}
    assert rows["90000003"]["predicted"] == "maybe" and rows["90000004"]["predicted"] is None


def test_closed_book_searches_nothing(cache, settings, tmp_path):
    report = _run(tmp_path / "none", cache, settings, retrieval="none", limit=2)
    o = report["overall"]
    assert o["n"] == 2 and o["n_retrieval_scored"] == 0 and o["gold_cited"] == 0.0


def test_cli_runs_and_rebuilds_the_report(cache, tmp_path, first_run):
    from typer.testing import CliRunner

    from assistant.cli import _register, app

    _register()
    out = tmp_path / "cli"
    args = ["eval", "pubmedqa", "--backend", "extractive", "--judge", "lexical", "--subset", "all", "--limit", "3",
            "--data", str(FIX), "--cache", str(cache), "--out", str(out), "--no-plots"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "majority (yes)" in r.output and "reused" in r.output
    assert json.loads((out / "report.json").read_text())["n_results"] == 3
    (out / "report.md").unlink()
    r = CliRunner().invoke(app, ["eval", "report", str(out)])
    assert r.exit_code == 0, r.output
    assert (out / "report.md").is_file()
    r = CliRunner().invoke(app, ["eval", "pubmedqa", "--retrieval", "psychic", "--data", str(FIX)])
    assert r.exit_code != 0 and "oracle" in r.output
