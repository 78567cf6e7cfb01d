from __future__ import annotations

import json

from typer.testing import CliRunner

from assistant.cli import _register, app
from tests.corpus.fetch.helpers import LINES, make_pdf, write_manifest

_register()
runner = CliRunner()


def test_corpus_list_json(settings) -> None:
    write_manifest(settings.manifest_path)
    settings.digest_dir.mkdir(parents=True)
    (settings.digest_dir / "testwood2023-overview.md").write_text("---\nid: testwood2023-overview\n---\nx\n")
    r = runner.invoke(app, ["corpus", "list", "--json", "--corpus", str(settings.corpus_dir)])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert [x["key"] for x in rows] == ["testwood2023", "ashdown2020", "quill2019", "ghost2015"]
    assert rows[0]["local"] == ["evidence-note"] and rows[1]["local"] == ["nothing"]
    assert rows[2]["status"] == "candidate"


def test_corpus_list_table(settings) -> None:
    write_manifest(settings.manifest_path)
    r = runner.invoke(app, ["corpus", "list", "--corpus", str(settings.corpus_dir)], terminal_width=200)
    assert r.exit_code == 0 and "ashdown2020" in r.output and "candidate" in r.output


def test_invalid_manifest_is_one_clear_line(settings) -> None:
    settings.corpus_dir.mkdir(parents=True)
    settings.manifest_path.write_text("entries: [\n")
    r = runner.invoke(app, ["corpus", "list", "--corpus", str(settings.corpus_dir)])
    assert r.exit_code == 2 and "not valid YAML" in r.output


def test_corpus_add(settings, tmp_path) -> None:
    src = make_pdf(tmp_path / "mine.pdf", LINES[:2])
    r = runner.invoke(app, ["corpus", "add", str(src), "--offline", "--corpus", str(settings.corpus_dir)])
    assert r.exit_code == 0, r.output
    assert "added" in r.output and len(list(settings.user_dir.glob("*.pdf"))) == 1
    bad = tmp_path / "fake.pdf"
    bad.write_bytes(b"PK\x03\x04 a zip, not a pdf")
    r = runner.invoke(app, ["corpus", "add", str(bad), "--offline", "--corpus", str(settings.corpus_dir)])
    assert r.exit_code == 2 and "not a PDF" in r.output


def test_corpus_sync_cli(settings, apis, monkeypatch) -> None:
    write_manifest(settings.manifest_path)
    for name in ("europepmc_url", "eutils_url", "idconv_url", "crossref_url", "unpaywall_url"):
        monkeypatch.setenv(f"RTMS_{name.upper()}", getattr(settings, name))
    r = runner.invoke(app, ["corpus", "sync", "--quiet", "--email", "me@example.org",
                            "--corpus", str(settings.corpus_dir)], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert "abstract only" in r.output and "https://doi.org/10.9999/ref.five" in r.output
    assert "corpus add PAPER.pdf" in r.output
    assert any(q.get("email") == "me@example.org" for p, q in apis.log if p == "/eutils/efetch.fcgi")
