"""`rtms-assistant mcp`: serve the assistant to MCP clients (Claude Desktop, IDE agents) over stdio."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from assistant.cli import app
from assistant.vocab import Backend


@app.command("mcp")
def mcp_cmd(backend: Backend | None = typer.Option(None, "--backend", "-b",
                                                   help="Answer backend (default: RTMS_BACKEND)."),
            corpus: Path | None = typer.Option(None, "--corpus", help="Corpus folder (default: RTMS_CORPUS_DIR)."),
            index: Path | None = typer.Option(None, "--index", help="Index folder (default: RTMS_INDEX_DIR).")) -> None:
    """Run an MCP server over stdio (tools: search, ask, studies, evidence, papers; the papers as resources)."""
    from assistant.api import Assistant
    from assistant.integrations.mcp_server import serve
    from assistant.settings import Settings

    overrides: dict[str, Any] = {k: v for k, v in {"backend": backend, "corpus_dir": corpus,
                                                   "index_dir": index}.items() if v is not None}
    serve(Assistant(Settings(**overrides)))
