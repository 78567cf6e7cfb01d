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

