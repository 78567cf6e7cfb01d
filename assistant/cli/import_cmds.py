"""`rtms-assistant corpus import EXPORT` and `corpus import pubmed "QUERY"`: bring your own library."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from assistant.cli.corpus_cmds import CorpusOpt, _run, _settings, corpus_app


@corpus_app.command("import")
def import_cmd(source: str = typer.Argument(..., metavar="EXPORT|pubmed",
                                            help="An RIS or BibTeX file, a Zotero 'Export Files' folder, or the "
                                                 "word pubmed followed by a query."),
               query: str | None = typer.Argument(None, metavar="[QUERY]", help="The PubMed query (with pubmed)."),
               max_hits: int = typer.Option(100, "--max", help="PubMed: at most this many hits."),
               since: int | None = typer.Option(None, "--since", help="PubMed: published in this year or later."),
               pmc: bool = typer.Option(False, "--pmc", help="PubMed: also the open-access full texts in PMC."),
               encoding: str = typer.Option("utf-8", "--encoding",
                                            help="Export: the file's text encoding (old EndNote exports: cp1252)."),
               email: str | None = typer.Option(None, "--email", help="Contact email (default: RTMS_CONTACT_EMAIL)."),
               as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
               quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
               corpus: Path | None = CorpusOpt) -> None:
    """Import a reference-manager export (Zotero, EndNote, Mendeley: RIS/BibTeX, with PDFs) or a PubMed search into
    the corpus (run `index build` afterwards)."""
    if source == "pubmed" and (query is not None or not Path(source).exists()):
        _pubmed(query or "", max_hits, since, pmc, email, as_json, quiet, corpus)
        return
    if query is not None:
        typer.secho(f"error: unexpected argument {query!r}: give one export file or folder (or `pubmed QUERY`).",
                    fg="red", err=True)
        raise typer.Exit(2)
    from assistant.corpus.library.importer import import_export

    report = _run(lambda: import_export(_settings(corpus), Path(source), encoding=encoding, progress=not quiet))
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    for p in report.problems:
        typer.echo(f"skipped: {p.line()}", err=True)
    typer.echo(report.summary())
    if report.bibliography_only:
        typer.echo(f"{len(report.bibliography_only)} PDF(s) kept their file and got a new bibliography: run "
                   "`rtms-assistant index build --rebuild` to show it (an incremental build keeps the old one).")
    elif report.written:
        typer.echo("Run `rtms-assistant index build` to index them.")


def _pubmed(query: str, max_hits: int, since: int | None, pmc: bool, email: str | None, as_json: bool,
            quiet: bool, corpus: Path | None) -> None:
    from assistant.corpus.library.pubmed import import_pubmed

    settings = _run(lambda: _settings(corpus, contact_email=email))
    report = _run(lambda: import_pubmed(settings, query, max_hits=max_hits, since=since, pmc=pmc,
                                        progress=not quiet))
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    typer.echo(report.summary())
    if report.new or report.updated:
        typer.echo("Run `rtms-assistant index build` to index them.")
