"""Per-paper downloads: Europe PMC full text, PubMed abstract, Unpaywall open-access PDF.

Each step skips what is already cached (or known to be unavailable), writes every file atomically
with its provenance sidecar, and reports per-paper problems instead of stopping the run. Only
:class:`~assistant.corpus.fetch.http.NetworkError` from the literature APIs ends a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from assistant.corpus.cache import SyncState, cache_file, write_with_sidecar
from assistant.corpus.fetch import europepmc, ncbi, unpaywall
from assistant.corpus.fetch.http import HTTPStatusError, NetworkError, PoliteClient
from assistant.corpus.fetch.xmlcheck import MalformedResponse, jats_has_body, jats_license, parse_xml
from assistant.corpus.inventory import LocalFile, LocalIndex
from assistant.corpus.manifest import ManifestEntry


@dataclass
class Step:
    """What one step did: files written and problems met (each names the paper)."""

    written: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def provenance(entry: ManifestEntry, kind: str, url: str, source: str, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "url": url, "source": source, "license": extra.pop("license", None),
            "paper_id": entry.paper_id, "doi": entry.doi, "pmid": entry.pmid, "pmcid": entry.pmcid,
            "key": entry.key, "role": entry.role, "ref_no": entry.ref_no, "title": entry.title,
            "authors": entry.authors, "year": entry.year, "journal": entry.journal, **extra}


def _store(step: Step, local: LocalIndex, cache_dir: Path, entry: ManifestEntry, kind: str, data: bytes,
           meta: dict[str, Any]) -> None:
    path = cache_file(cache_dir, entry.paper_id or entry.key, kind)
    full = write_with_sidecar(path, data, meta)
    local.add(LocalFile(path, kind, full))
    step.written.append(path)


def _bar(items: Any, desc: str, progress: bool, **kw: Any) -> Any:
    return tqdm(items, desc=desc, unit="paper", disable=None if progress else True, **kw)


def fetch_full_texts(client: PoliteClient, entries: list[ManifestEntry], local: LocalIndex, state: SyncState,
                     cache_dir: Path, progress: bool = True) -> Step:
    step = Step()
    todo = [e for e in entries if e.pmcid and not local.has(e.ids, "full-text")
            and not state.has("fulltext", e.pmcid)]
    for e in _bar(todo, "full texts", progress):
        try:
            resp = europepmc.fetch_full_text(client, e.pmcid)
        except HTTPStatusError as exc:
            step.problems.append(f"{e.key}: {exc}")
            continue
        if resp is None:
            state.mark("fulltext", e.pmcid, "Europe PMC has no full text")
            continue
        try:
            root = parse_xml(resp.content, f"the full text of {e.pmcid} ({resp.url})")
        except MalformedResponse as exc:
            step.problems.append(f"{e.key}: {exc}; not cached, will be retried next run")
            continue
        if not jats_has_body(root):
            state.mark("fulltext", e.pmcid, "record has no <body>")
            step.notes.append(f"{e.key}: {e.pmcid} has no body text in Europe PMC; using the abstract")
            continue
        lic = jats_license(root)
        if lic and not e.license:
            e.license = lic
        _store(step, local, cache_dir, e, "full-text", resp.content,
               provenance(e, "full-text", resp.url, "europepmc", license=lic))
    return step


def fetch_abstracts(client: PoliteClient, entries: list[ManifestEntry], local: LocalIndex, state: SyncState,
                    cache_dir: Path, progress: bool = True) -> Step:
    step = Step()
    todo = {e.pmid: e for e in entries if e.pmid and not local.has(e.ids, "full-text")
            and not local.has(e.ids, "abstract") and not state.has("abstract", e.pmid)}
    pmids = list(todo)
    with _bar(None, "abstracts", progress, total=len(pmids)) as bar:
        for start in range(0, len(pmids), ncbi.EFETCH_BATCH):
            batch = pmids[start:start + ncbi.EFETCH_BATCH]
            try:
                res = ncbi.fetch_abstracts(client, batch)
            except (HTTPStatusError, MalformedResponse) as exc:
                step.problems.append(f"PubMed abstracts of {', '.join(todo[p].key for p in batch)}: {exc}; "
                                     "not cached, will be retried next run")
                bar.update(len(batch))
                continue
            for pmid in batch:
                e = todo[pmid]
                for name, value in res.meta.get(pmid, {}).items():
                    if not getattr(e, name):
                        setattr(e, name, value)
                if pmid in res.articles:
                    _store(step, local, cache_dir, e, "abstract", res.articles[pmid],
                           provenance(e, "abstract", res.url, "pubmed"))
                else:
                    why = "PubMed record has no abstract" if pmid in res.without_abstract else "not returned by PubMed"
                    state.mark("abstract", pmid, why)
                    step.notes.append(f"{e.key}: PMID {pmid}: {why}")
                bar.update(1)
    return step


def fetch_pdfs(client: PoliteClient, entries: list[ManifestEntry], local: LocalIndex, state: SyncState,
               cache_dir: Path, max_bytes: int, progress: bool = True) -> Step:
    step = Step()
    todo = [e for e in entries if e.doi and not local.has(e.ids, "full-text") and not local.has(e.ids, "pdf")
            and not state.has("pdf", e.doi)]
    for e in _bar(todo, "open-access PDFs", progress):
        doi = e.doi or ""
        try:
            found = unpaywall.oa_pdf_location(client, doi)
        except (HTTPStatusError, MalformedResponse) as exc:
            step.problems.append(f"{e.key}: Unpaywall: {exc}")
            continue
        if found is None:
            state.mark("pdf", doi, "no open-access PDF known to Unpaywall")
            continue
        loc, raw = found
        url = str(loc["url_for_pdf"])
        try:
            data = unpaywall.download_pdf(client, url, max_bytes)
        except (HTTPStatusError, MalformedResponse, NetworkError) as exc:
            state.mark("pdf", doi, f"download failed: {exc}")
            step.problems.append(f"{e.key}: open-access PDF not saved: {exc}")
            continue
        _store(step, local, cache_dir, e, "pdf", data, provenance(
            e, "pdf", url, "unpaywall", license=loc.get("license"), landing_page=loc.get("url_for_landing_page"),
            host_type=loc.get("host_type"), version=loc.get("version"), oa_status=raw.get("oa_status")))
    return step
