"""Named presets: they change defaults; explicit arguments and RTMS_* variables still win."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from assistant.errors import ConfigError
from assistant.settings import PRESETS, Settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ("RTMS_BACKEND", "RTMS_UNSUPPORTED", "RTMS_JUDGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RTMS_PRESET", "default")  # recorded, so what `--preset` writes is undone afterwards


def test_a_preset_changes_defaults_and_explicit_settings_win(monkeypatch):
    assert Settings(preset="extractive").backend == "extractive"
    assert Settings(preset="extractive", backend="llama-cpp").backend == "llama-cpp"
    monkeypatch.setenv("RTMS_PRESET", "strict")
    s = Settings()
    assert (s.preset, s.judge, s.unsupported) == ("strict", "llm", "drop")
    monkeypatch.setenv("RTMS_UNSUPPORTED", "flag")  # a variable set by the user beats the preset
    assert (Settings().judge, Settings().unsupported) == ("llm", "flag")


def test_every_preset_builds_and_only_differs_where_it_says():
    base = Settings().model_dump()
    for name, (description, values) in PRESETS.items():
        s = Settings(preset=name)
        assert description
        changed = {k for k, v in s.model_dump().items() if v != base[k]} - {"preset"}
        assert changed == set(values), name


def test_one_configuration_has_one_hash_whatever_preset_set_it():
    assert Settings(preset="extractive").settings_hash() == Settings(backend="extractive").settings_hash()
    assert Settings(preset="extractive").settings_hash() != Settings().settings_hash()
    assert Settings(preset="int8-index").index_hash() != Settings().index_hash()  # its own index


def test_the_default_embedder_is_float32_and_the_preset_selects_the_int8_copy():
    from assistant.index.onnx_encoder import BACKEND, split_name

    assert split_name(Settings().embedder) == ("all-MiniLM-L6-v2", "torch")
    assert split_name(Settings(preset="int8-index").embedder) == ("all-MiniLM-L6-v2", BACKEND)


def test_an_unknown_preset_says_which_exist():
    with pytest.raises(ConfigError, match="unknown preset 'fastest'.*default, extractive"):
        Settings(preset="fastest")


def test_the_cli_option_sets_the_preset_for_the_command(monkeypatch):
    from assistant.cli import _register, answer_cmds, app

    _register()
    seen = {}

    def load():
        seen["settings"] = Settings()
        raise ConfigError("stop here")

    monkeypatch.setattr(answer_cmds, "_load", load)
    result = CliRunner().invoke(app, ["--preset", "extractive", "ask", "Does rTMS lower IL-1β?"])
    assert seen["settings"].backend == "extractive", result.output
    result = CliRunner().invoke(app, ["--preset", "fastest", "ask", "Does rTMS lower IL-1β?"])
    assert result.exit_code != 0 and "unknown preset" in str(result.exception)


def test_no_preset_is_left_behind():
    import os

    assert os.environ.get("RTMS_PRESET") in (None, "default")
