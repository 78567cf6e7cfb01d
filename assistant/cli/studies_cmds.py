"""`studies`: one row per indexed paper from its study record (kind, population, size, control, protocol,
findings), as a rich table, CSV or JSON (JSON carries every value with the sentence it came from)."""

from __future__ import annotations

import json
import sys

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assistant.api import Assistant
from assistant.cli import app
from assistant.settings import Settings
from assistant.studies.table import studies_json, study_row, to_csv


@app.command("studies")
def studies(
    species: str | None = typer.Option(None, "--species", help="human, animal, rat, mouse or 'in vitro'."),
    kind: str | None = typer.Option(None, "--kind", help='Kind of study (contained match): trial, "animal", review.'),
    primary: bool = typer.Option(False, "--primary", help="Primary studies only (no reviews, guidelines, maps)."),
    text: str | None = typer.Option(None, "--text", help="Free text matched against titles and recorded values."),
    as_csv: bool = typer.Option(False, "--csv", help="Print CSV instead of a table."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: every value with its source sentence."),
) -> None:
    """The study records of the indexed papers: who was studied, how, how many, what changed."""
    records = Assistant(Settings()).studies(species=species, kind=kind, primary=True if primary else None,
                                            text=text)
    if as_json:
        json.dump(studies_json(records), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    if as_csv:
        sys.stdout.write(to_csv(records))
        return
    console = Console()
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
    for name, ratio in (("Study", 2), ("Evidence", 2), ("Population", 2), ("Control", 1), ("Protocol", 2),
                        ("Findings", 3)):
        table.add_column(name, ratio=ratio, overflow="fold")
    for rec in records:
        row = study_row(rec)
        population = "; ".join(x for x in (row["species"], row["strain"], row["sex"], row["condition"]) if x)
        protocol = "; ".join(x for x in (row["target"], row["frequency"], row["intensity"], row["sessions"]) if x)
        control = "; ".join(x for x in (row["control"], row["blinding"]) if x)
        table.add_row(*(escape(x or "-") for x in (row["label"], row["badge"] or row["kind"], population, control,
                                                    protocol, row["findings"])))
    table.caption = f"{len(records)} paper(s); --json gives every value with the sentence it came from"
    console.print(table)
