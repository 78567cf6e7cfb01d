"""Issue 31, index state the checks did not cover: junk in CURRENT, an edited array shape, a full disk and a
read-only index folder give one line that says what to do (and a plain build repairs what it can)."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from assistant.api import Assistant
from assistant.errors import AssistantError, IndexDamagedError, IndexWriteError
from assistant.index import lock as lock_mod
from assistant.index import store as store_mod
from assistant.index.builder import build_index, index_status
from assistant.index.store import current_version
from assistant.settings import Settings

# the small corpus and its index, built once (shared with the robustness tests)
from tests.index.test_robustness import settings_for, template  # noqa: E402, F401


@pytest.fixture
def built(template, tmp_path) -> Settings:  # noqa: F811 - the imported fixture
    shutil.copytree(template / "corpus", tmp_path / "corpus")
    shutil.copytree(template / "index", tmp_path / "index")
    return settings_for(tmp_path / "corpus", tmp_path)


@pytest.mark.parametrize("junk", [bytes(range(1, 256)) + b"x" * 45, b"v-" + b"a" * 298, b"../../etc",
                                  "v-ok\u0000\n".encode() * 40])
def test_junk_in_current_is_damage_and_a_plain_build_repairs_it(built, embedder, junk):
    (built.index_dir / "CURRENT").write_bytes(junk)
    st = index_status(built)
    assert st.exists and st.damaged and "damaged: CURRENT (does not hold a version folder's name)" in st.damaged
    with pytest.raises(IndexDamagedError, match="damaged: CURRENT"):
        Assistant.load(built)
    summary = build_index(built, progress=False, embedder=embedder)
    assert summary.documents == 4 and "CURRENT" in summary.damaged_previous
    assert index_status(built).stale is False and Assistant.load(built) is not None


def _swap_npy_shape(path: Path) -> None:
    """Rewrite the .npy header with the shape's two numbers swapped (same size, same mtime, other shape)."""
    st = path.stat()
    arr = np.load(path, allow_pickle=False)
    rows, cols = arr.shape
    data = path.read_bytes()
    old, new = f"({rows}, {cols})".encode(), f"({cols}, {rows})".encode()
    assert old in data[:128] and len(old) == len(new)
    path.write_bytes(data.replace(old, new, 1))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_an_edited_sentence_vectors_shape_is_damage_with_the_rebuild_hint(built, embedder):
    path = current_version(built.index_dir) / "sentence_vectors.npy"
    _swap_npy_shape(path)
    with pytest.raises(IndexDamagedError) as err:
        a = Assistant.load(built)
        a.retriever._embedder = embedder
        a.ask("How much did spinal IL-1β fall after cortical stimulation?")
    assert "damaged: sentence_vectors.npy" in str(err.value) and "index build --rebuild" in str(err.value)
    summary = build_index(built, progress=False, embedder=embedder)
    assert "sentence_vectors.npy" in summary.damaged_previous and index_status(built).damaged is None


def _fail_on_save(monkeypatch, exc: BaseException) -> None:
    def save(*a, **k):
        raise exc

    monkeypatch.setattr(store_mod.np, "save", save)


@pytest.mark.parametrize("exc", [OSError(errno.ENOSPC, "No space left on device", "vectors.npy"),
                                 sqlite3.OperationalError("database or disk is full")])
def test_a_full_disk_is_one_line_and_the_previous_version_still_answers(built, embedder, monkeypatch, exc):
    before = current_version(built.index_dir)
    if isinstance(exc, OSError):
        exc.filename = str(built.index_dir / ".tmp-v-x" / "vectors.npy")
    _fail_on_save(monkeypatch, exc)
    with pytest.raises(IndexWriteError) as err:
        build_index(built, rebuild=True, progress=False, embedder=embedder)
    message = str(err.value)
    assert "is full" in message and "free some space" in message and "previous index version is untouched" in message
    monkeypatch.undo()
    assert current_version(built.index_dir) == before and index_status(built).damaged is None
    assert not [p for p in built.index_dir.iterdir() if p.name.startswith(".tmp-")]


def test_a_read_only_index_folder_is_one_line_that_says_what_to_do(built, embedder, monkeypatch):
    class ReadOnlyLock:
        def __init__(self, path, **kw):
            self.path = path

        def acquire(self):
            raise PermissionError(errno.EROFS, "Read-only file system", str(self.path))

    monkeypatch.setattr(lock_mod, "FileLock", ReadOnlyLock)
    with pytest.raises(IndexWriteError) as err:
        build_index(built, progress=False, embedder=embedder)
    assert isinstance(err.value, AssistantError)
    assert "cannot write the index folder" in str(err.value) and "RTMS_INDEX_DIR" in str(err.value)


def test_a_read_only_embedding_cache_is_not_moved_aside_as_damaged(built, embedder, monkeypatch):
    from assistant.index import embedding as embedding_mod

    def readonly(path):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(embedding_mod.EmbeddingCache, "_open", staticmethod(readonly))
    with pytest.raises(IndexWriteError, match="cannot write the index folder"):
        build_index(built, rebuild=True, progress=False, embedder=embedder)
    assert not (built.index_dir / "embed_cache.sqlite.damaged").exists()
