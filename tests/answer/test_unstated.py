"""A named study that states none of the protocol asked is not answered with another study's protocol (invented
records and wording)."""

from __future__ import annotations

from assistant.answer.plan import make_plan
from assistant.answer.unstated import could_state, unstated_fields
from assistant.index.contracts import Passage
from tests.answer.conftest import make_passage
from tests.answer.records_fixture import records

RECS = records()


def passages(*texts: str):  # type: ignore[no-untyped-def]
    def of(paper_id: str) -> list[Passage]:
        return [make_passage("luo", "Findings", t) for t in texts] if paper_id == "doi:kim" else []
    return of


def test_a_field_neither_the_record_nor_any_passage_states() -> None:
    plain = passages("Spinal cord injury raised Iba1; eight weeks of rTMS lowered it.")
    plan = make_plan("Where was the coil placed in Kim et al. 2013?", None, RECS)
    assert unstated_fields(plan, RECS, plain) == ("stimulation.target",)
    # a passage that could state it lets the passages answer, whatever the rules read
    assert unstated_fields(plan, RECS, passages("The coil sat over the vertex.")) == ()
    assert unstated_fields(plan, RECS, None) == ()


def test_only_when_nothing_asked_is_stated_and_the_question_gives_no_value_itself() -> None:
    plain = passages("Spinal cord injury raised Iba1; eight weeks of rTMS lowered it.")
    both = make_plan("What frequency and coil position did Kim et al. 2013 use?", None, RECS)
    assert unstated_fields(both, RECS, plain) == ()  # 25 Hz is in the record: answered, not refused
    premise = make_plan("What frequency and coil position did Kim et al. 2013 use in its 25 Hz rTMS?", None, RECS)
    assert "stimulation.frequency" in premise.fields
    assert unstated_fields(premise, RECS, plain) == ("stimulation.target",)  # "25 Hz" is the question's own
    assert unstated_fields(make_plan("Which coil position did the studies use?", None, RECS), RECS, plain) == ()


def test_words_that_could_state_a_field() -> None:
    assert could_state("stimulation.frequency", ["10-Hz trains"]) and not could_state("stimulation.frequency", ["x"])
    assert could_state("stimulation.intensity", ["at 90% of the resting motor threshold"])
    assert not could_state("stimulation.intensity", ["pain intensity fell by 30%"])
    assert could_state("stimulation.unknown", [])


def test_a_size_no_record_or_passage_of_the_study_gives() -> None:
    """"How many rats per group in Kim et al. 2013?" of a study that counts none; a count in words or "n = 8" in a
    passage lets the passages answer; another design field asked beside it is answered as before."""
    plain = passages("Spinal cord injury raised Iba1; eight weeks of rTMS lowered it.")
    plan = make_plan("How many rats were in each group of Kim et al. 2013?", None, RECS)
    assert unstated_fields(plan, RECS, plain) == ("sizes",)
    assert unstated_fields(plan, RECS, passages("Twenty-four female Wistar rats were used.")) == ()
    assert unstated_fields(plan, RECS, passages("Iba1 fell (n = 8).")) == ()
    counted = make_plan("How many rats did Toledo et al. 2021 use?", None, RECS)
    assert unstated_fields(counted, RECS, plain) == ()  # its record counts 32
    design = make_plan("How many rats were in Kim et al. 2013, and was there a sham group?", None, RECS)
    assert unstated_fields(design, RECS, plain) == ()


def test_a_size_asked_beside_the_markers_that_describe_the_study() -> None:
    plain = passages("Spinal cord injury raised Iba1; eight weeks of rTMS lowered it.")
    plan = make_plan("How many rats were in each group in Kim et al. 2013 (the Iba1 study)?", None, RECS)
    assert plan.markers == ("Iba1",) and plan.fields == ("sizes",)
    assert unstated_fields(plan, RECS, plain) == ("sizes",)
    drop = make_plan("In Kim et al. 2013, how big was the drop in Iba1?", None, RECS)
    assert "sizes" not in drop.fields  # a magnitude asked, not a sample size


def test_patients_asked_of_a_review_that_counts_only_studies() -> None:
    from assistant.studies.contracts import Size

    review = RECS["doi:bai"]
    counted = review.model_copy(update={"sizes": (Size(n=38, role="studies", source=review.kind.source),)})  # type: ignore[union-attr]
    recs = {**RECS, "doi:bai": counted}

    def of(texts: list[str]):  # type: ignore[no-untyped-def]
        return lambda pid: [make_passage("bai", "Review", t) for t in texts] if pid == "doi:bai" else []
    plan = make_plan("How many patients in total were pooled in Bai et al. 2023?", None, recs)
    assert unstated_fields(plan, recs, of(["Thirty-eight trials were pooled."])) == ("sizes",)
    assert unstated_fields(plan, recs, of(["The 38 trials enrolled 1,200 patients."])) == ()
    studies = make_plan("How many trials did Bai et al. 2023 pool?", None, recs)
    assert unstated_fields(studies, recs, of(["Thirty-eight trials were pooled."])) == ()


def test_markers_that_describe_the_study_do_not_stop_the_check() -> None:
    # "the Kim 2013 study showing less Iba1": the protocol asked is still stated nowhere
    plain = passages("Spinal cord injury raised Iba1; eight weeks of rTMS lowered it.")
    plan = make_plan("In the Kim et al. 2013 study showing less Iba1, where was the coil placed?", None, RECS)
    assert plan.markers == ("Iba1",)
    assert unstated_fields(plan, RECS, plain) == ("stimulation.target",)


def test_a_protocol_the_question_names_by_its_values_is_not_asked() -> None:
    plan = make_plan("What % of resting motor threshold did Kim et al. 2013 use for the 8-week 25 Hz sessions?",
                     None, RECS)
    assert plan.protocol_fields == ("stimulation.intensity",)
