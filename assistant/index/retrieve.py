"""Hybrid retrieval: dense (FAISS cosine) and BM25 candidates fused by reciprocal rank fusion,
filtered (year range, document kind), capped per paper, every result carrying its cosine similarity."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.corpus.contracts import DocumentMeta
from assistant.corpus.markers import expand_classes
from assistant.errors import AssistantError
from assistant.index.bm25 import BM25Index
from assistant.index.chunking import lexical_text
from assistant.index.contracts import Chunk, Passage
from assistant.index.embedding import Embedder
from assistant.index.flags import instruction_like
from assistant.index.store import IndexStore
from assistant.settings import Settings
from assistant.studies.contracts import StudySummary
from assistant.vocab import SEARCHED_MODES, RetrievalMode

MODES = SEARCHED_MODES


def rrf_fuse(rankings: Sequence[Sequence[int]], k: int = 60) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: score(d) = Σ 1/(k + rank_r(d)), ranks 1-based. Ties keep first-seen order."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def cap_per_group(items: Sequence[int], group_of: Sequence[str], cap: int, limit: int) -> list[int]:
    """Keep ranked items, at most ``cap`` per group, until ``limit`` items are kept."""
    seen: dict[str, int] = {}
    out: list[int] = []
    for i in items:
        g = group_of[i]
        if seen.get(g, 0) < cap:
            seen[g] = seen.get(g, 0) + 1
            out.append(i)
            if len(out) >= limit:
                break
    return out


_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


@dataclass(frozen=True)
class CitedName:
    """How a question can name one paper: its first author's surname (as a whole word) and its year."""

    surname: str
    pattern: re.Pattern[str]
    paper_id: str
    year: int | None


def cited_names(docs: Iterable[DocumentMeta]) -> list[CitedName]:
    """The names of the index's papers, made once per index (capitalised surnames of two letters or more)."""
    return [CitedName(d.first_author, re.compile(rf"\b{re.escape(d.first_author)}\b"), d.paper_id, d.year)
            for d in docs if len(d.first_author) >= 2 and d.first_author[0].isupper()]


def named_papers(query: str, names: Sequence[CitedName]) -> set[str]:
    """Papers the question names as a citation would: the first author's surname as a capitalised word, and,
    when the question gives years, one of them ("Khedr 2005 and Quesada 2020" → both trials)."""
    years = {int(y) for y in _YEAR.findall(query)}
    return {n.paper_id for n in names
            if (not years or n.year in years) and n.surname in query and n.pattern.search(query)}


def include_named(kept: list[int], ranked: Sequence[int], paper_of: Sequence[str], named: set[str]) -> list[int]:
    """``kept`` with each named paper's best-ranked item in it, each replacing the lowest-ranked item of a paper
    the question does not name (the list keeps its length and rank order)."""
    missing = [p for p in sorted(named) if all(paper_of[i] != p for i in kept)]
    out = list(kept)
    for paper in missing:
        best = next((i for i in ranked if paper_of[i] == paper), None)
        drop = next((j for j in reversed(range(len(out))) if paper_of[out[j]] not in named), None)
        if best is None or drop is None:
            continue
        out[drop] = best
    order = {i: r for r, i in enumerate(ranked)}
    return sorted(out, key=lambda i: order.get(i, len(order)))


class HybridRetriever:
    def __init__(self, store: IndexStore, settings: Settings, embedder: Embedder | None = None) -> None:
        self.store = store
        self.settings = settings
        self._embedder = embedder
        chunks = store.chunks
        docs = store.docs
        self.paper_of = [c.paper_id for c in chunks]
        self.doc_of = [docs[c.doc_id] for c in chunks]
        self.bm25 = BM25Index([lexical_text(d.title, c, " ".join(str(x) for x in (d.first_author, d.year) if x))
                               for c, d in zip(chunks, self.doc_of, strict=True)])
        self.names = cited_names(docs.values())
        self.hidden = self._hidden_rows() if settings.prefer_full_text else np.zeros(len(chunks), dtype=bool)
        self._sentence_rows: dict[int, list[int]] | None = None
        self._last_query: tuple[str, np.ndarray | None] = ("", None)
        self._summaries: dict[str, StudySummary] | None = None

    def sentence_similarities(self, query: str, chunk_ids: Sequence[str]) -> dict[tuple[str, int], float]:
        """Cosine of ``query`` with every stored sentence of the given chunks, keyed by (chunk_id, start)."""
        sents = self.store.data.sentences
        if not len(sents) or not query.strip():
            return {}
        if self._sentence_rows is None:
            self._sentence_rows = {}
            for i, row in enumerate(sents[:, 0].tolist()):
                self._sentence_rows.setdefault(row, []).append(i)
        held = [r for r in map(self.store.row_of, chunk_ids) if r is not None]
        rows = [i for r in held for i in self._sentence_rows.get(r, [])]
        if not rows:
            return {}
        qvec = self._query_vector(query)
        sims = self.store.data.sentence_vectors[rows].astype(np.float32) @ qvec
        chunks = self.store.chunks
        return {(chunks[int(sents[i, 0])].chunk_id, int(sents[i, 1])): float(v)
                for i, v in zip(rows, sims, strict=True)}

    def _query_vector(self, query: str) -> np.ndarray:
        last, vec = self._last_query
        if last != query or vec is None:
            vec = self.embedder.encode_query(query)
            self._last_query = (query, vec)
        return vec

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = Embedder(self.settings.embedder, self.settings.embed_batch_size)
        return self._embedder

    def _hidden_rows(self) -> np.ndarray:
        with_full = {d.paper_id for d in self.store.docs.values() if d.kind == "full-text"}
        return np.array([d.kind == "evidence-note" and d.paper_id in with_full for d in self.doc_of], dtype=bool)

    def passages_of(self, paper_id: str) -> list[Passage]:
        """Every chunk of one paper (``paper_id`` or ``doc_id``), in document order, scored 1.0."""
        rows = [i for i, c in enumerate(self.store.chunks) if paper_id in (c.paper_id, c.doc_id)]
        if not rows:
            raise AssistantError(f"no paper {paper_id!r} in the index: `rtms-assistant search` or `corpus list` "
                                 "shows the paper ids it holds.")
        rows.sort(key=lambda i: (self.store.chunks[i].doc_id, self.store.chunks[i].ord))
        return [Passage(chunk=self.store.chunks[i], doc=self.doc_of[i], score=1.0, rank=r,
                        study=self.study_of(self.paper_of[i]))
                for r, i in enumerate(rows, start=1)]

    def study_of(self, paper_id: str) -> StudySummary | None:
        """The paper's study record in brief (None when it has none)."""
        if self._summaries is None:
            self._summaries = {p: r.summary() for p, r in self.store.studies.items()}
        return self._summaries.get(paper_id)

    def _allowed(self, year_range: tuple[int, int] | None, kinds: Sequence[str] | None,
                 papers: Sequence[str] | None = None) -> np.ndarray | None:
        mask = ~self.hidden
        if papers:
            ps = set(papers)
            mask &= np.array([p in ps for p in self.paper_of], dtype=bool)
        if year_range:
            lo, hi = year_range
            mask &= np.array([d.year is not None and lo <= d.year <= hi for d in self.doc_of], dtype=bool)
        if kinds:
            ks = set(kinds)
            mask &= np.array([d.kind in ks for d in self.doc_of], dtype=bool)
        return None if mask.all() else mask

    def dense_ranking(self, qvec: np.ndarray, n: int, allowed: np.ndarray | None) -> list[int]:
        if allowed is None:
            scores, ids = self.store.faiss.search(qvec.reshape(1, -1).astype(np.float32), min(n, len(self.paper_of)))
            return [int(i) for i in ids[0] if i >= 0]
        rows = np.flatnonzero(allowed)
        sims = self.store.vectors[rows] @ qvec
        top = np.argsort(-sims, kind="stable")[:n]
        return [int(rows[i]) for i in top]

    def bm25_ranking(self, query: str, n: int, allowed: np.ndarray | None) -> tuple[list[int], np.ndarray]:
        scores = self.bm25.scores(expand_classes(query))
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        n = min(n, len(scores))
        if n == 0:
            return [], scores
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [int(i) for i in top if scores[i] > 0], scores

    def search(self, query: str, k: int | None = None, *, mode: str | None = None,
               year_range: tuple[int, int] | None = None, kinds: Sequence[str] | None = None,
               qvec: np.ndarray | None = None, papers: Sequence[str] | None = None) -> list[Passage]:
        """The ``k`` (default: ``top_k``) best passages; ``papers`` restricts the search to those paper ids."""
        k = k or self.settings.top_k
        mode = mode or self.settings.retrieval
        if mode not in MODES:
            raise AssistantError(f"unknown retrieval mode {mode!r}: use one of {', '.join(MODES)}")
        if not query.strip() or not self.paper_of:
            return []
        allowed = self._allowed(year_range, kinds, papers)
        n = self.settings.candidates
        if qvec is None:
            qvec = self._query_vector(query)
        uses_dense = mode in (RetrievalMode.HYBRID, RetrievalMode.DENSE)
        dense = self.dense_ranking(qvec, n, allowed) if uses_dense else []
        uses_bm25 = mode in (RetrievalMode.HYBRID, RetrievalMode.BM25)
        lexical, bm25_scores = self.bm25_ranking(query, n, allowed) if uses_bm25 else ([], None)
        if mode == RetrievalMode.HYBRID:
            fused = rrf_fuse([dense, lexical], self.settings.rrf_k)
        elif mode == RetrievalMode.DENSE:
            fused = [(i, float(self.store.vectors[i] @ qvec)) for i in dense]
        else:
            fused = [(i, float(bm25_scores[i])) for i in lexical]  # type: ignore[index]
        score_of = dict(fused)
        ranked = [i for i, _ in fused]
        kept = cap_per_group(ranked, self.paper_of, self.settings.per_paper_cap, k)
        named = named_papers(query, self.names)
        if named:  # the papers a question names by author and year are among the passages it gets
            kept = include_named(kept, ranked, self.paper_of, named)
        out = []
        for rank, i in enumerate(kept, start=1):
            _recheck_instructions(self.store.chunks[i])
            out.append(Passage(
                chunk=self.store.chunks[i], doc=self.doc_of[i], score=score_of[i],
                dense_score=float(self.store.vectors[i] @ qvec),
                bm25_score=None if bm25_scores is None else float(bm25_scores[i]),
                bm25_rel=None if bm25_scores is None else self.bm25.relative(float(bm25_scores[i])), rank=rank,
                study=self.study_of(self.paper_of[i]),
            ))
        return out


def _recheck_instructions(chunk: Chunk) -> None:
    """Flag a retrieved chunk that an index built before the detector knew look-alike letters, paraphrases and
    other languages left unflagged (0.4 ms a passage; the next `index build` stores the flag)."""
    if not chunk.instruction_like and instruction_like(chunk.text):
        chunk.instruction_like = True
