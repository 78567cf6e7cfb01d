"""Shared helpers for the fetcher tests: fixture files, fake clock, fake API routes, a test manifest."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from assistant.corpus.manifest import Manifest, ManifestEntry, save_manifest

from .fakeserver import FakeServer, Reply

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "apis"
XML = {"Content-Type": "application/xml"}
JSON = {"Content-Type": "application/json"}


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class FakeClock:
    """``clock()`` returns fake seconds; ``sleep(d)`` records d and advances the clock."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def idconv_handler(query: dict[str, str]) -> Reply:
    table = json.loads(fixture_bytes("idconv_records.json"))
    idtype = query.get("idtype", "pmid")
    records = []
    for ident in query.get("ids", "").split(","):
        rec = table.get(f"{idtype}:{ident}")
        records.append({**rec, "requested-id": ident} if rec else
                       {"requested-id": ident, "status": "error", "errmsg": "Identifier not found in PMC"})
    body = {"status": "ok", "responseDate": "2024-01-01 00:00:00", "request": f"ids={query.get('ids')}",
            "records": records}
    return Reply(200, json.dumps(body), JSON)


def efetch_handler(query: dict[str, str]) -> Reply:
    wanted = set(query.get("id", "").split(","))
    root = etree.fromstring(fixture_bytes("pubmed_efetch.xml"), etree.XMLParser(load_dtd=False, no_network=True))
    for art in root.findall("PubmedArticle"):
        if art.findtext("MedlineCitation/PMID") not in wanted:
            root.remove(art)
    return Reply(200, etree.tostring(root, xml_declaration=True, encoding="UTF-8"), XML)


def install_apis(server: FakeServer) -> None:
    """Routes for the standard scenario (see write_manifest)."""
    full, nobody = fixture_bytes("jats_fulltext.xml"), fixture_bytes("jats_no_body.xml")
    review = (full.replace(b"90000011", b"90000001").replace(b"PMC9000011", b"PMC9000001")
              .replace(b"10.9999/ref.one", b"10.9999/review.2023"))
    server.routes.update({
        "/europepmc/MED/90000001/references": Reply(200, fixture_bytes("europepmc_references.json"), JSON),
        "/europepmc/PMC9000001/fullTextXML": Reply(200, review, XML),
        "/europepmc/PMC9000011/fullTextXML": Reply(200, full, XML),
        "/europepmc/PMC9000012/fullTextXML": Reply(200, nobody, XML),
        "/crossref/works/10.9999/review.2023": Reply(200, fixture_bytes("crossref_work.json"), JSON),
        "/idconv/": idconv_handler,
        "/eutils/esearch.fcgi": Reply(200, fixture_bytes("esearch_empty.json"), JSON),
        "/eutils/efetch.fcgi": efetch_handler,
    })


def write_manifest(path: Path) -> Manifest:
    """Review + a confirmed ref 1 (DOI only) + a candidate that is cited (ref 3) + one that is not."""
    m = Manifest(review_doi="10.9999/review.2023", entries=[
        ManifestEntry(key="testwood2023", role="review", status="confirmed", doi="10.9999/review.2023",
                      pmid="90000001", title="An invented review of magnetic stimulation and glia",
                      authors=["Testwood AB", "Mockler C"], year=2023, notes=["testwood2023-overview"]),
        ManifestEntry(key="ashdown2020", role="reference", ref_no=1, status="confirmed", doi="10.9999/ref.one",
                      authors=["Ashdown PK", "Finch O"], year=2020),
        ManifestEntry(key="quill2019", role="reference", status="candidate", pmid="90000013",
                      title="Invented candidate study of coil placement in a rodent nerve model",
                      authors=["Quill RT"], year=2019),
        ManifestEntry(key="ghost2015", role="reference", status="candidate", doi="10.9999/not.cited",
                      title="A candidate the review never cites", authors=["Ghost A"], year=2015),
    ])
    save_manifest(m, path)
    return m


LINES = ["An invented paper about imaginary rats and pretend magnetic pulses.",
         "Nothing in this file reports a real experiment; it exists for tests.",
         "doi: 10.9999/ref.one"]



def make_pdf(path: Path, lines: list[str] | None = None, title: str = "Pretend paper") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setTitle(title)
    c.setAuthor("Ashdown PK; Finch O")
    y = 800
    for line in LINES if lines is None else lines:
        c.drawString(72, y, line)
        y -= 20
    c.showPage()
    c.save()
    return path
