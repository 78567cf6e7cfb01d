"""A yes/no question about a treatment the corpus never mentions is refused, not answered about rTMS (invented
vocabulary and wording)."""

from __future__ import annotations

from assistant.answer.subject import foreign_subject, subject_words
from assistant.answer.terms import term_set

VOCAB = term_set("rTMS over the motor cortex lowered IL-6 in the spinal cord of rats after sciatic nerve injury; "
                 "low frequency stimulation; therapy; level; tuberculosis patients; treatment")


def test_the_subject_is_the_words_before_what_is_claimed() -> None:
    assert subject_words("Does low-level laser therapy reduce IL-6 in rats?") == ["low-level", "laser", "therapy"]
    assert subject_words("Is the vagal nerve stimulation better than rTMS?") == ["vagal", "nerve", "stimulation"]
    assert subject_words("Which cytokines fell?") == []  # not a yes/no question


def test_a_treatment_the_corpus_never_names() -> None:
    laser = "Does low-level laser therapy reduce IL-6 after sciatic nerve injury?"
    assert foreign_subject(laser, lambda: VOCAB) == {"laser"}
    assert foreign_subject("Is electroacupuncture treatment better than rTMS?", lambda: VOCAB)


def test_not_judged_when_it_names_the_topic_a_study_or_no_treatment() -> None:
    assert not foreign_subject("Does low frequency stimulation reduce IL-6?", lambda: VOCAB)  # every word known
    assert not foreign_subject("Does deep rTMS stimulation with an H-coil help?", lambda: VOCAB)  # the corpus's topic
    assert not foreign_subject("Did the Hosomi 2013 stimulation trial blind raters?", lambda: VOCAB)  # a study
    # no treatment named: other words may be phrased otherwise than the abstract ("underprescribe")
    assert not foreign_subject("Do tuberculosis patients underprescribe drugs?", lambda: VOCAB)
    assert not foreign_subject("Are tuberculosis patients adherent to prescribed treatment?", lambda: VOCAB)
    assert not foreign_subject("Does laser therapy reduce IL-6?", lambda: None)  # no vocabulary: nothing judged


def test_the_engine_refuses_a_question_about_a_treatment_the_corpus_never_names(search) -> None:  # type: ignore[no-untyped-def]
    from assistant.answer.engine import AnswerEngine
    from assistant.settings import Settings

    texts = [p.chunk.text for p in search("rTMS", 20)]
    engine = AnswerEngine(Settings(backend="extractive"), search, corpus_texts=lambda: texts)
    laser = engine.ask("Does low-level laser therapy reduce IL-1β in the spinal cord?")
    assert not laser.answerable and "question-term-missing" in laser.flags
    rtms = engine.ask("Does rTMS therapy reduce IL-1β in the spinal cord?")
    assert "question-term-missing" not in rtms.flags
