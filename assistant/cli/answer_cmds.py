"""`ask` (one question) and `chat` (a terminal conversation with streaming and follow-ups)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

import typer
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.markup import escape
from rich.padding import Padding
from rich.text import Text

from assistant.answer.contracts import Answer, Evidence
from assistant.api import Assistant
from assistant.cli import app
from assistant.errors import AssistantError
from assistant.vocab import ANSWER_MODES, Backend
from assistant.web.render import EVIDENCE_LABEL, group_evidence, location, merge_spans

console = Console()

CHAT_HELP = "/sources  passages behind the last answer · /new  start over · /quit  leave"


BackendChoice = Backend


def _load() -> Assistant:
    return Assistant.load()


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    ris = "ris"
    bibtex = "bibtex"
    csl_json = "csl-json"


RetrievalChoice = StrEnum("RetrievalChoice", {m.name: m.value for m in ANSWER_MODES})  # type: ignore[misc]
"""The retrieval modes a question may ask for (the answer engine's)."""


def evidence_text(ev: Evidence) -> Group | None:
    """The evidence sentences, dim, grouped by paper, each numbered and carrying its ``[n]`` marker (wrapped
    lines keep their indent); None when there are none or the refusal gate fired (no answer follows)."""
    if ev.refused or not ev.sentences:
        return None
    lines: list[RenderableType] = [Text(EVIDENCE_LABEL, style="dim bold")]
    for p, sentences in group_evidence(ev.sentences, ev.passages):
        head = ", ".join(x for x in (p.doc.short_label(), location(p)) if x) if p is not None else "?"
        lines.append(Padding(Text(head, style="dim italic"), (0, 0, 0, 2), expand=False))
        lines += [Padding(Text(f"{s.id}. {s.text.strip()} [{s.n}]", style="dim"), (0, 0, 0, 4), expand=False)
                  for s in sentences]
    return Group(*lines, Text(""))


def _stream_answer(a: Any, question: str, history: list[dict[str, str]] | None, backend: str | None,
                   k: int | None, retrieval: str | None = None) -> Answer:
    """Print the evidence as soon as it arrives, show the text live while it streams, then return the checked
    answer (the caller prints it in place of the streamed text)."""
    shown = Text()
    answer: Answer | None = None
    with Live(shown, console=console, refresh_per_second=12, transient=True) as live:
        for item in a.stream(question, history=history, backend=backend, k=k, retrieval=retrieval):
            if isinstance(item, Answer):
                answer = item
            elif isinstance(item, Evidence):
                if (ev := evidence_text(item)) is not None:
                    live.console.print(ev, highlight=False)  # printed above the live text, stays
            elif isinstance(item, str):
                shown.append(item, style="dim")
                live.update(shown)
    assert answer is not None
    return answer


def print_answer(ans: Answer) -> None:
    if ans.verdict:
        read = f" (read from the results of {escape(ans.verdict_basis.label)})" if ans.verdict_basis else ""
        console.print(f"[bold]Verdict: {escape(ans.verdict)}[/bold]{read}")
    console.print(Text(ans.answer))
    if ans.references:
        console.print("\n[bold]References[/bold]")
        for line in ans.references:
            console.print(Text(line), highlight=False)
    meta = [f"backend {ans.backend}" + (f" ({ans.model})" if ans.model else ""),
            f"first token {ans.timings.get('first_token_s', 0):.1f} s", f"total {ans.timings.get('total_s', 0):.1f} s"]
    if ans.query != ans.question:
        meta.insert(0, f"searched: {ans.query!r}")
    console.print(f"\n[dim]{escape(' · '.join(meta))}[/dim]")
    if ans.flags:
        console.print(f"[yellow]flags: {escape(', '.join(ans.flags))}[/yellow]")


def print_sources(ans: Answer | None) -> None:
    if ans is None or not ans.passages:
        console.print("[dim]no passages yet[/dim]")
        return
    cited = {c.n: c for c in ans.citations}
    for n, p in enumerate(ans.passages, 1):
        c = cited.get(n)
        status = ("[green]cited, supported[/green]" if c and c.supported else
                  "[red]cited, not supported[/red]" if c else "[dim]not cited[/dim]")
        dense = f"{p.dense_score:.2f}" if p.dense_score is not None else "–"
        console.print(f"\n[bold][{n}][/bold] {status} · cosine {dense} · {escape(p.doc.short_label())}"
                      f" · {escape(p.doc.title)}")
        loc = ", ".join(x for x in (p.chunk.section, f"p. {p.chunk.page}" if p.chunk.page else "") if x)
        if loc:
            console.print(f"    [dim]{escape(loc)} · {escape(p.chunk.chunk_id)}[/dim]")
        text = Text(p.chunk.text)
        for a, b in merge_spans(c.highlights if c else [], len(p.chunk.text)):
            text.stylize("bold yellow", a, b)  # the sentences the answer cites
        console.print(text, highlight=False)


@app.command("ask")
def ask(
    question: str = typer.Argument(..., help="The question, in quotes."),
    backend: BackendChoice = typer.Option(None, "--backend", "-b", help="Answer backend (default: RTMS_BACKEND)."),
    as_json: bool = typer.Option(False, "--json", help="Print Answer.to_dict() as JSON."),
    k: int = typer.Option(None, "--k", "-k", help="Passages given to the backend (default: RTMS_TOP_K)."),
    retrieval: RetrievalChoice = typer.Option(None, "--retrieval", "-r", help="hybrid | dense | bm25 | none "
                                              "(closed book: the model alone, no citations); default: RTMS_RETRIEVAL."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="text (streamed) | json | ris | "
                                     "bibtex | csl-json (the cited papers, for Zotero, EndNote, BibTeX)."),
) -> None:
    """Answer one question with cited passages (or refuse), then print the reference list."""
    a = _load()
    b = backend.value if backend else None
    r = retrieval.value if retrieval else None
    if fmt in (OutputFormat.ris, OutputFormat.bibtex, OutputFormat.csl_json):
        from assistant.references import answer_references, render

        print(render(answer_references(a.ask(question, backend=b, k=k, retrieval=r)), fmt.value), end="")
        return
    if as_json or fmt == OutputFormat.json:
        print(json.dumps(a.ask(question, backend=b, k=k, retrieval=r).to_dict(), indent=2, ensure_ascii=False))
        return
    print_answer(_stream_answer(a, question, None, b, k, r))


@app.command("chat")
def chat(
    backend: BackendChoice = typer.Option(None, "--backend", "-b", help="Answer backend (default: RTMS_BACKEND)."),
    k: int = typer.Option(None, "--k", "-k", help="Passages given to the backend (default: RTMS_TOP_K)."),
) -> None:
    """A terminal conversation: answers stream, follow-up questions keep their context."""
    a = _load()
    b = backend.value if backend else None
    history: list[dict[str, Any]] = []
    last: Answer | None = None
    console.print(f"[bold]rtms-assistant chat[/bold] — {CHAT_HELP}")
    while True:
        try:
            line = console.input("\n[bold cyan]you>[/bold cyan] ").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if not line:
            continue
        cmd = line.lower()
        if cmd in ("/quit", "/exit", "/q"):
            return
        if cmd == "/new":
            history, last = [], None
            console.print("[dim]new conversation[/dim]")
            continue
        if cmd == "/sources":
            print_sources(last)
            continue
        if cmd.startswith("/"):
            console.print(f"[yellow]unknown command {escape(line)}[/yellow] — {CHAT_HELP}")
            continue
        try:
            last = _stream_answer(a, line, history, b, k)
        except AssistantError as exc:
            console.print(f"[red]error:[/red] {escape(str(exc))}")
            continue
        print_answer(last)
        papers = list(dict.fromkeys(c.passage.chunk.paper_id for c in last.citations))
        history += [{"role": "user", "content": line},
                    {"role": "assistant", "content": last.answer, "paper_ids": papers}]
