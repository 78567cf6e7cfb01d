"""Building documents and chunks for the study-record tests, and the check every recorded value must pass."""

from __future__ import annotations

from typing import Any

from assistant.corpus.contracts import DocumentMeta
from assistant.corpus.sentences import sentence_spans
from assistant.index.contracts import Chunk
from assistant.studies.contracts import StudyRecord
from assistant.studies.extract import extract_record


def document(*sections: tuple[str, str], kind: str = "abstract", role: str | None = None,
             extra: dict[str, Any] | None = None, paper: str = "pmid:1") -> tuple[DocumentMeta, list[Chunk]]:
    """A document of (section title, text) parts, one chunk per part, as the index holds them."""
    doc = DocumentMeta(doc_id=f"{paper}#{kind}", paper_id=paper, kind=kind, role=role, extra=extra or {},  # type: ignore[arg-type]
                       authors=["Test A"], year=2020, title="An invented study")
    chunks = [Chunk(chunk_id=Chunk.make_id(doc.doc_id, title, None, 0, len(text), text), doc_id=doc.doc_id,
                    paper_id=paper, ord=i, section=title, char_start=0, char_end=len(text), text=text)
              for i, (title, text) in enumerate(sections)]
    return doc, chunks


def record(*texts: str | tuple[str, str], **kw: Any) -> StudyRecord:
    """The record of a document whose parts are plain texts (section 'Methods') or (title, text) pairs; every
    value's source is checked before it is returned."""
    parts = [t if isinstance(t, tuple) else ("Methods", t) for t in texts]
    doc, chunks = document(*parts, **kw)
    rec = extract_record(doc, chunks)
    assert_sources(rec, chunks)
    return rec


def assert_sources(rec: StudyRecord, chunks: list[Chunk]) -> None:
    """Every value points at a sentence of its chunk (as ``sentence_spans`` cuts it) and its quote is in it."""
    by_id = {c.chunk_id: c for c in chunks}
    for name, value in rec.facts():
        src = value.source
        chunk = by_id[src.chunk_id]
        spans = {(a, b) for a, b, _ in sentence_spans(chunk.text)}
        assert (src.start, src.end) in spans, f"{name}: {src} is not a sentence of its chunk"
        sentence = chunk.text[src.start:src.end]
        assert src.quote.strip(), f"{name}: empty quote"
        assert src.quote in sentence, f"{name}: {src.quote!r} not in {sentence!r}"


def values(facts: Any) -> list[str]:
    return [f.value for f in facts]
