"""`evidence`: the marker evidence table from the evidence notes, as a rich table or CSV."""

from __future__ import annotations

import csv
import json
import sys
from typing import Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assistant.api import Assistant
from assistant.cli import app
from assistant.corpus.evidence import Conflict, conflict_rows, normalise_change, to_csv
from assistant.errors import CorpusError
from assistant.settings import Settings

_CHANGE_STYLE = {"up": "red", "down": "green", "unchanged": "dim"}


def _join(*parts: str, sep: str = ", ") -> str:
    return sep.join(p for p in parts if p)


def _render(rows: list[dict[str, Any]], console: Console) -> None:
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
    wide = console.width >= 120
    table.add_column("Note", no_wrap=wide, overflow="fold", max_width=None if wide else 20)
    table.add_column("Study", ratio=1, min_width=8)
    table.add_column("Pain model", ratio=2, min_width=12)
    table.add_column("Stimulation", ratio=2, min_width=12)
    table.add_column("Marker", no_wrap=True)
    table.add_column("Tissue", min_width=6)
    table.add_column("Change", no_wrap=True, min_width=6)
    for r in rows:
        change = r["change"]
        table.add_row(
            escape(r["note_id"]),
            escape(_join(r["study_type"], r["species"])),
            escape(r["pain_model"]),
            escape(_join(r["target"], r["frequency"], sep="; ")),
            escape(r["marker"] or "-"),
            escape(r["tissue"] or "-"),
            f"[{_CHANGE_STYLE[change]}]{change}[/]" if change in _CHANGE_STYLE else "-",
        )
    notes = len({r["note_id"] for r in rows})
    table.caption = f"{len(rows)} row(s) from {notes} note(s); --csv adds authors, year, title, DOI, PMID"
    console.print(table)


def _render_conflicts(conflicts: list[Conflict], console: Console) -> None:
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, show_lines=True)
    table.add_column("Marker", no_wrap=True)
    table.add_column("Tissue group", min_width=8)
    changes = [c for c in ("up", "down", "unchanged") if any(c in x.sides for x in conflicts)]
    for change in changes:
        table.add_column(f"[{_CHANGE_STYLE[change]}]{change}[/]", ratio=1, min_width=12)
    for c in conflicts:
        cells = [escape("\n".join(f"{s.label} ({'; '.join(s.tissues)})" for s in c.sides.get(ch, [])) or "-")
                 for ch in changes]
        table.add_row(escape(c.marker), escape(c.tissue_group), *cells)
    table.caption = f"{len(conflicts)} marker x tissue-group pair(s) with directions that differ between studies"
    console.print(table)


@app.command("evidence")
def evidence(
    marker: str | None = typer.Option(None, "--marker", help="Marker, any spelling: TNF-α, TNF-alpha, IL1B, Iba-1 ..."),
    tissue: str | None = typer.Option(None, "--tissue", help='Tissue, e.g. "spinal cord", brain, DRG, blood.'),
    change: str | None = typer.Option(None, "--change", help="Direction after rTMS: up, down or unchanged."),
    study_type: str | None = typer.Option(None, "--study-type",
                                          help='Study type (contained match): "animal study", review ...'),
    as_csv: bool = typer.Option(False, "--csv", help="Print CSV instead of a table."),
    conflicts: bool = typer.Option(False, "--conflicts",
                                   help="Only marker x tissue-group pairs whose direction differs between studies."),
    as_json: bool = typer.Option(False, "--json", help="With --conflicts: print the conflicts as JSON."),
) -> None:
    """Markers reported in the evidence notes, with direction of change, tissue and study details."""
    if change is not None:
        try:
            change = normalise_change(change)
        except CorpusError as exc:
            raise typer.BadParameter(str(exc), param_hint="--change") from None
    if conflicts:
        found = Assistant(Settings()).evidence(marker=marker, tissue=tissue, conflicts=True)
        if as_json:
            sys.stdout.write(json.dumps([c.to_dict() for c in found], ensure_ascii=False, indent=2) + "\n")
        elif as_csv:
            _write_conflict_csv(conflict_rows(found))
        elif not found:
            Console().print("no conflicting directions among these notes")
        else:
            _render_conflicts(found, Console())
        return
    rows = Assistant(Settings()).evidence(marker=marker, tissue=tissue, change=change, study_type=study_type)
    if as_csv:
        sys.stdout.write(to_csv(rows))
        return
    console = Console()
    if not rows:
        console.print("no evidence rows match these filters (try another marker spelling or fewer filters)")
        return
    _render(rows, console)


def _write_conflict_csv(rows: list[dict[str, Any]]) -> None:
    cols = ["marker", "tissue_group", "change", "study", "tissue", "study_type", "doi", "pmid", "note_id"]
    writer = csv.DictWriter(sys.stdout, fieldnames=cols, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
