"""Issue 32: `corpus import pubmed "QUERY"` against a fake E-utilities server on 127.0.0.1: 50 hits fetched in
pages, stored as PubMed XML in the cache, indexed; NCBI's rate limit obeyed; --pmc full texts; offline: one clear
line, a non-zero exit code, and the corpus unchanged."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.api import Assistant
from assistant.cli import _register, app
from assistant.corpus.cache import read_sidecar
from assistant.corpus.fetch.http import PoliteClient
from assistant.corpus.library.pubmed import import_pubmed
from assistant.errors import FetchError
from assistant.settings import Settings

from ..fetch.fakeserver import FakeServer, Reply
from ..fetch.helpers import JSON, XML, FakeClock, fixture_bytes

_register()
HITS = [str(70000001 + i) for i in range(50)]
NO_ABSTRACT = {HITS[7]}
PMCIDS = {HITS[0]: "PMC7000001", HITS[1]: "PMC7000002"}  # the first has an open-access body, the second not


def article(pmid: str) -> str:
    n = int(pmid) - 70000000
    abstract = "" if pmid in NO_ABSTRACT else (
        f"<Abstract><AbstractText Label=\"RESULTS\">In invented cohort {n}, pretend stimulation lowered the "
        f"made-up marker florbazine-{n} in the spinal cord of imaginary rats.</AbstractText></Abstract>")
    pmc = f'<ArticleId IdType="pmc">{PMCIDS[pmid]}</ArticleId>' if pmid in PMCIDS else ""
    return (f"<PubmedArticle><MedlineCitation Status=\"MEDLINE\"><PMID Version=\"1\">{pmid}</PMID><Article>"
            f"<Journal><Title>Journal of Invented Pain</Title><ISOAbbreviation>J Invent Pain</ISOAbbreviation>"
            f"<JournalIssue><PubDate><Year>{2010 + n % 15}</Year></PubDate></JournalIssue></Journal>"
            f"<ArticleTitle>Invented PubMed record number {n} about magnetic pulses.</ArticleTitle>{abstract}"
            f"<AuthorList><Author><LastName>Fakename</LastName><ForeName>Ida</ForeName><Initials>I</Initials>"
            f"</Author></AuthorList></Article></MedlineCitation><PubmedData><ArticleIdList>"
            f"<ArticleId IdType=\"pubmed\">{pmid}</ArticleId><ArticleId IdType=\"doi\">10.9999/pubmed.{n}</ArticleId>"
            f"{pmc}</ArticleIdList></PubmedData></PubmedArticle>")


class Eutils:
    """esearch pages through HITS (retstart/retmax); efetch returns the asked records. Each request's time on the
    client's fake clock is kept, to check the rate limit."""

    def __init__(self, server: FakeServer, clock: FakeClock) -> None:
        self.clock = clock
        self.times: list[float] = []
        server.routes.update({"/eutils/esearch.fcgi": self.esearch, "/eutils/efetch.fcgi": self.efetch})
        body = fixture_bytes("jats_fulltext.xml").replace(b"PMC9000011", b"PMC7000001").replace(
            b"90000011", HITS[0].encode()).replace(b"10.9999/ref.one", b"10.9999/pubmed.1")
        nobody = fixture_bytes("jats_no_body.xml")
        server.routes.update({"/europepmc/PMC7000001/fullTextXML": Reply(200, body, XML),
                              "/europepmc/PMC7000002/fullTextXML": Reply(200, nobody, XML)})

    def esearch(self, q: dict[str, str]) -> Reply:
        self.times.append(self.clock.now)
        start, size = int(q.get("retstart", 0)), int(q.get("retmax", 20))
        ids = HITS if q.get("term") != "nothing at all" else []
        return Reply(200, json.dumps({"esearchresult": {"count": str(len(ids)), "retstart": str(start),
                                                        "idlist": ids[start:start + size]}}), JSON)

    def efetch(self, q: dict[str, str]) -> Reply:
        self.times.append(self.clock.now)
        ids = q["id"].split(",")
        body = "<?xml version=\"1.0\"?><PubmedArticleSet>" + "".join(article(i) for i in ids) + "</PubmedArticleSet>"
        return Reply(200, body, XML)


@pytest.fixture
def eutils(server: FakeServer, fake_clock: FakeClock) -> Eutils:
    return Eutils(server, fake_clock)


@pytest.fixture
def pm_settings(settings: Settings, lib_settings: Settings) -> Settings:
    """The fetcher tests' settings (URLs of the fake server) over the small corpus, extractive backend."""
    return settings.model_copy(update={"corpus_dir": lib_settings.corpus_dir, "index_dir": lib_settings.index_dir,
                                       "backend": lib_settings.backend})


def run(settings: Settings, clock: FakeClock, query: str = "rTMS AND neuropathic pain", **kw) -> object:
    client = PoliteClient(settings, sleep=clock.sleep, clock=clock.clock)
    return import_pubmed(settings, query, client=client, progress=False, page=20, batch=20, **kw)


def test_fifty_hits_in_pages_stored_indexed_and_rate_limited(pm_settings, eutils, server, fake_clock, embedder):
    report = run(pm_settings, fake_clock, max_hits=50, since=2012)
    assert report.count == 50 and report.fetched == 49 and len(report.new) == 49
    assert report.without_abstract == [HITS[7]] and not report.fulltexts
    # paged: 3 esearch pages of 20, 3 efetch batches of 20; the query, the date limit and NCBI identity sent
    assert server.hits["/eutils/esearch.fcgi"] == 3 and server.hits["/eutils/efetch.fcgi"] == 3
    first = next(q for p, q in server.log if p == "/eutils/esearch.fcgi")
    assert first["term"] == "rTMS AND neuropathic pain" and first["mindate"] == "2012" and first["datetype"] == "pdat"
    assert first["email"] == "tester@example.org" and first["tool"] == "rtms-assistant" and "api_key" not in first
    # NCBI without a key: at most 3 requests in any second
    t = eutils.times
    assert all(t[i + 3] - t[i] >= 1.0 - 1e-9 for i in range(len(t) - 3)) and fake_clock.sleeps
    # stored in the cache as one-article PubMed XML with provenance
    files = sorted(pm_settings.cache_dir.rglob("abstract.xml"))
    assert len(files) == 49
    side = read_sidecar(pm_settings.cache_dir / "doi_10.9999_pubmed.3" / "abstract.xml")
    assert side["pmid"] == HITS[2] and side["doi"] == "10.9999/pubmed.3" and side["query"] == report.query
    assert side["kind"] == "abstract" and side["url"].endswith("/efetch.fcgi")

    a = Assistant(pm_settings)
    built = a.build_index(progress=False)
    assert built.documents == 4 + 49 and not built.skipped
    hit = a.search("florbazine-12 spinal cord", k=1)[0]
    assert hit.doc.pmid == HITS[11] and hit.doc.kind == "abstract" and "florbazine-12" in hit.chunk.text

    again = run(pm_settings, fake_clock, max_hits=50, since=2012)
    assert len(again.unchanged) == 49 and not again.new and not again.updated
    assert a.build_index(progress=False).embedded_documents == 0


def test_max_limits_the_hits_and_pmc_adds_open_access_full_texts(pm_settings, eutils, server, fake_clock):
    report = run(pm_settings, fake_clock, max_hits=5, pmc=True)
    assert report.fetched == 5 and server.hits["/eutils/efetch.fcgi"] == 1
    assert report.fulltexts == [HITS[0]]  # PMC7000002 has no <body> (not open access): its abstract only
    ft = pm_settings.cache_dir / "doi_10.9999_pubmed.1" / "fulltext.xml"
    assert ft.exists() and read_sidecar(ft)["kind"] == "full-text" and read_sidecar(ft)["license"]
    assert not (pm_settings.cache_dir / "doi_10.9999_pubmed.2" / "fulltext.xml").exists()


def test_paper_already_in_the_corpus_is_merged(pm_settings, eutils, fake_clock):
    note = pm_settings.digest_dir / "alpha2020.md"
    note.write_text(note.read_text().replace("pmid: null", f"pmid: '{HITS[3]}'"))
    report = run(pm_settings, fake_clock, max_hits=5)
    assert report.merged == [HITS[3]] and len(report.new) == 4


def test_empty_query_and_bad_arguments_say_what_to_do(pm_settings, eutils, fake_clock):
    from assistant.errors import ConfigError

    with pytest.raises(ConfigError, match="query is empty"):
        run(pm_settings, fake_clock, query="   ")
    with pytest.raises(ConfigError, match="--max 0"):
        run(pm_settings, fake_clock, max_hits=0)
    with pytest.raises(ConfigError, match="--since 1066"):
        run(pm_settings, fake_clock, since=1066)
    assert run(pm_settings, fake_clock, query="nothing at all").count == 0


@pytest.fixture
def closed_port() -> Iterator[int]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there: connection refused
    yield port


def _tree(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_offline_one_line_nonzero_exit_corpus_unchanged(lib_settings, closed_port, monkeypatch):
    before = _tree(lib_settings.corpus_dir)
    monkeypatch.setenv("RTMS_CORPUS_DIR", str(lib_settings.corpus_dir))
    monkeypatch.setenv("RTMS_EUTILS_URL", f"http://127.0.0.1:{closed_port}/eutils")
    monkeypatch.setenv("RTMS_HTTP_RETRIES", "0")
    r = CliRunner().invoke(app, ["corpus", "import", "pubmed", "rTMS neuropathic pain", "--quiet"])
    assert r.exit_code == 2
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "PubMed is not reachable" in lines[0] and "nothing was imported" in lines[0], r.output
    assert _tree(lib_settings.corpus_dir) == before

    with pytest.raises(FetchError, match="not reachable"):
        import_pubmed(lib_settings.model_copy(update={"eutils_url": f"http://127.0.0.1:{closed_port}/eutils"}),
                      "x", progress=False)


def test_cli_pubmed_import_prints_the_summary(pm_settings, eutils, monkeypatch):
    monkeypatch.setenv("RTMS_CORPUS_DIR", str(pm_settings.corpus_dir))
    monkeypatch.setenv("RTMS_EUTILS_URL", pm_settings.eutils_url)
    r = CliRunner().invoke(app, ["corpus", "import", "pubmed", "rTMS", "--max", "3", "--quiet",
                                 "--email", "cli@example.org"])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == [
        "PubMed: 50 hit(s) for the query, 3 fetched; imported 3, updated 0, unchanged 0, merged 0, skipped 0 "
        "without abstract", "Run `rtms-assistant index build` to index them."]
    r = CliRunner().invoke(app, ["corpus", "import", "pubmed", "--quiet"])
    assert r.exit_code == 2 and "query is empty" in r.output


def test_full_text_host_offline_names_it_and_writes_nothing(pm_settings, eutils, fake_clock, closed_port):
    s = pm_settings.model_copy(update={"europepmc_url": f"http://127.0.0.1:{closed_port}/europepmc"})
    before = _tree(s.corpus_dir)
    with pytest.raises(FetchError, match=r"Europe PMC \(full texts\) is not reachable .*nothing was imported"):
        run(s, fake_clock, max_hits=5, pmc=True)
    assert _tree(s.corpus_dir) == before
