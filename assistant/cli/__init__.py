"""`rtms-assistant` command line. Each command group lives in its own module and is a thin layer
over `Assistant` (or, for corpus maintenance, over the corpus package)."""

from __future__ import annotations

import importlib
import logging
import os

import typer

from assistant.errors import AssistantError

app = typer.Typer(help="Citation-grounded Q&A over the rTMS neuropathic-pain literature.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

@app.callback()
def _options(preset: str | None = typer.Option(None, "--preset", help="Named preset of settings for this command "
                                        "(default, extractive, strict, int8-index; same as RTMS_PRESET).")) -> None:
    if preset:
        os.environ["RTMS_PRESET"] = preset  # every command builds its Settings after this


# Commands import what they run (gradio, the index, the fetcher, eval) inside the command, so `--help` starts fast.
# Modules that register commands on `app` when imported; a missing module is skipped so the
# CLI keeps working while a command group is being written.
_COMMAND_MODULES = ("index_cmds", "answer_cmds", "corpus_cmds", "import_cmds", "evidence_cmds", "studies_cmds",
                    "eval_cmds", "web_cmds", "mcp_cmds")


def _register() -> None:
    for name in _COMMAND_MODULES:
        try:
            importlib.import_module(f"assistant.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"assistant.cli.{name}":
                raise


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    logging.basicConfig(level=os.environ.get("RTMS_LOG_LEVEL", "WARNING"), format="%(levelname)s %(message)s")
    _register()
    try:
        app()
    except AssistantError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise SystemExit(2) from None
