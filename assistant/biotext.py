"""Biomedical spelling folded one way: Greek letters spelled out, case folded, marker aliases merged.

Authors write one molecule as ``TNF-α``, ``TNF-alpha`` or ``TNFa`` and one frequency as ``10 Hz`` or ``10-Hz``.
Four places compare such spellings, each with the coverage it needs:

- the BM25 tokenizer and the answer layer's key terms (:func:`fold_terms`: the Greek letters of marker names and
  units, ``ß`` read as β, dashes unified, ``10 Hz`` → ``10hz``);
- marker names (``corpus.markers.marker_key``: the letters of the canonical markers, ``ß`` read as β);
- eval key-fact matching (``eval.normalise``: every Greek letter, spelled with spaces around it so ``IL-6`` and
  ``IL-60`` stay apart).

``ß`` (often typed for β) is read as β *before* case folding, because folding turns it into ``ss``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

GREEK_NAMES: dict[str, str] = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta", "η": "eta",
    "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi",
    "ο": "omicron", "π": "pi", "ρ": "rho", "σ": "sigma", "ς": "sigma", "τ": "tau", "υ": "upsilon",
    "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega",
}
"""Every lower-case Greek letter (and final sigma) → its name; upper-case letters are folded with them."""

ALL_GREEK = "".join(GREEK_NAMES)
MARKER_GREEK = "αβγδκμ"
"""The letters marker names use (TNF-α, IL-1β, IFN-γ, NF-κB, …)."""
TERM_GREEK = "αβγδκμθελστω"
"""The letters the BM25 tokenizer and key terms spell out."""

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
"""Folded spellings of one marker (Greek spelled out, separators removed) → one key: used by marker names, the
BM25 tokenizer and the answer layer's key terms, so all three treat 'IL1B' and 'IL-1β' alike."""

TERM_ALIASES: dict[str, str] = {
    **GENE_ALIASES, "tgfb": "tgfbeta", "tgfb1": "tgfbeta1", "hertz": "hz", "microglial": "microglia",
    "astrocytic": "astrocyte",
}
"""Token-level synonyms shared by the BM25 tokenizer and the answer layer's key terms."""

_ESZETT = {"ß": "beta", "ẞ": "beta"}  # often typed for β
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_HZ = re.compile(r"(\d+(?:\.\d+)?)\s*-?\s*hz\b")


@lru_cache(maxsize=16)
def _greek_table(letters: str, eszett: bool) -> tuple[re.Pattern[str], dict[str, str]]:
    table = {}
    for letter in letters:
        name = GREEK_NAMES[letter]
        table[letter] = name
        upper = letter.upper()
        if len(upper) == 1 and upper != letter:
            table[upper] = name
    if eszett:
        table.update(_ESZETT)
    return re.compile("|".join(map(re.escape, table))), table


def spell_greek(text: str, letters: str = ALL_GREEK, *, eszett: bool = False, pad: bool = False) -> str:
    """Greek letters among ``letters`` (either case) spelled as names; ``eszett`` reads ``ß`` as β; ``pad`` puts
    spaces around each name so it becomes a token of its own."""
    pattern, table = _greek_table(letters, eszett)
    if pad:
        return pattern.sub(lambda m: f" {table[m.group(0)]} ", text)
    return pattern.sub(lambda m: table[m.group(0)], text)


def fold(text: str, letters: str = ALL_GREEK, *, eszett: bool = False, pad: bool = False,
         case: Literal["lower", "casefold"] = "casefold") -> str:
    """Unicode-compatibility form (µ → μ, ﬁ → fi), lower-cased (``case="lower"``) or case-folded, then the Greek
    letters spelled out (see :func:`spell_greek`). With ``eszett``, ``ß`` is read as β before case folding
    (which would turn it into 'ss')."""
    t = unicodedata.normalize("NFKC", text)
    if eszett:
        t = t.replace("ß", "beta").replace("ẞ", "beta")
    t = t.lower() if case == "lower" else t.casefold()
    return spell_greek(t, letters, pad=pad)


def fold_terms(text: str) -> str:
    """The BM25 tokenizer's folding: lower case, the marker and unit Greek letters spelled out (``ß`` as β),
    dashes unified, frequency spellings joined (``10 Hz`` / ``10-Hz`` → ``10hz``)."""
    t = fold(text, TERM_GREEK, eszett=True, case="lower")
    return _HZ.sub(r"\1hz", _DASHES.sub("-", t))
