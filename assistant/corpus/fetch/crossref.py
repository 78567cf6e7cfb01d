"""Crossref REST: a work's metadata and its deposited reference list (in citation order for Frontiers)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from assistant.corpus.fetch.http import PoliteClient, Response
from assistant.corpus.fetch.records import RefRecord, to_year
from assistant.corpus.fetch.xmlcheck import MalformedResponse


def work_url(base: str, doi: str) -> str:
    return f"{base.rstrip('/')}/works/{quote(doi, safe='/')}"


def fetch_work(client: PoliteClient, doi: str) -> tuple[dict[str, Any], Response] | None:
    """The ``message`` of ``/works/<doi>`` and the raw response; None for an unknown DOI."""
    params = {"mailto": client.settings.contact_email or None}
    resp = client.get(work_url(client.settings.crossref_url, doi), params)
    if resp is None:
        return None
    try:
        msg = resp.json().get("message")
    except (ValueError, AttributeError):
        raise MalformedResponse(f"malformed JSON from Crossref ({resp.url})") from None
    if not isinstance(msg, dict):
        raise MalformedResponse(f"Crossref answer without a 'message' ({resp.url})")
    return msg, resp


def initials(given: str) -> str:
    return "".join(p[0].upper() for p in re.split(r"[\s.\-]+", given) if p)


def author_names(msg: dict[str, Any]) -> list[str]:
    out = []
    for a in msg.get("author") or []:
        if a.get("family"):
            out.append(f"{a['family']} {initials(a.get('given') or '')}".strip())
        elif a.get("name"):
            out.append(str(a["name"]))
    return out


def _first(v: Any) -> str:
    return str(v[0]).strip() if isinstance(v, list) and v else str(v or "").strip()


def biblio_from_work(msg: dict[str, Any]) -> dict[str, Any]:
    """Title, authors, journal, year, DOI and licence URL of a Crossref work."""
    parts = None
    for k in ("issued", "published", "published-print", "published-online"):
        dp = (msg.get(k) or {}).get("date-parts")
        if dp and dp[0] and dp[0][0]:
            parts = dp[0]
            break
    lic = next((x.get("URL") for x in msg.get("license") or [] if x.get("URL")), None)
    return {
        "title": _first(msg.get("title")),
        "authors": author_names(msg),
        "journal": _first(msg.get("short-container-title")) or _first(msg.get("container-title")) or None,
        "year": int(parts[0]) if parts else None,
        "doi": (msg.get("DOI") or "").lower() or None,
        "license": lic,
    }


def references_from_work(msg: dict[str, Any]) -> list[RefRecord]:
    """``reference[]`` in deposit order, numbered from 1."""
    refs = []
    for i, r in enumerate(msg.get("reference") or [], start=1):
        title = r.get("article-title") or ""  # 'unstructured' strings are not split: too unreliable
        refs.append(RefRecord(
            ref_no=i, title=str(title).strip(), authors=[str(r["author"])] if r.get("author") else [],
            journal=r.get("journal-title") or None, year=to_year(r.get("year")),
            doi=(r.get("DOI") or "").lower() or None, source="crossref"))
    return refs
