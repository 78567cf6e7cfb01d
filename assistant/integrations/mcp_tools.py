"""What the MCP server's tools and resources return, as JSON-ready dicts built from one ``Assistant``.

Kept apart from the server wiring (``mcp_server``) so the shapes are plain functions over the ``Assistant``: the
server only registers them. Every citation carries the paper's identifiers (DOI, PMID, PMCID, URL), the answer
sentences that cite it and the source sentences (quotes) it was cited for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from assistant.errors import CorpusError
from assistant.references import entry_url
from assistant.studies.table import studies_json

if TYPE_CHECKING:
    from assistant.answer.contracts import Answer, Citation
    from assistant.api import Assistant
    from assistant.corpus.contracts import DocumentMeta
    from assistant.index.contracts import Passage

PAPERS_URI = "rtms://papers"
PAPER_URI = "rtms://papers/{paper_id}"
MAX_K = 20


def paper_uri(paper_id: str) -> str:
    """'doi:10.1/x' -> 'rtms://papers/doi%3A10.1%2Fx' (one path segment, as the resource template needs)."""
    return PAPERS_URI + "/" + quote(paper_id, safe="")


def _ids(d: DocumentMeta) -> dict[str, Any]:
    return {"paper_id": d.paper_id, "doi": d.doi, "pmid": d.pmid, "pmcid": d.pmcid,
            "url": entry_url(d.doi, d.pmid, d.pmcid)}


def _biblio(d: DocumentMeta) -> dict[str, Any]:
    return {"title": d.title, "authors": d.authors, "year": d.year, "journal": d.journal, "kind": d.kind,
            **_ids(d)}


def passage_dict(p: Passage) -> dict[str, Any]:
    return {"rank": p.rank, "score": round(p.score, 4), **_biblio(p.doc), "section": p.chunk.section,
            "page": p.chunk.page, "text": p.chunk.text}


def search(assistant: Assistant, query: str, k: int = 5, year_from: int | None = None,
           year_to: int | None = None) -> list[dict[str, Any]]:
    years = (year_from or 0, year_to or 9999) if (year_from or year_to) else None
    return [passage_dict(p) for p in assistant.search(query, max(1, min(k, MAX_K)), year_range=years)]


def _citation(c: Citation, answer: Answer) -> dict[str, Any]:
    text = c.passage.chunk.text
    return {"n": c.n, **_biblio(c.passage.doc), "section": c.passage.chunk.section, "page": c.passage.chunk.page,
            "supported": c.supported,
            "cited_sentences": [s.text for s in answer.sentences if c.n in s.markers],
            "quotes": [text[a:b] for a, b in c.highlights if 0 <= a < b <= len(text)] or [text],
            "caveats": list(c.caveats)}


def ask(assistant: Assistant, question: str, backend: str | None = None) -> dict[str, Any]:
    a = assistant.ask(question, backend=backend)
    return {"answer": a.answer, "answerable": a.answerable, "verdict": a.verdict,
            "citations": [_citation(c, a) for c in sorted(a.citations, key=lambda c: c.n)],
            "references": a.references, "flags": a.flags, "backend": a.backend, "model": a.model}


def _plain(row: Any) -> Any:
    if hasattr(row, "model_dump"):
        return row.model_dump(mode="json")
    if isinstance(row, dict):
        return {str(k): _plain(v) for k, v in row.items()}
    if isinstance(row, list | tuple):
        return [_plain(v) for v in row]
    return row


def evidence(assistant: Assistant, marker: str | None = None, tissue: str | None = None, change: str | None = None,
             study_type: str | None = None, conflicts: bool = False) -> list[dict[str, Any]]:
    rows = assistant.evidence(marker=marker, tissue=tissue, change=change, study_type=study_type,
                              conflicts=conflicts)
    return [_plain(r) for r in rows]


def studies(assistant: Assistant, species: str | None = None, kind: str | None = None,
            text: str | None = None) -> list[dict[str, Any]]:
    """``Assistant.studies()``: one record per paper (kind, population, sizes, control, protocol, findings), each
    value with the sentence it came from (chunk id, span, quote)."""
    return studies_json(assistant.studies(species=species, kind=kind, text=text))


def papers(assistant: Assistant) -> list[dict[str, Any]]:
    """One row per paper in the index (its documents' kinds together), with the resource URI to read it."""
    out: dict[str, dict[str, Any]] = {}
    for d in assistant.documents().values():
        row = out.setdefault(d.paper_id, {**_biblio(d), "kinds": [], "uri": paper_uri(d.paper_id)})
        row.pop("kind", None)
        if d.kind not in row["kinds"]:
            row["kinds"].append(d.kind)
    return sorted(out.values(), key=lambda r: (r.get("year") or 0, r.get("title") or ""), reverse=True)


def paper_text(assistant: Assistant, paper_id: str) -> str:
    """A paper as Markdown: its bibliography, identifiers and every indexed passage with section and page."""
    paper_id = unquote(paper_id)
    docs = [d for d in assistant.documents().values() if d.paper_id == paper_id]
    if not docs:
        raise CorpusError(f"no paper {paper_id!r} in the index; list the papers with the resource {PAPERS_URI}.")
    d = docs[0]
    ids = " · ".join(f"{k.upper()} {v}" for k, v in (("doi", d.doi), ("pmid", d.pmid), ("pmcid", d.pmcid)) if v)
    lines = [f"# {d.title or paper_id}", "", f"{', '.join(d.authors) or 'Anon.'} ({d.year or 'n.d.'}). "
             f"{d.journal or ''}".strip(), ids, ""]
    for p in assistant.passages_of(paper_id):
        where = " — ".join(x for x in (p.chunk.section, f"p. {p.chunk.page}" if p.chunk.page else "") if x)
        lines += [f"## {where}" if where else "##", "", p.chunk.text, ""]
    return "\n".join(lines)
