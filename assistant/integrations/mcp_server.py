"""`rtms-assistant mcp`: the assistant as a Model Context Protocol server over stdio (the official ``mcp`` SDK).

Tools ``search``, ``ask``, ``studies``, ``evidence`` and ``papers``; the indexed papers as resources
(``rtms://papers`` lists them, ``rtms://papers/{paper_id}`` reads one). A thin layer over one ``Assistant``: the
backend and the index come from the usual settings (RTMS_* variables, --preset). Calls run one at a time in a
worker thread, so the server keeps answering pings while an answer is being written.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from assistant.errors import AssistantError, ConfigError
from assistant.integrations import mcp_tools

if TYPE_CHECKING:
    from mcp.server.fastmcp import FastMCP

    from assistant.api import Assistant

log = logging.getLogger(__name__)
T = TypeVar("T")
INSTALL_HINT = ("the MCP server needs the `mcp` package: pip install 'rtms-assistant[mcp]' "
                "(or pip install 'mcp>=1.2,<2').")
INSTRUCTIONS = ("Cited answers and passage search over a local corpus of rTMS / neuropathic-pain literature. "
                "Use `ask` for a cited answer (answer, verdict, citations with DOI/PMID and the cited sentences), "
                "`search` for raw passages, `evidence` / `studies` for the evidence table, `papers` for the corpus.")


def _import_fastmcp() -> type[FastMCP]:
    try:
        from mcp.server.fastmcp import FastMCP
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    return FastMCP


def build_server(assistant: Assistant) -> FastMCP:
    """A FastMCP server whose tools and resources call ``assistant`` (one call at a time)."""
    import anyio

    fastmcp = _import_fastmcp()
    server = fastmcp("rtms-assistant", instructions=INSTRUCTIONS, log_level="WARNING")
    lock = threading.Lock()

    async def call(fn: Callable[[], T]) -> T:
        def locked() -> T:
            with lock:
                return fn()
        return await anyio.to_thread.run_sync(locked)

    @server.tool(description="Search the corpus: ranked passages (hybrid BM25 + dense) with each paper's title, "
                             "authors, year, journal, DOI/PMID/PMCID, section and page.")
    async def search(query: str, k: int = 5, year_from: int | None = None,
                     year_to: int | None = None) -> list[dict[str, Any]]:
        return await call(lambda: mcp_tools.search(assistant, query, k, year_from, year_to))

    @server.tool(description="Answer a question from the corpus with numbered citations: the answer text, a "
                             "verdict for yes/no questions, and per citation the paper's identifiers, the answer "
                             "sentences citing it and the quoted source sentences. Refuses when the corpus does "
                             "not cover the question.")
    async def ask(question: str) -> dict[str, Any]:
        return await call(lambda: mcp_tools.ask(assistant, question))

    @server.tool(description="The studies in the corpus, optionally filtered by marker, tissue or study type: one "
                             "record per study where this version has study records, else the evidence table's "
                             "rows (study, species, pain model, stimulation target and frequency, marker, tissue, "
                             "direction).")
    async def studies(marker: str | None = None, tissue: str | None = None,
                      study_type: str | None = None) -> list[dict[str, Any]]:
        return await call(lambda: mcp_tools.studies(assistant, marker=marker, tissue=tissue, study_type=study_type))

    @server.tool(description="The evidence table: one row per marker change after rTMS (marker, tissue, "
                             "direction, study, citation). conflicts=true lists marker x tissue pairs whose "
                             "direction differs between studies.")
    async def evidence(marker: str | None = None, tissue: str | None = None, change: str | None = None,
                       study_type: str | None = None, conflicts: bool = False) -> list[dict[str, Any]]:
        return await call(lambda: mcp_tools.evidence(assistant, marker, tissue, change, study_type, conflicts))

    @server.tool(description="The papers in the index: bibliography, identifiers and the resource URI that reads "
                             "the paper's text.")
    async def papers() -> list[dict[str, Any]]:
        return await call(lambda: mcp_tools.papers(assistant))

    @server.resource(mcp_tools.PAPERS_URI, name="papers", mime_type="application/json",
                     description="Every paper in the index with its identifiers and resource URI.")
    async def papers_resource() -> str:
        return json.dumps(await call(lambda: mcp_tools.papers(assistant)), ensure_ascii=False, indent=1)

    @server.resource(mcp_tools.PAPER_URI, name="paper", mime_type="text/markdown",
                     description="One paper: bibliography, identifiers and its indexed text with sections and pages.")
    async def paper_resource(paper_id: str) -> str:
        return await call(lambda: mcp_tools.paper_text(assistant, paper_id))

    _add_paper_resources(server, assistant, call)
    return server


def _add_paper_resources(server: FastMCP, assistant: Assistant, call: Callable[..., Any]) -> None:
    """List every indexed paper as a resource of its own (clients show these); none when there is no index yet."""
    from mcp.server.fastmcp.resources import FunctionResource

    try:
        rows = mcp_tools.papers(assistant)
    except AssistantError as exc:
        log.warning("no paper resources: %s", exc)
        return
    for row in rows:
        pid = str(row["paper_id"])

        async def read(pid: str = pid) -> str:
            return str(await call(lambda: mcp_tools.paper_text(assistant, pid)))

        label = f"{row['authors'][0].split()[0] if row['authors'] else 'Anon.'} {row.get('year') or 'n.d.'}"
        server.add_resource(FunctionResource(uri=row["uri"], name=pid, title=f"{label}: {row['title']}"[:200],
                                             mime_type="text/markdown", fn=read))


def serve(assistant: Assistant) -> None:
    """Run the server on stdin/stdout until the client closes it.

    The protocol gets its own copy of the stdout file descriptor; fd 1 and ``sys.stdout`` then point to stderr, so a
    stray print (a library's banner, llama.cpp's C-level output) goes to the client's log instead of corrupting the
    JSON-RPC stream."""
    import anyio
    from mcp.server.stdio import stdio_server

    server = build_server(assistant)
    try:
        out_fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # no real stdout (embedded, tests): the SDK's own stdio
        server.run("stdio")
        return
    protocol = io.TextIOWrapper(os.fdopen(os.dup(out_fd), "wb"), encoding="utf-8")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), out_fd)
    sys.stdout = sys.stderr

    async def run() -> None:
        async with stdio_server(stdout=anyio.wrap_file(protocol)) as (read_stream, write_stream):
            low = server._mcp_server  # FastMCP.run_stdio_async does the same with the process's stdout
            await low.run(read_stream, write_stream, low.create_initialization_options())

    anyio.run(run)
