"""Contracts of the index layer: Chunk (text + provenance), Passage (a retrieved chunk), IndexManifest (what a
built version holds) and IndexStatus (whether it matches the corpus and settings)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assistant.corpus.contracts import DocumentMeta
from assistant.studies.contracts import StudySummary


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
    study: StudySummary | None = Field(None, description="the paper's study record in brief (kind, badge, species, "
                                                         "size), when it has one")

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
            "study_kind": self.study.kind if self.study else None,
            "study_badge": self.study.badge if self.study else "",
            "study_species": list(self.study.species) if self.study else [],
            "study_n": self.study.n if self.study else None,
        }


# --- the index manifest (manifest.json of a version folder) and the index status -------------------------
class FileRecord(BaseModel):
    """Size and checksum of one index file, recorded at build time."""

    sha256: str
    bytes: int
    mtime_ns: int | None = None


class SourceRecord(BaseModel):
    """One indexed corpus file: its sha256 and the documents read from it."""

    doc_id: str
    sha256: str
    doc_ids: list[str] = Field(default_factory=list)


class FlaggedPassage(BaseModel):
    """A passage holding instruction-like text (never used as evidence), as `index status` lists it."""

    chunk_id: str
    source: str
    section: str
    excerpt: str


class IndexCounts(BaseModel):
    documents: int
    chunks: int
    sentences: int | None = None


class EmbedderInfo(BaseModel):
    name: str
    dim: int


class ChunkingInfo(BaseModel):
    max_tokens: int
    overlap_tokens: int


class IndexManifest(BaseModel):
    """What a version folder holds and how it was built. Read only through ``integrity.read_manifest_file``;
    keys this version does not know are kept (``extra="allow"``)."""

    model_config = ConfigDict(extra="allow")

    counts: IndexCounts
    index_params: dict[str, Any] = Field(default_factory=dict, description="Settings.index_params() at build time")
    index_hash: str | None = None
    embedder: EmbedderInfo | None = None
    chunking: ChunkingInfo | None = None
    documents: dict[str, SourceRecord] = Field(default_factory=dict, description="corpus file -> its record")
    skipped: dict[str, str] = Field(default_factory=dict, description="corpus file -> why it was not indexed")
    builder_version: int = 1
    instruction_like: list[FlaggedPassage] = Field(default_factory=list)
    libraries: dict[str, Any] | None = None
    built_at: str | None = None
    files: dict[str, FileRecord] | None = Field(None, description="checksums (None: built before they were kept)")

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json", exclude_none=True), indent=2, sort_keys=True)


class IndexStatus(BaseModel):
    """What is indexed, with which settings, and whether it is stale (and why): ``Assistant.status()``."""

    exists: bool
    stale: bool
    reasons: list[str] = Field(default_factory=list)
    path: str | None = None
    index_dir: str
    documents: int = 0
    chunks: int = 0
    index_params: dict[str, Any] | None = None
    built_at: str | None = None
    skipped: dict[str, str] = Field(default_factory=dict)
    libraries: dict[str, Any] | None = None
    damaged: str | None = None
    instruction_like: list[FlaggedPassage] = Field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `index status --json` (without an index: only what is known)."""
        return self.model_dump(mode="json", exclude_unset=True)
