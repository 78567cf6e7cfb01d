"""Markdown export: questions, answers with renumbered markers, one bibliography."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from webfakes import YES_SENTENCE_1, YES_SENTENCE_2, answer, evidence_of, passage, refusal, yes_no_answer

from assistant.web.export import conversation_markdown, reference_line, write_export
from assistant.web.session import Turn

NOW = datetime(2024, 5, 6, 7, 8, tzinfo=UTC)


def test_markers_are_renumbered_across_turns_and_bibliography_is_shared():
    p1, p2, p3 = passage(1), passage(2, doi="10.9999/b", title="Paper B"), passage(3, doi="10.9999/c",
                                                                                      title="Paper C")
    a1 = answer("q1", text="X [2]. Y [1].", passages=[p1, p2], supported={1: True, 2: True})
    # second answer: its [1] is p3 (new), its [2] is p2 (already numbered 1 in the export)
    a2 = answer("q2", text="Z [1]. W [2].", passages=[p3, p2], supported={1: True, 2: True})
    md = conversation_markdown([Turn(question="q1", answer=a1), Turn(question="q2", answer=a2)], now=NOW)
    assert "X [1]. Y [2]." in md
    assert "Z [3]. W [1]." in md
    refs = md.split("## References", 1)[1]
    lines = [ln for ln in refs.splitlines() if ln[:1].isdigit()]
    assert len(lines) == 3
    assert lines[0].startswith("1. Doe et al. 2021. Paper B.")
    assert lines[2].startswith("3. Doe et al. 2021. Paper C.")
    assert "2024-05-06 07:08 UTC" in md


def test_markers_pointing_nowhere_are_dropped():
    md = conversation_markdown([Turn(question="q", answer=answer(text="A [1]. B [7]."))], now=NOW)
    assert "A [1]. B ." in md and "[7]" not in md


def test_reference_line_has_ids_section_page_and_kind():
    line = reference_line(passage(1, section="Results", page=4, doi="10.9999/x", pmid="99"))
    assert line == ("Doe et al. 2021. An invented study of stimulation and glia. J Invented Neurosci. "
                    "https://doi.org/10.9999/x · PMID 99 — Results, p. 4 (Full text)")


def test_refusals_errors_and_stopped_turns_are_exported_readably():
    turns = [Turn(question="off topic?", answer=refusal()), Turn(question="boom", error="Server down: start it."),
             Turn(question="", error="Type a question first."),
             Turn(question="long", partial="Half [1] done", stopped=True)]
    md = conversation_markdown(turns, now=NOW)
    assert "## 1. off topic?\n\n*No answer:* The corpus does not contain" in md
    assert "boom" not in md and "Server down" not in md and "Type a question" not in md  # failed turns left out
    assert "## 2. long" in md
    assert "Half done" in md.replace("  ", " ") and "stopped" in md
    assert "No passages were cited." in md


def test_unsupported_sentences_and_rewritten_query_are_noted():
    from assistant.answer.contracts import SentenceCheck

    a = answer("in which tissue?", text="In the cord [1].", supported={1: False}, query="tissue of Iba1 decrease",
               sentences=[SentenceCheck(text="In the cord [1].", markers=[1], supported=False)])
    md = conversation_markdown([Turn(question="in which tissue?", answer=a)], now=NOW)
    assert "Not supported by the cited passages" in md and "searched as “tissue of Iba1 decrease”" in md


def test_write_export_writes_atomically_to_a_named_file(tmp_path):
    path = write_export("# hi\n", tmp_path / "s1", now=NOW)
    assert path.name == "rtms-conversation-20240506-070800.md" and path.read_text() == "# hi\n"
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_verdict_and_evidence_are_exported_with_bibliography_markers():
    a = yes_no_answer(verdict="mixed")
    a.citations = a.citations[:1]  # the second evidence sentence's passage is not cited by the answer
    md = conversation_markdown([Turn(question="q1", answer=answer("q1", text="X [3].", supported={3: True})),
                                Turn(question="q2", answer=a)], now=NOW)
    body = md.split("## 2. q2", 1)[1]
    assert body.index("**Verdict: Mixed evidence**") < body.index("Yes: microglial") < body.index("*Evidence")
    assert f"- “{YES_SENTENCE_1}” [2] (Doe et al. 2021, Results \\> Spinal cord, p. 4)" in body
    assert f"- “{YES_SENTENCE_2}” [3] (Smith 2019, Results)" in body
    refs = [ln for ln in md.split("## References", 1)[1].splitlines() if ln[:1].isdigit()]
    assert len(refs) == 3 and "Second invented paper" in refs[2]


def test_evidence_text_is_markdown_escaped_and_streamed_evidence_used_for_stopped_turns():
    a = yes_no_answer(extra=" <b>*x*</b>")
    md = conversation_markdown([Turn(question="q", evidence=evidence_of(a), partial="Yes", stopped=True)], now=NOW)
    assert "\\<b\\>\\*x\\*\\</b\\>" in md and "<b>" not in md.split("## References")[0]
    assert "Verdict" not in md  # no checked answer, so no verdict


def test_refusal_with_verdict_exports_the_verdict():
    r = refusal()
    r.verdict = "insufficient"
    md = conversation_markdown([Turn(question="q", answer=r)], now=NOW)
    assert "**Verdict: Insufficient evidence**" in md and "*No answer:*" in md


# --- references for reference managers (RIS, BibTeX, CSL-JSON), parsed back with independent parsers ---------

TRICKY_TITLE = "IL-1β & TNF-α {down} by 10% after rTMS_in rats: a $5 study #2 ~ of C:\\data"


def _tricky_answer():
    """Three cited papers: one with every identifier and a title full of TeX specials, one with a PMCID only
    and a group author, one cited twice (two passages of one paper are one reference)."""
    p1 = passage(1, doi="10.9999/ab_c.12", pmid="99000001", title=TRICKY_TITLE, authors=["van der Berg JH", "Li X"],
                 year=2020, journal="J Invented Neurosci & Pain")
    p1.doc.pmcid = "PMC9000001"
    p2 = passage(2, doi=None, pmid=None, title="Group-authored invented consensus", authors=["Invented Consortium"],
                 year=None, journal=None)
    p2.doc.pmcid = "PMC9000002"
    p3 = passage(3, text="Another invented passage of the first paper.", doi="10.9999/ab_c.12", pmid="99000001",
                 title=TRICKY_TITLE, authors=["van der Berg JH", "Li X"], year=2020,
                 journal="J Invented Neurosci & Pain", section="Discussion")
    p3.doc.pmcid = "PMC9000001"
    return answer("q", text="A [1]. B [2]. C [3].", passages=[p1, p2, p3], supported={1: True, 2: True, 3: True})


def test_ris_export_parses_back_with_rispy():
    import rispy

    from assistant.references import answer_references, to_ris

    entries = rispy.loads(to_ris(answer_references(_tricky_answer())))
    assert len(entries) == 2  # the paper cited through two passages is one entry
    first, second = entries
    assert first["type_of_reference"] == "JOUR" and first["title"] == TRICKY_TITLE
    assert first["authors"] == ["van der Berg, J. H.", "Li, X."]
    assert first["year"] == "2020" and first["secondary_title"] == "J Invented Neurosci & Pain"
    assert first["doi"] == "10.9999/ab_c.12" and first["accession_number"] == "99000001"
    assert first["urls"] == ["https://doi.org/10.9999/ab_c.12"] and first["id"] == "vanderberg2020"
    assert "PMC9000001" in str(first.get("custom2") or first.get("unknown_tag"))
    assert second["type_of_reference"] == "GEN" and second["authors"] == ["Invented Consortium"]
    assert second["urls"] == ["https://pmc.ncbi.nlm.nih.gov/articles/PMC9000002/"] and "year" not in second


def test_bibtex_export_parses_back_with_bibtexparser_and_decodes_to_the_same_text():
    import bibtexparser
    from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors, SplitNameParts

    from assistant.references import answer_references, to_bibtex

    text = to_bibtex(answer_references(_tricky_answer()))
    # names are split before decoding, so the braces that keep a group author whole still count
    lib = bibtexparser.parse_string(text, append_middleware=[SeparateCoAuthors(), SplitNameParts(),
                                                             LatexDecodingMiddleware()])
    assert not lib.failed_blocks and [e.key for e in lib.entries] == ["vanderberg2020", "inventedconsortiumnd"]
    first, second = lib.entries
    assert first.entry_type == "article" and second.entry_type == "misc"
    assert first["title"].replace("{", "").replace("}", "") == TRICKY_TITLE.replace("{", "").replace("}", "")
    assert "{rTMS\\_in}" in text and "{IL-1β}" in text  # capitals protected from lower-casing styles
    assert [(a.von, a.last, a.first) for a in first["author"]] == [(["van", "der"], ["Berg"], ["J.", "H."]),
                                                                   ([], ["Li"], ["X."])]  # BibTeX's von particle
    assert first["journal"] == "J Invented Neurosci & Pain" and first["year"] == "2020"
    assert first["doi"] == "10.9999/ab_c.12" and first["url"] == "https://doi.org/10.9999/ab_c.12"
    assert "ab_c" in text and "ab\\_c" not in text  # identifiers stay verbatim (doi/url packages)
    assert (first["pmid"], first["pmcid"], first["eprinttype"]) == ("99000001", "PMC9000001", "pubmed")
    assert [a.last for a in second["author"]] == [["{Invented Consortium}"]]  # one braced family name
    assert second["pmcid"] == "PMC9000002"


def test_csl_json_export_has_ids_and_structured_names():
    import json

    from assistant.references import answer_references, to_csl_json

    items = json.loads(to_csl_json(answer_references(_tricky_answer())))
    first, second = items
    assert first["type"] == "article-journal" and first["title"] == TRICKY_TITLE
    assert first["author"] == [{"family": "van der Berg", "given": "J. H."}, {"family": "Li", "given": "X."}]
    assert first["issued"] == {"date-parts": [[2020]]} and first["container-title"] == "J Invented Neurosci & Pain"
    assert (first["DOI"], first["PMID"], first["PMCID"]) == ("10.9999/ab_c.12", "99000001", "PMC9000001")
    assert second["author"] == [{"literal": "Invented Consortium"}] and second["type"] == "document"
    assert second["URL"].endswith("/PMC9000002/") and "issued" not in second


def test_refusals_have_no_references_and_keys_stay_unique():
    from assistant.references import Reference, answer_references, with_keys

    assert answer_references(refusal()) == []
    keys = [r.key for r in with_keys([Reference(authors=["Doe J"], year=2021) for _ in range(3)])]
    assert keys == ["doe2021", "doe2021a", "doe2021b"]


def test_conversation_references_are_written_per_format_for_the_download_buttons(tmp_path):
    import rispy

    from assistant.web.export import write_references

    turns = [Turn(question="q1", answer=answer("q1")), Turn(question="off", answer=refusal()),
             Turn(question="q2", answer=answer("q2", text="Again [1].", supported={1: True}))]
    path = write_references(turns, "ris", tmp_path, now=NOW)
    assert path is not None and path.name == "rtms-references-20240506-070800.ris"
    titles = [e["title"] for e in rispy.loads(path.read_text())]
    assert titles == ["An invented study of stimulation and glia", "Second invented paper"]
    assert write_references(turns, "bibtex", tmp_path, now=NOW).suffix == ".bib"
    assert write_references(turns, "csl-json", tmp_path, now=NOW).suffix == ".json"
    assert write_references([Turn(question="off", answer=refusal())], "ris", tmp_path) is None


def test_answer_renders_itself_as_markdown_in_notebooks():
    md = yes_no_answer(verdict="mixed")._repr_markdown_()
    assert md.startswith("**Verdict: mixed**\n\nYes: microglial markers fell [1]")
    refs = md.split("**References**", 1)[1].strip().splitlines()
    assert refs[0] == ("- **[1]** Doe et al. 2021. [An invented study of stimulation and glia]"
                       "(https://doi.org/10.9999/invented.0001). J Invented Neurosci. PMID 99999901. "
                       "— Results > Spinal cord, p. 4".replace(">", "\\>"))
    assert refs[1].startswith("- **[2]** Smith 2019. [Second invented paper](https://doi.org/10.9999/invented.0002)")
    assert refusal()._repr_markdown_().startswith("*No answer:* The corpus does not contain")


def test_cli_ask_format_prints_the_cited_papers(monkeypatch):
    import rispy
    from typer.testing import CliRunner

    from assistant.cli import _register, answer_cmds, app

    _register()

    class OneAnswer:
        def ask(self, question, **kw):
            return _tricky_answer()

    monkeypatch.setattr(answer_cmds, "_load", OneAnswer)
    r = CliRunner().invoke(app, ["ask", "--format", "ris", "q"])
    assert r.exit_code == 0, r.output
    assert [e["doi"] for e in rispy.loads(r.output) if "doi" in e] == ["10.9999/ab_c.12"]
    r = CliRunner().invoke(app, ["ask", "-f", "csl-json", "q"])
    assert r.exit_code == 0 and [i["id"] for i in json.loads(r.output)] == ["vanderberg2020", "inventedconsortiumnd"]


def test_cli_corpus_export_writes_the_manifest_papers(tmp_path):
    import bibtexparser
    import yaml
    from typer.testing import CliRunner

    from assistant.cli import _register, app

    _register()
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    entries = [{"key": "inv2020", "role": "review", "status": "confirmed", "authors": ["Doe J", "Roe R"],
                "title": "An invented review of glia", "journal": "J Invented Res", "year": 2020, "volume": "3",
                "pages": "10-19", "doi": "10.9999/inv.2020", "pmid": "99000010", "pmcid": "PMC9000010"},
               {"key": "ref2019", "role": "reference", "ref_no": 1, "status": "confirmed", "authors": ["Poe P"],
                "title": "An invented trial", "year": 2019, "pmid": "99000011"}]
    (corpus / "manifest.yaml").write_text(yaml.safe_dump({"review_doi": "10.9999/inv.2020", "entries": entries}))
    out = tmp_path / "refs.bib"
    r = CliRunner().invoke(app, ["corpus", "export", "--format", "bibtex", "--out", str(out), "--corpus", str(corpus)])
    assert r.exit_code == 0, r.output
    lib = bibtexparser.parse_string(out.read_text())
    review, ref = lib.entries
    assert (review.key, review["pages"], review["pmcid"], review["note"]) == (
        "inv2020", "10--19", "PMC9000010", "the review this corpus is built on")
    assert ref.key == "ref2019" and ref["url"] == "https://pubmed.ncbi.nlm.nih.gov/99000011/"
    assert ref["note"] == "reference 1 of the review"
    r = CliRunner().invoke(app, ["corpus", "export", "--format", "endnote", "--corpus", str(corpus)])
    assert r.exit_code == 2 and "ris | bibtex | csl-json" in r.output


def test_web_reference_buttons_follow_the_conversation(tmp_path):
    import bibtexparser
    from webfakes import FakeAssistant

    from assistant.settings import Settings
    from assistant.web.app import REFERENCE_FORMATS, WebApp, build_app

    web = WebApp(FakeAssistant(Settings(backend="extractive", top_k=4)), download_dir=tmp_path)
    session = web.new_session()
    assert [b.interactive for b in web.reference_exports(session)] == [False, False, False]  # nothing asked yet
    list(web.respond("Which glial markers fall?", session))
    buttons = web.reference_exports(session)
    paths = [b.value.get("path") if isinstance(b.value, dict) else b.value for b in buttons]
    assert all(b.interactive for b in buttons)
    assert [p.rsplit(".", 1)[1] for p in paths] == ["ris", "bib", "json"]
    keys = [e.key for e in bibtexparser.parse_file(paths[1]).entries]
    cited = {c.passage.doc.paper_id for t in session.turns if t.answer for c in t.answer.citations}
    assert len(keys) == len(cited) >= 1
    ids = {c.elem_id for c in build_app(FakeAssistant(Settings()), download_dir=tmp_path).blocks.values()}
    assert {f"rtms-refs-{f}" for f in REFERENCE_FORMATS} <= ids and "rtms-export" in ids
