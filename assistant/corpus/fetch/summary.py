"""The table printed at the end of `corpus sync`."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from assistant.corpus.fetch.sync import SyncReport

ADD_HINT = "Have a PDF of a missing paper? Add it with: rtms-assistant corpus add PAPER.pdf [--doi DOI]"


def link(doi: str | None, pmid: str | None) -> str:
    if doi:
        return f"https://doi.org/{doi}"
    if pmid:
        return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
    return "(no identifier)"


def render_summary(report: SyncReport, verbose: bool = False) -> Group:
    parts: list[object] = []
    if report.merge is not None:
        m = report.merge
        parts.append(Text(f"Reference list from {report.ref_source}: {len(m.confirmed)} matched, "
                          f"{len(m.added)} added, {len(m.dropped)} candidates dropped"
                          + (f" ({', '.join(m.dropped)})" if m.dropped else "")
                          + (f"; not in the list: {', '.join(m.unmatched)}" if m.unmatched else "")))
    counts = Table(title="corpus sync", show_header=True)
    counts.add_column("status")
    counts.add_column("papers", justify="right")
    for have in ("full text", "abstract only", "missing"):
        counts.add_row(have, str(report.count(have)))
    parts.append(counts)
    if report.missing:
        miss = Table(title="missing (no full text, no abstract)")
        for col in ("ref", "paper", "link"):
            miss.add_column(col)
        for o in report.missing:
            miss.add_row(str(o.ref_no or "-"), o.label, link(o.doi, o.pmid))
        parts.append(miss)
    for p in report.problems:
        parts.append(Text(f"problem: {p}", style="yellow"))
    if verbose:
        parts += [Text(f"note: {n}", style="dim") for n in report.notes]
    elif report.notes:
        parts.append(Text(f"{len(report.notes)} note(s) about unavailable texts/identifiers (--verbose shows them)."))
    parts.append(Text(f"{report.written} file(s) written, {report.requests} request(s) made."))
    parts.append(Text(ADD_HINT, style="bold"))
    return Group(*parts)  # type: ignore[arg-type]
