from __future__ import annotations

import os

import pytest
import yaml

from assistant.atomicio import write_bytes as atomic_write_bytes
from assistant.corpus.cache import write_with_sidecar
from assistant.corpus.manifest import Manifest, ManifestEntry, corpus_status, load_manifest, save_manifest
from assistant.errors import CorpusError

from .fetch.helpers import write_manifest

NOTE = """---
id: testwood2023-overview
title: "An invented review of magnetic stimulation and glia"
doi: "10.9999/REVIEW.2023"
pmid: null
role: review
status: confirmed
---
Body text invented for the test.
"""


def test_round_trip_keeps_unknown_fields_and_header(tmp_path) -> None:
    path = tmp_path / "manifest.yaml"
    path.write_text("# hand-written header\n# second line\nreview_doi: 10.9999/x\nentries:\n"
                    "  - {key: smith2020, role: reference, ref_no: 2, status: candidate, pmid: 123,"
                    " pmcid: '456', doi: 'https://doi.org/10.9999/ABC', volume: '7'}\n")
    m = load_manifest(path)
    e = m.entries[0]
    assert (e.pmid, e.pmcid, e.doi) == ("123", "PMC456", "10.9999/abc")
    assert e.paper_id == "doi:10.9999/abc" and e.model_extra == {"volume": "7"}
    save_manifest(m, path)
    text = path.read_text()
    assert text.startswith("# hand-written header\n# second line\n")
    assert yaml.safe_load(text)["entries"][0]["volume"] == "7"
    assert load_manifest(path) == m


@pytest.mark.parametrize("content, fragment", [
    ("entries: [\n", "not valid YAML"),
    ("- just a list\n", "expected a mapping"),
    ("entries:\n  - {key: a1, status: maybe}\n", "entries.0.status"),
    ("entries:\n  - {key: a1}\n  - {key: a1}\n", "duplicate key"),
    ("entries:\n  - {key: 'Bad Key'}\n", "entries.0.key"),
])
def test_invalid_manifest_names_file_and_place(tmp_path, content, fragment) -> None:
    path = tmp_path / "manifest.yaml"
    path.write_text(content)
    with pytest.raises(CorpusError) as info:
        load_manifest(path)
    assert str(path) in str(info.value) and fragment in str(info.value)


def test_missing_manifest_is_empty(tmp_path) -> None:
    assert load_manifest(tmp_path / "none.yaml").entries == []


def test_save_is_atomic(tmp_path, monkeypatch) -> None:
    path = tmp_path / "manifest.yaml"
    write_manifest(path)
    before = path.read_bytes()
    m = load_manifest(path)
    m.entries.append(ManifestEntry(key="new2024"))

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        save_manifest(m, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.yaml"]  # no temp file left


def test_atomic_write_cleans_up_on_error(tmp_path, monkeypatch) -> None:
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old" and len(list(tmp_path.iterdir())) == 1


def test_corpus_status_shows_what_is_local(settings) -> None:
    write_manifest(settings.manifest_path)
    settings.digest_dir.mkdir(parents=True)
    (settings.digest_dir / "testwood2023-overview.md").write_text(NOTE)
    (settings.digest_dir / "broken.md").write_text("---\nid: [unclosed\n---\nx\n")
    # an abstract cached under its PMID only still matches the entry that also has a DOI
    write_with_sidecar(settings.cache_dir / "pmid_90000013" / "abstract.xml", b"<PubmedArticleSet/>",
                       {"kind": "abstract", "pmid": "90000013", "url": "http://x"})
    # a user PDF matched by DOI through its sidecar
    write_with_sidecar(settings.user_dir / "mine.pdf", b"%PDF-1.4 fake", {"kind": "pdf", "doi": "10.9999/REF.ONE"})
    # a data file without sidecar does not count
    (settings.cache_dir / "doi_10.9999_not.cited").mkdir(parents=True)
    (settings.cache_dir / "doi_10.9999_not.cited" / "fulltext.xml").write_text("<article/>")
    rows = {r["key"]: r for r in corpus_status(settings)}
    assert rows["testwood2023"]["local"] == ["evidence-note"]
    assert rows["testwood2023"]["digest_notes"] == ["testwood2023-overview"]
    assert rows["quill2019"]["local"] == ["abstract"]
    assert rows["ashdown2020"]["local"] == ["pdf"]
    assert rows["ashdown2020"]["files"]["pdf"][0].endswith("mine.pdf")
    assert rows["ghost2015"]["local"] == ["nothing"]
    assert rows["quill2019"]["status"] == "candidate" and rows["ashdown2020"]["ref_no"] == 1


def test_manifest_entry_ids() -> None:
    e = ManifestEntry(key="x2020", doi="10.1/A", pmid="5", pmcid="PMC6")
    assert e.ids == {"doi:10.1/a", "pmid:5", "pmc:PMC6"}
    assert Manifest(entries=[e]).find({"pmid:5"}) is e
    assert ManifestEntry(key="y2020").paper_id is None
