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

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk (0 where no query term occurs)."""
        tokens = tokenize(query)
        if not self.size or not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
