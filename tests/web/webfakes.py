"""Hand-built Passages and Answers with invented text (no third-party wording)."""

from __future__ import annotations

import time
from collections.abc import Callable

from assistant.answer.contracts import REFUSAL, Answer, Citation, Evidence, EvidenceSentence, SentenceCheck
from assistant.corpus.contracts import DocumentMeta
from assistant.index.contracts import Chunk, IndexStatus, Passage


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


def evidence_sentences(passages: list[Passage], picks: list[tuple[int, str]]) -> list[EvidenceSentence]:
    """Evidence sentences (n, sentence) located by their character offsets in their passage's text."""
    out = []
    for i, (n, sentence) in enumerate(picks, start=1):
        start = passages[n - 1].chunk.text.index(sentence)
        out.append(EvidenceSentence(id=i, n=n, chunk_id=passages[n - 1].chunk.chunk_id, text=sentence, start=start,
                                    end=start + len(sentence), score=1.0 - i / 10))
    return out


YES_SENTENCE_1 = "Microglial marker levels fell after stimulation."
YES_SENTENCE_2 = "Invented: astrocyte activation was lower in treated animals."


def yes_no_answer(question: str = "Does stimulation lower glial markers?", *, verdict: str = "yes",
                  extra: str = "") -> Answer:
    """A yes/no answer with a verdict, two evidence sentences (one mid-passage) and cited highlights.

    ``extra`` is put into passage 1's text and into the second evidence sentence (e.g. markup to escape)."""
    ps = [passage(1, text=f"Invented background about rats{extra}. {YES_SENTENCE_1} A closing invented remark."),
          passage(2, text=f"{YES_SENTENCE_2[:-1]}{extra}. Another invented detail.", kind="evidence-note",
                  doi="10.9999/invented.0002", pmid=None, section="Results", page=None,
                  title="Second invented paper", authors=["Smith A"], year=2019),
          passage(3, text="Invented: an unrelated passage about coil placement.", kind="abstract", doi=None,
                  pmid="99999903", section="", page=None, title="Third invented paper")]
    ev = evidence_sentences(ps, [(1, YES_SENTENCE_1), (2, f"{YES_SENTENCE_2[:-1]}{extra}.")])
    cites = [Citation(n=e.n, passage=ps[e.n - 1], supported=True, highlights=[(e.start, e.end)]) for e in ev]
    return Answer(question=question, query=question, answer="Yes: microglial markers fell [1] and astrocyte "
                  "activation dropped [2].", answerable=True, citations=cites, passages=ps, verdict=verdict,
                  evidence=ev, backend="extractive", timings={"retrieve_s": 0.01, "first_token_s": 0.02,
                                                               "total_s": 0.05})


def evidence_of(a: Answer) -> Evidence:
    """The Evidence item a stream yields before the answer ``a``."""
    return Evidence(question=a.question, query=a.query, passages=a.passages, sentences=a.evidence,
                    yes_no=a.verdict is not None, refused=None if a.answerable else (a.flags or ["refused"])[0])


def refusal(question: str = "What is the capital of France?") -> Answer:
    return Answer(question=question, query=question, answer=REFUSAL, answerable=False,
                  passages=[passage(1), passage(2, doi="10.9999/invented.0002")], backend="extractive")


class FakeAssistant:
    """Stands in for `Assistant` in callback tests: yields the Evidence item (unless closed book), then the
    words of a canned answer, then the answer; records calls. ``pause_s`` waits after the evidence, ``word_s``
    after each word; ``make`` builds the answer when no canned one is left."""

    def __init__(self, settings, answers=None, error: Exception | None = None, *, pause_s: float = 0.0,
                 word_s: float = 0.0, make: Callable[[str], Answer] | None = None) -> None:
        self.settings = settings
        self.answers = list(answers or [])
        self.error = error
        self.pause_s, self.word_s = pause_s, word_s
        self.make = make or answer
        self.calls: list[dict] = []
        self.pending: str | None = None  # why the model is not used yet (llm_unavailable)

    def llm_unavailable(self, backend=None):
        return None if backend == "extractive" else self.pending

    def stream(self, question, history=None, backend=None, k=None):
        self.calls.append({"question": question, "history": history, "backend": backend, "k": k})
        if self.error is not None:
            raise self.error
        a = self.answers.pop(0) if self.answers else self.make(question)
        if a.retrieval != "none":
            yield evidence_of(a)
        time.sleep(self.pause_s)
        for word in a.answer.split(" "):
            yield word + " "
            time.sleep(self.word_s)
        yield a

    def status(self) -> IndexStatus:
        return IndexStatus(exists=True, stale=False, reasons=[], documents=3, chunks=12, path="/x", index_dir="/x")

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
