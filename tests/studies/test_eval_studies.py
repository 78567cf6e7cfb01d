"""`eval studies` on the invented PubMedQA fixture (tests/fixtures/pubmedqa): records, scores, report files, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import _register, app
from assistant.errors import AssistantError
from assistant.eval.studies import abstract_document, load_abstracts, predicted, run_studies, score
from assistant.studies.extract import extract_record

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "pubmedqa"


def test_an_abstract_becomes_a_document_with_one_chunk_per_part() -> None:
    _, abstracts = load_abstracts(FIXTURE)
    a = next(x for x in abstracts if x.pmid == "90000002")
    doc, chunks = abstract_document(a)
    assert doc.paper_id == "pmid:90000002" and doc.kind == "abstract" and not doc.extra
    assert [c.section for c in chunks] == ["Objective", "Design", "Results"]
    assert [c.text for c in chunks] == list(a.contexts)
    rec = extract_record(doc, chunks)
    assert rec.kind_value == "crossover trial"
    assert {"Humans"} == predicted(rec)


def test_run_scores_halves_and_writes_the_report(tmp_path: Path) -> None:
    report = run_studies(tmp_path / "run", data_dir=FIXTURE, dev_size=4)
    dev, held, everything = (report["splits"][k] for k in ("dev", "held-out", "all"))
    assert (dev["n"], held["n"], everything["n"]) == (4, 4, 8)
    humans = everything["headings"]["Humans"]
    # 90000002 (Humans, crossover of commuters) found; 90000003's respondents are read as people, MeSH says nothing
    assert (humans["tp"], humans["fp"], humans["fn"]) == (1, 1, 0)
    animals = everything["headings"]["Animals"]
    assert (animals["tp"], animals["fn"]) == (0, 1)  # snails are no species of ours
    assert everything["rats_f1"] is None  # no support, no prediction: unknown, not 0
    assert report["docs_per_second"] > 0
    saved = json.loads((tmp_path / "run" / "report.json").read_text(encoding="utf-8"))
    assert saved["splits"]["all"]["headings"]["Humans"] == humans
    rows = [json.loads(line) for line in (tmp_path / "run" / "records.jsonl").read_text().splitlines()]
    assert [r["pmid"] for r in rows][:2] == ["90000001", "90000002"] and rows[1]["kind"] == "crossover trial"
    md = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    assert "| held-out | 4 |" in md and "| Humans |" in md


def test_score_counts_precision_recall_f1() -> None:
    rows = [{"gold": ["Humans", "Retrospective Studies"], "pred": ["Humans"], "sizes": 2, "sizes_checked": 2,
             "kind": None},
            {"gold": ["Animals"], "pred": ["Humans", "Retrospective Studies"], "sizes": 0, "sizes_checked": 0,
             "kind": "cohort study"}]
    s = score(rows)
    assert s["headings"]["Humans"]["precision"] == 0.5 and s["headings"]["Humans"]["recall"] == 1.0
    assert s["headings"]["Retrospective Studies"]["f1"] == 0.0
    assert s["human_vs_animal_f1"] == pytest.approx((2 / 3 + 0.0) / 2)
    assert s["sizes"] == {"recorded": 2, "source_states_number": 2, "share_checked": 1.0, "abstracts_with_size": 0.5}


def test_missing_data_says_where_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(AssistantError, match="pubmedqa-prepare"):
        load_abstracts(tmp_path)


def test_cli(tmp_path: Path) -> None:
    _register()
    r = CliRunner().invoke(app, ["eval", "studies", "--data", str(FIXTURE), "--out", str(tmp_path), "--limit", "3"])
    assert r.exit_code == 0, r.output
    assert "| dev | 3 |" in r.output and (tmp_path / "report.md").is_file()
    assert json.loads((tmp_path / "report.json").read_text())["limit"] == 3
