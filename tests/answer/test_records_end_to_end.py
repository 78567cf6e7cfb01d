"""Answers planned over study records, through `Assistant` on a real index of the small fixture corpus (extractive
backend): a three-turn conversation that stays on its study, a "which studies" question and an aggregated verdict.
The records are made by hand here, each value's source found in the indexed chunks."""

from __future__ import annotations

import pytest

from assistant.api import Assistant
from assistant.corpus.sentences import sentence_spans
from assistant.settings import Settings
from assistant.studies.contracts import Fact, Finding, Size, Source, Stimulation, StudyRecord

pytestmark = pytest.mark.integration


def source(a: Assistant, quote: str) -> Source:
    """The sentence of the indexed chunks that holds ``quote``."""
    for chunk in a.store.chunks:
        for start, end, sent in sentence_spans(chunk.text):
            if quote in sent:
                return Source(chunk_id=chunk.chunk_id, start=start, end=end, quote=quote)
    raise AssertionError(f"no chunk holds {quote!r}")


def make_records(a: Assistant) -> dict[str, StudyRecord]:
    def fact(value: str, quote: str) -> Fact:
        return Fact(value=value, source=source(a, quote))

    alpha = StudyRecord(
        paper_id="doi:10.9999/alpha.2020", doc_ids=(), label="Testa et al. 2020",
        kind=fact("animal study", "Rats"), species=(fact("rat", "Rats"),),
        condition=(fact("CCI", "constricted sciatic nerve"),), control=(fact("sham", "sham animals"),),
        stimulation=Stimulation(frequency=(fact("10 Hz", "10 Hz"),), target=(fact("motor cortex", "motor cortex"),),
                                sessions=(fact("14 days", "fourteen days"),)),
        findings=(Finding(marker="IL-1β", tissue="spinal cord", direction="down",
                          source=source(a, "Spinal cord levels of IL-1β fell")),))
    beta = StudyRecord(
        paper_id="doi:10.9999/beta.2019", doc_ids=(), label="Testa et al. 2019",
        kind=fact("randomised trial", "randomised"), species=(fact("human", "patients"),),
        sizes=(Size(n=40, role="patients", source=source(a, "Forty patients")),),
        control=(fact("sham", "sham sessions"),))
    gamma = StudyRecord(
        paper_id="pmid:11111111", doc_ids=(), label="Testa et al. 2021", kind=fact("animal study", "mice"),
        species=(fact("mouse", "mice"),),
        findings=(Finding(marker="GFAP", tissue="dorsal horn", direction="up",
                          source=source(a, "raised GFAP staining in the dorsal horn")),))
    return {r.paper_id: r for r in (alpha, beta, gamma)}


def test_conversation_which_studies_and_verdict_from_records(small_corpus, tmp_path):
    s = Settings(corpus_dir=small_corpus, index_dir=tmp_path / "index", backend="extractive")
    Assistant(s).build_index(progress=False)
    a = Assistant.load(s)
    recs = make_records(a)
    a.study_records = lambda: recs  # type: ignore[method-assign]

    first = a.ask("What did cortical stimulation do to spinal IL-1β in rats with a constricted sciatic nerve?")
    assert first.answerable and "IL-1β" in first.answer and first.plan is not None
    history = [{"role": "user", "content": first.question},
               {"role": "assistant", "content": first.answer,
                "paper_ids": list(dict.fromkeys(c.passage.chunk.paper_id for c in first.citations))}]

    second = a.ask("Were these animals or patients, and was there a sham group?", history=history)
    assert second.answerable, second.flags
    assert second.verdict is None and not second.answer.startswith("Yes")  # not a yes/no question
    assert "Rats" in second.answer and "sham animals" in second.answer and "from-records" in second.flags
    assert second.plan is not None and second.plan["studies"] == ("doi:10.9999/alpha.2020",)
    assert all(c.supported for c in second.citations)
    history += [{"role": "user", "content": second.question}, {"role": "assistant", "content": second.answer}]

    third = a.ask("How long did that treatment last?", history=history)
    assert third.answerable and "fourteen days" in third.answer, third.answer
    assert third.plan is not None and third.plan["scope"] == "focus"

    which = a.ask("Which studies report IL-1β falling, and in which model?")
    assert which.answerable and "Testa et al. 2020" in which.answer and "constricted sciatic nerve" in which.answer

    verdict = a.ask("Does rTMS lower GFAP in the serum?")
    assert verdict.verdict == "insufficient" and verdict.verdict_reason
    assert "dorsal horn" in verdict.answer and "serum" in verdict.answer

    against = a.ask("Does rTMS lower GFAP in the spinal cord?")  # the dorsal horn is part of it: GFAP rose there
    assert against.verdict == "no" and against.answer.startswith("No.")
