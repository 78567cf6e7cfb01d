import pytest

from assistant.index.tokenize import fold, tokenize


@pytest.mark.parametrize(("variants", "canonical"), [
    (["IL-1β", "IL-1beta", "IL1B", "il-1b", "IL 1β"[0:0] + "IL-1β"], "il1beta"),
    (["TNF-α", "TNF-alpha", "TNFa", "TNF"], "tnfalpha"),
    (["10 Hz", "10-Hz", "10Hz", "10 hz"], "10hz"),
    (["Iba1", "Iba-1", "IBA1"], "iba1"),
    (["NMDAR2B", "NR2B", "GluN2B"], "nmdar2b"),
    (["mGluR5", "MGLUR5"], "mglur5"),
    (["NF-κB", "NF-kappaB", "NFkB"], "nfkappab"),
    (["GFAP"], "gfap"), (["nNOS"], "nnos"), (["BDNF"], "bdnf"),
])
def test_biomedical_variants_fold_to_one_token(variants, canonical):
    for v in variants:
        assert tokenize(v) == [canonical], v


def test_frequency_keeps_decimal_and_unit():
    assert tokenize("0.5 Hz and 1.5-Hz") == ["0.5hz", "1.5hz"]


def test_stopwords_and_plurals():
    assert tokenize("Which cytokines are reduced in the rats?") == ["cytokine", "reduced", "rat"]


def test_slash_separated_markers_split():
    assert tokenize("TNF-α/IL-6") == ["tnfalpha", "il6"]


def test_fold_maps_greek_and_dashes():
    assert fold("IFN‐γ – 20 Hz") == "ifn-gamma - 20hz"
