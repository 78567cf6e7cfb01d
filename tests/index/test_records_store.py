"""Study records travel with the index: written beside the chunks, read back equal, merged per paper, summarised on
retrieved passages; the studies table filters them and links each cell to its source sentence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.corpus.contracts import DocumentMeta
from assistant.errors import ConfigError
from assistant.index.contracts import Chunk, IndexCounts, IndexManifest
from assistant.index.store import IndexData, IndexStore, build_faiss, load_version, record_extractors, write_version
from assistant.studies.contracts import Fact, Finding, Size, Source, StudyRecord
from assistant.studies.table import filter_studies, row_sources, study_row, to_csv

TEXT = ("Thirty-two male Sprague-Dawley rats with chronic constriction injury were randomised into four groups. "
        "Insular 10 Hz rTMS lowered TNF-α in the insula.")


def _chunk(doc_id: str = "doi:10.1/x#evidence-note") -> Chunk:
    return Chunk(chunk_id=Chunk.make_id(doc_id, "Design", None, 0, len(TEXT), TEXT), doc_id=doc_id,
                 paper_id="doi:10.1/x", ord=0, section="Design", char_start=0, char_end=len(TEXT), text=TEXT)


def _src(chunk: Chunk, quote: str, second: bool = False) -> Source:
    cut = TEXT.index("Insular")
    start, end = (cut, len(TEXT)) if second else (0, cut - 1)
    assert quote in chunk.text[start:end]
    return Source(chunk_id=chunk.chunk_id, start=start, end=end, quote=quote)


def _rat_record(chunk: Chunk) -> StudyRecord:
    return StudyRecord(
        paper_id="doi:10.1/x", doc_ids=(chunk.doc_id,), label="Hu et al. 2022", title="Insula rTMS in CCI rats",
        kind=Fact(value="animal study", source=_src(chunk, "rats")),
        species=(Fact(value="rat", source=_src(chunk, "rats")),),
        strain=(Fact(value="Sprague-Dawley", source=_src(chunk, "Sprague-Dawley")),),
        condition=(Fact(value="CCI", source=_src(chunk, "chronic constriction injury")),),
        sizes=(Size(n=32, role="animals", source=_src(chunk, "Thirty-two")),),
        findings=(Finding(marker="TNF-α", tissue="insula", direction="down",
                          source=_src(chunk, "lowered TNF-α in the insula", second=True)),),
    )


def _human_record() -> StudyRecord:
    src = Source(chunk_id="c2", start=0, end=40, quote="149 patients")
    return StudyRecord(paper_id="pmid:1", doc_ids=("pmid:1#abstract",), label="Attal et al. 2021",
                       kind=Fact(value="randomised trial", source=src),
                       species=(Fact(value="human", source=src),), sizes=(Size(n=149, role="randomised", source=src),))


def test_records_round_trip_through_a_version_folder(tmp_path: Path) -> None:
    chunk = _chunk()
    doc = DocumentMeta(doc_id=chunk.doc_id, paper_id="doi:10.1/x", kind="evidence-note", title="t")
    rec = _rat_record(chunk)
    data = IndexData([doc], [chunk], np.ones((1, 384), np.float32),
                     IndexManifest(counts=IndexCounts(documents=1, chunks=1)), records={doc.doc_id: rec})
    path = write_version(tmp_path, data, "flat")
    loaded = load_version(path)
    assert loaded.records == {doc.doc_id: rec}
    assert loaded.records[doc.doc_id].findings[0].direction == "down"
    store = IndexStore(loaded, build_faiss(loaded.vectors, "flat"), path)
    assert store.row_of(chunk.chunk_id) == 0 and store.row_of("no-such-chunk") is None
    assert store.studies["doi:10.1/x"].label == "Hu et al. 2022"


def test_the_extractor_of_stored_records_is_read_back(tmp_path: Path) -> None:
    """index status reads it to call an index stale whose records an older extractor made."""
    chunk = _chunk()
    doc = DocumentMeta(doc_id=chunk.doc_id, paper_id="doi:10.1/x", kind="evidence-note", title="t")
    old = _rat_record(chunk).model_copy(update={"extractor": 3})
    data = IndexData([doc], [chunk], np.ones((1, 384), np.float32),
                     IndexManifest(counts=IndexCounts(documents=1, chunks=1)), records={doc.doc_id: old})
    assert record_extractors(write_version(tmp_path, data, "flat") / "chunks.sqlite") == {3}


def test_badges_and_rows() -> None:
    rat = _rat_record(_chunk())
    assert rat.badge() == "rat · CCI · n = 32"
    assert _human_record().badge() == "RCT · 149 patients"
    row = study_row(rat)
    assert row["n"] == 32 and row["strain"] == "Sprague-Dawley" and row["findings"] == "TNF-α ↓ insula"
    sources = row_sources(rat)
    assert sources["n"] == sources["sizes"] and sources["findings"][0][1] > 0
    assert "Hu et al. 2022" in to_csv([rat]) and to_csv([rat]).splitlines()[0].startswith("paper_id,label")


def test_filters() -> None:
    recs = [_rat_record(_chunk()), _human_record()]
    assert [r.label for r in filter_studies(recs, species="humans")] == ["Attal et al. 2021"]
    assert [r.label for r in filter_studies(recs, species="rats")] == ["Hu et al. 2022"]
    assert [r.label for r in filter_studies(recs, kind="trial")] == ["Attal et al. 2021"]
    assert [r.label for r in filter_studies(recs, text="tnf-α")] == ["Hu et al. 2022"]
    assert len(filter_studies(recs, primary=True)) == 2
    with pytest.raises(ConfigError, match="species filter"):
        filter_studies(recs, species="dolphins")


def test_studies_table_html_links_cells_to_their_sentences() -> None:
    from assistant.web.render import studies_table_html

    chunk = _chunk()
    html = studies_table_html([_rat_record(chunk), _human_record()],
                              lambda cid, s, e: chunk.text[s:e] if cid == chunk.chunk_id else None)
    assert html.count("<tr") == 3 and 'class="human"' in html
    assert 'href="#study-src-1"' in html and 'id="study-src-1"' in html
    assert "Thirty-two male Sprague-Dawley rats" in html
    assert "(sentence not in the index)" in html  # the human record's chunk is not in this lookup
