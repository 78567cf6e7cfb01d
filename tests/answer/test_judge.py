from __future__ import annotations

import pytest

from assistant.answer.judge import LexicalJudge, LLMJudge

from .conftest import FACTS, ScriptedLLM

EVIDENCE = [t for _, _, t in FACTS]


def test_lexical_judge_separates_supported_from_unsupported():
    judge = LexicalJudge(0.6).fit(EVIDENCE)
    assert judge.supports("10 Hz rTMS reduced IL-1β and TNF-α in the spinal dorsal horn of CCI rats.", EVIDENCE[0])
    assert judge.supports("Iba-1 staining showed less microglial activation.", EVIDENCE[1])
    # invented content: terms no passage holds weigh most
    assert not judge.supports("rTMS cures migraine in children within one day.", EVIDENCE[0])
    # a salient token (number, cytokine) the passage lacks fails the claim
    assert not judge.supports("20 Hz rTMS lowered IL-1β in the spinal dorsal horn.", EVIDENCE[0])
    assert not judge.supports("rTMS lowered IL-6 in the spinal dorsal horn.", EVIDENCE[0])
    # right claim, wrong passage
    assert not judge.supports("Iba-1 staining showed less microglial activation.", EVIDENCE[2])


def test_llm_judge_uses_model_verdict_and_falls_back_on_garbage():
    fake = ScriptedLLM("Yes.", "no", "¯\\_(ツ)_/¯")
    judge = LLMJudge(fake, LexicalJudge(0.6)).fit(EVIDENCE)
    claim = "Iba-1 staining showed less microglial activation."
    assert judge.supports(claim, EVIDENCE[2]) is True  # the model said yes (wrongly) — its verdict counts
    assert judge.supports(claim, EVIDENCE[1]) is False  # the model said no
    assert judge.supports("Serum BDNF rose after rTMS.", EVIDENCE[3]) is True  # garbage → lexical fallback
    assert len(fake.calls) == 3
    assert judge.supports(claim, EVIDENCE[2]) is True and len(fake.calls) == 3  # cached
    user = fake.calls[0][1]["content"]
    assert user.startswith("Text: ") and "Statement: " in user and "yes or no" in fake.calls[0][0]["content"]


def test_lexical_judge_rejects_a_flipped_direction():
    ev = ("In injured rats rTMS lowered IL-1β and TNF-α in the dorsal horn and raised IL-10 and BDNF. "
          "IL-18 fell whereas GFAP rose.")
    judge = LexicalJudge(0.6).fit([ev, EVIDENCE[1]])
    assert judge.supports("rTMS lowered IL-1β and TNF-α in the dorsal horn.", ev)
    assert judge.supports("IL-10 was increased by rTMS.", ev)
    assert not judge.supports("rTMS reduced IL-10 and BDNF.", ev)  # every word is in the passage, direction is not
    assert not judge.supports("GFAP fell in the rats.", ev)


def test_directions_by_position():
    from assistant.answer.polarity import directions

    d = directions("rTMS lowers IL-1β, IL-6 and TNF-α and raises IL-10. IL-18 levels were significantly increased.")
    assert d == {"il1beta": {"down"}, "il6": {"down"}, "tnfalpha": {"down"}, "il10": {"up"}, "il18": {"up"}}
    assert directions("rTMS acts on microglia in the cord.") == {}
    # a stimulation setting does not move: "raised; 20 Hz rTMS brought it down" gives 20 Hz no direction
    assert directions("Serum TNF-α was raised; 20 Hz rTMS for 11 days brought it down.") == {"tnfalpha": {"up"}}
    ev = "In compressed rats serum TNF-α was raised; 20 Hz rTMS for 11 days brought it down again."
    assert LexicalJudge().fit([ev]).supports("Serum TNF-α rose in compressed rats and fell again with 20 Hz rTMS.", ev)


@pytest.mark.parametrize("text,expected", [
    ("Compression raised GFAP in the ganglion; 20 Hz rTMS for 11 days reversed it.", {"gfap": {"up", "down"}}),
    ("rTMS prevented the increase in GFAP.", {"gfap": {"up", "down"}}),
    ("rTMS attenuated the injury-induced rise of IL-1β and raised IL-10.",
     {"il1beta": {"up", "down"}, "il10": {"up"}}),
    ("Ligation raised GFAP and Iba-1 in the dorsal horn. These changes were reversed by 20 Hz rTMS.",
     {"gfap": {"up", "down"}, "iba1": {"up", "down"}}),
    ("rTMS reversed pain behaviour and increased IL-10.", {"il10": {"up"}}),  # nothing named was reversed
    ("Ligation raised GFAP. Pain was later reversed by rest.", {"gfap": {"up"}}),  # does not point back
])
def test_a_reversal_gives_what_it_reverses_the_other_direction(text, expected):
    from assistant.answer.polarity import directions

    assert directions(text) == expected


def test_a_treatment_that_reversed_an_injury_rise_supports_a_claim_that_it_lowered_it():
    ev = ("Compression raised DRG GFAP, dorsal-horn GFAP and PSD-95 (all P < 0.05). 20 Hz rTMS reversed every one "
          "of these changes.")
    judge = LexicalJudge().fit([ev])
    assert judge.supports("20 Hz rTMS reduced DRG GFAP, dorsal-horn GFAP and PSD-95.", ev)
    assert not judge.supports("20 Hz rTMS reduced IL-10 in the dorsal horn.", ev)  # not in the passage at all


def test_a_number_written_as_a_word_is_checked_as_a_number():
    ev = "Random-effects pooling of 38 randomized controlled trials favoured real over sham rTMS for pain relief."
    judge = LexicalJudge().fit([ev, "Forty systematic reviews qualified for the evidence map."])
    assert not judge.supports("Three randomized controlled trials favoured real over sham rTMS for pain.", ev)
    assert judge.supports("40 systematic reviews qualified for the evidence map.",
                          "Forty systematic reviews qualified for the evidence map.")


def test_the_lexical_judge_knows_a_tissue_by_the_records_names_for_it():
    from assistant.answer.judge import LexicalJudge

    judge = LexicalJudge(0.6).fit(["In the PFC, rTMS increased BDNF and IL-10.", "Other text about rats."])
    assert judge.supports("IL-10 rose in the prefrontal cortex.", "In the PFC, rTMS increased BDNF and IL-10.")
    assert not judge.supports("IL-10 rose in the spinal cord.", "In the PFC, rTMS increased BDNF and IL-10.")
