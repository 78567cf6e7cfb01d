"""PubMedQA harness without a model or an index: scoring, subset, data folder, XML records and reports.

All data here is invented (tests/fixtures/pubmedqa, or written inline); nothing comes from PubMedQA.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from assistant.eval.dataset import DatasetError
from assistant.eval.pubmedqa import scoring
from assistant.eval.pubmedqa.build import abstract_xml, index_key, indexed_pmids
from assistant.eval.pubmedqa.data import GET_THE_DATA, load_pubmedqa, prepare_from_original
from assistant.eval.pubmedqa.subset import (
    interleave,
    quotas,
    read_subset,
    render_subset,
    select_questions,
    stratified_order,
)
from assistant.settings import Settings

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "pubmedqa"


# --- scoring ---------------------------------------------------------------------------------------------


def test_verdicts_map_to_labels_and_everything_else_predicts_nothing():
    assert scoring.predicted_label("yes") == "yes"
    assert scoring.predicted_label("no") == "no"
    assert scoring.predicted_label("mixed") == "maybe"
    assert scoring.predicted_label("insufficient") is None
    assert scoring.predicted_label(None) is None
    assert scoring.predicted_label("yes", answered=False) is None  # a refusal is a miss


def test_accuracy_macro_f1_and_confusion_by_hand():
    gold = ["yes", "yes", "yes", "no", "no", "maybe"]
    pred = ["yes", "yes", "no", "no", None, "yes"]
    assert scoring.accuracy(gold, pred) == pytest.approx(3 / 6)
    f1 = scoring.f1_scores(gold, pred)
    # yes: tp 2, gold 3, predicted 3 → 4/6; no: tp 1, gold 2, predicted 2 → 2/4; maybe: tp 0 → 0
    assert f1 == pytest.approx({"yes": 4 / 6, "no": 0.5, "maybe": 0.0})
    assert scoring.macro_f1(gold, pred) == pytest.approx((4 / 6 + 0.5 + 0.0) / 3)
    conf = scoring.confusion(gold, pred)
    assert conf["rows"] == ["yes", "no", "maybe"] and conf["columns"] == ["yes", "no", "maybe", "none"]
    assert conf["matrix"] == [[2, 1, 0, 0], [0, 1, 0, 1], [1, 0, 0, 0]]


def test_macro_f1_leaves_out_a_class_neither_gold_nor_predicted():
    assert scoring.f1_scores(["yes", "no"], ["yes", "yes"])["maybe"] is None
    assert scoring.macro_f1(["yes", "no"], ["yes", "yes"]) == pytest.approx((2 / 3 + 0.0) / 2)
    assert scoring.accuracy([], []) is None and scoring.macro_f1([], []) is None


def test_majority_baseline_always_says_yes():
    gold = ["yes"] * 55 + ["no"] * 34 + ["maybe"] * 11
    m = scoring.majority_baseline(gold)
    assert m["accuracy"] == pytest.approx(0.55)
    assert m["macro_f1"] == pytest.approx((2 * 55 / 155) / 3)
    assert m["by_label_accuracy"] == {"yes": 1.0, "no": 0.0, "maybe": 0.0}


def _record(pmid: str, gold: str, verdict: str | None, *, answered: bool = True, ranks: tuple[str, ...] = (),
            cited: bool = False, flags: tuple[str, ...] = (), wall: float = 1.0) -> dict:
    pred = scoring.predicted_label(verdict, answered)
    return {"id": pmid, "gold": {"label": gold, "pmid": pmid, "paper_id": f"pmid:{pmid}"}, "verdict": verdict,
            "predicted": pred, "correct": pred == gold, "answered": answered, "flags": list(flags),
            "retrieved": [{"paper_id": p} for p in ranks], "gold_in_context": cited, "gold_cited": cited,
            "citation_eval": {"recall": 1.0, "precision": 0.5} if answered else None,
            "timings": {"wall_s": wall, "first_token_s": wall / 2, "retrieve_s": 0.01}}


def test_summarise_hand_made_records():
    recs = [
        _record("1", "yes", "yes", ranks=("pmid:1", "pmid:9"), cited=True),
        _record("2", "no", "mixed", ranks=("pmid:9", "pmid:2"), cited=True, flags=("llm-refused",)),
        _record("3", "maybe", None, answered=False, ranks=("pmid:9", "pmid:8", "pmid:7", "pmid:6", "pmid:5",
                                                          "pmid:3")),
        _record("4", "yes", "insufficient", ranks=("pmid:4",), wall=3.0),
    ]
    s = scoring.summarise(recs)
    assert s["n"] == 4 and s["accuracy"] == pytest.approx(0.25)
    assert s["answered"] == pytest.approx(0.75)
    assert s["recall@1"] == pytest.approx(0.5) and s["recall@5"] == pytest.approx(0.75)
    assert s["recall@10"] == pytest.approx(1.0) and s["mrr"] == pytest.approx((1 + 0.5 + 1 / 6 + 1) / 4)
    assert s["gold_cited"] == pytest.approx(0.5) and s["llm_refused"] == pytest.approx(0.25)
    assert s["verdicts"] == {"yes": 1, "mixed": 1, "refused": 1, "insufficient": 1}
    assert s["citation_recall"] == 1.0 and s["citation_precision"] == 0.5 and s["n_citation_scored"] == 3
    assert s["latency_total"]["median_s"] == 1.0 and s["latency_first_token"]["median_s"] == 0.5
    by = scoring.by_label(recs)
    assert list(by) == ["yes", "no", "maybe"] and by["yes"]["accuracy"] == 0.5 and "macro_f1" not in by["yes"]


def test_reports_from_hand_made_records(tmp_path):
    from assistant.eval.pubmedqa.report import write_reports

    recs = [_record("1", "yes", "yes", ranks=("pmid:1",), cited=True), _record("2", "no", None, ranks=("pmid:2",))]
    config = {"benchmark": "pubmedqa", "split": "dev", "subset": "all", "backend": "extractive",
              "retrieval": "hybrid", "judge": "lexical", "settings_hash": "x", "command": "rtms-assistant eval x",
              "index": {"documents": 2, "chunks": 5, "reused": True, "key": "k"}}
    report = write_reports(tmp_path, recs, 3, config)
    assert {p.name for p in tmp_path.iterdir()} >= {"report.json", "report.md", "confusion.png", "latency.png"}
    assert (tmp_path / "confusion.png").read_bytes()[:4] == b"\x89PNG"
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["overall"]["accuracy"] == 0.5 and not saved["complete"] and saved["command"] == config["command"]
    assert saved["majority"]["accuracy"] == 0.5 and saved["reference_points"]["single_human"] == 0.78
    assert report["plots"] == ["confusion.png", "latency.png"]
    md = (tmp_path / "report.md").read_text()
    assert "incomplete run" in md and "majority (yes)" in md and "| gold \\ predicted |" in md


def test_compare_pubmedqa_runs_and_refuse_mixed_kinds(tmp_path):
    from assistant.eval.compare import RunFolderError, compare
    from assistant.eval.pubmedqa.report import write_reports
    from assistant.eval.runfiles import RESULTS, append_result

    config = {"benchmark": "pubmedqa", "split": "dev", "subset": "dev100", "backend": "extractive",
              "judge": "lexical", "settings_hash": "x"}
    for mode, verdict in (("hybrid", "yes"), ("oracle", "no")):
        recs = [_record("1", "yes", verdict, ranks=("pmid:1",)), _record("2", "no", verdict, ranks=("pmid:2",))]
        out = tmp_path / mode
        out.mkdir()
        for r in recs:
            append_result(out / RESULTS, r)
        write_reports(out, recs, 2, {**config, "retrieval": mode}, make_plots=False)
    res = compare([tmp_path / "hybrid", tmp_path / "oracle"], tmp_path / "cmp")
    assert res["benchmark"] == "pubmedqa" and res["labels"] == ["extractive/hybrid", "extractive/oracle"]
    assert "| majority (yes) | 2 | 50.0 |" in res["markdown"] and "macro-F1 %" in res["markdown"]
    assert (tmp_path / "cmp" / "pubmedqa_scores.png").is_file() and (tmp_path / "cmp" / "compare.md").is_file()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "report.json").write_text(json.dumps({"config": {"backend": "x", "retrieval": "y"},
                                                                "overall": {}}))
    with pytest.raises(RunFolderError, match="different benchmarks"):
        compare([tmp_path / "hybrid", tmp_path / "other"])


# --- data folder ------------------------------------------------------------------------------------------


def test_fixture_data_loads():
    d = load_pubmedqa(FIX)
    assert len(d.abstracts) == 8 and len(d.split("dev")) == 6
    a = d.abstracts["90000003"]
    assert a.year is None and a.labels == ["UNLABELLED"]
    assert Counter(q.label for q in d.split("dev")) == {"yes": 3, "no": 2, "maybe": 1}
    with pytest.raises(DatasetError, match="no PubMedQA split 'test'"):
        d.split("test")


def test_missing_data_folder_says_where_to_get_it(tmp_path):
    with pytest.raises(DatasetError) as exc:
        load_pubmedqa(settings=Settings(pubmedqa_dir=tmp_path / "nowhere"))
    msg = str(exc.value)
    for words in ("nowhere", "contexts.jsonl", "dev.jsonl", "github.com/pubmedqa/pubmedqa", "ori_pqal.json",
                  "RTMS_PUBMEDQA_DIR", "final_decision"):
        assert words in msg
    assert GET_THE_DATA in msg


@pytest.mark.parametrize(("contexts", "dev", "words"), [
    ('{"pmid": "1", "labels": ["A"], "contexts": ["x", "y"]}', '{"pmid": "1", "question": "q?", '
     '"final_decision": "yes"}', "1 labels for 2 contexts"),
    ('{"pmid": "1", "labels": ["A"], "contexts": ["x"]}', '{"pmid": "1", "question": "q?", '
     '"final_decision": "perhaps"}', "final_decision"),
    ('{"pmid": "1", "labels": ["A"], "contexts": ["x"]}', '{"pmid": "2", "question": "q?", '
     '"final_decision": "no"}', "no abstract in contexts.jsonl for PMID 2"),
    ('{"pmid": "1", "labels": ["A"], "contexts": ["x"]', '', "contexts.jsonl:1: not valid JSON"),
])
def test_malformed_data_is_an_error_with_its_line(tmp_path, contexts, dev, words):
    (tmp_path / "contexts.jsonl").write_text(contexts + "\n")
    (tmp_path / "dev.jsonl").write_text(dev + "\n")
    with pytest.raises(DatasetError, match=words):
        load_pubmedqa(tmp_path)


def test_lines_split_at_newlines_only(tmp_path):
    # U+2029 (paragraph separator) inside a JSON string is a line break for str.splitlines, not for jsonl
    (tmp_path / "contexts.jsonl").write_text('{"pmid": "1", "labels": [""], "contexts": ["a\u2029b"]}\n',
                                             encoding="utf-8")
    (tmp_path / "dev.jsonl").write_text('{"pmid": "1", "question": "q\u2029?", "final_decision": "yes"}\n',
                                        encoding="utf-8")
    d = load_pubmedqa(tmp_path)
    assert d.abstracts["1"].contexts == ["a\u2029b"]


def test_results_lines_split_at_newlines_only(tmp_path):
    from assistant.eval.runfiles import RESULTS, append_result, read_results

    append_result(tmp_path / RESULTS, {"id": "1", "answer": "one\u2029two"})
    append_result(tmp_path / RESULTS, {"id": "2"})
    assert [r["id"] for r in read_results(tmp_path)] == ["1", "2"]


def test_prepare_from_the_original_release_files(tmp_path):
    ori = {"11": {"QUESTION": "Invented question one?", "CONTEXTS": ["Made-up part."], "LABELS": ["RESULTS"],
                  "MESHES": ["Humans"], "YEAR": "2001", "final_decision": "yes", "LONG_ANSWER": "Made up."},
           "12": {"QUESTION": "Invented question two?", "CONTEXTS": ["Other part."], "LABELS": ["METHODS"],
                  "MESHES": [], "YEAR": "2002", "final_decision": "no", "LONG_ANSWER": "Also made up."}}
    (tmp_path / "ori.json").write_text(json.dumps(ori))
    (tmp_path / "test.json").write_text(json.dumps({"12": "no"}))
    counts = prepare_from_original(tmp_path / "ori.json", tmp_path / "test.json", tmp_path / "data")
    assert counts == {"abstracts": 2, "dev": 1, "test": 1}
    d = load_pubmedqa(tmp_path / "data")
    assert sorted(d.abstracts) == ["11", "12"] and [q.pmid for q in d.split("dev")] == ["11"]
    assert d.abstracts["11"].year == 2001
    (tmp_path / "bad.json").write_text(json.dumps({"13": {"QUESTION": "q?"}}))
    with pytest.raises(DatasetError, match="record 13 lacks"):
        prepare_from_original(tmp_path / "bad.json", tmp_path / "test.json", tmp_path / "data2")


# --- subset ----------------------------------------------------------------------------------------------


def test_quotas_by_largest_remainder():
    assert quotas({"yes": 276, "no": 169, "maybe": 55}, 100) == {"yes": 55, "no": 34, "maybe": 11}
    assert quotas({"yes": 3, "no": 2, "maybe": 1}, 10) == {"yes": 3, "no": 2, "maybe": 1}
    assert sum(quotas({"yes": 7, "no": 7, "maybe": 7}, 10).values()) == 10


def test_interleave_keeps_every_prefix_stratified():
    order = interleave({"yes": [f"y{i}" for i in range(55)], "no": [f"n{i}" for i in range(34)],
                        "maybe": [f"m{i}" for i in range(11)]})
    assert len(order) == 100
    for n in (10, 20, 50):
        c = Counter(p[0] for p in order[:n])
        assert abs(c["y"] - 0.55 * n) <= 1 and abs(c["n"] - 0.34 * n) <= 1 and abs(c["m"] - 0.11 * n) <= 1


def test_stratified_order_is_fixed_and_stratified():
    d = load_pubmedqa(FIX)
    qs = d.split("dev")
    a, b = stratified_order(qs, 3), stratified_order(list(reversed(qs)), 3)
    assert a == b  # file order does not matter
    labels = {q.pmid: q.label for q in qs}
    assert Counter(labels[p] for p in a) == {"yes": 2, "no": 1}  # 1.5 / 1.0 / 0.5 → 2 / 1 / 0
    assert sorted(stratified_order(qs)) == sorted(q.pmid for q in qs)


def test_subset_file_roundtrip_and_selection(tmp_path):
    d = load_pubmedqa(FIX)
    order = stratified_order(d.split("dev"), 4)
    path = tmp_path / "subset.txt"
    path.write_text(render_subset(order))
    assert read_subset(path) == order
    assert [q.pmid for q in select_questions(d, "dev", "dev100", None, path)] == order
    assert [q.pmid for q in select_questions(d, "dev", "dev100", 2, path)] == order[:2]
    assert len(select_questions(d, "dev", "all")) == 6
    path.write_text(render_subset(["12345"]))
    with pytest.raises(DatasetError, match="another release"):
        select_questions(d, "dev", "dev100", None, path)
    with pytest.raises(DatasetError, match="unknown subset"):
        select_questions(d, "dev", "dev50")


def test_committed_subset_file_holds_only_pmids():
    from assistant.eval.pubmedqa.subset import SUBSET_FILE, SUBSET_SIZE

    pmids = read_subset(SUBSET_FILE)
    assert len(pmids) == SUBSET_SIZE == len(set(pmids)) and all(p.isdigit() for p in pmids)
    other = [line for line in SUBSET_FILE.read_text().splitlines() if not line.startswith("#") and not line.isdigit()]
    assert other == []


# --- XML records and index scope ---------------------------------------------------------------------------


def test_abstract_xml_reads_back_as_labelled_sections(tmp_path):
    from assistant.corpus.readers import read_document

    d = load_pubmedqa(FIX)
    p = tmp_path / "a.xml"
    p.write_bytes(abstract_xml(d.abstracts["90000004"]))
    doc = read_document(p)
    assert (doc.kind, doc.pmid, doc.paper_id, doc.year, doc.title, doc.authors) == (
        "abstract", "90000004", "pmid:90000004", 2019, "", [])
    assert [s.title for s in doc.sections] == ["Purpose", "Materials and Methods", "Results"]
    assert doc.sections[2].text == d.abstracts["90000004"].contexts[2]
    p.write_bytes(abstract_xml(d.abstracts["90000003"]))  # unlabelled, no year, '&' and '<' in the text
    doc = read_document(p)
    assert doc.year is None and [s.title for s in doc.sections] == ["Abstract"]
    assert doc.sections[0].text == d.abstracts["90000003"].contexts[0] and "(n < 30)" in doc.sections[0].text


def test_index_scope_and_key():
    d = load_pubmedqa(FIX)
    assert indexed_pmids(d, ["90000001"], None) == sorted(d.abstracts)
    two = indexed_pmids(d, ["90000001"], 2)
    assert len(two) == 3 and "90000001" in two and two == indexed_pmids(d, ["90000001"], 2)
    s = Settings()
    assert index_key(d, two, s) == index_key(d, list(reversed(two)), s)
    assert index_key(d, two, s) != index_key(d, sorted(d.abstracts), s)
    assert index_key(d, two, s) != index_key(d, two, Settings(chunk_tokens=128))


def test_best_yes_threshold_separates_yes_from_no_by_log_odds():
    from assistant.eval.pubmedqa.scoring import best_yes_threshold

    rows = [{"verdict_logodds": lo, "gold": {"label": g}, "answered": True}
            for lo, g in [(2.5, "yes"), (2.1, "yes"), (1.9, "no"), (1.2, "no"), (2.2, "yes"), (0.5, "maybe")]]
    best = best_yes_threshold(rows)
    assert best["threshold"] == 2.1 and best["n"] == 6 and abs(best["accuracy"] - 5 / 6) < 1e-9
    assert best_yes_threshold([{"verdict_logodds": None, "gold": {"label": "yes"}, "answered": True}]) is None
