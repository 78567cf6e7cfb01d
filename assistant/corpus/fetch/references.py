"""The review's authoritative, ordered reference list, and merging it into the manifest."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.corpus.cache import load_api_json, save_api_json
from assistant.corpus.fetch import crossref, europepmc
from assistant.corpus.fetch.http import HTTPStatusError, PoliteClient
from assistant.corpus.fetch.records import RefRecord, norm_title
from assistant.corpus.fetch.xmlcheck import MalformedResponse
from assistant.corpus.manifest import Manifest, ManifestEntry

log = logging.getLogger(__name__)


@dataclass
class Resolution:
    refs: list[RefRecord] = field(default_factory=list)
    source: str | None = None  # "europepmc" | "crossref" | None (no list found)
    problems: list[str] = field(default_factory=list)


def resolve_reference_list(client: PoliteClient, review: ManifestEntry, cache_dir: Path,
                           refresh: bool = False) -> Resolution:
    """Europe PMC's references (numbered by ``citedOrder``); Crossref's ``reference[]`` as fallback
    and to fill in DOIs. Raw answers are kept in the cache and reused unless ``refresh``."""
    out = Resolution()
    epmc: list[RefRecord] = []
    if review.pmid:
        pmid = review.pmid

        def fetch_pages() -> tuple[Any, str] | None:
            pages = europepmc.fetch_reference_pages(client, pmid)
            return (pages, europepmc.references_url(client.settings.europepmc_url, pmid)) if pages else None

        epmc = _reference_list(out, "Europe PMC", cache_dir, f"europepmc-references-MED-{pmid}", refresh,
                               fetch_pages, lambda pages: europepmc.parse_reference_pages(pages or []))
    cr: list[RefRecord] = []
    if review.doi:
        doi = review.doi

        def fetch_work() -> tuple[Any, str] | None:
            got = crossref.fetch_work(client, doi)
            return (got[0], got[1].url) if got else None

        cr = _reference_list(out, "Crossref", cache_dir, f"crossref-work-{doi}", refresh, fetch_work,
                             lambda msg: crossref.references_from_work(msg or {}))
    if epmc:
        out.refs, out.source = epmc, "europepmc"
        if len(cr) == len(epmc):
            _fill_dois(epmc, cr)
    elif cr:
        out.refs, out.source = cr, "crossref"
    return out


def _reference_list(out: Resolution, source: str, cache_dir: Path, name: str, refresh: bool,
                    fetch: Callable[[], tuple[Any, str] | None],
                    parse: Callable[[Any], list[RefRecord]]) -> list[RefRecord]:
    """One source's reference list (cached raw answer, parsed); a failure is noted in ``out.problems``."""
    try:
        return parse(_cached_api_json(cache_dir, name, refresh, fetch))
    except (HTTPStatusError, MalformedResponse) as exc:
        out.problems.append(f"{source} reference list: {exc}")
        return []


def _cached_api_json(cache_dir: Path, name: str, refresh: bool,
                     fetch: Callable[[], tuple[Any, str] | None]) -> Any:
    """The raw answer kept in the cache under ``name``; else ``fetch()`` it (data, url) and keep it."""
    data = None if refresh else load_api_json(cache_dir, name)
    if data is None:
        got = fetch()
        if got is not None:
            data, url = got
            save_api_json(cache_dir, name, data, url)
    return data


def _surname(authors: list[str]) -> str:
    return authors[0].split()[0].lower() if authors else ""


def _fill_dois(refs: list[RefRecord], others: list[RefRecord]) -> None:
    """Copy DOIs from a second list in the same order, where the two agree on author or title."""
    for a, b in zip(refs, others, strict=True):
        if a.doi or not b.doi:
            continue
        same = (norm_title(a.title) and norm_title(a.title) == norm_title(b.title)) or (
            _surname(a.authors) and _surname(a.authors) == _surname(b.authors) and a.year == b.year)
        if same:
            a.doi = b.doi


@dataclass
class MergeReport:
    confirmed: list[str] = field(default_factory=list)   # keys of existing entries matched
    added: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)     # candidates not in the list
    unmatched: list[str] = field(default_factory=list)   # confirmed entries not found in the list


def make_key(authors: list[str], year: int | None, taken: set[str]) -> str:
    first = authors[0].split()[0] if authors else ""
    ascii_name = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode()
    base = (re.sub(r"[^a-z]", "", ascii_name.lower()) or "ref") + (str(year) if year else "nd")
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}{chr(ord('a') + n - 1)}" if n <= 26 else f"{base}-{n}"
    return key


def _match(manifest: Manifest, ref: RefRecord, used: set[str]) -> ManifestEntry | None:
    if ref.ids and (e := manifest.find(ref.ids)) and e.key not in used:
        return e
    free = [e for e in manifest.entries if e.key not in used and e.role == "reference"]
    t = norm_title(ref.title)
    if len(t) >= 20 and (e := next((e for e in free if norm_title(e.title) == t), None)):
        return e
    # a confirmed entry already carrying this number, if first author or year agree
    return next((e for e in free if e.status == "confirmed" and e.ref_no == ref.ref_no
                 and ((_surname(e.authors) and _surname(e.authors) == _surname(ref.authors))
                      or (e.year and e.year == ref.year))), None)


def _fill(entry: ManifestEntry, ref: RefRecord) -> None:
    for name in ("doi", "pmid", "pmcid", "title", "journal", "year"):
        if not getattr(entry, name) and getattr(ref, name):
            setattr(entry, name, getattr(ref, name))
    if not entry.authors and ref.authors:
        entry.authors = list(ref.authors)


def merge_references(manifest: Manifest, refs: list[RefRecord]) -> MergeReport:
    """Number and confirm matching entries, add the missing references, drop unconfirmed candidates.
    Entries are re-sorted: review first, then by reference number, then the rest."""
    rep = MergeReport()
    used: set[str] = set()
    for ref in refs:
        entry = _match(manifest, ref, used)
        if entry is not None and entry.role == "review":
            continue
        if entry is None:
            entry = ManifestEntry(key=make_key(ref.authors, ref.year, {e.key for e in manifest.entries}),
                                  role="reference", status="confirmed")
            manifest.entries.append(entry)
            rep.added.append(entry.key)
        else:
            rep.confirmed.append(entry.key)
        entry.ref_no, entry.status = ref.ref_no, "confirmed"
        _fill(entry, ref)
        used.add(entry.key)
    for e in list(manifest.entries):
        if e.role == "reference" and e.key not in used:
            if e.status == "candidate":
                manifest.entries.remove(e)
                rep.dropped.append(e.key)
            else:
                rep.unmatched.append(e.key)
    manifest.entries.sort(key=lambda e: (e.role != "review", e.ref_no is None, e.ref_no or 0))
    return rep
