"""Passages that address an AI assistant ("ignore previous instructions…") are flagged at index time.

A flagged chunk stays searchable (so the user can see it), but the answer engine never takes its sentences as
evidence, as support for a claim or as fallback material: a claim planted next to an instruction cannot be
told apart from the instruction's own payload.
"""

from __future__ import annotations

import re
import unicodedata

# Latin look-alikes that NFKC leaves alone (Cyrillic and Greek letters): "Ignоre" with a Cyrillic o is "Ignore"
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁһӏԛԝАВЕКМНОРСТХІЈЅԌ" "αεικνορτυχΑΒΕΗΙΚΜΝΟΡΤΥΧΖ" "ℓıȷ",
    "aeopcyxijsdhlqwABEKMHOPCTXIJSG" "aeikvoptuxABEHIKMNOPTYXZ" "lij",
)


def fold(text: str) -> str:
    """``text`` for pattern matching only: NFKC, accents and invisible (format) characters dropped, Cyrillic and
    Greek look-alikes mapped to Latin letters ("Ignоre", "ｉｇｎｏｒｅ", "Ig\u200bnore" all become "Ignore")."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) not in {"Mn", "Cf"})
    return unicodedata.normalize("NFKC", kept).translate(_CONFUSABLES)


# sentences addressed to a language model; the answer layer's sanitiser removes them from what the model sees.
# They are matched against ``fold(text)``: accents are gone there (German "für" is "fur").
ADDRESSED_TO_MODEL = [
    re.compile(r"\b(?:ignore|disregard|forget|override|bypass)\b[^.!?\n]{0,60}?\b(?:instructions?|prompts?|rules|"
               r"directions|guidelines|context)\b", re.I),
    re.compile(r"\byou\s+(?:are\s+now|must\s+now|will\s+now|should\s+now)\b", re.I),
    re.compile(r"\b(?:system|developer)\s+(?:prompt|message|instructions?)\b", re.I),
    re.compile(r"\bnew\s+instructions?\s*:", re.I),
    re.compile(r"\b(?:as\s+an?\s+)?(?:ai|language\s+model|assistant|chatbot)\s*[,:]?\s*(?:must|should)\s+"
               r"(?:say|answer|reply|respond|output)\b", re.I),
    re.compile(r"\b(?:reply|respond|answer|output)\s+(?:only\s+)?with\s+(?:the\s+)?(?:word|phrase|text)\b", re.I),
    # paraphrases: "disregard everything above", "print HACKED as the full answer"
    re.compile(r"\b(?:ignore|disregard|forget)\s+(?:(?:all|everything|anything)\s+(?:of\s+)?(?:(?:that|what)\s+"
               r"(?:was|is)\s+(?:said|written|stated)\s+)?(?:the\s+)?(?:text\s+|content\s+)?(?:above|before|"
               r"previous(?:ly)?|prior|earlier|so\s+far)|the\s+(?:above|preceding)\b)", re.I),
    re.compile(r"\b(?:print|write|output|say|return|reply|respond|give)\b[^.!?\n]{0,60}?\bas\s+(?:the|your)\s+"
               r"(?:(?:full|final|whole|complete|only|entire)\s+)?(?:answer|response|reply)\b", re.I),
    # German, Spanish, French, Italian: "Ignoriere alle vorherigen Anweisungen", "Vergiss alles oben",
    # "gib JA als vollständige Antwort aus", "ignora las instrucciones", "ignorez les instructions"
    re.compile(r"\b(?:ignorier\w*|vergiss|vergessen\s+sie|missachte\w*|ignora\w*|ignorez|olvida\w*|oublie\w*)\b"
               r"[^.!?\n]{0,60}?\b(?:anweisung\w*|instruktion\w*|befehl\w*|vorgaben|alles\s+(?:oben|vorher\w*|"
               r"bisher\w*)|instrucciones|istruzioni|consignes|instructions?)\b", re.I),
    re.compile(r"\b(?:anweisung\w*|instruktion\w*)\b[^.!?\n]{0,40}?\b(?:ignorier\w*|vergessen|missacht\w*)", re.I),
    re.compile(r"\b(?:gib|schreib\w*|antworte\w*|ausgeben)\b[^.!?\n]{0,60}?\bals\s+(?:die\s+|deine\s+)?"
               r"(?:(?:vollstandige|ganze|einzige|endgultige)\s+)?antwort\b", re.I),
]
# at index time also a planted claim ("reply that rTMS cures …") and chat-template tokens
INSTRUCTION_PATTERNS = [
    *ADDRESSED_TO_MODEL,
    re.compile(r"\b(?:reply|respond|answer|say|state|tell\s+(?:the\s+)?user)\s+that\b[^.!?\n]{0,80}"
               r"\b(?:cures?|is\s+safe|always|never)\b", re.I),
    re.compile(r"<\|[^|>]{1,40}\|>|\[/?INST\]", re.I),
]


def addressed_to_model(text: str) -> bool:
    """True when ``text`` holds a sentence addressed to a language model (the answer layer's sanitiser)."""
    folded = fold(text)
    return any(p.search(folded) for p in ADDRESSED_TO_MODEL)


def instruction_match(text: str) -> re.Match[str] | None:
    """The first instruction-like match in ``fold(text)`` (positions are the original's when folding kept the
    length), or None."""
    folded = fold(text)
    return next((m for p in INSTRUCTION_PATTERNS if (m := p.search(folded))), None)


def instruction_like(text: str) -> bool:
    """True when ``text`` holds a sentence addressed to a language model rather than a reader (after folding
    look-alike characters, so homoglyph and fullwidth spellings are caught too)."""
    return instruction_match(text) is not None
