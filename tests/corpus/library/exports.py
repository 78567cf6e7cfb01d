"""Invented reference-manager exports for the import tests: a Zotero "Export Files" folder (RIS or BibTeX beside
files/), PDFs made with reportlab, and the awkward rows a real library has."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

TOPICS = ["microglial", "astrocytic", "dorsal horn", "thalamic", "cortical", "hippocampal", "spinal", "sciatic",
          "trigeminal", "cerebellar", "insular", "cingulate", "striatal", "brainstem", "ganglion", "meningeal",
          "vagal", "pontine", "medullary", "retinal"]
# words made up for these tests, so a search hit can only come from the PDF they are printed in
MARKERS = ["zorbilin", "quaxotide", "plenmarin", "vostrelin", "kradomine", "fellaxin", "trumosine", "gablorin",
           "nistrafen", "wopalide", "brexumin", "yindolase", "cavortin", "sprenkase", "holdaxin", "mirbelone",
           "taftarin", "lumprexin", "dravolin", "snorkelase"]


@dataclass
class Row:
    n: int
    title: str
    authors: list[tuple[str, str]]  # (family, given)
    year: int
    journal: str = "J Invented Neuromod"
    doi: str | None = None
    pmid: str | None = None
    abstract: str | None = None
    pdf: str | None = None  # path relative to the export folder
    make_pdf: bool = True
    latin1: bool = False
    pages: list[list[str]] = field(default_factory=list)


def make_pdf(path: Path, title: str, pages: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), pagesize=A4, invariant=True)  # same input, same bytes (no timestamps)
    c.setTitle(title)
    for lines in pages:
        y = 800
        for line in lines:
            c.drawString(72, y, line)
            y -= 18
        c.showPage()
    c.save()
    return path


def rows(n: int = 20) -> list[Row]:
    """``n`` invented entries; with n=20: 16 with a PDF, #17 abstract only, #18 names a missing PDF, #19 is the
    small corpus's alpha2020 note (same DOI), #20 is written in Latin-1 inside a UTF-8 file."""
    out = []
    for i in range(1, n + 1):
        topic, marker = TOPICS[(i - 1) % len(TOPICS)], MARKERS[(i - 1) % len(MARKERS)] + ("" if i <= 20 else str(i))
        row = Row(n=i, title=f"Invented {topic} response to magnetic stimulation in model {i}",
                  authors=[("Testperson", "Alma B."), (f"Probe{chr(64 + (i % 26) + 1)}", "Carl")], year=2000 + i % 20,
                  doi=f"10.9999/import.{i:03d}", pmid=str(80000000 + i),
                  abstract=f"Rats in invented model {i} received pretend {topic} stimulation. Nothing here is real.",
                  pdf=f"files/{i}/Testperson - {2000 + i % 20} - model {i}.pdf",
                  pages=[[f"Invented {topic} response to magnetic stimulation in model {i}",
                          "Testperson AB, Probe C. An invented paper for import tests.",
                          f"doi: 10.9999/import.{i:03d}",
                          "Rats received pretend pulses over an imaginary cortex for two weeks."],
                         [f"Results: the {topic} level of {marker} fell by a third after active stimulation.",
                          f"Sham animals showed no change in {marker} in any tissue we pretended to sample.",
                          "All numbers on this page are invented for a software test."]])
        out.append(row)
    if n >= 20:
        out[16].pdf, out[16].make_pdf = None, False  # 17: no attachment -> abstract only
        out[17].make_pdf = False  # 18: attachment named, file missing
        out[18].doi, out[18].title = "10.9999/alpha.2020", "Cortical stimulation and spinal interleukin signalling"
        out[19].title, out[19].latin1 = "Étude inventée de la stimulation chez le rat", True
    return out


def _ris_record(r: Row) -> str:
    lines = ["TY  - JOUR", f"TI  - {r.title}"] + [f"AU  - {f}, {g}" for f, g in r.authors]
    lines += [f"PY  - {r.year}///", f"T2  - {r.journal}"]
    lines += [f"DO  - {r.doi}"] if r.doi else []
    lines += [f"AN  - {r.pmid}"] if r.pmid else []
    lines += [f"AB  - {r.abstract}"] if r.abstract else []
    lines += [f"L1  - {r.pdf}"] if r.pdf else []
    return "\n".join([*lines, "ER  - ", "", ""])


def _bib_record(r: Row) -> str:
    fields = [("title", r.title), ("author", " and ".join(f"{f}, {g}" for f, g in r.authors)),
              ("year", str(r.year)), ("journal", r.journal), ("doi", r.doi), ("pmid", r.pmid),
              ("abstract", r.abstract),
              ("file", f"Full Text PDF:{r.pdf}:application/pdf" if r.pdf else None)]
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields if v)
    return f"@article{{entry{r.n},\n{body}\n}}\n\n"


def write_export(folder: Path, fmt: str = "ris", entries: list[Row] | None = None) -> Path:
    """The folder Zotero's "Export Collection… → Export Files" writes: library.ris|bib beside files/."""
    entries = rows() if entries is None else entries
    folder.mkdir(parents=True, exist_ok=True)
    blob = b""
    for r in entries:
        text = _ris_record(r) if fmt == "ris" else _bib_record(r)
        blob += text.encode("latin-1" if r.latin1 else "utf-8")
        if r.pdf and r.make_pdf:
            make_pdf(folder / r.pdf, f"Invented model {r.n}", r.pages)
    (folder / ("library.ris" if fmt == "ris" else "library.bib")).write_bytes(blob)
    return folder
