"""A question that names a class of markers ("which cytokines …") searches lexically for the class's members, so
the passages that name TNF-α and IL-6 but never the word "cytokine" are found and the lexical gate does not refuse
the question (measured: "Which cytokines does rTMS lower in CCI rats?" was refused, below-bm25-threshold)."""

from __future__ import annotations

from assistant.corpus.markers import MARKER_CLASSES, canonical_marker, expand_classes, marker_classes_in


def test_classes_found_in_plural_and_case() -> None:
    assert marker_classes_in("Which pro-inflammatory Cytokines fell?") == ["cytokine"]
    assert marker_classes_in("glial markers and glutamate receptors") == ["glial marker", "glutamate receptor"]
    assert marker_classes_in("rTMS and pain") == []


def test_expansion_appends_members_not_already_named() -> None:
    q = "Which cytokines besides TNF-α fell?"
    out = expand_classes(q)
    assert out.startswith(q) and "IL-6" in out and out.count("TNF-α") == 1
    assert expand_classes("Which glial markers does rTMS reduce?").endswith("Iba1 GFAP")
    assert expand_classes("Does rTMS relieve pain?") == "Does rTMS relieve pain?"


def test_members_are_canonical_marker_names() -> None:
    for members in MARKER_CLASSES.values():
        assert all(canonical_marker(m) == m for m in members)
