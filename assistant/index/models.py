"""Contracts of the index layer: Chunk (text + provenance) and Passage (a retrieved chunk)."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, Field

from assistant.corpus.models import DocumentMeta


class Chunk(BaseModel):
    chunk_id: str = Field(description="sha256 of (doc_id, section, page, span, text), 16 hex chars")
    doc_id: str
    paper_id: str
    ord: int = Field(description="position of the chunk within its document")
    section: str = ""
    page: int | None = None
    char_start: int = Field(description="start offset within the section's text")
    char_end: int
    text: str
    instruction_like: bool = Field(False, description="the passage addresses an AI assistant (e.g. 'ignore previous "
                                                      "instructions'): flagged at index time; its sentences are "
                                                      "never evidence, support or fallback material")

    @staticmethod
    def make_id(doc_id: str, section: str, page: int | None, start: int, end: int, text: str) -> str:
        key = "\x1f".join([doc_id, section, str(page), str(start), str(end), text])
        return hashlib.sha256(key.encode()).hexdigest()[:16]


class Passage(BaseModel):
    """A retrieved chunk with its document's bibliography and its scores."""

    chunk: Chunk
    doc: DocumentMeta
    score: float = Field(description="fused score (RRF) or the single retriever's score")
    dense_score: float | None = Field(None, description="cosine similarity to the query")
    bm25_score: float | None = None
    bm25_rel: float | None = Field(None, description="BM25 score divided by the corpus's largest IDF "
                                                     "(comparable across corpus sizes)")
    rank: int = Field(1, description="1-based rank in the result list")

    def to_dict(self) -> dict[str, object]:
        d = self.doc
        return {
            "rank": self.rank, "score": round(self.score, 6),
            "dense_score": None if self.dense_score is None else round(self.dense_score, 4),
            "bm25_score": None if self.bm25_score is None else round(self.bm25_score, 4),
            "bm25_rel": None if self.bm25_rel is None else round(self.bm25_rel, 4),
            "chunk_id": self.chunk.chunk_id, "doc_id": d.doc_id, "paper_id": d.paper_id, "kind": d.kind,
            "title": d.title, "authors": d.authors, "first_author": d.first_author, "year": d.year,
            "journal": d.journal, "doi": d.doi, "pmid": d.pmid, "pmcid": d.pmcid,
            "section": self.chunk.section, "page": self.chunk.page,
            "char_start": self.chunk.char_start, "char_end": self.chunk.char_end, "text": self.chunk.text,
            "instruction_like": self.chunk.instruction_like,
        }
