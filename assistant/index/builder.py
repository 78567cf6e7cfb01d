"""Build or update the index from the corpus folder, incrementally by file sha256."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import platform
import sqlite3
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from assistant.corpus.contracts import Document, DocumentMeta
from assistant.corpus.readers import iter_corpus_files, read_documents
from assistant.corpus.readers.dispatch import hidden_corpus_files
from assistant.corpus.sentences import MIN_EVIDENCE_CHARS, sentence_spans
from assistant.errors import AssistantError, IndexDamagedError, ReaderError
from assistant.index.chunking import Chunker, embedding_text
from assistant.index.contracts import (
    Chunk,
    ChunkingInfo,
    EmbedderInfo,
    FlaggedPassage,
    IndexCounts,
    IndexManifest,
    IndexStatus,
    SourceRecord,
)
from assistant.index.diskerrors import write_failure
from assistant.index.embedding import Embedder, EmbeddingCache, embed_with_cache
from assistant.index.flags import fold, instruction_like, instruction_match
from assistant.index.lock import build_lock
from assistant.index.store import (
    IndexData,
    current_version,
    load_version,
    manifest_differences,
    record_extractors,
    verified_manifest,
    write_version,
)
from assistant.safetext import valid_unicode
from assistant.settings import Settings
from assistant.studies.contracts import StudyRecord
from assistant.studies.extract import EXTRACTOR_VERSION, extract_record

log = logging.getLogger(__name__)


@dataclass
class BuildSummary:
    documents: int = 0
    chunks: int = 0
    embedded_documents: int = 0
    reused_documents: int = 0
    embedded_chunks: int = 0
    embedded_sentences: int = 0
    removed_documents: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    flagged_chunks: int = 0
    """passages flagged as instruction-like (never used as evidence)"""
    damaged_previous: str = ""
    """why the previous version could not be reused (then every document was rebuilt)"""
    seconds: float = 0.0
    chunk_seconds: float = 0.0
    """of ``seconds``: encoding the chunks that were not in the embedding cache"""
    sentence_seconds: float = 0.0
    """of ``seconds``: encoding the sentences that were not in the embedding cache"""
    path: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "skipped": [{"file": f, "reason": r} for f, r in self.skipped]}


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_HASHES: dict[tuple[str, int, int], str] = {}
"""sha256 by (resolved path, size, mtime_ns): the web UI asks for the index status after every answer, and
re-reading every PDF each time would cost seconds on a large corpus. An edit changes size or mtime."""


def cached_sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        _HASHES[key] = file_sha256(path)
    return _HASHES[key]


def corpus_files(settings: Settings) -> dict[str, str]:
    """source path (relative to the corpus folder) → sha256, for every readable-looking corpus file."""
    root = settings.corpus_dir
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): _sha256_or_blank(p) for p in iter_corpus_files(root)}


def _sha256_or_blank(path: Path) -> str:
    """The file's sha256, or '' when it cannot be read (no permission, vanished): the build then tries to read it
    and skips it by name with the reason, instead of stopping."""
    try:
        return cached_sha256(path)
    except OSError as exc:
        log.warning("cannot read %s: %s", path, exc)
        return ""


def _library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("sentence-transformers", "faiss-cpu", "bm25s", "numpy", "torch", "pypdf"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[pkg] = metadata.version(pkg)
    return out


def sentence_table(chunks: list[Chunk]) -> tuple[np.ndarray, list[str]]:
    """(rows of chunk row, start, end) and the texts of every chunk's sentences of at least MIN_EVIDENCE_CHARS."""
    rows: list[tuple[int, int, int]] = []
    texts: list[str] = []
    for i, c in enumerate(chunks):
        for start, end, sent in sentence_spans(c.text):
            if len(sent) >= MIN_EVIDENCE_CHARS:
                rows.append((i, start, end))
                texts.append(sent)
    return np.array(rows, dtype=np.int32).reshape(-1, 3), texts


BUILDER_VERSION = 4
"""Recorded in the manifest. 2: every record of a multi-record PubMed / PMC file is indexed, the manifest holds
checksums, chunks carry the instruction-like flag. 3: a study record per document. 4: hyphenated initials
("J.-P. Lefaucheur") no longer end a sentence (the stored sentence vectors are split anew). Files of an older version's
index are re-read (the embedding cache keeps that cheap)."""


def build_index(settings: Settings, rebuild: bool = False, progress: bool = True,
                embedder: Embedder | None = None, lock_wait_s: float = 0.0, records: bool = True) -> BuildSummary:
    """Read, chunk and embed what changed; carry over the rest; extract the study records of new or changed
    documents (``records=False`` skips them, for benchmarks); write a new version atomically.

    Holds the index folder's build lock throughout (IndexBusyError when another build has it)."""
    try:
        with build_lock(settings.index_dir, lock_wait_s):
            return _build(settings, rebuild, progress, embedder, records)
    except (OSError, sqlite3.OperationalError, RuntimeError) as exc:
        if (err := write_failure(exc, settings.index_dir)) is not None:
            raise err from exc
        raise


def _previous(settings: Settings, rebuild: bool, summary: BuildSummary) -> IndexData | None:
    """The current version to reuse from, if it is intact, built with these settings and by this builder."""
    old_path = current_version(settings.index_dir)
    if old_path is None or rebuild:
        return None
    try:
        data = load_version(old_path)
    except IndexDamagedError as exc:
        summary.damaged_previous = str(exc).split(" — ")[0]
        log.warning("the current index is damaged (%s): rebuilding every document", exc)
        return None
    if manifest_differences(data.manifest, settings) or data.manifest.builder_version < BUILDER_VERSION:
        return None
    return data


def _read_file(path: Path, rel: str, sha: str) -> list[Document]:
    """Every Document in one corpus file; any failure (not only ReaderError) is raised as ReaderError
    naming the file, so one bad file never stops the build."""
    try:
        docs = read_documents(path)
    except ReaderError:
        raise
    except RecursionError:
        raise ReaderError(f"{rel}: nested too deeply to read (RecursionError) — simplify or remove the file") from None
    except Exception as exc:  # noqa: BLE001 - isolate the failure to this file and say what it was
        raise ReaderError(f"{rel}: unexpected {type(exc).__name__} while reading ({exc}) — the file was skipped; "
                          "check that it is a valid PDF / XML / Markdown file") from None
    for doc in docs:
        doc.source = rel
        doc.sha256 = sha
        doc.title = valid_unicode(doc.title)
        for sec in doc.sections:
            sec.title = valid_unicode(sec.title)
            sec.text = valid_unicode(sec.text)
    return docs


def _too_large(path: Path, rel: str, settings: Settings) -> str:
    """Why ``path`` is too large to index ('' when it is not): over max_file_mb (PDFs: or max_pdf_mb)."""
    limit = settings.max_file_mb
    if path.suffix.lower() == ".pdf":
        limit = max(limit, settings.max_pdf_mb)
    mb = path.stat().st_size / 1e6
    if mb <= limit:
        return ""
    return (f"{rel}: {mb:.1f} MB is larger than the {limit:g} MB limit for one corpus file — split it, or raise "
            f"the limit (e.g. RTMS_MAX_FILE_MB={int(mb) + 1}) and run `rtms-assistant index build`")


def _record_label(rel: str, doc: Document, many: bool) -> str:
    if not many:
        return rel
    ident = f"PMID {doc.pmid}" if doc.pmid else (f"doi {doc.doi}" if doc.doi else doc.doc_id)
    return f"{rel} [{ident}]"


def _build(settings: Settings, rebuild: bool, progress: bool, embedder: Embedder | None,
           with_records: bool = True) -> BuildSummary:
    t0 = time.perf_counter()
    summary = BuildSummary()
    root = settings.corpus_dir
    files = corpus_files(settings)
    for hidden in hidden_corpus_files(root):
        rel = str(hidden.relative_to(root))
        summary.skipped.append((rel, f"{rel}: ignored because its name starts with '.' (a hidden file) — rename it "
                                     "without the leading dot to index it"))

    old = _previous(settings, rebuild, summary)
    # source file -> (its documents, their chunk rows), so that a multi-record file is reused as a whole
    old_by_source: dict[str, tuple[list[DocumentMeta], list[int]]] = {}
    if old is not None:
        rows_by_doc: dict[str, list[int]] = {}
        for i, c in enumerate(old.chunks):
            rows_by_doc.setdefault(c.doc_id, []).append(i)
        for d in old.documents:
            metas, rows = old_by_source.setdefault(d.source, ([], []))
            metas.append(d)
            rows.extend(rows_by_doc.get(d.doc_id, []))

    embedder = embedder or Embedder(settings.embedder, settings.embed_batch_size)
    chunker = Chunker(embedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap_tokens)

    docs: list[DocumentMeta] = []
    chunks: list[Chunk] = []
    vectors_by_row: list[np.ndarray | None] = []
    pending: list[tuple[int, str]] = []  # (row, embedding text) still to embed
    new_doc_rows: list[list[int]] = []
    seen_ids: set[str] = set()
    for rel, sha in tqdm(sorted(files.items()), desc="reading", unit="file", disable=not progress):
        prev = old_by_source.get(rel)
        if (prev is not None and all(m.sha256 == sha for m in prev[0])
                and not seen_ids.intersection(m.doc_id for m in prev[0])):
            metas, rows = prev
            docs.extend(metas)
            seen_ids.update(m.doc_id for m in metas)
            for r in rows:
                chunks.append(old.chunks[r])  # type: ignore[union-attr]
                vectors_by_row.append(old.vectors[r])  # type: ignore[union-attr]
            summary.reused_documents += len(metas)
            continue
        if too_big := _too_large(root / rel, rel, settings):
            summary.skipped.append((rel, too_big))
            log.warning("skipped %s", too_big)
            continue
        try:
            file_docs = _read_file(root / rel, rel, sha)
            doc_chunks = [chunker.chunk_document(doc) for doc in file_docs]
        except ReaderError as exc:
            summary.skipped.append((rel, str(exc)))
            log.warning("skipped %s: %s", rel, exc)
            continue
        except Exception as exc:  # noqa: BLE001 - chunking a strange document must not stop the build
            summary.skipped.append((rel, f"{rel}: unexpected {type(exc).__name__} while chunking ({exc})"))
            log.warning("skipped %s: %s", rel, exc)
            continue
        many = len(file_docs) > 1
        indexed = 0
        for doc, these in zip(file_docs, doc_chunks, strict=True):
            label = _record_label(rel, doc, many)
            if doc.doc_id in seen_ids:
                summary.skipped.append((label, f"duplicate document id {doc.doc_id} (already indexed from another "
                                               "file or record)"))
                continue
            if not these:
                summary.skipped.append((label, "no text to index"))
                continue
            if len(these) > settings.max_doc_chunks:
                summary.skipped.append((label, f"{label}: {len(these):,} passages, more than the limit of "
                                               f"{settings.max_doc_chunks:,} for one document — split the file, or "
                                               f"raise RTMS_MAX_DOC_CHUNKS and run `rtms-assistant index build`"))
                continue
            seen_ids.add(doc.doc_id)
            docs.append(doc.meta())
            indexed += 1
            rows = []
            for c in these:
                rows.append(len(chunks))
                pending.append((len(chunks), embedding_text(doc.title, c)))
                chunks.append(c)
                vectors_by_row.append(None)
            new_doc_rows.append(rows)
        if many:
            log.info("%s: %d records indexed", rel, indexed)

    for c in chunks:
        c.instruction_like = instruction_like(c.text)
    records = (study_records(docs, chunks, old.records if old is not None else {}, progress=progress)
               if with_records else {})

    # One batched pass over every new chunk (cached vectors are reused, never re-embedded); the cache is
    # committed batch by batch, so a build that is interrupted resumes where it stopped.
    cache = EmbeddingCache(settings.index_dir / "embed_cache.sqlite", settings.embedder)
    try:
        t_chunks = time.perf_counter()
        vecs, encoded = embed_with_cache(embedder, cache, [t for _, t in pending], desc="embedding",
                                       progress=progress)
        # every chunk's sentences, so that choosing evidence sentences at query time is a dot product (unchanged
        # sentences come from the cache); all documents' sentences in one pass, batched longest first
        spans, sent_texts = sentence_table(chunks)
        t_sentences = time.perf_counter()
        sent_vecs, sent_encoded = embed_with_cache(embedder, cache, sent_texts, desc="sentences", progress=progress)
        summary.chunk_seconds = round(t_sentences - t_chunks, 2)
        summary.sentence_seconds = round(time.perf_counter() - t_sentences, 2)
    finally:
        cache.close()
    for (row, _), v in zip(pending, vecs, strict=True):
        vectors_by_row[row] = v
    summary.embedded_chunks = len(encoded)
    summary.embedded_sentences = len(sent_encoded)
    encoded_rows = {pending[i][0] for i in encoded}
    summary.embedded_documents = sum(1 for rows in new_doc_rows if encoded_rows.intersection(rows))

    summary.removed_documents = len(set(old_by_source) - set(files)) if old is not None else 0
    filled = [v for v in vectors_by_row if v is not None]
    assert len(filled) == len(vectors_by_row), "a chunk without a vector"
    vectors = np.stack(filled).astype(np.float32) if filled else np.zeros((0, 384), np.float32)
    manifest = IndexManifest(
        index_params=settings.index_params(),
        index_hash=settings.index_hash(),
        embedder=EmbedderInfo(name=settings.embedder, dim=int(vectors.shape[1]) if vectors.ndim == 2 else 384),
        chunking=ChunkingInfo(max_tokens=settings.chunk_tokens, overlap_tokens=settings.chunk_overlap_tokens),
        documents=_documents_by_source(docs),
        skipped={f: r for f, r in summary.skipped},
        counts=IndexCounts(documents=len(docs), chunks=len(chunks), sentences=len(sent_texts)),
        builder_version=BUILDER_VERSION,
        instruction_like=_flagged(chunks, docs),
        libraries=_library_versions(),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )
    dim = vectors.shape[1] if vectors.ndim == 2 and len(vectors) else 384
    sentence_vectors = (sent_vecs.astype(np.float16) if len(sent_texts)
                        else np.zeros((0, dim), np.float16))
    data = IndexData(docs, chunks, vectors, manifest, sentences=spans, sentence_vectors=sentence_vectors,
                     records=records)
    path = write_version(settings.index_dir, data, settings.faiss_index, settings.hnsw_from_chunks)
    summary.documents, summary.chunks = len(docs), len(chunks)
    summary.flagged_chunks = len(manifest.instruction_like)
    summary.seconds = round(time.perf_counter() - t0, 2)
    summary.path = str(path)
    return summary


def study_records(docs: list[DocumentMeta], chunks: list[Chunk], old: dict[str, StudyRecord],
                  progress: bool = True) -> dict[str, StudyRecord]:
    """The study record of every document, by doc_id: an unchanged document (same sha256, same extractor) keeps
    the record of the previous version, the others are extracted from their chunks (planted instructions are
    never a source)."""
    by_doc: dict[str, list[Chunk]] = {}
    for c in chunks:
        if not c.instruction_like:
            by_doc.setdefault(c.doc_id, []).append(c)
    out: dict[str, StudyRecord] = {}
    for d in tqdm(docs, desc="records", unit="doc", disable=not progress or len(docs) < 50):
        prev = old.get(d.doc_id)
        if prev is not None and prev.source_sha256 == d.sha256 and prev.extractor == EXTRACTOR_VERSION:
            out[d.doc_id] = prev
            continue
        try:
            out[d.doc_id] = extract_record(d, by_doc.get(d.doc_id, [])).model_copy(
                update={"source_sha256": d.sha256, "extractor": EXTRACTOR_VERSION})
        except Exception as exc:  # noqa: BLE001 - a record that cannot be read must not stop the build
            log.warning("no study record for %s: %s: %s", d.doc_id, type(exc).__name__, exc)
    return out


def _documents_by_source(docs: list[DocumentMeta]) -> dict[str, SourceRecord]:
    """source file -> its sha256 and document ids (several for a multi-record PubMed / PMC file)."""
    out: dict[str, SourceRecord] = {}
    for d in docs:
        entry = out.setdefault(d.source, SourceRecord(doc_id=d.doc_id, sha256=d.sha256))
        entry.doc_ids.append(d.doc_id)
    return out


def _flagged(chunks: list[Chunk], docs: list[DocumentMeta]) -> list[FlaggedPassage]:
    """The instruction-like passages, for `index status`."""
    source = {d.doc_id: d.source for d in docs}
    return [FlaggedPassage(chunk_id=c.chunk_id, source=source.get(c.doc_id, ""), section=c.section,
                           excerpt=_excerpt(c.text)) for c in chunks if c.instruction_like]


def _excerpt(text: str, width: int = 100) -> str:
    m = instruction_match(text)
    if m is not None and len(fold(text)) == len(text):
        start = max(0, m.start() - 20)
        return ("…" if start else "") + " ".join(text[start:start + width].split()) + "…"
    return " ".join(text[:width].split())


def index_status(settings: Settings) -> IndexStatus:
    """What is indexed, with which settings, and whether it is stale (and why)."""
    path = current_version(settings.index_dir)
    if path is None:
        return IndexStatus(exists=False, stale=True, reasons=["no index built yet"], index_dir=str(settings.index_dir))
    try:
        manifest = verified_manifest(path)
    except IndexDamagedError as exc:
        return IndexStatus(exists=True, stale=True, damaged=str(exc), reasons=[str(exc)], path=str(path),
                           index_dir=str(settings.index_dir), documents=0, chunks=0, index_params=None,
                           built_at=None, skipped={}, libraries=None, instruction_like=[])
    reasons = manifest_differences(manifest, settings)
    if manifest.files is None:
        reasons.append("the index has no checksums (built by an older version)")
    elif manifest.builder_version < BUILDER_VERSION:
        reasons.append("built by an older version of the index builder")
    with contextlib.suppress(sqlite3.Error):
        older = sorted(v for v in record_extractors(path / "chunks.sqlite") if v < EXTRACTOR_VERSION)
        if older:
            reasons.append(f"study records made by an older extractor (version {older[0]}; now {EXTRACTOR_VERSION}): "
                           "`rtms-assistant index build` extracts them again")
    try:
        files = corpus_files(settings)
    except AssistantError as exc:  # pragma: no cover - readers missing
        files, reasons = {}, [*reasons, str(exc)]
    built = {k: v.sha256 for k, v in manifest.documents.items()}
    skipped = manifest.skipped
    skipped_files = {k.split(" [", 1)[0] for k in skipped}  # "file [PMID n]": one record of a multi-record file
    added = [f for f in files if f not in built and f not in skipped_files]
    changed = [f for f in files if f in built and built[f] != files[f]]
    removed = [f for f in built if f not in files]
    if added:
        reasons.append(f"{len(added)} new file(s), e.g. {added[0]}")
    if changed:
        reasons.append(f"{len(changed)} changed file(s), e.g. {changed[0]}")
    if removed:
        reasons.append(f"{len(removed)} removed file(s), e.g. {removed[0]}")
    return IndexStatus(
        exists=True, stale=bool(reasons), reasons=reasons, path=str(path), index_dir=str(settings.index_dir),
        documents=manifest.counts.documents, chunks=manifest.counts.chunks, index_params=manifest.index_params,
        built_at=manifest.built_at, skipped=skipped, libraries=manifest.libraries, damaged=None,
        instruction_like=manifest.instruction_like,
    )
