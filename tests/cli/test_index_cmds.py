"""Issue 12 through real `rtms-assistant` processes: concurrent builds, the build lock, a damaged index and
undecodable command-line bytes give messages and exit codes, never tracebacks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from filelock import FileLock

from assistant.index.builder import build_index, index_status
from assistant.index.lock import LOCK_NAME
from assistant.index.store import IndexStore, current_version
from assistant.settings import Settings
from tests.conftest import write_small_corpus

CLI = str(Path(sys.executable).with_name("rtms-assistant"))
BUSY = "another `rtms-assistant index build` is writing"


def env_for(root: Path) -> dict[str, str]:
    return {**os.environ, "RTMS_CORPUS_DIR": str(root / "corpus"), "RTMS_INDEX_DIR": str(root / "index"),
            "RTMS_BACKEND": "extractive", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "PYTHONIOENCODING": "utf-8"}


def settings_for(root: Path) -> Settings:
    return Settings(corpus_dir=root / "corpus", index_dir=root / "index", backend="extractive")


def start(root: Path, *args: str | bytes) -> subprocess.Popen:
    return subprocess.Popen([CLI, *args], env=env_for(root), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(p: subprocess.Popen, timeout: float = 300) -> tuple[int, str]:
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out.decode("utf-8", "replace") + err.decode("utf-8", "replace")


def assert_one_intact_version(root: Path) -> None:
    s = settings_for(root)
    idx = s.index_dir
    versions = sorted(p.name for p in idx.iterdir() if p.is_dir() and p.name.startswith(("v-", ".tmp-")))
    assert versions == [current_version(idx).name], versions
    st = index_status(s)
    assert st.exists and not st.damaged and not st.stale, st
    store = IndexStore.open(s)
    assert len(store.chunks) == store.faiss.ntotal == len(store.vectors) > 0


@pytest.fixture(scope="module")
def template(tmp_path_factory, embedder) -> Path:
    root = tmp_path_factory.mktemp("cli-template")
    write_small_corpus(root)
    build_index(settings_for(root), progress=False, embedder=embedder)
    return root


@pytest.fixture
def root(template, tmp_path) -> Path:
    shutil.copytree(template / "corpus", tmp_path / "corpus")
    shutil.copytree(template / "index", tmp_path / "index")
    return tmp_path


@pytest.mark.integration
def test_two_concurrent_rebuilds_never_corrupt_the_index(tmp_path):
    write_small_corpus(tmp_path)  # cold: no embedding cache, so each build runs for a while
    for _ in range(2):
        a = start(tmp_path, "index", "build", "--rebuild")
        b = start(tmp_path, "index", "build", "--rebuild")
        results = [finish(a), finish(b)]
        for code, out in results:
            assert "Traceback" not in out and "disk I/O error" not in out, out
            assert code == 0 or (code == 2 and BUSY in out), out
        assert any(code == 0 for code, _ in results)
        assert_one_intact_version(tmp_path)


@pytest.mark.integration
def test_a_second_build_waits_for_the_lock_with_wait(root):
    a = start(root, "index", "build", "--rebuild", "--wait", "300")
    b = start(root, "index", "build", "--rebuild", "--wait", "300")
    for code, out in (finish(a), finish(b)):
        assert code == 0 and "indexed 4 documents" in out, out
    assert_one_intact_version(root)


def test_build_refused_with_a_clear_message_while_the_lock_is_held(root):
    lock = FileLock(root / "index" / LOCK_NAME)
    with lock:
        code, out = finish(start(root, "index", "build"))
    assert code == 2 and BUSY in out and "wait for it to finish" in out and "Traceback" not in out
    code, out = finish(start(root, "index", "build"))  # released: the next build runs
    assert code == 0, out


def test_damaged_index_gives_the_message_in_every_command(root):
    v = current_version(root / "index")
    data = (v / "faiss.index").read_bytes()
    (v / "faiss.index").write_bytes(data[: len(data) // 3])
    for args, want_code in ((("search", "spinal IL-1β"), 2), (("ask", "Which cytokine fell?"), 2),
                            (("index", "status"), 1)):
        code, out = finish(start(root, *args))
        assert code == want_code and "damaged: faiss.index" in out, (args, out)
        assert "index build --rebuild" in out and "Traceback" not in out, out
    code, out = finish(start(root, "index", "build"))  # a plain build repairs it
    assert code == 0 and "damaged" in out, out
    assert_one_intact_version(root)


def test_undecodable_bytes_in_a_question_are_answered(root):
    for cmd in ("search", "ask"):
        t0 = time.perf_counter()
        code, out = finish(start(root, cmd, b"Which glial markers? \xff in the dorsal horn"))
        assert code == 0 and "Traceback" not in out and "TypeError" not in out, (cmd, out)
        assert time.perf_counter() - t0 < 300
