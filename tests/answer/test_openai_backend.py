"""The OpenAI-compatible backend (official ``openai`` client) against a small fake server on 127.0.0.1: its failure
modes (dead server, timeout, 5xx, 401, unknown model, garbage, an error inside the stream). The real server is
driven end to end in tests/integrations/test_llama_server.py."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant.answer.engine import AnswerEngine
from assistant.answer.openai_backend import OpenAIBackend
from assistant.errors import LLMError
from assistant.settings import Settings

REPLY = "10 Hz rTMS lowered IL-1β and TNF-α in the spinal dorsal horn [1]."
MSGS = [{"role": "user", "content": "hi"}]


class FakeOpenAI(BaseHTTPRequestHandler):
    """Behaviour per server: 'ok', 'slow', 'garbage' (not JSON), 'flaky' (first request 500), 'text-garbage',
    'auth' (401), 'unknown-model' (404; GET /v1/models lists 'served-model'), 'down-500' (always 500),
    'stream-error' (two deltas, then an error event, as llama.cpp and vLLM send one)."""

    mode = "ok"
    requests: list[dict] = []

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):  # noqa: N802
        self.server.requests.append({"path": self.path, "body": None, "auth": self.headers.get("Authorization")})
        data = {"object": "list", "data": [{"id": "served-model", "object": "model", "owned_by": "me"}]}
        self._send(200, json.dumps(data).encode(), "application/json")

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server = self.server
        server.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        mode = server.mode
        if mode in ("auth", "unknown-model", "down-500"):
            code, msg = {"auth": (401, "Invalid API Key"), "unknown-model": (404, "The model does not exist."),
                         "down-500": (500, "out of memory")}[mode]
            self._send(code, json.dumps({"error": {"message": msg, "type": "invalid_request_error"}}).encode(),
                       "application/json")
            return
        if mode == "stream-error":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for piece in ("10 Hz ", "rTMS "):
                chunk = {"choices": [{"index": 0, "delta": {"content": piece}}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b'data: {"error": {"message": "slot crashed", "code": 500}}\n\n')
            return
        if mode == "slow":
            time.sleep(1.5)
        if mode == "flaky" and len(server.requests) == 1:
            self.send_response(500)
            self.end_headers()
            return
        if mode == "garbage":
            self._send(200, b"<html>definitely not json", "text/html")
            return
        text = "%%%% ### !!! no markers here" if mode == "text-garbage" else REPLY
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for i in range(0, len(text), 9):
                chunk = {"choices": [{"index": 0, "delta": {"content": text[i:i + 9]}}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            return
        payload = {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}
        self._send(200, json.dumps(payload).encode(), "application/json")

    def _send(self, code: int, data: bytes, ctype: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def fake_server(mode: str) -> Iterator[ThreadingHTTPServer]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    srv.mode = mode  # type: ignore[attr-defined]
    srv.requests = []  # type: ignore[attr-defined]
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def settings_for(srv_or_port, **kw) -> Settings:
    port = srv_or_port if isinstance(srv_or_port, int) else srv_or_port.server_address[1]
    return Settings(openai_base_url=f"http://127.0.0.1:{port}/v1", openai_model="fake-model",
                    openai_api_key="sk-test", openai_timeout_s=kw.pop("timeout", 5.0), **kw)


def test_plain_and_streaming_completion():
    with fake_server("ok") as srv:
        llm = OpenAIBackend(settings_for(srv))
        assert llm.generate(MSGS) == REPLY
        deltas = list(llm.generate(MSGS, stream=True))
        assert len(deltas) > 1 and "".join(deltas) == REPLY
    req = srv.requests[0]
    assert req["path"] == "/v1/chat/completions" and req["auth"] == "Bearer sk-test"
    assert req["body"]["model"] == "fake-model" and req["body"]["messages"] == MSGS


def dead_port() -> int:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_down_gives_clear_error_after_the_retries():
    llm = OpenAIBackend(settings_for(dead_port()), retries=1)
    with pytest.raises(LLMError, match="cannot connect.*after 2 attempts.*RTMS_OPENAI_BASE_URL"):
        llm.generate(MSGS)
    with pytest.raises(LLMError, match="cannot connect.*after 2 attempts"):
        list(llm.generate(MSGS, stream=True))


def test_slow_server_times_out_then_errors():
    with fake_server("slow") as srv:
        llm = OpenAIBackend(settings_for(srv, timeout=0.3), retries=1)
        t0 = time.perf_counter()
        with pytest.raises(LLMError, match="no answer within 0.3 s.*RTMS_OPENAI_TIMEOUT_S"):
            llm.generate(MSGS)
        assert time.perf_counter() - t0 < 5
    assert len(srv.requests) == 2  # first try + one retry


def test_garbage_response_is_reported():
    with fake_server("garbage") as srv:
        llm = OpenAIBackend(settings_for(srv))
        with pytest.raises(LLMError, match="not a chat completion.*RTMS_OPENAI_BASE_URL"):
            llm.generate(MSGS)
        with pytest.raises(LLMError, match="not a chat completion"):
            list(llm.generate(MSGS, stream=True))


def test_retries_with_backoff_recover_from_a_transient_500():
    with fake_server("flaky") as srv:
        t0 = time.perf_counter()
        assert OpenAIBackend(settings_for(srv)).generate(MSGS) == REPLY
        assert time.perf_counter() - t0 >= 0.2  # the client waited before retrying (backoff from 0.5 s, jittered)
    assert len(srv.requests) == 2


def test_persistent_500_names_status_message_and_attempts():
    with fake_server("down-500") as srv, pytest.raises(LLMError, match="HTTP 500: out of memory .after 2 attempts"):
        OpenAIBackend(settings_for(srv), retries=1).generate(MSGS)
    assert len(srv.requests) == 2


def test_auth_failure_is_not_retried_and_names_the_key_setting():
    key_error = "refused the API key .HTTP 401.: set RTMS_OPENAI_API_KEY"
    with fake_server("auth") as srv, pytest.raises(LLMError, match=key_error):
        OpenAIBackend(settings_for(srv)).generate(MSGS)
    assert len(srv.requests) == 1


def test_wrong_model_name_lists_the_served_models():
    model_error = "does not serve the model 'fake-model'; it serves served-model.*RTMS_OPENAI_MODEL"
    with fake_server("unknown-model") as srv, pytest.raises(LLMError, match=model_error):
        list(OpenAIBackend(settings_for(srv)).generate(MSGS, stream=True))
    assert [r["path"] for r in srv.requests] == ["/v1/chat/completions", "/v1/models"]


def test_error_inside_the_stream_keeps_the_text_already_sent_and_is_not_retried():
    with fake_server("stream-error") as srv:
        got: list[str] = []
        with pytest.raises(LLMError, match="stream broke.*slot crashed"):
            for delta in OpenAIBackend(settings_for(srv)).generate(MSGS, stream=True):
                got.append(delta)
    assert got == ["10 Hz ", "rTMS "] and len(srv.requests) == 1


def test_engine_with_openai_backend(search):
    with fake_server("ok") as srv:
        e = AnswerEngine(settings_for(srv, refusal_threshold=0.3, top_k=4), search)
        order = [p.doc.first_author for p in search("Which cytokines did rTMS lower in the dorsal horn?", 4)]
        a = e.ask("Which cytokines did rTMS lower in the dorsal horn?", backend="openai")
    assert a.backend == "openai" and a.model == "fake-model"
    assert order[0] == "Bai" and a.answerable and a.citations[0].supported
    assert a.timings["first_token_s"] > 0
    assert srv.requests[0]["body"]["stream"] is True


def test_engine_with_garbage_text_flags_and_keeps_what_verifies(search):
    with fake_server("text-garbage") as srv:
        e = AnswerEngine(settings_for(srv, refusal_threshold=0.3, top_k=4), search)
        a = e.ask("Which cytokines did rTMS lower in the dorsal horn?", backend="openai")
    assert "extractive-fallback" in a.flags and a.raw_answer.startswith("%%%%")
    assert a.answerable and all(c.supported for c in a.citations)


def test_engine_surfaces_server_down_as_llm_error(search):
    e = AnswerEngine(settings_for(dead_port(), refusal_threshold=0.3), search)
    with pytest.raises(LLMError, match="--backend llama-cpp / extractive"):
        e.ask("Which cytokines did rTMS lower in the dorsal horn?", backend="openai")
