"""The one `Assistant` object every interface (CLI, web UI, eval) is a thin layer over."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from assistant.safetext import valid_unicode
from assistant.settings import Settings
from assistant.studies.contracts import StudyRecord
from assistant.studies.table import filter_studies

# imports inside methods are deliberate: they defer faiss, torch and llama-cpp until a method needs them
if TYPE_CHECKING:
    from assistant.answer.contracts import Answer, Evidence
    from assistant.answer.engine import AnswerEngine
    from assistant.corpus.contracts import DocumentMeta
    from assistant.index.builder import BuildSummary
    from assistant.index.contracts import IndexManifest, IndexStatus, Passage
    from assistant.index.retrieve import HybridRetriever
    from assistant.index.store import IndexStore
    from assistant.studies.contracts import StudyRecord


class Assistant:
    """Load once, then `search`, `ask`, `stream`, `evidence`, `corpus`."""

    def __init__(self, settings: Settings, store: IndexStore | None = None) -> None:
        self.settings = settings
        self._store = store
        self._retriever: HybridRetriever | None = None
        self._engine: AnswerEngine | None = None

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
    def retriever(self) -> HybridRetriever:
        if self._retriever is None:
            from assistant.index.retrieve import HybridRetriever

            self._retriever = HybridRetriever(self.store, self.settings)
        return self._retriever

    def search(self, query: str, k: int | None = None, *, mode: str | None = None,
               year_range: tuple[int, int] | None = None, kinds: list[str] | None = None,
               papers: list[str] | None = None) -> list[Passage]:
        """Ranked passages for ``query`` (hybrid by default); ``papers`` restricts the search to those ids."""
        query = valid_unicode(query)
        return self.retriever.search(query, k, mode=mode,
                                     year_range=year_range, kinds=kinds, papers=papers)

    # --- answers ---------------------------------------------------------------------------
    @property
    def engine(self) -> AnswerEngine:
        if self._engine is None:
            from assistant.answer.engine import AnswerEngine

            self._engine = AnswerEngine(self.settings, self.search, similar=self.sentence_similarities,
                                        paper_passages=self.passages_of, corpus_texts=self.corpus_texts,
                                        studies=self.study_records)
        return self._engine

    def ask(self, question: str, history: list[dict[str, Any]] | None = None,
            backend: str | None = None, k: int | None = None, retrieval: str | None = None,
            passages: list[Passage] | None = None) -> Answer:
        """A checked, cited Answer. ``retrieval`` (hybrid|dense|bm25|none) overrides the settings for this
        question; 'none' answers closed book, without passages or citations. ``passages`` answers from the
        given passages instead of searching (e.g. ``passages_of(paper_id)``)."""
        question, history = valid_unicode(question), _valid_history(history)
        return self.engine.ask(question, history=history, backend=backend, k=k, retrieval=retrieval,
                               passages=passages)

    def stream(self, question: str, history: list[dict[str, Any]] | None = None,
               backend: str | None = None, k: int | None = None,
               retrieval: str | None = None,
               passages: list[Passage] | None = None) -> Iterator[Evidence | str | Answer]:
        """Yield the Evidence (passages and chosen sentences) first, then text deltas, then the complete Answer
        as the last item."""
        question, history = valid_unicode(question), _valid_history(history)
        return self.engine.stream(question, history=history, backend=backend, k=k, retrieval=retrieval,
                                  passages=passages)

    def llm_unavailable(self, backend: str | None = None) -> str | None:
        """Why ``backend``'s model is not used yet and answers are extracted from the passages instead (e.g.
        llama-cpp-python still building in the background); None once it is used. The model is tried first."""
        return self.engine.unavailable(backend or self.settings.backend)

    def warm_up(self, backend: str | None = None, search: bool = True) -> dict[str, float]:
        """Pay the start-up costs now instead of on the first question: open the index and the query encoder, load
        the answer model and evaluate its fixed system prompt once (llama.cpp reuses that prompt prefix for every
        later question). ``search=False`` skips the index (closed-book use). Returns seconds per step; raises the
        usual AssistantError when a part is missing."""
        import time

        from assistant.answer.backends import backend_spec
        from assistant.answer.prompts import EVIDENCE_SYSTEM, SYSTEM_PROMPT, VERDICT_SYSTEM

        timings: dict[str, float] = {}
        if search:
            t0 = time.perf_counter()
            self.search("rTMS neuropathic pain", k=1)
            timings["search_s"] = time.perf_counter() - t0
        spec = backend_spec(backend or self.settings.backend)
        llm = self.engine.llm(spec.name) if spec.uses_llm else None
        if llm is not None and hasattr(llm, "warm"):
            t0 = time.perf_counter()
            systems = [EVIDENCE_SYSTEM if self.settings.prompt_evidence == "sentences" else SYSTEM_PROMPT]
            if self.settings.verdict_probe and getattr(llm, "decides_yes_no", False):
                # the verdict probe's system prompt (with its worked examples) is kept as a state of its own
                systems.append(VERDICT_SYSTEM)
            for system in systems:
                llm.warm([{"role": "system", "content": system}, {"role": "user", "content": "Say OK."}])
            timings["model_s"] = time.perf_counter() - t0
        return timings

    def sentence_similarities(self, query: str, chunk_ids: list[str]) -> dict[tuple[str, int], float]:
        """Cosine of ``query`` with every stored sentence of the given chunks, keyed by (chunk_id, start)."""
        return self.retriever.sentence_similarities(query, chunk_ids)

    def study_records(self) -> dict[str, StudyRecord]:
        """Every indexed paper's study record, paper id → record (what the answer engine plans over)."""
        return self.store.studies

    def passages_of(self, paper_id: str) -> list[Passage]:
        """Every chunk of one paper (by paper_id or doc_id) as Passages, in document order."""
        return self.retriever.passages_of(paper_id)

    def corpus_texts(self) -> Iterator[str]:
        """Every indexed chunk's text, then every document's title, authors, journal and year."""
        for chunk in self.store.chunks:
            yield chunk.text
        for doc in self.store.docs.values():
            yield " ".join([doc.title or "", *(doc.authors or []), doc.journal or "", str(doc.year or "")])

    def documents(self) -> dict[str, DocumentMeta]:
        """The indexed documents by doc_id (a copy; IndexMissingError and kin when there is no index)."""
        return dict(self.store.docs)

    def index_manifest(self) -> IndexManifest:
        """The current index version's manifest (built_at, counts, index_params, settings_hash, files …)."""
        return self.store.manifest

    # --- corpus ----------------------------------------------------------------------------
    def evidence(self, marker: str | None = None, tissue: str | None = None, change: str | None = None,
                 study_type: str | None = None, conflicts: bool = False) -> list[Any]:
        """Rows of the evidence table built from the evidence notes' structured fields.

        With ``conflicts=True``: typed :class:`~assistant.corpus.evidence.Conflict` records instead, one per
        marker x tissue group whose direction differs between studies (``change``/``study_type`` ignored)."""
        from assistant.corpus.evidence import evidence_conflicts, evidence_table

        if conflicts:
            return evidence_conflicts(self.settings.digest_dir, marker=marker, tissue=tissue)
        return evidence_table(self.settings.digest_dir, marker=marker, tissue=tissue, change=change,
                              study_type=study_type)

    def studies(self, species: str | None = None, kind: str | None = None, primary: bool | None = None,
                text: str | None = None) -> list[StudyRecord]:
        """One study record per indexed paper (kind, population, sizes, control, stimulation, findings; every value
        with the sentence it came from), filtered by species ('human', 'animal', 'rat', 'mouse', 'in vitro'), kind
        (contained match), primary studies only and free text; sorted by label."""
        return filter_studies(self.store.studies.values(), species=species, kind=kind, primary=primary, text=text)

    def study(self, paper_id: str) -> StudyRecord | None:
        """The study record of one paper, if it is indexed."""
        return self.store.studies.get(paper_id)

    def corpus(self) -> list[dict[str, Any]]:
        """The manifest's entries with what is present locally for each."""
        from assistant.corpus.manifest import corpus_status

        return corpus_status(self.settings)

    def build_index(self, rebuild: bool = False, progress: bool = True,
                    lock_wait_s: float = 0.0) -> BuildSummary:
        """Index the corpus folder (incrementally unless ``rebuild``); reloads the store afterwards. Fails with
        IndexBusyError when another build holds the index folder for more than ``lock_wait_s`` seconds."""
        from assistant.index.builder import build_index

        summary = build_index(self.settings, rebuild=rebuild, progress=progress, lock_wait_s=lock_wait_s)
        self._store = self._retriever = self._engine = None
        return summary

    def status(self) -> IndexStatus:
        """Index status: documents, chunks, settings, staleness."""
        from assistant.index.builder import index_status

        return index_status(self.settings)


def _valid_history(history: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Chat history checked by ``normalise_history`` (QuestionError for a string, ``[None]`` and the like; legacy
    (user, assistant) pairs become messages), every text made valid Unicode (it comes from a browser or a caller,
    like the question)."""
    if history is None:
        return None
    from assistant.answer.conversation import normalise_history

    return [{**m, "content": valid_unicode(m["content"])} for m in normalise_history(history)]
