"""Merge a data file's provenance sidecar (``<name>.json``, written by the fetcher and `corpus add`)."""

from __future__ import annotations

import logging
from pathlib import Path

from assistant.corpus.contracts import Document, make_paper_id
from assistant.corpus.readers.common import clean_doi, clean_inline, normalise_pmcid, parse_year
from assistant.corpus.readers.jats import license_label
from assistant.safetext import load_json

__all__ = ["SIDECAR_SUFFIX", "apply_sidecar"]

log = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".json"


def apply_sidecar(doc: Document, path: Path) -> bool:
    """Merge the provenance sidecar of ``path`` into ``doc``; False when there is none (or it is stale)."""
    side = path.with_name(path.name + SIDECAR_SUFFIX)
    try:
        meta = load_json(side.read_text(encoding="utf-8"))
    except OSError:
        return False
    except ValueError as exc:
        log.warning("%s: unreadable provenance sidecar (%s); ignored — fix or delete it", side, exc)
        return False
    if not isinstance(meta, dict):
        return False
    if meta.get("sha256") and meta["sha256"] != doc.sha256:
        log.warning("%s: provenance sidecar describes other bytes (sha256 differs); ignored", path)
        return False
    doc.retrieved_at = doc.retrieved_at or _text(meta.get("retrieved_at")) or _text(meta.get("added_at"))
    doc.extra["provenance"] = meta
    # a PDF's own identifiers are a page-1 guess: the sidecar's (user's --doi, manifest) win; its
    # bibliography wins too unless the sidecar itself only copied the PDF's info dictionary
    ids_win = doc.kind == "pdf"
    biblio_wins = ids_win and meta.get("metadata_source") not in (None, "pdf")
    lic = _text(meta.get("license"))
    fixes: dict[str, object] = {
        "doi": clean_doi(_text(meta.get("doi"))), "pmid": _text(meta.get("pmid")),
        "pmcid": normalise_pmcid(_text(meta.get("pmcid"))), "title": _text(meta.get("title")),
        "journal": _text(meta.get("journal")), "license": license_label(lic) if lic else None,
        "year": parse_year(meta.get("year")),
    }
    authors = meta.get("authors")
    if isinstance(authors, list) and authors and all(isinstance(a, str) for a in authors):
        fixes["authors"] = authors
    for name, value in fixes.items():
        wins = ids_win if name in {"doi", "pmid", "pmcid"} else biblio_wins
        if value and (wins or not getattr(doc, name)):
            setattr(doc, name, value)
    paper_id = make_paper_id(doc.doi, doc.pmid, doc.pmcid, doc.sha256)
    if paper_id != doc.paper_id:
        _, _, kind_part = doc.doc_id.partition("#")
        doc.paper_id = paper_id
        doc.doc_id = f"{paper_id}#{kind_part}"
    return True


def _text(value: object) -> str | None:
    if value is None:
        return None
    return clean_inline(str(value)) or None
