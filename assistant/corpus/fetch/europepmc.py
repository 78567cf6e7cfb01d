"""Europe PMC REST: the review's ordered reference list and open-access JATS full texts."""

from __future__ import annotations

from typing import Any

from assistant.corpus.fetch.http import PoliteClient, Response
from assistant.corpus.fetch.records import RefRecord, split_author_string, to_year
from assistant.corpus.fetch.xmlcheck import MalformedResponse

PAGE_SIZE = 1000


def references_url(base: str, pmid: str) -> str:
    return f"{base.rstrip('/')}/MED/{pmid}/references"


def fetch_reference_pages(client: PoliteClient, pmid: str) -> list[dict[str, Any]] | None:
    """Raw JSON pages of the reference list of PubMed article ``pmid``; None when Europe PMC has none."""
    url = references_url(client.settings.europepmc_url, pmid)
    raw_pages: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        resp = client.get(url, {"format": "json", "page": page, "pageSize": PAGE_SIZE})
        if resp is None:
            return None
        data = _json(resp)
        raw_pages.append(data)
        batch = ((data.get("referenceList") or {}).get("reference")) or []
        items.extend(r for r in batch if isinstance(r, dict))
        hits = int(data.get("hitCount") or 0)
        if not batch or len(items) >= hits:
            break
        page += 1
    return raw_pages if items else None


def parse_reference_pages(pages: list[dict[str, Any]]) -> list[RefRecord]:
    """References ordered by ``citedOrder`` (their number in the citing paper)."""
    items = [r for p in pages for r in ((p.get("referenceList") or {}).get("reference") or [])
             if isinstance(r, dict)]
    refs = [_record(r, i) for i, r in enumerate(items, start=1)]
    refs.sort(key=lambda r: r.ref_no or 0)
    return refs


def _json(resp: Response) -> dict[str, Any]:
    try:
        data = resp.json()
    except ValueError:
        raise MalformedResponse(f"malformed JSON from {resp.url}") from None
    if not isinstance(data, dict):
        raise MalformedResponse(f"unexpected JSON from {resp.url}")
    return data


def _record(r: dict[str, Any], position: int) -> RefRecord:
    src, ident = str(r.get("source") or ""), str(r.get("id") or "")
    try:
        order = int(r.get("citedOrder") or position)
    except (TypeError, ValueError):
        order = position
    return RefRecord(
        ref_no=order,
        title=str(r.get("title") or "").strip().rstrip("."),
        authors=split_author_string(r.get("authorString")),
        journal=r.get("journalAbbreviation") or r.get("journalTitle") or None,
        year=to_year(r.get("pubYear")),
        doi=r.get("doi") or None,
        pmid=ident if src == "MED" and ident.isdigit() else None,
        pmcid=ident if src == "PMC" and ident else None,
        source="europepmc",
    )


def full_text_url(base: str, pmcid: str) -> str:
    return f"{base.rstrip('/')}/{pmcid}/fullTextXML"


def fetch_full_text(client: PoliteClient, pmcid: str) -> Response | None:
    """The raw JATS response, or None when Europe PMC has no full text for ``pmcid`` (404)."""
    return client.get(full_text_url(client.settings.europepmc_url, pmcid))
