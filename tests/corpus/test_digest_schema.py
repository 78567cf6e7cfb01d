"""Evidence notes in corpus/digest and corpus/manifest.yaml follow the shared format."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.corpus.contracts import make_paper_id, normalise_doi
from assistant.corpus.notes import (
    MAX_BODY_WORDS,
    MIN_BODY_WORDS,
    body_word_count,
    load_note,
    load_notes,
)
from assistant.errors import CorpusError

ROOT = Path(__file__).resolve().parents[2]
DIGEST = ROOT / "corpus" / "digest"
MANIFEST = ROOT / "corpus" / "manifest.yaml"


def _manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def _note_files() -> list[Path]:
    return sorted(DIGEST.glob("*.md"))


# ---------------------------------------------------------------- real notes


@pytest.mark.parametrize("path", _note_files(), ids=lambda p: p.stem)
def test_every_note_validates(path: Path) -> None:
    front, body = load_note(path)
    assert front.id == path.stem
    assert MIN_BODY_WORDS <= body_word_count(body) <= MAX_BODY_WORDS


def test_digest_is_not_empty_and_ids_unique() -> None:
    notes = load_notes(DIGEST)
    assert notes, "corpus/digest holds no notes"
    ids = [f.id for f, _ in notes]
    assert len(ids) == len(set(ids))


def _paper_key(doi: str | None, pmid: object, pmcid: str | None, title: str) -> str:
    """make_paper_id when the paper has an identifier; papers without any (some Chinese-language
    articles) are matched on their exact title."""
    if doi or pmid or pmcid:
        return make_paper_id(doi, str(pmid) if pmid else None, pmcid)
    return "title:" + " ".join(title.lower().split())


def test_every_note_paper_is_in_manifest() -> None:
    entries = _manifest()["entries"]
    dois = {normalise_doi(e.get("doi")) for e in entries if e.get("doi")}
    pmids = {str(e["pmid"]) for e in entries if e.get("pmid")}
    titles = {" ".join(e["title"].lower().split()) for e in entries}
    missing = []
    for front, _ in load_notes(DIGEST):
        if front.doi is None and front.pmid is None:
            if " ".join(front.title.lower().split()) not in titles:
                missing.append(f"{front.id}: no DOI/PMID and title not in manifest")
        elif not ((front.doi and normalise_doi(front.doi) in dois) or (front.pmid and front.pmid in pmids)):
            missing.append(f"{front.id}: doi={front.doi} pmid={front.pmid}")
    assert not missing, missing


def test_manifest_shape_and_keys() -> None:
    data = _manifest()
    assert data["review_doi"] == "10.3389/fimmu.2023.1172293"
    entries = data["entries"]
    assert len(entries) == 41  # 39 + two peripheral-nerve candidates (issue 13, item 6)
    keys = [e["key"] for e in entries]
    assert len(keys) == len(set(keys))
    reviews = [e for e in entries if e["role"] == "review"]
    assert len(reviews) == 1 and reviews[0]["status"] == "confirmed"
    for e in entries:
        assert e["role"] in ("review", "reference")
        assert e["status"] in ("confirmed", "candidate")
        assert isinstance(e["notes"], list)
    confirmed_refs = sorted(e["ref_no"] for e in entries if e["role"] == "reference" and e["status"] == "confirmed")
    assert confirmed_refs == [1, 2, 3, 4, 5]


def test_manifest_notes_match_digest() -> None:
    """Each manifest `notes` id exists as a note about that paper, and every note is listed once."""
    by_id = {f.id: f for f, _ in load_notes(DIGEST)}
    listed: dict[str, str] = {}
    for e in _manifest()["entries"]:
        for note_id in e["notes"]:
            assert note_id in by_id, f"manifest entry {e['key']} lists missing note {note_id}"
            assert note_id not in listed, f"note {note_id} listed under {listed[note_id]} and {e['key']}"
            listed[note_id] = e["key"]
            front = by_id[note_id]
            assert _paper_key(front.doi, front.pmid, front.pmcid, front.title) == _paper_key(
                e.get("doi"), e.get("pmid"), e.get("pmcid"), e["title"]
            ), f"note {note_id} is about another paper than manifest entry {e['key']}"
    assert set(listed) == set(by_id), f"notes not listed in the manifest: {sorted(set(by_id) - set(listed))}"


# ---------------------------------------------------------------- negative cases (invented content)

_GOOD_FRONT = {
    "id": "doe2020-test",
    "title": "An invented study of magnetic stimulation in an invented model",
    "authors": ["Doe J", "Roe R"],
    "year": 2020,
    "journal": "J Invented Res",
    "doi": "10.9999/invented.2020.001",
    "pmid": "11111111",
    "pmcid": None,
    "license": None,
    "role": "reference",
    "ref_no": None,
    "status": "candidate",
    "study_type": "animal study",
    "topic": None,
    "species": "rat",
    "pain_model": "invented nerve lesion",
    "stimulation": {"target": "M1", "frequency": "10 Hz", "intensity": None, "sessions": "5 days", "duration": None},
    "tissues": ["spinal cord"],
    "markers": [{"marker": "IL-6", "tissue": "spinal cord", "change": "down"}],
    "outcome": "Invented outcome for a schema test.",
    "read_from": ["https://example.org/invented"],
}
_GOOD_BODY = " ".join(["Invented"] + ["sentence"] * 99)


def _write(tmp_path: Path, front: dict, body: str = _GOOD_BODY, stem: str | None = None) -> Path:
    path = tmp_path / f"{stem or front.get('id', 'note')}.md"
    text = "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n" + body + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_invented_note_loads(tmp_path: Path) -> None:
    front, body = load_note(_write(tmp_path, dict(_GOOD_FRONT)))
    assert front.markers[0].change == "down"
    assert front.stimulation is not None and front.stimulation.frequency == "10 Hz"
    assert body_word_count(body) == 100


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("role", "primary"),
        ("status", "maybe"),
        ("study_type", "anecdote"),
        ("read_from", []),
        ("read_from", ["ftp://example.org/x"]),
        ("pmid", "PM123"),
        ("doi", "https://doi.org/10.9999/x"),
        ("year", "recent"),
        ("unexpected_field", 1),
    ],
)
def test_bad_field_is_named(tmp_path: Path, field: str, value: object) -> None:
    front = dict(_GOOD_FRONT, **{field: value})
    with pytest.raises(CorpusError) as err:
        load_note(_write(tmp_path, front))
    msg = str(err.value)
    assert "doe2020-test.md" in msg
    assert f"'{field}" in msg


def test_bad_marker_change_is_named(tmp_path: Path) -> None:
    front = dict(_GOOD_FRONT, markers=[{"marker": "IL-6", "tissue": "blood", "change": "sideways"}])
    with pytest.raises(CorpusError, match=r"markers\.0\.change"):
        load_note(_write(tmp_path, front))


def test_missing_required_field_is_named(tmp_path: Path) -> None:
    front = {k: v for k, v in _GOOD_FRONT.items() if k != "outcome"}
    with pytest.raises(CorpusError, match="'outcome'"):
        load_note(_write(tmp_path, front))


def test_id_must_equal_file_stem(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="'id'.*other-name"):
        load_note(_write(tmp_path, dict(_GOOD_FRONT), stem="other-name"))


def test_id_charset(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="'id'"):
        load_note(_write(tmp_path, dict(_GOOD_FRONT, id="Doe_2020")))


@pytest.mark.parametrize("words", [MIN_BODY_WORDS - 1, MAX_BODY_WORDS + 1])
def test_body_length_bounds(tmp_path: Path, words: int) -> None:
    with pytest.raises(CorpusError, match="'body'"):
        load_note(_write(tmp_path, dict(_GOOD_FRONT), body=" ".join(["w"] * words)))


def test_body_headings_not_counted(tmp_path: Path) -> None:
    body = "## Heading words here\n" + " ".join(["w"] * MIN_BODY_WORDS)
    _, got = load_note(_write(tmp_path, dict(_GOOD_FRONT), body=body))
    assert body_word_count(got) == MIN_BODY_WORDS


def test_missing_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "plain.md"
    path.write_text(_GOOD_BODY, encoding="utf-8")
    with pytest.raises(CorpusError, match="plain.md.*front matter"):
        load_note(path)


def test_copied_note_with_stale_id_rejected(tmp_path: Path) -> None:
    # a note copied to a new file name but keeping the old id would duplicate that id: the id/stem
    # check catches it and names the file and the field
    _write(tmp_path, dict(_GOOD_FRONT))
    _write(tmp_path, dict(_GOOD_FRONT), stem="copy")
    with pytest.raises(CorpusError, match="copy.md.*'id'"):
        load_notes(tmp_path)


def test_missing_digest_dir(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="not found"):
        load_notes(tmp_path / "nope")
