"""A "No." answer's reason agrees with it (reason.for_no), on invented passages and drafts."""

from __future__ import annotations

from assistant.answer import reason, stages, verdict
from assistant.answer.judge import LexicalJudge
from assistant.answer.terms import term_set
from assistant.answer.turn import Turn
from assistant.settings import Settings
from assistant.vocab import AnswerFlag

from .conftest import make_passage

Q = "Did five daily sessions of 5 Hz rTMS reduce pain more than sham in the Chen 2019 trial?"
METHODS = ("The trial asked whether five daily sessions of 5 Hz rTMS over the motor cortex reduced pain more than "
           "sham.")
RESULTS = ("Pain fell by 8 points with active and 9 points with sham stimulation, a non-significant difference "
           "(P = 0.58). No serious adverse events were seen.")


def _turn(raw: str, said: str = "no") -> tuple[Turn, LexicalJudge]:
    ps = [make_passage("chen", "Methods", METHODS, rank=1), make_passage("chen", "Results", RESULTS, rank=2),
          make_passage("luo", "Results", "Daily 10 Hz rTMS reduced pain more than sham in rats.", rank=3)]
    settings = Settings(backend="extractive", refusal_threshold=0.0)
    turn = Turn(question=Q, query=Q, passages=ps).but(yes_no=True)
    turn = turn.taking(stages.select(turn, settings))
    judge = LexicalJudge().fit(turn.support)
    turn = stages.verified(turn.but(raw=raw, generated=raw, used_llm=True, probed=said), judge, settings)
    return turn, judge


def test_a_sentence_asserting_what_no_denies_is_replaced_by_the_cited_papers_null_finding():
    turn, judge = _turn("No. The results found that five daily sessions of 5 Hz rTMS reduced pain more than sham [1].")
    assert turn.said == "no" and turn.result is not None and turn.result.supported_count == 1  # the check passes it
    revised = reason.for_no(turn)
    assert revised is not None and AnswerFlag.REASON_REPLACED in revised.flags
    assert revised.raw == "No. Pain fell by 8 points with active and 9 points with sham stimulation, a " \
                          "non-significant difference (P = 0.58) [2]."
    checked = stages.verified(turn.taking(revised), judge, Settings(backend="extractive"))
    assert checked.result is not None and checked.result.supported_count == 1 and "0.58" in checked.result.text
    assert AnswerFlag.REASON_REPLACED in checked.flags


def test_a_denial_or_a_yes_is_left_alone_and_other_papers_give_no_reason():
    for raw, said in (("No. The difference from sham was non-significant (P = 0.58) [2].", "no"),
                      ("No. Pain did not fall more than with sham [2].", "no"),
                      ("Yes. Five daily sessions of 5 Hz rTMS reduced pain more than sham [1].", "yes")):
        turn, _ = _turn(raw, said)
        assert reason.for_no(turn) is None, raw
    # the answer cites only the rat study, which states no null finding: the contradicting sentence is dropped,
    # the other kept
    turn, _ = _turn("No. In a trial, five daily sessions of 5 Hz rTMS reduced pain more than sham [3]. The rats had "
                    "daily 10 Hz rTMS [3].")
    revised = reason.for_no(turn)
    assert revised is not None and revised.raw == "No. The rats had daily 10 Hz rTMS [3]."


def test_asserts_and_reports_null_read_the_sentence_not_its_topic():
    asked = term_set("Did rTMS lower TNF-α in the spinal cord?")
    assert verdict.asserts("rTMS lowered TNF-α in the spinal cord of CCI rats.", asked)
    assert not verdict.asserts("rTMS did not lower TNF-α in the spinal cord.", asked)
    assert not verdict.asserts("rTMS lowered TNF-α in the prefrontal cortex.", asked)  # not most of the question
    assert verdict.reports_null("Quality of life did not differ.") and verdict.reports_null("Scores were similar.")
    assert not verdict.reports_null("No serious adverse events were seen.")


def test_a_yes_to_fully_whose_reason_says_partly_becomes_no() -> None:
    """"Did it completely reverse allodynia?" — "Yes. rTMS partly reversed allodynia and completely reversed
    hyperalgesia": the clause on allodynia says partly, so the answer is "No." with the same reason."""
    assert verdict.only_partly("Did rTMS completely reverse cold allodynia in the rats?",
                               "Active rTMS partly reversed cold allodynia and completely reversed heat hyperalgesia.")
    assert not verdict.only_partly("Did rTMS completely reverse heat hyperalgesia in the rats?",
                                   "Active rTMS partly reversed cold allodynia and completely reversed heat "
                                   "hyperalgesia.")
    assert not verdict.asks_wholly("Did rTMS reverse cold allodynia?")
    q = "Did 10 Hz rTMS completely reverse cold allodynia in the Luo rats?"
    p = make_passage("luo", "Results", "10 Hz rTMS partly reversed cold allodynia in the rats and fully restored "
                     "their weight gain.")
    settings = Settings(backend="extractive", refusal_threshold=0.0)
    turn = Turn(question=q, query=q, passages=[p]).but(yes_no=True)
    turn = turn.taking(stages.select(turn, settings))
    judge = LexicalJudge().fit(turn.support)
    raw = "Yes. 10 Hz rTMS partly reversed cold allodynia in the rats [1]."
    turn = stages.verified(turn.but(raw=raw, generated=raw, used_llm=True, probed="yes"), judge, settings)
    assert turn.said == "yes"
    revised = reason.for_partly(turn)
    assert revised is not None and revised.raw == "No. 10 Hz rTMS partly reversed cold allodynia in the rats [1]."
    assert AnswerFlag.ONLY_PARTLY in revised.flags
    checked = stages.verified(turn.taking(revised), judge, settings)  # as the engine does: the probe said "yes"
    assert checked.said == "no" and checked.probed == "no"
    plain = turn.but(query="Did 10 Hz rTMS reverse cold allodynia in the Luo rats?")
    assert reason.for_partly(plain) is None
