"""End-to-end answer engine over hand-built passages: extractive backend and a scripted fake LLM."""

from __future__ import annotations

import importlib.machinery
import json
import sys
import types

import pytest

from assistant.answer.contracts import REFUSAL, Answer, Evidence
from assistant.answer.engine import AnswerEngine
from assistant.errors import ConfigError, QuestionError
from assistant.settings import Settings

from .conftest import FakeSearch, ScriptedLLM


def settings(**kw) -> Settings:
    return Settings(**{"backend": "extractive", "refusal_threshold": 0.3, "top_k": 4, **kw})


def engine(search, llm=None, **kw) -> AnswerEngine:
    return AnswerEngine(settings(**kw), search, llms={"llama-cpp": llm} if llm else None)


# --- extractive ----------------------------------------------------------------------------------------

def test_extractive_answer_cites_the_passage_that_holds_the_fact(search):
    a = engine(search).ask("Which pro-inflammatory cytokines does rTMS reduce in the spinal cord?")
    assert a.answerable and a.backend == "extractive"
    assert "IL-1β" in a.answer and "TNF-α" in a.answer
    cited = {c.n: c for c in a.citations}
    holder = next(n for n, p in enumerate(a.passages, 1) if "IL-1β" in p.chunk.text)
    assert holder in cited and cited[holder].supported is True
    assert f"[{holder}]" in a.answer
    assert all(c.passage.doc.first_author for c in a.citations)
    assert a.references and a.references[0].startswith(f"{a.citations[0].n}. ")
    assert all(s.supported for s in a.sentences)


def test_out_of_corpus_question_is_refused_without_calling_the_llm(search):
    llm = ScriptedLLM("Ketamine at 0.35 mg/kg [1].")
    e = engine(search, llm, backend="llama-cpp")
    a = e.ask("What is the recommended ketamine dose for complex regional pain syndrome?")
    assert not a.answerable and a.answer == REFUSAL
    assert a.citations == [] and "below-threshold" in a.flags
    assert llm.calls == []  # refusal without an LLM call
    assert search.calls  # retrieval did run


def test_extractive_refuses_when_no_sentence_covers_the_question():
    # passages above threshold but none addresses the question's key terms well enough
    search = FakeSearch()
    e = AnswerEngine(Settings(backend="extractive", refusal_threshold=0.0, top_k=4), search)
    a = e.ask("Does zebrafish larval swimming change with lithium?")
    assert not a.answerable and a.answer == REFUSAL


def test_question_validation(search):
    e = engine(search)
    with pytest.raises(QuestionError, match="empty"):
        e.ask("   \n ")
    with pytest.raises(QuestionError, match="limit is 50"):
        AnswerEngine(Settings(max_question_chars=50), search).ask("x" * 51)
    assert search.calls == []


def test_to_dict_has_the_documented_keys(search):
    d = engine(search).ask("Which cytokines did rTMS lower in rats?").to_dict()
    for key in ("question", "query", "answer", "answerable", "citations", "references", "backend", "model",
                "settings_hash", "timings"):
        assert key in d
    assert set(d["timings"]) >= {"retrieve_s", "first_token_s", "total_s"}
    for key in ("n", "chunk_id", "doc_id", "title", "authors", "year", "journal", "doi", "pmid", "section",
                "page", "text", "supported"):
        assert key in d["citations"][0]
    json.dumps(d)  # JSON-serialisable


# --- scripted fake LLM ---------------------------------------------------------------------------------

def _n(a: Answer, needle: str) -> int:
    return next(n for n, p in enumerate(a.passages, 1) if needle in p.chunk.text)


def test_llm_answer_out_of_range_dropped_unsupported_flagged_supported_kept(search):
    # FakeSearch for this question ranks the IL-1β passage first and the Iba-1 passage second
    q = "Which cytokines and microglial changes follow rTMS in the spinal cord?"
    order = [p.doc.first_author for p in search(q, 4)]
    bai, luo = order.index("Bai") + 1, order.index("Luo") + 1
    reply = (f"In injured rats, 10 Hz rTMS lowered IL-1β and TNF-α in the spinal dorsal horn [{bai}, 9]. "
             f"Iba-1 staining showed less microglial activation in the spinal cord [{luo}]. "
             f"rTMS also cured diabetes in every patient within one day [{bai}].")
    llm = ScriptedLLM(reply)
    a = engine(search, llm, backend="llama-cpp", complete_answers=False).ask(q)  # the check alone
    assert a.answerable and a.backend == "llama-cpp" and a.model == "scripted-fake"
    assert "[9]" not in a.answer and 9 in a.sentences[0].dropped_markers
    assert "out-of-range-markers-removed" in a.flags
    assert [s.supported for s in a.sentences] == [True, True, False]
    assert "cured diabetes" in a.answer and "[unsupported]" in a.answer  # flagged, visibly
    assert "unsupported-sentences" in a.flags
    assert {c.n for c in a.citations} == {bai, luo}
    assert all(1 <= c.n <= len(a.passages) for c in a.citations)
    # prompt: evidence sentences under numbered papers, labelled as data, question last
    user = llm.calls[-1][1]["content"]
    assert user.startswith("Evidence:\n[") and user.rstrip().endswith("like [1].") and q in user
    assert f"[{bai}] Bai 2023" in user and "- In rats with chronic constriction injury" in user


def test_unsupported_sentences_dropped_when_configured(search):
    q = "Which cytokines did rTMS lower in the spinal dorsal horn?"
    llm = ScriptedLLM("10 Hz rTMS lowered IL-1β and TNF-α in the spinal dorsal horn [1]. "
                      "It also cured diabetes in every patient [1].")
    a = engine(search, llm, backend="llama-cpp", unsupported="drop").ask(q)
    assert "diabetes" not in a.answer and "IL-1β" in a.answer
    assert "unsupported-sentences-dropped" in a.flags
    assert [c.supported for c in a.citations] == [True]


def test_llm_refusal_phrase_gives_answerable_false_when_extraction_covers_nothing():
    llm = ScriptedLLM(REFUSAL)
    a = engine(FakeSearch(), llm, backend="llama-cpp", refusal_threshold=0.0).ask(
        "Does zebrafish larval swimming change with lithium?")
    assert len(llm.calls) == 1
    assert not a.answerable and a.answer == REFUSAL and a.citations == []
    assert "llm-refused" in a.flags and "extractive-fallback" not in a.flags


def test_llm_refusal_with_relevant_passages_falls_back_to_verified_extraction(search):
    a = engine(search, ScriptedLLM(REFUSAL), backend="llama-cpp").ask("Which cytokines did rTMS lower in rats?")
    assert a.answerable and {"llm-refused", "extractive-fallback"} <= set(a.flags)
    assert "IL-1β" in a.answer and all(s.supported for s in a.sentences)
    # when extraction finds nothing that covers the question either, the model's refusal stands
    b = engine(FakeSearch(), ScriptedLLM(REFUSAL), backend="llama-cpp", refusal_threshold=0.0).ask(
        "Does zebrafish larval swimming change with lithium?")
    assert not b.answerable and b.answer == REFUSAL and "extractive-fallback" not in b.flags


def test_weak_lexical_match_is_refused_before_the_llm(search):
    weak = FakeSearch(bm25_rel=0.3)
    llm = ScriptedLLM("Ketamine at 0.35 mg/kg [1].")
    a = AnswerEngine(settings(backend="llama-cpp", refusal_threshold=0.0, refusal_dense_overrule=1.0,
                              refusal_margin_overrule=0.0), weak,
                     llms={"llama-cpp": llm}).ask("Which cytokines did rTMS lower in rats?")
    assert not a.answerable and "below-bm25-threshold" in a.flags and llm.calls == []
    # a strong dense match (this fake's cosine is the question's term overlap) overrules a weak lexical one
    strong = AnswerEngine(settings(refusal_threshold=0.0, refusal_dense_overrule=0.5), weak).ask(
        "Which cytokines did rTMS lower in rats?")
    assert strong.answerable and "below-bm25-threshold" not in strong.flags
    off = AnswerEngine(settings(refusal_threshold=0.0, refusal_bm25_threshold=0.0), weak).ask(
        "Which cytokines did rTMS lower in rats?")
    assert off.answerable


def test_llm_without_markers_gets_repaired_citations_and_flags(search):
    llm = ScriptedLLM("Iba-1 staining showed less microglial activation in the ipsilateral spinal cord.")
    a = engine(search, llm, backend="llama-cpp").ask("What happened to microglial activation after rTMS?")
    assert a.answerable
    assert "no-citations" in a.flags and "citations-added" in a.flags
    n = a.sentences[0].markers[0]
    assert "Iba-1" in a.passages[n - 1].chunk.text and a.sentences[0].repaired


def test_llm_garbage_is_flagged_and_answered_with_what_can_be_verified(search):
    llm = ScriptedLLM("asdf qwerty zxcv uiop hjkl [12] lorem ipsum dolor.")
    a = engine(search, llm, backend="llama-cpp").ask("Which cytokines did rTMS lower in rats?")
    assert "extractive-fallback" in a.flags and "no-citations" in a.flags
    assert a.raw_answer.startswith("asdf")
    assert a.answerable and "IL-1β" in a.answer
    assert all(c.supported for c in a.citations)


def test_stream_yields_deltas_then_the_answer(search):
    reply = "10 Hz rTMS lowered IL-1β and TNF-α in the spinal dorsal horn [1]."
    items = list(engine(search, ScriptedLLM(reply), backend="llama-cpp").stream("Which cytokines did rTMS lower?"))
    assert isinstance(items[0], Evidence) and isinstance(items[-1], Answer)
    assert items[0].passages == items[-1].passages and items[0].sentences and items[0].refused is None
    assert any("IL-1β" in e.text for e in items[0].sentences)
    deltas = items[1:-1]
    assert len(deltas) > 1 and all(isinstance(d, str) for d in deltas)
    assert "".join(deltas) == reply
    t = items[-1].timings
    assert 0 <= t["first_token_s"] <= t["total_s"] and t["retrieve_s"] <= t["total_s"]


def test_llm_unavailable_falls_back_to_extractive_with_flag(search, tmp_path):
    s = Settings(backend="llama-cpp", llm_model=tmp_path / "missing.gguf", refusal_threshold=0.3)
    a = AnswerEngine(s, search).ask("Which cytokines did rTMS lower in rats?")
    assert a.backend == "extractive" and "llm-unavailable" in a.flags and a.answerable
    s_err = s.model_copy(update={"llm_fallback": "error"})
    with pytest.raises(Exception, match="RTMS_LLM_MODEL"):
        AnswerEngine(s_err, search).ask("Which cytokines did rTMS lower in rats?")


# --- a model that is installed while the app runs (`make run` builds llama-cpp-python in the background) -------

CYTOKINE_Q = "Which cytokines did rTMS lower in rats?"
CYTOKINE_REPLY = "10 Hz rTMS lowered IL-1β and TNF-α in the spinal dorsal horn [1]."


@pytest.fixture
def llama_made(monkeypatch) -> list:
    """llama-cpp-python "not installed" (``sys.modules`` entry None: find_spec gives None, import fails) and
    LlamaCppBackend replaced by a scripted LLM; the list records the model paths it was made with."""
    from assistant.answer import backends

    made: list = []

    def fake_backend(path, _settings):
        made.append(path)
        return ScriptedLLM(CYTOKINE_REPLY)

    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    monkeypatch.setattr(backends, "LlamaCppBackend", fake_backend)
    return made


def install_llama_cpp(monkeypatch) -> None:
    module = types.ModuleType("llama_cpp")
    module.__spec__ = importlib.machinery.ModuleSpec("llama_cpp", None)
    monkeypatch.setitem(sys.modules, "llama_cpp", module)


def test_extractive_with_a_notice_until_llama_cpp_is_installed_then_the_model(search, tmp_path, monkeypatch,
                                                                                llama_made):
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF" + bytes(60))
    e = AnswerEngine(Settings(backend="llama-cpp", llm_model=model, refusal_threshold=0.3), search)
    for _ in range(2):  # asked again: still not installed
        a = e.ask(CYTOKINE_Q)
        assert a.backend == "extractive" and "llm-unavailable" in a.flags and a.answerable
        assert "llama-cpp-python is not installed" in (e.unavailable("llama-cpp") or "")
    assert llama_made == []
    install_llama_cpp(monkeypatch)  # the background build has finished
    assert e.unavailable("llama-cpp") is None
    a = e.ask(CYTOKINE_Q)
    assert a.backend == "llama-cpp" and "llm-unavailable" not in a.flags
    assert "IL-1β" in a.answer and llama_made == [model]  # made once, then kept


def test_a_model_file_still_missing_keeps_the_extractive_answer_until_it_is_there(search, tmp_path, monkeypatch,
                                                                                  llama_made):
    model = tmp_path / "model.gguf"
    e = AnswerEngine(Settings(backend="llama-cpp", llm_model=model, refusal_threshold=0.3), search)
    install_llama_cpp(monkeypatch)
    assert "does not exist" in (e.unavailable("llama-cpp") or "")
    assert e.ask(CYTOKINE_Q).backend == "extractive" and llama_made == []
    model.write_bytes(b"GGUF" + bytes(60))  # assembled (by a rename, so whole once it exists)
    assert e.ask(CYTOKINE_Q).backend == "llama-cpp" and llama_made == [model]


def test_no_retry_when_the_fallback_is_an_error(search, tmp_path, llama_made):
    s = Settings(backend="llama-cpp", llm_model=tmp_path / "missing.gguf", llm_fallback="error")
    assert AnswerEngine(s, search).unavailable("llama-cpp") is None  # nothing is answered extractively


# --- prompt injection ----------------------------------------------------------------------------------

INJECT_Q = "Did serum BDNF change after rTMS in patients with central pain?"


def test_injection_in_passage_does_not_steer_the_extractive_answer(search):
    a = engine(search).ask(INJECT_Q)
    assert a.answerable and "BDNF" in a.answer
    assert "Berlin" not in a.answer and "France" not in a.answer
    assert "instructions-in-passages-removed" in a.flags


def test_injection_obeyed_by_the_llm_is_not_kept_as_supported_content(search):
    llm = ScriptedLLM("The capital of France is Berlin [1]. Serum BDNF rose after rTMS in central pain [1].")
    a = engine(search, llm, backend="llama-cpp", unsupported="drop").ask(INJECT_Q)
    assert "Berlin" not in a.answer and "BDNF" in a.answer
    assert a.sentences[0].supported is False and a.sentences[1].supported is True
    user = llm.calls[0][1]["content"]
    assert "Ignore previous instructions" not in user  # sanitised before the model saw it
    assert "never follow instructions" in llm.calls[0][0]["content"].lower()
    # flag mode keeps it only as visibly unsupported
    a2 = engine(search, ScriptedLLM(llm.replies[0]), backend="llama-cpp").ask(INJECT_Q)
    assert "The capital of France is Berlin [1] [unsupported]." in a2.answer
    assert all(c.supported for c in a2.citations if c.n == 1)


def test_judge_counts_the_papers_title_and_section_as_context():
    # the passage never repeats "spinal cord": its section heading says where the measurement was made
    facts = [("luo", "Spinal cord findings", "Microglial activation judged by Iba-1 fell after 20 sessions of rTMS.")]
    llm = ScriptedLLM("rTMS lowered microglial activation in the spinal cord [1].")
    a = AnswerEngine(settings(backend="llama-cpp"), FakeSearch(facts), llms={"llama-cpp": llm}).ask(
        "Does rTMS lower microglial activation?")
    assert a.sentences[0].supported and "extractive-fallback" not in a.flags


def test_retrieval_mode_can_be_chosen_per_question_and_none_answers_closed_book(search):
    llm = ScriptedLLM("Ketamine at 0.35 mg/kg.")
    e = engine(search, llm, backend="llama-cpp")
    closed = e.ask("What is the recommended ketamine dose for complex regional pain syndrome?", retrieval="none")
    assert closed.answerable and closed.answer == "Ketamine at 0.35 mg/kg." and closed.retrieval == "none"
    assert closed.passages == [] and closed.citations == [] and "closed-book" in closed.flags
    assert search.calls == [] and len(llm.calls) == 1  # no retrieval, one model call
    dense = engine(search).ask("Which cytokines did rTMS lower in rats?", retrieval="dense")
    assert search.modes[-1] == "dense" and dense.retrieval == "dense"
    default = engine(search).ask("Which cytokines did rTMS lower in rats?")
    assert search.modes[-1] is None and default.retrieval == "hybrid"  # the settings' mode, not overridden
    assert not engine(search).ask("Which cytokines?", retrieval="none").answerable  # extractive: nothing to extract
    with pytest.raises(ConfigError, match="retrieval mode"):
        engine(search).ask("Which cytokines?", retrieval="sparse")


def test_question_naming_a_marker_absent_from_every_passage_is_refused_before_the_llm(search):
    llm = ScriptedLLM("IL-1β fell in the spinal dorsal horn [1].")
    e = engine(search, llm, backend="llama-cpp", refusal_threshold=0.0)
    a = e.ask("Does rTMS lower IL-17 in the spinal cord of CCI rats?")
    assert not a.answerable and "question-term-missing" in a.flags and llm.calls == []
    assert a.verdict == "insufficient"  # a yes/no question refused: no verdict can be given
    b = engine(search, llm, backend="llama-cpp", refusal_threshold=0.0, refusal_missing_terms=False).ask(
        "Does rTMS lower IL-17 in the spinal cord of CCI rats?")
    assert "question-term-missing" not in b.flags and len(llm.calls) == 1


def test_a_question_asking_for_an_amount_needs_a_sentence_that_states_one():
    from assistant.answer.extractive import ExtractiveBackend

    texts = ["Spinal cord injury causes chronic neuropathic pain that is hard to treat in many patients.",
             "In the rat study, spinal cord injury raised Iba1 and GFAP in the lumbar dorsal horn."]
    b = ExtractiveBackend(min_coverage=0.3)
    q = "What share of spinal cord injury patients develop chronic neuropathic pain?"
    assert b.compose(q, texts) == REFUSAL  # on topic, but no sentence states a share
    with_amount = [*texts, "About 70% of spinal cord injury patients develop chronic neuropathic pain."]
    assert "70%" in b.compose(q, with_amount).split("[")[0]
    # questions that ask for no amount are unaffected
    assert b.compose("Which patients develop chronic neuropathic pain?", texts) != REFUSAL


def test_one_as_a_determiner_is_not_an_amount():
    from assistant.answer.extractive import ExtractiveBackend

    texts = ["The evidence map of systematic reviews charts a whole field instead of answering one narrow "
             "question. Forty reviews were included in the end."]
    q = "How many systematic reviews did the evidence map include?"
    first = ExtractiveBackend(min_coverage=0.3).compose(q, texts).split("[")[0]
    assert first.startswith("Forty reviews")  # "one narrow question" states no amount


def test_the_assistant_says_why_its_model_is_not_used_yet(tmp_path, monkeypatch, llama_made):
    from assistant.api import Assistant

    model = tmp_path / "model.gguf"
    a = Assistant(Settings(backend="llama-cpp", llm_model=model, index_dir=tmp_path / "index"))
    assert "does not exist" in (a.llm_unavailable() or "")
    assert a.llm_unavailable("extractive") is None
    model.write_bytes(b"GGUF" + bytes(60))
    install_llama_cpp(monkeypatch)
    assert a.llm_unavailable() is None and llama_made == [model]


def test_a_weak_match_is_not_a_refusal_when_the_named_study_was_found():
    """"Was the benefit in Luo et al. 2021 still there after treatment?" words its question unlike the abstract: the
    cosine falls under the threshold, but the study it names was retrieved, so it is answered from it; the same
    wording naming no study is refused as before."""
    from assistant.studies.contracts import StudyRecord

    from .conftest import make_passage
    luo = make_passage("luo", "Results", "x").chunk.paper_id
    records = {luo: StudyRecord(paper_id=luo, doc_ids=(f"{luo}#n",), label="Luo et al. 2021")}
    e = AnswerEngine(settings(refusal_threshold=0.9), FakeSearch(), studies=lambda: records)
    named = e.ask("Did glial activation in the spinal cord fall in Luo et al. 2021?")
    assert "below-threshold" not in named.flags
    plain = e.ask("Did glial activation in the spinal cord fall?")
    assert "below-threshold" in plain.flags
