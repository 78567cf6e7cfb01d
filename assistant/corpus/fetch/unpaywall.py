"""Unpaywall: where an open-access PDF of a DOI lives, and under which licence."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from assistant.corpus.fetch.http import PoliteClient
from assistant.corpus.fetch.xmlcheck import MalformedResponse

PDF_MAGIC = b"%PDF-"


def oa_pdf_location(client: PoliteClient, doi: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """``(location, raw)`` for the best OA location that has a PDF URL; None when there is none.

    Tries ``best_oa_location`` first, then the other ``oa_locations``.
    """
    url = f"{client.settings.unpaywall_url.rstrip('/')}/{quote(doi, safe='/')}"
    resp = client.get(url, {"email": client.settings.contact_email or None})
    if resp is None:
        return None
    try:
        raw = resp.json()
    except ValueError:
        raise MalformedResponse(f"malformed JSON from Unpaywall ({resp.url})") from None
    if not isinstance(raw, dict) or not raw.get("is_oa"):
        return None
    candidates = [raw.get("best_oa_location")] + list(raw.get("oa_locations") or [])
    for loc in candidates:
        if isinstance(loc, dict) and loc.get("url_for_pdf"):
            return loc, raw
    return None


def download_pdf(client: PoliteClient, url: str, max_bytes: int) -> bytes:
    """The PDF's bytes; MalformedResponse when the host sends something else (e.g. an HTML page)."""
    resp = client.get(url, stream_limit=max_bytes)
    if resp is None:
        raise MalformedResponse(f"the PDF link {url} answered 404")
    if PDF_MAGIC not in resp.content[:1024]:
        raise MalformedResponse(f"{url} did not return a PDF (got {resp.headers.get('content-type', '?')})")
    return resp.content
