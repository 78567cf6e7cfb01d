"""The LangChain retriever and answer Runnable over a real index of the small invented corpus (real MiniLM
embedder, extractive backend), driven with langchain-core's own machinery (invoke, batch, stream, pipes)."""

from __future__ import annotations

import pytest
from conftest import write_small_corpus
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableLambda

from assistant.api import Assistant
from assistant.errors import ConfigError
from assistant.integrations.langchain import AnswerRunnable, RtmsRetriever
from assistant.settings import Settings

pytestmark = pytest.mark.integration

QUESTION = "Which interleukin fell in the spinal cord after cortical stimulation in rats?"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    root = tmp_path_factory.mktemp("lc")
    s = Settings(corpus_dir=write_small_corpus(root), index_dir=root / "index", backend="extractive")
    Assistant(s).build_index(progress=False)
    return Assistant.load(s)


def test_retriever_returns_documents_with_full_provenance(assistant):
    docs = RtmsRetriever(assistant=assistant, k=3).invoke(QUESTION)
    assert 1 <= len(docs) <= 3 and all(isinstance(d, Document) for d in docs)
    top = docs[0]
    assert "IL-1β" in top.page_content
    m = top.metadata
    assert m["doi"] == "10.9999/alpha.2020" and m["paper_id"] == "doi:10.9999/alpha.2020"
    assert m["url"] == "https://doi.org/10.9999/alpha.2020" == m["source"]
    assert m["title"].startswith("Cortical stimulation") and m["authors"] == ["Testa AB", "Probe CD"]
    assert m["year"] == 2020 and m["journal"] == "J Invented Res" and m["rank"] == 1
    assert m["score"] > 0 and m["dense_score"] is not None and m["bm25_score"] is not None
    assert {"section", "page", "chunk_id", "char_start", "char_end", "pmid", "pmcid", "kind"} <= m.keys()
    assert top.id == m["chunk_id"]
    # the same passage as Assistant.search, and filters pass through
    assert m["chunk_id"] == assistant.search(QUESTION, 3)[0].chunk.chunk_id
    only = RtmsRetriever(assistant=assistant, k=3, papers=["pmid:11111111"]).invoke(QUESTION)
    assert only and {d.metadata["pmid"] for d in only} == {"11111111"}
    dense = RtmsRetriever(assistant=assistant, k=2, mode="dense").invoke(QUESTION)
    assert all(d.metadata["bm25_score"] is None for d in dense)


def test_retriever_composes_in_a_chain(assistant):
    cite = RunnableLambda(lambda docs: [f"{d.metadata['title']} ({d.metadata['year']})" for d in docs])
    assert (RtmsRetriever(assistant=assistant, k=2) | cite).invoke(QUESTION)[0].endswith("(2020)")


def test_runnable_invoke_and_batch_return_the_answer_dict(assistant):
    chain = AnswerRunnable(assistant)
    d = chain.invoke({"question": QUESTION})
    assert d["answerable"] and "IL-1β" in d["answer"] and d["backend"] == "extractive"
    assert d["citations"][0]["doi"] == "10.9999/alpha.2020" and d["citations"][0]["supported"]
    plain, refused = chain.batch([QUESTION, "What ketamine dose is advised for complex regional pain?"])
    assert plain["answer"] == d["answer"] and not refused["answerable"]
    with pytest.raises(ConfigError, match="question"):
        chain.invoke({"q": QUESTION})


def test_runnable_takes_langchain_messages_as_history(assistant):
    first = AnswerRunnable(assistant).invoke(QUESTION)
    follow = AnswerRunnable(assistant).invoke({"question": "and what happened to withdrawal thresholds?",
                                               "history": [HumanMessage(QUESTION), AIMessage(first["answer"])]})
    assert follow["query"] != follow["question"] and "spinal" in follow["query"]
    assert any(c["doi"] == "10.9999/alpha.2020" for c in follow["citations"])


def test_runnable_streams_evidence_then_text_then_the_answer(assistant):
    chunks = list(AnswerRunnable(assistant).stream({"question": QUESTION}))
    assert list(chunks[0]) == ["context"] and chunks[0]["context"]["passages"]
    deltas = [c["delta"] for c in chunks[1:-1]]
    assert deltas and all(isinstance(t, str) for t in deltas)
    final = chunks[-1]
    assert final["answerable"] and final["citations"] and "delta" not in final
    total = chunks[0]
    for c in chunks[1:]:
        total = total + c  # AddableDict: the sum is the answer dict plus the context and the streamed text
    assert total["answer"] == final["answer"] and total["delta"] == "".join(deltas)
    # streaming through a pipe: the upstream dict reaches the runnable whole
    piped = list((RunnableLambda(lambda q: {"question": q}) | AnswerRunnable(assistant)).stream(QUESTION))
    assert piped[-1]["answer"] == final["answer"]
