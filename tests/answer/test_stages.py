"""Unit tests for the answer pipeline's stages, evidence selection, verdicts and grammars (invented wording)."""

from __future__ import annotations

import json
import re

import pytest

from assistant.answer import stages, verdict
from assistant.answer.check import check_answer
from assistant.answer.composers import ExtractiveComposer, LLMComposer
from assistant.answer.grammar import answer_grammar
from assistant.answer.judge import LexicalJudge
from assistant.answer.prompts import FINDINGS_FOLLOW_UP
from assistant.answer.select import select_evidence
from assistant.answer.turn import Turn
from assistant.corpus.sentences import sentence_spans
from assistant.errors import ConfigError
from assistant.settings import Settings

from .conftest import FACTS, FakeSearch, ScriptedLLM, drain, make_passage


def passages():
    return [make_passage(key, sec, text, rank=i) for i, (key, sec, text) in enumerate(FACTS, 1)]


def s(**kw) -> Settings:
    return Settings(**{"backend": "extractive", "refusal_threshold": 0.3, "top_k": 4, **kw})


# --- evidence selection ----------------------------------------------------------------------------------

def test_sentence_spans_index_into_the_text():
    text = FACTS[0][2]
    spans = sentence_spans(text)
    assert len(spans) == 3
    for a, b, sent in spans:
        assert text[a:b] == sent


def test_evidence_sentences_answer_the_question_and_point_at_their_offsets():
    ps = passages()
    ev = select_evidence("Which cytokines did rTMS lower in the spinal dorsal horn?", ps, max_sentences=4)
    assert ev and len(ev) <= 4
    assert "IL-1β" in ev[0].text or any("IL-1β" in e.text for e in ev)
    for e in ev:
        assert ps[e.n - 1].chunk.text[e.start:e.end] == e.text and e.chunk_id == ps[e.n - 1].chunk.chunk_id
    assert [e.id for e in ev] == list(range(1, len(ev) + 1))


def test_evidence_selection_spreads_over_papers_and_respects_the_budget():
    ps = passages()
    q = "How do microglial Iba-1 and the cytokine IL-1β change in the spinal cord after rTMS?"
    ev = select_evidence(q, ps, max_sentences=8)
    assert {e.n for e in ev} >= {1, 2}  # the cytokine paper and the glia paper both contribute
    tight = select_evidence(q, ps, max_sentences=8, token_budget=40)
    assert 1 <= len(tight) < len(ev)


def test_sentences_the_sanitiser_touched_are_not_evidence():
    ps = passages()
    from assistant.answer.prompts import sanitize

    texts = [sanitize(p.chunk.text)[0] for p in ps]
    ev = select_evidence("What did the BDNF paper say about France and Berlin?", ps, texts)
    assert all("Berlin" not in e.text for e in ev)


@pytest.mark.parametrize("section,weight", [
    ("Results", 1.3), ("Findings reported in the abstract", 1.3), ("Background", 0.6), ("Aims", 0.6),
    ("OBJECTIVE", 0.6), ("Main claims", 1.0), ("Design", 1.0),  # "claims" holds "aim" but is no aim
])
def test_section_weights_favour_findings_over_a_statement_of_aims(section, weight):
    from assistant.answer.select import section_weight

    assert section_weight(section) == weight


# --- verdicts ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("q,expected", [
    ("Does rTMS lower TNF-α in the spinal cord?", True),
    ("Is IL-10 raised after high-frequency stimulation?", True),
    ("And did the same happen in the cortex?", True),
    ("Vaccine storage in clinics: a weak link in the cold chain?", True),
    ("Which cytokines does rTMS lower?", False),
    ("How big was that reduction?", False),
    ("In which tissue did GFAP fall?", False),
])
def test_yes_no_questions_are_recognised(q, expected):
    assert verdict.is_yes_no(q) is expected


def test_verdict_word_is_read_and_stripped():
    assert verdict.said("Yes. rTMS lowered it [1].") == "yes"
    assert verdict.said("No, it did not [2].") == "no"
    assert verdict.said("rTMS lowered it [1].") is None
    assert verdict.strip_verdict("No. rTMS did not change it [1].") == "rTMS did not change it [1]."
    assert verdict.strip_verdict("Yes, it did [1].") == "It did [1]."


def test_studies_that_disagree_make_the_verdict_mixed():
    papers = {"a": ["TNF-α fell in the spinal cord after rTMS."], "b": ["TNF-α rose in the prefrontal cortex."]}
    assert verdict.check("yes", True, "Does rTMS lower TNF-α?", papers) == "mixed"
    assert verdict.check("yes", True, "Does rTMS lower TNF-α?", {"a": papers["a"]}) == "yes"
    assert verdict.check("yes", False, "Does rTMS lower TNF-α?", papers) == "insufficient"
    assert verdict.check(None, True, "Does rTMS lower TNF-α?", {"a": papers["a"]}) == "insufficient"


# --- grammar ----------------------------------------------------------------------------------------------

def test_answer_grammar_allows_only_in_range_markers_and_no_refusal():
    g = answer_grammar(3, yes_no=True)
    assert '"1" | "2" | "3"' in g and '"4"' not in g
    assert 'verdict ::= ("Yes" | "No")' in g and "refusal" not in g
    assert re.search(r'^root ::= answer$', g, re.M)


def test_llm_composer_passes_the_grammar_only_to_backends_that_take_one():
    class GrammarLLM(ScriptedLLM):
        supports_grammar = True

        def generate(self, messages, stream=False, max_tokens=None, grammar=None):
            self.grammar = grammar
            return super().generate(messages, stream, max_tokens)

    turn = Turn(question="Does rTMS lower IL-1β?", query="Does rTMS lower IL-1β?", passages=passages(), yes_no=True)
    turn = turn.but(texts=[p.chunk.text for p in turn.passages])
    llm = GrammarLLM("Yes. It lowered IL-1β [1].")
    assert "".join(LLMComposer(llm, s()).compose(turn)) == "Yes. It lowered IL-1β [1]."
    assert llm.grammar and "verdict ::=" in llm.grammar
    plain = ScriptedLLM("It lowered IL-1β [1].")
    assert "".join(LLMComposer(plain, s()).compose(turn)) == "It lowered IL-1β [1]."


class VerdictLLM(ScriptedLLM):
    """A scripted LLM that also decides a first Yes/No token: its log-odds is fixed."""

    supports_grammar = True
    decides_yes_no = True

    def __init__(self, logodds: float, reply: str) -> None:
        super().__init__(reply)
        self.logodds, self.kwargs = logodds, []
        self.last_yes_logodds: float | None = None

    def generate(self, messages, stream=False, max_tokens=None, grammar=None, yes_threshold=None, restart=False):
        self.kwargs.append({"grammar": grammar, "yes_threshold": yes_threshold, "max_tokens": max_tokens,
                            "restart": restart})
        self.last_yes_logodds = self.logodds if yes_threshold is not None else None
        return super().generate(messages, stream, max_tokens)


# the plain asking starts from the probe's system prompt whatever the cache holds; the negated one goes on from it
PROBE_KWARGS = {"grammar": None, "yes_threshold": 0.0, "max_tokens": 1, "restart": True}
NEGATED_KWARGS = {**PROBE_KWARGS, "restart": False}


def score_is_logodds(tmp_path):
    model = tmp_path / "verdict.json"  # the verdict model's score is the log-odds itself
    model.write_text(json.dumps({"features": list(verdict.FEATURES), "weights": [1, 0, 0, 0, 0], "bias": 0}))
    return model


def probed_turn(q: str) -> Turn:
    turn = Turn(question=q, query=q, passages=passages(), yes_no=True)
    turn = turn.but(texts=[p.chunk.text for p in turn.passages])
    turn = turn.taking(stages.findings(turn, s(), None))  # the best paper's retrieved passages
    return turn


def assert_probe_calls(negated_call, probe_call, top_text: str, q: str) -> None:
    assert probe_call[-1]["content"].startswith("Results: ") and top_text[:40] in probe_call[-1]["content"]
    assert q in probe_call[-1]["content"]
    # the negated asking shares the prompt up to its last line (llama.cpp's prefix cache)
    head, _, last = negated_call[-1]["content"].rpartition("\n")
    assert probe_call[-1]["content"].startswith(head + "\n")
    assert last.startswith("Is the answer to this question no?")


def test_the_verdict_is_asked_for_from_the_findings_after_the_answer(tmp_path):
    q = "Does rTMS lower IL-1β in the spinal cord?"
    model = score_is_logodds(tmp_path)
    for logodds, expected in ((1.2, "yes"), (-0.4, "no")):
        turn = probed_turn(q)
        llm = VerdictLLM(logodds, "It lowered IL-1β in the dorsal horn [1].")
        composer = LLMComposer(llm, s(verdict_probe=True, verdict_probe_threshold=0.5, verdict_model=model,
                                      yes_no_answer="evidence"))
        deltas, probe = drain(composer.compose(turn))
        turn = turn.taking(probe)
        assert "".join(deltas) == "It lowered IL-1β in the dorsal horn [1]."
        answer_call, probe_call, negated_call = llm.calls
        assert "verdict ::=" not in llm.kwargs[0]["grammar"]  # the answer states the finding, no verdict word
        assert "Yes. or No." not in answer_call[-1]["content"]
        assert (llm.kwargs[1], llm.kwargs[2]) == (PROBE_KWARGS, NEGATED_KWARGS)
        assert_probe_calls(negated_call, probe_call, turn.passages[0].chunk.text, q)
        assert (turn.probed, turn.yes_logodds, turn.verdict_score) == (expected, logodds, logodds)
        turn = turn.but(support=turn.texts)
        # a restated verdict does not outrank the probe
        turn = turn.but(raw="Yes, rTMS lowers IL-1β in the spinal cord [1].")
        turn = stages.verified(turn, LexicalJudge(), s())
        assert turn.said == expected
    off = VerdictLLM(1.0, "Yes. It lowered IL-1β [1].")
    turn = probed_turn(q)
    turn = turn.taking(drain(LLMComposer(off, s(verdict_probe=False)).compose(turn))[1])
    assert len(off.calls) == 1 and "verdict ::=" in off.kwargs[0]["grammar"] and turn.probed is None


def test_the_answer_goes_on_from_the_verdict_probe_over_the_findings(tmp_path):
    q = "Does rTMS lower IL-1β in the spinal cord?"
    model = score_is_logodds(tmp_path)
    for logodds, word in ((1.2, "Yes"), (-0.4, "No")):
        turn = probed_turn(q)
        llm = VerdictLLM(logodds, "IL-1β fell in the dorsal horn.")
        composer = LLMComposer(llm, s(verdict_probe=True, verdict_probe_threshold=0.5, verdict_model=model))
        assert composer.from_findings(turn) and not ExtractiveComposer(s()).from_findings(turn)
        deltas, probe = drain(composer.compose(turn))
        assert deltas[0] == f"{word}. " and "".join(deltas) == f"{word}. IL-1β fell in the dorsal horn."
        probe_call, negated_call, answer_call = llm.calls
        assert (llm.kwargs[0], llm.kwargs[1]) == (PROBE_KWARGS, NEGATED_KWARGS)
        assert_probe_calls(negated_call, probe_call, turn.passages[0].chunk.text, q)
        # the answer carries the plain asking on: its prompt, the verdict as the model's reply, one request more
        assert answer_call[:len(probe_call)] == probe_call
        assert answer_call[len(probe_call)] == {"role": "assistant", "content": word}
        assert answer_call[-1] == {"role": "user", "content": FINDINGS_FOLLOW_UP}
        assert llm.kwargs[2]["grammar"] is None and llm.kwargs[2]["yes_threshold"] is None
        assert not llm.kwargs[2]["restart"]  # it goes on from the probe's evaluated prompt
    # no markers was asked for: the check adds them, and "no-citations" is no warning here
    turn = turn.taking(probe).but(raw="".join(deltas).replace(
        "IL-1β fell in the dorsal horn.", "10 Hz rTMS lowered IL-1β and TNF-α in the spinal dorsal horn."),
        used_llm=True, support=[p.chunk.text for p in turn.passages])
    assert turn.unmarked
    turn = stages.verified(turn, LexicalJudge(), s())
    assert turn.result.citations and "no-citations" not in turn.result.flags, turn.result.flags
    turn = turn.but(unmarked=False)
    turn = stages.verified(turn, LexicalJudge(), s())
    assert "no-citations" in turn.result.flags
    # the probe cannot decide (no log-odds): the answer is written from the evidence, as without the probe
    undecided = VerdictLLM(1.0, "It lowered IL-1β in the dorsal horn [1].")
    turn = probed_turn(q)
    undecided.logodds = None
    composer = LLMComposer(undecided, s(verdict_probe=True, verdict_model=model))
    deltas, probe = drain(composer.compose(turn))
    assert "".join(deltas) == "It lowered IL-1β in the dorsal horn [1]."
    assert len(undecided.calls) == 2 and probe.probed is None  # the plain asking failed; one answer, no retry
    # a paper without findings text: nothing to write from
    turn = probed_turn(q)
    turn = turn.but(findings="")
    assert not composer.from_findings(turn)


def test_the_findings_passages_join_the_shown_ones_once():
    q = "Does rTMS lower IL-1β in the spinal cord?"
    turn = probed_turn(q)
    turn = turn.but(support=list(turn.texts))
    extra = make_passage("luo", "Results", "IL-1β fell by half in the dorsal horn.")
    turn = turn.but(findings_from=[(turn.passages[0], turn.texts[0]), (extra, extra.chunk.text)])
    turn = turn.but(findings=f"{turn.texts[0]} {extra.chunk.text}")
    shown = len(turn.passages)
    turn = turn.taking(stages.join_findings(turn))
    turn = turn.taking(stages.join_findings(turn))  # twice: no duplicate
    assert len(turn.passages) == len(turn.texts) == len(turn.support) == shown + 1
    assert turn.passages[-1].chunk.chunk_id == extra.chunk.chunk_id and turn.passages[-1].rank == shown + 1
    turn = turn.but(findings=turn.texts[0][:20])  # the cut text reads only the first part: the second does not join
    turn2 = probed_turn(q)
    turn2 = turn2.but(findings_from=turn.findings_from, findings=turn.findings)
    turn2 = turn2.taking(stages.join_findings(turn2))
    assert len(turn2.passages) == shown


def test_findings_text_takes_the_best_papers_results_first_and_cuts_on_a_sentence():
    from assistant.answer.verdict import findings_text

    ps = [make_passage("luo", "Methods", "Rats were stimulated daily. Tissue was stained."),
          make_passage("bai", "Spinal inflammation", "Unrelated paper text."),
          make_passage("luo", "Results", "Iba-1 fell after stimulation. GFAP fell less.")]
    texts = [p.chunk.text for p in ps]
    assert findings_text(ps, texts, 1000) == "Iba-1 fell after stimulation. GFAP fell less."  # results only
    assert findings_text(ps, texts, 40) == "Iba-1 fell after stimulation."
    assert findings_text(ps[:2], texts[:2], 1000) == "Rats were stimulated daily. Tissue was stained."  # no results
    assert findings_text([], [], 100) == ""


# --- retrieval fusion and conversation ---------------------------------------------------------------------

def test_fuse_keeps_each_chunk_once_with_its_best_scores_and_caps_per_paper():
    ps = passages()
    a = [p.model_copy(update={"dense_score": 0.2}) for p in ps]
    b = [p.model_copy(update={"dense_score": 0.7}) for p in reversed(ps)]
    fused = stages.fuse([a, b], k=3, cap=1)
    assert len(fused) == 3 and len({p.chunk.chunk_id for p in fused}) == 3
    assert all(p.dense_score == 0.7 for p in fused) and [p.rank for p in fused] == [1, 2, 3]


def test_follow_up_is_resolved_and_searched_with_the_previous_answers_papers():
    search = FakeSearch()
    history = [{"role": "user", "content": "Which glial marker fell after repeated high-frequency stimulation?"},
               {"role": "assistant", "content": "Iba-1 staining of microglia fell in the spinal cord [1].",
                "paper_ids": ["doi:10.0000/invented.1"]}]
    turn = Turn(question="And what happened to GFAP in the same animals?", k=4,
                history=stages.conversation.normalise_history(history))
    turn = turn.but(query=stages.resolve(turn))  # heuristic: previous key words merged in
    assert turn.query != turn.question and "GFAP" in turn.query
    turn = turn.but(passages=stages.retrieve(turn, search, s(), explicit_mode=False))
    assert any(p.doc.first_author == "Luo" for p in turn.passages)
    assert len(search.calls) == 3  # resolved query, question as asked, resolved query within the cited paper


def test_llm_resolution_is_used_when_it_keeps_the_question():
    llm = ScriptedLLM("What happened to GFAP in the rats given high-frequency stimulation?")
    turn = Turn(question="What happened to GFAP in them?",
                history=[{"role": "user", "content": "Which rats got high-frequency stimulation?"},
                         {"role": "assistant", "content": "Rats with nerve injury [1]."}])
    turn = turn.but(query=stages.resolve(turn, llm))
    assert turn.query.startswith("What happened to GFAP in the rats")
    bad = ScriptedLLM("Tell me about the weather.")
    turn2 = Turn(question=turn.question, history=turn.history)
    turn2 = turn2.but(query=stages.resolve(turn2, bad))
    assert "weather" not in turn2.query and "GFAP" in turn2.query


# --- gate, completion, verdict, highlights ------------------------------------------------------------------

def test_gate_reasons():
    turn = Turn(question="Does rTMS lower IL-17?", passages=passages())
    turn = turn.but(gate=stages.gate(turn, s(refusal_threshold=0.0)))
    assert turn.gate == "question-term-missing"
    empty = Turn(question="x?")
    empty = empty.but(gate=stages.gate(empty, s()))
    assert empty.gate == "no-passages"


def test_a_paper_that_stands_out_overrules_the_lexical_gate_and_a_cluster_does_not():
    def lexically_weak(dense_a: float, dense_b: float) -> list:
        ps = [make_passage("luo", "Results", "Insular rTMS lowered TNF-alpha in rats.", dense=dense_a),
              make_passage("chen", "Results", "Prefrontal TNF-alpha rose after rTMS.", rank=2, dense=dense_b)]
        for p in ps:
            p.bm25_rel = 0.3
        return ps

    assert stages.standout(lexically_weak(0.62, 0.41)) == pytest.approx(0.21)
    for dense_b, refused in ((0.41, None), (0.60, "below-bm25-threshold")):
        turn = Turn(question="Is insular stimulation useful?", passages=lexically_weak(0.62, dense_b))
        turn = turn.but(gate=stages.gate(turn, s(refusal_threshold=0.3, refusal_bm25_threshold=0.8)))
        assert turn.gate == refused
    off = Turn(question="Is insular stimulation useful?", passages=lexically_weak(0.62, 0.41))
    no_overrule = s(refusal_threshold=0.3, refusal_bm25_threshold=0.8, refusal_margin_overrule=0.0)
    off = off.but(gate=stages.gate(off, no_overrule))
    assert off.gate == "below-bm25-threshold"
    one_paper = lexically_weak(0.62, 0.41)[:1]
    assert stages.standout(one_paper) == 0.0


def _ready(question: str, raw: str) -> tuple[Turn, LexicalJudge]:
    turn = Turn(question=question, query=question, passages=passages())
    turn = turn.taking(stages.select(turn, s()))
    judge = LexicalJudge().fit(turn.support)
    turn = turn.but(raw=raw, generated=raw, used_llm=True)
    turn = stages.verified(turn, judge, s())
    return turn, judge


def test_completion_adds_the_verified_sentence_for_a_named_thing_the_model_left_out():
    turn, judge = _ready("How did IL-1β and IL-10 change in the spinal cord after rTMS?",
                         "10 Hz rTMS lowered IL-1β in the spinal dorsal horn [1].")
    turn = turn.taking(stages.complete(turn, judge, s()))
    assert "evidence-added" in turn.flags and "IL-10" in turn.result.text
    assert all(x.supported for x in turn.result.sentences)
    off, judge2 = _ready("How did IL-1β and IL-10 change in the spinal cord after rTMS?",
                         "10 Hz rTMS lowered IL-1β in the spinal dorsal horn [1].")
    off = off.taking(stages.complete(off, judge2, s(complete_answers=False)))
    assert "IL-10" not in off.result.text


def test_verdict_and_highlights_are_assembled():
    turn, judge = _ready("Does rTMS lower IL-1β in the spinal dorsal horn?",
                         "Yes. 10 Hz rTMS lowered IL-1β and TNF-α in the spinal dorsal horn [1].")
    assert turn.yes_no and turn.said == "yes"
    turn = turn.taking(stages.decide_verdict(turn))
    assert turn.verdict == "yes"
    ans = stages.assemble(turn, dict(question=turn.question, query=turn.query, passages=turn.passages), judge)
    assert ans.verdict == "yes" and ans.answer.startswith("Yes. ")
    c = ans.citations[0]
    (a, b), = c.highlights
    assert "lowered IL-1β" in c.passage.chunk.text[a:b]
    assert ans.sentences[0].evidence_ids


def test_unverifiable_yes_gives_insufficient():
    turn, judge = _ready("Does rTMS cure diabetes?", "Yes. rTMS cured diabetes in every patient [1].")
    turn = turn.taking(stages.decide_verdict(turn))
    assert turn.verdict == "insufficient"


def test_extractive_composer_gives_a_verdict_word_for_yes_no_questions():
    turn = Turn(question="Did IL-10 rise after rTMS?", query="Did IL-10 rise after rTMS?", passages=passages())
    turn = turn.taking(stages.select(turn, s()))
    out = "".join(ExtractiveComposer(s()).compose(turn))
    assert out.startswith(("Yes. ", "No. ")) and "[" in out


def test_check_answer_is_unchanged_for_plain_answers():
    ps = passages()
    r = check_answer("10 Hz rTMS lowered IL-1β in the spinal dorsal horn [1].", ps, [p.chunk.text for p in ps],
                     LexicalJudge().fit([p.chunk.text for p in ps]))
    assert r.supported_count == 1


def test_completion_adds_the_cited_papers_sentence_for_a_dropped_part_of_the_question():
    turn, judge = _ready("When did mechanical withdrawal thresholds recover?",
                         "Mechanical withdrawal thresholds recovered within two weeks of daily sessions [1].")
    before = turn.result.text
    turn = turn.taking(stages.complete(turn, judge, s()))
    assert turn.result.text == before  # nothing asked is missing from a sentence of the cited paper
    turn2, judge2 = _ready("Which cytokine did 10 Hz rTMS raise, and what did it lower in the dorsal horn?",
                           "The same protocol raised the anti-inflammatory cytokine IL-10 [1].")
    turn2 = turn2.taking(stages.complete(turn2, judge2, s()))
    assert "evidence-added" in turn2.flags and "IL-1β" in turn2.result.text


def test_the_models_verdict_survives_a_fallback_to_verified_sentences():
    turn, judge = _ready("Did IL-10 rise after the 10 Hz protocol?", "No. Something unrelated about kidneys [1].")
    assert turn.said == "no" and turn.result.supported_count == 0
    turn = drain(stages.fallback(turn, ExtractiveComposer(s()), judge, s()))[1]
    assert "extractive-fallback" in turn.flags and turn.result.supported_count > 0
    turn = turn.taking(stages.decide_verdict(turn))
    assert turn.verdict == "no"  # kept from the model, now backed by verified evidence


def test_a_sentence_that_points_back_brings_the_sentence_it_points_to():
    text = ("Nerve injury raised GFAP and Iba-1 in the dorsal horn of the rats. These changes were reversed by 20 Hz "
            "rTMS over the motor cortex. Body weight did not differ between groups.")
    ps = [make_passage("luo", "Results", text)]
    ev = select_evidence("Which changes did 20 Hz rTMS reverse?", ps, max_sentences=1)
    assert [e.text[:12] for e in ev] == ["Nerve injury", "These change"]


@pytest.mark.parametrize("second,brings", [
    ("Stimulation at 20 Hz reversed every one of these changes within 11 days.", True),
    ("Stimulation at 20 Hz lowered PSD-95 within 11 days.", False)])
def test_a_reference_back_inside_a_sentence_brings_its_predecessor(second, brings):
    text = ("Compression of the ganglion raised GFAP in satellite glia and serum IL-18 in the rats. " + second
            + " Body weight did not differ between groups.")
    ev = select_evidence("What did 20 Hz stimulation do within 11 days?", [make_passage("luo", "Results", text)],
                         max_sentences=1)
    assert [e.text[:11] for e in ev] == (["Compression", "Stimulation"] if brings else ["Stimulation"])


@pytest.mark.parametrize("yes_no", [False, True])
def test_llama_cpp_parses_the_answer_grammar(yes_no):
    llama_cpp = pytest.importorskip("llama_cpp")
    assert llama_cpp.LlamaGrammar.from_string(answer_grammar(12, yes_no=yes_no),
                                              verbose=False) is not None


def test_citations_that_do_not_back_a_supported_sentence_are_pruned():
    turn, _ = _ready("Which cytokines did rTMS lower?",
                     "10 Hz rTMS lowered IL-1β and TNF-α in the spinal dorsal horn [1][2][3].")
    sent = turn.result.sentences[0]
    assert sent.supported and sent.markers == [1] and "citations-pruned" in turn.result.flags
    assert turn.result.text.endswith("dorsal horn [1].")


def test_an_answer_with_no_verified_sentence_is_a_refusal():
    turn, judge = _ready("Does rTMS cure diabetes?", "Yes. rTMS cured diabetes in every patient [1].")
    turn = turn.but(used_llm=False)  # no fallback in this test: the answer as checked
    turn = turn.taking(stages.decide_verdict(turn))
    ans = stages.assemble(turn, dict(question=turn.question, query=turn.query, passages=turn.passages), judge)
    assert not ans.answerable and "nothing-verifiable" in ans.flags and ans.verdict == "insufficient"


def test_findings_outrank_a_structured_abstracts_aim():
    aim = make_passage("chen", "Objective", "We asked whether twenty sessions of rTMS lower pain scores after spinal "
                                            "cord injury.")
    res = make_passage("chen", "Results", "Pain scores after spinal cord injury fell by thirty percent with twenty "
                                          "sessions of rTMS compared with sham.", rank=2)
    ev = select_evidence("Do twenty sessions of rTMS lower pain scores after spinal cord injury?", [aim, res],
                         max_sentences=1)
    assert ev[0].text.startswith("Pain scores")


def test_stored_sentence_vectors_let_a_paraphrase_be_chosen():
    ps = passages()
    q = "What became of the animals' sensitivity to touch?"  # no content word shared with the answer sentence
    target = next(a for a, _, t in sentence_spans(ps[0].chunk.text) if t.startswith("Mechanical"))
    assert not select_evidence(q, ps[:1], max_sentences=1) or \
        not select_evidence(q, ps[:1], max_sentences=1)[0].text.startswith("Mechanical")
    dense = {(ps[0].chunk.chunk_id, target): 0.7}
    ev = select_evidence(q, ps[:1], max_sentences=1, dense=dense)
    assert ev and ev[0].text.startswith("Mechanical withdrawal thresholds")


def test_question_parts():
    assert stages.question_parts("How much did it fall, and what stimulation produced it?") == [
        "How much did it fall", "what stimulation produced it?"]
    one = "Which cytokines and glial markers fell?"
    assert stages.question_parts(one) == [one]


def test_completion_answers_the_second_part_of_a_two_part_question():
    turn, judge = _ready("How did pain scores change after spinal cord injury, and how many sessions of rTMS "
                         "were given?", "Pain scores after spinal cord injury fell compared with sham [3].")
    turn = turn.taking(stages.complete(turn, judge, s()))
    assert "evidence-added" in turn.flags and "twenty sessions" in turn.result.text


def test_restated_questions_and_repeated_sentences_are_dropped():
    turn, _ = _ready("Did IL-1β fall in the spinal dorsal horn after rTMS?",
                     "Yes. IL-1β fell in the spinal dorsal horn after rTMS [1]. Hu et al [1]. Hu et al [1]. "
                     "10 Hz rTMS lowered IL-1β and TNF-α in the spinal dorsal horn [1].")
    r = turn.result
    assert {"restated-question-dropped", "repeated-sentence-dropped"} <= set(r.flags)
    assert "TNF-α" in r.text and r.text.count("Hu et al") == 1 and "fell in the spinal" not in r.text


def test_completion_uses_the_users_own_second_part_when_the_rewrite_lost_it():
    q = "How did pain scores change after it, and how many sessions were given?"
    turn = Turn(question=q, query="How did pain scores change after spinal cord injury?", passages=passages())
    turn = turn.taking(stages.select(turn, s()))
    judge = LexicalJudge().fit(turn.support)
    raw = "Pain scores after spinal cord injury fell compared with sham [3]."
    turn = turn.but(raw=raw, generated=raw, used_llm=True)
    turn = stages.verified(turn, judge, s())
    turn = turn.taking(stages.complete(turn, judge, s()))
    assert "twenty sessions" in turn.result.text


def test_the_verdict_reads_the_whole_best_paper_when_the_index_can_give_it():
    retrieved = [make_passage("luo", "Background", "Glia matter in pain. Their role after rTMS is unclear."),
                 make_passage("bai", "Spinal inflammation", "Unrelated paper text.")]
    whole = [retrieved[0], make_passage("luo", "Results", "Iba-1 fell after stimulation.")]
    q = "Does rTMS lower Iba-1?"
    turn = Turn(question=q, query=q, passages=retrieved, yes_no=True)
    asked: list[str] = []

    def paper_passages(paper_id: str):
        asked.append(paper_id)
        return whole

    turn = turn.taking(stages.findings(turn, s(), paper_passages))
    assert asked == [retrieved[0].chunk.paper_id]
    assert turn.findings.startswith("Iba-1 fell after stimulation.") and "Unrelated" not in turn.findings
    turn = turn.taking(stages.findings(turn, s(), None))  # no whole-paper access: the retrieved passages of that paper
    assert turn.findings == "Glia matter in pain. Their role after rTMS is unclear."
    wh = Turn(question="Which marker fell?", query="Which marker fell?", passages=retrieved, yes_no=False)
    wh = wh.taking(stages.findings(wh, s(), paper_passages))
    assert wh.findings == "" and len(asked) == 1  # only yes/no questions need findings


def test_the_verdict_reads_a_review_without_results_from_its_retrieved_passages():
    # invented review: no results section; its opening part is about another tissue than the question
    review = [make_passage("bai", "Brain", "In the cortex rTMS lowered IL-6."),
              make_passage("bai", "Dorsal root ganglia", "In the ganglia rTMS lowered nNOS; no cytokine was measured."),
              make_passage("bai", "Clinical protocols", "Most trials used 10 Hz over the motor cortex.")]
    q = "Does rTMS lower TNF-α in the dorsal root ganglia?"
    turn = Turn(question=q, query=q, passages=[review[1], make_passage("luo", "Results", "Iba-1 fell.")], yes_no=True)
    turn = turn.taking(stages.findings(turn, s(), lambda paper_id: review))
    assert turn.findings == "In the ganglia rTMS lowered nNOS; no cytokine was measured."
    with_results = [*review, make_passage("bai", "Results", "TNF-α fell in the ganglia.")]
    turn = turn.taking(stages.findings(turn, s(), lambda paper_id: with_results))
    assert turn.findings == "TNF-α fell in the ganglia."  # a paper with results gives them, retrieved or not


def test_the_answer_names_what_its_verdict_was_read_from():
    long = " ".join(f"Iba-1 fell by {n}0% in rat {n} after stimulation." for n in range(1, 7))  # ~250 characters
    results = [make_passage("luo", "Results", long),
               make_passage("luo", "Results", "GFAP fell as well, by a fifth, in the same rats.")]
    q = "Does rTMS lower Iba-1?"
    turn = Turn(question=q, query=q, passages=results, yes_no=True)
    turn = turn.taking(stages.findings(turn, s(verdict_findings_chars=2000), lambda paper_id: results))
    turn = turn.but(probed="yes", verdict="yes")
    basis = stages.verdict_basis(turn)
    assert basis is not None and basis.label == results[0].doc.short_label() and basis.sections == ["Results"]
    assert basis.chunk_ids == [p.chunk.chunk_id for p in results] and basis.text == turn.findings
    # cut inside the first passage
    turn = turn.taking(stages.findings(turn, s(verdict_findings_chars=200), lambda paper_id: results))
    assert stages.verdict_basis(turn).chunk_ids == [results[0].chunk.chunk_id]
    turn = turn.but(verdict="mixed")  # the cited studies disagreed: the verdict is not the probe's
    assert stages.verdict_basis(turn) is None
    turn = turn.but(verdict="yes", probed=None)  # no probe (another backend): nothing to show
    assert stages.verdict_basis(turn) is None


def test_the_verdict_model_reads_the_log_odds_with_the_findings_wording(tmp_path):
    feats = verdict.features(0.7, 0.2, "Pain fell significantly (p < 0.01). IL-6 did not change; TNF-α was similar.")
    assert feats == [0.7, 0.2, 1.0, 1.0, 2.0]  # "did not"; "similar"; "significantly", "p < 0.01"
    shipped = verdict.VerdictModel.load()
    assert shipped.features == list(verdict.FEATURES) and shipped.n >= 100 and shipped.weights[0] > 0
    assert shipped.weights[1] < 0  # yes to "is the answer no?" pulls towards no
    assert shipped.weights[2] < 0  # findings that report no effect pull towards no
    found = "Pain fell significantly in the treated group (p < 0.01)."
    none = "Pain scores did not differ; there was no significant difference between groups."
    assert shipped.score(1.0, 0.0, found) > shipped.score(1.0, 0.0, none)
    assert shipped.score(2.0, 0.0, found) > shipped.score(-1.0, 0.0, found)
    assert shipped.score(1.0, -1.0, found) > shipped.score(1.0, 1.0, found)
    bad = tmp_path / "bad.json"
    bad.write_text('{"features": ["yes_logodds"], "weights": [1.0], "bias": 0}')
    with pytest.raises(ConfigError, match="pubmedqa-fit-verdict"):
        verdict.VerdictModel.load(bad)
    bad.write_text("not json")
    with pytest.raises(ConfigError, match="Restore it from git"):
        verdict.VerdictModel.load(bad)


def test_fitting_the_verdict_model_learns_which_way_each_signal_points():
    from assistant.eval.pubmedqa.verdict_fit import fit

    rows = []
    for i in range(60):  # invented: yes questions have high log-odds and few no-effect cues
        label = ("yes", "no", "maybe")[i % 3]
        lo = (1.5 if label == "yes" else 0.2) + (i % 5) * 0.1
        rows.append({"pmid": str(i), "label": label, "x": [lo, 0.0 if label == "yes" else 2.0, 0.0, 1.0]})
    model = fit(rows)
    assert model.weights[0] > 0 and model.weights[1] < 0
    assert model.n == 60  # every yes and no right, maybe counted wrong:
    assert model.cv_accuracy == pytest.approx(2 / 3, abs=1e-3)


def test_an_answer_that_only_restates_the_question_is_asked_for_once_more():
    question = "Rats got 10 Hz rTMS in the spinal cord study. Which cytokines fell?"
    turn, judge = _ready(question, "Rats got 10 Hz rTMS in the spinal cord study [1].")
    assert "restated-question-dropped" in turn.result.flags and turn.result.supported_count == 0
    llm = ScriptedLLM("10 Hz rTMS lowered IL-1β and TNF-α in the spinal dorsal horn [1].")
    deltas, turn = drain(stages.ask_again(turn, LLMComposer(llm, s()), judge, s()))
    streamed = "".join(deltas)
    assert "asked again" in streamed and "asked-again" in turn.flags
    assert turn.result.supported_count == 1 and "IL-1β" in turn.result.text
    sent = llm.calls[0]
    assert sent[-2] == {"role": "assistant", "content": "Rats got 10 Hz rTMS in the spinal cord study [1]."}
    assert sent[-1]["role"] == "user" and sent[-1]["content"] == stages.ASK_AGAIN
    assert "Rats got 10 Hz" in turn.generated and "IL-1β" in turn.generated  # both attempts kept as raw output
    # once only, and never for an answer that says something, nor when switched off
    assert list(stages.ask_again(turn, LLMComposer(llm, s()), judge, s())) == [] and len(llm.calls) == 1
    said, judge2 = _ready(question, "10 Hz rTMS lowered IL-1β in the spinal dorsal horn [1].")
    assert list(stages.ask_again(said, LLMComposer(llm, s()), judge2, s())) == []
    off, judge3 = _ready(question, "Rats got 10 Hz rTMS in the spinal cord study [1].")
    assert list(stages.ask_again(off, LLMComposer(llm, s()), judge3, s(ask_again=False))) == []
    assert len(llm.calls) == 1


def test_a_yes_no_answer_that_restates_the_question_is_not_asked_again():
    question = "Does 10 Hz rTMS lower IL-1β in the spinal cord?"
    turn, judge = _ready(question, "Yes, 10 Hz rTMS lowers IL-1β in the spinal cord [1].")
    assert turn.yes_no and "restated-question-dropped" in turn.result.flags
    llm = ScriptedLLM("10 Hz rTMS lowered IL-1β and TNF-α in the spinal dorsal horn [1].")
    assert list(stages.ask_again(turn, LLMComposer(llm, s()), judge, s())) == [] and llm.calls == []


def test_an_answer_to_a_settings_question_that_states_no_value_gets_the_cited_papers_values():
    question = "What protocol did the spinal inflammation study use in rats with chronic constriction injury?"
    turn, judge = _ready(question, "The spinal inflammation study treated rats with chronic constriction injury [1].")
    assert turn.result.supported_count == 1
    turn = turn.taking(stages.complete(turn, judge, s()))
    assert "evidence-added" in turn.flags and "10 Hz" in turn.result.text
    stated, judge2 = _ready(question, "In rats with chronic constriction injury the spinal inflammation study used "
                                      "10 Hz rTMS over the motor cortex [1].")
    assert stated.result.supported_count == 1
    stated = stated.taking(stages.complete(stated, judge2, s()))
    assert "evidence-added" not in stated.flags  # the answer gives a value already


def _vocabulary() -> frozenset[str]:
    from assistant.answer.terms import term_set
    return frozenset().union(*(term_set(text) for _, _, text in FACTS))


def test_no_fallback_for_a_question_whose_wording_the_corpus_lacks():
    vocab = _vocabulary()
    foreign = "What titration schedule and maximum dose of gabapentin suit patients with spinal cord injury pain?"
    assert stages.unknown_terms(foreign, vocab) >= {"titr", "maximum", "dose", "gabapentin"}
    assert stages.outside_corpus(foreign, vocab, 0.25)
    assert not stages.outside_corpus(foreign, vocab, 0.0)  # disabled
    assert not stages.outside_corpus("How did pain scores change after rTMS in spinal cord injury?", vocab, 0.25)
    turn, judge = _ready(foreign, "Take 300 mg of gabapentin a day [3].")
    assert turn.result.supported_count == 0
    turn = drain(stages.fallback(turn, ExtractiveComposer(s()), judge, s(), lambda: vocab))[1]
    assert "unknown-question-terms" in turn.flags and "extractive-fallback" not in turn.flags
    # the same unverifiable answer to a question in the corpus's words does fall back
    near, judge2 = _ready("How did pain scores change after rTMS in spinal cord injury?", "Pain rose a lot [3].")
    near = drain(stages.fallback(near, ExtractiveComposer(s()), judge2, s(), lambda: vocab))[1]
    assert "extractive-fallback" in near.flags and "unknown-question-terms" not in near.flags


def test_the_verdict_model_is_refitted_from_stored_probes_without_the_llm(tmp_path):
    from pathlib import Path

    from assistant.eval.pubmedqa.data import load_pubmedqa
    from assistant.eval.pubmedqa.verdict_fit import fit_verdict_model, read_probes

    data = load_pubmedqa(Path(__file__).resolve().parents[1] / "fixtures" / "pubmedqa", splits=("dev",))
    qs = data.split("dev")
    probes = tmp_path / "probes.jsonl"
    # invented log-odds: high for the yes questions; no LLM is loaded (the backend is extractive)
    probes.write_text("".join(json.dumps({"pmid": q.pmid, "label": q.label, "negated": 0.5,
                                          "logodds": 2.0 if q.label == "yes" else -1.0}) + "\n" for q in qs))
    out = tmp_path / "model.json"
    model = fit_verdict_model(data, s(), out, probes_file=probes, progress=False)
    assert model.n == len(qs) and out.is_file() and model.weights[0] > 0
    assert verdict.VerdictModel.load(out).weights == model.weights
    probes.write_text('{"pmid": "1"}\n')
    with pytest.raises(ConfigError, match="Delete it to probe again"):
        read_probes(probes)
    probes.write_text('{"pmid": "1", "label": "yes", "logodds": 1.0}\n')  # written before the negated probe
    with pytest.raises(ConfigError, match="negated"):
        read_probes(probes)


def _retrieved(search: FakeSearch, q: str, k: int, settings: Settings | None = None, **turn) -> Turn:
    """A turn for ``q`` with its ``k`` passages retrieved (``turn``: more Turn fields, e.g. a gate)."""
    t = Turn(question=q, query=q, k=k, **turn)
    return t.but(passages=stages.retrieve(t, search, settings or s(), explicit_mode=False))


def test_the_retrieved_papers_results_join_their_methods_passage():
    # invented: one paper's methods match the question's words, its results (a second chunk) hold the answer
    facts = [("luo", "Methods", "We measured the number needed to treat for each drug class in this analysis."),
             ("luo", "Results", "Tricyclics had the lowest value, 3.6, of all classes compared."),
             ("chen", "Clinical outcomes", "Pain scores fell by about thirty percent after twenty sessions of rTMS."),
             ("bai", "Spinal inflammation", "10 Hz rTMS lowered IL-1β in the spinal dorsal horn.")]
    search = FakeSearch(facts=facts)
    q = "Which drug class had the lowest number needed to treat in the analysis?"
    turn = _retrieved(search, q, 1)
    assert [p.chunk.section for p in turn.passages] == ["Methods"]
    turn = turn.but(passages=stages.expand(turn, search, s(sibling_passages=2), explicit_mode=False))
    assert [p.chunk.section for p in turn.passages] == ["Methods", "Results"]  # the same paper only
    assert [p.rank for p in turn.passages] == [1, 2] and search.calls[-1][1] == 3
    off = _retrieved(search, q, 1)
    off = off.but(passages=stages.expand(off, search, s(sibling_passages=0), explicit_mode=False))
    assert len(off.passages) == 1
    refused = _retrieved(search, q, 1, gate=stages.AnswerFlag.BELOW_THRESHOLD)
    refused = refused.but(passages=stages.expand(refused, search, s(), explicit_mode=False))
    assert len(refused.passages) == 1  # nothing added to a refused question


def test_a_question_about_one_study_takes_that_studys_other_passages():
    # invented: the question names Chen 2019; Luo's second chunk matches the words better than Chen's protocol
    facts = [("chen", "Design", "Patients received rTMS over the motor cortex in this stimulation trial."),
             ("luo", "Methods", "Rats received rTMS over the motor cortex; the stimulation protocol is given."),
             ("luo", "Protocol", "The stimulation protocol used 20 Hz in rats."),
             ("chen", "Protocol", "Ten sessions at 10 Hz were delivered.")]
    search = FakeSearch(facts=facts)
    q = "What stimulation protocol of rTMS over the motor cortex did Chen et al. 2019 use?"
    turn = _retrieved(search, q, 2)
    assert {p.chunk.paper_id for p in turn.passages} == {"pmid:99999999", "doi:10.0000/invented.1"}
    turn = turn.but(passages=stages.expand(turn, search, s(sibling_passages=1), explicit_mode=False))
    assert turn.passages[-1].chunk.text.startswith("Ten sessions at 10 Hz")  # Chen's, not Luo's better match
    unnamed = _retrieved(search, q.replace("Chen et al. 2019", "the trial"), 2)
    unnamed = unnamed.but(passages=stages.expand(unnamed, search, s(sibling_passages=1), explicit_mode=False))
    assert not unnamed.passages[-1].chunk.text.startswith("Ten sessions")


def test_a_named_study_retrieval_missed_brings_its_best_passage():
    # invented: the question compares Chen 2019 with Luo; the words match Luo's two chunks and Bai's best
    facts = [("luo", "Methods", "Rats received rTMS over the motor cortex at 20 Hz for pain."),
             ("luo", "Protocol", "The rTMS protocol over the motor cortex used 20 Hz in rats with pain."),
             ("bai", "Review", "rTMS over the motor cortex relieves pain in rats at 20 Hz."),
             ("chen", "Protocol", "Ten sessions at 10 Hz were delivered to patients.")]
    search = FakeSearch(facts=facts)
    q = "How did the rTMS protocol over the motor cortex for pain differ between Luo and the Chen trial?"
    chen = "pmid:99999999"
    turn = _retrieved(search, q, 2, about=("doi:10.0000/invented.1", chen))
    assert chen not in {p.chunk.paper_id for p in turn.passages}
    turn = turn.but(passages=stages.expand(turn, search, s(sibling_passages=1), explicit_mode=False))
    assert turn.passages[-1].chunk.paper_id == chen and turn.passages[-1].chunk.text.startswith("Ten sessions")
    assert [p.rank for p in turn.passages] == list(range(1, len(turn.passages) + 1))
    plain = _retrieved(search, q, 2)
    plain = plain.but(passages=stages.expand(plain, search, s(sibling_passages=1), explicit_mode=False))
    assert chen not in {p.chunk.paper_id for p in plain.passages}  # not named: not brought

def test_a_sentence_cited_to_the_wrong_passages_is_cited_to_the_one_that_supports_it():
    from assistant.answer.check import check_answer

    ps = passages()
    texts = [p.chunk.text for p in ps]
    judge = LexicalJudge().fit(texts)
    raw = ("Microglial activation, judged by Iba-1 staining, fell in the ipsilateral spinal cord after repeated "
           "high-frequency stimulation [3][4].")
    r = check_answer(raw, ps, texts, judge)
    assert r.sentences[0].supported and r.sentences[0].markers == [2] and r.sentences[0].repaired
    assert "citations-corrected" in r.flags and r.text.endswith("[2].")
    off = check_answer(raw, ps, texts, judge, repair=False)
    assert off.sentences[0].supported is False and "citations-corrected" not in off.flags
    nowhere = check_answer("Iba-1 staining rose tenfold in the kidneys of dogs after a single session [3].", ps, texts,
                           judge)
    assert nowhere.sentences[0].supported is False and nowhere.sentences[0].markers == [3]


def test_completion_names_what_the_question_asks_for_when_the_answer_only_restates_it():
    q = "Which astrocyte marker showed a smaller decrease?"
    turn, judge = _ready(q, "In the rodent study the astrocyte marker showed a smaller decrease [2].")
    assert turn.result.sentences[0].supported
    turn = turn.taking(stages.complete(turn, judge, s()))
    assert "evidence-added" in turn.flags and "GFAP" in turn.result.text
    named, judge2 = _ready(q, "GFAP, the astrocyte marker, showed a smaller decrease in the rodent study [2].")
    named = named.taking(stages.complete(named, judge2, s()))
    assert "evidence-added" not in named.flags  # the answer names it


def test_completion_answers_which_cells_with_a_cell_type_from_a_sentence_on_the_cited_study():
    """"…, and in which cells?" is answered by a cell type's name, here from the review's sentence on the cited
    study (Luo et al. 2021), which the answer did not cite."""
    ps = [make_passage("bai", "Dorsal horn", "Luo et al. 2021: nerve injury raised GFAP in the dorsal horn "
                                            "(astrocyte activation), and stimulation reversed it.", rank=1),
          make_passage("luo", "Results", "Stimulation at 20 Hz lowered GFAP in the dorsal horn of the rats.", rank=2)]
    q = "Which marker did stimulation lower in the dorsal horn after nerve injury, and in which cells?"
    turn = Turn(question=q, query=q, passages=ps)
    turn = turn.taking(stages.select(turn, s()))
    assert any(e.n == 1 for e in turn.evidence)
    judge = LexicalJudge().fit(turn.support)
    raw = "Stimulation at 20 Hz lowered GFAP in the dorsal horn of the rats [2]."
    turn = turn.but(raw=raw, generated=raw, used_llm=True)
    turn = stages.verified(turn, judge, s())
    turn = turn.taking(stages.complete(turn, judge, s()))
    assert "evidence-added" in turn.flags and "astrocyte activation" in turn.result.text
    assert all(x.supported for x in turn.result.sentences)
