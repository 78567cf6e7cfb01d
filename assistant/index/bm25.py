"""BM25 over the chunk store, with the biomedical tokenizer (bm25s: sparse scores, fast at 1e5 chunks)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import bm25s
import numpy as np

from assistant.index.tokenize import tokenize

logging.getLogger("bm25s").setLevel(logging.WARNING)


class BM25Index:
    def __init__(self, texts: Sequence[str]) -> None:
        self.size = len(texts)
        self._bm25 = bm25s.BM25()
        corpus = [tokenize(t) or ["\x00empty"] for t in texts]
        if corpus:
            self._bm25.index(corpus, show_progress=False)
        # the largest IDF a term can have here (one chunk); BM25 scores grow with log(corpus size), so scores
        # are also reported in this unit, which keeps one refusal threshold meaningful across corpus sizes
        n = max(self.size, 1)
        self.max_idf = float(np.log(1.0 + (n - 1 + 0.5) / 1.5)) or 1.0

    def relative(self, score: float) -> float:
        """A BM25 score in units of the largest possible IDF (≈ number of rare query terms matched)."""
        return score / self.max_idf

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk (0 where no query term occurs)."""
        tokens = tokenize(query)
        if not self.size or not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
