"""The one `Assistant` object every interface (CLI, web UI, eval) is a thin layer over."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.answer.models import Answer, Evidence
    from assistant.index.models import Passage
    from assistant.index.store import IndexStore


class Assistant:
    """Load once, then `search`, `ask`, `stream`, `evidence`, `corpus`."""

    def __init__(self, settings: Settings, store: IndexStore | None = None) -> None:
        self.settings = settings
        self._store = store
        self._retriever: Any = None
        self._engine: Any = None

    @classmethod
    def load(cls, settings: Settings | None = None, **overrides: Any) -> Assistant:
        """Open the index under ``settings.index_dir`` (fails with a message naming the fix)."""
        s = settings or Settings(**overrides)
        from assistant.index.store import IndexStore

        return cls(s, IndexStore.open(s))

    # --- retrieval -------------------------------------------------------------------------
    @property
    def store(self) -> IndexStore:
        if self._store is None:
            from assistant.index.store import IndexStore

            self._store = IndexStore.open(self.settings)
        return self._store

    @property
    def retriever(self) -> Any:
        if self._retriever is None:
            from assistant.index.retrieve import HybridRetriever

            self._retriever = HybridRetriever(self.store, self.settings)
        return self._retriever

    def search(self, query: str, k: int | None = None, *, mode: str | None = None,
               year_range: tuple[int, int] | None = None, kinds: list[str] | None = None,
               papers: list[str] | None = None) -> list[Passage]:
        """Ranked passages for ``query`` (hybrid by default); ``papers`` restricts the search to those ids."""
        return self.retriever.search(query, k or self.settings.top_k, mode=mode,
                                     year_range=year_range, kinds=kinds, papers=papers)

    # --- answers ---------------------------------------------------------------------------
    @property
    def engine(self) -> Any:
        if self._engine is None:
            from assistant.answer.engine import AnswerEngine

            self._engine = AnswerEngine(self.settings, self.search, similar=self.sentence_similarities)
        return self._engine

    def ask(self, question: str, history: list[dict[str, Any]] | None = None,
            backend: str | None = None, k: int | None = None, retrieval: str | None = None,
            passages: list[Passage] | None = None) -> Answer:
        """A checked, cited Answer. ``retrieval`` (hybrid|dense|bm25|none) overrides the settings for this
        question; 'none' answers closed book, without passages or citations. ``passages`` answers from the
        given passages instead of searching (e.g. ``passages_of(paper_id)``)."""
        return self.engine.ask(question, history=history, backend=backend, k=k, retrieval=retrieval,
                               passages=passages)

    def stream(self, question: str, history: list[dict[str, Any]] | None = None,
               backend: str | None = None, k: int | None = None,
               retrieval: str | None = None,
               passages: list[Passage] | None = None) -> Iterator[Evidence | str | Answer]:
        """Yield the Evidence (passages and chosen sentences) first, then text deltas, then the complete Answer
        as the last item."""
        return self.engine.stream(question, history=history, backend=backend, k=k, retrieval=retrieval,
                                  passages=passages)

    def sentence_similarities(self, query: str, chunk_ids: list[str]) -> dict[tuple[str, int], float]:
        """Cosine of ``query`` with every stored sentence of the given chunks, keyed by (chunk_id, start)."""
        return self.retriever.sentence_similarities(query, chunk_ids)

    def passages_of(self, paper_id: str) -> list[Passage]:
        """Every chunk of one paper (by paper_id or doc_id) as Passages, in document order."""
        return self.retriever.passages_of(paper_id)

    # --- corpus ----------------------------------------------------------------------------
    def evidence(self, marker: str | None = None, tissue: str | None = None, change: str | None = None,
                 study_type: str | None = None) -> list[dict[str, Any]]:
        """Rows of the evidence table built from the digest notes' structured fields."""
        from assistant.corpus.evidence import evidence_table

        return evidence_table(self.settings.digest_dir, marker=marker, tissue=tissue, change=change,
                              study_type=study_type)

    def corpus(self) -> list[dict[str, Any]]:
        """The manifest's entries with what is present locally for each."""
        from assistant.corpus.manifest import corpus_status

        return corpus_status(self.settings)

    def build_index(self, rebuild: bool = False, progress: bool = True) -> Any:
        """Index the corpus folder (incrementally unless ``rebuild``); reloads the store afterwards."""
        from assistant.index.builder import build_index

        summary = build_index(self.settings, rebuild=rebuild, progress=progress)
        self._store = self._retriever = self._engine = None
        return summary

    def status(self) -> dict[str, Any]:
        """Index status: documents, chunks, settings, staleness."""
        from assistant.index.builder import index_status

        return index_status(self.settings)
