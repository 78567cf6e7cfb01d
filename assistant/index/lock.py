"""One build at a time per index folder: an exclusive OS file lock (``filelock``) on ``index_dir/.build.lock``.

The lock is released by the operating system when the holder dies (kill -9 included), so a crashed build
never blocks the next one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from assistant.errors import IndexBusyError

LOCK_NAME = ".build.lock"


@contextmanager
def build_lock(index_dir: Path, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the build lock of ``index_dir``; IndexBusyError when another build holds it for ``wait_s`` seconds."""
    index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(index_dir / LOCK_NAME, timeout=wait_s, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        raise IndexBusyError(
            f"another `rtms-assistant index build` is writing {index_dir} (lock {index_dir / LOCK_NAME}): wait "
            "for it to finish, then run your command again; the current index stays usable meanwhile") from None
    try:
        yield
    finally:
        lock.release()
