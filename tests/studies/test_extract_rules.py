"""The extraction rules, field by field, on invented sentences (every record's sources are checked by ``record``)."""

from __future__ import annotations

import pytest

from assistant.studies.contracts import EXPOSURE_SPECIES
from assistant.studies.extract import extract_record, merge_records
from assistant.studies.vocab import ANIMAL_EXPOSURE
from tests.studies.helpers import document, record, values


def test_a_randomised_sham_controlled_trial() -> None:
    rec = record("In this multicentre, randomised, double-blind, sham-controlled trial, 149 patients were "
                 "randomised to active or sham rTMS.")
    assert rec.kind_value == "randomised trial"
    assert {"randomised", "double-blind", "sham-controlled", "multicentre"} <= set(values(rec.design))
    assert values(rec.blinding) == ["double-blind"]
    assert "sham" in values(rec.control)
    assert values(rec.species) == ["human"]
    size = rec.size()
    assert size is not None and (size.n, size.role) == (149, "randomised")
    assert size.source.quote == "149 patients were randomised"
    assert rec.badge() == "RCT · 149 patients"


def test_crossover_and_number_words() -> None:
    rec = record("Thirty-six participants took part in a crossover study of real and sham stimulation.")
    assert rec.kind_value == "crossover trial"
    assert [(s.n, s.role) for s in rec.sizes] == [(36, "participants")]
    assert rec.sizes[0].source.quote.startswith("Thirty-six")


def test_an_animal_study_is_not_a_human_trial_even_when_randomised() -> None:
    rec = record("Thirty-two male Sprague-Dawley rats were randomly divided into four groups of eight.",
                 "Chronic constriction injury (CCI) of the sciatic nerve was made in three groups.")
    assert rec.kind_value == "animal study"
    assert values(rec.species) == ["rat"] and not rec.is_human and rec.is_animal
    assert values(rec.strain) == ["Sprague-Dawley"]
    assert values(rec.sex) == ["male"]
    assert "randomised" in values(rec.design)
    assert values(rec.condition) == ["CCI"]
    assert {(s.n, s.role) for s in rec.sizes} == {(32, "randomised"), (8, "per arm")}
    assert next(s for s in rec.sizes if s.role == "per arm").source.quote == "four groups of eight"
    assert rec.badge() == "rat · CCI · n = 32"


def test_mice_strain_and_not_a_mouse_antibody() -> None:
    rec = record("Adult C57BL/6 mice received spared nerve injury (SNI).")
    assert values(rec.species) == ["mouse"] and values(rec.strain) == ["C57BL/6"] and values(rec.condition) == ["SNI"]
    rec = record("Sections of 20 patients were stained with a mouse monoclonal antibody.")
    assert values(rec.species) == ["human"]


def test_people_words_in_the_background_do_not_make_an_animal_study_human() -> None:
    rec = record(("Background", "Many patients with neuropathic pain do not respond to drugs."),
                 ("Methods", "Forty female Wistar rats were anaesthetized and the sciatic nerve was ligated."),
                 ("Conclusions", "These findings may help patients in the future."))
    assert values(rec.species) == ["rat"]
    assert rec.kind_value == "animal study"
    # ... while the study's own counted people do
    rec = record("We compared 20 patients with 20 rats.")
    assert set(values(rec.species)) == {"human", "rat"}


def test_background_parts_speak_of_other_work_unless_they_name_this_study() -> None:
    rec = record(("Background", "Animal studies and randomized trials in rats suggested a benefit."),
                 ("Methods", "We enrolled 58 consecutive patients in a prospective cohort."))
    assert values(rec.species) == ["human"]
    assert "randomised" not in values(rec.design) and {"prospective", "cohort"} <= set(values(rec.design))
    rec = record(("Background", "In this prospective, randomized, double-blind study, we compared two blocks."),
                 ("Methods", "Twenty-six patients were randomized."))
    assert {"prospective", "randomised", "double-blind"} <= set(values(rec.design))


def test_design_headings() -> None:
    rec = record("We retrospectively reviewed the charts of 73 patients.")
    assert "retrospective" in values(rec.design)
    rec = record("Seventy-five cases and 273 age-matched controls were interviewed in a cross-sectional survey.")
    assert {"case-control", "cross-sectional"} <= set(values(rec.design))
    rec = record("Patients were followed up for 2 years.")
    assert "follow-up" in values(rec.design)


def test_review_kinds() -> None:
    assert record("This meta-analysis pooled twelve randomized controlled trials.").kind_value == "meta-analysis"
    rec = record("We searched MEDLINE and EMBASE and included 12 studies.")
    assert rec.kind_value == "systematic review"
    assert [(s.n, s.role) for s in rec.sizes] == [(12, "studies")]
    assert record("This narrative review summarises glial mechanisms.").kind_value == "review"
    # a chart review is a retrospective study, not a review
    assert record("A retrospective review of the medical records of 52 patients.").kind_value != "review"


def test_stimulation_protocol() -> None:
    rec = record("rTMS at 10 Hz and 90% of resting motor threshold, 1500 pulses per session, was applied over the "
                 "left M1 in 10 daily sessions, starting one week after surgery.")
    st = rec.stimulation
    assert values(st.frequency) == ["10 Hz"]
    assert values(st.intensity) == ["90% RMT"]
    assert values(st.pulses) == ["1500 pulses"]
    assert values(st.target) == ["M1"] and values(st.side) == ["left"]
    assert values(st.sessions) == ["10 sessions"]
    assert values(st.start) == ["one week after surgery"]
    assert st.frequency[0].source.quote == "10 Hz"
    rec = record("Intermittent theta burst stimulation (iTBS) targeted the right DLPFC.")
    assert set(values(rec.stimulation.frequency)) == {"iTBS"} and values(rec.stimulation.target) == ["DLPFC"]


def test_no_protocol_without_stimulation() -> None:
    assert record("Patients took pregabalin daily for 4 weeks.").stimulation.is_empty()
    assert record("Patients took pregabalin; treatment began on day 3 and ran for 4 weeks.").stimulation.is_empty()


@pytest.mark.parametrize("text, length", [
    ("Each rTMS session lasted 5 minutes and was repeated on eight days.", "5 min per session"),
    ("Rats received 20 min per session of 10 Hz stimulation.", "20 min per session"),
    ("Patients had ten 20-minute rTMS sessions over two weeks.", "20 min per session"),
    ("A stimulation session of 30 s was given.", "30 s per session"),
])
def test_how_long_a_session_lasted(text: str, length: str) -> None:
    assert length in values(record(text).stimulation.sessions)


def test_the_course_of_a_stimulation_study_starts_and_runs_in_its_own_sentence() -> None:
    rec = record("Rats received 20 Hz rTMS over M1.", "Treatment began on day 8 after compression and ran for 11 days.")
    assert values(rec.stimulation.start) == ["on day 8"]
    assert values(rec.stimulation.schedule) == ["for 11 days"]


def test_findings_marker_tissue_direction() -> None:
    rec = record("rTMS reduced TNF-α and IL-1β in the spinal cord compared with sham.",
                 "BDNF was increased in the hippocampus.",
                 "Serum IL-10 did not change.",
                 "Tumour necrosis factor alpha was lowered in the DRG.")
    got = {(f.marker, f.tissue, f.direction) for f in rec.findings}
    assert {("TNF-α", "spinal cord", "down"), ("IL-1β", "spinal cord", "down"), ("BDNF", "hippocampus", "up"),
            ("IL-10", "serum", "unchanged"), ("TNF-α", "dorsal root ganglion", "down")} <= got
    first = rec.findings[0]
    assert first.comparison == "sham" and first.source.quote == "reduced TNF-α"


def test_behavioural_findings() -> None:
    rec = record("rTMS alleviated mechanical allodynia and raised the paw withdrawal threshold.")
    got = {(f.marker, f.direction) for f in rec.findings}
    assert ("mechanical allodynia", "down") in got and ("mechanical threshold", "up") in got


def test_years_are_not_sizes() -> None:
    rec = record("The 2014 recommendations were updated, and in 2010 patients were asked again.")
    assert not rec.sizes


def test_review_claims_with_cited_studies() -> None:
    rec = record(("Primary studies", "Kim et al. 2013 reported that rTMS lowered GFAP in the dorsal horn "
                                     "(PMID 12345678)."),
                 ("Primary studies", "The spinal cord is one compartment."), role="review")
    assert len(rec.claims) == 1
    claim = rec.claims[0]
    assert set(claim.studies) == {"pmid:12345678", "Kim et al. 2013"}
    assert claim.text.startswith("Kim et al. 2013")
    # primary studies make no claims
    assert not record("rTMS lowered GFAP in 20 rats.").claims


def test_evidence_note_front_matter_is_recorded_where_the_body_supports_it() -> None:
    front = {"study_type": "animal study", "species": "rat", "pain_model": "chronic constriction injury (CCI)",
             "stimulation": {"frequency": "10 Hz", "target": None, "intensity": None, "sessions": None,
                             "duration": None},
             "markers": [{"marker": "IL-1β", "tissue": "spinal cord", "change": "down"},
                         {"marker": "GFAP", "tissue": "spinal cord", "change": "down"}]}
    rec = record(("Design", "Twenty CCI rats were treated with rTMS."),
                 ("Findings", "After rTMS the IL1B level of the lumbar spinal cord was lower than in CCI rats."),
                 kind="evidence-note", extra=front)
    assert rec.kind_value == "animal study" and values(rec.species) == ["rat"] and values(rec.condition) == ["CCI"]
    [finding] = rec.findings  # GFAP is in the front matter only: not recorded
    assert (finding.marker, finding.tissue, finding.direction) == ("IL-1β", "spinal cord", "down")
    assert finding.source.quote == "IL1B level of the lumbar spinal cord was lower"
    assert not rec.stimulation.frequency  # '10 Hz' is in the front matter, no sentence says it


def test_evidence_note_kind_needs_support() -> None:
    rec = record(("What the review states", "rTMS lowers GFAP."), kind="evidence-note",
                 extra={"study_type": "review"})
    assert rec.kind is None
    rec = record(("Design", "Forty-eight patients received real or sham rTMS."), kind="evidence-note",
                 extra={"study_type": "clinical trial", "species": "human"})
    assert rec.kind_value == "controlled trial" and rec.kind is not None and rec.kind.source.quote == "sham"


def test_deterministic_and_other_documents_ignored() -> None:
    doc, chunks = document(("Methods", "Forty rats were studied."))
    other, other_chunks = document(("Methods", "Ten patients were studied."), paper="pmid:2")
    a = extract_record(doc, [*chunks, *other_chunks])
    assert a == extract_record(doc, chunks)
    assert values(a.species) == ["rat"]


def test_merge_records() -> None:
    note_doc, note_chunks = document(("Design", "Thirty rats underwent CCI."), kind="evidence-note",
                                     extra={"study_type": "animal study"})
    abs_doc, abs_chunks = document(("Methods", "Thirty Wistar rats were randomly assigned to rTMS or sham; "
                                               "rTMS at 10 Hz lowered IL-6."))
    merged = merge_records([extract_record(note_doc, note_chunks), extract_record(abs_doc, abs_chunks)])
    assert merged.doc_ids == (note_doc.doc_id, abs_doc.doc_id)
    assert merged.kind_value == "animal study"
    assert values(merged.strain) == ["Wistar"] and values(merged.stimulation.frequency) == ["10 Hz"]
    assert [(s.n, s.role) for s in merged.sizes].count((30, "animals")) == 1
    other, other_chunks = document(("Methods", "Ten patients."), paper="pmid:9")
    with pytest.raises(ValueError, match="different papers"):
        merge_records([extract_record(abs_doc, abs_chunks), extract_record(other, other_chunks)])
    with pytest.raises(ValueError):
        merge_records([])


def test_sex() -> None:
    assert set(values(record("Forty women and 12 men were enrolled.").sex)) == {"female", "male"}
    assert set(values(record("Cases were matched to controls for age and sex.").sex)) == {"male", "female"}
    assert not record("Serum sex hormones were measured in 30 patients.").sex


def test_a_reviews_cases_are_no_patients() -> None:
    text = "This review judges the evidence sufficient in two cases and pooled 12 studies."
    assert [(s.n, s.role) for s in record(text).sizes] == [(12, "studies")]
    assert (2, "patients") in [(s.n, s.role) for s in record("We describe two cases of nerve injury.").sizes]


def test_a_study_without_people_words_is_human_by_its_diseases() -> None:
    rec = record("We measured the proliferative index of 80 breast carcinomas by image cytometry.")
    assert values(rec.species) == ["human"] and rec.is_human
    # cell lines beside the study's own specimens: human material too
    rec = record("Paraffin-embedded specimens of 40 melanomas were stained.",
                 "Two melanoma cell lines were treated with the inhibitor.")
    assert values(rec.species) == ["human", "cell culture"] and rec.is_human and not rec.is_animal
    # cell lines alone stay a cell culture, and animal words still outweigh the hints
    assert values(record("Two cell lines were treated with the inhibitor.").species) == ["cell culture"]
    rec = record("Tumours were grown in 12 nude mice.")
    assert values(rec.species) == ["mouse"] and not rec.is_human
    # a nerve injury is as often a rodent model as a patient's: no hint; road traffic injuries are people's
    assert values(record("Pain after nerve injury involves glia.").species) == []
    assert values(record("Road traffic injuries rose in six states.").species) == ["human"]


def test_the_animals_people_met_are_recorded_but_make_no_animal_study() -> None:
    rec = record("We reviewed the charts of 61 patients treated for rattlesnake bites.")
    assert values(rec.species) == ["human", "snake"]
    assert rec.is_human and not rec.is_animal and rec.kind_value != "animal study"
    assert rec.species[1].source.quote == "rattlesnake bites"
    assert rec.badge().endswith("61 patients")
    rec = record("Thirty adults with asthma were patch tested with house dust mites.")
    assert values(rec.species) == ["human", "mite"]
    # an animal study's own animals are not an exposure
    assert values(record("Twelve rats were stung by bees under anaesthesia.").species) == ["rat"]
    assert {v for v, _ in ANIMAL_EXPOSURE} == EXPOSURE_SPECIES


def test_cross_sectional_without_its_hyphen_but_not_an_anatomical_cut() -> None:
    rec = record("We ran a cross sectional survey of 300 nurses.")
    assert "cross-sectional" in values(rec.design) and rec.kind_value == "cross-sectional study"
    rec = record("The cross-sectional area of the muscle was measured in 20 patients by ultrasound.")
    assert "cross-sectional" not in values(rec.design) and rec.kind_value != "cross-sectional study"


def test_reviewed_charts_are_retrospective_but_reading_charts_are_not() -> None:
    rec = record("The charts and biopsy results of 31 patients treated between 1990 and 2000 were reviewed.")
    assert "retrospective" in values(rec.design)
    assert "retrospective" in values(record("We reviewed the medical charts of 85 children.").design)
    rec = record("Visual acuity was read from Snellen charts in 40 patients.")
    assert "retrospective" not in values(rec.design)


def test_the_cohort_of_a_cross_sectional_study_is_its_sample() -> None:
    rec = record("This cross-sectional study surveyed 900 patients; 49% of the cohort were men.")
    assert "cross-sectional" in values(rec.design) and "cohort" not in values(rec.design)
    rec = record("A cohort of 500 workers was followed for ten years.")
    assert "cohort" in values(rec.design)


def test_controls_matched_for_age_make_a_case_control_design() -> None:
    rec = record("Each of the 12 patients with the complication was matched for age and sex with two others.")
    assert "case-control" in values(rec.design)
    rec = record("The 30 treated patients were compared with an age- and stage-matched group of 30 others.")
    assert "case-control" in values(rec.design)
    assert "case-control" not in values(record("The groups were matched in size.").design)


def test_reviewed_records_are_a_retrospective_design() -> None:
    rec = record("The records of 120 women treated at our clinic between 1990 and 2000 were reviewed.")
    assert "retrospective" in values(rec.design)
    assert "retrospective" in values(record("We reviewed the electronic medical records of 84 adults.").design)
    assert "retrospective" not in values(record("Blood pressure was recorded in 40 patients.").design)
    # a review's screened records are no look back at patients
    rec = record("From 1,030 records screened by title and abstract, 106 publications were analysed.")
    assert "retrospective" not in values(rec.design)


def test_a_background_sentence_stating_the_study_design_counts_for_the_design() -> None:
    rec = record(("Background", "As part of a prospective study of 200 smokers, sleep was recorded."),
                 ("Results", "Most slept badly."))
    assert "prospective" in values(rec.design)
    rec = record(("Background", "Earlier prospective work found little."), ("Methods", "We asked 50 smokers."))
    assert "prospective" not in values(rec.design)


def test_prospective_people_are_no_prospective_design() -> None:
    rec = record("All 148 centres test prospective kidney recipients for HIV.")
    assert "prospective" not in values(rec.design)
    assert "prospective" in values(record("We prospectively enrolled 60 kidney recipients.").design)


def test_the_named_patterns_load_in_order_and_keep_their_case() -> None:
    """patterns.toml: a table's names in the file's order; an entry marked ``case`` matches only as written."""
    from assistant.studies import vocab as V

    assert [name for name, _ in V.ANIMAL_SPECIES][:2] == ["rat", "mouse"]
    sni = dict(V.CONDITIONS)["SNI"]
    assert sni.search("rats with SNI") and not sni.search("a snide remark about sni")
    assert dict(V.ANIMAL_SPECIES)["rat"].search("RATS were housed")


def test_allocation_by_a_random_number_table_into_arms() -> None:
    rec = record("Eighty-six patients were allocated by random-number table to two arms of 43, real or sham rTMS.")
    assert "randomised" in values(rec.design) and rec.kind_value == "randomised trial"
    assert (43, "per arm") in [(s.n, s.role) for s in rec.sizes]
    assert "randomised" not in values(record("Patients chose an arm at random times of day.").design)


def test_horns_of_the_spinal_cord_and_no_tissue_for_a_behaviour() -> None:
    rec = record("rTMS lowered GFAP in the dorsal-horn, and it lowered Iba1 in the lumbar horns.",
                 "rTMS raised the paw withdrawal threshold, measured before the DRG was removed.")
    got = {(f.marker, f.tissue) for f in rec.findings}
    assert {("GFAP", "dorsal horn"), ("Iba1", "spinal cord"), ("mechanical threshold", None)} <= got


def test_a_note_marker_whose_tissue_no_sentence_names_is_not_given_another() -> None:
    """The note says PSD-95 fell in the spinal cord; the only sentence naming PSD-95 also names serum: its tissue
    is left unstated, not read as serum."""
    front = {"study_type": "animal study", "species": "rat",
             "markers": [{"marker": "PSD-95", "tissue": "spinal cord", "change": "down"},
                         {"marker": "IL-18", "tissue": "blood", "change": "down"}]}
    rec = record(("Findings", "rTMS brought down PSD-95, and serum IL-18 fell too, in the treated rats."),
                 kind="evidence-note", extra=front)
    got = {(f.marker, f.tissue) for f in rec.findings}
    assert ("PSD-95", None) in got and ("IL-18", "serum") in got


def test_a_trial_run_at_several_centres_is_multicentre() -> None:
    """"at seven centres", "in 12 hospitals", "a 7-center trial" state a multicentre design; one centre does not."""
    for text in ("A randomised crossover trial at seven centres enrolled 70 patients.",
                 "Patients were recruited in 12 hospitals across the country.",
                 "In this 7-center trial, 64 patients were analysed."):
        assert "multicentre" in values(record(text).design), text
    for text in ("Patients were recruited at one centre.", "The coil was centred over the hand area in 20 patients."):
        assert "multicentre" not in values(record(text).design), text


def test_no_control_group_is_read_and_is_not_a_sham() -> None:
    """"there was no sham group" and "every patient received real rTMS" state that nothing controlled the study;
    "no sham group" is not a sham control."""
    for text in ("There was no sham group in this study of 20 patients.",
                 "Every patient received real 10 Hz rTMS on five days in a row.",
                 "In this uncontrolled study, 12 patients were followed."):
        controls = values(record(text).control)
        assert "no control group" in controls and "sham" not in controls, text
    assert values(record("A sham group of 10 patients received the same sessions.").control) == ["sham"]
