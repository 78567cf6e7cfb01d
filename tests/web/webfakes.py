"""Hand-built Passages and Answers with invented text (no third-party wording)."""

from __future__ import annotations

from assistant.answer.models import REFUSAL, Answer, Citation, SentenceCheck
from assistant.corpus.models import DocumentMeta
from assistant.index.models import Chunk, Passage


def passage(n: int = 1, *, text: str = "Invented passage: microglial marker levels fell after stimulation.",
            kind: str = "full-text", section: str = "Results > Spinal cord", page: int | None = 4,
            doi: str | None = "10.9999/invented.0001", pmid: str | None = "99999901",
            title: str = "An invented study of stimulation and glia", authors: list[str] | None = None,
            year: int | None = 2021, journal: str | None = "J Invented Neurosci") -> Passage:
    paper = f"doi:{doi}" if doi else f"sha256:{n:016d}"
    doc = DocumentMeta(doc_id=f"{paper}#{kind}", paper_id=paper, kind=kind, title=title,
                       authors=authors if authors is not None else ["Doe J", "Roe R", "Poe P"],
                       year=year, journal=journal, doi=doi, pmid=pmid)
    cid = Chunk.make_id(doc.doc_id, section, page, 0, len(text), text)
    chunk = Chunk(chunk_id=cid, doc_id=doc.doc_id, paper_id=paper, ord=n, section=section, page=page,
                  char_start=0, char_end=len(text), text=text)
    return Passage(chunk=chunk, doc=doc, score=1.0 / (60 + n), dense_score=0.7 - n / 100, bm25_score=5.0, rank=n)


def answer(question: str = "Which glial markers fall?", text: str | None = None,
           passages: list[Passage] | None = None, supported: dict[int, bool | None] | None = None,
           sentences: list[SentenceCheck] | None = None, query: str | None = None) -> Answer:
    ps = passages if passages is not None else [
        passage(1),
        passage(2, text="Invented: astrocyte activation was lower in treated animals.", kind="evidence-note",
                doi="10.9999/invented.0002", pmid=None, section="Results", page=None, title="Second invented paper",
                authors=["Smith A"], year=2019),
        passage(3, text="Invented: an unrelated passage about coil placement.", kind="abstract",
                doi=None, pmid="99999903", section="", page=None, title="Third invented paper"),
    ]
    text = text if text is not None else "Microglial markers fell [1]. Astrocyte activation also dropped [2]."
    supported = supported if supported is not None else {1: True, 2: True}
    cites = [Citation(n=n, passage=ps[n - 1], supported=v) for n, v in supported.items()]
    return Answer(question=question, query=query or question, answer=text, answerable=True, citations=cites,
                  passages=ps, sentences=sentences or [], backend="extractive", model="",
                  timings={"retrieve_s": 0.01, "first_token_s": 0.02, "total_s": 0.05})


def refusal(question: str = "What is the capital of France?") -> Answer:
    return Answer(question=question, query=question, answer=REFUSAL, answerable=False,
                  passages=[passage(1), passage(2, doi="10.9999/invented.0002")], backend="extractive")


class FakeAssistant:
    """Stands in for `Assistant` in callback tests: streams words of a canned answer, records calls."""

    def __init__(self, settings, answers=None, error: Exception | None = None) -> None:
        self.settings = settings
        self.answers = list(answers or [])
        self.error = error
        self.calls: list[dict] = []

    def stream(self, question, history=None, backend=None, k=None):
        self.calls.append({"question": question, "history": history, "backend": backend, "k": k})
        if self.error is not None:
            raise self.error
        a = self.answers.pop(0) if self.answers else answer(question)
        for word in a.answer.split(" "):
            yield word + " "
        yield a

    def status(self):
        return {"exists": True, "stale": False, "reasons": [], "documents": 3, "chunks": 12, "path": "/x"}

    def corpus(self):
        return [{"key": "doe2021", "role": "reference", "status": "confirmed", "title": "Invented",
                 "authors": ["Doe J", "Roe R", "Poe P", "Zoe Z"], "year": 2021, "local": ["abstract"],
                 "files": {"abstract": ["/x.xml"]}}]

    def evidence(self, marker=None, tissue=None, change=None, study_type=None):
        rows = [{"marker": "Iba1", "tissue": "spinal cord", "change": "down", "study_type": "animal study"},
                {"marker": "IL-10", "tissue": "brain", "change": "up", "study_type": "animal study"}]
        return [r for r in rows if (marker is None or r["marker"] == marker)
                and (tissue is None or r["tissue"] == tissue) and (change is None or r["change"] == change)
                and (study_type is None or r["study_type"] == study_type)]

    def search(self, query, k=None, **kw):
        return []
