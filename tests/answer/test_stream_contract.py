"""What ``stream`` sends is never changed afterwards: the ``Evidence`` item, as it was when it was yielded, equals
the final ``Answer``'s evidence, and every passage the answer cites is one the Evidence listed, under the same
number (invented wording, extractive backend; one scripted model whose verdict is read from a paper's results)."""

from __future__ import annotations

import json

import pytest

from assistant.answer import verdict
from assistant.answer.contracts import Answer, Evidence
from assistant.answer.engine import AnswerEngine
from assistant.settings import Settings

from .conftest import FakeSearch, ScriptedLLM, make_passage

QUESTIONS = [
    "How did IL-1β change in the spinal cord after rTMS?",
    "Does rTMS lower IL-1β in the spinal dorsal horn?",
    "How did IL-1β and IL-10 change in the spinal cord after rTMS?",
    "What happened to microglial activation after high-frequency stimulation?",
    "How much did pain scores fall after twenty sessions of rTMS?",
    "Does serum BDNF rise after rTMS in central pain?",
    "What is the capital of France?",  # refused before generation
    "Did rTMS change the kidney function of adults?",
]


def settings(**kw) -> Settings:
    return Settings(**{"backend": "extractive", "refusal_threshold": 0.3, "top_k": 4, **kw})


def snapshot_stream(stream):
    """Items as yielded, the Evidence deep-copied at the moment it was sent (a later change to it would show)."""
    for item in stream:
        yield (item, item.model_copy(deep=True)) if isinstance(item, Evidence) else (item, None)


def assert_contract(stream) -> tuple[Evidence, Answer]:
    pairs = list(snapshot_stream(stream))
    sent = [(item, copy) for item, copy in pairs if isinstance(item, Evidence)]
    assert len(sent) == 1 and pairs[0][0] is sent[0][0]
    item, at_yield = sent[0]
    answer = pairs[-1][0]
    assert isinstance(answer, Answer)
    assert item == at_yield, "the streamed Evidence was changed after it was sent"
    assert at_yield.sentences == answer.evidence
    assert at_yield.question == answer.question and at_yield.query == answer.query
    listed = [p.chunk.chunk_id for p in at_yield.passages]
    # the answer's passages are the listed ones, numbered as listed (a passage listed for a later draft may be left)
    assert [p.chunk.chunk_id for p in answer.passages] == listed[:len(answer.passages)]
    for c in answer.citations:
        assert 0 < c.n <= len(listed) and listed[c.n - 1] == c.passage.chunk.chunk_id
    return at_yield, answer


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_streamed_evidence_is_the_answers_evidence(question):
    engine = AnswerEngine(settings(), FakeSearch())
    evidence, answer = assert_contract(engine.stream(question))
    if evidence.refused is not None:  # refused before generation: nothing cited
        assert not answer.answerable and not answer.citations


def test_a_conversation_streams_evidence_that_stays_what_was_sent():
    engine = AnswerEngine(settings(), FakeSearch())
    first = engine.ask(QUESTIONS[0])
    history = [{"role": "user", "content": first.question}, {"role": "assistant", "content": first.answer}]
    assert_contract(engine.stream("And what happened to IL-10?", history=history))


class ProbingLLM(ScriptedLLM):
    """Writes an answer nothing verifies; asked for a verdict alone, its log-odds of Yes is fixed (negative)."""

    supports_grammar = True
    decides_yes_no = True

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.last_yes_logodds: float | None = None

    def generate(self, messages, stream=False, max_tokens=None, grammar=None, yes_threshold=None, restart=False):
        self.last_yes_logodds = -2.0 if yes_threshold is not None else None
        return super().generate(messages, stream, max_tokens)


def test_a_findings_passage_the_answer_is_written_from_is_listed_before_the_answer(tmp_path):
    """The verdict is read from the best paper's results, which were not retrieved; the answer is written from
    them and cites them: that passage was in the Evidence sent before the first token, under the number the
    answer cites, and the Evidence equals the answer's passages."""
    model = tmp_path / "verdict.json"  # the verdict model's score is the log-odds itself
    model.write_text(json.dumps({"features": list(verdict.FEATURES), "weights": [1, 0, 0, 0, 0], "bias": 0}))
    search = FakeSearch()
    results = make_passage("bai", "Results", "Spinal IL-1β did not fall after stimulation in the injured rats "
                                             "compared with sham.")

    def paper_passages(paper_id: str):
        return [p for p in search("IL-1β", 10) if p.chunk.paper_id == paper_id] + [results]

    s = settings(backend="llama-cpp", verdict_probe=True, verdict_model=model, unverified_fallback=False)
    question = "Does stimulation lower spinal IL-1β in rats with nerve injury?"
    probe = AnswerEngine(s, search, llms={"llama-cpp": ProbingLLM("")}, paper_passages=paper_passages)
    first = next(probe.stream(question))
    assert isinstance(first, Evidence)
    n = [p.chunk.chunk_id for p in first.passages].index(results.chunk.chunk_id) + 1  # joined after the retrieved
    assert n > 1
    llm = ProbingLLM(f"Spinal IL-1β did not fall after stimulation in the injured rats [{n}].")
    engine = AnswerEngine(s, search, llms={"llama-cpp": llm}, paper_passages=paper_passages)
    evidence, answer = assert_contract(engine.stream(question))
    assert answer.verdict == "no" and answer.answer.startswith("No.")
    assert results.chunk.chunk_id in [c.passage.chunk.chunk_id for c in answer.citations]


@pytest.mark.integration
def test_the_assistant_streams_evidence_its_answers_keep(small_corpus, tmp_path):
    from assistant.api import Assistant

    s = Settings(corpus_dir=small_corpus, index_dir=tmp_path / "index", backend="extractive")
    Assistant(s).build_index(progress=False)
    a = Assistant.load(s)
    for q in ("What did cortical stimulation do to spinal IL-1β in rats with a constricted sciatic nerve?",
              "Did motor cortex stimulation lower pain scores after stroke?",
              "Which marker rose in the dorsal horn of mice after spared nerve injury?",
              "What is the boiling point of mercury?"):
        assert_contract(a.stream(q))
