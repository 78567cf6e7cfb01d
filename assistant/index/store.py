"""On-disk index: FAISS inner-product index + SQLite chunk store + JSON manifest, in a versioned folder.

Layout under ``index_dir``::

    CURRENT                 name of the live version folder (replaced atomically)
    v-<timestamp>/          faiss.index, vectors.npy, chunks.sqlite, manifest.json,
                            sentences.npy + sentence_vectors.npy (every chunk sentence's span and vector)
    embed_cache.sqlite      vectors by exact embedded text (survives rebuilds)

A build writes a new version folder completely, then swaps CURRENT with ``os.replace``; a crash at any
point leaves the previous version loadable. No pickle: numpy arrays are saved with ``allow_pickle=False``.
The manifest records the size and sha256 of every other file (``files``); opening a version verifies them,
so a damaged file gives "damaged: <file> — run `rtms-assistant index build --rebuild`", not a traceback.
Builds hold ``.build.lock`` (see ``lock.py``); clean-up after a build removes only version folders that
CURRENT does not point at, and temporary folders of processes that no longer run.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from assistant import atomicio
from assistant.corpus.contracts import DocumentMeta
from assistant.errors import EmptyIndexError, IndexDamagedError, IndexMismatchError, IndexMissingError
from assistant.index import integrity
from assistant.index.contracts import Chunk, IndexCounts, IndexManifest
from assistant.index.flags import instruction_like
from assistant.settings import Settings
from assistant.studies.contracts import StudyRecord

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
                     char_end INTEGER NOT NULL, text TEXT NOT NULL, instruction_like INTEGER NOT NULL DEFAULT 0);
CREATE INDEX chunks_doc ON chunks(doc_id);
CREATE TABLE records (doc_id TEXT PRIMARY KEY, paper_id TEXT NOT NULL, record TEXT NOT NULL);
"""


@dataclass
class IndexData:
    """Everything a version folder holds, in memory."""

    documents: list[DocumentMeta]
    chunks: list[Chunk]
    vectors: np.ndarray
    manifest: IndexManifest = field(default_factory=lambda: IndexManifest(counts=IndexCounts(documents=0, chunks=0)))
    sentences: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.int32))
    """one row per chunk sentence: (chunk row, start, end) in the chunk's text"""
    sentence_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 384), np.float16))
    records: dict[str, StudyRecord] = field(default_factory=dict)
    """the study record read from each document, by doc_id (``IndexStore.studies`` merges them per paper)"""


_MAX_POINTER_BYTES = 120
_VERSION_NAME = re.compile(r"v-[A-Za-z0-9_.-]{1,100}")
"""What CURRENT may hold: a version folder's name (junk, a path or 300 bytes of noise is damage, not a path)."""


def current_version(index_dir: Path) -> Path | None:
    """The folder CURRENT names (it may be damaged: see ``verified_manifest``); None when no index was built."""
    pointer = index_dir / "CURRENT"
    try:
        with pointer.open("rb") as f:
            name = f.read(_MAX_POINTER_BYTES + 1).decode("utf-8", "replace").strip()
    except FileNotFoundError:
        return None
    except OSError:  # a folder, unreadable: treated as scrambled (a build repairs it)
        name = ""
    if not _VERSION_NAME.fullmatch(name):
        return index_dir / "CURRENT"  # a scrambled pointer: reported as damaged by verified_manifest
    return index_dir / name


def verified_manifest(path: Path, full: bool = True) -> IndexManifest:
    """The manifest of version folder ``path`` after checking every recorded file; IndexDamagedError if not.
    ``full=False``: hash only files modified since the build (see ``integrity``)."""
    if path.name == "CURRENT":
        raise IndexDamagedError(integrity.damaged_message("CURRENT", "does not hold a version folder's name"))
    if not path.is_dir():
        raise IndexDamagedError(integrity.damaged_message(
            "CURRENT", f"points at {path.name}, which is not a version folder"))
    manifest = integrity.read_manifest_file(path)
    integrity.verify(path, manifest, full)
    return manifest


def read_manifest(index_dir: Path) -> IndexManifest | None:
    """The current version's manifest; None when there is none or it is unreadable."""
    v = current_version(index_dir)
    if v is None:
        return None
    try:
        return integrity.read_manifest_file(v)
    except IndexDamagedError:
        return None


def manifest_differences(manifest: IndexManifest | None, settings: Settings) -> list[str]:
    """'<param>: index has …, settings say …' for every index parameter the settings change (all without a
    manifest)."""
    built = manifest.index_params if isinstance(manifest, IndexManifest) else {}
    want = settings.index_params()
    return [f"{k}: index has {built.get(k)!r}, settings say {want[k]!r}"
            for k in sorted(want) if built.get(k) != want[k]]


def build_faiss(vectors: np.ndarray, kind: str, hnsw_from: int = 50_000) -> faiss.Index:
    """Exact inner-product index, or HNSW (kind 'hnsw', or 'auto' with at least ``hnsw_from`` vectors)."""
    dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[0] else 384
    index: faiss.Index
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
        db.executemany("INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?)",
                       [(i, c.chunk_id, c.doc_id, c.ord, c.section, c.page, c.char_start, c.char_end, c.text,
                         int(c.instruction_like)) for i, c in enumerate(data.chunks)])
        db.executemany("INSERT INTO records VALUES (?,?,?)",
                       [(doc_id, r.paper_id, r.model_dump_json()) for doc_id, r in sorted(data.records.items())])
        db.commit()
        db.close()
        np.save(tmp / "vectors.npy", np.ascontiguousarray(data.vectors, dtype=np.float32), allow_pickle=False)
        np.save(tmp / "sentences.npy", np.ascontiguousarray(data.sentences, dtype=np.int32), allow_pickle=False)
        np.save(tmp / "sentence_vectors.npy", np.ascontiguousarray(data.sentence_vectors, dtype=np.float16),
                allow_pickle=False)
        faiss.write_index(build_faiss(data.vectors, faiss_kind, hnsw_from), str(tmp / "faiss.index"))
        manifest = data.manifest.model_copy(update={"files": integrity.checksums(tmp)})
        (tmp / "manifest.json").write_text(manifest.to_json())
        _fsync_folder_files(tmp)
        final = index_dir / name
        tmp.rename(final)
        _switch_current(index_dir, name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _remove_old_versions(index_dir, keep=name)
    return final


def _fsync_folder_files(folder: Path) -> None:
    """Flush the new version to disk before CURRENT can name it (a power cut must not leave CURRENT pointing
    at empty files)."""
    for p in folder.iterdir():
        with p.open("rb") as f:
            os.fsync(f.fileno())


def _switch_current(index_dir: Path, name: str) -> None:
    """Point CURRENT at ``name`` atomically: write a private temporary file, fsync it, ``os.replace`` it."""
    # temporary name .CURRENT.<pid>.<n>.tmp: _remove_old_versions clears those of builders that died
    atomicio.write_text(index_dir / "CURRENT", name, tag=f"{os.getpid()}.{time.monotonic_ns()}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_pid(name: str) -> int | None:
    """The builder's pid in a version name ``v-<date>-<time>-<pid>-<n>`` (with or without '.tmp-')."""
    parts = name.removeprefix(".tmp-").split("-")
    return int(parts[3]) if len(parts) == 5 and parts[3].isdigit() else None


def _remove_old_versions(index_dir: Path, keep: str) -> None:
    """Remove superseded version folders (only names this module creates), never the one CURRENT names, and a
    temporary folder only when the process that was writing it has ended (a crashed build's leftovers)."""
    current = current_version(index_dir)
    for p in index_dir.iterdir():
        if not p.is_dir() or p.name == keep or (current is not None and p.name == current.name):
            continue
        if p.name.startswith("v-") and _owner_pid(p.name) is not None:
            shutil.rmtree(p, ignore_errors=True)
        elif p.name.startswith(".tmp-v-"):
            pid = _owner_pid(p.name)
            if pid is not None and pid != os.getpid() and not _pid_alive(pid):
                shutil.rmtree(p, ignore_errors=True)
    for p in index_dir.glob(".CURRENT.*.tmp"):
        with contextlib.suppress(ValueError, IndexError):
            if not _pid_alive(int(p.name.split(".")[2])):
                p.unlink(missing_ok=True)


def load_version(path: Path, full_check: bool = True) -> IndexData:
    """Read a version folder (checksums verified first); IndexDamagedError names a file that cannot be read."""
    manifest = verified_manifest(path, full_check)
    with _reading("chunks.sqlite"):
        docs, chunks = _read_chunk_store(path / "chunks.sqlite")
        records = _read_records(path / "chunks.sqlite")
    paper_of = {d.doc_id: d.paper_id for d in docs}
    for c in chunks:
        c.paper_id = paper_of.get(c.doc_id, "")
    with _reading("vectors.npy"):
        vectors = np.load(path / "vectors.npy", allow_pickle=False)
    data = IndexData(docs, chunks, vectors, manifest, records=records)
    if (path / "sentences.npy").exists() or "sentences.npy" in (manifest.files or {}):
        with _reading("sentences.npy"):
            data.sentences = np.load(path / "sentences.npy", allow_pickle=False)
        with _reading("sentence_vectors.npy"):
            data.sentence_vectors = np.load(path / "sentence_vectors.npy", allow_pickle=False)
    _check_shapes(data)
    return data


def _check_shapes(data: IndexData) -> None:
    """Array shapes agree with the chunk table, the sentence table and each other; IndexDamagedError naming the
    first file that does not (an edited .npy header keeps size and mtime, so the fast check cannot see it)."""
    n, dim = len(data.chunks), data.manifest.embedder.dim if data.manifest.embedder else None
    v, spans, sv = data.vectors, data.sentences, data.sentence_vectors
    problems = [
        ("vectors.npy", v.ndim != 2 or v.shape[0] != n or (dim is not None and n > 0 and v.shape[1] != dim),
         f"shape {v.shape} for {n} passages"),
        ("sentences.npy", spans.ndim != 2 or spans.shape[1:] != (3,) or (len(spans) > 0 and (
            int(spans[:, 0].min()) < 0 or int(spans[:, 0].max()) >= n)), f"shape {spans.shape} for {n} passages"),
        ("sentence_vectors.npy", sv.ndim != 2 or sv.shape[0] != len(spans) or (
            len(sv) > 0 and v.ndim == 2 and sv.shape[1] != v.shape[1]),
         f"shape {sv.shape} for {len(spans)} sentences"),
    ]
    for name, bad, what in problems:
        if bad:
            raise IndexDamagedError(integrity.damaged_message(name, what))


@contextlib.contextmanager
def _reading(name: str):  # type: ignore[no-untyped-def]
    """Turn whatever SQLite / NumPy raise on an unreadable file into IndexDamagedError naming the file."""
    try:
        yield
    except IndexDamagedError:
        raise
    except Exception as exc:  # noqa: BLE001 - an unreadable file means the same thing whatever the library says
        raise IndexDamagedError(integrity.damaged_message(name, f"{type(exc).__name__}: {exc}")) from exc


def _read_chunk_store(db_path: Path) -> tuple[list[DocumentMeta], list[Chunk]]:
    if not db_path.is_file():
        raise IndexDamagedError(integrity.damaged_message(db_path.name, "missing"))
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        docs = [DocumentMeta.model_validate_json(m) for (m,) in db.execute("SELECT meta FROM documents")]
        has_flag = any(r[1] == "instruction_like" for r in db.execute("PRAGMA table_info(chunks)"))
        cols = "row, chunk_id, doc_id, ord, section, page, char_start, char_end, text" + (
            ", instruction_like" if has_flag else "")
        chunks = [Chunk(chunk_id=r[1], doc_id=r[2], paper_id="", ord=r[3], section=r[4], page=r[5],
                        char_start=r[6], char_end=r[7], text=r[8],
                        instruction_like=bool(r[9]) if has_flag else instruction_like(r[8]))
                  for r in db.execute(f"SELECT {cols} FROM chunks ORDER BY row")]
    finally:
        db.close()
    return docs, chunks


def _has_records(db: sqlite3.Connection) -> bool:
    """Whether the chunk store holds study records (an index built before records existed holds none)."""
    return db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='records'").fetchone() is not None


def _read_records(db_path: Path) -> dict[str, StudyRecord]:
    """The study records by doc_id ({} for an index built before records existed)."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        if not _has_records(db):
            return {}
        return {doc_id: StudyRecord.model_validate_json(rec)
                for doc_id, rec in db.execute("SELECT doc_id, record FROM records")}
    finally:
        db.close()


def record_extractors(db_path: Path) -> set[int]:
    """The extractor versions the stored study records were made by (empty when there are none)."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        if not _has_records(db):
            return set()
        return {int(v or 0) for (v,) in db.execute("SELECT DISTINCT json_extract(record, '$.extractor') FROM records")}
    finally:
        db.close()


class IndexStore:
    """A loaded, read-only index version."""

    def __init__(self, data: IndexData, faiss_index: faiss.Index, path: Path) -> None:
        self.data = data
        self.faiss = faiss_index
        self.path = path
        self.docs = {d.doc_id: d for d in data.documents}
        self._studies: dict[str, StudyRecord] | None = None
        self._rows: dict[str, int] | None = None

    @classmethod
    def open(cls, settings: Settings, *, allow_empty: bool = False) -> IndexStore:
        """The current version; IndexDamagedError names a damaged file. A version a build replaced (and removed)
        while it was being read is not damage: the new CURRENT is opened instead."""
        for attempt in range(3):
            path = current_version(settings.index_dir)
            if path is None:
                raise IndexMissingError(f"no index in {settings.index_dir}: {BUILD_HINT}")
            try:
                return cls._open_version(settings, path, allow_empty)
            except IndexDamagedError:
                if attempt == 2 or current_version(settings.index_dir) == path:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    @classmethod
    def _open_version(cls, settings: Settings, path: Path, allow_empty: bool) -> IndexStore:
        manifest = verified_manifest(path, full=False)
        diffs = manifest_differences(manifest, settings)
        if diffs:
            raise IndexMismatchError(
                "the index was built with other settings (" + "; ".join(diffs) + f"): {REBUILD_HINT}")
        data = load_version(path, full_check=False)
        if not data.chunks and not allow_empty:
            raise EmptyIndexError(f"the index in {settings.index_dir} holds no passages: add documents to "
                                  f"{settings.corpus_dir} (e.g. corpus/digest notes) and {BUILD_HINT}")
        try:
            index = faiss.read_index(str(path / "faiss.index"))
        except Exception as exc:  # noqa: BLE001 - FAISS raises RuntimeError for any unreadable file
            raise IndexDamagedError(integrity.damaged_message("faiss.index", f"unreadable: {exc}")) from exc
        if index.ntotal != len(data.chunks) or len(data.vectors) != len(data.chunks):
            raise IndexDamagedError(integrity.damaged_message(
                "faiss.index", f"{index.ntotal} vectors for {len(data.chunks)} passages"))
        return cls(data, index, path)

    @property
    def chunks(self) -> list[Chunk]:
        return self.data.chunks

    @property
    def vectors(self) -> np.ndarray:
        return self.data.vectors

    @property
    def manifest(self) -> IndexManifest:
        return self.data.manifest

    def row_of(self, chunk_id: str) -> int | None:
        """The row of a chunk (in ``chunks``, ``vectors`` and the sentence table) by its id; None when not held."""
        if self._rows is None:
            self._rows = {c.chunk_id: i for i, c in enumerate(self.data.chunks)}
        return self._rows.get(chunk_id)

    @property
    def studies(self) -> dict[str, StudyRecord]:
        """One study record per paper (the records of its documents merged), by paper_id."""
        if self._studies is None:
            from assistant.studies.extract import merge_records  # the rules load only when records are read

            by_paper: dict[str, list[StudyRecord]] = {}
            for d in self.data.documents:
                rec = self.data.records.get(d.doc_id)
                if rec is not None:
                    by_paper.setdefault(d.paper_id, []).append(rec)
            self._studies = {p: merge_records(recs) for p, recs in by_paper.items()}
        return self._studies
