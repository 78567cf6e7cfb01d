from __future__ import annotations

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
    assert "Passage:" in fake.calls[0][1]["content"] and "yes or no" in fake.calls[0][0]["content"]
