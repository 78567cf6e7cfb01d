"""`index build`, `index status` and `search`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from assistant.api import Assistant
from assistant.cli import app
from assistant.settings import Settings

index_app = typer.Typer(help="Build and inspect the search index.", no_args_is_help=True)
app.add_typer(index_app, name="index")
console = Console()


def _settings(corpus: Path | None = None) -> Settings:
    return Settings(corpus_dir=corpus) if corpus else Settings()


@index_app.command("build")
def index_build(
    corpus: Path | None = typer.Option(None, help="Corpus folder (default: RTMS_CORPUS_DIR or ./corpus)."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Re-read and re-embed every document."),
    if_stale: bool = typer.Option(False, "--if-stale", help="Do nothing when the index is up to date."),
    wait: float = typer.Option(0.0, "--wait", help="Seconds to wait for another running build to finish "
                                                  "(default: fail at once with a message)."),
) -> None:
    """Read, chunk and embed the corpus into index/ (incremental; one build at a time per index folder)."""
    a = Assistant(_settings(corpus))
    if if_stale and not rebuild:
        st = a.status()
        if not st.stale:
            console.print(f"index up to date: {st.documents} documents, {st.chunks} chunks")
            return
    s = a.build_index(rebuild=rebuild, lock_wait_s=wait)
    if s.damaged_previous:
        console.print(f"[yellow]the previous index was {escape(s.damaged_previous)}[/yellow]: rebuilt every document",
                      highlight=False)
    console.print(f"indexed {s.documents} documents, {s.chunks} chunks in {s.seconds:.1f} s "
                  f"(embedded {s.embedded_documents} documents / {s.embedded_chunks} chunks, "
                  f"reused {s.reused_documents}, removed {s.removed_documents}, skipped {len(s.skipped)})")
    for f, reason in s.skipped:
        console.print(f"  [yellow]skipped[/yellow] {escape(f)}: {escape(reason)}", highlight=False)
    if s.flagged_chunks:
        console.print(f"  [yellow]{s.flagged_chunks} passage(s) hold instruction-like text[/yellow] (never used as "
                      "evidence): see `rtms-assistant index status`", highlight=False)


@index_app.command("status")
def index_status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """What is indexed, with which settings, and whether it is stale."""
    st = Assistant(Settings()).status()
    if as_json:
        print(json.dumps(st.to_dict(), indent=2, default=str))
        return
    if not st.exists:
        console.print(f"no index in {escape(st.index_dir)}: run `rtms-assistant index build`")
        raise typer.Exit(1)
    if st.damaged:
        console.print(f"index {escape(str(st.path))}\n  [red]{escape(st.damaged)}[/red]", highlight=False)
        raise typer.Exit(1)
    console.print(f"index {escape(str(st.path))}\n  built {st.built_at}: {st.documents} documents, {st.chunks} chunks")
    console.print(f"  settings: {escape(json.dumps(st.index_params))}")
    if st.stale:
        console.print("  [yellow]stale[/yellow]: " + escape("; ".join(st.reasons))
                      + " — run `rtms-assistant index build`")
    else:
        console.print("  [green]up to date[/green]")
    for name, reason in (st.skipped or {}).items():
        console.print(f"  [yellow]skipped[/yellow] {escape(name)}: {escape(reason)}", highlight=False)
    flagged = st.instruction_like
    if flagged:
        console.print(f"  [yellow]{len(flagged)} passage(s) hold instruction-like text[/yellow] and are never used as "
                      "evidence, support or fallback:", highlight=False)
        for f in flagged:
            console.print(f"    {f.source} — {f.section or 'text'} ({f.chunk_id}): {f.excerpt}",
                          highlight=False, markup=False)


@app.command("search")
def search(
    query: str = typer.Argument(..., help="What to look for."),
    k: int = typer.Option(5, "--k", "-k", help="Number of passages."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
    mode: str = typer.Option(None, help="hybrid | dense | bm25 (default: RTMS_RETRIEVAL)."),
    kind: list[str] = typer.Option(None, help="Only these document kinds (full-text, abstract, evidence-note, pdf)."),
    year_from: int = typer.Option(None, help="Only documents published in or after this year."),
    year_to: int = typer.Option(None, help="Only documents published in or before this year."),
) -> None:
    """Ranked passages with score, bibliography, section, page and text."""
    a = Assistant.load()
    yr = (year_from or 0, year_to or 9999) if (year_from or year_to) else None
    passages = a.search(query, k=k, mode=mode, year_range=yr, kinds=kind or None)
    if as_json:
        print(json.dumps([p.to_dict() for p in passages], indent=2, ensure_ascii=False))
        return
    if not passages:
        console.print("no passages found")
        return
    table = Table(show_lines=True)
    for col in ("#", "score", "source", "section / page", "text"):
        table.add_column(col, overflow="fold")
    for p in passages:
        doc, chunk = p.doc, p.chunk
        ident = f"doi:{doc.doi}" if doc.doi else (f"PMID {doc.pmid}" if doc.pmid else doc.doc_id)
        badge = f" · {p.study.badge}" if p.study is not None and p.study.badge else ""
        src = f"{doc.short_label()}\n{doc.title}\n{ident}\n[{doc.kind}{badge}]"
        loc = chunk.section + (f"\np. {chunk.page}" if chunk.page else "")
        table.add_row(str(p.rank), f"{p.score:.4f}\ncos {p.dense_score:.2f}", Text(src), Text(loc), Text(chunk.text))
    console.print(table)
