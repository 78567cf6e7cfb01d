"""The whole answer pipeline with the real default model (Qwen2.5-Coder-1.5B, assembled by `make test` and
`make run`) over an invented corpus: one yes/no question, one follow-up, one refusal."""

from __future__ import annotations

import importlib.util
import re

import pytest

from assistant.answer.contracts import REFUSAL, Evidence
from assistant.answer.model_files import ANSWER_MODEL, default_path
from assistant.api import Assistant
from assistant.settings import Settings

MODEL = default_path(Settings(), ANSWER_MODEL)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is not installed"),
    pytest.mark.skipif(not MODEL.is_file(), reason=f"{MODEL} not assembled (run `make test` or `make run`)"),
]
WELL_FORMED = re.compile(r"(?:(?:Yes|No)\. )?[^\[\]\n]+? (?:\[\d\]){1,3}\.(?: [^\[\]\n]+? (?:\[\d\]){1,3}\.)*")


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    from tests.conftest import write_small_corpus

    root = tmp_path_factory.mktemp("qwen")
    write_small_corpus(root)
    s = Settings(corpus_dir=root / "corpus", index_dir=root / "index", backend="llama-cpp")
    Assistant(s).build_index(progress=False)
    return Assistant.load(s)


SLEEP = "Were sleep problems linked to opioid use in people attending chronic pain clinics?"
"""A yes/no question no study record types (no marker): the model's verdict probe decides it."""


def test_yes_no_question_on_a_recorded_finding_is_decided_by_the_records(assistant):
    """A marker the records hold, in the tissue asked ("spinal"; the motor cortex is where the stimulation went):
    the verdict aggregates the matching studies' findings, cited to the finding's sentence."""
    ans = assistant.ask("Did spinal IL-1β fall after motor cortex stimulation in the nerve-injured rats?")
    assert ans.verdict == "yes" and "from-records" in ans.flags, (ans.answer, ans.flags)
    assert ans.plan is not None and tuple(ans.plan["tissues"]) == ("spinal cord",)
    assert any(c.passage.doc.doi == "10.9999/alpha.2020" and c.supported for c in ans.citations)


@pytest.mark.parametrize("mode", ["findings", "evidence"])
def test_yes_no_question_gets_a_checked_verdict_and_well_formed_markers(assistant, mode):
    """``findings``: the verdict first, then the model says which result decides it (no markers of its own; the
    check cites the findings' passages). ``evidence``: the grammar-constrained answer, the verdict after it."""
    use = Assistant.load(assistant.settings.model_copy(update={"yes_no_answer": mode}))
    items = list(use.stream(SLEEP))
    assert isinstance(items[0], Evidence) and items[0].yes_no and items[0].sentences
    ans = items[-1]
    assert ans.answerable and ans.verdict == "yes", (ans.raw_answer, ans.flags)
    if mode == "findings":
        assert ans.raw_answer.startswith("Yes. ") and "[" not in ans.raw_answer, ans.raw_answer
        assert WELL_FORMED.fullmatch(ans.answer), ans.answer
    else:
        assert WELL_FORMED.fullmatch(ans.raw_answer), ans.raw_answer
    assert any(c.passage.doc.doi == "10.9999/delta.2018" and c.supported for c in ans.citations)
    assert ans.answer.startswith("Yes. ")
    basis = ans.verdict_basis  # the verdict probe read the best paper's results: the answer says which
    assert basis is not None and basis.text and basis.paper_id == ans.passages[0].chunk.paper_id, ans.flags


def test_follow_up_is_resolved_and_answered_from_the_same_study(assistant):
    first = assistant.ask("Which interleukin fell in the spinal cord of rats after cortical stimulation?")
    assert first.answerable and "IL-1β" in first.answer
    history = [{"role": "user", "content": first.question},
               {"role": "assistant", "content": first.answer,
                "paper_ids": [c.passage.chunk.paper_id for c in first.citations]}]
    ans = assistant.ask("By how much did it fall, and what stimulation produced it?", history=history)
    assert ans.query != ans.question and re.search(r"IL-1β|interleukin", ans.query, re.I), ans.query
    assert ans.answerable and "forty" in ans.answer.lower() and "10 Hz" in ans.answer, ans.answer
    assert all(c.passage.doc.doi == "10.9999/alpha.2020" for c in ans.citations if c.supported)


def test_out_of_corpus_question_is_refused_before_generation(assistant):
    items = list(assistant.stream("What ketamine infusion dose is recommended for complex regional pain syndrome?"))
    ans = items[-1]
    assert not ans.answerable and ans.answer == REFUSAL and ans.verdict is None
    assert isinstance(items[0], Evidence) and items[0].refused and ans.raw_answer == ""


def test_three_turn_conversation_and_which_studies_from_records(assistant):
    """The plan over study records with the real model: a three-turn conversation stays on its study (the design
    turns are answered from its record, not refused, no "Yes." before them) and "which studies" lists each."""
    from tests.answer.test_records_end_to_end import make_records

    use = Assistant.load(assistant.settings)
    recs = make_records(use)
    use.study_records = lambda: recs  # type: ignore[method-assign]
    first = use.ask("What did cortical stimulation do to spinal IL-1β in rats with a constricted sciatic nerve?")
    assert first.answerable and "IL-1β" in first.answer, first.answer
    history = [{"role": "user", "content": first.question},
               {"role": "assistant", "content": first.answer,
                "paper_ids": list(dict.fromkeys(c.passage.chunk.paper_id for c in first.citations))}]
    second = use.ask("Were these animals or patients, and was there a sham group?", history=history)
    assert second.answerable and second.verdict is None and not second.answer.startswith("Yes"), second.answer
    assert "Rats" in second.answer and "sham" in second.answer
    history += [{"role": "user", "content": second.question}, {"role": "assistant", "content": second.answer}]
    third = use.ask("How long did that treatment last?", history=history)
    assert third.answerable and "fourteen days" in third.answer, third.answer
    which = use.ask("Which studies report IL-1β falling, and in which model?")
    assert which.answerable and "Testa et al. 2020" in which.answer and "constricted sciatic nerve" in which.answer
