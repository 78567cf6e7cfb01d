"""`rtms-assistant ask` and `chat` over a fake search (the engine's contract is the search callable)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.answer.engine import AnswerEngine
from assistant.api import Assistant
from assistant.cli import _register, app
from assistant.settings import Settings
from tests.answer.conftest import FakeSearch

runner = CliRunner()


@pytest.fixture
def fake_assistant(monkeypatch):
    _register()
    from assistant.cli import answer_cmds

    s = Settings(backend="extractive", refusal_threshold=0.3, top_k=4)
    a = Assistant(s)
    a._engine = AnswerEngine(s, FakeSearch())
    monkeypatch.setattr(answer_cmds, "_load", lambda: a)
    return a


def test_ask_json(fake_assistant):
    r = runner.invoke(app, ["ask", "--backend", "extractive", "--json", "Which cytokines did rTMS lower in rats?"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["answerable"] and d["backend"] == "extractive" and d["citations"][0]["supported"]
    assert d["references"][0].startswith(f"{d['citations'][0]['n']}. ")


def test_ask_text_prints_answer_then_references(fake_assistant):
    r = runner.invoke(app, ["ask", "-b", "extractive", "Which cytokines did rTMS lower in rats?"])
    assert r.exit_code == 0, r.output
    body, refs = r.output.split("References", 1)
    assert "IL-1β" in body and "[" in body
    assert "Bai et al. 2023." in refs and "doi:10.3389/fimmu.2023.1172293" in refs


def test_ask_rejects_bad_input_with_a_message(fake_assistant):
    r = runner.invoke(app, ["ask", "--backend", "gpt-9", "x"])
    assert r.exit_code != 0 and "gpt-9" in r.output
    r = runner.invoke(app, ["ask", "   "])
    assert r.exit_code != 0 and "empty" in str(r.exception)


def test_chat_keeps_history_shows_sources_and_starts_over(fake_assistant):
    script = "\n".join(["Which pro-inflammatory cytokines does rTMS reduce?", "/sources", "and in which tissue?",
                        "/new", "and in which tissue?", "/bogus", "/quit"]) + "\n"
    r = runner.invoke(app, ["chat", "-b", "extractive"], input=script)
    assert r.exit_code == 0, r.output
    out = r.output
    assert "cited, supported" in out and "cosine" in out  # /sources listed the passages
    assert out.count("searched: 'In which tissue? (") == 1  # follow-up rewritten only while history existed
    assert "new conversation" in out and "unknown command /bogus" in out


def test_ask_json_on_a_yes_no_question_carries_the_verdict_and_the_evidence(fake_assistant):
    r = runner.invoke(app, ["ask", "-b", "extractive", "--json", "Did IL-10 rise after 10 Hz rTMS in the rats?"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["verdict"] == "yes" and d["answer"].startswith("Yes. ")
    assert d["evidence"] and all({"id", "n", "chunk_id", "start", "end", "text"} <= set(e) for e in d["evidence"])
    assert any(c["highlights"] for c in d["citations"])
    plain = json.loads(runner.invoke(app, ["ask", "-b", "extractive", "--json",
                                           "Which cytokines did rTMS lower in rats?"]).output)
    assert plain["verdict"] is None
