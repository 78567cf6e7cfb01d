"""`rtms-assistant serve`: options, localhost default, a busy port reported as a ConfigError."""

from __future__ import annotations

import socket

from typer.testing import CliRunner

from assistant.cli import _register, app
from assistant.errors import ConfigError

_register()


def test_serve_help_lists_host_port_share():
    out = CliRunner().invoke(app, ["serve", "--help"]).output
    assert "--host" in out and "127.0.0.1" in out and "--port" in out and "7860" in out and "--share" in out


def test_busy_port_gives_a_config_error_naming_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("RTMS_INDEX_DIR", str(tmp_path / "no-index"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", "--port", str(port), "--no-warm"])
    assert isinstance(result.exception, ConfigError), result.output
    assert f"127.0.0.1:{port}" in str(result.exception) and "--port" in str(result.exception)


def test_serve_says_when_the_model_is_not_ready_and_starts_anyway(monkeypatch):
    """A first `make run` starts the app while llama-cpp-python still builds: serve says it answers extractively."""
    import assistant.web.app as web_app
    from assistant.api import Assistant
    from assistant.cli import web_cmds

    class Demo:  # stops serve right after the start-up messages
        def launch(self, **_kw):
            raise OSError("stop here")

    monkeypatch.setattr(web_app, "warm_up", lambda _a: None)
    monkeypatch.setattr(web_app, "build_app", lambda _a: Demo())
    monkeypatch.setattr(web_cmds, "warm_model", lambda _a: None)
    monkeypatch.setattr(Assistant, "llm_unavailable", lambda self, backend=None: "llama-cpp-python is not installed")
    result = CliRunner().invoke(app, ["serve"])
    assert isinstance(result.exception, ConfigError)  # from the stopped launch
    out = " ".join(result.output.split())
    assert "not ready yet (llama-cpp-python is not installed)" in out and "answers extractively" in out
    assert "switches to the model by itself" in out
