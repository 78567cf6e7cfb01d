"""Readers: JATS, PubMed, PDF, Markdown/text, XML safety, dispatcher and corpus listing.

Fixtures live in tests/fixtures/readers (invented content in real formats); PDFs are generated here with
reportlab and pypdf.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import time
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen import canvas

from assistant.corpus.readers import (
    ReaderError,
    iter_corpus_files,
    read_document,
    read_documents,
    read_jats,
    read_markdown,
    read_pdf,
    read_pubmed,
    read_pubmed_all,
)
from assistant.corpus.readers.common import clean_doi, find_doi, surname_initials
from assistant.corpus.readers.jats import license_label

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "readers"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_reader_error(exc: pytest.ExceptionInfo[ReaderError], path: Path, *words: str) -> None:
    msg = str(exc.value)
    assert msg.startswith(str(path)), msg
    assert " — " in msg, msg  # '<file>: <reason> — <what to do>'
    for w in words:
        assert w.lower() in msg.lower(), msg


# --- JATS ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jats_doc():
    return read_jats(FIX / "jats_full.xml")


def test_jats_metadata(jats_doc):
    d = jats_doc
    assert d.title == "Invented rTMS study of IL-1β in a test model"
    assert d.authors == ["Lindqvist AM", "Zhou WL", "Test Stimulation Consortium"]  # editor left out
    assert d.journal == "Test J Neuromod"
    assert d.extra["journal_title"] == "Test Journal of Neuromodulation"
    assert d.year == 2021  # print date preferred over the December 2020 e-pub
    assert (d.doi, d.pmid, d.pmcid) == ("10.5555/TESTJ.2021.0042", "99000001", "PMC9900001")
    assert d.license == "CC BY 4.0"
    assert d.kind == "full-text"
    assert d.paper_id == "doi:10.5555/testj.2021.0042"
    assert d.doc_id == "doi:10.5555/testj.2021.0042#full-text"
    assert d.source == str(FIX / "jats_full.xml")
    assert d.sha256 == _sha(FIX / "jats_full.xml")
    assert d.extra["keywords"] == ["rTMS", "test marker"]


def test_jats_sections_in_order_with_heading_paths(jats_doc):
    assert [s.title for s in jats_doc.sections] == [
        "Abstract > Background",
        "Abstract > Results",
        "Introduction",
        "Results",
        "Results > Spinal cord",
        "Figure 1",
        "Results > Brain",
        "Table 1",
        "Discussion",
    ]
    assert all(s.page is None for s in jats_doc.sections)


def test_jats_text_whitespace_and_exclusions(jats_doc):
    by = {s.title: s for s in jats_doc.sections}
    assert by["Abstract > Background"].text == (
        "We made up this background so the reader has a structured abstract to split.")
    intro = by["Introduction"].text
    assert intro.split("\n\n") == [
        "Repetitive stimulation was tested before 1, and again later 2–4.",
        "A second paragraph with extra spaces and a Figure 1 pointer.",
    ]
    # the figure inside the paragraph is lifted out; the paragraph's own text stays whole
    assert by["Results > Spinal cord"].text == (
        "In the invented spinal cord, TNF-α fell after sessions 3, 4. The paragraph continues after the figure.")
    assert by["Results > Brain"].text == "Invented cortical data: IL-1β was unchanged."
    assert by["Discussion"].text.split("\n\n") == [
        "Unlike 2 and 4, nothing else is cited here.", "First invented point.", "Second invented point."]
    everything = " ".join(s.text for s in jats_doc.sections)
    for excluded in ("Graphical abstract", "Reviewer text", "None, invented", "Made-up marker levels. The"):
        assert excluded not in everything


def test_jats_figure_and_table_captions(jats_doc):
    by = {s.title: s for s in jats_doc.sections}
    assert by["Figure 1"].text == "Made-up marker levels.\n\nBars show invented values; see also 2."
    table = by["Table 1"].text.split("\n\n")
    assert table[0] == "Invented stimulation parameters."
    assert "Active | 10 Hz" in table
    assert table[-1] == "Values are made up."


def test_jats_cite_ids(jats_doc):
    by = {s.title: s for s in jats_doc.sections}
    assert by["Introduction"].cite_ids == ["B1", "B2", "B3", "B4"]  # '2–4' range expanded through B3
    assert by["Results > Spinal cord"].cite_ids == ["B3", "B4"]  # rid="B3 B4"
    assert by["Figure 1"].cite_ids == ["B2"]
    assert by["Results"].cite_ids == []
    assert by["Discussion"].cite_ids == ["B2", "B4"]  # "2 and 4" is not a range, although '2–4' elsewhere is


def test_jats_references(jats_doc):
    refs = jats_doc.references
    assert [r["id"] for r in refs] == ["B1", "B2", "B3", "B4"]
    b1 = refs[0]
    assert b1["label"] == "1"
    assert b1["title"] == "An invented earlier study"
    assert b1["authors"] == ["Okafor C", "Brandt HP"]
    assert (b1["year"], b1["doi"], b1["pmid"], b1["journal"]) == (2015, "10.5555/tpr.2015.010", "99000101",
                                                                   "Test Pain Rep")
    assert b1["text"] == "Okafor C, Brandt HP. An invented earlier study. Test Pain Rep 2015."
    assert refs[1]["authors"] == ["Rossi M"]
    assert refs[1]["doi"] == "10.5555/tb.2017.7"  # found in the unstructured citation text
    assert refs[1]["year"] == 2017
    assert refs[2]["title"] == "A Made-up Handbook" and refs[2]["journal"] is None
    assert refs[3]["authors"] == ["Invented Working Group"]


def test_jats_pmc_efetch_wrapper_without_body():
    path = FIX / "jats_pmc_abstract_only.xml"  # <!DOCTYPE> naming an external DTD must not be fetched
    d = read_document(path)
    assert d.kind == "abstract"
    assert d.title == "A made-up review without a body"
    assert d.authors == ["Haddad NF"]
    assert (d.doi, d.pmid, d.pmcid) == (None, "99000002", "PMC9900002")
    assert d.year == 2022
    assert d.journal == "Invent Rev"
    assert d.license == "CC BY-NC-ND 4.0"
    assert d.doc_id == "pmid:99000002#abstract"
    assert [(s.title, s.text) for s in d.sections] == [
        ("Abstract", "This invented abstract is all the text there is.\n\nIt has two paragraphs.")]
    assert d.references == []


def test_jats_article_set_without_article(tmp_path):
    p = tmp_path / "missing.xml"
    p.write_text("<pmc-articleset><error>The article is not available.</error></pmc-articleset>")
    with pytest.raises(ReaderError) as exc:
        read_document(p)
    _assert_reader_error(exc, p, "without an article", "not available")


def test_jats_without_any_text(tmp_path):
    p = tmp_path / "bare.xml"
    p.write_text("<article><front><article-meta><article-id pub-id-type='pmid'>1</article-id>"
                 "<title-group><article-title>T</article-title></title-group></article-meta></front></article>")
    with pytest.raises(ReaderError) as exc:
        read_document(p)
    _assert_reader_error(exc, p, "no abstract or body text")


def test_jats_abstract_labels_in_capitals_become_title_case(tmp_path):
    p = tmp_path / "caps.xml"
    p.write_text("<article><front><article-meta><article-id pub-id-type='pmid'>2</article-id>"
                 "<abstract><sec><title>MATERIALS AND METHODS</title><p>Invented rats were weighed.</p></sec>"
                 "<sec><title>RESULTS:</title><p>An invented marker fell.</p></sec>"
                 "<sec><title>Take-home message</title><p>Made up, mixed case kept.</p></sec></abstract>"
                 "</article-meta></front><body><sec><title>METHODS</title><p>Body headings stay.</p></sec></body>"
                 "</article>")
    d = read_document(p)
    assert [(s.title, s.text) for s in d.sections] == [
        ("Abstract > Materials and Methods", "Invented rats were weighed."),
        ("Abstract > Results", "An invented marker fell."),
        ("Abstract > Take-home message", "Made up, mixed case kept."),
        ("METHODS", "Body headings stay."),
    ]


def test_label_title():
    from assistant.corpus.readers.common import label_title

    assert label_title("RESULTS") == "Results"
    assert label_title("PATIENTS AND METHODS") == "Patients and Methods"
    assert label_title("AIMS/HYPOTHESIS") == "Aims/Hypothesis"
    assert label_title("Main outcome measures") == "Main outcome measures"
    assert label_title("UNLABELLED") == label_title("") == label_title(None) == ""


def test_license_label():
    assert license_label("http://creativecommons.org/licenses/by-nc/4.0/") == "CC BY-NC 4.0"
    assert license_label("https://creativecommons.org/publicdomain/zero/1.0/") == "CC0 1.0"
    assert license_label(None, "distributed under the terms of the CC-BY licence") == "CC BY"
    assert license_label("https://publisher.example/terms") == "https://publisher.example/terms"
    assert license_label(None, "all rights reserved") is None


# --- PubMed -------------------------------------------------------------------------------------------


def test_pubmed_first_record():
    path = FIX / "pubmed_set.xml"
    d = read_pubmed(path)
    assert d.kind == "abstract"
    assert d.title == "Made-up trial of low-frequency rTMS in a test cohort"
    assert d.authors == ["Mbeki T", "García-López JL", "Invented rTMS Trial Group"]
    assert d.journal == "J Invent Stimul"
    assert d.year == 2019  # from MedlineDate '2019 Nov-Dec'
    assert d.doi == "10.5555/jis.2019.0003"
    assert d.pmid == "99000003"
    assert d.pmcid == "PMC9900003"  # the record's own id, not one from its reference list
    assert d.license is None
    assert d.doc_id == "doi:10.5555/jis.2019.0003#abstract"
    assert d.sha256 == _sha(path)
    assert d.extra["publication_types"] == ["Randomized Controlled Trial"]
    # a structured abstract: one section per label, the label in title case as the section, not in the text
    assert [(s.title, s.text) for s in d.sections] == [
        ("Background", "An invented background sentence."),
        ("Methods", "Forty made-up participants received 1 Hz sessions."),
        ("Results", "Invented pain scores fell by 2.1 points (IL-1β unchanged)."),
    ]
    assert not any("Copyright" in s.text for s in d.sections)


def _pubmed_xml(abstract: str) -> str:
    return ("<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>12345679</PMID><Article>"
            f"<Abstract>{abstract}</Abstract></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>")


def test_pubmed_structured_abstract_labels(tmp_path):
    p = tmp_path / "labels.xml"
    p.write_text(_pubmed_xml(
        '<AbstractText Label="MATERIALS AND METHODS" NlmCategory="METHODS">Made-up mice were counted.</AbstractText>'
        '<AbstractText Label="RESULTS">First invented finding.</AbstractText>'
        '<AbstractText Label="RESULTS">Second invented finding.</AbstractText>'
        '<AbstractText Label="CONCLUSIONS/SIGNIFICANCE">An invented conclusion.</AbstractText>'
        '<AbstractText Label="Key points">Already in mixed case.</AbstractText>'
        '<AbstractText Label="UNLABELLED" NlmCategory="UNASSIGNED">A part without a real label.</AbstractText>'
        '<AbstractText Label="RESULTS">   </AbstractText>'))
    d = read_document(p)
    assert [(s.title, s.text) for s in d.sections] == [
        ("Materials and Methods", "Made-up mice were counted."),
        ("Results", "First invented finding.\n\nSecond invented finding."),  # consecutive parts merge
        ("Conclusions/Significance", "An invented conclusion."),
        ("Key points", "Already in mixed case."),
        ("Abstract", "A part without a real label."),
    ]
    assert not any(s.text.isupper() or ":" in s.text for s in d.sections)


def test_pubmed_sections_reach_the_chunks(tmp_path):
    from assistant.index.chunking import Chunker

    d = read_pubmed(FIX / "pubmed_set.xml")
    chunks = Chunker(lambda texts: [len(t.split()) for t in texts], max_tokens=50, overlap_tokens=5).chunk_document(d)
    assert [(c.section, c.text) for c in chunks] == [(s.title, s.text) for s in d.sections]
    assert not any(c.text.startswith(("BACKGROUND", "METHODS", "RESULTS")) for c in chunks)


def test_pubmed_all_skips_records_without_abstract(caplog):
    path = FIX / "pubmed_set.xml"
    with caplog.at_level(logging.WARNING):
        docs = read_pubmed_all(path)
    assert [d.pmid for d in docs] == ["99000003", "99000005"]
    assert "99000004" in caplog.text and "pubmed_set.xml" in caplog.text
    second = docs[1]
    assert (second.journal, second.year, second.title) == ("Invented Annals", 2021, "Second invented abstract")
    assert second.paper_id == "pmid:99000005"
    assert second.sections[0].text == "A single unlabelled invented paragraph."
    assert [d.pmid for d in read_documents(path)] == ["99000003", "99000005"]
    assert read_document(path).pmid == "99000003"


def test_pubmed_record_without_abstract_is_an_error(tmp_path):
    p = tmp_path / "noabs.xml"
    p.write_text("<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>12345678</PMID><Article>"
                 "<ArticleTitle>Only a title.</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
                 "</PubmedArticleSet>")
    with pytest.raises(ReaderError) as exc:
        read_document(p)
    _assert_reader_error(exc, p, "no abstract", "12345678")


# --- PDF ----------------------------------------------------------------------------------------------


def _pdf_bytes(pages: list[list[str]], *, title: str | None = None, author: str | None = None) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    if title:
        c.setTitle(title)
    if author:
        c.setAuthor(author)
    for lines in pages:
        for i, line in enumerate(lines):
            c.drawString(72, 790 - 14 * i, line)
        c.showPage()
    c.save()
    return buf.getvalue()


PAGE1 = ["Invented rTMS PDF title for testing", "A. Writer, B. Scribe", "doi: 10.5555/PDF.2022.0099.",
         "Published: 4 May 2022", "Markers of neuroinflam-", "mation were measured in invented rats."]
PAGE2 = ["Second page: IL-1b fell after 10 Hz sessions.", "", "More invented text."]


@pytest.fixture()
def pdf_path(tmp_path) -> Path:
    p = tmp_path / "paper.pdf"
    p.write_bytes(_pdf_bytes([PAGE1, PAGE2], author="Jane Q Doe; Ken Roe"))
    return p


def test_pdf_pages_and_metadata(pdf_path):
    d = read_pdf(pdf_path)
    assert d.kind == "pdf"
    assert [(s.title, s.page) for s in d.sections] == [("Page 1", 1), ("Page 2", 2)]
    assert d.doi == "10.5555/PDF.2022.0099"  # trailing full stop dropped, case kept
    assert d.paper_id == "doi:10.5555/pdf.2022.0099" and d.doc_id == "doi:10.5555/pdf.2022.0099#pdf"
    assert d.title == "Invented rTMS PDF title for testing"  # reportlab's 'untitled' info title is ignored
    assert d.authors == ["Doe JQ", "Roe K"]
    assert d.year == 2022
    assert d.sha256 == _sha(pdf_path)
    assert d.extra["page_count"] == 2
    assert "neuroinflammation were measured" in d.sections[0].text  # line-end hyphenation undone
    assert "\n" not in d.sections[0].text  # whitespace runs collapsed
    assert d.sections[1].text.startswith("Second page: IL-1b fell after 10 Hz sessions.")


def test_pdf_info_title_wins_and_no_doi_falls_back_to_hash(tmp_path):
    p = tmp_path / "x.pdf"
    p.write_bytes(_pdf_bytes([["some header line here", "body text without identifiers"]],
                             title="An invented info-dictionary title"))
    d = read_pdf(p)
    assert d.title == "An invented info-dictionary title"
    assert d.doi is None
    assert d.paper_id == f"sha256:{_sha(p)[:16]}"
    assert d.doc_id == f"sha256:{_sha(p)[:16]}#pdf"


def test_pdf_printed_page_labels(tmp_path, pdf_path):
    w = PdfWriter(clone_from=PdfReader(pdf_path))
    w.set_page_label(0, 1, style="/D", start=245)
    p = tmp_path / "labelled.pdf"
    with p.open("wb") as fh:
        w.write(fh)
    d = read_pdf(p)
    assert [(s.title, s.page) for s in d.sections] == [("Page 1 (p. 245)", 1), ("Page 2 (p. 246)", 2)]
    assert d.extra["page_labels"] == ["245", "246"]


def _encrypt(src: Path, dst: Path, user: str) -> Path:
    w = PdfWriter(clone_from=PdfReader(src))
    w.encrypt(user_password=user, owner_password="owner-secret", algorithm="AES-256")
    with dst.open("wb") as fh:
        w.write(fh)
    return dst


def test_pdf_encrypted_with_user_password(tmp_path, pdf_path):
    p = _encrypt(pdf_path, tmp_path / "locked.pdf", user="s3cret")
    with pytest.raises(ReaderError) as exc:
        read_document(p)
    _assert_reader_error(exc, p, "locked.pdf", "encrypted", "password")


def test_pdf_encrypted_with_empty_user_password_opens(tmp_path, pdf_path):
    d = read_pdf(_encrypt(pdf_path, tmp_path / "owner_only.pdf", user=""))
    assert d.doi == "10.5555/PDF.2022.0099"
    assert len(d.sections) == 2


def test_pdf_corrupt(tmp_path, pdf_path):
    p = tmp_path / "broken.pdf"
    p.write_bytes(pdf_path.read_bytes()[:400])
    with pytest.raises(ReaderError) as exc:
        read_document(p)
    _assert_reader_error(exc, p, "broken.pdf", "corrupt")


def test_pdf_not_a_pdf(tmp_path):
    p = tmp_path / "renamed.pdf"
    p.write_text("this is a text file with a .pdf name\n")
    with pytest.raises(ReaderError) as exc:
        read_document(p)
    _assert_reader_error(exc, p, "corrupt or not a pdf")


def test_pdf_blank_page_has_no_text(tmp_path):
    p = tmp_path / "blank.pdf"
    p.write_bytes(_pdf_bytes([[]]))
    with pytest.raises(ReaderError) as exc:
        read_document(p)
    _assert_reader_error(exc, p, "blank.pdf", "no extractable text", "ocr")


def test_pdf_zero_bytes(tmp_path):
    p = tmp_path / "zero.pdf"
    p.write_bytes(b"")
    with pytest.raises(ReaderError) as exc:
        read_document(p)
    _assert_reader_error(exc, p, "empty file")


# --- Markdown / text ----------------------------------------------------------------------------------


def test_evidence_note():
    path = FIX / "evidence_note.md"
    d = read_document(path)
    assert d.kind == "evidence-note"
    assert d.paper_id == "doi:10.5555/in.2020.0001"
    assert d.doc_id == "doi:10.5555/in.2020.0001#evidence-note/testauthor2020-invented-dorsal"
    assert d.doi == "10.5555/IN.2020.0001"  # URL prefix removed
    assert d.pmid == "99000006"  # unquoted YAML int becomes a string
    assert d.pmcid is None
    assert (d.title, d.year, d.journal, d.license, d.role) == (
        "An invented rat study of rTMS and dorsal root ganglion markers", 2020, "Invent Neurosci", "CC BY 4.0",
        "reference")
    assert d.authors == ["Testauthor AB", "Other CD"]
    assert d.extra["markers"] == [{"marker": "nNOS", "tissue": "dorsal root ganglion", "change": "down"}]
    assert d.extra["stimulation"]["frequency"] == "10 Hz"
    assert d.extra["reviewed_on"] == "2024-05-01"  # YAML date made JSON-safe
    assert d.sha256 == _sha(path)
    assert [s.title for s in d.sections] == ["dorsal root ganglion", "Methods", "Results"]
    lead, methods, results = (s.text for s in d.sections)
    assert lead == "This invented note opens with a short lead paragraph before any heading."
    assert methods.split("\n\n") == ["Made-up rats received 10 Hz stimulation for ten days.",
                                     "- first invented item", "- second invented item"]
    assert "## not a heading inside a fence" in results  # fenced code is not split


def test_evidence_note_without_topic_and_plain_markdown(tmp_path):
    note = tmp_path / "n.md"
    note.write_text("---\nid: x1\npmid: '123'\n---\nLead text.\n", encoding="utf-8")
    d = read_markdown(note)
    assert (d.kind, d.doc_id) == ("evidence-note", "pmid:123#evidence-note/x1")
    assert [(s.title, s.text) for s in d.sections] == [("Evidence note", "Lead text.")]

    md = tmp_path / "doc.md"
    md.write_text("# Doc title\n\nlead\n\n## A\n\ntext a\n\n### A1\n\ntext a1\n\n## B\n\ntext b\n", encoding="utf-8")
    d = read_document(md)
    assert (d.kind, d.title, d.extra) == ("text", "Doc title", {})
    assert [(s.title, s.text) for s in d.sections] == [("", "lead"), ("A", "text a"), ("A > A1", "text a1"),
                                                       ("B", "text b")]
    assert d.paper_id == f"sha256:{_sha(md)[:16]}" and d.doc_id.endswith("#text")


def test_plain_text_file():
    d = read_document(FIX / "plain.txt")
    assert d.kind == "text"
    assert d.title == "Invented plain text title line"
    assert d.sections[0].text.split("\n\n")[-1] == "Second paragraph."


def test_bom_and_crlf(tmp_path):
    p = tmp_path / "win.md"
    p.write_bytes("\ufeff---\r\ntitle: Windows note\r\n---\r\nLine one\r\nline two\r\n".encode())
    d = read_document(p)
    assert d.title == "Windows note"
    assert d.sections[0].text == "Line one line two"


def test_non_utf8_text(tmp_path):
    p = tmp_path / "latin1.txt"
    p.write_bytes("Caf\u00e9 au lait, invented.".encode("latin-1"))
    with pytest.raises(ReaderError) as exc:
        read_document(p)
    _assert_reader_error(exc, p, "latin1.txt", "not UTF-8", "0xe9")


def test_bad_yaml_front_matter():
    path = FIX / "bad_front_matter.md"
    with pytest.raises(ReaderError) as exc:
        read_document(path)
    _assert_reader_error(exc, path, "invalid YAML front matter")


@pytest.mark.parametrize(("content", "reason"), [
    ("---\ntitle: never closed\nBody\n", "never closed"),
    ("---\n- a\n- b\n---\nBody\n", "not a mapping"),
    ("---\nid: empty-note\n---\n\n   \n", "no text"),
    ("---\nauthors: 7\n---\nBody\n", "'authors' must be a list"),
    ("", "no text"),
])
def test_markdown_bad_inputs(tmp_path, content, reason):
    p = tmp_path / "bad.md"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(ReaderError) as exc:
        read_document(p)
    _assert_reader_error(exc, p, reason)


# --- XML safety and malformed XML ---------------------------------------------------------------------


def test_billion_laughs_is_refused_without_expansion():
    path = FIX / "billion_laughs.xml"
    start = time.perf_counter()
    with pytest.raises(ReaderError) as exc:
        read_document(path)
    assert time.perf_counter() - start < 2.0
    _assert_reader_error(exc, path, "billion_laughs.xml", "unsafe XML")
    with pytest.raises(ReaderError):
        read_jats(path)  # the reader itself is safe, not only the dispatcher


def test_xxe_is_refused_and_nothing_is_read():
    path = FIX / "xxe.xml"
    with pytest.raises(ReaderError) as exc:
        read_document(path)
    _assert_reader_error(exc, path, "xxe.xml", "unsafe XML")
    assert "root:" not in str(exc.value)
    with pytest.raises(ReaderError):
        read_pubmed(path)


def test_external_parameter_entity_is_refused(tmp_path):
    p = tmp_path / "param.xml"
    p.write_text('<?xml version="1.0"?>\n<!DOCTYPE article [<!ENTITY % ext SYSTEM "file:///etc/passwd"> %ext;]>\n'
                 "<article/>")
    with pytest.raises(ReaderError) as exc:
        read_document(p)
    _assert_reader_error(exc, p, "param.xml", "unsafe XML")


def test_external_dtd_is_never_loaded(tmp_path):
    # an entity that would only be defined by the (unreachable) external DTD stays undefined
    p = tmp_path / "ext.xml"
    p.write_text('<?xml version="1.0"?>\n<!DOCTYPE article SYSTEM "file:///etc/passwd">\n'
                 "<article><front><article-meta><abstract><p>&secret;</p></abstract></article-meta></front>"
                 "</article>")
    with pytest.raises(ReaderError) as exc:
        read_document(p)
    _assert_reader_error(exc, p, "ext.xml")
    assert "root:" not in str(exc.value)


@pytest.mark.parametrize(("name", "reason"), [("malformed.xml", "malformed XML"),
                                              ("unknown_root.xml", "root element <rss>")])
def test_bad_xml_fixtures(name, reason):
    path = FIX / name
    with pytest.raises(ReaderError) as exc:
        read_document(path)
    _assert_reader_error(exc, path, name, reason)


def test_empty_xml(tmp_path):
    p = tmp_path / "empty.xml"
    p.write_text("  \n")
    with pytest.raises(ReaderError) as exc:
        read_document(p)
    _assert_reader_error(exc, p, "empty XML")


# --- dispatcher and corpus listing --------------------------------------------------------------------


def test_dispatch_by_extension_and_sniffing(tmp_path, pdf_path):
    assert read_document(FIX / "jats_full.xml").kind == "full-text"
    assert read_document(FIX / "pubmed_set.xml").pmid == "99000003"
    nxml = tmp_path / "paper.nxml"
    nxml.write_bytes((FIX / "jats_pmc_abstract_only.xml").read_bytes())
    assert read_document(nxml).pmcid == "PMC9900002"
    upper = tmp_path / "PAPER.PDF"
    upper.write_bytes(pdf_path.read_bytes())
    assert read_document(upper).kind == "pdf"
    no_ext = tmp_path / "download"
    no_ext.write_bytes(pdf_path.read_bytes())
    assert read_document(no_ext).kind == "pdf"  # sniffed from '%PDF-'


def test_dispatch_unknown_type_and_missing_file(tmp_path):
    p = tmp_path / "notes.docx"
    p.write_bytes(b"PK\x03\x04 not really a docx")
    with pytest.raises(ReaderError) as exc:
        read_document(p)
    _assert_reader_error(exc, p, "notes.docx", "unsupported file type '.docx'", "convert")
    missing = tmp_path / "gone.pdf"
    with pytest.raises(ReaderError) as exc:
        read_document(missing)
    _assert_reader_error(exc, missing, "no such file")


def test_iter_corpus_files(tmp_path):
    files = ["README.md", "manifest.yaml", "digest/README.md", "digest/b-note.md", "digest/a-note.md",
             "cache/epmc/PMC1.xml", "cache/epmc/PMC1.xml.json", "cache/pubmed/1.json", "cache/partial.xml.tmp",
             "user/README.md", "user/paper.pdf", "user/notes.docx", ".hidden.md", ".git/config", "digest/.draft.md",
             "user/.cache/x.pdf"]
    for f in files:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_text("x")
    got = [p.relative_to(tmp_path).as_posix() for p in iter_corpus_files(tmp_path)]
    assert got == ["cache/epmc/PMC1.xml", "digest/a-note.md", "digest/b-note.md", "user/README.md",
                   "user/notes.docx", "user/paper.pdf"]
    # pointing at the digest folder itself skips its README too
    assert [p.name for p in iter_corpus_files(tmp_path / "digest")] == ["a-note.md", "b-note.md"]
    assert iter_corpus_files(tmp_path / "nope") == []


# --- provenance sidecars -----------------------------------------------------------------------------


def _sidecar(path: Path, **meta) -> None:
    meta.setdefault("sha256", _sha(path))
    (path.parent / (path.name + ".json")).write_text(json.dumps(meta), encoding="utf-8")


def test_sidecar_completes_a_user_pdf(pdf_path):
    _sidecar(pdf_path, kind="pdf", doi="10.5555/side.0001", pmid="99000100", title="Title looked up by DOI",
             authors=["Side AB"], year=2019, journal="Side J",
             license="https://creativecommons.org/licenses/by/4.0/", metadata_source="crossref",
             url="https://example.org/side.pdf", retrieved_at="2024-01-02T03:04:05+00:00")
    d = read_document(pdf_path)
    assert (d.doi, d.pmid, d.title, d.authors, d.year, d.journal, d.license) == (
        "10.5555/side.0001", "99000100", "Title looked up by DOI", ["Side AB"], 2019, "Side J", "CC BY 4.0")
    assert d.paper_id == "doi:10.5555/side.0001" and d.doc_id == "doi:10.5555/side.0001#pdf"
    assert d.retrieved_at == "2024-01-02T03:04:05+00:00"
    assert d.extra["provenance"]["url"] == "https://example.org/side.pdf"
    assert [s.page for s in d.sections] == [1, 2]


def test_sidecar_copied_from_pdf_info_keeps_the_better_title(pdf_path):
    _sidecar(pdf_path, kind="pdf", doi="10.5555/user.given", title="paper", metadata_source="pdf")
    d = read_document(pdf_path)
    assert d.doi == "10.5555/user.given"  # the user's --doi beats the page-1 guess
    assert d.title == "Invented rTMS PDF title for testing"


def test_stale_sidecar_is_ignored(pdf_path, caplog):
    _sidecar(pdf_path, doi="10.5555/other", sha256="0" * 64)
    with caplog.at_level(logging.WARNING):
        d = read_document(pdf_path)
    assert d.doi == "10.5555/PDF.2022.0099"
    assert "provenance" not in d.extra
    assert "sidecar" in caplog.text


def test_sidecar_only_fills_gaps_of_xml(tmp_path):
    p = tmp_path / "abstract.xml"
    p.write_bytes((FIX / "jats_pmc_abstract_only.xml").read_bytes())
    _sidecar(p, doi="10.5555/from.sidecar", pmid="11111111", license="CC BY 4.0", title="Other title")
    d = read_document(p)
    assert d.doi == "10.5555/from.sidecar"  # missing in the XML: filled
    assert (d.pmid, d.license, d.title) == ("99000002", "CC BY-NC-ND 4.0", "A made-up review without a body")
    assert d.doc_id == "doi:10.5555/from.sidecar#abstract"


def test_sidecar_not_applied_to_multi_record_files(tmp_path):
    p = tmp_path / "set.xml"
    p.write_bytes((FIX / "pubmed_set.xml").read_bytes())
    _sidecar(p, doi="10.5555/one.only")
    assert [d.doi for d in read_documents(p)] == ["10.5555/jis.2019.0003", None]


# --- helpers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "initials", "expected"), [
    ("Yu-Wei", None, "Bai YW"), ("J. R.", None, "Bai JR"), ("Anything", "Q.R.", "Bai QR"), ("", None, "Bai")])
def test_surname_initials(given, initials, expected):
    assert surname_initials("Bai", given, initials) == expected


def test_doi_helpers():
    assert find_doi("see doi:10.1016/S0140-6736(20)30000-1).") == "10.1016/S0140-6736(20)30000-1"
    assert find_doi("(https://doi.org/10.3389/fimmu.2023.1172293)") == "10.3389/fimmu.2023.1172293"
    assert find_doi("no identifier here") is None
    assert clean_doi(" https://doi.org/10.5555/ABC ") == "10.5555/ABC"
    assert clean_doi("") is None


# --- issue 12: bounded nesting, every record of a PubMed set ---------------------------------------------

@pytest.mark.parametrize(("opening", "closing", "depth"), [
    ("<sec><title>t</title><p>Invented text.</p>", "</sec>", 5000), ("<italic>", "</italic>", 100_000)])
def test_xml_nested_absurdly_deep_is_a_reader_error_not_a_recursion_error(tmp_path, opening, closing, depth):
    path = tmp_path / "deep.xml"
    path.write_text("<article><front><article-meta><title-group><article-title>Deep</article-title></title-group>"
                    "</article-meta></front><body><sec><p>" + opening * depth + "x" + closing * depth
                    + "</p></sec></body></article>", encoding="utf-8")
    with pytest.raises(ReaderError, match="nested more than"):
        read_documents(path)


def test_xml_nested_within_the_bound_is_read(tmp_path):
    path = tmp_path / "nested.xml"
    depth = 150
    path.write_text("<article><front><article-meta><title-group><article-title>Nested</article-title></title-group>"
                    "</article-meta></front><body>" + "<sec><title>Level</title><p>Invented text here.</p>" * depth
                    + "</sec>" * depth + "</body></article>", encoding="utf-8")
    assert len(read_documents(path)[0].sections) == depth


def test_pubmed_set_of_five_records_gives_five_documents(tmp_path):
    from tests.reliability.hostile_fixtures import pubmed_set

    path = tmp_path / "export.xml"
    path.write_bytes(pubmed_set(5))
    docs = read_documents(path)
    assert [d.pmid for d in docs] == [f"9000000{i}" for i in range(1, 6)]
    assert len({d.doc_id for d in docs}) == 5 and all(d.sections for d in docs)
    assert read_document(path).pmid == "90000001"  # the single-document call still gives the first
