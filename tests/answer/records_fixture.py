"""Hand-made study records (invented wording) for the planner, aggregation and focus tests."""

from __future__ import annotations

from assistant.studies.contracts import Claim, Fact, Finding, Size, Source, Stimulation, StudyRecord


def src(chunk: str, quote: str) -> Source:
    return Source(chunk_id=chunk, start=0, end=len(quote), quote=quote)


def fact(chunk: str, value: str, quote: str | None = None) -> Fact:
    return Fact(value=value, source=src(chunk, quote or value))


def finding(chunk: str, marker: str, tissue: str | None, direction: str, quote: str) -> Finding:
    return Finding(marker=marker, tissue=tissue, direction=direction, source=src(chunk, quote))  # type: ignore[arg-type]


def records() -> dict[str, StudyRecord]:
    """Three primary studies (two rat, one human trial) and a review whose claim links to one of them."""
    toledo = StudyRecord(
        paper_id="doi:toledo", doc_ids=("doi:toledo#n",), label="Toledo et al. 2021",
        kind=fact("t1", "animal study", "rats"), species=(fact("t1", "rat", "rats"),),
        strain=(fact("t1", "Wistar", "Wistar rats"),), sex=(fact("t1", "male", "male"),),
        condition=(fact("t1", "CCI", "chronic constriction injury"),),
        sizes=(Size(n=32, role="animals", source=src("t1", "32 rats")),),
        control=(fact("t1", "sham", "sham stimulation"),),
        stimulation=Stimulation(frequency=(fact("t2", "10 Hz", "10 Hz"),),
                                target=(fact("t2", "motor cortex", "motor cortex"),)),
        findings=(finding("t3", "TNF-α", "prefrontal cortex", "up", "TNF-α rose in the prefrontal cortex"),
                  finding("t3", "IL-1β", "prefrontal cortex", "down", "IL-1β fell in the prefrontal cortex")))
    kim = StudyRecord(
        paper_id="doi:kim", doc_ids=("doi:kim#n",), label="Kim et al. 2013",
        kind=fact("k1", "animal study", "rats"), species=(fact("k1", "rat", "rats"),),
        condition=(fact("k1", "spinal cord injury", "spinal cord injury"),),
        stimulation=Stimulation(frequency=(fact("k1", "25 Hz", "25 Hz"),)),
        findings=(finding("k2", "Iba1", "spinal cord", "down", "Iba1 fell in the spinal cord"),
                  finding("k2", "GFAP", "spinal cord", "down", "GFAP fell in the spinal cord"),
                  finding("k2", "IL-1β", "spinal cord", "down", "IL-1β fell")))
    attal = StudyRecord(
        paper_id="doi:attal", doc_ids=("doi:attal#n",), label="Attal et al. 2021",
        kind=fact("a1", "randomised trial", "randomised"), design=(fact("a1", "randomised", "randomised"),),
        species=(fact("a1", "human", "patients"),),
        sizes=(Size(n=149, role="treated", source=src("a2", "149 were treated")),),
        control=(fact("a1", "sham", "sham-controlled"),), blinding=(fact("a1", "double-blind", "double-blind"),),
        stimulation=Stimulation(frequency=(fact("a1", "10 Hz", "10 Hz"),)),
        findings=(finding("a3", "pain", None, "down", "pain intensity fell"),))
    review = StudyRecord(
        paper_id="doi:bai", doc_ids=("doi:bai#n",), label="Bai et al. 2023", kind=fact("b1", "review", "review"),
        claims=(Claim(text="rTMS lowers Iba1 and GFAP in the spinal cord", studies=("doi:kim",),
                      source=src("b1", "lowers Iba1 and GFAP")),))
    return {r.paper_id: r for r in (toledo, kim, attal, review)}
