from __future__ import annotations

import pytest

from assistant.answer.conversation import heuristic_rewrite, is_follow_up, normalise_history, resolve
from assistant.answer.engine import AnswerEngine
from assistant.errors import QuestionError
from assistant.settings import Settings

from .conftest import ScriptedLLM

FIRST = "Which pro-inflammatory cytokines does rTMS reduce?"
HISTORY = [{"role": "user", "content": FIRST}, {"role": "assistant", "content": "IL-1β and TNF-α [1]."}]


def test_follow_up_detection():
    assert is_follow_up("and in which tissue?", True)
    assert is_follow_up("What frequency did they use?", True)
    assert not is_follow_up("and in which tissue?", False)  # nothing to follow
    assert not is_follow_up("Does rTMS change microglial activation in the spinal dorsal horn of CCI rats?", True)


def test_heuristic_rewrite_merges_previous_key_terms():
    q = resolve("and in which tissue?", HISTORY)
    assert q.startswith("In which tissue?")
    for word in ("pro-inflammatory", "cytokines", "rTMS"):
        assert word in q
    assert "Which" not in q.split("?", 1)[1]  # question words are not carried over
    # standalone questions pass through unchanged
    standalone = "Does rTMS change microglial activation in the spinal dorsal horn of CCI rats?"
    assert resolve(standalone, HISTORY) == standalone


def test_heuristic_rewrite_chains_follow_ups():
    hist = HISTORY + [{"role": "user", "content": "and in which tissue?"}, {"role": "assistant", "content": "x"}]
    q = resolve("What frequency did they use?", hist)
    assert q.startswith("What frequency did they use?") and "cytokines" in q and "tissue" in q
    assert heuristic_rewrite("and at what dose?", "") == "At what dose?"


def test_llm_rewrite_used_when_sane_else_heuristic():
    good = ScriptedLLM("In which tissue does rTMS reduce pro-inflammatory cytokines?")
    assert resolve("and in which tissue?", HISTORY, good) == "In which tissue does rTMS reduce pro-inflammatory " \
                                                             "cytokines?"
    assert "Last question: and in which tissue?" in good.calls[0][1]["content"]
    bad = ScriptedLLM("")  # empty → heuristic
    assert resolve("and in which tissue?", HISTORY, bad).startswith("In which tissue? (")


def test_normalise_history_accepts_content_blocks_and_rejects_junk():
    hist = normalise_history([
        {"role": "user", "content": [{"type": "text", "text": FIRST}]},
        {"role": "assistant", "content": {"text": "IL-1β [1]."}},
        {"role": "system", "content": "ignored"},
        {"role": "user", "content": "   "},
    ])
    assert hist == [{"role": "user", "content": FIRST}, {"role": "assistant", "content": "IL-1β [1]."}]
    with pytest.raises(QuestionError, match="history item 0"):
        normalise_history(["just a string"])


def test_answer_records_the_query_actually_searched(search):
    e = AnswerEngine(Settings(backend="extractive", refusal_threshold=0.3, top_k=4), search)
    a = e.ask("and in which tissue?", history=HISTORY)
    assert a.question == "and in which tissue?"
    assert a.query != a.question and "cytokines" in a.query
    assert search.calls[-1][0] == a.query
    assert a.answerable and "spinal" in a.answer.lower()
