"""Issue 13: every note is citable (identifier, real title), findings are kept apart from commentary,
markers in findings are structured, and conflicting directions between studies are surfaced."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from assistant.answer.contracts import Citation
from assistant.corpus.evidence import conflict_rows, evidence_conflicts, find_conflicts, tissue_group
from assistant.corpus.manifest import ManifestEntry, entry_identifier, load_manifest
from assistant.corpus.markers import CANONICAL_MARKERS, marker_key
from assistant.corpus.notes import commentary_in, load_note, load_notes
from assistant.corpus.readers.markdown import read_markdown
from assistant.errors import CorpusError
from assistant.index.contracts import Chunk, Passage

ROOT = Path(__file__).resolve().parents[2]
DIGEST = ROOT / "corpus" / "digest"
NOTES = sorted(DIGEST.glob("*.md"))
COMMENTARY = ("the abstract does not say", "candidate reference", "not confirmed entries", "Question:")
PLACEHOLDER = re.compile(r"^\s*\[|not captured", re.IGNORECASE)

_FRONT = {
    "id": "doe2020-test", "title": "An invented study of magnetic stimulation", "authors": ["Doe J"], "year": 2020,
    "journal": "J Invented Res", "doi": "10.9999/invented.2020.001", "role": "reference", "status": "candidate",
    "study_type": "animal study", "species": "rat",
    "markers": [{"marker": "IL-6", "tissue": "spinal cord", "change": "down"}],
    "outcome": "Invented outcome.", "read_from": ["https://example.org/invented"],
}
_BODY = "## Findings\n" + " ".join(["Invented"] + ["finding"] * 40) + "\n"


def _write(folder: Path, front: dict, body: str = _BODY) -> Path:
    path = folder / f"{front['id']}.md"
    path.write_text("---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n" + body,
                    encoding="utf-8")
    return path


# ------------------------------------------------------------------ identifiers and titles


@pytest.mark.parametrize("path", NOTES, ids=lambda p: p.stem)
def test_every_note_has_an_identifier_and_a_real_title(path: Path) -> None:
    front, _ = load_note(path)
    assert front.identifiers, f"{path.name} has no DOI, PMID, PMCID or article URL"
    assert not PLACEHOLDER.search(front.title)


def test_note_without_identifier_is_rejected(tmp_path: Path) -> None:
    front = dict(_FRONT, doi=None)
    with pytest.raises(CorpusError, match="no identifier"):
        load_note(_write(tmp_path, front))
    front["url"] = "https://example.org/journal/article/7"
    assert load_note(_write(tmp_path, front))[0].identifiers == {"url": "https://example.org/journal/article/7"}


def test_placeholder_title_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="'title'.*placeholder"):
        load_note(_write(tmp_path, dict(_FRONT, title="[Chinese article; English title not captured]")))


def test_manifest_entries_all_identified_with_real_titles() -> None:
    entries = load_manifest(ROOT / "corpus" / "manifest.yaml").entries
    assert [e.key for e in entries if entry_identifier(e) is None] == []
    assert [e.key for e in entries if PLACEHOLDER.search(e.title)] == []
    assert not [e.key for e in entries if e.key.startswith("anon")]


def test_entry_identifier_prefers_doi_and_falls_back_to_url() -> None:
    assert entry_identifier(ManifestEntry(key="a", doi="10.9999/X", pmid="1")) == "doi:10.9999/x"
    assert entry_identifier(ManifestEntry(key="b", url="https://example.org/a/1")) == "url:https://example.org/a/1"
    assert entry_identifier(ManifestEntry(key="c")) is None


# ------------------------------------------------------------------ findings apart from commentary


@pytest.mark.parametrize("path", NOTES, ids=lambda p: p.stem)
def test_indexed_sections_hold_no_commentary(path: Path) -> None:
    doc = read_markdown(path)
    text = "\n".join(s.title + "\n" + s.text for s in doc.sections)
    assert not [p for p in COMMENTARY if p.casefold() in text.casefold()]
    assert isinstance(doc.extra.get("caveats"), list)


def test_commentary_in_body_is_rejected(tmp_path: Path) -> None:
    body = _BODY + "- IL-6 fell; the abstract does not say in which cells.\n"
    assert commentary_in(body)
    with pytest.raises(CorpusError, match="'body'.*caveats"):
        load_note(_write(tmp_path, dict(_FRONT), body))


def test_caveats_section_travels_as_metadata_not_text(tmp_path: Path) -> None:
    body = _BODY + "\n## Caveats\n- Invented remark about what the source leaves open.\n"
    doc = read_markdown(_write(tmp_path, dict(_FRONT, caveats=["Invented front-matter remark."]), body))
    assert all("Invented remark" not in s.text for s in doc.sections)
    assert doc.extra["caveats"] == ["Invented front-matter remark.",
                                    "Invented remark about what the source leaves open."]


def test_citation_carries_the_documents_caveats(tmp_path: Path) -> None:
    doc = read_markdown(_write(tmp_path, dict(_FRONT, caveats=["Invented remark."])))
    sec = doc.sections[0]
    chunk = Chunk(chunk_id="c1", doc_id=doc.doc_id, paper_id=doc.paper_id, ord=0, section=sec.title, char_start=0,
                  char_end=len(sec.text), text=sec.text)
    cit = Citation(n=1, passage=Passage(chunk=chunk, doc=doc.meta(), score=1.0))
    assert cit.caveats == ["Invented remark."]
    assert cit.to_dict()["caveats"] == ["Invented remark."]


def _finding_text(body: str) -> str:
    """Text of the sections that report results (Findings, Results, what the review states ...)."""
    parts = re.split(r"(?m)^#{1,6} (.*)$", body)
    keep = [parts[i + 1] for i in range(1, len(parts) - 1, 2)
            if re.search(r"finding|result|states|main claims", parts[i], re.IGNORECASE)]
    return "\n".join(keep)


@pytest.mark.parametrize("path", NOTES, ids=lambda p: p.stem)
def test_markers_named_in_findings_are_in_front_matter(path: Path) -> None:
    front, body = load_note(path)
    text = _finding_text(body)
    structured = {marker_key(m.marker) for m in front.markers}
    named = set()
    for m in CANONICAL_MARKERS:
        spellings = {m, m.replace("α", "alpha").replace("β", "beta").replace("κ", "k"), m.replace("1", "-1")}
        if any(re.search(r"(?<![\w-])" + re.escape(s) + r"(?![\w-])", text) for s in spellings):
            named.add(marker_key(m))
    assert named <= structured, f"{path.name}: markers in findings but not in front matter: {named - structured}"


# ------------------------------------------------------------------ conflicts


def test_real_digest_lists_tnf_alpha_brain_conflict_with_toledo_up() -> None:
    found = {(c.marker, c.tissue_group): c for c in evidence_conflicts(DIGEST)}
    tnf = found[("TNF-α", "brain")]
    assert [s.note_ids for s in tnf.sides["up"]] == [["toledo2021-cci-pfc"]]
    down = {s.label for s in tnf.sides["down"]}
    assert {"Bai et al. 2023", "Hu et al. 2022"} <= down


def _note(folder: Path, note_id: str, doi: str, markers: list[dict]) -> None:
    _write(folder, dict(_FRONT, id=note_id, doi=doi, markers=markers))


def test_conflicts_group_tissues_and_count_a_paper_once(tmp_path: Path) -> None:
    _note(tmp_path, "aa2020-one", "10.9999/aa", [{"marker": "TNF-alpha", "tissue": "insula", "change": "down"}])
    _note(tmp_path, "aa2020-two", "10.9999/aa", [{"marker": "TNF-α", "tissue": "brain", "change": "down"}])
    _note(tmp_path, "bb2021-one", "10.9999/bb", [{"marker": "TNFa", "tissue": "prefrontal cortex", "change": "up"},
                                                 {"marker": "IL-6", "tissue": "serum", "change": "down"}])
    _note(tmp_path, "cc2022-one", "10.9999/cc", [{"marker": "IL-6", "tissue": "blood", "change": "down"},
                                                 {"marker": "TNF-α", "tissue": "spinal cord", "change": "up"}])
    conflicts = find_conflicts(f for f, _ in load_notes(tmp_path))
    assert [(c.marker, c.tissue_group) for c in conflicts] == [("TNF-α", "brain")]  # IL-6 agrees; cord is alone
    (c,) = conflicts
    assert [s.note_ids for s in c.sides["down"]] == [["aa2020-one", "aa2020-two"]]
    assert c.sides["down"][0].tissues == ["insula", "brain"]
    assert [s.paper for s in c.sides["up"]] == ["doi:10.9999/bb"]
    assert find_conflicts((f for f, _ in load_notes(tmp_path)), marker="IL-6") == []
    assert {r["change"] for r in conflict_rows(conflicts)} == {"up", "down"}


@pytest.mark.parametrize(("tissue", "group"), [("prefrontal cortex", "brain"), ("L4-L5 dorsal horn", "spinal cord"),
                                               ("DRG", "dorsal root ganglion"), ("serum", "blood"),
                                               ("sciatic nerve", "peripheral nerve")])
def test_tissue_groups(tissue: str, group: str) -> None:
    assert tissue_group(tissue) == group


def test_cli_evidence_conflicts_json(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.cli import _register, app

    _register()
    monkeypatch.setenv("RTMS_CORPUS_DIR", str(ROOT / "corpus"))
    result = CliRunner().invoke(app, ["evidence", "--conflicts", "--json", "--marker", "TNF-alpha"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(d["marker"], d["tissue_group"]) for d in data] == [("TNF-α", "brain")]
    assert data[0]["sides"]["up"][0]["label"] == "Toledo et al. 2021"
