"""Shared fixtures: the real MiniLM embedder (loaded once per session) and small corpora written by tests."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def embedder():
    from assistant.index.embedding import Embedder

    return Embedder()


def write_note(folder: Path, note_id: str, title: str, body: str, *, doi: str | None = None,
               pmid: str | None = None, year: int = 2020, authors: list[str] | None = None,
               markers: list[dict] | None = None) -> Path:
    """A minimal evidence note in the project's format (invented content)."""
    import yaml

    fm = {
        "id": note_id, "title": title, "authors": authors or ["Testa AB", "Probe CD"], "year": year,
        "journal": "J Invented Res", "doi": doi, "pmid": pmid, "pmcid": None, "license": None,
        "role": "reference", "ref_no": None, "status": "candidate", "study_type": "animal study",
        "topic": None, "species": "rat", "pain_model": "CCI", "stimulation": None, "tissues": [],
        "markers": markers or [], "outcome": "invented", "read_from": ["https://example.org/x"],
    }
    path = folder / f"{note_id}.md"
    path.write_text("---\n" + yaml.safe_dump(fm, allow_unicode=True, sort_keys=False) + "---\n"
                    + textwrap.dedent(body).strip() + "\n", encoding="utf-8")
    return path


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """Four invented notes: one about IL-1β in the spinal cord, three distractors."""
    return write_small_corpus(tmp_path)


def write_small_corpus(root: Path) -> Path:
    """The four notes of ``small_corpus`` under ``root/corpus/digest``; returns ``root/corpus``."""
    digest = root / "corpus" / "digest"
    digest.mkdir(parents=True)
    write_note(digest, "alpha2020", "Cortical stimulation and spinal interleukin signalling in nerve-injured rats",
               """Rats with a constricted sciatic nerve received 10 Hz stimulation over the motor cortex for
               fourteen days. Spinal cord levels of IL-1β fell by about forty percent compared with sham animals.
               Mechanical withdrawal thresholds rose after the second week.""", doi="10.9999/alpha.2020")
    write_note(digest, "beta2019", "Motor cortex stimulation in people with central pain",
               """Forty patients with pain after stroke were randomised to active or sham sessions.
               Pain scores dropped by two points on a ten-point scale at one month in the active group.
               No serious adverse events occurred.""", doi="10.9999/beta.2019", year=2019)
    write_note(digest, "gamma2021", "Astrocyte activation in the dorsal horn after nerve ligation",
               """Spared nerve injury in mice raised GFAP staining in the dorsal horn within a week.
               Blocking astrocyte gap junctions reduced allodynia. The study used no brain stimulation.""",
               pmid="11111111", year=2021)
    write_note(digest, "delta2018", "Sleep quality in chronic pain clinics",
               """A survey of 300 clinic attendees found poor sleep in two thirds.
               Sleep problems were linked to higher anxiety scores and to opioid use.""",
               doi="10.9999/delta.2018", year=2018)
    return root / "corpus"
