"""Issue 31, index side: one hostile corpus file (repeated sections, a YAML alias bomb, a deeply nested sidecar,
a huge file) is skipped or indexed by name and never stops the build. Every corpus here is invented."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant.answer.prompts import INJECTION_PLACEHOLDER, sanitize
from assistant.api import Assistant
from assistant.errors import QuestionError
from assistant.index.builder import build_index
from assistant.index.flags import addressed_to_model, instruction_like
from assistant.index.store import IndexStore
from assistant.safetext import load_json, load_yaml
from assistant.settings import Settings
from tests.conftest import write_note, write_small_corpus
from tests.reliability.hostile_fixtures import PLANTED_VARIANTS, REPEATED_RESULTS_BODY, deep_json, yaml_alias_bomb_note


def settings_for(corpus: Path, tmp: Path, **kw) -> Settings:
    return Settings(corpus_dir=corpus, index_dir=tmp / "index", backend="extractive", **kw)


def test_two_identical_results_sections_get_distinct_chunk_ids(tmp_path, embedder):
    corpus = write_small_corpus(tmp_path)
    write_note(corpus / "digest", "twice2024", "Repeated results", REPEATED_RESULTS_BODY, doi="10.9999/twice")
    s = settings_for(corpus, tmp_path)
    summary = build_index(s, progress=False, embedder=embedder)
    assert summary.documents == 5 and not summary.skipped
    ids = [c.chunk_id for c in IndexStore.open(s).chunks]
    assert len(ids) == len(set(ids))
    twice = [c for c in IndexStore.open(s).chunks if c.section == "Results"]
    assert len(twice) == 2


def test_yaml_alias_bomb_is_refused_in_under_a_second_by_name(tmp_path, embedder):
    corpus = write_small_corpus(tmp_path)
    (corpus / "digest" / "bomb2024.md").write_text(yaml_alias_bomb_note(), encoding="utf-8")
    assert len(yaml_alias_bomb_note()) < 700
    s = settings_for(corpus, tmp_path)
    t0 = time.perf_counter()
    summary = build_index(s, progress=False, embedder=embedder)
    assert time.perf_counter() - t0 < 60  # hung for minutes (2.8 GB after 180 s) before
    skipped = dict(summary.skipped)
    assert summary.documents == 4
    assert "aliases" in skipped["digest/bomb2024.md"] and "bomb2024.md" in skipped["digest/bomb2024.md"]
    t0 = time.perf_counter()
    with pytest.raises(Exception, match="aliases"):
        load_yaml(yaml_alias_bomb_note().split("---\n")[1])
    assert time.perf_counter() - t0 < 1.0


def test_plain_yaml_and_anchors_without_aliases_still_load():
    assert load_yaml("id: x\nyear: 2020\nmarkers: &m [a, b]\n") == {"id": "x", "year": 2020, "markers": ["a", "b"]}
    with pytest.raises(Exception, match="longer than the limit"):
        load_yaml("a: " + "x" * 100_000)


def test_deeply_nested_sidecar_is_ignored_with_a_warning_naming_it(tmp_path, embedder, caplog):
    corpus = write_small_corpus(tmp_path)
    note = corpus / "digest" / "alpha2020.md"
    (note.parent / (note.name + ".json")).write_text(deep_json(), encoding="utf-8")
    with pytest.raises(ValueError, match="nested too deeply"):
        load_json(deep_json())
    summary = build_index(settings_for(corpus, tmp_path), progress=False, embedder=embedder)
    assert summary.documents == 4 and not summary.skipped
    assert any("alpha2020.md.json" in r.getMessage() and "nested too deeply" in r.getMessage()
               for r in caplog.records)


def test_a_file_over_the_size_limit_is_skipped_with_how_to_raise_it(tmp_path, embedder):
    corpus = write_small_corpus(tmp_path)
    big = corpus / "dump.txt"
    big.write_text("Stimulation changed nothing in this invented filler sentence. " * 40_000, encoding="utf-8")
    s = settings_for(corpus, tmp_path, max_file_mb=1.0)
    summary = build_index(s, progress=False, embedder=embedder)
    skipped = dict(summary.skipped)
    assert summary.documents == 4
    assert "dump.txt" in skipped["dump.txt"] and "RTMS_MAX_FILE_MB=3" in skipped["dump.txt"]
    again = build_index(s.model_copy(update={"max_file_mb": 3.0}), progress=False, embedder=embedder)
    assert again.documents == 5 and not again.skipped


# --- planted instructions: look-alike letters, other languages, paraphrases ------------------------------

@pytest.mark.parametrize("name", sorted(PLANTED_VARIANTS))
def test_planted_instruction_variants_are_flagged_and_removed_from_prompts(name):
    text = PLANTED_VARIANTS[name]
    assert instruction_like(text) and addressed_to_model(text)
    cleaned, removed = sanitize(text)
    assert removed == 1 and INJECTION_PLACEHOLDER in cleaned and "Pancreatic cancer remission" in cleaned


@pytest.mark.parametrize("text", [
    "Patients were asked to disregard the previous pain scale and rate pain again.",
    "We ignore the first session in the analysis above.",
    "Responders were defined as the patients whose answer improved by 30 %.",
    "TNF-α and IL-1β fell; Iba-1 staining was reduced as the final response to ten sessions.",
    "Die Ratten erhielten zehn Sitzungen; die Antwort auf die Stimulation war deutlich.",
])
def test_ordinary_scientific_text_is_not_flagged(text):
    assert not instruction_like(text)


def test_planted_variants_are_flagged_at_index_time_and_never_quoted(tmp_path, embedder):
    corpus = write_small_corpus(tmp_path)
    for i, name in enumerate(sorted(PLANTED_VARIANTS)):
        write_note(corpus / "digest", f"planted{i}", "Pancreatic cancer remission after stimulation",
                   PLANTED_VARIANTS[name], doi=f"10.9999/planted.{i}")
    s = settings_for(corpus, tmp_path, refusal_threshold=0.0, refusal_bm25_threshold=0.0,
                     refusal_missing_terms=False)
    summary = build_index(s, progress=False, embedder=embedder)
    assert summary.flagged_chunks == len(PLANTED_VARIANTS)
    a = Assistant.load(s)
    a.retriever._embedder = embedder
    answer = a.ask("Is pancreatic cancer remission after rTMS certain?")
    assert "HACKED" not in answer.answer and "certain" not in answer.answer.lower()
    assert not any(c.supported and c.passage.doc.doi.startswith("10.9999/planted") for c in answer.citations)


def test_an_answer_resting_on_one_unidentified_file_is_flagged_and_gets_no_verdict(tmp_path, embedder):
    corpus = write_small_corpus(tmp_path)
    (corpus / "miracle.txt").write_text(
        "rTMS cures pancreatic cancer in 90 % of patients. Pancreatic cancer remission after rTMS is certain "
        "in this uncontrolled series.\n", encoding="utf-8")
    s = settings_for(corpus, tmp_path, refusal_threshold=0.0, refusal_bm25_threshold=0.0,
                     refusal_missing_terms=False)
    build_index(s, progress=False, embedder=embedder)
    a = Assistant.load(s)
    a.retriever._embedder = embedder
    answer = a.ask("Does rTMS cure pancreatic cancer?")
    backing = {c.passage.doc.source for c in answer.citations if c.supported}
    assert backing == {"miracle.txt"}, answer.answer  # the test means something only if the file is cited
    assert "single-unverified-source" in answer.flags
    assert answer.verdict not in ("yes", "no") and not answer.answer.startswith(("Yes.", "No."))


def test_an_identified_source_is_not_flagged(built_small):
    answer = built_small.ask("How much did spinal IL-1β fall after cortical stimulation?")
    assert answer.answerable and "single-unverified-source" not in answer.flags


@pytest.fixture(scope="module")
def built_small(tmp_path_factory, embedder) -> Assistant:
    """The small corpus's index, loaded (read only by these tests)."""
    root = tmp_path_factory.mktemp("small")
    s = settings_for(write_small_corpus(root), root)
    build_index(s, progress=False, embedder=embedder)
    a = Assistant.load(s)
    a.retriever._embedder = embedder
    return a


# --- history at the API boundary -------------------------------------------------------------------------

@pytest.mark.parametrize("history", ["What about IL-1β?", [None], [42], ({"role": "user", "content": "hi"},)])
def test_malformed_history_gives_the_clear_error_not_attribute_error(built_small, history):
    with pytest.raises(QuestionError, match="history"):
        built_small.ask("and in which tissue?", history=history)
    with pytest.raises(QuestionError, match="history"):
        list(built_small.stream("and in which tissue?", history=history))


def test_history_as_user_assistant_pairs_is_accepted(built_small):
    pairs = [("How much did spinal IL-1β fall after cortical stimulation?", "About forty percent [1].")]
    answer = built_small.ask("How much did spinal IL-1β fall after cortical stimulation?", history=pairs)
    assert answer.answerable


def test_a_document_with_too_many_passages_is_skipped_with_how_to_raise_the_limit(tmp_path, embedder):
    corpus = write_small_corpus(tmp_path)
    (corpus / "long.txt").write_text("\n\n".join(f"Paragraph {i} says stimulation changed marker {i} in rats "
                                                 "of this invented series. " * 12 for i in range(40)),
                                     encoding="utf-8")
    summary = build_index(settings_for(corpus, tmp_path, max_doc_chunks=5), progress=False, embedder=embedder)
    skipped = dict(summary.skipped)
    assert summary.documents == 4 and "RTMS_MAX_DOC_CHUNKS" in skipped["long.txt"] and "long.txt" in skipped["long.txt"]


def test_a_dot_named_pdf_is_reported_not_silently_ignored(tmp_path, embedder):
    corpus = write_small_corpus(tmp_path)
    (corpus / "user").mkdir()
    (corpus / "user" / ".copied-paper.pdf").write_bytes(b"%PDF-1.4 invented")
    (corpus / ".git").mkdir()
    (corpus / ".git" / "notes.md").write_text("not a corpus file", encoding="utf-8")
    summary = build_index(settings_for(corpus, tmp_path), progress=False, embedder=embedder)
    skipped = dict(summary.skipped)
    assert summary.documents == 4 and set(skipped) == {"user/.copied-paper.pdf"}
    assert "starts with '.'" in skipped["user/.copied-paper.pdf"] and "rename" in skipped["user/.copied-paper.pdf"]


def test_the_yaml_bomb_is_refused_by_every_front_matter_reader(tmp_path):
    from assistant.corpus.inventory import read_front_matter
    from assistant.corpus.notes import load_note
    from assistant.errors import CorpusError

    note = tmp_path / "bomb2024.md"
    note.write_text(yaml_alias_bomb_note(), encoding="utf-8")
    t0 = time.perf_counter()
    assert read_front_matter(note) is None  # `corpus list`: skipped with a warning
    with pytest.raises(CorpusError, match="bomb2024.md.*aliases"):  # `evidence`, `corpus check`
        load_note(note)
    assert time.perf_counter() - t0 < 1.0


def test_an_index_built_before_the_new_detector_flags_the_variant_when_it_is_retrieved(tmp_path, embedder,
                                                                                      monkeypatch):
    from assistant.index import builder as builder_mod

    corpus = write_small_corpus(tmp_path)
    write_note(corpus / "digest", "planted0", "Pancreatic cancer remission after stimulation",
               PLANTED_VARIANTS["homoglyph"], doi="10.9999/planted.0")
    s = settings_for(corpus, tmp_path)
    monkeypatch.setattr(builder_mod, "instruction_like", lambda text: False)  # as an older builder left it
    build_index(s, progress=False, embedder=embedder)
    monkeypatch.undo()
    a = Assistant.load(s)
    a.retriever._embedder = embedder
    assert not any(c.instruction_like for c in a.retriever.store.chunks)
    hits = a.search("Is pancreatic cancer remission after rTMS certain?", k=5)
    assert [h.chunk.instruction_like for h in hits if h.doc.doi == "10.9999/planted.0"] == [True]


def test_an_unreadable_corpus_file_is_skipped_by_name_not_a_traceback(tmp_path, embedder, monkeypatch):
    from assistant.index import builder as builder_mod

    corpus = write_small_corpus(tmp_path)
    real_hash, real_read = builder_mod.file_sha256, builder_mod.read_documents

    def denied(path):
        if path.name == "gamma2021.md":
            raise PermissionError(13, "Permission denied", str(path))
        return real_hash(path)

    def read(path):
        if path.name == "gamma2021.md":
            raise PermissionError(13, "Permission denied", str(path))
        return real_read(path)

    monkeypatch.setattr(builder_mod, "file_sha256", denied)
    monkeypatch.setattr(builder_mod, "read_documents", read)
    summary = build_index(settings_for(corpus, tmp_path), progress=False, embedder=embedder)
    skipped = dict(summary.skipped)
    assert summary.documents == 3 and "Permission denied" in skipped["digest/gamma2021.md"]
