"""Greedy grammar-constrained sampling that asks the grammar about the best token first.

llama-cpp-python 0.3.36 runs llama.cpp's grammar sampler over the whole candidate array at every step: each of
Qwen's 151,646 tokens is matched against the grammar's stacks, ~20 ms per token on 2 cores, which cut generation
from 32 to 19.5 tokens/s (measured in benchmarks/llm_bench.py). With greedy decoding only the best-scoring token
matters, so this sampler (llama.cpp's own ``common_sampler`` does the same) first checks that one token alone and
runs the grammar over every candidate only when the grammar rejects it. The chosen token is the same either way:
the best token the grammar allows.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np


class ArgmaxFirstGrammar:
    """A llama.cpp sampler (placed before the greedy sampler) owning a grammar sampler of its own."""

    def __init__(self, model: Any, grammar: Any) -> None:
        import llama_cpp

        self._lib = llama_cpp
        self.grammar = llama_cpp.llama_sampler_init_grammar(model.vocab, grammar._grammar.encode("utf-8"),
                                                            grammar._root.encode("utf-8"))
        if not self.grammar:
            raise ValueError("llama.cpp could not build the grammar sampler")
        self._one = (llama_cpp.llama_token_data * 1)()
        self._one_array = llama_cpp.llama_token_data_array(data=self._one, size=1, selected=-1, sorted=False)
        self.checked = self.full = 0  # steps decided by the one-token check / by the whole array

        iface = llama_cpp.llama_sampler_i()
        # the callbacks are kept on self: ctypes frees a callback whose Python object is collected
        self._apply = llama_cpp.llama_sampler_i_apply(lambda _s, cur_p: self.apply(cur_p))
        self._accept = llama_cpp.llama_sampler_i_accept(lambda _s, token: llama_cpp.llama_sampler_accept(
            self.grammar, token))
        self._reset = llama_cpp.llama_sampler_i_reset(lambda _s: llama_cpp.llama_sampler_reset(self.grammar))
        iface.apply, iface.accept, iface.reset = self._apply, self._accept, self._reset
        iface.name = llama_cpp.llama_sampler_i_name(0)
        iface.clone = llama_cpp.llama_sampler_i_clone(0)
        iface.free = llama_cpp.llama_sampler_i_free(0)
        self._iface = iface
        self.sampler = llama_cpp.llama_sampler()
        self.sampler.iface = ctypes.pointer(iface)
        self.sampler.ctx = None

    def apply(self, cur_p: Any) -> None:
        try:
            allowed = self._best_allowed(cur_p.contents)
        except Exception:  # noqa: BLE001 - an error inside a ctypes callback must not leave the grammar unapplied
            allowed = False
        if allowed:
            self.checked += 1
            return  # the greedy sampler picks the best token from the untouched array
        self.full += 1
        self._lib.llama_sampler_apply(self.grammar, cur_p)

    def _best_allowed(self, arr: Any) -> bool:
        """Does the grammar accept the array's single best token? (A tie could let greedy pick another: no.)"""
        n = int(arr.size)
        # llama_token_data is {int32 id; float logit; float p}: view the logits without copying
        data = np.ctypeslib.as_array(ctypes.cast(arr.data, ctypes.POINTER(ctypes.c_float)), shape=(n * 3,))
        logits = data[1::3]
        best = int(np.argmax(logits))
        top = logits[best]
        if not np.isfinite(top) or np.count_nonzero(logits == top) != 1:
            return False
        self._one[0] = arr.data[best]
        self._one_array.selected = -1
        self._lib.llama_sampler_apply(self.grammar, ctypes.byref(self._one_array))
        return bool(np.isfinite(self._one[0].logit))

    def close(self) -> None:
        if self.grammar:
            self._lib.llama_sampler_free(self.grammar)
            self.grammar = None


def install(llama: Any) -> None:
    """Make ``llama`` build its greedy, grammar-constrained samplers with ``ArgmaxFirstGrammar``; every other
    sampling setup (a temperature, mirostat, no grammar) is left to llama-cpp-python."""
    original = llama._init_sampler

    def init_sampler(*, temp: float = 0.8, grammar: Any = None, logits_processor: Any = None,
                     repeat_penalty: float = 1.0, frequency_penalty: float = 0.0, presence_penalty: float = 0.0,
                     mirostat_mode: int = 0, **rest: Any) -> Any:
        neutral = repeat_penalty == 1.0 and frequency_penalty == 0.0 and presence_penalty == 0.0
        if grammar is None or temp != 0.0 or mirostat_mode or not neutral:
            return original(temp=temp, grammar=grammar, logits_processor=logits_processor,
                            repeat_penalty=repeat_penalty, frequency_penalty=frequency_penalty,
                            presence_penalty=presence_penalty, mirostat_mode=mirostat_mode, **rest)
        # the same chain as llama-cpp-python's for temp 0 (logits processor, neutral penalties: nothing, grammar,
        # greedy) with the grammar replaced
        chain = original(temp=temp, grammar=None, logits_processor=logits_processor, **rest)
        import llama_cpp as lib

        last = int(lib.llama_sampler_chain_n(chain.sampler)) - 1
        greedy = lib.llama_sampler_chain_remove(chain.sampler, last)  # the chain ends with its greedy sampler
        fast = ArgmaxFirstGrammar(llama._model, grammar)
        lib.llama_sampler_chain_add(chain.sampler, ctypes.pointer(fast.sampler))
        chain.custom_samplers.append((last, fast))  # taken out of the chain before the chain is freed
        lib.llama_sampler_chain_add(chain.sampler, greedy)
        chain._exit_stack.callback(fast.close)  # runs first (last in, first out), after generation
        llama.last_grammar_sampler = fast
        return chain

    llama._init_sampler = init_sampler

