"""On-disk index: FAISS inner-product index + SQLite chunk store + JSON manifest, in a versioned folder.

Layout under ``index_dir``::

    CURRENT                 name of the live version folder (replaced atomically)
    v-<timestamp>/          faiss.index, vectors.npy, chunks.sqlite, manifest.json,
                            sentences.npy + sentence_vectors.npy (every chunk sentence's span and vector)
    embed_cache.sqlite      vectors by exact embedded text (survives rebuilds)

A build writes a new version folder completely, then swaps CURRENT with ``os.replace``; a crash at any
point leaves the previous version loadable. No pickle: numpy arrays are saved with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from assistant.corpus.models import DocumentMeta
from assistant.errors import EmptyIndexError, IndexMismatchError, IndexMissingError
from assistant.index.models import Chunk
from assistant.settings import Settings

# One query at a time: OpenMP threads cost more than they save (measured: 60 ms with 2 threads vs 21 ms
# with 1 for an exact search over 100k vectors on 2 busy cores).
faiss.omp_set_num_threads(1)

REBUILD_HINT = "run `rtms-assistant index build --rebuild`"
BUILD_HINT = "run `rtms-assistant index build` (or `make run`)"

_SCHEMA = """
CREATE TABLE documents (doc_id TEXT PRIMARY KEY, paper_id TEXT NOT NULL, source TEXT NOT NULL,
                        sha256 TEXT NOT NULL, meta TEXT NOT NULL);
CREATE TABLE chunks (row INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL,
                     ord INTEGER NOT NULL, section TEXT NOT NULL, page INTEGER, char_start INTEGER NOT NULL,
                     char_end INTEGER NOT NULL, text TEXT NOT NULL);
CREATE INDEX chunks_doc ON chunks(doc_id);
"""


@dataclass
class IndexData:
    """Everything a version folder holds, in memory."""

    documents: list[DocumentMeta]
    chunks: list[Chunk]
    vectors: np.ndarray
    manifest: dict[str, Any] = field(default_factory=dict)
    sentences: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.int32))
    """one row per chunk sentence: (chunk row, start, end) in the chunk's text"""
    sentence_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 384), np.float16))


def current_version(index_dir: Path) -> Path | None:
    pointer = index_dir / "CURRENT"
    if not pointer.exists():
        return None
    path = index_dir / pointer.read_text().strip()
    return path if (path / "manifest.json").exists() else None


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    v = current_version(index_dir)
    return json.loads((v / "manifest.json").read_text()) if v else None


def manifest_differences(manifest: dict[str, Any], settings: Settings) -> list[str]:
    built = manifest.get("index_params", {})
    want = settings.index_params()
    return [f"{k}: index has {built.get(k)!r}, settings say {want[k]!r}"
            for k in sorted(want) if built.get(k) != want[k]]


def build_faiss(vectors: np.ndarray, kind: str, hnsw_from: int = 50_000) -> faiss.Index:
    """Exact inner-product index, or HNSW (kind 'hnsw', or 'auto' with at least ``hnsw_from`` vectors)."""
    dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[0] else 384
    if kind == "hnsw" or (kind == "auto" and len(vectors) >= hnsw_from):
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = 64
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def write_version(index_dir: Path, data: IndexData, faiss_kind: str, hnsw_from: int = 50_000) -> Path:
    """Write a complete version folder, then point CURRENT at it; older versions are removed after."""
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"v-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = index_dir / f".tmp-{name}"
    tmp.mkdir()
    try:
        db = sqlite3.connect(tmp / "chunks.sqlite")
        db.executescript(_SCHEMA)
        db.executemany("INSERT INTO documents VALUES (?,?,?,?,?)",
                       [(d.doc_id, d.paper_id, d.source, d.sha256, d.model_dump_json()) for d in data.documents])
        db.executemany("INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?)",
                       [(i, c.chunk_id, c.doc_id, c.ord, c.section, c.page, c.char_start, c.char_end, c.text)
                        for i, c in enumerate(data.chunks)])
        db.commit()
        db.close()
        np.save(tmp / "vectors.npy", np.ascontiguousarray(data.vectors, dtype=np.float32), allow_pickle=False)
        np.save(tmp / "sentences.npy", np.ascontiguousarray(data.sentences, dtype=np.int32), allow_pickle=False)
        np.save(tmp / "sentence_vectors.npy", np.ascontiguousarray(data.sentence_vectors, dtype=np.float16),
                allow_pickle=False)
        faiss.write_index(build_faiss(data.vectors, faiss_kind, hnsw_from), str(tmp / "faiss.index"))
        (tmp / "manifest.json").write_text(json.dumps(data.manifest, indent=2, sort_keys=True))
        final = index_dir / name
        tmp.rename(final)
        pointer_tmp = index_dir / ".CURRENT.tmp"
        pointer_tmp.write_text(name)
        os.replace(pointer_tmp, index_dir / "CURRENT")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _remove_old_versions(index_dir, keep=name)
    return final


def _remove_old_versions(index_dir: Path, keep: str) -> None:
    for p in index_dir.iterdir():
        if p.is_dir() and p.name != keep and (p.name.startswith("v-") or p.name.startswith(".tmp-v-")):
            shutil.rmtree(p, ignore_errors=True)


def load_version(path: Path) -> IndexData:
    db = sqlite3.connect(f"file:{path / 'chunks.sqlite'}?mode=ro", uri=True)
    try:
        docs = [DocumentMeta.model_validate_json(m) for (m,) in db.execute("SELECT meta FROM documents")]
        chunks = [Chunk(chunk_id=r[1], doc_id=r[2], paper_id="", ord=r[3], section=r[4], page=r[5],
                        char_start=r[6], char_end=r[7], text=r[8])
                  for r in db.execute("SELECT * FROM chunks ORDER BY row")]
    finally:
        db.close()
    paper_of = {d.doc_id: d.paper_id for d in docs}
    for c in chunks:
        c.paper_id = paper_of.get(c.doc_id, "")
    vectors = np.load(path / "vectors.npy", allow_pickle=False)
    manifest = json.loads((path / "manifest.json").read_text())
    data = IndexData(docs, chunks, vectors, manifest)
    if (path / "sentences.npy").exists():
        data.sentences = np.load(path / "sentences.npy", allow_pickle=False)
        data.sentence_vectors = np.load(path / "sentence_vectors.npy", allow_pickle=False)
    return data


class IndexStore:
    """A loaded, read-only index version."""

    def __init__(self, data: IndexData, faiss_index: faiss.Index, path: Path) -> None:
        self.data = data
        self.faiss = faiss_index
        self.path = path
        self.docs = {d.doc_id: d for d in data.documents}

    @classmethod
    def open(cls, settings: Settings, *, allow_empty: bool = False) -> IndexStore:
        path = current_version(settings.index_dir)
        if path is None:
            raise IndexMissingError(f"no index in {settings.index_dir}: {BUILD_HINT}")
        manifest = json.loads((path / "manifest.json").read_text())
        diffs = manifest_differences(manifest, settings)
        if diffs:
            raise IndexMismatchError(
                "the index was built with other settings (" + "; ".join(diffs) + f"): {REBUILD_HINT}")
        data = load_version(path)
        if not data.chunks and not allow_empty:
            raise EmptyIndexError(f"the index in {settings.index_dir} holds no passages: add documents to "
                                  f"{settings.corpus_dir} (e.g. corpus/digest notes) and {BUILD_HINT}")
        return cls(data, faiss.read_index(str(path / "faiss.index")), path)

    @property
    def chunks(self) -> list[Chunk]:
        return self.data.chunks

    @property
    def vectors(self) -> np.ndarray:
        return self.data.vectors

    @property
    def manifest(self) -> dict[str, Any]:
        return self.data.manifest
