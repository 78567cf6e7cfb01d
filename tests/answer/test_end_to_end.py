"""Through `Assistant` on a real index of the small fixture corpus (real MiniLM embedder), extractive backend."""

from __future__ import annotations

import pytest

from assistant.answer.contracts import REFUSAL
from assistant.api import Assistant
from assistant.settings import Settings

pytestmark = pytest.mark.integration


def test_assistant_answers_cites_and_refuses(small_corpus, tmp_path):
    s = Settings(corpus_dir=small_corpus, index_dir=tmp_path / "index", backend="extractive")
    Assistant(s).build_index(progress=False)
    a = Assistant.load(s)

    ans = a.ask("Which interleukin fell in the spinal cord after cortical stimulation in rats?")
    assert ans.answerable, ans.flags
    assert "IL-1β" in ans.answer
    holder = [c for c in ans.citations if "IL-1β" in c.passage.chunk.text]
    assert holder and holder[0].supported and holder[0].passage.doc.doi == "10.9999/alpha.2020"
    assert f"[{holder[0].n}]" in ans.answer
    assert ans.references[0].split(". ", 1)[0].isdigit()

    # follow-up: rewritten with the earlier question's key terms, answered from the same paper
    hist = [{"role": "user", "content": ans.question}, {"role": "assistant", "content": ans.answer}]
    follow = a.ask("and what happened to withdrawal thresholds?", history=hist)
    assert follow.timings["total_s"] - follow.timings["retrieve_s"] < 0.5  # the engine's own share is small
    assert follow.query != follow.question and "spinal" in follow.query
    assert follow.answerable and any(c.passage.doc.doi == "10.9999/alpha.2020" for c in follow.citations)

    off = a.ask("What ketamine infusion dose is recommended for complex regional pain syndrome?")
    assert not off.answerable and off.answer == REFUSAL

    streamed = list(a.stream("Did astrocyte staining change after nerve ligation?"))
    assert isinstance(streamed[-1].answer, str) and "GFAP" in streamed[-1].answer
