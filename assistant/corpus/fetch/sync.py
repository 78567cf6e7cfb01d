"""`corpus sync`: reference list -> manifest, identifiers, then full texts / abstracts / PDFs.

Resumable: files already cached and answers already known to be negative are not asked for again
(``refresh=True`` forgets the negatives and re-reads the reference list). A network failure ends the
run with a FetchError; the manifest and every file written so far are kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

from assistant.corpus.cache import STATE_FILE, SyncState
from assistant.corpus.fetch.http import PoliteClient
from assistant.corpus.fetch.identifiers import fill_identifiers
from assistant.corpus.fetch.references import MergeReport, merge_references, resolve_reference_list
from assistant.corpus.fetch.texts import Step, fetch_abstracts, fetch_full_texts, fetch_pdfs
from assistant.corpus.inventory import LocalIndex
from assistant.corpus.manifest import Manifest, ManifestEntry, load_manifest, save_manifest
from assistant.errors import ConfigError, CorpusError
from assistant.settings import Settings

log = logging.getLogger(__name__)

Have = Literal["full text", "abstract only", "missing"]


@dataclass
class Outcome:
    key: str
    ref_no: int | None
    label: str
    doi: str | None
    pmid: str | None
    have: Have
    kinds: list[str]


@dataclass
class SyncReport:
    ref_source: str | None = None
    merge: MergeReport | None = None
    written: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    requests: int = 0

    def count(self, have: Have) -> int:
        return sum(o.have == have for o in self.outcomes)

    @property
    def missing(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.have == "missing"]


def _outcome(e: ManifestEntry, local: LocalIndex) -> Outcome:
    kinds = sorted({f.kind for f in local.lookup(e.ids)}) if e.ids else []
    have: Have = ("full text" if {"full-text", "pdf"} & set(kinds)
                  else "abstract only" if "abstract" in kinds else "missing")
    who = e.authors[0].split()[0] if e.authors else e.key
    return Outcome(e.key, e.ref_no, f"{who} {e.year or 'n.d.'}", e.doi, e.pmid, have, kinds)


def _ensure_review(manifest: Manifest) -> ManifestEntry:
    review = manifest.review
    if review is None:
        if not manifest.review_doi:
            raise CorpusError("corpus/manifest.yaml names no review (no entry with role: review and no "
                              "review_doi). Add the review's DOI as review_doi and run again.")
        review = ManifestEntry(key="review", role="review", status="confirmed", doi=manifest.review_doi)
        manifest.entries.insert(0, review)
    return review


def _absorb(report: SyncReport, step: Step) -> None:
    report.written += len(step.written)
    report.problems += step.problems
    report.notes += step.notes


def run_sync(settings: Settings, *, client: PoliteClient | None = None, fetch_pdfs_too: bool | None = None,
             refresh: bool = False, update_references: bool = True, progress: bool = True) -> SyncReport:
    if not settings.contact_email:
        raise ConfigError("No contact email: NCBI, Crossref and Unpaywall ask for one. Set "
                          "RTMS_CONTACT_EMAIL=you@example.org (or pass --email) and run again.")
    client = client or PoliteClient(settings)
    manifest = load_manifest(settings.manifest_path)
    state = SyncState(settings.cache_dir / STATE_FILE)
    if refresh:
        state.clear()
    report = SyncReport()
    before = manifest.model_dump(mode="json")

    def save_if_changed() -> None:
        nonlocal before
        now = manifest.model_dump(mode="json")
        if now != before:
            save_manifest(manifest, settings.manifest_path)
            before = now

    try:
        review = _ensure_review(manifest)
        report.notes += fill_identifiers(client, [review], state)
        if update_references:
            res = resolve_reference_list(client, review, settings.cache_dir, refresh=refresh)
            report.problems += res.problems
            report.ref_source = res.source
            if res.refs:
                report.merge = merge_references(manifest, res.refs)
            else:
                report.problems.append("No reference list found for the review; the manifest's entries are "
                                       "used as they are.")
        save_if_changed()
        report.notes += fill_identifiers(client, manifest.entries, state)
        save_if_changed()
        state.save()
        local = LocalIndex.build(settings.cache_dir, settings.user_dir)
        cache = settings.cache_dir
        _absorb(report, fetch_full_texts(client, manifest.entries, local, state, cache, progress))
        state.save()
        _absorb(report, fetch_abstracts(client, manifest.entries, local, state, cache, progress))
        state.save()
        if settings.fetch_pdfs if fetch_pdfs_too is None else fetch_pdfs_too:
            max_bytes = int(settings.max_pdf_mb * 1024 * 1024)
            _absorb(report, fetch_pdfs(client, manifest.entries, local, state, cache, max_bytes, progress))
        report.outcomes = [_outcome(e, local) for e in manifest.entries]
    finally:
        save_if_changed()
        state.save()
        report.requests = client.requests_made
    return report
