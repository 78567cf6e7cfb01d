"""Issue 12, web side: invalid Unicode typed into the chat never breaks the tab; Gradio's upload route is capped."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import pytest
import requests
from webfakes import FakeAssistant

from assistant.api import Assistant
from assistant.index.builder import build_index
from assistant.settings import Settings
from assistant.web.app import WebApp, build_app, launch_kwargs

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.conftest import write_small_corpus  # noqa: E402


@pytest.fixture
def real_web(tmp_path, embedder):
    s = Settings(corpus_dir=write_small_corpus(tmp_path), index_dir=tmp_path / "index", backend="extractive")
    build_index(s, progress=False, embedder=embedder)
    a = Assistant.load(s)
    a.retriever._embedder = embedder
    return WebApp(a, download_dir=tmp_path / "downloads")


@pytest.mark.parametrize("typed", ["Which glial markers? \udcff", "IL-1\ud800β in the spinal cord?"])
def test_invalid_unicode_in_the_chat_is_answered_and_the_tab_keeps_working(real_web, typed):
    session = real_web.new_session()
    outs = list(real_web.respond(typed, session))
    for out in outs:
        orjson.dumps(out[0])  # what Gradio sends to the browser: raised on a lone surrogate before the fix
        if isinstance(out[1], str):
            orjson.dumps(out[1])
    assert session.turns[0].error is None and session.turns[0].answer is not None
    assert "\ufffd" in session.turns[0].question
    list(real_web.respond("How much did spinal IL-1β fall after cortical stimulation?", session))
    second = session.turns[1]
    assert second.error is None and second.answer is not None and second.answer.answerable


def test_gradio_upload_route_refuses_large_bodies():
    assert launch_kwargs()["max_file_size"]
    demo = build_app(FakeAssistant(Settings(backend="extractive")))
    demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, **launch_kwargs())
    try:
        big = requests.post(demo.local_url + "gradio_api/upload", files={"files": ("a.bin", b"x" * 100_000)},
                            timeout=30)
        assert big.status_code == 413, big.text
    finally:
        demo.close()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JavaScript:alert(document.cookie)", " javascript:alert(1)",
                                 "java\tscript:alert(1)", "data:text/html,<script>alert(1)</script>",
                                 "vbscript:msgbox(1)", "file:///etc/passwd", "//evil.example/x", "https://"])
def test_a_note_url_that_is_not_http_is_never_a_link(url):
    from webfakes import passage

    from assistant.web.render import source_card_html

    p = passage(1, doi=None, pmid=None, kind="evidence-note")
    p.doc.extra["url"] = url
    html = source_card_html(p, 1, "src-1-1")
    assert "Article</a>" not in html and "javascript" not in html.lower() and "href=\"data:" not in html


def test_a_note_https_url_is_a_link():
    from webfakes import passage

    from assistant.web.render import source_card_html

    p = passage(1, doi=None, pmid=None, kind="evidence-note")
    p.doc.extra["url"] = "https://example.org/article/1?x=1&y=2"
    html = source_card_html(p, 1, "src-1-1")
    assert 'href="https://example.org/article/1?x=1&amp;y=2"' in html and "Article</a>" in html
