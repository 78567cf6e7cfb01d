"""A sentence that names a study is backed only by what the passages say of that study."""

from __future__ import annotations

from assistant.answer.attribution import Cited, attributed_evidence, cited_studies, known_authors, without_citations
from assistant.answer.check import check_answer
from assistant.answer.judge import LexicalJudge

from .conftest import make_passage

# invented wording: a review-like passage citing two studies, and the Luo study's own passage
REVIEW = ("Zhang et al. 2021 found that 20 Hz rTMS lowered serum IL-18 and TNF-α in rats with compressed dorsal root "
          "ganglia. Hu et al. 2022 reported lower cortical IL-6 after insular rTMS in CCI rats.")
LUO = "Microglial activation, judged by Iba-1 staining, fell in the ipsilateral spinal cord after 20 Hz stimulation."


def _passages():
    return [make_passage("bai", "Primary studies", REVIEW, rank=1), make_passage("luo", "Results", LUO, rank=2)]


def test_names_cited_as_studies_are_found_only_when_the_passages_know_them():
    ps = _passages()
    known = known_authors(ps, [p.chunk.text for p in ps])
    assert {"Zhang", "Hu", "Luo", "Bai"} <= known
    def names(claim):
        return [(c.surname, c.year) for c in cited_studies(claim, known)]

    assert names("Hu et al. 2022 found lower IL-6.") == [("Hu", 2022)]
    assert names("Luo and colleagues saw less Iba-1, as did Zhang (2021).") == [("Luo", None), ("Zhang", 2021)]
    assert names("Figure 2 shows Iba-1 in 2021.") == []  # not a known author
    assert names("Smith et al. 2020 saw less Iba-1.") == []  # unknown here: not checked
    assert names("Luo saw less Iba-1.") == []  # a bare surname is not a citation
    # two authors name one paper by its first; a second surname that is itself a known first author is a study too
    assert names("Microglia matter, say Luo and Tsuda 2022.") == [("Luo", 2022)]
    assert names("Luo & Tsuda (2022) saw less Iba-1.") == [("Luo", 2022)]
    assert names("How did Hu and Zhang differ?") == [("Hu", None), ("Zhang", None)]
    cited = cited_studies("In Kim et al. 2013, 25 Hz rTMS lowered Iba1.", known | {"Kim"})
    assert without_citations("In Kim et al. 2013, 25 Hz rTMS lowered Iba1.", cited) == "In 25 Hz rTMS lowered Iba1."


def test_a_passage_says_of_a_study_only_the_sentences_that_name_it():
    review, luo = _passages()
    hu, luo_own, luo_2019 = Cited("Hu", 2022, (0, 0)), Cited("Luo", None, (0, 0)), Cited("Luo", 2019, (0, 0))
    assert attributed_evidence([hu], review, REVIEW).startswith("Hu et al. 2022 reported")
    assert attributed_evidence([luo_own], luo, LUO) == LUO  # the study's own passage: all of it
    assert attributed_evidence([luo_2019], luo, LUO) is None  # Luo's study here is from 2021
    assert attributed_evidence([hu], luo, LUO) is None


def test_a_finding_pinned_on_the_wrong_study_is_not_supported():
    ps = _passages()
    texts = [p.chunk.text for p in ps]
    judge = LexicalJudge().fit(texts)
    wrong = check_answer("Hu et al. 2022 found that 20 Hz rTMS lowered serum IL-18 and TNF-α in rats [1].", ps, texts,
                         judge)
    assert not wrong.sentences[0].supported
    right = check_answer("Zhang et al. 2021 found that 20 Hz rTMS lowered serum IL-18 and TNF-α in rats [1].", ps,
                         texts, judge)
    assert right.sentences[0].supported
    unnamed = check_answer("20 Hz rTMS lowered serum IL-18 and TNF-α in rats [1].", ps, texts, judge)
    assert unnamed.sentences[0].supported  # a claim that names no study is judged on the whole passage
    own = check_answer("Luo et al. 2021 saw microglial activation fall in the ipsilateral spinal cord [2].", ps,
                       texts, judge)
    assert own.sentences[0].supported


def test_a_jointly_supported_claim_keeps_only_the_citations_it_needs():
    # invented passages: the claim's two halves stand in [1] and [3]; [2] repeats part of [1]
    ps = [make_passage("bai", "Results", "Tricyclic antidepressants had a number needed to treat of 3.6.", rank=1),
          make_passage("luo", "Results", "Antidepressants were among the first-line drugs.", rank=2),
          make_passage("bai", "Meta-analysis", "Pooled over sham, rTMS reached an effect size of -0.66.", rank=3)]
    texts = [p.chunk.text for p in ps]
    judge = LexicalJudge().fit(texts)
    claim = "Tricyclic antidepressants had a number needed to treat of 3.6, and rTMS reached an effect size of -0.66"
    r = check_answer(f"{claim} [1][2][3].", ps, texts, judge)
    assert r.sentences[0].supported and r.sentences[0].markers == [1, 3]
    assert r.text.endswith("[1][3].")
    alone = check_answer(f"{claim} [1].", ps, texts, judge)
    assert not alone.sentences[0].supported  # half a claim's support is not support


def test_a_question_about_one_study_is_answered_from_that_study():
    ps = _passages()
    texts = [p.chunk.text for p in ps]
    judge = LexicalJudge().fit(texts)
    claim = "20 Hz rTMS lowered serum IL-18 and TNF-α in rats [1]."
    about_hu = check_answer(claim, ps, texts, judge, question="What did Hu et al. 2022 find in rats?")
    assert not about_hu.sentences[0].supported  # Zhang's finding, told as the answer about Hu's study
    about_zhang = check_answer(claim, ps, texts, judge, question="What did Zhang et al. 2021 find in rats?")
    assert about_zhang.sentences[0].supported
    # two studies named: no single study the answer must be about
    both = check_answer(claim, ps, texts, judge, question="What did Hu et al. 2022 and Zhang (2021) find?")
    assert both.sentences[0].supported


def test_the_extractive_answer_to_a_question_about_one_study_comes_from_that_study():
    from assistant.answer.composers import ExtractiveComposer
    from assistant.answer.turn import Turn
    from assistant.settings import Settings

    ps = _passages()
    texts = [p.chunk.text for p in ps]
    composer = ExtractiveComposer(Settings(backend="extractive"))

    def answer(q: str) -> str:
        return "".join(composer.compose(Turn(question=q, query=q, passages=ps, texts=texts)))

    # the plain extractive backend would lead with Luo's microglia sentence whichever study is asked about
    q = "How did microglial activation change after 20 Hz stimulation in the ipsilateral spinal cord in {}?"
    about_zhang = answer(q.format("Zhang et al. 2021"))
    assert "[2]" not in about_zhang and about_zhang.startswith("Zhang et al. 2021 found")
    about_luo = answer(q.format("Luo et al. 2021"))
    assert about_luo.startswith("Microglial activation") and "[1]" not in about_luo
