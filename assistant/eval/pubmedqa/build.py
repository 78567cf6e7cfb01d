"""A separate index of the PubMedQA abstracts, built once with the project's own index builder and then reused.

Each abstract is written as a PubMed XML file, one record per file, the way a user would add PubMed records to
a corpus folder: PMID, year, the labelled abstract parts (``<AbstractText Label=...>``, read back as labelled
sections) and MeSH terms. The data has no titles — the questions were made from them — so the records carry none.
The files and the index live in a git-ignored cache folder (default ``eval/pubmedqa-cache/``), in one sub-folder
per content key: sha256 of contexts.jsonl, the indexed PMIDs, the index settings and the XML layout. A folder
with a ``ready.json`` and a current index is reused without reading or embedding anything; anything else
changes the key and gets a new folder (delete old ones to free disk space).

Never mixed into the rTMS index: the builder runs on a copy of the settings whose ``corpus_dir`` and ``index_dir``
point into that folder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.eval.pubmedqa.data import Abstract, PubMedQAData
from assistant.eval.pubmedqa.subset import seeded_order
from assistant.index.builder import BUILDER_VERSION, build_index
from assistant.index.store import current_version, manifest_differences, read_manifest
from assistant.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

CACHE_DIR = PROJECT_ROOT / "eval" / "pubmedqa-cache"
XML_LAYOUT = 1
"""Bump when abstract_xml changes what a record holds (changes every cache key)."""
DISTRACTOR_SEED = "rtms-assistant/pubmedqa-distractors/v1"
READY = "ready.json"


@dataclass
class AbstractIndex:
    """Where the abstracts' index is and how it came to be."""

    settings: Settings
    """The caller's settings with corpus_dir and index_dir pointing into the cache folder."""
    key: str
    folder: Path
    n_abstracts: int
    built: bool
    """True when this call built it; False when a ready index was reused (nothing read, nothing embedded)."""
    info: dict[str, Any]
    """ready.json: the build summary and what was indexed"""

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "folder": str(self.folder), "abstracts": self.n_abstracts, "reused": not self.built,
                "build_seconds": self.info.get("summary", {}).get("seconds"),
                "documents": self.info.get("summary", {}).get("documents"),
                "chunks": self.info.get("summary", {}).get("chunks"),
                "distractors": self.info.get("distractors"), "built_at": self.info.get("built_at")}


def indexed_pmids(data: PubMedQAData, questions: Sequence[str], distractors: int | None) -> list[str]:
    """Every abstract (``distractors`` None), or the questions' own abstracts plus that many others chosen by a
    fixed seed (a smaller index for quick tests; retrieval is easier than over all 1,000)."""
    if distractors is None:
        return sorted(data.abstracts)
    own = set(questions)
    others = seeded_order([p for p in data.abstracts if p not in own], DISTRACTOR_SEED)[:max(distractors, 0)]
    return sorted(own | set(others))


def abstract_xml(a: Abstract) -> bytes:
    """One PubMed record (efetch layout) holding the abstract; no title, no authors, no journal: the data has none."""
    root = ET.Element("PubmedArticleSet")
    citation = ET.SubElement(ET.SubElement(root, "PubmedArticle"), "MedlineCitation", Status="MEDLINE")
    ET.SubElement(citation, "PMID", Version="1").text = a.pmid
    article = ET.SubElement(citation, "Article")
    if a.year:
        pub = ET.SubElement(ET.SubElement(ET.SubElement(article, "Journal"), "JournalIssue"), "PubDate")
        ET.SubElement(pub, "Year").text = str(a.year)
    abstract = ET.SubElement(article, "Abstract")
    for label, text in zip(a.labels, a.contexts, strict=True):
        attrs = {"Label": label} if label.strip() else {}
        ET.SubElement(abstract, "AbstractText", attrs).text = text
    if a.meshes:
        mesh = ET.SubElement(citation, "MeshHeadingList")
        for term in a.meshes:
            ET.SubElement(ET.SubElement(mesh, "MeshHeading"), "DescriptorName").text = term
    ids = ET.SubElement(ET.SubElement(root[0], "PubmedData"), "ArticleIdList")
    ET.SubElement(ids, "ArticleId", IdType="pubmed").text = a.pmid
    ET.indent(root)
    xml_bytes: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml_bytes + b"\n"


def index_key(data: PubMedQAData, pmids: Sequence[str], settings: Settings) -> str:
    blob = json.dumps({"contexts_sha256": data.contexts_sha256, "pmids": sorted(pmids), "xml_layout": XML_LAYOUT,
                       "index_params": settings.index_params()}, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _ready(folder: Path, settings: Settings, key: str) -> dict[str, Any] | None:
    """ready.json of a finished build whose index matches the settings, else None."""
    path = folder / READY
    if not path.is_file() or current_version(settings.index_dir) is None:
        return None
    try:
        info: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    manifest = read_manifest(settings.index_dir)
    if (info.get("key") != key or manifest_differences(manifest, settings)
            or manifest is None or manifest.builder_version < BUILDER_VERSION):
        return None  # an index an older builder wrote is built again (its files are re-read; embeddings cached)
    return info


def write_corpus(data: PubMedQAData, pmids: Sequence[str], corpus_dir: Path) -> int:
    """One XML file per abstract under ``corpus_dir/pubmed``; files of other PMIDs are removed."""
    folder = corpus_dir / "pubmed"
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {f"{p}.xml" for p in pmids}
    for old in folder.glob("*.xml"):
        if old.name not in wanted:
            old.unlink()
    for p in pmids:
        blob = abstract_xml(data.abstracts[p])
        path = folder / f"{p}.xml"
        if not path.is_file() or path.read_bytes() != blob:
            path.write_bytes(blob)
    return len(pmids)


def ensure_index(settings: Settings, data: PubMedQAData, questions: Sequence[str] = (),
                 distractors: int | None = None, cache_dir: Path | str | None = None, rebuild: bool = False,
                 progress: bool = True, embedder: Any = None) -> AbstractIndex:
    """The abstracts' index for these settings: reused when ready, else written and built once.

    ``distractors`` None indexes all abstracts; a number indexes the ``questions``' abstracts plus that many
    others. ``embedder`` (optional) is passed to the builder (tests share one loaded model)."""
    pmids = indexed_pmids(data, questions, distractors)
    key = index_key(data, pmids, settings)
    folder = Path(cache_dir or CACHE_DIR) / key
    local = settings.model_copy(update={"corpus_dir": folder / "corpus", "index_dir": folder / "index"})
    info = None if rebuild else _ready(folder, local, key)
    if info is not None:
        log.info("reusing the PubMedQA index in %s", folder)
        return AbstractIndex(local, key, folder, len(pmids), False, info)
    (folder / READY).unlink(missing_ok=True)
    write_corpus(data, pmids, local.corpus_dir)
    local.index_dir.mkdir(parents=True, exist_ok=True)
    summary = build_index(local, rebuild=rebuild, progress=progress, embedder=embedder)
    if summary.skipped:
        log.warning("%d PubMedQA abstracts were not indexed: %s", len(summary.skipped), summary.skipped[:3])
    info = {"key": key, "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "abstracts": len(pmids),
            "distractors": distractors, "contexts_sha256": data.contexts_sha256,
            "index_params": local.index_params(), "summary": summary.to_dict()}
    (folder / READY).write_text(json.dumps(info, indent=2), encoding="utf-8")
    return AbstractIndex(local, key, folder, len(pmids), True, info)
