"""Marker names: one comparison key for the many ways a marker is written.

Authors (and users typing queries) write the same molecule as ``TNF-α``, ``TNF-alpha``, ``TNFa`` or
``tnf-α``; ``IL-1β``, ``IL-1beta`` or ``IL1B``; ``Iba1`` or ``Iba-1``; ``NR2B`` or ``NMDAR2B``.
:func:`marker_key` maps all of these to the same key, :func:`canonical_marker` to the project's
canonical spelling (Greek letters, see the digest format notes).
"""

from __future__ import annotations

import re
import unicodedata

CANONICAL_MARKERS: tuple[str, ...] = (
    "TNF-α", "IL-1β", "IL-6", "IL-10", "IL-17", "IL-18", "IFN-γ", "BDNF", "Iba1", "GFAP", "nNOS", "iNOS",
    "NMDAR2B", "mGluR5", "NF-κB", "TLR4", "P2X4", "P2X7", "CX3CR1", "HMGB1", "COX-2", "PGE2", "CGRP",
    "substance P", "c-Fos", "NLRP3", "TRPV1", "GAP-43", "S100B", "CD68", "β-endorphin",
)

# Greek letters (and 'ß', often typed for β) spelled out before case folding, which would turn 'ß'
# into 'ss'. NFKC has already mapped the micro sign to μ.
_GREEK = {"ß": "beta", "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "κ": "kappa", "μ": "mu",
          "Α": "alpha", "Β": "beta", "Γ": "gamma", "Δ": "delta", "Κ": "kappa"}

# Long names shortened inside the key, so 'interleukin-1 beta' == 'IL-1β'.
_WORDS = (("tumornecrosisfactor", "tnf"), ("interleukin", "il"), ("interferon", "ifn"))

# Folded spellings of the same marker (Greek spelled out, separators removed) → one key. Shared with the
# BM25 tokenizer and the answer layer's key terms, so all three treat 'IL1B' and 'IL-1β' alike.
GENE_ALIASES: dict[str, str] = {
    "tnf": "tnfalpha",
    "tnfa": "tnfalpha",
    "il1b": "il1beta",
    "il1a": "il1alpha",
    "ifng": "ifngamma",
    "nfkb": "nfkappab",
    "nr2b": "nmdar2b",
    "glun2b": "nmdar2b",
    "grin2b": "nmdar2b",
}

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
    s = unicodedata.normalize("NFKC", name).strip()
    for letter, word in _GREEK.items():
        s = s.replace(letter, word)
    s = re.sub(r"[^0-9a-z]", "", s.casefold())
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
