"""Marker names: one comparison key for the many ways a marker is written.

Authors (and users typing queries) write the same molecule as ``TNF-α``, ``TNF-alpha``, ``TNFa`` or
``tnf-α``; ``IL-1β``, ``IL-1beta`` or ``IL1B``; ``Iba1`` or ``Iba-1``; ``NR2B`` or ``NMDAR2B``.
:func:`marker_key` maps all of these to the same key, :func:`canonical_marker` to the project's
canonical spelling (Greek letters, see the digest format notes).
"""

from __future__ import annotations

import re

from assistant.biotext import GENE_ALIASES, MARKER_GREEK, fold

CANONICAL_MARKERS: tuple[str, ...] = (
    "TNF-α", "IL-1β", "IL-6", "IL-10", "IL-17", "IL-18", "IFN-γ", "BDNF", "Iba1", "GFAP", "nNOS", "iNOS",
    "NMDAR2B", "mGluR5", "NF-κB", "TLR4", "P2X4", "P2X7", "CX3CR1", "HMGB1", "COX-2", "PGE2", "CGRP",
    "substance P", "c-Fos", "NLRP3", "TRPV1", "GAP-43", "S100B", "CD68", "β-endorphin",
)

# Long names shortened inside the key, so 'interleukin-1 beta' == 'IL-1β'.
_WORDS = (("tumornecrosisfactor", "tnf"), ("interleukin", "il"), ("interferon", "ifn"))

# Whole-key synonyms: the shared aliases plus long names and alternative gene/subunit names.
_ALIASES = {
    **GENE_ALIASES,
    "nmdanr2b": "nmdar2b",
    "nmdar2b": "nmdar2b",
    "bendorphin": "betaendorphin",
    "ionizedcalciumbindingadaptermolecule1": "iba1",
    "aif1": "iba1",
    "sp": "substancep",
    "ptgs2": "cox2",
}


def marker_key(name: str) -> str:
    """Comparison key: Greek spelled out, case-folded, punctuation and spaces removed, synonyms merged.

    >>> marker_key("TNF-α") == marker_key("tnfa") == marker_key("TNF alpha")
    True
    """
    s = re.sub(r"[^0-9a-z]", "", fold(name, MARKER_GREEK, eszett=True))  # ß read as β, not folded to 'ss'
    for long, short in _WORDS:
        s = s.replace(long, short)
    return _ALIASES.get(s, s)


_CANONICAL_BY_KEY = {marker_key(m): m for m in CANONICAL_MARKERS}


def canonical_marker(name: str) -> str:
    """The project's spelling of ``name`` when it is a known marker, else ``name`` stripped."""
    return _CANONICAL_BY_KEY.get(marker_key(name), name.strip())


def same_marker(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` name the same marker (e.g. 'IL1B' and 'IL-1β')."""
    return bool(marker_key(a)) and marker_key(a) == marker_key(b)


# Classes of markers a question names instead of the markers ("which cytokines …", "glial markers"): the class
# word and the members the corpus writes. One vocabulary for retrieval (``expand_classes``) and the planner.
MARKER_CLASSES: dict[str, tuple[str, ...]] = {
    "cytokine": ("TNF-α", "IL-1β", "IL-6", "IL-10", "IL-17", "IL-18", "IFN-γ"),
    "interleukin": ("IL-1β", "IL-6", "IL-10", "IL-17", "IL-18"),
    "inflammatory mediator": ("TNF-α", "IL-1β", "IL-6", "COX-2", "PGE2", "iNOS", "NF-κB"),
    "glial marker": ("Iba1", "GFAP"),
    "microglial marker": ("Iba1", "CD68"),
    "astrocyte marker": ("GFAP", "S100B"),
    "astrocytic marker": ("GFAP", "S100B"),
    "glutamate receptor": ("mGluR5", "NMDAR2B"),
    "neurotrophin": ("BDNF",),
    "neurotrophic factor": ("BDNF",),
    "nitric oxide synthase": ("nNOS", "iNOS"),
}
_CLASS_RE = re.compile(r"\b(" + "|".join(re.escape(c) for c in sorted(MARKER_CLASSES, key=len, reverse=True))
                       + r")s?\b", re.IGNORECASE)


def marker_classes_in(text: str) -> list[str]:
    """The marker classes ``text`` names ('pro-inflammatory cytokines' → ['cytokine'])."""
    return list(dict.fromkeys(m.group(1).lower() for m in _CLASS_RE.finditer(text)))


def expand_classes(query: str) -> str:
    """``query`` with the members of every marker class it names appended, for lexical search: a question that
    says "cytokines" matches the passages that name TNF-α and IL-6 but never the class word."""
    members = [m for c in marker_classes_in(query) for m in MARKER_CLASSES[c]]
    new = [m for m in dict.fromkeys(members) if m.casefold() not in query.casefold()]
    return f"{query} {' '.join(new)}" if new else query
