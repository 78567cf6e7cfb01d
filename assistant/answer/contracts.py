"""Contract of the answer layer: Answer and its Citations."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from assistant.index.contracts import Passage

REFUSAL = "The corpus does not contain enough evidence to answer this question."
"""The constant refusal phrase (also what the LLM is told to say when the passages do not answer)."""


Verdict = Literal["yes", "no", "mixed", "insufficient"]
"""Answer to a yes/no question: the model's constrained first word, checked against the evidence."""


class EvidenceSentence(BaseModel):
    """One sentence chosen from a retrieved passage as evidence for the question."""

    id: int = Field(description="1-based number of the sentence in the evidence list shown to the model")
    n: int = Field(description="number of its passage, 1..k (the citation marker)")
    chunk_id: str
    text: str
    start: int = Field(description="start offset of the sentence in the passage's chunk text")
    end: int = Field(description="end offset (exclusive) in the passage's chunk text")
    score: float = 0.0


class Evidence(BaseModel):
    """What ``stream`` yields before any model token: the passages and the sentences chosen from them."""

    question: str
    query: str = Field(description="what was searched (the question resolved against the conversation)")
    passages: list[Passage] = Field(default_factory=list)
    sentences: list[EvidenceSentence] = Field(default_factory=list)
    yes_no: bool = Field(False, description="the question asks whether something is so (a verdict will follow)")
    refused: str | None = Field(None, description="the refusal gate's flag when no answer will follow")

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "query": self.query, "yes_no": self.yes_no, "refused": self.refused,
                "sentences": [s.model_dump() for s in self.sentences],
                "passages": [p.to_dict() for p in self.passages]}


class Citation(BaseModel):
    n: int = Field(description="marker number as shown in the answer text, 1..k")
    passage: Passage
    supported: bool | None = Field(None, description="judge verdict for the sentences citing it; None = unjudged")
    highlights: list[tuple[int, int]] = Field(
        default_factory=list, description="character spans of the passage's chunk text that back the answer "
                                          "sentences citing it (the evidence sentences, for highlighting)")
    caveats: list[str] = Field(default_factory=list, description="remarks that travel with the cited source "
                               "(an evidence note's caveats: what it does not say, its link to the review); "
                               "never evidence themselves. Filled from the document when not given")

    @model_validator(mode="after")
    def _caveats_from_doc(self) -> Citation:
        if not self.caveats:
            found = self.passage.doc.extra.get("caveats") if isinstance(self.passage.doc.extra, dict) else None
            if isinstance(found, list):
                self.caveats = [str(c) for c in found if c]
        return self

    def to_dict(self) -> dict[str, Any]:
        p, d = self.passage, self.passage.doc
        return {
            "n": self.n, "chunk_id": p.chunk.chunk_id, "doc_id": d.doc_id, "paper_id": d.paper_id,
            "kind": d.kind, "title": d.title, "authors": d.authors, "year": d.year, "journal": d.journal,
            "doi": d.doi, "pmid": d.pmid, "section": p.chunk.section, "page": p.chunk.page,
            "text": p.chunk.text, "supported": self.supported, "highlights": [list(h) for h in self.highlights],
            "caveats": list(self.caveats),
            "study_kind": p.study.kind if p.study else None, "study_badge": p.study.badge if p.study else "",
        }


class SentenceCheck(BaseModel):
    """One answer sentence with the markers it carries and the judge's verdict."""

    text: str
    markers: list[int] = Field(default_factory=list)
    supported: bool | None = None
    dropped_markers: list[int] = Field(default_factory=list, description="out-of-range markers removed")
    supported_markers: list[int] = Field(default_factory=list, description="markers whose passage supports it")
    repaired: bool = Field(False, description="the marker was added by the checker (the model gave none)")
    evidence_ids: list[int] = Field(default_factory=list, description="evidence sentences (ids) that back it")


class VerdictBasis(BaseModel):
    """What a yes/no verdict was read from: one paper's results (or, for a paper without results sections, its
    passages retrieved for the question), as the verdict probe saw them."""

    paper_id: str
    label: str = Field(description="the paper's short label, e.g. 'Kim et al. 2013'")
    sections: list[str] = Field(default_factory=list, description="the sections read")
    chunk_ids: list[str] = Field(default_factory=list, description="the chunks read")
    text: str = Field(description="the text the probe read (cut at RTMS_VERDICT_FINDINGS_CHARS)")


class Answer(BaseModel):
    question: str
    query: str = Field(description="standalone query actually searched (after follow-up rewriting)")
    answer: str = Field(description="answer text with [n] markers")
    answerable: bool
    citations: list[Citation] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list, description="all passages shown to the LLM, numbered 1..k")
    sentences: list[SentenceCheck] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list, description="rendered reference list, one line per citation")
    flags: list[str] = Field(default_factory=list, description="warnings, e.g. 'no-citations', 'unsupported-sentences'")
    raw_answer: str = Field("", description="the backend's text before citation checking")
    backend: str = ""
    model: str = ""
    judge: str = ""
    settings_hash: str = ""
    retrieval: str = Field("", description="retrieval mode used: hybrid, dense, bm25, or none (closed book)")
    verdict: Verdict | None = Field(None, description="for a yes/no question: yes, no, mixed (the cited studies "
                                                      "disagree) or insufficient; None for other questions")
    evidence: list[EvidenceSentence] = Field(default_factory=list, description="the evidence sentences selected")
    verdict_logodds: float | None = Field(None, description="the model's log-odds of 'Yes' over 'No' for a yes/no "
                                                            "question (asked from the findings, or as the answer's "
                                                            "first word; llama.cpp only)")
    verdict_score: float | None = Field(None, description="the verdict model's score (log-odds read with the "
                                                          "findings' wording; yes at or above "
                                                          "verdict_probe_threshold)")
    verdict_basis: VerdictBasis | None = Field(None, description="for a verdict the model read from one paper's "
                                                                 "results: that paper and the text read")
    timings: dict[str, float] = Field(default_factory=lambda: {"retrieve_s": 0.0, "first_token_s": 0.0, "total_s": 0.0})
    plan: dict[str, Any] | None = Field(None, description="the question plan (answer.plan.Plan): what is asked and "
                                                          "over which studies")
    verdict_reason: str | None = Field(None, description="why a verdict aggregated over the study records is "
                                                         "mixed or insufficient")

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question, "query": self.query, "answer": self.answer,
            "answerable": self.answerable, "verdict": self.verdict, "verdict_logodds": self.verdict_logodds,
            "verdict_score": self.verdict_score,
            "verdict_basis": self.verdict_basis.model_dump() if self.verdict_basis else None,
            "citations": [c.to_dict() for c in self.citations],
            "references": self.references,
            "sentences": [s.model_dump() for s in self.sentences],
            "passages": [p.to_dict() for p in self.passages],
            "evidence": [e.model_dump() for e in self.evidence],
            "flags": self.flags, "raw_answer": self.raw_answer,
            "backend": self.backend, "model": self.model, "judge": self.judge,
            "settings_hash": self.settings_hash, "retrieval": self.retrieval, "timings": self.timings,
            "plan": self.plan, "verdict_reason": self.verdict_reason,
        }

    def _repr_markdown_(self) -> str:
        """How Jupyter shows an Answer: the verdict, the text with its [n] markers, the cited papers with links."""
        from assistant.references import entry_url

        def esc(text: str) -> str:
            return "".join("\\" + ch if ch in "\\`*_<>[]" else ch for ch in text)

        lines = [f"**Verdict: {self.verdict}**", ""] if self.verdict else []
        if self.verdict and self.verdict_basis:
            lines[-1:] = [f"*read from the results of {esc(self.verdict_basis.label)}*", ""]
        lines += [self.answer if self.answerable else f"*No answer:* {self.answer}", ""]
        cited = {c.n: c for c in self.citations}
        if cited:
            lines += ["**References**", ""]
        for n in sorted(cited):
            p, d = cited[n].passage, cited[n].passage.doc
            url = entry_url(d.doi, d.pmid, d.pmcid)
            title = esc(d.title.rstrip(".")) or "(untitled)"
            bits = [f"- **[{n}]** {esc(d.short_label())}.", f"[{title}]({url})." if url else f"{title}."]
            bits += [esc(d.journal.rstrip(".")) + "."] if d.journal else []
            bits += [f"PMID {d.pmid}."] if d.pmid else []
            where = ", ".join(x for x in (p.chunk.section, f"p. {p.chunk.page}" if p.chunk.page else "") if x)
            bits += [f"— {esc(where)}"] if where else []
            bits += ["*(not supported by the passage)*"] if cited[n].supported is False else []
            lines.append(" ".join(bits))
        return "\n".join(lines).rstrip() + "\n"
