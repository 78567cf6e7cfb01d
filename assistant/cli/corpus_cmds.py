"""`rtms-assistant corpus list|sync|add`: the manifest, the literature fetcher and user PDFs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from assistant.cli import app
from assistant.errors import AssistantError
from assistant.settings import Settings

corpus_app = typer.Typer(help="The review and its references: list, fetch (sync), add PDFs, export references.",
                         no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")

T = TypeVar("T")
SHOW = {"full-text": "full text", "evidence-note": "note", "pdf": "PDF", "nothing": "-"}
CorpusOpt = typer.Option(None, "--corpus", help="Corpus folder (default: RTMS_CORPUS_DIR or ./corpus).")


def _settings(corpus: Path | None, **extra: Any) -> Settings:
    overrides = {k: v for k, v in {"corpus_dir": corpus, **extra}.items() if v is not None}
    return Settings(**overrides)


def _run(fn: Callable[[], T]) -> T:
    """Turn an AssistantError into one red line and exit code 2 (also under typer's CliRunner)."""
    try:
        return fn()
    except AssistantError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None



@corpus_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="Print a JSON list instead of a table."),
             corpus: Path | None = CorpusOpt) -> None:
    """Show the manifest's papers and what is present locally for each."""
    from assistant.corpus.manifest import corpus_status

    rows = _run(lambda: corpus_status(_settings(corpus)))
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    console = Console()
    cells = [["rev" if r["role"] == "review" else str(r.get("ref_no") or "-"),
              r["key"] + ("" if r.get("identifier") else " ⚠no-id"), r["status"],
              r.get("title") or "", ", ".join(SHOW.get(k, k) for k in r["local"])] for r in rows]
    cols = ("ref", "key", "status", "title", "local")
    t = cols.index("title")
    widths = [max([len(col)] + [len(c[i]) for c in cells]) for i, col in enumerate(cols)]
    room = max(12, console.width - (sum(widths) - widths[t]) - 3 * len(cols) - 1)
    missing = sum(1 for r in rows if not r.get("identifier"))
    table = Table(title=f"corpus: {len(rows)} papers", caption=(
        f"⚠no-id: {missing} paper(s) without DOI, PMID, PMCID or article URL" if missing else None))
    for i, col in enumerate(cols):
        table.add_column(col, no_wrap=True, min_width=min(widths[i], room) if i == t else widths[i])
    for c in cells:
        c[t] = c[t] if len(c[t]) <= room else c[t][: room - 1] + "…"
        table.add_row(*(Text(x) for x in c))  # titles are data, never rich markup
    console.print(table)


@corpus_app.command("sync")
def sync_cmd(pdfs: bool | None = typer.Option(None, "--pdfs/--no-pdfs",
                                              help="Also fetch open-access PDFs (default: RTMS_FETCH_PDFS)."),
             refresh: bool = typer.Option(False, "--refresh",
                                          help="Re-read the reference list and retry what was unavailable."),
             no_refs: bool = typer.Option(False, "--no-refs", help="Do not update the manifest's reference list."),
             email: str | None = typer.Option(None, "--email", help="Contact email (default: RTMS_CONTACT_EMAIL)."),
             quiet: bool = typer.Option(False, "--quiet", help="No progress bars."),
             verbose: bool = typer.Option(False, "--verbose", "-v", help="Also list what was unavailable and why."),
             corpus: Path | None = CorpusOpt) -> None:
    """Fetch the review's reference list, full texts and abstracts (needs internet; resumable)."""
    from assistant.corpus.fetch.summary import render_summary
    from assistant.corpus.fetch.sync import run_sync

    settings = _run(lambda: _settings(corpus, contact_email=email))
    report = _run(lambda: run_sync(settings, fetch_pdfs_too=pdfs, refresh=refresh,
                                   update_references=not no_refs, progress=not quiet))
    Console().print(render_summary(report, verbose=verbose))


@corpus_app.command("add")
def add_cmd(pdf: Path = typer.Argument(..., help="The PDF to add."),
            doi: str | None = typer.Option(None, "--doi", help="The paper's DOI (looked up on Crossref if online)."),
            offline: bool = typer.Option(False, "--offline", help="Do not look the DOI up; use the PDF's metadata."),
            corpus: Path | None = CorpusOpt) -> None:
    """Validate a PDF you have and copy it into corpus/user/ (run `index build` afterwards)."""
    from assistant.corpus.add import add_pdf

    res = _run(lambda: add_pdf(_settings(corpus), pdf, doi, online=not offline))
    m = res.meta
    if res.already_present:
        typer.echo(f"already in the corpus: {res.path}")
        return
    typer.echo(f"added {res.path}")
    typer.echo(f"  title: {m.get('title') or '?'} ({m.get('metadata_source')} metadata)")
    typer.echo(f"  doi: {m.get('doi') or '-'}   sha256: {m['sha256'][:16]}…")
    typer.echo("Run `rtms-assistant index build` to index it.")


@corpus_app.command("export")
def export_cmd(fmt: str = typer.Option("ris", "--format", "-f", help="ris | bibtex | csl-json."),
               out: Path | None = typer.Option(None, "--out", "-o", help="Write to this file (default: stdout)."),
               corpus: Path | None = CorpusOpt) -> None:
    """Export the manifest's papers (the review and its references) for Zotero, EndNote or BibTeX."""
    from assistant.corpus.manifest import corpus_status
    from assistant.references import FORMATS, corpus_references, render

    if fmt not in FORMATS:
        typer.secho(f"error: unknown format {fmt!r}: use {' | '.join(FORMATS)}.", fg="red", err=True)
        raise typer.Exit(2)
    rows = _run(lambda: corpus_status(_settings(corpus)))
    text = render(corpus_references(rows), fmt)
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {len(rows)} references to {out}", err=True)
