"""Lexical tokenizer for BM25 that keeps biomedical tokens whole and folds their spelling variants.

IL-1β / IL-1beta / IL1B → ``il1beta``; TNF-α / TNF-alpha / TNFa → ``tnfalpha``; 10 Hz / 10-Hz → ``10hz``;
Iba-1 → ``iba1``; NR2B / GluN2B → ``nmdar2b``; NF-κB → ``nfkappab``.
"""

from __future__ import annotations

import re

from assistant.biotext import TERM_ALIASES
from assistant.biotext import fold_terms as fold

_TOKEN = re.compile(r"[a-z0-9]+(?:[-/.][a-z0-9]+)*")
_SYNONYMS = {
    **TERM_ALIASES, "astrocytes": "astrocyte", "neuropathic": "neuropathic", "ganglia": "ganglion",
    "dorsal": "dorsal", "ccis": "cci", "transcranial": "transcranial",
}
_NO_PLURAL = frozenset({"nnos", "inos", "enos", "nos", "sos", "bus", "mas", "this", "was", "has", "its", "ms"})
_STOP = frozenset([
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "did", "do", "does", "for", "from", "had", "has",
    "have", "how", "in", "into", "is", "it", "its", "of", "on", "or", "that", "the", "their", "then",
    "there", "these", "they", "this", "those", "to", "was", "were", "what", "when", "where", "which",
    "while", "who", "whom", "why", "will", "with", "after", "before", "between", "during", "than", "about",
    "also", "both", "each", "other", "such", "not", "no",
])


def _canonical(token: str) -> str:
    tok = token.strip(".-/")
    if re.search(r"\d", tok) and "/" not in tok:
        tok = tok.replace("-", "").replace(".", "") if not re.fullmatch(r"\d+\.\d+(hz)?", tok) else tok
    elif "-" in tok:
        joined = tok.replace("-", "")
        if joined in _SYNONYMS or len(joined) <= 8:
            tok = joined
    if len(tok) > 3 and tok.endswith("s") and not tok.endswith(("ss", "us", "is")) \
            and tok not in _NO_PLURAL and not re.search(r"\d", tok):
        tok = tok[:-1]
    return _SYNONYMS.get(tok, tok)


def tokenize(text: str) -> list[str]:
    """Tokens for BM25 (query and documents use the same function)."""
    out: list[str] = []
    for raw in _TOKEN.findall(fold(text)):
        parts = [raw]
        if "/" in raw:  # 'tnf-alpha/il-6' → two tokens
            parts = raw.split("/")
        for p in parts:
            tok = _canonical(p)
            if tok and tok not in _STOP and (len(tok) > 1 or tok.isdigit()):
                out.append(tok)
    return out
