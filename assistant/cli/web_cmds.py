"""`serve`: start the web UI and print its URL."""

from __future__ import annotations

import signal
import sys
from typing import TYPE_CHECKING

import typer

from assistant.cli import app
from assistant.errors import ConfigError

if TYPE_CHECKING:
    from assistant.api import Assistant


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind (0.0.0.0 exposes the app to the network)."),
    port: int = typer.Option(7860, help="Port to listen on."),
    share: bool = typer.Option(False, "--share", help="Also create a public gradio.live link (needs internet)."),
    warm: bool = typer.Option(True, "--warm/--no-warm", help="Load index, embedder and model before serving."),
) -> None:
    """Start the web UI (Chat, Corpus, Evidence) and print its URL."""
    from assistant.api import Assistant
    from assistant.settings import Settings
    from assistant.web.app import build_app, launch_kwargs, warm_up

    assistant = Assistant(Settings())
    if warm and (problem := warm_up(assistant)):
        typer.secho(f"warning: {problem}\n  The app starts anyway and shows this in the chat until it is fixed.",
                    fg="yellow", err=True)
    elif warm:
        typer.echo("loading the answer model ...", err=True)
        if problem := warm_model(assistant):
            typer.secho(f"warning: the answer model did not load ({problem}); the app starts anyway.",
                        fg="yellow", err=True)
        elif pending := assistant.llm_unavailable():
            typer.secho(f"note: the answer model is not ready yet ({pending}).\n  Until it is, the app answers "
                        "extractively and says so; it switches to the model by itself once it is installed.",
                        fg="yellow", err=True)
    demo = build_app(assistant)
    try:
        demo.launch(server_name=host, server_port=port, share=share, prevent_thread_lock=True, quiet=True,
                    inbrowser=False, **launch_kwargs())
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port} ({exc}): pass another --port") from None
    typer.echo(f"rtms-assistant web UI: {demo.local_url}", err=False)
    if share and demo.share_url:
        typer.echo(f"public link: {demo.share_url}")
    typer.echo("Press Ctrl+C to stop.")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # exit cleanly (temp downloads removed) on SIGTERM
    try:
        demo.block_thread()
    except KeyboardInterrupt:  # pragma: no cover - interactive
        pass
    finally:
        demo.close()


def warm_model(assistant: Assistant) -> str | None:
    """Load the answer model and cache its system prompt (``Assistant.warm_up``); the error text if that fails."""
    from assistant.errors import AssistantError

    try:
        assistant.warm_up()
    except AssistantError as exc:
        return str(exc)
    return None
