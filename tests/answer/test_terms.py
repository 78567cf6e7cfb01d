"""Key terms: the named-term check behind the 'question-term-missing' refusal."""

from __future__ import annotations

from assistant.answer.terms import missing_named_terms

PASSAGES = ["In CCI rats, 10 Hz rTMS lowered IL-1β, TNF-α and Iba-1 in the spinal dorsal horn.",
            "Hu et al. 2022: insular rTMS lowered mGluR5 and NMDAR2B."]


def test_a_marker_no_passage_mentions_is_reported():
    assert missing_named_terms("Does rTMS change IL-17 in the spinal cord?", PASSAGES) == {"il17"}
    assert missing_named_terms("How does spinal cord stimulation affect P2X4 and CX3CR1?", PASSAGES) == {
        "p2x4", "cx3cr1"}


def test_markers_spelled_differently_in_the_passages_count_as_present():
    for q in ("Did rTMS lower IL1beta and TNF alpha?", "Which tissue showed less IL-1 beta and Iba1?",
              "What happened to NMDAR2B and mGluR5?", "Did TNFα fall?"):
        assert missing_named_terms(q, PASSAGES) == set(), q


def test_years_numbers_quantities_and_plain_words_are_not_checked():
    q = "In the 2019 study, did 20 Hz rTMS for 10 sessions at 80% RMT reduce microglial activation in BDNF mice?"
    assert missing_named_terms(q, PASSAGES) == set()
    assert missing_named_terms("Does IL-17 rise?", []) == {"il17"}


def test_a_number_joined_to_its_unit_by_a_hyphen_is_the_number_and_the_unit():
    from assistant.answer.terms import term_set

    assert term_set("a 5-day regimen for 4 weeks") == term_set("5 days of a regimen, 4-week")
    assert {"1.5", "fold"} <= term_set("IL-6 rose 1.5-fold")  # the decimal survives
    assert term_set("IL-6 and 10-Hz rTMS") == {"il6", "10hz", "rtms"}  # names and frequencies stay whole


def test_a_rare_word_the_corpus_never_writes_is_what_the_question_is_about() -> None:
    from assistant.answer.terms import rare_unknown_words, term_set

    vocabulary = term_set("rTMS lowered IL-6 in the hippocampus of rats; the tracer was glucose") | {"toledo"}
    question = "Is transcutaneous vagus nerve stimulation better than rTMS at lowering IL-6 in Toledo's rats?"
    assert rare_unknown_words(question, vocabulary, 3.0) == ["transcutaneous", "vagus"]
    # plain English the corpus does not use, a form of a corpus word, and a name the corpus holds do not count
    assert rare_unknown_words("Did the hippocampal tracer beat sham, as Toledo found?", vocabulary, 3.0) == []
    assert rare_unknown_words(question, vocabulary, 0.0) == []  # 0: off


def test_the_gate_refuses_a_question_on_something_the_corpus_never_mentions() -> None:
    from assistant.answer.stages import gate
    from assistant.answer.terms import term_set
    from assistant.answer.turn import Turn
    from assistant.settings import Settings
    from assistant.vocab import AnswerFlag
    from tests.answer.conftest import make_passage

    p = make_passage("luo", "Results", "rTMS lowered IL-6 in the cortex of rats.", dense=0.7)
    vocabulary = term_set(p.chunk.text)
    ask = Turn(question="Does cerebrospinal fluid IL-6 fall after rTMS?", passages=[p])
    s = Settings(refusal_bm25_threshold=0)
    assert gate(ask, s, vocabulary) is AnswerFlag.QUESTION_WORD_UNKNOWN
    assert gate(ask, s, None) is None and gate(ask, Settings(refusal_bm25_threshold=0, refusal_rare_zipf=0),
                                               vocabulary) is None
    assert gate(Turn(question="Does cortical IL-6 fall after rTMS?", passages=[p]), s, vocabulary) is None
