"""Text normalisation for key-fact matching.

Matching must not depend on how an author spelled a marker: ``TNF-α``, ``TNF alpha``, ``TNFα`` and
``tnf-alpha`` are the same fact, as are ``10 Hz``, ``10-Hz`` and ``10Hz``. We lower-case, spell Greek
letters as their names, split the text into alphanumeric tokens (hyphens, spaces and other punctuation
separate tokens) and then compare *concatenations of consecutive tokens*. That ignores hyphens and
spaces yet keeps word boundaries, so ``IL-6`` does not match inside ``IL-60``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.biotext import fold

# letters, or a number with an optional decimal part ("0.5", "1,5" kept whole)
_TOKEN_RE = re.compile(r"[a-z]+|\d+(?:[.,]\d+)?")
_THOUSANDS_RE = re.compile(r"(?<=\d)[,\u202f\u00a0](?=\d{3}(?!\d))")  # "30,155" → "30155"
_PLURAL_SUFFIXES = ("", "s", "es")


def normalise_text(text: str) -> str:
    """Lower-case, Unicode-compatibility-fold (µ→μ, ﬁ→fi), Greek letters spelled out."""
    return _THOUSANDS_RE.sub("", fold(text, pad=True))


def tokens(text: str) -> list[str]:
    """Alphanumeric tokens of the normalised text."""
    return _TOKEN_RE.findall(normalise_text(text))


def compact(text: str) -> str:
    """The normalised text with every separator removed: 'TNF-α' → 'tnfalpha'."""
    return "".join(tokens(text))


@lru_cache(maxsize=4096)
def _form_key(form: str) -> str:
    return compact(form)


def contains_form(text_tokens: list[str], form: str) -> bool:
    """True when some run of consecutive tokens, joined, spells ``form`` (plural -s/-es allowed)."""
    key = _form_key(form)
    if not key:
        return False
    for i in range(len(text_tokens)):
        joined = ""
        for tok in text_tokens[i:]:
            joined += tok
            if len(joined) >= len(key):
                if joined.startswith(key) and joined[len(key):] in _PLURAL_SUFFIXES:
                    return True
                break
            if not key.startswith(joined):
                break
    return False


def matches_any(text: str | list[str], forms: list[str]) -> bool:
    """True when ``text`` (a string or its ``tokens``) contains one of the accepted surface forms."""
    toks = tokens(text) if isinstance(text, str) else text
    return any(contains_form(toks, f) for f in forms)
