from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from assistant.corpus.cache import STATE_FILE, read_sidecar
from assistant.corpus.contracts import sha256_bytes
from assistant.corpus.fetch.http import NetworkError, PoliteClient
from assistant.corpus.fetch.summary import render_summary
from assistant.corpus.fetch.sync import run_sync
from assistant.corpus.manifest import load_manifest
from assistant.errors import ConfigError

from .fakeserver import Reply
from .helpers import FakeClock, efetch_handler, fixture_bytes, make_pdf, write_manifest


def sync(settings, **kw):
    fc = FakeClock()
    client = PoliteClient(settings, sleep=fc.sleep, clock=fc.clock)
    return run_sync(settings, client=client, progress=False, **kw)


def cached(settings, name: str) -> list[Path]:
    return sorted(settings.cache_dir.rglob(name))


def no_tmp_files(root: Path) -> bool:
    return not [p for p in root.rglob("*") if p.name.endswith(".tmp")]


def test_happy_path(settings, apis) -> None:
    write_manifest(settings.manifest_path)
    report = sync(settings)

    m = load_manifest(settings.manifest_path)
    by_key = {e.key: e for e in m.entries}
    # reference list: numbers from citedOrder, candidate confirmed, uncited candidate dropped, rest added
    assert report.ref_source == "europepmc"
    assert [e.ref_no for e in m.entries] == [None, 1, 2, 3, 4, 5]
    assert m.entries[0].key == "testwood2023"
    assert by_key["quill2019"].status == "confirmed" and by_key["quill2019"].ref_no == 3
    assert "ghost2015" not in by_key and report.merge.dropped == ["ghost2015"]
    assert sorted(report.merge.added) == ["birch2018", "cole2021", "gale2017"]
    assert all(e.status == "confirmed" for e in m.entries)
    # identifiers: converted by the ID converter, DOI filled from Crossref's list in the same order
    assert by_key["testwood2023"].pmcid == "PMC9000001"
    assert by_key["ashdown2020"].pmid == "90000011" and by_key["ashdown2020"].pmcid == "PMC9000011"
    assert by_key["birch2018"].doi == "10.9999/ref.two"
    assert by_key["gale2017"].doi == "10.9999/ref.five" and by_key["gale2017"].pmid is None
    assert by_key["ashdown2020"].license == "https://creativecommons.org/licenses/by/4.0/"
    # texts
    have = {o.key: o.have for o in report.outcomes}
    assert have == {"testwood2023": "full text", "ashdown2020": "full text", "birch2018": "abstract only",
                    "quill2019": "abstract only", "cole2021": "missing", "gale2017": "missing"}
    fulltexts = cached(settings, "fulltext.xml")
    assert len(fulltexts) == 2
    side = read_sidecar(fulltexts[0])
    assert side["sha256"] == sha256_bytes(fulltexts[0].read_bytes())
    assert side["url"].endswith("/fullTextXML") and side["retrieved_at"] and side["license"]
    abstracts = cached(settings, "abstract.xml")
    assert len(abstracts) == 2
    assert all(b"<PubmedArticleSet>" in p.read_bytes() and p.read_bytes().count(b"<PubmedArticle>") == 1
               for p in abstracts)
    # one efetch for all abstracts, NCBI identity sent
    assert apis.hits["/eutils/efetch.fcgi"] == 1
    efetch_query = next(q for p, q in apis.log if p == "/eutils/efetch.fcgi")
    assert efetch_query["email"] == "tester@example.org" and efetch_query["tool"] == "rtms-assistant"
    assert set(efetch_query["id"].split(",")) == {"90000012", "90000013", "90000014"}
    # summary: counts, DOI links of the missing, the `corpus add` hint
    console = Console(width=200, record=True)
    console.print(render_summary(report))
    text = console.export_text()
    assert "https://doi.org/10.9999/ref.five" in text and "https://pubmed.ncbi.nlm.nih.gov/90000014/" in text
    assert "rtms-assistant corpus add PAPER.pdf" in text
    assert report.count("full text") == 2 and report.count("missing") == 2
    assert no_tmp_files(settings.corpus_dir)


def test_pmc_record_without_body_falls_back_to_abstract(settings, apis) -> None:
    write_manifest(settings.manifest_path)
    report = sync(settings)
    birch = next(o for o in report.outcomes if o.key == "birch2018")
    assert birch.kinds == ["abstract"]
    assert apis.hits["/europepmc/PMC9000012/fullTextXML"] == 1
    assert any("birch2018" in n and "no body" in n for n in report.notes)
    assert not list((settings.cache_dir).glob("*PMC9000012*/fulltext.xml"))


def test_malformed_xml_is_reported_not_cached_and_run_goes_on(settings, apis) -> None:
    write_manifest(settings.manifest_path)
    apis.routes["/europepmc/PMC9000011/fullTextXML"] = Reply(200, fixture_bytes("jats_malformed.xml"))
    report = sync(settings)
    assert any("ashdown2020" in p and "malformed XML" in p for p in report.problems)
    have = {o.key: o.have for o in report.outcomes}
    assert have["ashdown2020"] == "abstract only"   # fell back to its abstract
    assert have["testwood2023"] == "full text"      # the rest of the run went on
    assert len(cached(settings, "fulltext.xml")) == 1
    # next run retries the full text (it was not remembered as unavailable) and keeps the good one
    apis.routes["/europepmc/PMC9000011/fullTextXML"] = Reply(200, fixture_bytes("jats_fulltext.xml"))
    sync(settings)
    assert apis.hits["/europepmc/PMC9000011/fullTextXML"] == 2
    assert apis.hits["/europepmc/PMC9000001/fullTextXML"] == 1
    assert len(cached(settings, "fulltext.xml")) == 2


def test_malformed_pubmed_xml(settings, apis) -> None:
    write_manifest(settings.manifest_path)
    apis.routes["/eutils/efetch.fcgi"] = Reply(200, "<PubmedArticleSet><PubmedArticle>")
    report = sync(settings)
    assert any("PubMed abstracts" in p and "malformed XML" in p for p in report.problems)
    assert cached(settings, "abstract.xml") == []
    assert report.count("full text") == 2


def test_unknown_doi(settings, apis) -> None:
    write_manifest(settings.manifest_path)
    report = sync(settings)
    assert any("gale2017" in n and "Identifier not found in PMC" in n for n in report.notes)
    assert any("gale2017" in n and "no record with DOI 10.9999/ref.five" in n for n in report.notes)
    gale = next(o for o in report.outcomes if o.key == "gale2017")
    assert gale.have == "missing" and gale.doi == "10.9999/ref.five"
    idconv_doi = [q for p, q in apis.log if p == "/idconv/" and q.get("idtype") == "doi"]
    assert [q["ids"] for q in idconv_doi] == ["10.9999/ref.five"]


def test_second_run_fetches_nothing(settings, apis) -> None:
    write_manifest(settings.manifest_path)
    sync(settings)
    first = dict(apis.hits)
    report = sync(settings)
    assert dict(apis.hits) == first
    assert report.written == 0 and report.requests == 0
    assert report.count("full text") == 2 and report.count("abstract only") == 2


def test_resume_after_interrupted_run(settings, apis) -> None:
    write_manifest(settings.manifest_path)
    # PubMed goes silent: the run stops with a network error after the full texts
    apis.routes["/eutils/efetch.fcgi"] = Reply(200, "", delay=0.6)
    slow = settings.model_copy(update={"http_timeout_s": 0.2, "http_retries": 1})
    with pytest.raises(NetworkError) as info:
        sync(slow)
    assert "corpus sync" in str(info.value) and "127.0.0.1" in str(info.value)
    assert len(cached(settings, "fulltext.xml")) == 2 and cached(settings, "abstract.xml") == []
    assert no_tmp_files(settings.corpus_dir)
    assert len(load_manifest(settings.manifest_path).entries) == 6  # the merged list was kept
    before = dict(apis.hits)

    apis.routes["/eutils/efetch.fcgi"] = efetch_handler
    report = sync(settings)
    new = {p: n - before.get(p, 0) for p, n in apis.hits.items() if n != before.get(p, 0)}
    assert new == {"/eutils/efetch.fcgi": 1}  # only what was missing
    assert report.count("abstract only") == 2
    assert no_tmp_files(settings.corpus_dir)
    state = json.loads((settings.cache_dir / STATE_FILE).read_text())
    assert "90000014" in state["abstract"]


def test_crossref_fallback_when_europepmc_has_no_list(settings, apis) -> None:
    write_manifest(settings.manifest_path)
    del apis.routes["/europepmc/MED/90000001/references"]
    report = sync(settings)
    m = load_manifest(settings.manifest_path)
    assert report.ref_source == "crossref"
    assert [e.ref_no for e in m.entries if e.role == "reference"] == [1, 2, 3, 4, 5]
    assert {e.doi for e in m.entries} >= {"10.9999/ref.two", "10.9999/ref.five"}


def test_refresh_asks_again(settings, apis) -> None:
    write_manifest(settings.manifest_path)
    sync(settings)
    sync(settings, refresh=True)
    assert apis.hits["/europepmc/MED/90000001/references"] == 2
    assert apis.hits["/europepmc/PMC9000012/fullTextXML"] == 2   # the negative was forgotten
    assert apis.hits["/europepmc/PMC9000011/fullTextXML"] == 1   # files already cached are kept


def test_open_access_pdf(settings, apis) -> None:
    write_manifest(settings.manifest_path)
    body = fixture_bytes("unpaywall_oa.json").decode().replace("{base}", apis.base)
    apis.routes["/unpaywall/10.9999/ref.two"] = Reply(200, body, {"Content-Type": "application/json"})
    pdf = make_pdf(settings.corpus_dir.parent / "src.pdf")
    apis.routes["/files/ref-two.pdf"] = Reply(200, pdf.read_bytes(), {"Content-Type": "application/pdf"})
    report = sync(settings, fetch_pdfs_too=True)
    pdfs = cached(settings, "oa.pdf")
    assert len(pdfs) == 1
    side = read_sidecar(pdfs[0])
    assert side["license"] == "cc-by-nc" and side["url"].endswith("/files/ref-two.pdf")
    assert side["host_type"] == "repository"
    assert {o.key: o.have for o in report.outcomes}["birch2018"] == "full text"
    # papers Unpaywall does not know are remembered and not asked again
    sync(settings, fetch_pdfs_too=True)
    assert apis.hits["/unpaywall/10.9999/ref.two"] == 1
    assert apis.hits["/unpaywall/10.9999/ref.five"] == 1


def test_html_instead_of_pdf_is_not_saved(settings, apis) -> None:
    write_manifest(settings.manifest_path)
    body = fixture_bytes("unpaywall_oa.json").decode().replace("{base}", apis.base)
    apis.routes["/unpaywall/10.9999/ref.two"] = Reply(200, body, {"Content-Type": "application/json"})
    apis.routes["/files/ref-two.pdf"] = Reply(200, "<html>please log in</html>", {"Content-Type": "text/html"})
    report = sync(settings, fetch_pdfs_too=True)
    assert cached(settings, "oa.pdf") == []
    assert any("birch2018" in p and "did not return a PDF" in p for p in report.problems)


def test_needs_contact_email(settings, apis) -> None:
    write_manifest(settings.manifest_path)
    with pytest.raises(ConfigError, match="RTMS_CONTACT_EMAIL"):
        sync(settings.model_copy(update={"contact_email": ""}))
    assert sum(apis.hits.values()) == 0


def test_cached_files_are_readable_by_the_corpus_readers(settings, apis) -> None:
    readers = pytest.importorskip("assistant.corpus.readers")
    if not hasattr(readers, "iter_corpus_files"):
        pytest.skip("corpus readers not available")
    write_manifest(settings.manifest_path)
    report = sync(settings)
    entries = {e.key: e for e in load_manifest(settings.manifest_path).entries}
    docs = [readers.read_document(p) for p in readers.iter_corpus_files(settings.corpus_dir)]
    got = sorted((d.paper_id, d.kind) for d in docs)
    want = sorted((entries[o.key].paper_id, k) for o in report.outcomes for k in o.kinds)
    assert got == want and len(got) == 4
    assert all(d.retrieved_at and d.text_length > 0 for d in docs)
