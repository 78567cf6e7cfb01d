"""`rtms-assistant studies` over an index built from invented notes: one record per paper, read from the notes'
sentences, filterable, as JSON (every value with its quote) and CSV; an incremental build re-extracts only the
document that changed."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from assistant.index.builder import build_index
from assistant.index.store import IndexStore
from tests.cli.test_index_cmds import CLI, env_for, settings_for, template  # noqa: F401 - the shared fixture


@pytest.fixture(scope="module")
def built(template: Path) -> Path:  # noqa: F811 - the imported fixture
    """The small corpus's index of the index-command tests (read only here)."""
    return template


def _run(root: Path, *args: str) -> str:
    p = subprocess.run([CLI, "studies", *args], env=env_for(root), capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_json_lists_every_paper_with_quotes_inside_their_sentences(built: Path) -> None:
    rows = json.loads(_run(built, "--json"))
    store = IndexStore.open(settings_for(built))
    assert len(rows) == len({d.paper_id for d in store.docs.values()})
    text_of = {c.chunk_id: c.text for c in store.chunks}
    by_label = {r["label"]: r for r in rows}
    trial = next(r for r in rows if "Forty patients" in json.dumps(r["record"], ensure_ascii=False))
    assert trial["n"] == 40 and "sham" in trial["control"] and trial["species"] == "human"
    rat = next(r for r in rows if "IL-1β ↓" in r["findings"])
    assert "rat" in rat["species"] and "10 Hz" in rat["frequency"]
    for r in by_label.values():
        rec = r["record"]
        for key in ("species", "sizes", "control", "findings"):
            for v in rec[key]:
                src = v["source"]
                assert src["quote"] in text_of[src["chunk_id"]][src["start"]:src["end"]]


def test_filters_and_csv(built: Path) -> None:
    humans = list(csv.DictReader(io.StringIO(_run(built, "--species", "human", "--csv"))))
    assert humans and all(r["species"] == "human" for r in humans)
    rats = json.loads(_run(built, "--species", "rat", "--json"))
    assert rats and all("rat" in r["species"] for r in rats)
    assert {r["paper_id"] for r in rats}.isdisjoint(r["paper_id"] for r in humans)
    table = _run(built)
    assert "paper(s)" in table


def test_unknown_species_is_a_clear_message(built: Path) -> None:
    p = subprocess.run([CLI, "studies", "--species", "dolphins"], env=env_for(built), capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 2 and "species filter 'dolphins'" in p.stderr and "Traceback" not in p.stderr


def test_incremental_build_reuses_unchanged_records(built: Path, tmp_path: Path, embedder) -> None:
    root = tmp_path / "copy"
    shutil.copytree(built, root)
    s = settings_for(root)
    before = IndexStore.open(s).data.records
    note = root / "corpus" / "digest" / "beta2019.md"
    note.write_text(note.read_text(encoding="utf-8").replace("Forty patients", "Fifty patients"), encoding="utf-8")
    build_index(s, progress=False, embedder=embedder)
    after = IndexStore.open(s).data.records
    assert set(after) == set(before)
    changed = [d for d in after if after[d] != before[d]]
    assert len(changed) == 1 and changed[0].startswith("doi:10.9999/beta.2019")
    assert any(sz.n == 50 for sz in after[changed[0]].sizes)
