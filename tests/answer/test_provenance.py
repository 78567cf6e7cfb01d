"""Provenance sentences (journal, pages, institution) identify a paper; they are evidence only when asked for."""

from __future__ import annotations

import pytest

from assistant.answer.provenance import asks_origin, is_provenance
from assistant.answer.select import select_evidence
from tests.answer.conftest import make_passage


@pytest.mark.parametrize("sentence", [
    "Lisbon group; Journal of Pain Studies 12:41, published 3 March 2021.",
    "Review by Ortega P and Lund K (University of Tromsø) on glial signalling in chronic pain.",
    "Harbor Hospital (Westfield University) study in Pain Reports volume 7, issue 2, pages 101–109.",
    "This trial from Coastal University Hospital (Chile) asked whether weekly sessions help.",
])
def test_origin_lines_are_provenance(sentence: str) -> None:
    assert is_provenance(sentence)


@pytest.mark.parametrize("sentence", [
    "In the 20 Hz group, allodynia eased within a week.",
    "Twenty female Wistar rats were allocated 1:1 to real or sham stimulation (Westfield University).",
    "The later update (Moreau et al., Clin Neurophysiol 131:474–528) confirmed Level A for M1 stimulation.",
    "Spinal IL-6 fell by 40% after ten sessions.",
])
def test_findings_and_methods_are_not(sentence: str) -> None:
    assert not is_provenance(sentence)


def test_asking_for_the_origin() -> None:
    assert asks_origin("Which journal published the Lisbon study?")
    assert asks_origin("Where was the trial conducted, and by which university?")
    assert not asks_origin("Which markers did the Lisbon study (J Pain Stud) use for microglia?")


def test_a_journal_line_sharing_the_questions_words_is_not_chosen_first() -> None:
    text = ("Lisbon group; Invented J Pain 12:41, published 3 March 2021. "
            "Microglial state was read with iNOS for the pro-inflammatory and CD206 for the anti-inflammatory form. "
            "Rats received 10 Hz stimulation for a week.")
    q = "The Lisbon paper (Invented J Pain): which proteins marked pro-inflammatory versus anti-inflammatory microglia?"
    evidence = select_evidence(q, [make_passage("luo", "Abstract", text)], max_sentences=1, dense={})
    assert [e.text for e in evidence] == [text.split(". ")[1] + "."]
    asked = select_evidence("Which journal published the Lisbon group's 2021 paper?",
                            [make_passage("luo", "Abstract", text)], max_sentences=1, dense={})
    assert asked[0].text.startswith("Lisbon group")
