"""The answer check's steps one by one (check.py): each on invented sentences and hand-built passages."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.answer.check import (
    UNSUPPORTED_TAG,
    CheckContext,
    Judged,
    about_studies,
    add_citation,
    check_answer,
    check_context,
    check_sentences,
    citation_flags,
    citations_of,
    closing_flags,
    correct,
    judge_sentence,
    lexical_judge,
    prune_citations,
    repair_target,
    repeated,
    restates,
    shown,
    supporting_markers,
    unchecked,
)
from assistant.answer.contracts import SentenceCheck
from assistant.answer.judge import LexicalJudge
from assistant.answer.terms import term_set
from assistant.vocab import AnswerFlag

from .conftest import make_passage

IL = "In rats with nerve injury, 10 Hz rTMS lowered spinal IL-1β and TNF-α levels."
GLIA = "Microglial Iba-1 staining fell in the ipsilateral spinal cord after repeated stimulation."
SCORES = "Patients with central pain received twenty sessions; their pain scores fell by a third."
REVIEW = "Zhang et al. 2021 found that 20 Hz rTMS lowered serum IL-18 in rats. Hu et al. 2022 saw no change in IL-6."


@dataclass
class WordJudge:
    """Supports a claim when every one of its content terms is in the evidence; records what it was asked."""

    name: str = "words"
    asked: list[tuple[str, str]] = field(default_factory=list)

    def fit(self, texts: list[str]) -> WordJudge:
        return self

    def supports(self, claim: str, evidence: str) -> bool:
        self.asked.append((claim, evidence))
        return term_set(claim) <= term_set(evidence)


def _passages(*texts: str):
    keys = ["bai", "luo", "chen", "inject"]
    return [make_passage(keys[i], "Results", t, rank=i + 1) for i, t in enumerate(texts)]


def _ctx(*texts: str, judge=None, question: str | None = None) -> CheckContext:
    ps = _passages(*texts)
    return check_context(ps, list(texts), judge or WordJudge(), question)


def _judged(text: str, markers: list[int]) -> Judged:
    from assistant.answer.citations import strip_markers
    return Judged(text, SentenceCheck(text=strip_markers(text), markers=markers))


# --- the context -----------------------------------------------------------------------------------------------
def test_the_context_empties_a_passage_that_gives_no_text_and_reads_the_question():
    ps = _passages(IL, GLIA)
    ps[1].chunk.instruction_like = True
    ctx = check_context(ps, [IL, GLIA], WordJudge(), "What did Bai and colleagues find on IL-1β?")
    assert ctx.evidence == [IL, ""] and ctx.k == 2
    assert "il1beta" in ctx.asked and "Bai" in ctx.known
    assert ctx.study is not None and ctx.study[0].surname == "Bai"
    assert check_context(ps, [IL, GLIA], WordJudge()).study is None


def test_the_lexical_judge_is_the_llm_judges_fallback_the_judge_itself_or_one_fitted():
    lex = LexicalJudge()

    class WithFallback(WordJudge):
        fallback = lex

    assert lexical_judge(WithFallback(), [IL]) is lex
    assert lexical_judge(lex, [IL]) is lex
    fitted = lexical_judge(WordJudge(), [IL, GLIA])
    assert isinstance(fitted, LexicalJudge) and fitted is not lex


# --- the whole draft -------------------------------------------------------------------------------------------
def test_an_empty_or_refusing_draft_is_not_checked():
    empty = unchecked("")
    assert empty is not None and empty.flags == [AnswerFlag.EMPTY_OUTPUT] and not empty.refusal
    refused = unchecked("The corpus does not contain enough evidence to answer this.")
    assert refused is not None and refused.refusal and refused.flags == []
    assert unchecked(f"{IL} [1]") is None


def test_a_draft_without_a_marker_in_range_is_flagged():
    assert citation_flags("It fell [1].", 2) == []
    assert citation_flags("It fell [3].", 2) == [AnswerFlag.NO_CITATIONS]
    assert citation_flags("It fell.", 2) == [AnswerFlag.NO_CITATIONS]


# --- sentences that say nothing new ----------------------------------------------------------------------------
def test_a_sentence_with_the_same_terms_as_an_earlier_one_is_repeated():
    seen: set[str] = set()
    assert not repeated(term_set("IL-1β fell in the spinal cord."), seen)
    assert repeated(term_set("In the spinal cord, IL-1β fell."), seen)
    assert not repeated(term_set("GFAP fell."), seen)
    assert not repeated(set(), seen) and not repeated(set(), seen)  # glue is never a repeat


def test_a_sentence_holding_only_the_questions_words_restates_it():
    asked = term_set("Did the two trials differ in their results?")
    assert restates(term_set("The two trials differed in their results."), asked)
    assert not restates(term_set("The two trials differed in IL-6."), asked)
    assert not restates(set(), asked) and not restates(term_set("Trials differed."), set())


# --- judging a sentence ----------------------------------------------------------------------------------------
def test_a_claim_naming_a_study_is_judged_against_what_each_passage_says_of_it():
    ctx = _ctx(REVIEW, GLIA)
    claim, judged, evidence = about_studies("Hu et al. 2022 saw no change in IL-6.", [1, 2], ctx)
    assert claim == "saw no change in IL-6."
    assert judged == [1]  # the Luo passage says nothing of Hu's study
    assert evidence[0] == "Hu et al. 2022 saw no change in IL-6." and evidence[1] == GLIA
    assert about_studies("IL-6 did not change.", [1, 2], ctx) == ("IL-6 did not change.", [1, 2], ctx.evidence)


def test_a_claim_is_about_the_study_the_question_names():
    ctx = _ctx(REVIEW, GLIA, question="What did Hu et al. 2022 find?")
    claim, judged, evidence = about_studies("IL-6 did not change.", [1], ctx)
    assert claim == "IL-6 did not change." and judged == [1] and evidence[0].startswith("Hu et al. 2022")


def test_supporting_markers_are_those_whose_passage_backs_the_claim_alone_or_together():
    ctx = _ctx(IL, GLIA, SCORES)
    assert supporting_markers("10 Hz rTMS lowered spinal IL-1β.", [1, 2], ctx) == [1]
    assert supporting_markers("10 Hz rTMS lowered spinal IL-1β.", [2, 3], ctx) == []
    # neither passage alone, both together: the two are kept
    assert supporting_markers("IL-1β and Iba-1 fell in the spinal cord.", [1, 2], ctx) == [1, 2]
    # a third passage that adds nothing is not among those needed
    assert supporting_markers("IL-1β and Iba-1 fell in the spinal cord.", [1, 2, 3], ctx) == [1, 2]


def test_only_the_first_three_markers_are_judged():
    ctx = _ctx(GLIA, GLIA, GLIA, IL)
    assert supporting_markers("IL-1β fell.", [1, 2, 3, 4], ctx) == []


def test_a_repair_target_is_the_lexically_closest_passage_the_judge_confirms():
    ctx = _ctx(IL, GLIA)
    assert repair_target("Iba-1 staining fell in the spinal cord.", ctx) == 2
    assert repair_target("Iba-1 staining fell in the spinal cord.", ctx, exclude=[2]) is None
    assert repair_target("Iba-1 fell.", ctx) is None  # too few terms to pin on one passage
    assert repair_target("Serum BDNF rose in patients with pain.", ctx) is None


def test_a_passage_that_gives_no_text_is_neither_support_nor_repair_target():
    ps = _passages(IL, GLIA)
    ps[1].chunk.instruction_like = True
    ctx = check_context(ps, [IL, GLIA], WordJudge())
    assert repair_target("Iba-1 staining fell in the spinal cord.", ctx) is None
    assert supporting_markers("Iba-1 staining fell in the spinal cord.", [2], ctx) == []


def test_a_wrong_citation_is_corrected_to_the_passage_that_backs_it():
    ctx = _ctx(IL, GLIA, SCORES)
    s = correct(_judged("Iba-1 staining fell in the spinal cord [1][3].", [1, 3]), ctx)
    assert s.text == "Iba-1 staining fell in the spinal cord [2]."
    assert s.check.markers == [2] and s.check.supported_markers == [2] and s.check.repaired
    assert s.flags == (AnswerFlag.CITATIONS_CORRECTED,)
    left = _judged("Serum BDNF rose in patients [1].", [1])
    assert correct(left, ctx) is left


def test_an_uncited_claim_is_cited_to_the_passage_that_backs_it():
    ctx = _ctx(IL, GLIA)
    s = add_citation(_judged("Iba-1 staining fell in the spinal cord.", []), ctx)
    assert s.text == "Iba-1 staining fell in the spinal cord [2]." and s.check.repaired
    assert s.flags == (AnswerFlag.CITATIONS_ADDED,)
    left = _judged("Serum BDNF rose in patients.", [])
    assert add_citation(left, ctx) is left


def test_pruning_keeps_the_markers_that_back_a_supported_sentence():
    s = Judged("IL-1β fell [1][2][3].", SentenceCheck(text="IL-1β fell.", markers=[1, 2, 3], supported_markers=[1],
                                                       supported=True))
    p = prune_citations(s)
    assert p.text == "IL-1β fell [1]." and p.check.markers == [1] and p.flags == (AnswerFlag.CITATIONS_PRUNED,)
    unsupported = Judged("IL-1β fell [2].", SentenceCheck(text="IL-1β fell.", markers=[2], supported=False))
    assert prune_citations(unsupported) is unsupported


def test_judge_sentence_judges_corrects_adds_and_prunes():
    ctx = _ctx(IL, GLIA)
    ok = judge_sentence(_judged("10 Hz rTMS lowered spinal IL-1β [1][2].", [1, 2]), ctx)
    assert ok.check.supported and ok.text == "10 Hz rTMS lowered spinal IL-1β [1]."
    assert ok.flags == (AnswerFlag.CITATIONS_PRUNED,)
    kept = judge_sentence(_judged("10 Hz rTMS lowered spinal IL-1β [1][2].", [1, 2]), ctx, do_prune=False)
    assert kept.check.markers == [1, 2] and kept.check.supported_markers == [1] and kept.flags == ()
    wrong = judge_sentence(_judged("Iba-1 staining fell in the spinal cord [1].", [1]), ctx)
    assert wrong.check.markers == [2] and wrong.flags == (AnswerFlag.CITATIONS_CORRECTED,)
    norepair = judge_sentence(_judged("Iba-1 staining fell in the spinal cord [1].", [1]), ctx, repair=False)
    assert norepair.check.supported is False and norepair.check.markers == [1]
    bare = judge_sentence(_judged("Iba-1 staining fell in the spinal cord.", []), ctx, repair=False)
    assert bare.check.supported is False and bare.check.markers == []


def test_a_sentence_stands_as_it_is_tagged_or_not_at_all():
    ok = Judged("A [1].", SentenceCheck(text="A.", markers=[1], supported=True))
    glue = Judged("Sure.", SentenceCheck(text="Sure."))
    bad = Judged("B [1].", SentenceCheck(text="B.", markers=[1], supported=False))
    assert shown(ok, "drop") == "A [1]." and shown(glue, "drop") == "Sure."
    assert shown(bad, "flag") == f"B [1] {UNSUPPORTED_TAG}." and shown(bad, "drop") is None


# --- the draft's sentences -------------------------------------------------------------------------------------
def test_check_sentences_screens_then_judges_each_sentence_in_order():
    ctx = _ctx(IL, GLIA, question="What happened to Iba-1 staining?")
    raw = (f"{IL[:-1]} [1]. What happened to Iba-1 staining? The corpus does not contain enough evidence to "
           f"answer this. {IL[:-1]} [2]. Yes. Serum BDNF rose [1].")
    checks, out, flags = check_sentences(raw, ctx)
    assert flags == [AnswerFlag.RESTATED_QUESTION_DROPPED, AnswerFlag.PARTIAL_REFUSAL,
                     AnswerFlag.REPEATED_SENTENCE_DROPPED]
    assert [c.supported for c in checks] == [True, None, False]
    assert out == [f"{IL[:-1]} [1].", "Yes.", f"Serum BDNF rose [1] {UNSUPPORTED_TAG}."]
    _, dropped, _ = check_sentences(raw, ctx, unsupported="drop")
    assert dropped == out[:2]


def test_closing_flags_say_what_was_removed_or_left_unsupported():
    ok = SentenceCheck(text="A.", markers=[1], supported=True)
    bad = SentenceCheck(text="B.", markers=[1], supported=False, dropped_markers=[7])
    assert closing_flags([ok]) == []
    assert closing_flags([ok, bad]) == [AnswerFlag.OUT_OF_RANGE_MARKERS_REMOVED, AnswerFlag.UNSUPPORTED_SENTENCES]
    assert closing_flags([bad], "drop")[-1] == AnswerFlag.UNSUPPORTED_SENTENCES_DROPPED


def test_citations_are_the_markers_left_in_order_supported_through_some_sentence():
    ps = _passages(IL, GLIA, SCORES)
    checks = [SentenceCheck(text="A.", markers=[2, 1], supported_markers=[2], supported=True),
              SentenceCheck(text="B.", markers=[3], supported=False),
              SentenceCheck(text="C.", markers=[1], supported_markers=[1], supported=True)]
    flagged = citations_of(checks, ps)
    assert [(c.n, c.supported) for c in flagged] == [(2, True), (1, True), (3, False)]
    assert flagged[0].passage is ps[1]
    assert [c.n for c in citations_of(checks, ps, "drop")] == [2, 1]


def test_check_answer_runs_the_steps_and_orders_the_flags():
    ps = _passages(IL, GLIA)
    r = check_answer(f"Iba-1 staining fell in the spinal cord. {IL[:-1]} [1][5]. Serum BDNF rose.", ps, [IL, GLIA],
                     WordJudge())
    assert r.text == (f"Iba-1 staining fell in the spinal cord [2]. {IL[:-1]} [1]. "
                      f"Serum BDNF rose {UNSUPPORTED_TAG}.")
    assert r.flags == [AnswerFlag.CITATIONS_ADDED, AnswerFlag.OUT_OF_RANGE_MARKERS_REMOVED,
                       AnswerFlag.UNSUPPORTED_SENTENCES]
    assert [c.n for c in r.citations] == [2, 1] and len(r.references) == 2 and r.supported_count == 2
    assert check_answer("  ", ps, [IL, GLIA], WordJudge()).flags == [AnswerFlag.EMPTY_OUTPUT]
