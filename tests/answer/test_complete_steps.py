"""The completion stage's steps (stages.complete), each with explicit inputs and outputs (invented wording)."""

from __future__ import annotations

from assistant.answer import stages
from assistant.answer.check import check_context
from assistant.answer.contracts import EvidenceSentence
from assistant.answer.judge import LexicalJudge
from assistant.answer.stages import Additions, Holds, add_missing, add_one, best_evidence, on_cited, on_part
from assistant.answer.terms import term_set
from assistant.answer.turn import Turn
from assistant.settings import Settings

from .conftest import FACTS, make_passage


def _turn(question: str) -> tuple[Turn, LexicalJudge]:
    turn = Turn(question=question, query=question,
                passages=[make_passage(key, sec, text, rank=i) for i, (key, sec, text) in enumerate(FACTS, 1)])
    turn = turn.taking(stages.select(turn, Settings(backend="extractive", refusal_threshold=0.3, top_k=4)))
    return turn, LexicalJudge().fit(turn.support)


def _e(n: int, text: str, score: float = 0.5, i: int = 1) -> EvidenceSentence:
    return EvidenceSentence(id=i, n=n, chunk_id=f"c{n}", text=text, start=0, end=len(text), score=score)


def test_additions_are_new_values_capped_and_cited():
    a = Additions(said=frozenset({"il1beta"}))
    b = a.plus(_e(1, "IL-10 rose."))
    assert a.sentences == () and b.sentences == ("IL-10 rose [1].",)
    assert "il10" in b.said and b.has(_e(1, "IL-10 rose."))
    full = b.plus(_e(2, "GFAP fell."))
    assert full.full and add_one(_e(3, "BDNF rose."), full, lambda e: True) is full
    assert add_one(None, b, lambda e: True) is b
    assert add_one(_e(1, "IL-10 rose."), b, lambda e: True) is b  # already there
    assert add_one(_e(2, "GFAP fell."), b, lambda e: False) is b  # not verified
    assert add_one(_e(2, "GFAP fell."), b, lambda e: True).sentences[-1] == "GFAP fell [2]."


def test_best_evidence_ranks_among_the_kept_ties_by_score():
    ev = [_e(1, "IL-10 rose.", 0.2), _e(2, "IL-10 and IL-6 rose.", 0.1), _e(3, "IL-10 and IL-6 fell.", 0.3)]
    def both(e):
        return len(term_set(e.text) & {"il10", "il6"})

    assert best_evidence(ev, both, lambda e: True).n == 3
    assert best_evidence(ev, both, lambda e: e.n != 3).n == 2
    assert best_evidence(ev, both, lambda e: False) is None


def test_add_missing_takes_named_words_from_any_paper_others_only_from_cited_ones():
    ev = [_e(1, "The same protocol raised IL-10 in the dorsal horn.", i=1),
          _e(2, "Withdrawal thresholds recovered within two weeks.", i=2)]
    missing = {"il10", "withdraw", "threshold"}
    a = add_missing(ev, missing, {"il10"}, set(), Additions(), lambda e: True)
    assert a.sentences == ("The same protocol raised IL-10 in the dorsal horn [1].",)
    a = add_missing(ev, missing, {"il10"}, {2}, Additions(), lambda e: True)
    assert len(a.sentences) == 2
    assert add_missing(ev, missing, {"il10"}, {2}, Additions(), lambda e: False) == Additions()


def test_a_later_part_is_answered_from_a_cited_paper_with_a_value_the_answer_lacks():
    turn, _ = _turn("Which cytokine rose, and which glial marker fell?")
    ev = [_e(1, "GFAP, a glial marker, fell by 20% in the cord.", i=1), _e(2, "Glial marker GFAP fell.", i=2)]
    cited = {1}
    pick = on_part("which glial marker fell?", ev, set(), Additions(),
                   lambda e: on_cited(e, cited, set(), turn.passages))
    assert pick is not None and pick.n == 1
    assert on_part("which glial marker fell?", ev, set(), Additions(), lambda e: False) is None


def test_holds_checks_each_candidate_once():
    turn, judge = _turn("How did IL-10 change?")
    calls: list[tuple[str, str]] = []

    class Counting(LexicalJudge):
        def supports(self, claim: str, evidence: str) -> bool:
            calls.append((claim, evidence))
            return judge.supports(claim, evidence)

    check = Holds(check_context(turn.passages, turn.support, Counting(), turn.query))
    e = _e(1, "The same protocol raised the anti-inflammatory cytokine IL-10.")
    assert check(e)
    once = len(calls)
    assert once >= 1 and check(e) and check(e) and len(calls) == once
    assert not check(_e(1, "Serum BDNF rose after rTMS in patients with central pain."))


def test_through_the_engine_every_draft_is_checked_once(monkeypatch):
    from assistant.answer.engine import AnswerEngine

    from .conftest import FakeSearch, ScriptedLLM

    drafts: list[str] = []
    real = stages.check_answer

    def counting(raw, *args, **kw):
        drafts.append(raw.strip())
        return real(raw, *args, **kw)

    monkeypatch.setattr(stages, "check_answer", counting)
    settings = Settings(backend="extractive", refusal_threshold=0.3, top_k=4)
    a = AnswerEngine(settings, FakeSearch()).ask("How did IL-1β and IL-10 change in the spinal cord after rTMS?")
    assert a.answerable and drafts and len(drafts) == len(set(drafts))
    drafts.clear()
    llm = ScriptedLLM("Magnetic stimulation cured every patient in one day [1].")
    b = AnswerEngine(settings.model_copy(update={"backend": "llama-cpp"}), FakeSearch(), llms={"llama-cpp": llm}).ask(
        "Which cytokines did rTMS lower in the spinal dorsal horn?")
    assert "extractive-fallback" in b.flags and len(drafts) >= 2 and len(drafts) == len(set(drafts))
