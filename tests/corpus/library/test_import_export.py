"""Issue 32: `corpus import EXPORT` on a Zotero-style export folder (RIS or BibTeX beside files/, 20 invented
entries with PDFs made here): the summary's counts, search inside the PDFs with page numbers, cited answers with
the imported DOIs, and a second import that changes nothing."""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from assistant.api import Assistant
from assistant.cli import _register, app
from assistant.corpus.cache import read_sidecar
from assistant.corpus.library.importer import import_export
from assistant.corpus.readers import read_document

from .exports import rows, write_export

_register()


def _tree(root):
    return {p: p.stat().st_mtime_ns for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fmt", ["ris", "bibtex"])
def test_export_folder_imports_counts_search_answers_and_reimport(lib_settings, tmp_path, embedder, fmt):
    export = write_export(tmp_path / "export", fmt)
    report = import_export(lib_settings, export, progress=False)

    assert (report.imported, len(report.with_pdf), len(report.abstract_only)) == (17, 16, 1)
    assert (len(report.merged), len(report.problems), len(report.updated)) == (1, 2, 0)
    reasons = {p.origin.split(", ")[1].split()[-1][-2:].lstrip("y"): p.reason for p in report.problems}
    assert "missing" in reasons["18"] and "Export Files" in reasons["18"]
    assert "not valid utf-8" in reasons["20"] and "--encoding" in reasons["20"]
    assert report.merged == ["Cortical stimulation and spinal interleukin signalling"]
    assert report.summary() == ("imported 17 (with PDF 16, abstract only 1), updated 0, unchanged 0, merged 1, "
                                "skipped 2")

    # the stored files: PDFs with the export's bibliography in their sidecar, the abstract as JATS
    pdfs = sorted(lib_settings.user_dir.glob("*.pdf"))
    assert len(pdfs) == 16
    side = read_sidecar(lib_settings.user_dir / "doi_10.9999_import.003.pdf")
    assert side["title"] == "Invented dorsal horn response to magnetic stimulation in model 3"
    assert side["authors"] == ["Testperson AB", "ProbeD C"] and side["pmid"] == "80000003"
    abstract = read_document(lib_settings.user_dir / "doi_10.9999_import.017.abstract.xml")
    assert abstract.kind == "abstract" and abstract.doi == "10.9999/import.017" and abstract.pmid == "80000017"
    assert abstract.authors == ["Testperson AB", "ProbeR C"] and abstract.year == 2017
    assert "invented model 17" in abstract.sections[0].text

    a = Assistant(lib_settings)
    built = a.build_index(progress=False)
    assert built.documents == 4 + 17 and not built.skipped, built.skipped
    # search finds the text printed on page 2 of an imported PDF, with its page and the export's DOI
    hit = a.search("kradomine level after active stimulation", k=3)[0]
    assert "kradomine" in hit.chunk.text and hit.chunk.page == 2
    assert hit.doc.doi == "10.9999/import.005" and hit.doc.kind == "pdf"
    assert hit.doc.title == "Invented cortical response to magnetic stimulation in model 5"
    # an answer cites the imported paper by its DOI
    ans = a.ask("What happened to the thalamic level of vostrelin after active stimulation?")
    assert ans.answerable, ans.flags
    cited = [c for c in ans.citations if "vostrelin" in c.passage.chunk.text]
    assert cited and cited[0].passage.doc.doi == "10.9999/import.004" and cited[0].passage.chunk.page == 2

    # the same export again: nothing written, nothing re-indexed
    before = _tree(lib_settings.corpus_dir)
    again = import_export(lib_settings, export, progress=False)
    assert (again.imported, len(again.unchanged), len(again.merged), len(again.problems)) == (0, 17, 1, 2)
    assert not again.written and _tree(lib_settings.corpus_dir) == before
    rebuilt = a.build_index(progress=False)
    assert rebuilt.embedded_documents == 0 and rebuilt.reused_documents == 21


def test_reimport_of_an_updated_export_changes_only_the_changed_entries(lib_settings, tmp_path):
    entries = rows()[:6]
    export = write_export(tmp_path / "export", "ris", entries)
    first = import_export(lib_settings, export, progress=False)
    assert first.imported == 6
    before = _tree(lib_settings.user_dir)

    entries[1].title = "Invented astrocytic response, corrected title"  # metadata only: the sidecar changes
    entries[2].pages[1][0] = "Results: a new printing of the PDF with other words."  # the PDF changes
    entries[3].doi = None  # identity falls back to PMID: still the same entry
    write_export(tmp_path / "export", "ris", entries)
    second = import_export(lib_settings, export, progress=False)

    assert sorted(second.updated) == sorted([entries[1].title, entries[2].title, entries[3].title])
    assert len(second.unchanged) == 3 and second.imported == 0 and not second.problems
    after = _tree(lib_settings.user_dir)
    changed = {p.name for p in after if before.get(p) != after[p]} | {p.name for p in before if p not in after}
    # metadata only (2, 4): the sidecar is rewritten, the PDF left alone; a new PDF (3): both
    assert changed == {"doi_10.9999_import.002.pdf.json", "doi_10.9999_import.003.pdf",
                       "doi_10.9999_import.003.pdf.json", "doi_10.9999_import.004.pdf.json"}
    assert read_sidecar(lib_settings.user_dir / "doi_10.9999_import.004.pdf")["paper_id"] == "pmid:80000004"
    assert sorted(p.name for p in second.bibliography_only) == ["doi_10.9999_import.002.pdf",
                                                                "doi_10.9999_import.004.pdf"]
    assert read_sidecar(lib_settings.user_dir / "doi_10.9999_import.002.pdf")["title"] == entries[1].title
    assert len(list(lib_settings.user_dir.glob("*.pdf"))) == 6


def test_unusable_rows_are_listed_with_reasons_and_the_rest_imported(lib_settings, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "files").mkdir()
    (folder / "files" / "fake.pdf").write_bytes(b"this is not a PDF at all")
    (folder / "lib.ris").write_text(
        "TY  - JOUR\nAU  - Nobody, A\nPY  - 2020\nAB  - An abstract without a title.\nER  - \n\n"
        "TY  - JOUR\nTI  - A paper whose attachment is not a PDF\nPY  - 2021\nL1  - files/fake.pdf\nER  - \n\n"
        "TY  - JOUR\nTI  - A paper with neither PDF nor abstract\nPY  - 2022\nER  - \n\n"
        "TY  - JOUR\nTI  - Invented Ã©tude, decoded twice\nPY  - 2022\nAB  - Text.\nER  - \n\n"
        "TY  - JOUR\nTI  - A usable invented paper\nPY  - 2023\nAB  - Invented rats, invented pulses.\nER  - \n",
        encoding="utf-8")
    report = import_export(lib_settings, folder, progress=False)
    assert report.imported == 1 and report.abstract_only == ["A usable invented paper"]
    why = {p.title: p.reason for p in report.problems}
    assert "no title" in why[""]
    assert "not a PDF" in why["A paper whose attachment is not a PDF"]
    assert "no PDF and no abstract" in why["A paper with neither PDF nor abstract"]
    assert "broken encoding" in why["Invented Ã©tude, decoded twice"]
    assert sorted(p.name for p in lib_settings.user_dir.iterdir()) == [
        "a_usable_invented_paper-2023.abstract.xml", "a_usable_invented_paper-2023.abstract.xml.json"]


def test_latin1_export_imports_with_encoding_option(lib_settings, tmp_path):
    entries = rows()[16:17] + rows()[19:20]  # abstract-only, and the Latin-1 one (with a PDF)
    export = write_export(tmp_path / "export", "ris", entries)
    (export / "library.ris").write_bytes((export / "library.ris").read_bytes().replace(b"\xe2\x80", b""))
    assert import_export(lib_settings, export, progress=False).problems
    report = import_export(lib_settings, export, encoding="latin-1", progress=False)
    assert len(report.with_pdf) == 1 and not report.problems
    assert read_sidecar(lib_settings.user_dir / "doi_10.9999_import.020.pdf")["title"].startswith("Étude inventée")


def test_cli_import_prints_skipped_rows_and_summary(lib_settings, tmp_path, monkeypatch):
    export = write_export(tmp_path / "export", "ris")
    monkeypatch.setenv("RTMS_CORPUS_DIR", str(lib_settings.corpus_dir))
    r = CliRunner().invoke(app, ["corpus", "import", str(export), "--quiet"])
    assert r.exit_code == 0, r.output
    assert "imported 17 (with PDF 16, abstract only 1), updated 0, unchanged 0, merged 1, skipped 2" in r.stdout
    assert "skipped: library.ris, record 18" in r.output and "Run `rtms-assistant index build`" in r.stdout
    r = CliRunner().invoke(app, ["corpus", "import", str(export), "--json", "--quiet"])
    assert json.loads(r.stdout)["unchanged"] == 17
    r = CliRunner().invoke(app, ["corpus", "import", str(tmp_path / "nowhere")])
    assert r.exit_code == 2 and "no such file or folder" in r.output
    empty = tmp_path / "empty"
    empty.mkdir()
    r = CliRunner().invoke(app, ["corpus", "import", str(empty)])
    assert r.exit_code == 2 and "no .ris or .bib file" in r.output
    assert os.listdir(empty) == []
