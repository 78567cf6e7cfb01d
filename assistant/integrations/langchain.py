"""LangChain adapters over one ``Assistant``: the index as a ``BaseRetriever`` and the answer engine as a
``Runnable``.

* ``RtmsRetriever`` returns ``Document``s (the passage text) whose metadata carries the full provenance: paper and
  chunk ids, DOI/PMID/PMCID, title, authors, year, journal, section, page, character span and the fused, cosine
  and BM25 scores, so a chain can cite what it uses.
* ``AnswerRunnable`` maps ``{"question": ..., "history": [...]}`` (or a plain question string) to
  ``Answer.to_dict()``. ``.stream`` yields ``{"context": Evidence.to_dict()}`` first (the passages and the chosen
  sentences), then ``{"delta": text}`` pieces, then the complete answer dict. The pieces are ``AddableDict``s:
  adding them all gives the answer dict plus ``context`` and the streamed raw text under ``delta``.

Only ``langchain-core`` is needed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.messages import BaseMessage
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.runnables.utils import AddableDict
from pydantic import ConfigDict

from assistant.answer.contracts import Answer, Evidence
from assistant.errors import ConfigError
from assistant.index.contracts import Passage
from assistant.references import entry_url

_ROLES = {"human": "user", "user": "user", "ai": "assistant", "assistant": "assistant", "system": "system"}


def passage_document(p: Passage) -> Document:
    """One retrieved passage as a LangChain Document (text + provenance metadata, JSON-serialisable)."""
    meta = {k: v for k, v in p.to_dict().items() if k != "text"}
    meta["url"] = entry_url(p.doc.doi, p.doc.pmid, p.doc.pmcid)
    meta["source"] = meta["url"] or p.doc.source
    return Document(page_content=p.chunk.text, metadata=meta, id=p.chunk.chunk_id)


class RtmsRetriever(BaseRetriever):
    """``Assistant.search`` as a LangChain retriever (hybrid by default; ``mode`` = hybrid | dense | bm25)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Any
    """An ``assistant.api.Assistant`` (``Assistant.load()``)."""
    k: int | None = None
    """Passages per query (default: RTMS_TOP_K)."""
    mode: str | None = None
    year_range: tuple[int, int] | None = None
    kinds: list[str] | None = None
    papers: list[str] | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        passages = self.assistant.search(query, self.k, mode=self.mode, year_range=self.year_range,
                                         kinds=self.kinds, papers=self.papers)
        return [passage_document(p) for p in passages]


def _history(items: Sequence[Any] | None) -> list[dict[str, Any]]:
    """Chat history as the engine's role/content dicts; LangChain messages and (role, text) pairs are accepted."""
    out: list[dict[str, Any]] = []
    for m in items or []:
        if isinstance(m, BaseMessage):
            out.append({"role": _ROLES.get(m.type, m.type), "content": m.text})
        elif isinstance(m, dict):
            out.append(dict(m))
        elif isinstance(m, tuple | list) and len(m) == 2:
            out.append({"role": _ROLES.get(str(m[0]), str(m[0])), "content": str(m[1])})
        else:
            raise ConfigError(f"history items must be messages, role/content dicts or (role, text) pairs, "
                              f"not {type(m).__name__}.")
    return out


def _question(value: Any) -> tuple[str, list[dict[str, Any]]]:
    if isinstance(value, str):
        return value, []
    if isinstance(value, dict) and isinstance(value.get("question"), str):
        return value["question"], _history(value.get("history"))
    raise ConfigError('AnswerRunnable takes {"question": str, "history": [...]} or a question string.')


class AnswerRunnable(Runnable[dict[str, Any], dict[str, Any]]):
    """``Assistant.ask`` / ``Assistant.stream`` as a Runnable returning the Answer dict."""

    def __init__(self, assistant: Any, *, backend: str | None = None, k: int | None = None,
                 retrieval: str | None = None) -> None:
        self.assistant = assistant
        self.backend, self.k, self.retrieval = backend, k, retrieval

    @property
    def InputType(self) -> type[dict[str, Any]]:  # noqa: N802 (LangChain's name)
        return dict

    @property
    def OutputType(self) -> type[dict[str, Any]]:  # noqa: N802
        return dict

    def _ask(self, value: Any) -> dict[str, Any]:
        question, history = _question(value)
        answer: Answer = self.assistant.ask(question, history=history, backend=self.backend, k=self.k,
                                            retrieval=self.retrieval)
        return answer.to_dict()

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> dict[str, Any]:  # noqa: A002
        return self._call_with_config(self._ask, input, config, run_type="chain")

    def _chunks(self, inputs: Iterator[Any]) -> Iterator[AddableDict]:
        value: Any = None
        for piece in inputs:  # an upstream stream of dict pieces is merged into one input first
            value = piece if value is None else value + piece
        question, history = _question(value)
        for item in self.assistant.stream(question, history=history, backend=self.backend, k=self.k,
                                          retrieval=self.retrieval):
            if isinstance(item, str):
                yield AddableDict(delta=item)
            elif isinstance(item, Evidence):
                yield AddableDict(context=item.to_dict())
            elif isinstance(item, Answer):
                yield AddableDict(item.to_dict())

    def transform(self, input: Iterator[Any], config: RunnableConfig | None = None,  # noqa: A002
                  **kwargs: Any) -> Iterator[dict[str, Any]]:
        yield from self._transform_stream_with_config(input, self._chunks, config, run_type="chain")

    def stream(self, input: Any, config: RunnableConfig | None = None,  # noqa: A002
               **kwargs: Any) -> Iterator[dict[str, Any]]:
        yield from self.transform(iter([input]), config, **kwargs)
