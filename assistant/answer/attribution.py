"""Whose finding is it? A sentence that names a study ("Hu et al. 2022 found …") is backed only by a passage from
that study, or by the sentences of a passage that name it (a review's "Hu et al. 2022: …" line).

The small model borrows a neighbouring study's finding and pins it on the study the question named; the word
overlap of a multi-study passage then passes the claim. Once the names are checked here, the citation itself
("Kim et al. 2013") is taken out of the claim the judge reads: a study's own passage seldom repeats its authors
and year, and a year missing from the passage would otherwise fail the claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answer.citations import split_sentences
from assistant.index.contracts import Passage

# "Hu et al. 2022", "Hu et al.", "Hu and colleagues", "Hu (2022)", "Hu 2022", "Inoue and Tsuda 2018": a capitalised
# surname cited (a second author's surname is group 2)
_CITED = re.compile(r"\b([A-Z][a-zA-Z'\-]+)(?:\s+(?:et al\.?|and colleagues|and co-workers)"
                    r"|\s+(?:and|&)\s+([A-Z][a-zA-Z'\-]+))?,?\s*(?:\(?((?:19|20)\d\d)\)?,?)?")


@dataclass(frozen=True)
class Cited:
    surname: str
    year: int | None
    span: tuple[int, int]


def known_authors(passages: list[Passage], texts: list[str]) -> set[str]:
    """Surnames that name a study here: the passages' first authors and the studies their texts cite."""
    names = {p.doc.first_author for p in passages if p.doc.first_author and p.doc.first_author[:1].isupper()}
    for t in texts:
        names.update(re.findall(r"\b([A-Z][a-zA-Z'\-]+) et al\b", t))
    return names


def cited_studies(claim: str, known: set[str]) -> list[Cited]:
    """The studies ``claim`` cites: a known surname followed by "et al.", "and colleagues" or a year."""
    out: list[Cited] = []
    for m in _CITED.finditer(claim):
        name, second, year = m.group(1), m.group(2), m.group(3)
        if name in known and m.group(0).strip() != name:  # a bare surname is not a citation
            out.append(Cited(name, int(year) if year else None, m.span()))
        if second in known:  # "Khedr and Quesada": two studies, each by its first author
            out.append(Cited(second, int(year) if year else None, m.span(2)))
    return out


def without_citations(claim: str, cited: list[Cited]) -> str:
    """``claim`` with its study citations cut out (what the judge reads once the names are checked)."""
    for c in sorted(cited, key=lambda c: -c.span[0]):
        claim = claim[:c.span[0]] + " " + claim[c.span[1]:]
    return " ".join(claim.split())


def own_study(cited: list[Cited], passage: Passage) -> bool:
    """Whether ``passage`` comes from one of the studies ``cited`` (its first author, and year when given)."""
    d = passage.doc
    return any(c.surname == d.first_author and c.year in (None, d.year) for c in cited)


def attributed_evidence(cited: list[Cited], passage: Passage, text: str) -> str | None:
    """What ``passage`` says of the studies ``cited``: all of it when it is one of them, the sentences that name
    one of them when it cites them, else None (the passage is about other studies)."""
    if own_study(cited, passage):
        return text
    own = [s for s in split_sentences(text)
           if any(re.search(rf"\b{re.escape(c.surname)}\b", s) and (c.year is None or str(c.year) in s)
                  for c in cited)]
    return " ".join(own) if own else None


def asked_study(question: str | None, known: set[str]) -> list[Cited] | None:
    """The one study ``question`` names (its citations when they share one surname), else None: a question about
    one study is answered from that study (two or more named: a comparison, no single study)."""
    cited = cited_studies(question, known) if question else []
    return cited if cited and len({c.surname for c in cited}) == 1 else None


def about_study(asked: list[Cited], passages: list[Passage], texts: list[str]) -> list[str]:
    """Each passage's text limited to what it says of the ``asked`` study ("" when nothing); the texts unchanged
    when no passage says anything of it."""
    only = [attributed_evidence(asked, p, t) or "" for p, t in zip(passages, texts, strict=True)]
    return only if any(only) else texts
