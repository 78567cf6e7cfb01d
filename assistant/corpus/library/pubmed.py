"""`corpus import pubmed "QUERY"`: a PubMed search (E-utilities esearch, then efetch in batches), each hit stored
as one-article PubMed XML in the corpus cache (the layout `corpus sync` writes, so `index build` indexes it);
with ``pmc`` also the open-access full text (Europe PMC's copy of the PMC article) where there is one.

Everything is fetched first and written afterwards: when the network fails (offline, NCBI down) the command
says so in one line and the corpus is left exactly as it was. Requests go through the fetcher's
:class:`~assistant.corpus.fetch.http.PoliteClient` (contact email and NCBI API key from the settings, NCBI's
3 or 10 requests/s, retries with back-off).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from assistant.corpus.cache import cache_file, now_iso, read_sidecar, write_with_sidecar
from assistant.corpus.contracts import make_paper_id, sha256_bytes
from assistant.corpus.fetch import europepmc, ncbi
from assistant.corpus.fetch.http import HTTPStatusError, NetworkError, PoliteClient, host_of
from assistant.corpus.fetch.xmlcheck import MalformedResponse, jats_has_body, jats_license, parse_xml
from assistant.corpus.inventory import LocalIndex, id_forms
from assistant.errors import ConfigError, FetchError
from assistant.settings import Settings

ESEARCH_PAGE = 500  # ids per esearch call (NCBI allows up to 10,000)
MAX_HITS = 10_000  # esearch cannot page past 10,000 ids (retstart limit) without the history server
SOURCE = "pubmed-search"


@dataclass
class Hit:
    pmid: str
    article: bytes | None = None
    doi: str | None = None
    pmcid: str | None = None
    fulltext: bytes | None = None
    fulltext_url: str = ""
    license: str | None = None

    @property
    def paper_id(self) -> str:
        return make_paper_id(self.doi, self.pmid, self.pmcid)


@dataclass
class PubmedReport:
    query: str
    count: int = 0  # hits PubMed reports for the query
    fetched: int = 0
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)  # already in the corpus from elsewhere (PMIDs)
    without_abstract: list[str] = field(default_factory=list)
    fulltexts: list[str] = field(default_factory=list)
    requests: int = 0

    def summary(self) -> str:
        line = (f"PubMed: {self.count} hit(s) for the query, {self.fetched} fetched; imported {len(self.new)}, "
                f"updated {len(self.updated)}, unchanged {len(self.unchanged)}, merged {len(self.merged)}, "
                f"skipped {len(self.without_abstract)} without abstract")
        return line + (f"; {len(self.fulltexts)} open-access full text(s)" if self.fulltexts else "")

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "count": self.count, "fetched": self.fetched, "imported": self.new,
                "updated": self.updated, "unchanged": self.unchanged, "merged": self.merged,
                "without_abstract": self.without_abstract, "fulltexts": self.fulltexts}


def search_params(client: PoliteClient, query: str, since: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {"db": "pubmed", "term": query, "retmode": "json", "sort": "relevance",
                              **ncbi.ncbi_params(client)}
    if since:
        params.update({"datetype": "pdat", "mindate": str(since), "maxdate": "3000"})
    return params


def search_pmids(client: PoliteClient, query: str, max_hits: int, since: int | None = None,
                 page: int = ESEARCH_PAGE) -> tuple[list[str], int]:
    """(up to ``max_hits`` PMIDs in PubMed's order, the total number of hits), asking ``page`` ids at a time."""
    url = f"{client.settings.eutils_url.rstrip('/')}/esearch.fcgi"
    ids: list[str] = []
    count = 0
    while len(ids) < max_hits:
        params = {**search_params(client, query, since), "retstart": len(ids),
                  "retmax": min(page, max_hits - len(ids))}
        resp = client.get(url, params)
        try:
            result = resp.json()["esearchresult"] if resp is not None else {}
            count = int(result.get("count") or 0)
            got = [str(i) for i in result.get("idlist") or []]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise MalformedResponse(f"malformed JSON from esearch ({resp.url if resp else url})") from None
        if resp is not None and "ERROR" in result:
            raise FetchError(f"PubMed rejected the query: {result['ERROR']}. Check its syntax on "
                             "pubmed.ncbi.nlm.nih.gov.")
        seen = set(ids)
        ids += [i for i in dict.fromkeys(got) if i not in seen]
        if not got or len(ids) >= count:
            break
    return ids[:max_hits], count


def _fetch(client: PoliteClient, query: str, max_hits: int, since: int | None, pmc: bool, page: int,
           batch: int, progress: bool, report: PubmedReport) -> list[Hit]:
    pmids, report.count = search_pmids(client, query, max_hits, since, page)
    hits: dict[str, Hit] = {p: Hit(p) for p in pmids}
    with tqdm(total=len(pmids), desc="PubMed records", unit="record", disable=None if progress else True) as bar:
        for start in range(0, len(pmids), batch):
            chunk = pmids[start:start + batch]
            res = ncbi.fetch_abstracts(client, chunk)
            for pmid in chunk:
                h = hits[pmid]
                h.doi, h.pmcid = res.meta.get(pmid, {}).get("doi"), res.meta.get(pmid, {}).get("pmcid")
                h.article = res.articles.get(pmid)
                if h.article is None:
                    report.without_abstract.append(pmid)
            bar.update(len(chunk))
    if pmc:
        for h in tqdm([h for h in hits.values() if h.pmcid], desc="PMC full texts", unit="paper",
                      disable=None if progress else True):
            _fetch_fulltext(client, h)
    report.fetched = sum(1 for h in hits.values() if h.article is not None)
    return list(hits.values())


def _fetch_fulltext(client: PoliteClient, h: Hit) -> None:
    try:
        resp = europepmc.fetch_full_text(client, h.pmcid or "")
    except HTTPStatusError:
        return
    if resp is None:
        return
    try:
        root = parse_xml(resp.content, f"the full text of {h.pmcid} ({resp.url})")
    except MalformedResponse:
        return
    if jats_has_body(root):  # metadata-only JATS (not open access) has no <body>: the abstract stays
        h.fulltext, h.fulltext_url, h.license = resp.content, resp.url, jats_license(root)


def _provenance(h: Hit, kind: str, url: str, query: str) -> dict[str, Any]:
    return {"kind": kind, "url": url, "source": SOURCE, "license": h.license if kind == "full-text" else None,
            "paper_id": h.paper_id, "doi": h.doi, "pmid": h.pmid, "pmcid": h.pmcid, "query": query,
            "retrieved_at": now_iso()}


def _store(settings: Settings, hits: list[Hit], report: PubmedReport, efetch: str) -> None:
    local = LocalIndex.build(settings.cache_dir, settings.user_dir, settings.digest_dir)
    for h in hits:
        if h.article is None:
            continue
        path = cache_file(settings.cache_dir, h.paper_id, "abstract")
        ft_path = cache_file(settings.cache_dir, h.paper_id, "full-text")
        others = [f for f in local.lookup(id_forms(h.doi, h.pmid, h.pmcid)) if f.path not in (path, ft_path)
                  and f.meta.get("source") != SOURCE]
        if others:
            report.merged.append(h.pmid)
            continue
        status = _write_if_changed(path, h.article, _provenance(h, "abstract", efetch, report.query))
        {"new": report.new, "updated": report.updated, "unchanged": report.unchanged}[status].append(h.pmid)
        if h.fulltext is not None:
            _write_if_changed(ft_path, h.fulltext, _provenance(h, "full-text", h.fulltext_url, report.query))
            report.fulltexts.append(h.pmid)


def _write_if_changed(path: Path, data: bytes, meta: dict[str, Any]) -> str:
    """'unchanged' (same bytes there: not touched, so the index reuses it), else write: 'new' or 'updated'."""
    if path.exists() and read_sidecar(path) is not None:
        if sha256_bytes(path.read_bytes()) == sha256_bytes(data):
            return "unchanged"
        status = "updated"
    else:
        status = "new"
    write_with_sidecar(path, data, meta)
    return status


def check_arguments(query: str, max_hits: int, since: int | None) -> str:
    query = " ".join(query.split())
    if not query:
        raise ConfigError('the PubMed query is empty: give one, e.g. `corpus import pubmed "rTMS neuropathic pain"`.')
    if not 1 <= max_hits <= MAX_HITS:
        raise ConfigError(f"--max {max_hits}: give a number of hits between 1 and {MAX_HITS}.")
    if since is not None and not 1800 <= since <= datetime.now(UTC).year:
        raise ConfigError(f"--since {since}: give a publication year such as 2015.")
    return query


def import_pubmed(settings: Settings, query: str, *, max_hits: int = 100, since: int | None = None,
                  pmc: bool = False, client: PoliteClient | None = None, progress: bool = True,
                  page: int = ESEARCH_PAGE, batch: int = ncbi.EFETCH_BATCH) -> PubmedReport:
    """Search PubMed and store every hit with an abstract in the corpus cache (nothing is written on failure)."""
    query = check_arguments(query, max_hits, since)
    client = client or PoliteClient(settings)
    report = PubmedReport(query=query)
    try:
        hits = _fetch(client, query, max_hits, since, pmc, page, batch, progress, report)
    except NetworkError as exc:
        pubmed = not pmc or str(exc).startswith(host_of(settings.eutils_url) + ":")  # messages start with the host
        host = host_of(settings.eutils_url if pubmed else settings.europepmc_url)
        why = "timed out" if "timed out" in str(exc) else "could not connect"
        service = "PubMed" if pubmed else "Europe PMC (full texts)"
        raise FetchError(f"{service} is not reachable ({host}: {why}); nothing was imported. Check the internet "
                         "connection and run the command again.") from None
    except (HTTPStatusError, MalformedResponse) as exc:
        raise FetchError(f"PubMed search failed: {exc} Nothing was imported; try again later.") from None
    report.requests = client.requests_made
    _store(settings, hits, report, ncbi.efetch_url(client))
    return report
