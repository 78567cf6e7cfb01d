"""Passages that address an AI assistant ("ignore previous instructions…") are flagged at index time.

A flagged chunk stays searchable (so the user can see it), but the answer engine never takes its sentences as
evidence, as support for a claim or as fallback material: a claim planted next to an instruction cannot be
told apart from the instruction's own payload.
"""

from __future__ import annotations

import re

# sentences addressed to a language model; the answer layer's sanitiser removes them from what the model sees
ADDRESSED_TO_MODEL = [
    re.compile(r"\b(?:ignore|disregard|forget|override|bypass)\b[^.!?\n]{0,60}?\b(?:instructions?|prompts?|rules|"
               r"directions|guidelines|context)\b", re.I),
    re.compile(r"\byou\s+(?:are\s+now|must\s+now|will\s+now|should\s+now)\b", re.I),
    re.compile(r"\b(?:system|developer)\s+(?:prompt|message|instructions?)\b", re.I),
    re.compile(r"\bnew\s+instructions?\s*:", re.I),
    re.compile(r"\b(?:as\s+an?\s+)?(?:ai|language\s+model|assistant|chatbot)\s*[,:]?\s*(?:must|should)\s+"
               r"(?:say|answer|reply|respond|output)\b", re.I),
    re.compile(r"\b(?:reply|respond|answer|output)\s+(?:only\s+)?with\s+(?:the\s+)?(?:word|phrase|text)\b", re.I),
]
# at index time also a planted claim ("reply that rTMS cures …") and chat-template tokens
INSTRUCTION_PATTERNS = [
    *ADDRESSED_TO_MODEL,
    re.compile(r"\b(?:reply|respond|answer|say|state|tell\s+(?:the\s+)?user)\s+that\b[^.!?\n]{0,80}"
               r"\b(?:cures?|is\s+safe|always|never)\b", re.I),
    re.compile(r"<\|[^|>]{1,40}\|>|\[/?INST\]", re.I),
]


def instruction_like(text: str) -> bool:
    """True when ``text`` holds a sentence addressed to a language model rather than a reader."""
    return any(p.search(text) for p in INSTRUCTION_PATTERNS)
