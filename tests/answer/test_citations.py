from __future__ import annotations

from assistant.answer.citations import (
    clean_markers,
    is_refusal,
    parse_markers,
    render_reference,
    split_sentences,
    strip_markers,
)
from assistant.answer.contracts import REFUSAL

from .conftest import FACTS, make_passage


def test_parse_markers_accepts_llm_variants():
    text = "A [1]. B [2, 3]. C [Passage 4]. D [5-6]. E [2]."
    assert parse_markers(text) == [1, 2, 3, 4, 5, 6]
    assert parse_markers("no markers at all, not even [x]") == []


def test_clean_markers_drops_out_of_range_and_canonicalises():
    s, kept, dropped = clean_markers("IL-1β fell in the dorsal horn [1, 7].", k=5)
    assert s == "IL-1β fell in the dorsal horn [1]."
    assert kept == [1] and dropped == [7]
    s, kept, dropped = clean_markers("Microglia were less active. [0][2]", k=3)
    assert s == "Microglia were less active [2]."
    assert kept == [2] and dropped == [0]


def test_split_sentences_respects_abbreviations_decimals_and_trailing_markers():
    text = ("Bai Y. W. et al. reported lower IL-6 at 1.5 mA, e.g. in rats [1]. Fig. 2 shows it. [2] "
            "Next claim [3].\n- a bullet item [4]")
    assert split_sentences(text) == [
        "Bai Y. W. et al. reported lower IL-6 at 1.5 mA, e.g. in rats [1].",
        "Fig. 2 shows it. [2]",
        "Next claim [3].",
        "a bullet item [4]",
    ]
    assert strip_markers("Claim [1][2].") == "Claim."
    # hyphenated initials do not end a sentence either
    assert split_sentences("Led by J.-P. Lefaucheur, Créteil. It covers 2014.") == [
        "Led by J.-P. Lefaucheur, Créteil.", "It covers 2014."]


def test_is_refusal():
    assert is_refusal(REFUSAL)
    assert is_refusal(f'"{REFUSAL}" [1]')
    assert is_refusal("The passages do not contain enough evidence to answer this.")
    assert not is_refusal("rTMS lowered IL-1β in the spinal cord [1].")


def test_render_reference_has_all_bibliographic_parts():
    key, section, text = FACTS[0]
    line = render_reference(2, make_passage(key, section, text, page=4))
    assert line.startswith("2. Bai et al. 2023. Repetitive transcranial magnetic stimulation regulates")
    assert "Front Immunol." in line
    assert "doi:10.3389/fimmu.2023.1172293 / PMID 37180127" in line
    assert line.endswith("— Spinal inflammation, p. 4")
    single = render_reference(1, make_passage("chen", "Clinical outcomes", FACTS[2][2]))
    assert single.startswith("1. Chen 2019. ") and "PMID 99999999" in single and "doi:" not in single


def test_markers_before_or_after_a_sentence_attach_to_it():
    # shapes seen from Qwen2.5-1.5B: a leading marker, markers after the final period, space-separated groups
    text = "[1] rTMS lowers IL-1β, IL-6 and TNF-α. [2] [3]"
    (only,) = split_sentences(text)
    assert clean_markers(only, 5) == ("rTMS lowers IL-1β, IL-6 and TNF-α [1][2][3].", [1, 2, 3], [])
    sents = split_sentences("Microglia were less active in the cord. [1][2][3]")
    assert sents == ["Microglia were less active in the cord. [1][2][3]"]
    assert clean_markers(sents[0], 2)[0] == "Microglia were less active in the cord [1][2]."
    assert [clean_markers(s, 5)[0] for s in split_sentences("A is so [1]. [2] B is true. [3]")] == \
        ["A is so [1][2].", "B is true [3]."]
