"""The app's callbacks with a fake Assistant: streaming, history, errors as messages, settings, exports."""

from __future__ import annotations

from pathlib import Path

import pytest
from webfakes import YES_SENTENCE_1, FakeAssistant, answer, yes_no_answer

from assistant.errors import IndexMissingError, LLMError
from assistant.settings import Settings
from assistant.web.app import EMPTY_QUESTION, WebApp, build_app, take_item
from assistant.web.session import Turn


@pytest.fixture
def web(tmp_path):
    return WebApp(FakeAssistant(Settings(backend="extractive", top_k=4)), download_dir=tmp_path)


def path_of(button):
    v = button.value
    return (v or {}).get("path") if isinstance(v, dict) else v


def run(web, question, session):
    return list(web.respond(question, session))


def test_answer_streams_then_renders_with_links_and_export(web):
    s = web.new_session()
    outs = run(web, "Which glial markers fall?", s)
    chats = [o[0] for o in outs]
    assert len(outs) >= 3  # placeholder, at least one partial, final
    assert "Searching the corpus" in chats[0][-1]["content"]
    assert any("streaming" in c[-1]["content"] and "Microglial" in c[-1]["content"] for c in chats[1:-1])
    final_chat, sources, export, status, session, box = outs[-1]
    assert 'href="#src-1-1"' in final_chat[-1]["content"] and 'id="src-1-1"' in sources
    assert box == "" and session is s and s.turns[0].answer is not None
    md = Path(path_of(export)).read_text(encoding="utf-8")
    assert "## 1. Which glial markers fall?" in md and "1. Doe et al. 2021." in md
    assert "3 documents, 12 chunks" in status
    assert web.assistant.calls[0] == {"question": "Which glial markers fall?", "history": [], "backend": "extractive",
                                      "k": 4}


def test_follow_up_gets_the_previous_turn_as_history(web):
    s = web.new_session()
    run(web, "Which glial markers fall?", s)
    run(web, "in which tissue?", s)
    h = web.assistant.calls[1]["history"]
    assert h[0] == {"role": "user", "content": "Which glial markers fall?"}
    assert h[1]["role"] == "assistant" and "Microglial markers fell." in h[1]["content"]
    assert "[1]" not in h[1]["content"]


@pytest.mark.parametrize("exc", [IndexMissingError("No index in /x: run `rtms-assistant index build`."),
                                 LLMError("Cannot reach http://127.0.0.1:9/v1: start the server.")])
def test_assistant_errors_appear_as_messages(tmp_path, exc):
    web = WebApp(FakeAssistant(Settings(), error=exc), download_dir=tmp_path)
    s = web.new_session()
    content = run(web, "q", s)[-1][0][-1]["content"].replace("&#x27;", "'")
    assert str(exc) in content and "Traceback" not in content
    assert s.turns[-1].error.startswith(str(exc))
    assert ("another backend under" in content) == isinstance(exc, LLMError)


def test_error_messages_start_with_a_capital(tmp_path):
    web = WebApp(FakeAssistant(Settings(), error=LLMError("the server at x failed.")), download_dir=tmp_path)
    assert run(web, "q", web.new_session())[-1][4].turns[0].error.startswith("The server at x failed.")


def test_unexpected_errors_are_summarised_without_traceback(tmp_path):
    web = WebApp(FakeAssistant(Settings(), error=ZeroDivisionError("boom")), download_dir=tmp_path)
    content = run(web, "q", web.new_session())[-1][0][-1]["content"]
    assert "ZeroDivisionError: boom" in content and "server log" in content and "File \"" not in content


def test_empty_and_too_long_questions_are_refused_without_calling_the_engine(web):
    s = web.new_session()
    assert EMPTY_QUESTION in run(web, "   ", s)[-1][0][-1]["content"]
    assert "limit is 1000" in run(web, "x" * 1001, s)[-1][0][-1]["content"]
    assert web.assistant.calls == []


def test_session_settings_are_used_and_sessions_do_not_mix(web):
    a, b = web.new_session(), web.new_session()
    web.set_backend("openai", a)
    web.set_k(7, a)
    web.assistant.answers = [answer("first", text="For A [1]."), answer("second", text="For B [1].")]
    run(web, "from a", a)
    run(web, "from b", b)
    assert [c["backend"] for c in web.assistant.calls] == ["openai", "extractive"]
    assert [c["k"] for c in web.assistant.calls] == [7, 4]
    assert [t.question for t in a.turns] == ["from a"] and [t.question for t in b.turns] == ["from b"]
    assert a.sid != b.sid


def test_stop_and_new_conversation(web):
    s = web.new_session()
    gen = web.respond("Which glial markers fall?", s)
    next(gen), next(gen)  # placeholder, first streamed words
    chat, _, export, _ = web.stop(s)
    assert s.turns[0].stopped and "Stopped" in chat[-1]["content"] and path_of(export)
    chat, sources, export, s2, box = web.new_conversation(s)
    assert chat == [] and s2.turns == [] and path_of(export) is None and "Sources appear here" in sources


def test_evidence_view_filters_and_writes_csv(web):
    s = web.new_session()
    frame, csv_btn, count = web.evidence_view("Iba1", "(any)", "(any)", "(any)", s)
    assert frame["data"] == [["Iba1", "spinal cord", "down", "animal study"]] and count == "1 rows"
    assert Path(path_of(csv_btn)).read_text(encoding="utf-8").splitlines()[1] == "Iba1,spinal cord,down,animal study"
    frame, csv_btn, count = web.evidence_view("Iba1", "brain", "(any)", "(any)", s)
    assert "No rows match" in frame["data"][0][0] and path_of(csv_btn) is None


def test_corpus_view_and_app_builds(web, tmp_path):
    frame, md = web.corpus_view()
    assert frame["headers"][0] == "key" and "3 documents, 12 chunks" in md
    demo = build_app(web.assistant, download_dir=tmp_path)
    assert demo.title == "rtms-assistant"


def test_real_assistant_without_index_explains_how_to_build_one(tmp_path):
    from assistant.api import Assistant

    web = WebApp(Assistant(Settings(index_dir=tmp_path / "none", backend="extractive")), download_dir=tmp_path)
    s = web.new_session()
    content = run(web, "Which glial markers does rTMS reduce?", s)[-1][0][-1]["content"]
    assert "error" in content and "index build" in content, content
    assert "no index" in web.status_line(s)


def test_evidence_is_shown_before_any_model_text_then_verdict_and_highlights(web):
    web.assistant.make = yes_no_answer
    s = web.new_session()
    outs = run(web, "Does stimulation lower glial markers?", s)
    first_ev = next(i for i, o in enumerate(outs) if "evidence-block" in o[0][-1]["content"])
    bubble = outs[first_ev][0][-1]["content"]
    assert first_ev == 1 and "streaming" in bubble and "synthesis" not in bubble and YES_SENTENCE_1 in bubble
    assert "EvidenceSentence" not in "".join(o[0][-1]["content"] for o in outs)  # never the item's repr
    assert 'id="psg-1-1"' in outs[first_ev][1] and "hl-evidence" in outs[first_ev][1]  # passages at once
    assert any('class="synthesis"' in o[0][-1]["content"] for o in outs[first_ev + 1:-1])
    final_chat, sources, export = outs[-1][:3]
    final = final_chat[-1]["content"]
    assert "streaming" not in final and ">Yes</span>" in final and "evidence-block" in final
    assert f">{YES_SENTENCE_1}</mark>" in sources
    md = Path(path_of(export)).read_text(encoding="utf-8")
    assert "**Verdict: Yes**" in md and f"“{YES_SENTENCE_1}” [1]" in md


def test_text_deltas_leave_the_sources_panel_alone(web):
    outs = run(web, "Which glial markers fall?", web.new_session())
    panels = [o[1] for o in outs]
    assert isinstance(panels[0], str) and isinstance(panels[1], str) and isinstance(panels[-1], str)
    assert all(not isinstance(p, str) for p in panels[2:-1]) and len(panels) > 3  # gr.skip() while text streams


def test_closed_book_stream_without_evidence_still_answers(web):
    closed = answer(text="Closed book words.", passages=[], supported={})
    closed.retrieval = "none"
    web.assistant.answers = [closed]
    s = web.new_session()
    outs = run(web, "q", s)
    assert s.turns[0].evidence is None and "evidence-block" not in outs[-1][0][-1]["content"]
    assert "Closed book words." in outs[-1][0][-1]["content"]


def test_take_item_records_each_kind_and_ignores_strangers():
    from webfakes import evidence_of

    t = Turn(question="q")
    a = yes_no_answer()
    assert take_item(t, evidence_of(a)) is True and t.evidence is not None
    assert take_item(t, " ") is False and take_item(t, "Yes") is True  # the first words show at once
    assert take_item(t, " it") is False and take_item(t, 42) is False and t.partial == " Yes it"
    assert take_item(t, a) is False and t.answer is a


def test_stopped_turn_keeps_its_evidence_and_exports_it(web):
    web.assistant.make = yes_no_answer
    s = web.new_session()
    gen = web.respond("Does stimulation lower glial markers?", s)
    next(gen), next(gen)  # placeholder, evidence
    chat, sources, export, _ = web.stop(s)
    assert "evidence-block" in chat[-1]["content"] and "Stopped" in chat[-1]["content"]
    assert "stopped before the answer was checked" in sources and "hl-evidence" in sources
    md = Path(path_of(export)).read_text(encoding="utf-8")
    assert "*(stopped before" in md and f"“{YES_SENTENCE_1}” [1]" in md


def test_status_says_the_model_is_not_ready_until_it_is_then_not(tmp_path):
    web = WebApp(FakeAssistant(Settings(backend="llama-cpp", top_k=4)), download_dir=tmp_path)
    web.assistant.pending = "llama-cpp-python is not installed: run `make run`"
    s = web.new_session()
    status = run(web, "Which glial markers fall?", s)[-1][3]
    assert 'id="rtms-model-pending"' in status and "not ready yet" in status
    assert "extracted from the passages without an LLM" in status and "llama-cpp-python is not installed" in status
    assert "3 documents, 12 chunks" in status
    assert 'id="rtms-model-pending"' not in web.set_backend("extractive", s)[1]  # extractive by choice: no notice
    web.set_backend("llama-cpp", s)
    web.assistant.pending = None  # installed: the next answer comes from the model, the notice goes
    assert "not ready" not in run(web, "Which glial markers fall?", s)[-1][3]
    assert "not ready" not in web.status_line(s)


def test_status_line_survives_a_failing_model_check(tmp_path):
    web = WebApp(FakeAssistant(Settings(backend="llama-cpp")), download_dir=tmp_path)

    def broken(backend=None):
        raise RuntimeError("boom")

    web.assistant.llm_unavailable = broken
    status = web.status_line(web.new_session())
    assert "3 documents, 12 chunks" in status and "not ready" not in status
