"""Atomic file writes: a temporary file in the target's folder, flushed and fsynced, then ``os.replace``.

A reader sees the old file or the new one, never half of one; a write that fails (or is interrupted by an
exception) removes its temporary file and leaves the old file as it was. Every module that replaces a file in
place goes through here.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def temp_path(path: Path, tag: str | None = None, keep_suffix: bool = False) -> Path:
    """``dir/.name.<tag>.tmp`` next to ``path`` (``tag`` defaults to a random one; ``keep_suffix`` appends
    ``path.suffix`` for writers that pick a format from the extension)."""
    name = f".{path.name}.{tag or uuid.uuid4().hex[:8]}.tmp"
    return path.with_name(name + (path.suffix if keep_suffix else ""))


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


@contextmanager
def atomic_path(path: Path | str, *, tmp: Path | None = None, tag: str | None = None, keep_suffix: bool = False,
                mode: int | None = None, fsync: bool = True) -> Iterator[Path]:
    """Yield a temporary path to write ``path``'s new content to (by any means); on leaving the block the file
    is fsynced (unless ``fsync=False``), given permission bits ``mode`` when set, and renamed over ``path``.
    On an exception the temporary file is removed and ``path`` is untouched. ``tmp`` names the temporary
    file explicitly (same folder); else see :func:`temp_path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    work = tmp if tmp is not None else temp_path(path, tag, keep_suffix)
    try:
        yield work
        if mode is not None:
            os.chmod(work, mode)
        if fsync:
            _fsync_file(work)
        os.replace(work, path)
    except BaseException:
        work.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_open(path: Path | str, binary: bool = False, *, encoding: str = "utf-8", newline: str | None = None,
                **options: Any) -> Iterator[IO[Any]]:
    """Open a temporary file for writing; it replaces ``path`` when the block ends without an exception.
    ``options`` go to :func:`atomic_path` (``tmp``, ``tag``, ``mode``, ``fsync``)."""
    with atomic_path(path, **options) as work:
        if binary:
            with open(work, "wb") as fh:
                yield fh
        else:
            with open(work, "w", encoding=encoding, newline=newline) as fh:
                yield fh


def write_bytes(path: Path | str, data: bytes, **options: Any) -> Path:
    """Replace ``path`` with ``data`` atomically; return ``path``."""
    with atomic_open(path, binary=True, **options) as fh:
        fh.write(data)
    return Path(path)


def write_text(path: Path | str, text: str, *, encoding: str = "utf-8", **options: Any) -> Path:
    """Replace ``path`` with ``text`` atomically (no newline translation); return ``path``."""
    return write_bytes(path, text.encode(encoding), **options)


def write_json(path: Path | str, obj: Any, *, indent: int | None = 2, sort_keys: bool = False,
               trailing_newline: bool = True, **options: Any) -> Path:
    """Replace ``path`` with ``obj`` as UTF-8 JSON (non-ASCII kept as is) atomically; return ``path``."""
    text = json.dumps(obj, indent=indent, sort_keys=sort_keys, ensure_ascii=False)
    return write_text(path, text + ("\n" if trailing_newline else ""), **options)
