"""Checksums of a version folder's files: recorded in the manifest at build time, verified on open and status.

A truncated or scrambled file is reported as 'damaged: <file>' with the rebuild command, never as a traceback
from FAISS, NumPy or SQLite. Checksums are cached by (path, size, mtime), so the web UI's status line after
every answer does not re-read the index.

Opening an index (``full=False``) re-hashes only files whose size or modification time differ from the ones
recorded at build time: anything that writes to a file changes its mtime, and hashing a 100k-chunk index
(about 1 GB) would add seconds to every `ask`. `index status` and `index build` always hash every file, which
also catches damage that left the mtime alone (a failing disk).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import ValidationError

from assistant.errors import IndexDamagedError
from assistant.index.contracts import FileRecord, IndexManifest

REBUILD_HINT = "run `rtms-assistant index build --rebuild`"
CHECKED_FILES = ("chunks.sqlite", "vectors.npy", "faiss.index", "sentences.npy", "sentence_vectors.npy")

_CACHE: dict[tuple[str, int, int], str] = {}


def file_digest(path: Path) -> str:
    """sha256 of ``path`` (cached while its size and mtime are unchanged)."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _CACHE:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _CACHE[key] = h.hexdigest()
    return _CACHE[key]


def checksums(folder: Path) -> dict[str, FileRecord]:
    """{file name: its sha256, size and mtime} for every checked file present in ``folder``."""
    out = {}
    for name in CHECKED_FILES:
        path = folder / name
        if path.exists():
            st = path.stat()
            out[name] = FileRecord(sha256=file_digest(path), bytes=st.st_size, mtime_ns=st.st_mtime_ns)
    return out


def damaged_message(name: str, reason: str) -> str:
    return f"damaged: {name} ({reason}) — {REBUILD_HINT}"


def read_manifest_file(folder: Path) -> IndexManifest:
    """The manifest of a version folder (the one place manifest.json is read); IndexDamagedError when it is
    missing, not JSON, or not an index manifest."""
    try:
        text = (folder / "manifest.json").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise IndexDamagedError(damaged_message("manifest.json", "missing")) from None
    except (OSError, ValueError) as exc:
        raise IndexDamagedError(damaged_message("manifest.json", f"unreadable: {exc}")) from None
    try:
        return IndexManifest.model_validate_json(text)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise IndexDamagedError(damaged_message("manifest.json", f"unreadable: {exc.errors()[0]['msg']}")) \
                from None
        raise IndexDamagedError(damaged_message("manifest.json", "not an index manifest")) from None


def problems(folder: Path, manifest: IndexManifest, full: bool = True) -> list[str]:
    """'<file> (<reason>)' for every recorded file that is missing, of another size or another checksum
    (with ``full=False`` only files whose mtime changed since the build are hashed).

    A manifest written before checksums were recorded (an older version) has nothing to check."""
    recorded = manifest.files
    if recorded is None:
        return []
    out = []
    for name, want in sorted(recorded.items()):
        path = folder / name
        if not path.is_file():
            out.append(f"{name} (missing)")
            continue
        st = path.stat()
        if st.st_size != want.bytes:
            out.append(f"{name} ({st.st_size} bytes, {want.bytes} expected: truncated or overwritten)")
        elif not full and st.st_mtime_ns == want.mtime_ns:
            continue  # untouched since the build
        elif file_digest(path) != want.sha256:
            out.append(f"{name} (checksum differs: the file was changed or corrupted)")
    return out


def verify(folder: Path, manifest: IndexManifest, full: bool = True) -> None:
    """Raise IndexDamagedError naming the first damaged file of ``folder``."""
    found = problems(folder, manifest, full)
    if found:
        raise IndexDamagedError(f"damaged: {found[0]} — {REBUILD_HINT}"
                                + (f" ({len(found) - 1} more damaged file(s))" if len(found) > 1 else ""))
