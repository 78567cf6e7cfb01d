"""The stages that answer from the plan and the records (answer/planned.py, answer/study_answer.py), on hand-made
records and passages."""

from __future__ import annotations

from assistant.answer.check import check_answer
from assistant.answer.judge import LexicalJudge
from assistant.answer.plan import Focus, make_plan
from assistant.answer.planned import answers_all, focus_passages, joined, record_answer, record_check, render
from assistant.answer.study_answer import Line, RecordDraft, aggregate, draft, premise
from assistant.index.contracts import Passage
from tests.answer.conftest import make_passage
from tests.answer.records_fixture import records

RECS = records()


def toledo_passage() -> Passage:
    text = ("Adult male Wistar rats were used. In the prefrontal cortex, rTMS increased BDNF, TNF-α and IL-10. "
            "Each session lasted five minutes.")
    return make_passage("luo", "Results", text)


def test_render_states_the_source_sentences_with_the_label_first() -> None:
    p = toledo_passage()
    text = p.chunk.text
    start = text.index("Adult")
    span = (p.chunk.chunk_id, start, text.index(".", start) + 1)
    d = RecordDraft((Line("Luo et al. 2021: Wistar rats.", (p.chunk.chunk_id,), "doi:toledo", "Toledo et al. 2021",
                          (span,)),))
    assert render(d, [p]) == "Toledo et al. 2021: Adult male Wistar rats were used [1]."


def test_record_answer_checks_lines_and_drops_an_unsupported_one() -> None:
    p = toledo_passage()
    good = Line("Luo et al. 2021: TNF-α rose in the prefrontal cortex.", (p.chunk.chunk_id,), "doi:toledo")
    bad = Line("Luo et al. 2021: IL-17 fell in the spinal cord.", (p.chunk.chunk_id,), "doi:toledo")
    judge = LexicalJudge().fit([p.chunk.text])
    found = record_answer(RecordDraft((good, bad)), [p], [p.chunk.text], judge)
    assert found is not None and "TNF-α rose" in found.text and "IL-17" not in found.text
    assert "from-records" in found.result.flags


def test_no_record_answer_when_nothing_verifies_and_no_verdict() -> None:
    p = toledo_passage()
    bad = Line("Luo et al. 2021: IL-17 fell in the spinal cord.", (p.chunk.chunk_id,), "doi:toledo")
    assert record_answer(RecordDraft((bad,)), [p], [p.chunk.text], LexicalJudge()) is None


def test_answers_all_when_the_lines_say_what_is_asked() -> None:
    p = toledo_passage()
    line = Line("Luo et al. 2021: Wistar rats.", (p.chunk.chunk_id,), "doi:toledo")
    found = record_answer(RecordDraft((line,)), [p], [p.chunk.text], LexicalJudge().fit([p.chunk.text]))
    plan = make_plan("Which strain were the rats in Luo et al. 2021?", None, RECS)
    assert answers_all(plan, found)
    more = make_plan("Which strain were the rats in Luo et al. 2021, and what happened to their weight?", None,
                     RECS)
    assert not answers_all(more, found)


def test_joined_puts_the_records_first_and_drops_a_repeat() -> None:
    p = toledo_passage()
    judge = LexicalJudge().fit([p.chunk.text])
    line = Line("Luo et al. 2021: Wistar rats.", (p.chunk.chunk_id,), "doi:toledo")
    found = record_answer(RecordDraft((line,)), [p], [p.chunk.text], judge)
    assert found is not None
    written = check_answer("Each session lasted five minutes [1]. Luo et al. 2021: Wistar rats [1].", [p],
                           [p.chunk.text], judge)
    merged = joined(found, written, [p], [p.chunk.text], judge, "flag")
    assert merged.text.startswith("Luo et al. 2021: Wistar rats [1].") and "five minutes" in merged.text
    assert merged.text.count("Wistar") == 1


def test_record_check_flags_a_claim_the_cited_record_contradicts() -> None:
    p = make_passage("luo", "Results", "GFAP fell in the spinal cord and in the prefrontal cortex after rTMS.")
    recs = {p.chunk.paper_id: RECS["doi:kim"].model_copy(update={"paper_id": p.chunk.paper_id})}
    judge = LexicalJudge().fit([p.chunk.text])
    result = check_answer("rTMS lowered GFAP in the prefrontal cortex [1].", [p], [p.chunk.text], judge)
    assert result.supported_count == 1  # the passage's words pass the lexical judge …
    checked = record_check(result, [p], recs, drop=False)
    assert "record-contradiction" in checked.flags  # … the study's record says GFAP was measured in the spinal cord
    assert not checked.sentences[0].supported and "contradicts the record" in checked.text
    assert record_check(result, [p], recs, drop=True).text == ""


def test_premise_of_a_named_study_checked_against_its_record() -> None:
    plan = make_plan("Did Attal et al. 2021 show that rTMS lowers pain in rats?", None, RECS)
    d = premise(plan, RECS)
    assert d is not None and d.verdict == "no" and "Attal et al. 2021 studied human" in d.reason


def test_findings_without_a_tissue_are_not_in_the_asked_tissue() -> None:
    recs = dict(RECS)
    kim = recs["doi:kim"]
    recs["doi:kim"] = kim.model_copy(update={"findings": tuple(f.model_copy(update={"tissue": None})
                                                               for f in kim.findings)})
    d = aggregate(make_plan("Does rTMS lower GFAP in the serum?", None, recs), recs)
    assert d is not None and d.verdict == "insufficient" and "tissue not stated" in d.reason


def test_which_studies_draft_is_not_made_for_one_named_trial() -> None:
    plan = make_plan("Which 2021 trial used double-blind sham stimulation?", None, RECS)
    assert "which_studies" not in plan.asks
    assert draft(plan, RECS) is None or all("Attal" in line.text for line in draft(plan, RECS).lines)  # type: ignore[union-attr]


def test_focus_passages_search_within_the_focus() -> None:
    calls: list[list[str] | None] = []

    def search(query: str, k: int, *, mode: str | None = None, papers: list[str] | None = None) -> list[Passage]:
        calls.append(papers)
        return [toledo_passage()]

    plan = make_plan("What happened in the weekly phase?", Focus(papers=("doi:toledo",)), RECS, points_back=True)
    got = focus_passages(plan, "weekly phase", search, 5)
    assert calls == [["doi:toledo"]] and got[0].rank == 1


def test_what_rose_or_fell_in_a_named_study_is_listed_from_its_findings() -> None:
    """No marker named, a direction and a tissue asked, one study named: its matching findings, each a line."""
    up = make_plan("Which molecule did rTMS increase in the brain in Toledo et al. 2021?", None, RECS)
    assert up.lists_findings and up.from_records and up.direction == "up"
    d = draft(up, RECS)
    assert d is not None and [line.text for line in d.lines] == ["Toledo et al. 2021: TNF-α rose in the prefrontal "
                                                                 "cortex."]
    down = make_plan("What fell in the spinal cord in Kim et al. 2013?", None, RECS)
    d = draft(down, RECS)
    assert d is not None and {line.text.split(": ")[1].split(" ")[0] for line in d.lines} == {"Iba1", "GFAP", "IL-1β"}
    cytokines = make_plan("Which cytokines fell in the spinal cord in Kim et al. 2013?", None, RECS)
    d = draft(cytokines, RECS)
    assert d is not None and [line.text.split(": ")[1].split(" ")[0] for line in d.lines] == ["IL-1β"]


def test_no_findings_list_for_a_named_marker_a_yes_no_question_or_no_match() -> None:
    assert not make_plan("Did TNF-α rise in the brain in Toledo et al. 2021?", None, RECS).lists_findings
    assert not make_plan("How did IL-1β change in Toledo et al. 2021's prefrontal cortex?", None, RECS).lists_findings
    serum = make_plan("What rose in the serum in Kim et al. 2013?", None, RECS)
    assert serum.lists_findings and draft(serum, RECS) is None  # the passages answer it then


def test_joined_drops_a_written_sentence_a_record_line_states_after_its_label() -> None:
    p = toledo_passage()
    judge = LexicalJudge().fit([p.chunk.text])
    start = p.chunk.text.index("In the prefrontal")
    span = (p.chunk.chunk_id, start, p.chunk.text.index("IL-10.") + len("IL-10."))
    found = record_answer(RecordDraft((Line("x", (p.chunk.chunk_id,), "doi:toledo", "Luo et al. 2021", (span,)),)),
                          [p], [p.chunk.text], judge)
    assert found is not None and found.text.startswith("Luo et al. 2021: In the prefrontal cortex")
    written = check_answer("In the prefrontal cortex, rTMS increased BDNF, TNF-α and IL-10 [1]. Each session lasted "
                           "five minutes [1].", [p], [p.chunk.text], judge)
    merged = joined(found, written, [p], [p.chunk.text], judge, "flag")
    assert merged.text.count("prefrontal") == 1 and "five minutes" in merged.text


def test_a_named_studys_protocol_from_its_record_whole_or_field_by_field() -> None:
    whole = make_plan("What stimulation protocol did Toledo et al. 2021 use?", None, RECS)
    assert whole.whole_protocol and whole.scope == "named" and whole.from_records
    d = draft(whole, RECS)  # no pulses, sessions or start recorded: what the record holds answers it
    assert d is not None and d.lines[0].text == "Toledo et al. 2021: motor cortex; 10 Hz."
    one = make_plan("What intensity did Toledo et al. 2021 use?", None, RECS)
    assert not one.whole_protocol and draft(one, RECS) is None  # a field the record lacks: the passages answer


def test_two_named_studies_compared_on_a_field_are_answered_each_from_its_record() -> None:
    plan = make_plan("How did the frequency differ between Toledo et al. 2021 and Kim et al. 2013?", None, RECS)
    assert plan.compares_fields and plan.from_records
    d = draft(plan, RECS)
    assert d is not None
    assert [line.text for line in d.lines] == ["Toledo et al. 2021: 10 Hz.", "Kim et al. 2013: 25 Hz."]
    one = make_plan("Was 10 Hz better than 25 Hz in Toledo et al. 2021?", None, RECS)
    assert not one.compares_fields  # one study: its passages compare


def test_a_reviews_restated_protocol_is_not_its_own() -> None:
    recs = dict(RECS)
    recs["doi:bai"] = recs["doi:bai"].model_copy(update={"stimulation": RECS["doi:toledo"].stimulation})
    plan = make_plan("What stimulation protocol did Bai et al. 2023 describe?", None, recs)
    assert plan.scope == "named" and plan.whole_protocol
    assert draft(plan, recs) is None  # its 10 Hz is Toledo's: the passages say whose
