"""Per-session state and the table helpers of the Corpus and Evidence tabs."""

from __future__ import annotations

import copy
import csv

from webfakes import answer

from assistant.web import tables
from assistant.web.session import ChatSession


def test_history_holds_finished_turns_only_without_markers():
    s = ChatSession(backend="extractive", k=5)
    s.start("Which markers?").answer = answer(text="Iba1 fell [1].")
    s.start("Broken").error = "Server down."
    s.start("Stopped one").partial = "Part [2] of"
    s.turns[-1].stopped = True
    s.start("Running")
    cited = list(dict.fromkeys(c.passage.chunk.paper_id for c in s.turns[0].answer.citations))
    assert cited  # the papers the answer cited go with it: candidates for "that study" in the next question
    assert s.history() == [
        {"role": "user", "content": "Which markers?"},
        {"role": "assistant", "content": "Iba1 fell.", "paper_ids": cited},
        {"role": "user", "content": "Stopped one"}, {"role": "assistant", "content": "Part of"}]


def test_stop_marks_only_a_running_turn():
    s = ChatSession(backend="extractive", k=5)
    assert s.stop() is False
    t = s.start("q")
    assert s.stop() is True and t.stopped and not t.pending
    assert s.stop() is False


def test_deep_copies_do_not_share_turns():
    base = ChatSession(backend="extractive", k=5)
    a, b = copy.deepcopy(base), copy.deepcopy(base)
    a.start("mine")
    assert b.turns == [] and base.turns == []


def test_table_orders_preferred_columns_and_flattens_values():
    rows = [{"title": "T", "zeta": 1, "key": "k1", "authors": ["A a", "B b", "C c", "D d"], "local": ["abstract"],
             "files": {"abstract": ["/x"]}, "flag": True, "missing": None}]
    cols, data = tables.table(rows, tables.CORPUS_COLUMNS)
    assert cols[:4] == ["key", "title", "authors", "local"] and "files" not in cols
    row = dict(zip(cols, data[0], strict=True))
    assert row["authors"] == "A a et al. (4)" and row["local"] == "abstract" and row["flag"] == "yes"
    assert row["missing"] == ""


def test_distinct_values_for_filters():
    rows = [{"marker": "TNF-α"}, {"marker": "iba1"}, {"marker": "BDNF"}, {"marker": "BDNF"}, {"direction": "up"},
            {"marker": ["IL-6", "IL-10"]}]
    assert tables.distinct(rows, "marker") == ["BDNF", "iba1", "IL-10", "IL-6", "TNF-α"]
    assert tables.distinct(rows, "change", "direction") == ["up"]


def test_write_csv_round_trips(tmp_path):
    rows = [{"marker": "IL-1β", "tissue": "brain", "extra": ["a", "b"]}, {"marker": "Iba1", "tissue": "DRG"}]
    path = tables.write_csv(rows, tables.EVIDENCE_COLUMNS, tmp_path / "e" / "ev.csv")
    got = list(csv.DictReader(path.open(encoding="utf-8")))
    assert got == [{"marker": "IL-1β", "tissue": "brain", "extra": "a, b"},
                   {"marker": "Iba1", "tissue": "DRG", "extra": ""}]


def test_a_stopped_turn_with_evidence_only_counts_as_exportable_but_not_as_history():
    from webfakes import evidence_of, yes_no_answer

    s = ChatSession(backend="extractive", k=5)
    t = s.start("Does it?")
    t.evidence = evidence_of(yes_no_answer())
    assert not s.has_answers
    s.stop()
    assert s.has_answers and s.history() == []
    assert copy.deepcopy(s).turns[0].evidence == t.evidence
