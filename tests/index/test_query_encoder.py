"""The NumPy query encoder must give the same vectors as sentence-transformers."""

import numpy as np
import pytest

from assistant.index.query_encoder import NumpySentenceEncoder


@pytest.mark.integration
@pytest.mark.parametrize("text", ["rTMS IL-1β spinal cord", "x",
                                  "Which glial markers does 10 Hz rTMS over M1 reduce in CCI rats? " * 20])
def test_numpy_encoder_matches_sentence_transformers(embedder, text):
    ref = embedder.encode([text])[0]
    vec = NumpySentenceEncoder(embedder.path).encode(text)
    assert vec.shape == ref.shape == (384,)
    assert float(np.dot(vec, ref)) > 0.9999
    assert abs(float(np.linalg.norm(vec)) - 1.0) < 1e-5


def test_encode_query_does_not_load_torch_model(embedder):
    from assistant.index.embedding import Embedder

    fresh = Embedder()
    fresh.encode_query("BDNF in the dorsal horn")
    assert "model" not in fresh.__dict__
