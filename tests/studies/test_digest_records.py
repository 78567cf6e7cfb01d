"""The default corpus's evidence notes: a record for every note, every value found in its chunk's sentence.

The notes are read and chunked as the index builder does (``_read_file``'s reader, ``Chunker`` with the
embedder's word-piece counter and the default chunk sizes), so the chunk ids and sentences are the indexed ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.corpus.markers import canonical_marker
from assistant.corpus.readers import read_documents
from assistant.index.chunking import Chunker
from assistant.index.contracts import Chunk
from assistant.settings import PROJECT_ROOT, Settings
from assistant.studies.contracts import SECONDARY_KINDS, StudyRecord
from assistant.studies.extract import extract_record
from tests.studies.helpers import assert_sources, values

DIGEST = PROJECT_ROOT / "corpus" / "digest"
PRIMARY_TYPES = {"clinical trial", "animal study", "observational study", "cell study"}
DESIGN_UNSTATED = {"abdelkader2019-dnp-nerve-conduction"}
"""Primary-study notes whose body never names the design (no trial, sham, placebo or control word): no kind is
recorded until the note says it."""


@pytest.fixture(scope="module")
def notes(embedder) -> list[tuple[dict, StudyRecord, list[Chunk]]]:  # type: ignore[no-untyped-def]
    s = Settings()
    chunker = Chunker(embedder.count_tokens, s.chunk_tokens, s.chunk_overlap_tokens)
    out = []
    for path in sorted(DIGEST.glob("*.md")):
        [doc] = read_documents(Path(path))
        chunks = chunker.chunk_document(doc)
        out.append((doc.extra, extract_record(doc.meta(), chunks), chunks))
    return out


def test_every_note_has_a_record_whose_values_are_in_their_sentences(notes) -> None:  # type: ignore[no-untyped-def]
    assert len(notes) == len(list(DIGEST.glob("*.md"))) >= 40
    total = 0
    for _front, rec, chunks in notes:
        assert rec.paper_id == chunks[0].paper_id and rec.doc_ids == (chunks[0].doc_id,)
        assert_sources(rec, chunks)
        total += len(rec.facts())
    assert total > 500


def test_primary_studies_have_kind_population_and_the_front_matter_species(notes) -> None:  # type: ignore[no-untyped-def]
    for front, rec, _ in notes:
        if front["study_type"] not in PRIMARY_TYPES:
            continue
        if front["id"] in DESIGN_UNSTATED:
            assert rec.kind is None, f"{front['id']} now has a kind: drop it from DESIGN_UNSTATED"
        else:
            assert rec.kind is not None and rec.kind_value not in SECONDARY_KINDS, front["id"]
        assert rec.species, front["id"]
        if front.get("species") in ("human", "rat"):
            assert front["species"] in values(rec.species), front["id"]
        if front["study_type"] == "animal study":
            assert rec.kind_value == "animal study" and rec.is_animal and not rec.is_human, front["id"]


def test_front_matter_markers_keep_their_direction(notes) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for front, rec, _ in notes:
        expected = {(canonical_marker(m["marker"]), m["change"]) for m in front.get("markers") or []}
        for f in rec.findings:
            if any(f.marker == name for name, _ in expected):
                assert (f.marker, f.direction) in expected, (front["id"], f)
                checked += 1
    assert checked >= 20


def test_a_known_trial_and_a_known_animal_study(notes) -> None:  # type: ignore[no-untyped-def]
    by_id = {front["id"]: rec for front, rec, _ in notes}
    attal = by_id["attal2021-m1-dlpfc-trial"]
    assert attal.kind_value == "randomised trial"
    assert {"double-blind", "sham-controlled", "multicentre"} <= set(values(attal.design))
    assert {(s.n, s.role) for s in attal.sizes} >= {(149, "treated")}
    assert "10 Hz" in values(attal.stimulation.frequency) and "3000 pulses" in values(attal.stimulation.pulses)
    hu = by_id["hu2022-cci-insula"]
    assert hu.badge() == "rat · CCI · n = 32"
    assert {(f.marker, f.direction) for f in hu.findings} >= {("TNF-α", "down"), ("IL-1β", "down")}
    assert "one week after surgery" in values(hu.stimulation.start)
