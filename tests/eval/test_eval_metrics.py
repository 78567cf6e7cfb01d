"""Metric functions on hand-made cases (invented sentences and passages)."""

from __future__ import annotations

import pytest

from assistant.eval import metrics as m
from assistant.eval.normalise import compact, matches_any, tokens


def words_judge(sentence: str, passages: list[str]) -> bool:
    """Supported when every word of 4+ letters in the sentence occurs in the passages together."""
    have = set(tokens(" ".join(passages)))
    need = {t for t in tokens(sentence) if len(t) >= 4}
    return need <= have


# --- normalisation ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, form", [
    ("Levels of TNF-α fell.", "TNF alpha"),
    ("levels of tnf alpha fell", "TNF-α"),
    ("TNFα decreased", "tnf-alpha"),
    ("IL-1β and IL-6", "IL1beta"),
    ("stimulated at 10-Hz", "10 Hz"),
    ("stimulated at 10Hz", "10 Hz"),
    ("NF-κB signalling", "NF-kappaB"),
    ("β-endorphin rose", "beta endorphin"),
    ("reactive astrocytes", "astrocyte"),
    ("IFN-γ", "interferon gamma".replace("interferon ", "IFN-")),
    ("Iba-1 staining", "Iba1"),
    ("at 120 % of the RMT", "120%"),
    ("a sample of 30,155 people", "30155"),
    ("a sample of 30155 people", "30,155"),
])
def test_forms_match_across_spellings(text: str, form: str) -> None:
    assert matches_any(text, [form])


@pytest.mark.parametrize("text, form", [
    ("IL-60 was measured", "IL-6"),
    ("at 100 Hz", "10 Hz"),
    ("M10 region", "M1"),
    ("the TNF receptor", "TNF-α"),
    ("IL-1 receptor antagonist", "IL-1β"),
    ("1.5 mA", "5 mA"),
    ("a ratio of 1,5", "5"),
])
def test_forms_keep_word_boundaries(text: str, form: str) -> None:
    assert not matches_any(text, [form])


def test_compact_spells_greek_and_drops_separators() -> None:
    assert compact("TNF-α") == compact("tnf alpha") == "tnfalpha"
    assert compact("µ-opioid") == compact("μ opioid") == "muopioid"  # micro sign folds to Greek mu
    assert compact("") == ""
    assert not matches_any("anything", [""])


# --- key facts and LitQA-style scores -----------------------------------------------------------

def test_key_fact_hits_and_correctness() -> None:
    facts = [{"fact": "TNF-α", "any_of": ["tumour necrosis factor alpha"]},
             {"fact": "spinal cord", "any_of": ["spinal"]}]
    assert m.key_fact_hits("It lowered TNF alpha in the spinal dorsal horn [1].", facts) == [True, True]
    hits = m.key_fact_hits("It lowered IL-6 in the spinal cord.", facts)
    assert hits == [False, True]
    assert not m.is_correct(True, True, hits)
    assert m.is_correct(True, True, [True, True])
    assert not m.is_correct(False, True, [True, True])  # a refusal of an answerable question is wrong
    assert m.is_correct(False, False, [])  # refusing an unanswerable question is right
    assert not m.is_correct(True, False, [])
    # citation markers are not part of the answer's text: "[2][3]" does not state the number 23
    assert m.key_fact_hits("The map included 79 studies [1][2][3].", [{"fact": "23"}]) == [False]
    assert m.key_fact_hits("The map included 23 reviews [1][2].", [{"fact": "23"}]) == [True]


def test_litqa_accuracy_precision_coverage() -> None:
    # (answered, correct): 2 right answers, 1 wrong answer, 1 correct refusal, 1 wrong refusal
    rows = [(True, True), (True, True), (True, False), (False, True), (False, False)]
    s = m.litqa_scores(rows)
    assert s["n"] == 5
    assert s["accuracy"] == pytest.approx(3 / 5)
    assert s["precision"] == pytest.approx(2 / 3)
    assert s["coverage"] == pytest.approx(3 / 5)
    assert m.litqa_scores([(False, False)])["precision"] is None
    assert m.litqa_scores([])["accuracy"] is None


def test_refusal_rates() -> None:
    # (answerable_gold, refused)
    rows = [(False, True), (False, True), (False, False), (True, False), (True, False), (True, True), (True, False)]
    r = m.refusal_rates(rows)
    assert r["refusal_rate"] == pytest.approx(2 / 3)
    assert r["wrong_refusal_rate"] == pytest.approx(1 / 4)
    assert m.refusal_rates([(True, False)])["refusal_rate"] is None


# --- ALCE citations -----------------------------------------------------------------------------

P = [
    "Daily rTMS reduced microglial activation in the spinal dorsal horn of injured rats.",
    "Serum cytokine levels were unchanged after sham stimulation.",
    "Stimulation lowered microglial activation and astrocyte reactivity in the spinal dorsal horn.",
]


def test_parse_and_strip_markers() -> None:
    assert m.parse_markers("A [1][3, 4] B [1]") == [1, 3, 4]
    assert m.parse_markers("range [2-4]") == [2, 3, 4]
    assert m.parse_markers("no markers here") == []
    assert m.strip_markers("Microglia fell [1] sharply [2].") == "Microglia fell sharply ."


def test_split_cited_sentences_keeps_trailing_markers() -> None:
    text = "Microglia were reduced [1]. Astrocytes too. [2] Nothing else changed."
    got = m.split_cited_sentences(text)
    assert [mk for _, mk in got] == [[1], [2], []]
    assert got[1][0].startswith("Astrocytes")


def test_supported_single_citation() -> None:
    s = m.score_sentence("rTMS reduced microglial activation in the spinal dorsal horn [1].", [1], P, words_judge)
    assert s.recall == 1
    assert s.citations == [{"n": 1, "relevant": True, "reason": "supports"}]


def test_sentence_without_citation_scores_zero_recall_and_no_citations() -> None:
    r = m.citation_scores([("rTMS reduced microglial activation.", [])], P, words_judge)
    assert r["recall"] == 0.0
    assert r["n_citations"] == 0
    assert r["precision"] == 0.0  # ALCE: an answer with no citations has precision 0


def test_out_of_range_marker() -> None:
    # the sentence would be supported by [1], but [7] points nowhere: recall 0, [7] irrelevant
    s = m.score_sentence("rTMS reduced microglial activation in the spinal dorsal horn [1][7].", [1, 7], P,
                         words_judge)
    assert s.recall == 0
    assert {"n": 7, "relevant": False, "reason": "out-of-range"} in s.citations
    assert {"n": 1, "relevant": True, "reason": "supports"} in s.citations
    only_bad = m.score_sentence("Microglia fell [9].", [9], P, words_judge)
    assert only_bad.recall == 0 and only_bad.citations[0]["reason"] == "out-of-range"
    assert m.score_sentence("x [0]", [0], P, words_judge).recall == 0


def test_redundant_citation_lowers_precision_not_recall() -> None:
    # [1] alone supports the claim; [2] adds nothing and the others without it still support it
    r = m.citation_scores([("rTMS reduced microglial activation in the spinal dorsal horn.", [1, 2])], P, words_judge)
    assert r["recall"] == 1.0
    assert r["precision"] == pytest.approx(1 / 2)
    reasons = {c["n"]: c["reason"] for c in r["sentences"][0]["citations"]}
    assert reasons == {1: "supports", 2: "redundant"}


def test_citations_needed_together_are_both_relevant() -> None:
    # neither passage alone has every word; together they do, and neither is redundant
    claim = "Serum cytokine levels were unchanged after sham stimulation while microglial activation fell."
    ps = ["Serum cytokine levels were unchanged after sham.", "Stimulation: microglial activation fell while."]
    r = m.citation_scores([(claim, [1, 2])], ps, words_judge)
    assert r["recall"] == 1.0 and r["precision"] == 1.0
    assert {c["reason"] for c in r["sentences"][0]["citations"]} == {"needed"}


def test_unsupported_sentence_and_mean_over_sentences() -> None:
    sents = [("rTMS reduced microglial activation in the spinal dorsal horn.", [1]),
             ("It raised serum interleukin levels.", [2])]
    r = m.citation_scores(sents, P, words_judge)
    assert r["recall"] == pytest.approx(0.5)
    assert r["precision"] == pytest.approx(0.5)
    assert r["sentences"][1]["citations"][0]["reason"] == "unsupported"


def test_only_first_three_citations_count() -> None:
    s = m.score_sentence("microglial activation", [4, 1, 2, 3], P + ["extra"], words_judge)
    assert s.markers == [4, 1, 2]


def test_duplicate_markers_count_once() -> None:
    r = m.citation_scores([("rTMS reduced microglial activation in the spinal dorsal horn.", [1, 1])], P,
                          words_judge)
    assert r["n_citations"] == 1 and r["precision"] == 1.0


def test_cached_judge_and_names() -> None:
    calls: list[int] = []

    def counting(sentence: str, passages: list[str]) -> bool:
        calls.append(1)
        return True

    cj = m.CachedJudge(counting)
    assert cj("a", ["b"]) and cj("a", ["b"])
    assert len(calls) == 1 and cj.calls == 1
    assert m.judge_name(cj) == "counting"

    class Named:
        name = "lexical"

        def __call__(self, s: str, p: list[str]) -> bool:
            return False

    assert m.judge_name(Named()) == "lexical"
    assert m.judge_name(m.CachedJudge(Named())) == "lexical"


# --- retrieval and latency ----------------------------------------------------------------------

def test_recall_at_k_and_mrr_over_distinct_papers() -> None:
    retrieved = ["doi:a", "doi:a", "doi:b", "doi:c", "doi:d"]
    assert m.recall_at_k(retrieved, ["doi:c"], 2) == 0.0
    assert m.recall_at_k(retrieved, ["doi:c"], 3) == 1.0  # the repeated paper counts once
    assert m.recall_at_k(retrieved, ["doi:a", "doi:z"], 5) == 0.5
    assert m.recall_at_k(retrieved, [], 5) is None
    assert m.reciprocal_rank(retrieved, ["doi:c", "doi:b"]) == pytest.approx(1 / 2)
    assert m.reciprocal_rank(retrieved, ["doi:z"]) == 0.0
    assert m.reciprocal_rank([], ["doi:z"]) == 0.0


def test_latency_median_and_p95() -> None:
    xs = [float(i) for i in range(1, 21)]  # 1..20
    s = m.latency_stats(xs)
    assert s["median_s"] == pytest.approx(10.5)
    assert s["p95_s"] == pytest.approx(19.05)
    assert m.percentile([3.0], 95) == 3.0
    assert m.latency_stats([])["median_s"] is None
    assert m.mean([None, 1.0, 3.0]) == 2.0
