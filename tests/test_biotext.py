"""The one biomedical text normaliser and the coverage each caller asks of it."""

from assistant import biotext
from assistant.answer.terms import terms
from assistant.corpus.markers import marker_key
from assistant.eval.normalise import normalise_text, tokens
from assistant.index.tokenize import tokenize


def test_coverage_is_a_parameter() -> None:
    assert biotext.spell_greek("TNF-α, IFN-γ, θ-burst") == "TNF-alpha, IFN-gamma, theta-burst"
    assert biotext.spell_greek("TNF-α, θ-burst", biotext.MARKER_GREEK) == "TNF-alpha, θ-burst"
    assert biotext.spell_greek("IL-6 κ", pad=True) == "IL-6  kappa "
    assert biotext.spell_greek("NF-Κβ") == "NF-kappabeta"  # either case


def test_eszett_is_read_as_beta_only_when_asked_and_before_case_folding() -> None:
    assert biotext.fold("IL-1ß", eszett=True) == "il-1beta"
    assert biotext.fold("IL-1ß") == "il-1ss"  # plain case folding
    assert biotext.fold("ẞ-Endorphin", eszett=True, case="lower") == "beta-endorphin"


def test_compatibility_forms_and_units() -> None:
    assert biotext.fold("5 µg") == "5 mug"  # the micro sign is μ after NFKC, then spelled out
    assert biotext.fold_terms("TNF‐α at 10 Hz and 5-Hz") == "tnf-alpha at 10hz and 5hz"


def test_the_four_callers_agree_on_marker_spellings() -> None:
    for a, b in (("TNF-α", "TNF-alpha"), ("IL-1β", "IL1B"), ("NF-κB", "NFKB"), ("IL-1ß", "IL-1β")):
        assert marker_key(a) == marker_key(b)
        assert tokenize(a) == tokenize(b)
        assert terms(a) == terms(b)
    assert tokens("TNF-α") == tokens("tnf alpha") == ["tnf", "alpha"]
    assert normalise_text("TNFα") == "tnf alpha "


def test_shared_aliases_are_one_table() -> None:
    assert biotext.GENE_ALIASES["nr2b"] == "nmdar2b" and biotext.TERM_ALIASES["nr2b"] == "nmdar2b"
    assert tokenize("GluN2B") == tokenize("NMDAR2B") == ["nmdar2b"]
    assert terms("hertz") == ["hz"]
