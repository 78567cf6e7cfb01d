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
