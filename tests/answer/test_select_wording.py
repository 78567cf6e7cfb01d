"""Evidence selection reads how passages are written (invented wording): an abbreviation a passage defines lets a
sentence written with it meet a question written with the long form, and a list comes with its lead and items."""

from __future__ import annotations

from assistant.answer.abbreviations import defined_in, with_both_forms
from assistant.answer.select import select_evidence
from assistant.answer.terms import term_set
from tests.answer.conftest import make_passage


def test_definitions_are_read_schwartz_hearst_style() -> None:
    found = {(tuple(sorted(a.short)), tuple(sorted(a.long))) for a in defined_in([
        "Trials reported the number needed to treat (NNT) for half relief.",
        "Rats had a chronic constriction injury (CCI); the dorsal root ganglion (DRG) was taken (n = 8).",
        "The motor area (M1) and the Hz (Hz) are no definitions; nor is a single capital (Q)."])}
    assert (("nnt",), ("need", "number", "treat")) in found
    assert any(short == ("drg",) for short, _ in found) and any(short == ("cci",) for short, _ in found)
    assert not any(short in (("n",), ("m1",), ("hz",), ("q",)) for short, _ in found)


def test_a_sentence_holds_both_forms_and_the_plural() -> None:
    abbr = defined_in(["the number needed to treat (NNT) was pooled"])
    assert {"number", "need", "treat"} <= with_both_forms(term_set("Combined NNTs: drug X 7.7"), abbr)
    assert "nnt" in with_both_forms(term_set("The number needed to treat was high"), abbr)
    assert with_both_forms(term_set("Drug X was safe"), abbr) == term_set("Drug X was safe")


def test_the_sentence_with_the_abbreviation_and_the_asked_drug_is_evidence() -> None:
    defining = make_passage("chen", "Methods", "The main measure was the number needed to treat (NNT) for half relief "
                            "of pain, pooled across all the trials of each class.", rank=1)
    answering = make_passage("inject", "Results", "Pooled NNTs by class: class A 3.1; drug Zeta 7.4; class C 6.0. "
                             "Publication bias inflated the effects by a tenth.", rank=2)
    q = "What number needed to treat for half relief of pain was reported for drug Zeta?"
    best = select_evidence(q, [defining, answering], max_sentences=1, dense={})
    assert len(best) == 1 and "7.4" in best[0].text  # its "NNTs" counts as the question's three words


def test_a_list_comes_whole_its_lead_and_its_items() -> None:
    """An item alone does not say what it is a case of, nor a lead which cases: the evidence takes the list."""
    p = make_passage("chen", "Recommendations", "- The panel found the evidence enough for grade A in two cases:\n"
                                      "- the relief of pain by fast stimulation of the motor strip;\n"
                                      "- the lifting of low mood by fast stimulation of the frontal pole.\n"
                                      "- Grade B went to slow stimulation for ringing in the ears.")
    ev = select_evidence("Which other use got grade A besides pain relief from motor strip stimulation?", [p],
                         max_sentences=1, dense={})
    texts = [e.text for e in ev]
    assert any("two cases" in t for t in texts) and any("low mood" in t for t in texts)
    assert not any("ringing" in t for t in texts)  # the list ends with its last item


def test_the_study_a_question_describes_gives_its_best_sentences_first() -> None:
    """"What did the insular study give, and what came after?": with two sentences of room, the described study's
    two best come before another paper's best; without a study described, each paper gets one."""
    described = make_passage("luo", "Methods", "Rats received 10 Hz insular stimulation for four weeks. "
                             "Afterwards, responders were offered weekly insular sessions.", rank=1)
    other = make_passage("chen", "Results", "Patients received 10 Hz stimulation for four weeks over the motor "
                         "cortex.", rank=2)
    q = "What stimulation did the rats receive for four weeks, and what were responders offered afterwards?"
    both = select_evidence(q, [described, other], max_sentences=2, dense={})
    assert {e.n for e in both} == {1, 2}
    about = select_evidence(q, [described, other], max_sentences=2, dense={}, about=[described.chunk.paper_id])
    assert [e.n for e in about] == [1, 1]


def test_a_question_over_several_studies_takes_each_papers_best_sentence_first() -> None:
    """"What tests did the rat studies use?": a paper whose best sentence shares little of the question still gives
    it before the best paper's second sentence (invented wording)."""
    best = make_passage("luo", "Results", "Rats in the rTMS study were tested with von Frey filaments for "
                        "mechanical pain. Rats in the rTMS study were also tested on the hot plate for heat pain.",
                        rank=1)
    weak = make_passage("chen", "Results", "Sucrose intake was lower after the injury.", rank=2)
    q = "What behavioural tests did the rat rTMS studies use to measure pain, sucrose preference included?"
    plain = select_evidence(q, [best, weak], max_sentences=2, dense={})
    assert [e.n for e in plain] == [1, 1]
    across = select_evidence(q, [best, weak], max_sentences=2, dense={}, across=True)
    assert sorted(e.n for e in across) == [1, 2]
