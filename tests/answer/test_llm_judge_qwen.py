"""The LLM citation judge with the real Qwen2.5-Coder-0.5B GGUF (assembled by `make run`; skipped where it is not).

Guards the judge prompt: an earlier framing made this model answer "no" to every pair. On short pairs like these
the 0.5B model is right; on the long passages of real answers it is not (eval/README.md), which is why the
default LLM judge is the answer model.
"""

from __future__ import annotations

import importlib.util

import pytest

from assistant.answer.judge import LexicalJudge, LLMJudge
from assistant.answer.llm import LlamaCppBackend
from assistant.answer.model_files import JUDGE_MODEL, default_path
from assistant.settings import Settings

SETTINGS = Settings(llm_context=2048, llm_temperature=0.0)
MODEL = default_path(SETTINGS, JUDGE_MODEL)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is not installed"),
    pytest.mark.skipif(not MODEL.is_file(), reason=f"{MODEL} not assembled (run `make run`)"),
]

IL_PASSAGE = "In CCI rats, 10 Hz rTMS over M1 reduced IL-1β and TNF-α in the ipsilateral spinal dorsal horn."
PAIRS = [
    ("rTMS lowered IL-1β and TNF-α in the spinal dorsal horn of CCI rats.", IL_PASSAGE, True),
    ("rTMS raised IL-10 and BDNF in the brain.",
     "In cortical and subcortical tissue, rTMS increases the anti-inflammatory cytokine IL-10 and the neurotrophin "
     "BDNF.", True),
    ("rTMS cured diabetes in every patient.", IL_PASSAGE, False),
    ("Ketamine at 0.35 mg/kg relieves CRPS pain.",
     "The review covers rTMS effects on the brain, spinal cord, dorsal root ganglia and peripheral nerve.", False),
]


def test_small_judge_says_yes_to_supported_and_no_to_unsupported_claims():
    judge = LLMJudge(LlamaCppBackend(MODEL, SETTINGS), LexicalJudge()).fit([p for _, p, _ in PAIRS])
    verdicts = [judge.supports(claim, passage) for claim, passage, _ in PAIRS]
    assert verdicts == [expected for _, _, expected in PAIRS]
