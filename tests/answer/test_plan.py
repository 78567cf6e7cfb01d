"""The question planner, the verdict aggregation and the conversation focus, on hand-made records."""

from __future__ import annotations

from assistant.answer.conversation import focus_of
from assistant.answer.plan import Focus, make_plan
from assistant.answer.record_match import named_values
from assistant.answer.study_answer import aggregate, contradictions, draft
from assistant.answer.terms import term_set, terms
from tests.answer.records_fixture import fact, records

RECS = records()


# --- the planner ---------------------------------------------------------------------------------------------
def test_design_question_over_a_named_study() -> None:
    plan = make_plan("Was the Attal et al. 2021 trial blinded, and how many patients were treated?", None, RECS)
    assert plan.studies == ("doi:attal",) and plan.scope == "named"
    assert {"blinding", "sizes"} <= set(plan.fields) and "design" in plan.asks
    assert not plan.yes_no  # two things asked: no "Yes." in front


def test_alternative_question_is_not_yes_no() -> None:
    plan = make_plan("Were these patients or rats, and how many per group?", Focus(papers=("doi:toledo",)), RECS,
                     points_back=True)
    assert not plan.yes_no
    assert {"kind", "species", "sizes"} <= set(plan.fields)
    assert plan.studies == ("doi:toledo",) and plan.scope == "focus"


def test_yes_no_effect_question_types_marker_tissue_direction() -> None:
    plan = make_plan("Does rTMS lower TNF-α in the spinal cord of neuropathic rats?", None, RECS)
    assert plan.yes_no and plan.markers == ("TNF-α",) and plan.tissues == ("spinal cord",)
    assert plan.direction == "down" and plan.species == ("rat",)
    assert plan.from_records


def test_which_studies_matches_every_record_with_the_finding() -> None:
    plan = make_plan("Which studies report IL-1β falling, and in which model and tissue?", None, RECS)
    assert "which_studies" in plan.asks
    assert set(plan.studies) == {"doi:toledo", "doi:kim"} and plan.scope == "matched"


def test_review_claim_is_followed_to_the_study_behind_it() -> None:
    plan = make_plan("Bai et al. 2023 say rTMS lowers Iba1 in the spinal cord: at what frequency was that "
                     "experiment run?", None, RECS)
    assert plan.scope == "claim" and plan.studies == ("doi:kim",)
    assert "stimulation.frequency" in plan.fields


def test_no_records_no_studies() -> None:
    plan = make_plan("Does rTMS lower TNF-α?", None, {})
    assert plan.studies == () and not plan.from_records and plan.yes_no


def test_plan_is_frozen_and_serialisable() -> None:
    plan = make_plan("Which strain were the rats in Toledo et al. 2021?", None, RECS)
    d = plan.to_dict()
    assert d["studies"] == ("doi:toledo",) and "strain" in d["fields"]
    try:
        plan.scope = "none"  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        raise AssertionError("Plan must be immutable")


# --- verdicts by aggregation ------------------------------------------------------------------------------------
def test_insufficient_when_no_study_measured_it_in_the_tissue() -> None:
    plan = make_plan("Does rTMS lower TNF-α in the spinal cord of neuropathic rats?", None, RECS)
    d = aggregate(plan, RECS)
    assert d is not None and d.verdict == "insufficient"
    assert "spinal cord" in d.reason and "prefrontal cortex" in d.reason and "Toledo et al. 2021" in d.reason
    assert d.lines and d.lines[0].chunks == ("t3",)


def test_yes_when_every_matching_study_agrees() -> None:
    d = aggregate(make_plan("Does rTMS reduce GFAP in the spinal cord?", None, RECS), RECS)
    assert d is not None and d.verdict == "yes"


def test_no_when_the_matching_study_moved_it_the_other_way() -> None:
    d = aggregate(make_plan("Does rTMS lower TNF-α in the prefrontal cortex?", None, RECS), RECS)
    assert d is not None and d.verdict == "no"


def test_mixed_when_the_studies_disagree() -> None:
    recs = dict(RECS)
    kim = recs["doi:kim"]
    rose = kim.findings[0].model_copy(update={"marker": "TNF-α", "tissue": "prefrontal cortex", "direction": "down"})
    recs["doi:kim"] = kim.model_copy(update={"findings": (*kim.findings, rose)})
    d = aggregate(make_plan("Does rTMS lower TNF-α in the prefrontal cortex?", None, recs), recs)
    assert d is not None and d.verdict == "mixed" and "disagree" in d.reason


def test_draft_for_which_studies_has_one_line_per_study() -> None:
    plan = make_plan("Which studies report IL-1β falling?", None, RECS)
    d = draft(plan, RECS)
    assert d is not None and len(d.lines) == 2
    assert any("Kim et al. 2013" in line.text and "25 Hz" in line.text for line in d.lines)


def test_draft_for_design_states_the_quotes() -> None:
    d = draft(make_plan("Was the Attal et al. 2021 trial blinded, and how many patients were treated?", None,
                        RECS), RECS)
    assert d is not None
    text = " ".join(line.text for line in d.lines)
    assert "double-blind" in text and "149 were treated" in text


def test_record_contradiction_tissue_and_direction() -> None:
    kim = [RECS["doi:kim"]]
    assert contradictions("rTMS lowered GFAP in the prefrontal cortex", kim)
    assert contradictions("rTMS raised GFAP in the spinal cord", kim)
    assert not contradictions("rTMS lowered GFAP in the spinal cord", kim)


# --- conversation focus -----------------------------------------------------------------------------------------
def test_focus_from_the_study_the_previous_question_named() -> None:
    history = [{"role": "user", "content": "What protocol did Toledo et al. 2021 use?"},
               {"role": "assistant", "content": "They stimulated the motor cortex at 10 Hz [1]."}]
    focus = focus_of(history, RECS)
    assert focus.papers == ("doi:toledo",)
    plan = make_plan("What strain were the animals, and how long did treatment last?", focus, RECS,
                     points_back=True)
    assert plan.studies == ("doi:toledo",) and "strain" in plan.fields


def test_focus_prefers_the_papers_an_answer_cited() -> None:
    history = [{"role": "user", "content": "Which glial markers fell?"},
               {"role": "assistant", "content": "Iba1 and GFAP fell [1].", "paper_ids": ["doi:kim"]}]
    focus = focus_of(history, RECS)
    assert focus.papers == ("doi:kim",) and set(focus.markers) == {"Iba1", "GFAP"}


def test_pointing_back_takes_the_focus_markers() -> None:
    focus = Focus(papers=("doi:kim",), markers=("GFAP",))
    plan = make_plan("Did it fall in the spinal cord?", focus, RECS, points_back=True)
    assert plan.markers == ("GFAP",) and plan.studies == ("doi:kim",)
    d = aggregate(plan, RECS)
    assert d is not None and d.verdict == "yes"


# --- round 13: claims followed to their experiments, verdicts over all of them, one vocabulary ----------------
def test_a_condition_meets_another_form_of_its_word_but_a_marker_only_itself() -> None:
    from assistant.answer.record_match import within
    from assistant.answer.terms import term_set

    assert within("ischemia", term_set("Which studies are about ischemic stroke?"))
    assert within("diabetic neuropathy", term_set("trials in painful diabetes neuropathy"))
    assert not within("IL-10", term_set("Did IL-1β fall?")) and not within("CCI", term_set("in CCD rats"))


def test_rise_or_fall_asks_no_direction() -> None:
    plan = make_plan("Which rat studies measured TNF-α, and did it rise or fall in each?", None, RECS)
    assert plan.direction is None and plan.studies == ("doi:toledo",)
    assert make_plan("Which studies report TNF-α rising?", None, RECS).direction == "up"
    assert make_plan("Which studies measured TNF-α, and did it go up or down?", None, RECS).direction is None


def test_a_verdict_on_a_claim_weighs_every_study_that_measured_it() -> None:
    # the review links its claim to Kim alone; Toledo measured IL-1β too (in the brain): "did every study find it?"
    plan = make_plan("Bai et al. 2023 say rTMS lowers IL-1β. Did every rat study here find that?", None, RECS)
    assert plan.scope == "claim" and plan.yes_no
    assert set(plan.studies) == {"doi:kim", "doi:toledo"}
    found = draft(plan, RECS)
    assert found is not None and found.verdict == "yes"  # both report it fell
    rose = make_plan("Bai et al. 2023 say rTMS lowers TNF-α in the brain. Did every rat study find that?",
                     None, RECS)
    verdict = draft(rose, RECS)
    assert verdict is not None and verdict.verdict == "no" and "Toledo" in " ".join(line.text for line in verdict.lines)


def test_a_question_behind_a_claim_is_answered_from_the_experiment_not_the_claim() -> None:
    plan = make_plan("Bai et al. 2023 say rTMS lowers Iba1 in the spinal cord. In which model was that shown, "
                     "and at what frequency?", None, RECS)
    assert plan.scope == "claim" and plan.studies == ("doi:kim",) and plan.from_records
    found = draft(plan, RECS)
    assert found is not None
    text = " ".join(line.text for line in found.lines)
    assert "Kim et al. 2013" in text and "spinal cord injury" in text and "Iba1 fell in the spinal cord" in text
    assert "25 Hz" in text


def test_where_the_question_says_the_coil_went_is_not_a_tissue() -> None:
    plan = make_plan("Which rat studies stimulated the motor cortex at 10 Hz?", None, RECS)
    assert plan.tissues == () and plan.studies == ("doi:toledo",)
    assert make_plan("Did TNF-α rise in the PFC of rats?", None, RECS).tissues == ("prefrontal cortex",)


def test_populations_are_read_with_the_records_patterns() -> None:
    assert make_plan("Was it tested in women?", None, RECS).species == ("human",)
    assert make_plan("Which rodent studies measured IL-1β?", None, RECS).species == ("animal",)
    animals = make_plan("Which animal studies measured IL-1β?", None, RECS)
    assert set(animals.studies) == {"doi:toledo", "doi:kim"}


def test_how_many_counts_the_studies_it_names_and_a_kind_line_names_the_kind():
    """"how many trials …?" asks for the size (the trials are counted, not described); the record's line that holds
    the study's kind names it after the label, since its source words ("randomised") need not say what it is."""
    from assistant.answer.study_answer import field_lines

    plan = make_plan("What kind of study was Attal et al. 2021, and how many trials did it include?", records=RECS)
    assert {"kind", "sizes"} <= set(plan.fields) and plan.scope == "named"
    described = make_plan("How many patients did the multicentre sham-controlled trial enrol?", records=RECS)
    assert "control" not in described.fields and "sizes" in described.fields
    lines = field_lines(RECS["doi:attal"], ["kind", "design"])
    assert lines and lines[0].text.startswith("Attal et al. 2021 (randomised trial): ")
    assert field_lines(RECS["doi:attal"], ["design"])[0].text.startswith("Attal et al. 2021: ")


def test_a_study_described_by_its_year_and_design_is_the_one_asked_about() -> None:
    """Toledo et al. and Attal et al. are both of 2021: the design and the population the question names choose."""
    trial = make_plan("How many patients did the 2021 double-blind trial treat?", None, RECS)
    assert trial.studies == ("doi:attal",) and trial.scope == "named"
    rats = make_plan("Which markers did the 2021 CCI rat study measure in the prefrontal cortex?", None, RECS)
    assert rats.studies == ("doi:toledo",)
    assert make_plan("What did the 2021 study find?", None, RECS).scope != "named"  # two papers of 2021 fit
    assert make_plan("What did the 2019 trial find?", None, RECS).scope != "named"  # none of 2019


def test_where_a_marker_rose_collects_each_study_and_its_tissue() -> None:
    """"Where has rTMS raised TNF-α?" asks each study's place, as "which studies …" does; "in which region did a
    study …" asks of one."""
    where = make_plan("Where has rTMS been shown to raise TNF-α?", None, RECS)
    assert "which_studies" in where.asks and where.studies == ("doi:toledo",) and where.from_records
    tissues = make_plan("In which tissues did IL-1β fall after rTMS?", None, RECS)
    assert "which_studies" in tissues.asks and set(tissues.studies) == {"doi:toledo", "doi:kim"}
    one = make_plan("In which region did a CCI rat study measure IL-1β falling?", None, RECS)
    assert "which_studies" not in one.asks


def test_neuropathic_pain_named_keeps_every_pain_model_but_not_a_stroke_study() -> None:
    stroke = RECS["doi:kim"].model_copy(update={
        "paper_id": "doi:stroke", "label": "Luo et al. 2022",
        "condition": (RECS["doi:kim"].condition[0].model_copy(update={"value": "ischemia"}),)})
    recs = {**RECS, "doi:stroke": stroke}
    plan = make_plan("Which neuropathic pain models were used in the rat rTMS studies?", None, recs)
    assert "which_studies" in plan.asks
    assert set(plan.studies) == {"doi:toledo", "doi:kim"}  # CCI and spinal cord injury are pain models
    assert make_plan("Which rat studies used spinal cord injury?", None, recs).studies == ("doi:kim",)


def test_how_big_asks_the_size() -> None:
    plan = make_plan("Was Attal et al. 2021 randomised, and how big was it?", None, RECS)
    assert {"design", "sizes"} <= set(plan.fields)
    assert "sizes" not in make_plan("Was Attal et al. 2021 randomised?", None, RECS).fields


def test_a_study_described_with_its_journal_year_in_brackets_or_by_what_it_measured() -> None:
    bracket = make_plan("How many patients did the double-blind M1 trial (Brain 2021) treat?", None, RECS)
    assert bracket.studies == ("doi:attal",) and bracket.scope == "named"
    measured = make_plan("What frequency did the 2021 study of prefrontal TNF-α use?", None, RECS)
    assert measured.studies == ("doi:toledo",)  # Attal 2021 measured pain, not TNF-α in the prefrontal cortex


def test_a_claim_that_says_both_ways_is_not_held_against_the_record() -> None:
    """"IL-1β rose after the injury and fell again with rTMS": which way rTMS moved it is not read word by word,
    so the record (IL-1β fell) is not said to contradict it; one way for all still is."""
    assert contradictions("IL-1β rose after the injury and fell again with rTMS in the spinal cord.",
                          [RECS["doi:kim"]]) == []
    assert contradictions("rTMS raised IL-1β in the spinal cord.", [RECS["doi:kim"]])


def test_a_study_described_without_its_year_by_two_values_its_journal_or_its_size() -> None:
    """"the rat spinal cord injury study" (species and condition: two values only Kim's record holds); "the 149-patient
    trial" (a size); "the trial in Brain" (the journal); one value alone, or a value two records share, chooses none;
    "a trial" describes none."""
    recs = {**RECS, "doi:attal": RECS["doi:attal"].model_copy(update={"journal": "Brain"})}
    assert make_plan("What frequency did the rat spinal cord injury study use?", None, recs).studies == ("doi:kim",)
    assert make_plan("How was the 149-patient randomised trial blinded?", None, recs).studies == ("doi:attal",)
    in_brain = make_plan("Which frequency did the sham-controlled trial in Brain use?", None, recs)
    assert in_brain.studies == ("doi:attal",)
    assert make_plan("What frequency did the rat study use?", None, recs).scope != "named"  # Toledo and Kim are rats
    assert make_plan("What frequency did a rat spinal cord injury study use?", None, recs).scope != "named"
    assert make_plan("Brain stimulation for pain: which frequency?", None, recs).scope != "named"  # not "in Brain"


def test_a_reviews_claim_keeps_the_linked_studies_the_question_fits() -> None:
    """"The Bai review links rTMS to lower GFAP. Which 25 Hz rat study …": of the claim's studies, those the question's
    frequency, species and tissue fit."""
    kim2 = RECS["doi:kim"].model_copy(update={"paper_id": "doi:kim2", "label": "Kim et al. 2015", "stimulation":
                                              RECS["doi:toledo"].stimulation})
    claim = RECS["doi:bai"].claims[0].model_copy(update={"studies": ("doi:kim", "doi:kim2")})
    recs = {**RECS, "doi:kim2": kim2, "doi:bai": RECS["doi:bai"].model_copy(update={"claims": (claim,)})}
    plan = make_plan("The Bai et al. 2023 review links rTMS to lower GFAP. Which 25 Hz rat study showed it?", None,
                     recs)
    assert plan.scope == "claim" and plan.studies == ("doi:kim",)
    both = make_plan("The Bai et al. 2023 review links rTMS to lower GFAP. Which rat studies showed it?", None, recs)
    assert set(both.studies) == {"doi:kim", "doi:kim2"}


def test_pain_populations_are_not_the_species() -> None:
    assert "species" not in make_plan("In which neuropathic pain populations does M1 rTMS work best?", None,
                                      RECS).fields
    assert "species" in make_plan("Which populations were studied by Attal et al. 2021?", None, RECS).fields


def test_a_bare_surname_used_as_a_name_names_its_one_study() -> None:
    """"the Toledo CCI rats", "Kim's study", "the meta-analysis by Attal": a surname only one paper's first author
    has, used as a name; a surname that is just a word of the sentence, or two papers share, names none."""
    assert make_plan("Did rTMS lower IL-1β in the Toledo CCI rats?", None, RECS).studies == ("doi:toledo",)
    assert make_plan("Which frequency did Kim's study use?", None, RECS).studies == ("doi:kim",)
    assert make_plan("How many patients did the trial by Attal treat?", None, RECS).studies == ("doi:attal",)
    assert make_plan("Toledo reported what?", None, RECS).scope != "named"
    twins = {**RECS, "doi:kim2": RECS["doi:kim"].model_copy(update={"paper_id": "doi:kim2",
                                                                    "label": "Kim et al. 2015"})}
    assert make_plan("Which frequency did Kim's study use?", None, twins).scope != "named"
    both = make_plan("Which frequency did Kim et al. 2013 use, and what did the 2021 CCI rat study measure?", None,
                     RECS)
    assert set(both.studies) == {"doi:kim", "doi:toledo"}  # one named, one described: both


def test_a_protocol_named_by_its_values_is_the_subject_not_the_ask() -> None:
    """"Did the benefit of the 5-day 20 Hz protocol last?" is about that protocol; "what protocol …" asks for it."""
    about = make_plan("Did the benefit of the 5-day 25 Hz protocol in Kim et al. 2013 last?", None, RECS)
    assert not about.protocol_fields
    assert make_plan("Which protocol did Kim et al. 2013 use?", None, RECS).whole_protocol
    assert make_plan("Was the stimulation protocol of Kim et al. 2013 daily?", None, RECS).protocol_fields


def test_a_described_study_is_read_with_the_records_design_patterns() -> None:
    """"the 7-centre randomised trial" describes a multicentre randomised one (the records' own pattern)."""
    attal = RECS["doi:attal"]
    multi = attal.design[0].model_copy(update={"value": "multicentre"})
    recs = {**RECS, "doi:attal": attal.model_copy(update={"design": (*attal.design, multi)}),
            "doi:chen": attal.model_copy(update={"paper_id": "doi:chen", "label": "Chen et al. 2019"})}
    assert make_plan("How many sessions did the 7-centre randomised trial give?", None, recs).studies == ("doi:attal",)
    assert make_plan("How many sessions did the randomised trial give?", None, recs).scope != "named"  # both are


def test_which_trials_of_one_named_review_are_inside_it() -> None:
    """"What kind of trials went into Bai et al. 2023?" asks of the trials inside the one review named, not which
    records to collect; "which trials used 10 Hz?" still collects."""
    inside = make_plan("What kind of trials went into Bai et al. 2023, and how many were there?", None, RECS)
    assert inside.studies == ("doi:bai",) and "which_studies" not in inside.asks
    assert "which_studies" in make_plan("Which trials used 10 Hz rTMS?", None, RECS).asks


def test_a_secondary_noun_chooses_among_papers_of_its_kind_and_ruled_out_values_do_not_count() -> None:
    """"the 2023 review" is among reviews (not the 2023 trial of the same year); "the trial of rTMS outside the
    motor cortex" does not describe a motor-cortex trial."""
    trial = RECS["doi:attal"].model_copy(update={"paper_id": "doi:t23", "label": "Park et al. 2023"})
    review = RECS["doi:bai"]
    recs = {"doi:t23": trial, "doi:bai": review}
    assert make_plan("What does the 2023 review say about glia?", None, recs).studies == ("doi:bai",)
    motor = RECS["doi:attal"].model_copy(update={"stimulation": RECS["doi:toledo"].stimulation})  # motor cortex
    other = RECS["doi:attal"].model_copy(update={"paper_id": "doi:other", "label": "Chen et al. 2019"})  # none
    recs2 = {"doi:attal": motor, "doi:other": other}
    assert make_plan("How many patients did the randomised motor cortex trial treat?", None,
                     recs2).studies == ("doi:attal",)
    assert make_plan("How many patients did the randomised trial outside the motor cortex treat?", None,
                     recs2).scope != "named"  # both randomised trials; the motor cortex is ruled out, not named


def test_how_designs_differ_asks_the_control_and_blinding_too() -> None:
    plan = make_plan("How do the designs of Attal et al. 2021 and Kim et al. 2013 differ?", None, RECS)
    assert {"kind", "design", "control", "blinding"} <= set(plan.fields)
    assert "control" not in make_plan("What kind of study was Attal et al. 2021?", None, RECS).fields


def test_are_there_studies_asks_which_and_which_frequencies_lists_them_all() -> None:
    """"Are there rat studies that used 10 Hz? Which frequencies?" collects the rat studies with 10 Hz, each line
    with every frequency the study used."""
    toledo = RECS["doi:toledo"]
    both = toledo.stimulation.model_copy(update={"frequency": (*toledo.stimulation.frequency,
                                                               fact("t2", "1 Hz", "1 Hz"))})
    recs = {**RECS, "doi:toledo": toledo.model_copy(update={"stimulation": both})}
    plan = make_plan("Are there rat studies that compared 10 Hz with another frequency? Which frequencies?", None, recs)
    assert "which_studies" in plan.asks and plan.studies == ("doi:toledo",)
    found = draft(plan, recs)
    assert found is not None and "10 Hz" in found.lines[0].text and "1 Hz" in found.lines[0].text
    assert "which_studies" not in make_plan("Are the effects in rats lasting?", None, recs).asks


def test_each_year_described_and_every_paper_of_one_author() -> None:
    """"the 2013 trial and the 2021 trial" are two papers, one per year; "both Kim papers" each paper of Kim's; a
    review's record is no premise to check (it lists some of the conditions it covers)."""
    kim2 = RECS["doi:attal"].model_copy(update={"paper_id": "doi:kim2", "label": "Kim et al. 2019"})
    recs = {**RECS, "doi:kim2": kim2}
    two = make_plan("How did the 2019 trial and the 2021 trial differ in size?", None, recs)
    assert set(two.studies) == {"doi:kim2", "doi:attal"}
    assert set(make_plan("How do both Kim papers compare?", None, recs).studies) == {"doi:kim", "doi:kim2"}
    bai = RECS["doi:bai"].model_copy(update={"condition": (fact("b1", "migraine", "migraine"),)})
    with_bai = {**RECS, "doi:bai": bai}
    review = make_plan("Does Bai et al. 2023 say rTMS helps spinal cord injury pain?", None, with_bai)
    assert review.conditions and review.studies == ("doi:bai",)
    found = draft(review, with_bai)
    assert found is None or found.verdict != "no"


def test_a_journal_written_in_full_names_its_abbreviation_and_that_study_is_described() -> None:
    """Metadata abbreviates journals (NLM style); users write them out: "that Journal of Pain Research paper"."""
    from assistant.answer.study_names import journal_named
    assert journal_named("BMC Neurosci", "In that BMC Neuroscience stroke paper, which microRNA went up?")
    assert journal_named("J Neurol Neurosurg Psychiatry", "the trial in the Journal of Neurology, Neurosurgery and "
                         "Psychiatry")
    assert journal_named("Front Immunol", "the Frontiers in Immunology review")
    assert not journal_named("Brain Res", "What did the brain research show?")
    recs = {**RECS, "doi:attal": RECS["doi:attal"].model_copy(update={"journal": "J Pain Res"})}
    plan = make_plan("In that Journal of Pain Research trial, how many patients were treated?", None, recs)
    assert plan.studies == ("doi:attal",)


def test_a_value_of_several_words_is_named_only_where_they_stand_together() -> None:
    values = ["pain intensity", "TNF-α"]
    far = "What settings did Khedr use for their post-stroke pain pts? freq, intensity, TNF-α?"
    assert named_values(values, term_set(far)) == ("pain intensity", "TNF-α")  # the words alone would name it
    assert named_values(values, term_set(far), terms(far)) == ("TNF-α",)
    near = "Did the intensity of the pain fall?"
    assert named_values(values, term_set(near), terms(near)) == ("pain intensity",)


def test_a_comparison_inside_one_named_study_is_answered_from_its_record() -> None:
    # "M1 vs DLPFC" describes the one trial's arms: its record answers the dose asked
    plan = make_plan("For the Attal et al. 2021 M1 vs DLPFC trial, what was the frequency used?", None, RECS)
    assert plan.studies == ("doi:attal",) and "comparison" in plan.asks
    assert plan.from_records
    two = make_plan("How did Attal et al. 2021 and Kim et al. 2013 differ in frequency?", None, RECS)
    assert len(two.studies) == 2 and two.compares_fields and two.from_records


def test_sham_as_the_comparator_is_not_the_control_asked() -> None:
    beat = make_plan("Did the 10 Hz rTMS in Attal et al. 2021 beat sham?", None, RECS)
    assert beat.yes_no and "control" not in beat.fields and "design" not in beat.asks
    than = make_plan("Did rTMS relieve pain more than sham in Attal et al. 2021?", None, RECS)
    assert "control" not in than.fields
    asked = make_plan("Was there a sham group in Attal et al. 2021?", None, RECS)
    assert "control" in asked.fields and asked.yes_no


def test_population_before_a_study_noun_describes_the_study() -> None:
    survey = make_plan("In the Attal et al. 2021 general-population survey, what share had pain?", None, RECS)
    assert "species" not in survey.fields and "kind" not in survey.fields
    asked = make_plan("Which population did Attal et al. 2021 study?", None, RECS)
    assert "species" in asked.fields


def test_a_wh_question_over_a_set_of_studies_collects_across_them() -> None:
    assert make_plan("What behavioural tests did the rat rTMS studies use?", None, RECS).across
    assert make_plan("Which of the trials in the collection used neuronavigation?", None, RECS).across
    assert not make_plan("What pooled effect did the 2022 meta-analysis report?", None, RECS).across
    assert not make_plan("Did the rat studies use von Frey filaments?", None, RECS).across  # yes/no: one verdict


def test_a_design_word_in_a_definite_description_is_not_asked() -> None:
    described = make_plan("Did rTMS beat sham in the Attal et al. 2021 multicentre trial?", None, RECS)
    assert described.yes_no and "design" not in described.fields
    asked = make_plan("Was Attal et al. 2021 a multicentre trial?", None, RECS)
    assert asked.yes_no and "design" in asked.fields
