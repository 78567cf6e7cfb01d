"""GBNF grammars for llama.cpp's constrained decoding: the output is always well-formed.

An answer is one to three sentences, each starting with a word and ending with one to three in-range markers
before its full stop ("rTMS lowered IL-1β [1]."), optionally preceded by the verdict word for a yes/no question
("Yes. …"). Bare markers, markers out of range and
broken brackets cannot be produced.
"""

from __future__ import annotations


def _alt(options: list[str]) -> str:
    return " | ".join(f'"{o}"' for o in options)


def answer_grammar(k: int, yes_no: bool = False, max_sentences: int = 3) -> str:
    """GBNF for an answer citing passages ``1..k``. The model is not offered the refusal phrase: refusing is left to
    the gates before generation and to the citation check after it."""
    k = max(1, k)
    more = "".join(' (" " sentence' for _ in range(max_sentences - 1)) + ")?" * (max_sentences - 1)
    lines = [
        "root ::= answer",
        f"answer ::= {'verdict ' if yes_no else ''}sentence{more}",
        'sentence ::= first (" " word) (" " word) (" " word)+ "."? " " marker marker? marker? "."',  # >= 4 words
        # a sentence opens with a capital, a digit, a Greek letter or a name whose first one or two lower-case
        # letters precede a capital (rTMS, iNOS, nNOS, mGluR5, tDCS): "et al." cannot pass for the end of one
        'first ::= [A-Z0-9(\\"\u03b1-\u03c9] [^\\[\\]\\n. ]* | [a-z] [a-z]? [A-Z] [^\\[\\]\\n. ]*',
        # no bounded repetition of a long span ({8,400} expands into hundreds of rules and slows sampling
        # tenfold); a full stop only before a digit ("1.5 mA", "1.21-1.83"), so markers come
        # before the sentence's final stop ("Claim. [1]." is tidied to "Claim [1]." by the citation check); the
        # abbreviations of a citation ("Jiang et al. 2022 pooled …") do not end a sentence either
        'word ::= [^\\[\\]\\n. ]+ ("." [0-9] [^\\[\\]\\n. ]*)* | ("al." | "vs." | "e.g." | "i.e." | "approx.") [,;:)]?',
        f"marker ::= \"[\" ({_alt([str(i) for i in range(1, k + 1)])}) \"]\"",
    ]
    if yes_no:
        lines.append('verdict ::= ("Yes" | "No") ". "')
    return "\n".join(lines) + "\n"


def verdict_grammar() -> str:
    """One word: for closed-book yes/no questions."""
    return 'root ::= ("Yes" | "No") "." [^\\n]{0,300}\n'
