"""NCBI: PMC ID converter (batches of up to 200), PubMed abstracts (efetch), DOI -> PMID (esearch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from assistant.corpus.fetch.http import PoliteClient
from assistant.corpus.fetch.xmlcheck import MalformedResponse, local, parse_xml, text_of

IDCONV_BATCH = 200
EFETCH_BATCH = 100
TOOL = "rtms-assistant"


def ncbi_params(client: PoliteClient) -> dict[str, str | None]:
    s = client.settings
    return {"tool": TOOL, "email": s.contact_email or None, "api_key": s.ncbi_api_key or None}


@dataclass
class Conversion:
    """ID-converter results: one record per requested id (``errmsg`` set for misses)."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    raw: list[Any] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)


def convert_ids(client: PoliteClient, ids: list[str], idtype: str) -> Conversion:
    """Ask the PMC ID converter about ``ids`` (all of one ``idtype``: pmid | doi | pmcid)."""
    out = Conversion()
    for start in range(0, len(ids), IDCONV_BATCH):
        batch = ids[start:start + IDCONV_BATCH]
        params = {"ids": ",".join(batch), "idtype": idtype, "format": "json", **ncbi_params(client)}
        resp = client.get(client.settings.idconv_url, params)
        if resp is None:
            continue
        try:
            data = resp.json()
        except ValueError:
            raise MalformedResponse(f"malformed JSON from the ID converter ({resp.url})") from None
        out.raw.append(data)
        out.urls.append(resp.url)
        for rec in data.get("records") or []:
            if isinstance(rec, dict):
                req = str(rec.get("requested-id") or "")
                out.records[req.lower() if idtype == "doi" else req] = rec
    return out


def pmid_for_doi(client: PoliteClient, doi: str) -> str | None:
    """PubMed's PMID for a DOI (esearch ``<doi>[doi]``); None when PubMed has exactly no match."""
    url = f"{client.settings.eutils_url.rstrip('/')}/esearch.fcgi"
    params = {"db": "pubmed", "term": f"{doi}[doi]", "retmode": "json", **ncbi_params(client)}
    resp = client.get(url, params)
    if resp is None:
        return None
    try:
        ids = resp.json().get("esearchresult", {}).get("idlist") or []
    except (ValueError, AttributeError):
        raise MalformedResponse(f"malformed JSON from esearch ({resp.url})") from None
    return str(ids[0]) if len(ids) == 1 else None


@dataclass
class AbstractBatch:
    url: str
    articles: dict[str, bytes] = field(default_factory=dict)  # pmid -> one-article PubmedArticleSet
    without_abstract: set[str] = field(default_factory=set)
    meta: dict[str, dict[str, str]] = field(default_factory=dict)  # pmid -> {doi, pmcid}


def efetch_url(client: PoliteClient) -> str:
    return f"{client.settings.eutils_url.rstrip('/')}/efetch.fcgi"


def fetch_abstracts(client: PoliteClient, pmids: list[str]) -> AbstractBatch:
    """One efetch call for up to EFETCH_BATCH PMIDs, split into one small XML file per article."""
    params = {"db": "pubmed", "id": ",".join(pmids), "retmode": "xml", **ncbi_params(client)}
    resp = client.get(efetch_url(client), params)
    out = AbstractBatch(url=resp.url if resp else efetch_url(client))
    if resp is None:
        return out
    root = parse_xml(resp.content, f"PubMed efetch response ({resp.url})")
    if local(root.tag) != "PubmedArticleSet":
        raise MalformedResponse(f"unexpected PubMed XML root <{local(root.tag)}> ({resp.url})")
    for art in root.findall("PubmedArticle"):
        pmid = text_of(art.find("MedlineCitation/PMID"))
        if not pmid:
            continue
        out.meta[pmid] = _article_ids(art)
        if not any(text_of(a) for a in art.iterfind("MedlineCitation/Article/Abstract/AbstractText")):
            out.without_abstract.add(pmid)
            continue
        wrapper = etree.Element("PubmedArticleSet")
        wrapper.append(art)
        out.articles[pmid] = etree.tostring(wrapper, xml_declaration=True, encoding="UTF-8")
    return out


def _article_ids(art: etree._Element) -> dict[str, str]:
    ids: dict[str, str] = {}
    for a in art.iterfind("PubmedData/ArticleIdList/ArticleId"):
        kind, value = a.get("IdType"), text_of(a)
        if kind in ("doi", "pmc") and value:
            ids["pmcid" if kind == "pmc" else "doi"] = value
    return ids
