"""Issue 31, command line: `[/x]` (rich markup) in a file name, title, marker or manifest title is printed as
text by `index build`, `index status`, `search`, `evidence` and `corpus list`, never a MarkupError."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import _register, app
from assistant.index import builder as builder_mod
from tests.conftest import write_note, write_small_corpus
from tests.corpus.fetch.helpers import write_manifest
from tests.corpus.test_evidence import _note

_register()
runner = CliRunner()
MARKUP = "[/x]"


@pytest.fixture
def env(tmp_path, monkeypatch, embedder) -> Path:
    corpus = write_small_corpus(tmp_path)
    write_note(corpus / "digest", "markup2024", f"{MARKUP} Cortical stimulation [bold]and[/bold] spinal IL-1β",
               "Spinal IL-1β fell after cortical stimulation in this invented [/x] study of rats.",
               doi="10.9999/markup")
    (corpus / "[").mkdir()
    (corpus / "[" / "x].md").write_text("", encoding="utf-8")  # skipped (no text): its name is "[/x].md"
    monkeypatch.setenv("RTMS_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("RTMS_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("RTMS_BACKEND", "extractive")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(builder_mod, "Embedder", lambda *a, **k: embedder)
    return corpus


def _ok(*args: str) -> str:
    r = runner.invoke(app, list(args))
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert r.exit_code == 0, r.output
    return r.output


def test_markup_in_names_and_titles_is_printed_as_text_by_index_and_search(env):
    out = _ok("index", "build")
    assert "skipped [/x].md" in out
    status = _ok("index", "status")
    assert "[/x].md" in status  # the text status lists skipped files, as --json does
    found = _ok("search", "spinal IL-1β cortical stimulation", "-k", "5")
    assert "[/x] Cortical stimulation [bold]and[/bold]" in " ".join(found.split())


def test_markup_in_markers_is_printed_as_text_by_evidence(tmp_path, monkeypatch):
    d = tmp_path / "corpus" / "digest"
    d.mkdir(parents=True)
    _note(d, "aa2020-markup", doi="10.9999/aa.2020",
          markers=[{"marker": MARKUP, "tissue": "spinal [/cord]", "change": "down"}])
    monkeypatch.setenv("RTMS_CORPUS_DIR", str(d.parent))
    monkeypatch.setenv("COLUMNS", "200")
    out = _ok("evidence")
    assert MARKUP in out and "spinal [/cord]" in out


def test_markup_in_manifest_titles_is_printed_as_text_by_corpus_list(settings):
    write_manifest(settings.manifest_path)
    text = settings.manifest_path.read_text(encoding="utf-8")
    settings.manifest_path.write_text(text.replace("A candidate the review never cites", "'[/x] candidate'"),
                                      encoding="utf-8")
    r = runner.invoke(app, ["corpus", "list", "--corpus", str(settings.corpus_dir)], terminal_width=200)
    assert r.exit_code == 0 and r.exception is None, r.output
    assert "[/x] candidate" in r.output


def test_deeply_nested_sidecar_never_stops_corpus_list_or_add(settings, tmp_path, caplog):
    from tests.corpus.fetch.helpers import LINES, make_pdf
    from tests.reliability.hostile_fixtures import deep_json

    write_manifest(settings.manifest_path)
    mine = make_pdf(settings.user_dir / "mine.pdf", LINES[:2])
    (mine.parent / "mine.pdf.json").write_text(deep_json(), encoding="utf-8")
    r = runner.invoke(app, ["corpus", "list", "--corpus", str(settings.corpus_dir)], terminal_width=200)
    assert r.exit_code == 0 and r.exception is None, (r.output, r.exception)
    assert any("mine.pdf.json" in m and "nested too deeply" in m for m in caplog.messages)
    other = make_pdf(tmp_path / "other.pdf", LINES[:1], title="Another pretend paper")
    r = runner.invoke(app, ["corpus", "add", str(other), "--offline", "--corpus", str(settings.corpus_dir)])
    assert r.exit_code == 0 and r.exception is None, (r.output, r.exception)
