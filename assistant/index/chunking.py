"""Section- and sentence-aware chunking measured in the embedder's own word pieces.

Each chunk's text is an exact slice ``section.text[char_start:char_end]`` so a citation can always be shown
as the passage that was indexed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.corpus.contracts import Document
from assistant.index.contracts import Chunk

TokenCounter = Callable[[Sequence[str]], list[int]]
"""Returns the number of word pieces (without special tokens) of each text."""

# Sentence end: . ! ? followed by space and an upper-case letter/digit/bracket; not after common abbreviations.
_ABBREV = r"(?<!\be\.g)(?<!\bi\.e)(?<!\bet al)(?<!\bvs)(?<!\bFig)(?<!\bNo)(?<!\bapprox)(?<!\bref)(?<!\bRef)"
_SENT_END = re.compile(_ABBREV + r"[.!?](?=\s+[A-Z0-9(\[])|\n\s*\n")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def sentence_spans(text: str) -> list[Span]:
    """Character spans of sentences (whitespace between sentences excluded)."""
    spans: list[Span] = []
    pos = 0
    for m in _SENT_END.finditer(text):
        end = m.end() if m.group().strip() else m.start()
        spans.append(Span(pos, end))
        pos = m.end()
    spans.append(Span(pos, len(text)))
    out = []
    for s in spans:
        a, b = s.start, s.end
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append(Span(a, b))
    return out


class Chunker:
    """Packs whole sentences into chunks of at most ``max_tokens`` word pieces, with sentence overlap."""

    def __init__(self, count_tokens: TokenCounter, max_tokens: int = 200, overlap_tokens: int = 40,
                 split_long: Callable[[str, int], list[tuple[int, int]]] | None = None) -> None:
        if overlap_tokens >= max_tokens:
            raise ValueError("chunk overlap must be smaller than the chunk size")
        self.count = count_tokens
        self.max_tokens = max_tokens
        self.overlap = overlap_tokens
        self.split_long = split_long or _split_by_words(count_tokens)

    def chunk_document(self, doc: Document) -> list[Chunk]:
        chunks: list[Chunk] = []
        seen: set[str] = set()
        for ordinal, section in enumerate(doc.sections):
            for start, end in self._pack(section.text):
                text = section.text[start:end]
                chunk_id = Chunk.make_id(doc.doc_id, section.title, section.page, start, end, text)
                if chunk_id in seen:  # a repeated section (two identical "## Results"): its ordinal tells it apart
                    chunk_id = Chunk.make_id(doc.doc_id, f"{section.title}\x1f{ordinal}", section.page, start, end,
                                             text)
                seen.add(chunk_id)
                chunks.append(Chunk(
                    chunk_id=chunk_id,
                    doc_id=doc.doc_id, paper_id=doc.paper_id, ord=len(chunks), section=section.title,
                    page=section.page, char_start=start, char_end=end, text=text,
                ))
        return chunks

    def _pack(self, text: str) -> list[tuple[int, int]]:
        sents = sentence_spans(text)
        if not sents:
            return []
        # Sentences longer than the budget are cut into word windows first.
        units: list[Span] = []
        lengths = self.count([text[s.start:s.end] for s in sents])
        unit_lengths: list[int] = []
        for s, n in zip(sents, lengths, strict=True):
            if n <= self.max_tokens:
                units.append(s)
                unit_lengths.append(n)
            else:
                for a, b in self.split_long(text[s.start:s.end], self.max_tokens):
                    units.append(Span(s.start + a, s.start + b))
                    unit_lengths.append(self.count([text[s.start + a:s.start + b]])[0])
        out: list[tuple[int, int]] = []
        i = 0
        while i < len(units):
            j, total = i, 0
            # +1 per joint: the whitespace between sentences can merge into a word piece boundary
            while j < len(units) and total + unit_lengths[j] + (1 if j > i else 0) <= self.max_tokens:
                total += unit_lengths[j] + (1 if j > i else 0)
                j += 1
            j = max(j, i + 1)
            out.append((units[i].start, units[j - 1].end))
            if j >= len(units):
                break
            # Overlap: step back over trailing sentences that fit in the overlap budget.
            back, k = 0, j
            while k - 1 > i and back + unit_lengths[k - 1] <= self.overlap:
                back += unit_lengths[k - 1]
                k -= 1
            i = k
        return out


def _split_by_words(count_tokens: TokenCounter) -> Callable[[str, int], list[tuple[int, int]]]:
    def split(text: str, max_tokens: int) -> list[tuple[int, int]]:
        words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
        counts = count_tokens([text[a:b] for a, b in words])
        out, start_i, total = [], 0, 0
        for idx, n in enumerate(counts):
            if total + n > max_tokens and idx > start_i:
                out.append((words[start_i][0], words[idx - 1][1]))
                start_i, total = idx, 0
            total += n
        if start_i < len(words):
            out.append((words[start_i][0], words[-1][1]))
        return out

    return split


def embedding_text(doc_title: str, chunk: Chunk) -> str:
    """What the embedder sees: a short title/section header, then the passage (fits in 256 word pieces)."""
    header = " | ".join(x for x in (doc_title[:150], chunk.section[:80]) if x)
    return f"{header}\n{chunk.text}" if header else chunk.text


def lexical_text(doc_title: str, chunk: Chunk, cited_as: str = "") -> str:
    """What BM25 indexes: the same header and the passage, after the paper's name as a citation gives it
    (``cited_as``: first author and year), so "Khedr 2005" or "the Quesada 2020 trial" finds that paper."""
    return f"{cited_as} {doc_title} {chunk.section} {chunk.text}".lstrip()
