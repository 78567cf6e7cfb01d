"""Issue 32: `rtms-assistant mcp` started as a subprocess and driven over stdio by the MCP SDK's own client, on a
small invented corpus indexed here (extractive backend): the tools' schemas, a cited answer with identifiers and
the cited sentences, search, the evidence table, studies, and the papers as resources."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from assistant.api import Assistant
from assistant.settings import PROJECT_ROOT, Settings
from tests.conftest import write_note, write_small_corpus

mcp = pytest.importorskip("mcp")
from mcp import ClientSession, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402

QUESTION = "Which interleukin fell in the spinal cord after cortical stimulation in rats?"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Settings:
    root = tmp_path_factory.mktemp("mcp")
    corpus = write_small_corpus(root)
    delta = corpus / "digest" / "delta2018.md"  # the evidence table checks every note: 25 words at least
    delta.write_text(delta.read_text() + "Nothing about stimulation was reported.\n")
    write_note(corpus / "digest", "epsilon2022", "Invented rTMS study of spinal TNF-α in rats",
               "Ten sessions of pretend 10 Hz rTMS lowered spinal TNF-α in invented rats with nerve injury. "
               "Sham sessions left it unchanged, and withdrawal thresholds rose in the active group only.",
               doi="10.9999/epsilon.2022", year=2022,
               markers=[{"marker": "TNF-α", "tissue": "spinal cord", "change": "down"}])
    s = Settings(corpus_dir=corpus, index_dir=root / "index", home=root / "home", backend="extractive")
    Assistant(s).build_index(progress=False)
    return s


def _server(s: Settings) -> StdioServerParameters:
    env = {**os.environ, "RTMS_CORPUS_DIR": str(s.corpus_dir), "RTMS_INDEX_DIR": str(s.index_dir),
           "RTMS_HOME": str(s.home), "RTMS_BACKEND": "extractive", "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(PROJECT_ROOT)}
    return StdioServerParameters(command=sys.executable, args=["-m", "assistant.cli", "mcp"], env=env,
                                 cwd=str(PROJECT_ROOT))


def _json(result: Any) -> Any:
    assert not result.isError, result.content
    if result.structuredContent is not None:
        sc = result.structuredContent
        return sc["result"] if set(sc) == {"result"} else sc
    return json.loads(result.content[0].text)


def test_mcp_server_over_stdio_with_the_sdk_client(indexed: Settings) -> None:
    out: dict[str, Any] = {}

    async def session() -> None:
        async with stdio_client(_server(indexed)) as (read, write), ClientSession(read, write) as client:
            init = await client.initialize()
            out["server"] = init.serverInfo.name
            out["tools"] = {t.name: t for t in (await client.list_tools()).tools}
            out["ask"] = _json(await client.call_tool("ask", {"question": QUESTION}))
            out["search"] = _json(await client.call_tool("search", {"query": "astrocyte GFAP dorsal horn", "k": 2}))
            out["evidence"] = _json(await client.call_tool("evidence", {"marker": "TNF-α"}))
            out["studies"] = _json(await client.call_tool("studies", {}))
            out["papers"] = _json(await client.call_tool("papers", {}))
            out["empty"] = await client.call_tool("ask", {"question": "   "})
            out["resources"] = [str(r.uri) for r in (await client.list_resources()).resources]
            out["templates"] = [t.uriTemplate for t in (await client.list_resource_templates()).resourceTemplates]
            alpha = next(u for u in out["resources"] if "alpha.2020" in u)
            out["paper"] = (await client.read_resource(alpha)).contents[0].text
            out["listing"] = json.loads((await client.read_resource("rtms://papers")).contents[0].text)

    anyio.run(session)

    assert out["server"] == "rtms-assistant"
    tools = out["tools"]
    assert set(tools) == {"search", "ask", "studies", "evidence", "papers"}
    ask_schema = tools["ask"].inputSchema
    assert ask_schema["required"] == ["question"] and ask_schema["properties"]["question"]["type"] == "string"
    search_schema = tools["search"].inputSchema
    assert search_schema["required"] == ["query"] and search_schema["properties"]["k"]["default"] == 5
    assert {"marker", "tissue", "change", "study_type", "conflicts"} <= set(tools["evidence"].inputSchema["properties"])
    assert all(tools[n].description for n in tools)

    ans = out["ask"]
    assert ans["answerable"] and "IL-1β" in ans["answer"] and ans["backend"] == "extractive"
    cited = [c for c in ans["citations"] if c["doi"] == "10.9999/alpha.2020"]
    assert cited, ans["citations"]
    c = cited[0]
    assert c["url"] == "https://doi.org/10.9999/alpha.2020" and c["paper_id"] == "doi:10.9999/alpha.2020"
    assert c["title"].startswith("Cortical stimulation") and c["year"] == 2020
    # the answer's sentences that carry this marker, and the source sentences they rest on
    assert any("IL-1β" in s and f"{s.rstrip('.')} [{c['n']}]" in ans["answer"] for s in c["cited_sentences"])
    assert any("IL-1β" in q for q in c["quotes"])

    assert out["search"][0]["title"] == "Astrocyte activation in the dorsal horn after nerve ligation"
    assert out["search"][0]["pmid"] == "11111111" and len(out["search"]) == 2
    assert [(r["marker"], r["tissue"], r["change"], r["doi"]) for r in out["evidence"]] == [
        ("TNF-α", "spinal cord", "down", "10.9999/epsilon.2022")]
    assert out["studies"] and any(r["paper_id"] == "doi:10.9999/epsilon.2022" and r["record"] for r in out["studies"])
    assert len(out["papers"]) == 5 and {p["doi"] for p in out["papers"]} >= {"10.9999/alpha.2020"}

    assert out["empty"].isError and "question" in out["empty"].content[0].text.lower()

    assert "rtms://papers" in out["resources"] and len(out["resources"]) == 1 + 5
    assert out["templates"] == ["rtms://papers/{paper_id}"]
    assert out["paper"].startswith("# Cortical stimulation and spinal interleukin signalling")
    assert "DOI 10.9999/alpha.2020" in out["paper"] and "IL-1β" in out["paper"]
    assert {p["uri"] for p in out["listing"]} == set(out["resources"]) - {"rtms://papers"}


def test_missing_index_is_a_tool_error_that_says_what_to_do(tmp_path: Path) -> None:
    s = Settings(corpus_dir=write_small_corpus(tmp_path), index_dir=tmp_path / "no-index", home=tmp_path / "home",
                 backend="extractive")
    out: dict[str, Any] = {}

    async def session() -> None:
        async with stdio_client(_server(s)) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            out["search"] = await client.call_tool("search", {"query": "IL-1β"})
            out["resources"] = [str(r.uri) for r in (await client.list_resources()).resources]

    anyio.run(session)
    assert out["search"].isError and "index build" in out["search"].content[0].text
    assert out["resources"] == ["rtms://papers"]


def test_missing_sdk_names_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.errors import ConfigError
    from assistant.integrations import mcp_server

    monkeypatch.setitem(sys.modules, "mcp.server.fastmcp", None)
    with pytest.raises(ConfigError, match=r"pip install 'rtms-assistant\[mcp\]'"):
        mcp_server._import_fastmcp()


def test_studies_tool_filters_the_study_records(indexed: Settings) -> None:
    from assistant.integrations import mcp_tools

    every = mcp_tools.studies(Assistant(indexed))
    humans = mcp_tools.studies(Assistant(indexed), species="human")
    assert every and len(humans) < len(every)
    assert all(r["record"]["species"] and any(f["value"] == "human" for f in r["record"]["species"])
               or r["kind"] in ("randomised trial", "crossover trial", "controlled trial", "open-label trial")
               for r in humans)
    assert {r["paper_id"] for r in mcp_tools.studies(Assistant(indexed), text="epsilon")} <= {r["paper_id"]
                                                                                             for r in every}
