"""Complete the manifest's identifiers: PMID -> PMCID/DOI and DOI -> PMID/PMCID (PMC ID converter,
batched), then DOI -> PMID through PubMed search for papers that are not in PMC."""

from __future__ import annotations

from assistant.corpus.cache import SyncState
from assistant.corpus.fetch import ncbi
from assistant.corpus.fetch.http import HTTPStatusError, PoliteClient
from assistant.corpus.fetch.xmlcheck import MalformedResponse
from assistant.corpus.manifest import ManifestEntry


def _apply(entry: ManifestEntry, rec: dict[str, object]) -> None:
    for name in ("pmid", "pmcid", "doi"):
        value = rec.get(name)
        if value and not getattr(entry, name):
            setattr(entry, name, str(value))


def fill_identifiers(client: PoliteClient, entries: list[ManifestEntry], state: SyncState) -> list[str]:
    """Fill missing PMCIDs/PMIDs/DOIs in place; return notes about identifiers that did not resolve."""
    notes: list[str] = []
    by_pmid = [e for e in entries if e.pmid and not (e.pmcid and e.doi) and not state.has("idconv", f"pmid:{e.pmid}")]
    by_doi = [e for e in entries if e.doi and not e.pmid and not state.has("idconv", f"doi:{e.doi}")]
    for idtype, group in (("pmid", by_pmid), ("doi", by_doi)):
        if not group:
            continue
        ids = [str(getattr(e, idtype)) for e in group]
        try:
            conv = ncbi.convert_ids(client, ids, idtype)
        except (HTTPStatusError, MalformedResponse) as exc:
            notes.append(f"ID converter: {exc}")
            continue
        for e, ident in zip(group, ids, strict=True):
            rec = conv.records.get(ident.lower() if idtype == "doi" else ident)
            if rec is None:
                continue
            if rec.get("errmsg") or rec.get("status") == "error":
                why = str(rec.get("errmsg") or "not found")
                state.mark("idconv", f"{idtype}:{ident}", why)
                notes.append(f"{e.key}: the PMC ID converter does not know {idtype} {ident} ({why})")
                continue
            _apply(e, rec)
            state.mark("idconv", f"{idtype}:{ident}", "converted")
    for e in entries:
        if e.doi and not e.pmid and not state.has("esearch", e.doi):
            try:
                pmid = ncbi.pmid_for_doi(client, e.doi)
            except (HTTPStatusError, MalformedResponse) as exc:
                notes.append(f"{e.key}: PubMed search for DOI {e.doi} failed ({exc})")
                continue
            state.mark("esearch", e.doi, pmid or "no match")
            if pmid:
                e.pmid = pmid
            else:
                notes.append(f"{e.key}: PubMed has no record with DOI {e.doi}")
    return notes
