"""A full disk or a read-only index folder as one line that says what to do, instead of a raw OSError or
``sqlite3.OperationalError: database or disk is full``. A failed build never touches the previous version
(``write_version`` writes a temporary folder and switches CURRENT last)."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from assistant.errors import IndexWriteError

_FULL = {errno.ENOSPC, errno.EDQUOT}
_READ_ONLY = {errno.EACCES, errno.EPERM, errno.EROFS}
_FULL_TEXT = ("disk is full", "no space left")
_READ_ONLY_TEXT = ("readonly", "read-only", "permission denied", "unable to open database")
AGAIN = "run `rtms-assistant index build` again; the previous index version is untouched and still answers"


def _kind(exc: BaseException, index_dir: Path) -> str | None:
    """'full', 'read-only' or None (another failure, or an OSError about a file outside ``index_dir``)."""
    if isinstance(exc, OSError):
        name = exc.filename
        if name is not None and not Path(str(name)).resolve().is_relative_to(index_dir.resolve()):
            return None  # e.g. an unreadable corpus file: not the index folder's problem
        if exc.errno in _FULL:
            return "full"
        if exc.errno in _READ_ONLY:
            return "read-only"
        return None
    if isinstance(exc, sqlite3.OperationalError | RuntimeError):  # SQLite; FAISS raises RuntimeError
        text = str(exc).lower()
        if any(t in text for t in _FULL_TEXT):
            return "full"
        if any(t in text for t in _READ_ONLY_TEXT):
            return "read-only"
    return None


def write_failure(exc: BaseException, index_dir: Path) -> IndexWriteError | None:
    """The IndexWriteError that explains ``exc`` when it means a full disk or an unwritable index folder."""
    kind = _kind(exc, index_dir)
    if kind == "full":
        return IndexWriteError(f"the disk holding {index_dir} is full ({exc}) — free some space (or point "
                               f"RTMS_INDEX_DIR at a disk with room) and {AGAIN}")
    if kind == "read-only":
        return IndexWriteError(f"cannot write the index folder {index_dir} ({exc}): it is read-only or belongs to "
                               f"another user — make it writable (or point RTMS_INDEX_DIR at a writable folder) "
                               f"and {AGAIN}")
    return None
