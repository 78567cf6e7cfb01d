"""What is present locally for a paper: cached full texts/abstracts/PDFs, user PDFs, evidence notes.

Files are matched to papers by any of their identifiers (DOI, PMID, PMCID, each normalised with
``make_paper_id``), so a paper whose DOI was learnt after its abstract was cached still matches.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.corpus.cache import API_DIR, SIDECAR_SUFFIX, read_sidecar
from assistant.corpus.contracts import make_paper_id
from assistant.safetext import load_yaml

log = logging.getLogger(__name__)


def id_forms(doi: str | None = None, pmid: str | None = None, pmcid: str | None = None) -> set[str]:
    """Every normalised identifier of a paper: {'doi:…', 'pmid:…', 'pmc:PMC…'}."""
    out: set[str] = set()
    for kw in ({"doi": doi}, {"pmid": pmid}, {"pmcid": pmcid}):
        if any(kw.values()):
            try:
                out.add(make_paper_id(**kw))
            except ValueError:
                continue
    return out


@dataclass
class LocalFile:
    path: Path
    kind: str  # full-text | abstract | pdf | evidence-note
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def ids(self) -> set[str]:
        m = self.meta
        return id_forms(m.get("doi"), _s(m.get("pmid")), _s(m.get("pmcid")))


def _s(v: Any) -> str | None:
    return None if v in (None, "") else str(v)


def read_front_matter(path: Path) -> dict[str, Any] | None:
    """YAML front matter of a Markdown note, or None (with a warning) when absent or invalid."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("skipping %s: %s", path, exc)
        return None
    if not text.startswith("---"):
        return None
    end = text.find("\n---", 3)
    if end < 0:
        log.warning("skipping %s: front matter has no closing '---'", path)
        return None
    try:
        data = load_yaml(text[3:end])
    except yaml.YAMLError as exc:
        log.warning("skipping %s: invalid YAML front matter (%s)", path, exc)
        return None
    return data if isinstance(data, dict) else None


def scan_sidecar_files(root: Path) -> list[LocalFile]:
    """Data files under ``root`` that have a provenance sidecar (skips raw API responses)."""
    if not root.is_dir():
        return []
    out = []
    for side in sorted(root.rglob("*" + SIDECAR_SUFFIX)):
        data = side.with_name(side.name[: -len(SIDECAR_SUFFIX)])
        if API_DIR in side.relative_to(root).parts or not data.is_file():
            continue
        meta = read_sidecar(data)
        if meta and meta.get("kind"):
            out.append(LocalFile(data, str(meta["kind"]), meta))
    return out


def scan_digest(digest_dir: Path) -> list[LocalFile]:
    if not digest_dir.is_dir():
        return []
    out = []
    for p in sorted(digest_dir.glob("*.md")):
        fm = read_front_matter(p)
        if fm is not None:
            out.append(LocalFile(p, "evidence-note", {**fm, "id": fm.get("id") or p.stem}))
    return out


class LocalIndex:
    """Look up local files by any identifier."""

    def __init__(self, files: list[LocalFile]) -> None:
        self.files = files
        self._by_id: dict[str, list[LocalFile]] = {}
        for f in files:
            for i in f.ids:
                self._by_id.setdefault(i, []).append(f)

    @classmethod
    def build(cls, cache_dir: Path, user_dir: Path, digest_dir: Path | None = None) -> LocalIndex:
        files = scan_sidecar_files(cache_dir) + scan_sidecar_files(user_dir)
        if digest_dir is not None:
            files += scan_digest(digest_dir)
        return cls(files)

    def add(self, f: LocalFile) -> None:
        self.files.append(f)
        for i in f.ids:
            self._by_id.setdefault(i, []).append(f)

    def lookup(self, ids: set[str], kind: str | None = None) -> list[LocalFile]:
        seen: dict[Path, LocalFile] = {}
        for i in ids:
            for f in self._by_id.get(i, []):
                if kind is None or f.kind == kind:
                    seen[f.path] = f
        return list(seen.values())

    def has(self, ids: set[str], kind: str) -> bool:
        return bool(self.lookup(ids, kind))
