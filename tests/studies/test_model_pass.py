"""The model's pass over study records: only what the rules left empty, only sentences that say it, cached."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from assistant.studies.model_pass import FEATURES, ModelPass, design_grammar, parse_design
from tests.studies.helpers import assert_sources, document, record

SURVEY = ("In 2012, 212 nurses of three hospitals completed a questionnaire on back pain.",
          "Back pain in the past year was reported by 41 % of them.")


class ScriptedLLM:
    """Replies with a fixed JSON text and counts the calls (the real model runs in the integration test)."""

    model = "scripted.gguf"

    def __init__(self, reply: dict[str, Any]) -> None:
        self.reply = json.dumps(reply)
        self.calls: list[list[dict[str, str]]] = []

    def generate(self, messages: list[dict[str, str]], stream: bool = False, max_tokens: int | None = None,
                 grammar: str | None = None) -> str:
        assert grammar and "feature" in grammar
        self.calls.append(messages)
        return self.reply


def test_a_feature_is_kept_only_with_a_sentence_that_says_it(tmp_path: Path) -> None:
    doc, chunks = document(("Methods", " ".join(SURVEY)))
    rec = record(("Methods", " ".join(SURVEY)))
    assert rec.design == ()  # the rules leave it empty: a questionnaire is no design of theirs
    llm = ScriptedLLM({"design": [{"feature": "cross-sectional", "sentence": 1},
                                  {"feature": "cohort", "sentence": 2}]})  # sentence 2 says no cohort
    filled = ModelPass(llm, tmp_path / "cache.json").fill(rec, chunks)
    assert [f.value for f in filled.design] == ["cross-sectional"]
    assert filled.design[0].source.quote == "questionnaire"
    assert "1. In 2012, 212 nurses" in llm.calls[0][1]["content"]
    assert_sources(filled, chunks)


def test_records_with_a_design_and_animal_studies_are_not_sent_to_the_model() -> None:
    llm = ScriptedLLM({"design": [{"feature": "cohort", "sentence": 1}]})
    mp = ModelPass(llm)
    randomised = record("Sixty patients were randomised to active or sham stimulation.")
    rats = record("Thirty-two rats with chronic constriction injury received stimulation for four weeks.")
    assert mp.fill(randomised, []) is randomised and mp.fill(rats, []) is rats
    assert llm.calls == []


def test_answers_are_cached_by_text_and_an_edit_asks_again(tmp_path: Path) -> None:
    cache = tmp_path / "cache.json"
    reply = {"design": [{"feature": "cross-sectional", "sentence": 1}]}
    doc, chunks = document(("Methods", " ".join(SURVEY)))
    rec = record(("Methods", " ".join(SURVEY)))
    first = ModelPass(ScriptedLLM(reply), cache)
    first.fill_all([(rec, chunks)])
    again = ModelPass(ScriptedLLM({"design": []}), cache)  # another reply: the cached answer is used
    assert [f.value for f in again.fill(rec, chunks).design] == ["cross-sectional"]
    assert (again.asked, again.cached) == (0, 1)
    edited = (SURVEY[0].replace("212", "213"), SURVEY[1])
    doc2, chunks2 = document(("Methods", " ".join(edited)))
    again.fill(record(("Methods", " ".join(edited))), chunks2)
    assert again.asked == 1


def test_a_damaged_cache_is_replaced_not_fatal(tmp_path: Path) -> None:
    cache = tmp_path / "cache.json"
    cache.write_text("{not json", encoding="utf-8")
    doc, chunks = document(("Methods", " ".join(SURVEY)))
    mp = ModelPass(ScriptedLLM({"design": [{"feature": "cross-sectional", "sentence": 1}]}), cache)
    mp.fill_all([(record(("Methods", " ".join(SURVEY))), chunks)])
    assert len(json.loads(cache.read_text(encoding="utf-8"))) == 1


@pytest.mark.parametrize("reply, expected", [
    ('{"design": [{"feature": "cohort", "sentence": 2}, {"feature": "cohort", "sentence": 2}]}', [("cohort", 1)]),
    ('{"design": [{"feature": "cohort", "sentence": 9}]}', []),  # no such sentence
    ('{"design": [{"feature": "anecdote", "sentence": 1}]}', []),
    ('{"design": ', []),
    ('[1, 2]', []),
])
def test_unreadable_or_impossible_replies_give_nothing(reply: str, expected: list[tuple[str, int]]) -> None:
    assert parse_design(reply, 3) == expected


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is not installed")
def test_the_grammar_names_every_feature_and_only_existing_sentences() -> None:
    gbnf = design_grammar(3)
    assert all(f'\\"{f}\\"' in gbnf for f in FEATURES)
    assert '"3"' in gbnf and '"4"' not in gbnf


@pytest.mark.integration
def test_the_real_model_pass_keeps_every_value_sourced_and_caches_its_answer(tmp_path: Path) -> None:
    """The default GGUF model through the llama.cpp backend: whatever it names, every recorded value has its
    sentence, and the second pass over the same text asks nothing."""
    from assistant.answer.backends import study_model_pass
    from assistant.answer.model_files import ANSWER_MODEL, default_path
    from assistant.settings import Settings

    settings = Settings(corpus_dir=tmp_path)
    if importlib.util.find_spec("llama_cpp") is None or not default_path(settings, ANSWER_MODEL).is_file():
        pytest.skip("llama-cpp-python or the default model is missing (run `make test` or `make run`)")
    text = ("Between 2015 and 2019, 212 nurses of three hospitals completed a questionnaire on back pain. "
            "Back pain in the past year was reported by 41 % of them.")
    doc, chunks = document(("Methods", text))
    rec = record(("Methods", text))
    first = study_model_pass(settings)
    filled = first.fill_all([(rec, chunks)])[0]
    assert_sources(filled, chunks)
    assert (first.asked, first.cached) == (1, 0) and (tmp_path / "cache" / "study-model-pass.json").is_file()
    again = study_model_pass(settings)
    assert again.fill(rec, chunks) == filled and (again.asked, again.cached) == (0, 1)
