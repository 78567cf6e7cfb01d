"""On-disk layout of the corpus cache (fetched and added files) and their provenance sidecars.

Layout (``corpus/cache/`` is git-ignored)::

    cache/<paper-slug>/fulltext.xml        Europe PMC JATS full text   (kind "full-text")
    cache/<paper-slug>/abstract.xml        PubMed XML, one PubmedArticle (kind "abstract")
    cache/<paper-slug>/oa.pdf              Unpaywall open-access PDF   (kind "pdf")
    cache/_api/<name>.json                 raw metadata responses (reference lists, ID conversions, ...)
    cache/sync_state.json                  what was looked for and is not available (for resuming)
    user/<name>.pdf                        PDFs added with `corpus add` (kind "pdf")

Every data file ``X`` has a sidecar ``X.json`` (see :func:`sidecar_path`) with its provenance:
``kind, url, retrieved_at, license, sha256, bytes, paper_id, doi, pmid, pmcid`` (+ source-specific
fields). A data file without a sidecar is treated as absent (the sidecar is written last).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant import atomicio
from assistant.corpus.contracts import sha256_bytes
from assistant.safetext import load_json

log = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".json"
FILE_NAMES = {"full-text": "fulltext.xml", "abstract": "abstract.xml", "pdf": "oa.pdf"}
API_DIR = "_api"
STATE_FILE = "sync_state.json"


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def sidecar_path(path: Path) -> Path:
    """``fulltext.xml`` -> ``fulltext.xml.json``."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def read_sidecar(path: Path) -> dict[str, Any] | None:
    """The sidecar of data file ``path``; None when missing or unreadable."""
    side = sidecar_path(path)
    try:
        meta = load_json(side.read_text(encoding="utf-8"))
    except OSError:
        return None
    except ValueError as exc:
        log.warning("%s: unreadable provenance sidecar (%s); ignored — fix or delete it", side, exc)
        return None
    return meta if isinstance(meta, dict) else None


def write_with_sidecar(path: Path, data: bytes, meta: dict[str, Any]) -> dict[str, Any]:
    """Write ``data`` atomically, then its sidecar (with sha256/bytes/retrieved_at filled in)."""
    full = {"retrieved_at": now_iso(), **meta, "sha256": sha256_bytes(data), "bytes": len(data)}
    atomicio.write_bytes(path, data)
    atomicio.write_json(sidecar_path(path), full)
    return full


def paper_slug(paper_id: str) -> str:
    """Folder name for a paper id: 'doi:10.1/x(y)' -> 'doi_10.1_x_y_'."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", paper_id).strip("._") or "paper"
    if len(slug) > 100:
        slug = slug[:90] + "_" + sha256_bytes(paper_id.encode())[:8]
    return slug


def cache_file(cache_dir: Path, paper_id: str, kind: str) -> Path:
    return cache_dir / paper_slug(paper_id) / FILE_NAMES[kind]


def api_file(cache_dir: Path, name: str) -> Path:
    return cache_dir / API_DIR / (re.sub(r"[^A-Za-z0-9._-]+", "_", name) + ".json")


class SyncState:
    """Negative results remembered between runs ('no full text for PMC123'), so a rerun asks only
    for what it has not asked yet. ``--refresh`` clears it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data: dict[str, dict[str, str]] = {}
        if path.exists():
            try:
                raw = load_json(path.read_text(encoding="utf-8"))
                self._data = {k: dict(v) for k, v in raw.items() if isinstance(v, dict)}
            except (OSError, ValueError):
                self._data = {}

    def has(self, category: str, ident: str) -> bool:
        return ident in self._data.get(category, {})

    def mark(self, category: str, ident: str, why: str) -> None:
        """Remember in memory; :meth:`save` writes (the sync saves after each step and on exit)."""
        self._data.setdefault(category, {})[ident] = why

    def clear(self) -> None:
        self._data = {}
        self.save()

    def save(self) -> None:
        atomicio.write_json(self.path, self._data)


def save_api_json(cache_dir: Path, name: str, data: Any, url: str) -> None:
    """Keep a raw metadata response (reference list, ID conversion...) with its provenance."""
    blob = (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    write_with_sidecar(api_file(cache_dir, name), blob, {"kind": "api-response", "url": url})


def load_api_json(cache_dir: Path, name: str) -> Any | None:
    """A raw response kept by :func:`save_api_json`, or None (absent, no sidecar, or unreadable)."""
    path = api_file(cache_dir, name)
    if read_sidecar(path) is None:
        return None
    try:
        return load_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
