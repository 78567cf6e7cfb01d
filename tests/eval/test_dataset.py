"""Guards eval/questions.jsonl (and the fresh sets, eval/fresh*/questions.jsonl): schema, balance of types, and that
every gold answer is backed by the corpus."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from assistant.corpus.contracts import make_paper_id
from assistant.corpus.notes import load_note
from assistant.eval.dataset import DEFAULT_QUESTIONS, QUESTION_TYPES, DatasetError, Question, load_questions
from assistant.eval.metrics import key_fact_hits
from assistant.eval.normalise import matches_any, tokens
from assistant.settings import PROJECT_ROOT

DIGEST = PROJECT_ROOT / "corpus" / "digest"


@pytest.fixture(scope="module")
def questions() -> list[Question]:
    return load_questions(DEFAULT_QUESTIONS)


FRESH = [PROJECT_ROOT / "eval" / name / "questions.jsonl" for name in ("fresh", "fresh2", "fresh3", "fresh4")]


@pytest.fixture(scope="module", params=[DEFAULT_QUESTIONS, *FRESH], ids=["own", "fresh", "fresh2", "fresh3", "fresh4"])
def each_set(request: pytest.FixtureRequest) -> list[Question]:
    return load_questions(request.param)


@pytest.fixture(scope="module")
def notes() -> dict[str, tuple[str, str]]:
    """note id → (paper id or '', full text: front matter + body)."""
    out = {}
    for p in sorted(DIGEST.glob("*.md")):
        fm, _ = load_note(p)
        try:
            pid = make_paper_id(fm.doi, fm.pmid, fm.pmcid)
        except ValueError:
            pid = ""
        out[p.stem] = (pid, p.read_text(encoding="utf-8"))
    return out


def test_size_and_type_balance(questions: list[Question]) -> None:
    assert len(questions) >= 60
    counts = Counter(q.type for q in questions)
    assert set(counts) == set(QUESTION_TYPES), f"every type is represented: {counts}"
    assert counts["unanswerable"] / len(questions) >= 0.10
    assert all(counts[t] >= 5 for t in QUESTION_TYPES), counts


def test_ids_unique_and_questions_distinct(each_set: list[Question]) -> None:
    assert len({q.id for q in each_set}) == len(each_set)
    assert len({q.question.lower() for q in each_set}) == len(each_set)


def test_gold_answers_contain_their_own_key_facts(each_set: list[Question]) -> None:
    for q in each_set:
        hits = key_fact_hits(q.answer, [kf.model_dump() for kf in q.key_facts])
        missing = [kf.fact for kf, h in zip(q.key_facts, hits, strict=True) if not h]
        assert not missing, f"{q.id}: gold answer lacks key fact(s) {missing}"


def test_gold_sources_exist_in_the_digest(each_set: list[Question], notes: dict[str, tuple[str, str]]) -> None:
    paper_ids = {pid for pid, _ in notes.values() if pid}
    for q in each_set:
        for s in q.sources:
            if s.startswith("note:"):
                assert s[5:] in notes, f"{q.id}: no evidence note {s[5:]}"
                assert not notes[s[5:]][0], f"{q.id}: {s[5:]} has identifiers: use its paper id {notes[s[5:]][0]}"
            else:
                assert s in paper_ids, f"{q.id}: source {s} matches no evidence note"


def test_every_key_fact_is_stated_in_a_gold_source(each_set: list[Question],
                                                   notes: dict[str, tuple[str, str]]) -> None:
    """The corpus can answer each answerable question: each key fact occurs in one of its gold notes."""
    by_paper: dict[str, list[str]] = {}
    for stem, (pid, text) in notes.items():
        by_paper.setdefault(pid or f"note:{stem}", []).append(text)
    for q in each_set:
        toks = tokens(" ".join(t for s in q.sources for t in by_paper.get(s, [])))
        for kf in q.key_facts:
            if kf.fact.lower() in ("yes", "no"):
                continue  # the verdict word (the fresh set's yes/no questions): not a fact of the notes
            assert matches_any(toks, kf.forms), f"{q.id}: key fact {kf.fact!r} not found in {q.sources}"


def test_unanswerable_and_follow_up_shapes(questions: list[Question]) -> None:
    for q in questions:
        if q.type == "unanswerable":
            assert not q.key_facts and not q.sources and not q.history
        if q.type == "follow-up":
            assert q.history and q.history[-1].role == "assistant"


# --- the loader's error messages ----------------------------------------------------------------

GOOD = {"id": "x-1", "question": "Which marker fell?", "answer": "Iba1", "key_facts": [{"fact": "Iba1"}],
        "sources": ["doi:10.1000/abc"], "type": "factoid"}


def write(tmp_path: Path, *items: object) -> Path:
    p = tmp_path / "q.jsonl"
    p.write_text("\n".join(i if isinstance(i, str) else json.dumps(i) for i in items) + "\n")
    return p


@pytest.mark.parametrize("bad, message", [
    ({**GOOD, "type": "trivia"}, "type"),
    ({**GOOD, "key_facts": []}, "at least one key fact"),
    ({**GOOD, "sources": ["10.1000/abc"]}, "not a paper id"),
    ({**GOOD, "sources": ["doi:10.1000/ABC"]}, "lower-case"),
    ({**GOOD, "type": "unanswerable"}, "no key_facts"),
    ({**GOOD, "type": "multi-hop"}, "two gold sources"),
    ({**GOOD, "type": "follow-up"}, "history"),
    ({**GOOD, "history": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yes"}]},
     "only follow-up"),
    ({**GOOD, "extra": 1}, "extra"),
])
def test_loader_rejects_bad_items_naming_file_and_line(tmp_path: Path, bad: dict, message: str) -> None:
    p = write(tmp_path, GOOD | {"id": "ok"}, bad)
    with pytest.raises(DatasetError, match=message) as exc:
        load_questions(p)
    assert f"{p}:2" in str(exc.value)


def test_loader_errors_for_json_duplicates_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not valid JSON"):
        load_questions(write(tmp_path, GOOD, "{oops"))
    with pytest.raises(DatasetError, match="duplicate"):
        load_questions(write(tmp_path, GOOD, GOOD))
    with pytest.raises(DatasetError, match="not found"):
        load_questions(tmp_path / "none.jsonl")
    assert [q.id for q in load_questions(write(tmp_path, GOOD, ""))] == ["x-1"]
