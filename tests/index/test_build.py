"""Index build: incremental updates, manifest mismatch, atomic writes, bad input, and retrieval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.errors import EmptyIndexError, IndexMismatchError, IndexMissingError
from assistant.index import store as store_mod
from assistant.index.builder import build_index, index_status
from assistant.index.store import IndexStore, current_version
from assistant.settings import Settings
from tests.conftest import write_note


class CountingEmbedder:
    """The real embedder, counting how many texts it encodes."""

    def __init__(self, real):
        self.real, self.encoded = real, 0
        self.name, self.batch_size = real.name, real.batch_size

    def count_tokens(self, texts):
        return self.real.count_tokens(texts)

    def encode(self, texts, progress=False):
        self.encoded += len(texts)
        return self.real.encode(texts)


def _settings(corpus: Path, tmp: Path, **kw) -> Settings:
    return Settings(corpus_dir=corpus, index_dir=tmp / "index", **kw)


def test_build_then_search_finds_il1b(small_corpus, tmp_path, embedder):
    s = _settings(small_corpus, tmp_path)
    summary = build_index(s, progress=False, embedder=embedder)
    assert summary.documents == 4 and summary.chunks >= 4 and not summary.skipped
    a = Assistant(s)
    a.retriever._embedder = embedder
    hits = a.search("rTMS IL-1β spinal cord", k=3)
    assert hits[0].doc.doi == "10.9999/alpha.2020"
    d = hits[0].to_dict()
    for key in ("score", "title", "first_author", "year", "doi", "section", "text", "chunk_id", "char_start"):
        assert d[key] not in (None, ""), key
    assert d["first_author"] == "Testa" and d["year"] == 2020
    assert 0.0 < hits[0].dense_score <= 1.0


@pytest.mark.integration
def test_il1b_query_ranks_il1b_passage_first_in_every_mode(small_corpus, tmp_path, embedder):
    s = _settings(small_corpus, tmp_path)
    build_index(s, progress=False, embedder=embedder)
    a = Assistant(s)
    a.retriever._embedder = embedder
    for mode in ("hybrid", "dense", "bm25"):
        assert a.search("interleukin-1beta in spinal cord after rTMS", k=4, mode=mode)[0].doc.doi == \
            "10.9999/alpha.2020", mode


def test_incremental_build_embeds_only_changed(small_corpus, tmp_path, embedder):
    s = _settings(small_corpus, tmp_path)
    spy = CountingEmbedder(embedder)
    first = build_index(s, progress=False, embedder=spy)
    assert first.embedded_documents == 4 and spy.encoded == first.chunks + first.embedded_sentences
    assert first.embedded_sentences > first.chunks  # every chunk's sentences, for evidence selection

    # unchanged corpus: nothing embedded
    spy.encoded = 0
    again = build_index(s, progress=False, embedder=spy)
    assert (again.embedded_documents, again.reused_documents, spy.encoded) == (0, 4, 0)

    # one changed, one added, one removed
    digest = small_corpus / "digest"
    write_note(digest, "beta2019", "Motor cortex stimulation in people with central pain",
               "Forty-two patients took part. Pain fell by three points.", doi="10.9999/beta.2019", year=2019)
    write_note(digest, "eps2022", "Microglia and BDNF after cortical stimulation",
               "BDNF in the dorsal horn decreased after 5 Hz sessions in rats.", doi="10.9999/eps.2022")
    (digest / "delta2018.md").unlink()
    spy.encoded = 0
    third = build_index(s, progress=False, embedder=spy)
    assert third.embedded_documents == 2 and third.reused_documents == 2 and third.removed_documents == 1
    assert third.documents == 4
    assert spy.encoded == third.embedded_chunks + third.embedded_sentences and third.embedded_chunks > 0
    store = IndexStore.open(s)
    assert "doi:10.9999/delta.2018" not in {d.paper_id for d in store.docs.values()}
    assert len(store.chunks) == store.vectors.shape[0] == store.faiss.ntotal

    # --rebuild re-reads everything but the embedding cache means no chunk is embedded twice
    spy.encoded = 0
    rebuilt = build_index(s, rebuild=True, progress=False, embedder=spy)
    assert rebuilt.reused_documents == 0 and spy.encoded == 0


def test_status_reports_staleness(small_corpus, tmp_path, embedder):
    s = _settings(small_corpus, tmp_path)
    assert index_status(s).exists is False
    build_index(s, progress=False, embedder=embedder)
    assert index_status(s).stale is False
    write_note(small_corpus / "digest", "new2023", "A new note", "Some new content about TNF-α.", doi="10.9999/n")
    st = index_status(s)
    assert st.stale and "1 new file" in st.reasons[0]


def test_manifest_mismatch_names_difference_and_fix(small_corpus, tmp_path, embedder):
    build_index(_settings(small_corpus, tmp_path), progress=False, embedder=embedder)
    with pytest.raises(IndexMismatchError) as err:
        IndexStore.open(_settings(small_corpus, tmp_path, chunk_tokens=128))
    assert "chunk_tokens" in str(err.value) and "200" in str(err.value) and "128" in str(err.value)
    assert "index build --rebuild" in str(err.value)


def test_missing_and_empty_index_messages(tmp_path, embedder):
    s = _settings(tmp_path / "nothing", tmp_path)
    with pytest.raises(IndexMissingError, match="index build"):
        Assistant.load(s)
    (tmp_path / "nothing").mkdir()
    build_index(s, progress=False, embedder=embedder)
    with pytest.raises(EmptyIndexError, match="add documents"):
        Assistant.load(s)


def test_crash_mid_write_leaves_previous_index_loadable(small_corpus, tmp_path, embedder, monkeypatch):
    s = _settings(small_corpus, tmp_path)
    build_index(s, progress=False, embedder=embedder)
    before = current_version(s.index_dir)
    n_chunks = len(IndexStore.open(s).chunks)
    write_note(small_corpus / "digest", "zeta2024", "Another note", "Content on mGluR5 in the DRG.", doi="10.9/z")

    def boom(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(store_mod.faiss, "write_index", boom)
    with pytest.raises(OSError, match="simulated"):
        build_index(s, progress=False, embedder=embedder)
    assert current_version(s.index_dir) == before
    assert len(IndexStore.open(s).chunks) == n_chunks
    assert not [p for p in s.index_dir.iterdir() if p.name.startswith(".tmp")]


def test_bad_files_are_skipped_with_reasons(small_corpus, tmp_path, embedder):
    bad = small_corpus / "cache"
    bad.mkdir()
    (bad / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (bad / "broken.xml").write_text("<article><front>unclosed", encoding="utf-8")
    (bad / "latin1.txt").write_bytes("caf\xe9 na\xefve".encode("latin-1"))
    (bad / "image.png").write_bytes(b"\x89PNG\r\n")
    (bad / "empty.md").write_text("", encoding="utf-8")
    s = _settings(small_corpus, tmp_path)
    summary = build_index(s, progress=False, embedder=embedder)
    assert summary.documents == 4
    skipped = dict(summary.skipped)
    for name in ("broken.pdf", "broken.xml", "latin1.txt", "image.png", "empty.md"):
        assert f"cache/{name}" in skipped, (name, skipped)
        assert skipped[f"cache/{name}"], name
    manifest = json.loads((current_version(s.index_dir) / "manifest.json").read_text())
    assert set(manifest["skipped"]) == set(skipped)


def test_no_pickle_in_index(small_corpus, tmp_path, embedder):
    s = _settings(small_corpus, tmp_path)
    build_index(s, progress=False, embedder=embedder)
    import numpy as np

    v = current_version(s.index_dir)
    np.load(v / "vectors.npy", allow_pickle=False)  # raises if pickled objects were stored
    assert not list(s.index_dir.rglob("*.pkl")) and not list(s.index_dir.rglob("*.pickle"))


def test_corpus_file_hashes_are_reused_until_a_file_changes(tmp_path, monkeypatch) -> None:
    import os

    from assistant.index import builder
    from assistant.settings import Settings

    (tmp_path / "a.md").write_text("# A\n\nrTMS lowered IL-6.\n")
    (tmp_path / "b.md").write_text("# B\n\nrTMS raised IL-10.\n")
    calls: list[str] = []
    real = builder.file_sha256
    monkeypatch.setattr(builder, "file_sha256", lambda p: calls.append(p.name) or real(p))
    s = Settings(corpus_dir=tmp_path, index_dir=tmp_path / "index")
    first = builder.corpus_files(s)
    assert builder.corpus_files(s) == first and sorted(calls) == ["a.md", "b.md"]  # second call: no re-read
    (tmp_path / "a.md").write_text("# A\n\nrTMS lowered IL-1β.\n")
    os.utime(tmp_path / "a.md", ns=(1, 1))  # a different mtime even on a coarse-clock filesystem
    changed = builder.corpus_files(s)
    assert calls[2:] == ["a.md"] and changed["a.md"] != first["a.md"] and changed["b.md"] == first["b.md"]


def test_every_chunk_sentence_is_stored_with_its_span_and_vector(small_corpus, tmp_path, embedder):
    s = _settings(small_corpus, tmp_path)
    build_index(s, progress=False, embedder=embedder)
    a = Assistant.load(s)
    data = a.store.data
    assert len(data.sentences) == len(data.sentence_vectors) > len(data.chunks)
    for row, start, end in data.sentences.tolist():
        assert len(a.store.chunks[row].text[start:end]) >= 20
    hit = a.search("spinal interleukin after cortical stimulation", 1)[0]
    sims = a.sentence_similarities("How much did spinal IL-1β fall?", [hit.chunk.chunk_id])
    best = max(sims, key=sims.get)
    assert best[0] == hit.chunk.chunk_id and "IL-1β" in hit.chunk.text[best[1]:best[1] + 80]
    # a rebuild reuses the cached vectors: nothing is embedded again
    counting = CountingEmbedder(embedder)
    build_index(s, progress=False, embedder=counting, rebuild=True)
    assert counting.encoded == 0
