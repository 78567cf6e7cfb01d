"""The export parsers on the shapes Zotero, Better BibTeX, EndNote and Mendeley write (invented records)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.corpus.library.bibtex import file_paths, read_bibtex, split_authors
from assistant.corpus.library.entries import LibraryEntry, normalise_title
from assistant.corpus.library.export import pdf_attachment, read_export
from assistant.corpus.library.ris import read_ris
from assistant.errors import CorpusError


def test_bibtex_latex_names_ids_and_zotero_file_field(tmp_path: Path) -> None:
    bib = tmp_path / "lib.bib"
    bib.write_text(r"""@comment{jabref-meta: databaseType:biblatex;}
@article{caf2019,
  title = {{IL-1$\beta$} and {TNF}-$\alpha$ in {\'e}tude \& rats},
  author = {Caf{\'e}, Jos{\'e} A. and van der Berg, Jan H. and {Invented Pain Consortium} and Ada Lovelace},
  date = {2019-03-02}, journaltitle = {J Invented Res},
  doi = {https://doi.org/10.9999/CAF.2019}, eprint = {81000001}, eprinttype = {pubmed},
  note = {PMCID: PMC8100001},
  file = {Full Text PDF:files/3/Café - 2019.pdf:application/pdf;Snapshot:files/3/page.html:text/html}
}
@article{broken, title = {no closing brace}
""", encoding="utf-8")
    entries, problems = read_bibtex(bib)
    assert len(entries) == 1 and len(problems) == 1 and "complete BibTeX entry" in problems[0].reason
    e = entries[0]
    assert e.title == "IL-1β and TNF-α in étude & rats"
    assert e.authors == ["Café JA", "van der Berg JH", "Invented Pain Consortium", "Lovelace A"]
    assert (e.year, e.journal, e.doi, e.pmid, e.pmcid) == (2019, "J Invented Res", "10.9999/CAF.2019", "81000001",
                                                           "PMC8100001")
    assert e.attachments == ["files/3/Café - 2019.pdf", "files/3/page.html"]
    assert e.identity == "doi:10.9999/caf.2019"


def test_bibtex_helpers() -> None:
    assert split_authors("A, B and {C and D} and E") == ["A, B", "{C and D}", "E"]
    assert file_paths(r"C\:\\papers\\x.pdf") == [r"C:\papers\x.pdf"]
    assert file_paths("/home/u/Zotero/storage/AB12/x.pdf") == ["/home/u/Zotero/storage/AB12/x.pdf"]


def test_ris_endnote_and_mendeley_shapes(tmp_path: Path) -> None:
    pdf = tmp_path / "elsewhere" / "m.pdf"
    pdf.parent.mkdir()
    pdf.write_bytes(b"%PDF-1.4 placeholder")
    ris = tmp_path / "endnote.txt"
    ris.write_bytes(("\ufeffTY  - JOUR\r\nT1  - EndNote-style invented record\r\nA1  - Smith, J.\r\n"
                     "Y1  - 2018/05/01\r\nJO  - Invented J\r\nN1  - PMID: 82000001\r\n"
                     "L1  - internal-pdf://1234/smith.pdf\r\nER  - \r\n\r\n"
                     f"TY  - JOUR\r\nTI  - Mendeley invented record\r\nAU  - Doe, Jane\r\nPY  - 2017\r\n"
                     f"L1  - file://{pdf}\r\nC2  - PMC8200002\r\nER  - \r\n").encode())
    entries, problems = read_ris(ris)
    assert not problems
    endnote, mendeley = entries
    assert (endnote.title, endnote.authors, endnote.year, endnote.journal, endnote.pmid) == (
        "EndNote-style invented record", ["Smith J"], 2018, "Invented J", "82000001")
    assert pdf_attachment(endnote)[0] is None and "missing" in (pdf_attachment(endnote)[1] or "")
    assert mendeley.pmcid == "PMC8200002" and pdf_attachment(mendeley) == (pdf, None)
    assert read_export(ris).entries[0].title == "EndNote-style invented record"  # .txt sniffed as RIS


def test_same_reference_in_ris_and_bibtex_is_one_entry(tmp_path: Path) -> None:
    (tmp_path / "a.ris").write_text("TY  - JOUR\nTI  - The Same Paper\nPY  - 2020\nDO  - 10.9999/same\nER  - \n")
    (tmp_path / "a.bib").write_text("@article{x, title = {The same paper.}, year = {2020}, doi = {10.9999/SAME},\n"
                                    "  abstract = {An invented abstract.}}\n")
    export = read_export(tmp_path)
    assert len(export.entries) == 1 and export.folded == 1
    assert export.entries[0].abstract == "An invented abstract."


def test_identity_falls_back_from_doi_to_pmid_to_title_and_year() -> None:
    base = Path(".")
    assert LibraryEntry("T", "o", base, doi="10.1/X").identity == "doi:10.1/x"
    assert LibraryEntry("T", "o", base, pmid="123").identity == "pmid:123"
    assert LibraryEntry("The IL-1β  Study.", "o", base, year=2020).identity == "title:the il 1β study|2020"
    assert normalise_title("Étude, café!") == normalise_title("etude cafe")


def test_not_an_export_says_what_to_give(tmp_path: Path) -> None:
    odd = tmp_path / "notes.txt"
    odd.write_text("just some notes\n")
    with pytest.raises(CorpusError, match="neither RIS"):
        read_export(odd)
    ris = tmp_path / "x.ris"
    ris.write_text("TY  - JOUR\nTI  - X\nER  - \n")
    with pytest.raises(CorpusError, match="not an encoding"):
        read_export(ris, encoding="klingon-8")


def test_abstract_only_entry_is_written_as_jats_the_readers_read(tmp_path: Path) -> None:
    from assistant.corpus.library.jatswrite import abstract_jats
    from assistant.corpus.readers import read_document

    entry = LibraryEntry("Invented title with a control\x0b character", "o", tmp_path, authors=[
        "van der Berg JH", "Invented Pain Consortium"], year=2021, journal="J Invented Res", doi="10.9999/j.1",
        pmid="83000001", pmcid="PMC8300001", abstract="First invented paragraph.\n\nSecond one, with IL-1β.")
    path = tmp_path / "x.abstract.xml"
    path.write_bytes(abstract_jats(entry))
    assert abstract_jats(entry) == path.read_bytes()  # deterministic: an unchanged entry is an unchanged file
    doc = read_document(path)
    assert (doc.kind, doc.title, doc.year, doc.journal) == ("abstract", "Invented title with a control character",
                                                            2021, "J Invented Res")
    assert doc.authors == ["van der Berg JH", "Invented Pain Consortium"]
    assert (doc.doi, doc.pmid, doc.pmcid) == ("10.9999/j.1", "83000001", "PMC8300001")
    assert "Second one, with IL-1β." in doc.sections[0].text
