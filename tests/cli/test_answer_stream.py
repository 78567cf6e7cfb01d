"""`ask` and `chat` print the streamed Evidence item first (numbered, with [n]), then the checked answer and its
verdict; closed-book streams have no Evidence item."""

from __future__ import annotations

import io

import pytest
from typer.testing import CliRunner

from assistant.answer.contracts import Evidence
from assistant.cli import _register, app
from assistant.settings import Settings
from tests.web.webfakes import YES_SENTENCE_1, YES_SENTENCE_2, FakeAssistant, answer, evidence_of, yes_no_answer

runner = CliRunner()


@pytest.fixture
def fake(monkeypatch):
    _register()
    from assistant.cli import answer_cmds

    a = FakeAssistant(Settings(backend="extractive"), make=yes_no_answer)
    a.stream = _with_retrieval(a.stream)
    monkeypatch.setattr(answer_cmds, "_load", lambda: a)
    return a


def _with_retrieval(stream):
    def call(question, history=None, backend=None, k=None, retrieval=None):
        return stream(question, history=history, backend=backend, k=k)
    return call


def test_ask_prints_evidence_then_verdict_then_answer(fake):
    r = runner.invoke(app, ["ask", "Does stimulation lower glial markers?"])
    assert r.exit_code == 0, r.output
    out = r.output
    assert out.index("Evidence (verified, from the passages)") < out.index(f"1. {YES_SENTENCE_1} [1]") \
        < out.index(f"2. {YES_SENTENCE_2} [2]") < out.index("Verdict: yes") < out.index("Yes: microglial markers")
    assert "Doe et al. 2021, Results > Spinal cord, p. 4" in out and "Smith 2019, Results" in out
    assert "EvidenceSentence" not in out


def test_ask_without_verdict_or_evidence_prints_no_such_lines(fake):
    closed = answer(text="Closed book words.", passages=[], supported={})
    closed.retrieval = "none"
    fake.answers = [closed]
    out = runner.invoke(app, ["ask", "q"]).output
    assert "Closed book words." in out and "Verdict" not in out and "Evidence (verified" not in out


def test_evidence_text_skips_refusals_and_empty_evidence():
    from assistant.cli.answer_cmds import evidence_text

    assert evidence_text(Evidence(question="q", query="q", refused="below-threshold")) is None
    assert evidence_text(Evidence(question="q", query="q")) is None
    from rich.console import Console

    console = Console(width=40, file=io.StringIO())
    console.print(evidence_text(evidence_of(yes_no_answer())))
    lines = [ln.rstrip() for ln in console.file.getvalue().splitlines()]
    assert lines == ["Evidence (verified, from the passages)", "  Doe et al. 2021, Results > Spinal", "  cord, p. 4",
                     "    1. Microglial marker levels fell", "    after stimulation. [1]", "  Smith 2019, Results",
                     "    2. Invented: astrocyte activation", "    was lower in treated animals. [2]", ""]


def test_chat_prints_evidence_and_sources_mark_cited_sentences(fake):
    r = runner.invoke(app, ["chat"], input="Does stimulation lower glial markers?\n/sources\n/quit\n")
    assert r.exit_code == 0, r.output
    out = r.output
    assert out.index(f"1. {YES_SENTENCE_1} [1]") < out.index("Verdict: yes") < out.index("cited, supported")
