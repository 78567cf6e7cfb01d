"""The build batches texts across documents, longest first: the same vectors as one document (or text) at a time."""

from __future__ import annotations

import numpy as np

from assistant.index.embedding import EmbeddingCache, embed_with_cache

DOCS = [  # invented sentences of three documents, of very different lengths; one sentence is in two documents
    ["Rats with a constricted sciatic nerve received 10 Hz stimulation over the motor cortex for fourteen days.",
     "Spinal IL-1β fell.",
     "Mechanical withdrawal thresholds rose after the second week in every treated animal but not in sham ones."],
    ["Forty patients with pain after stroke were randomised.", "Pain fell by two points.", "No serious harm."],
    ["GFAP staining rose in the dorsal horn within a week of the spared nerve injury.", "Spinal IL-1β fell."],
]


class Recording:
    """The real embedder, recording the texts of every encode call."""

    def __init__(self, real, batch_size: int) -> None:
        self.real, self.batch_size, self.batches = real, batch_size, []

    def encode(self, texts, progress=False):
        self.batches.append(list(texts))
        return self.real.encode(texts)


def test_batched_longest_first_gives_the_per_document_vectors(embedder, tmp_path):
    flat = [s for doc in DOCS for s in doc]
    spy = Recording(embedder, batch_size=3)
    cache = EmbeddingCache(tmp_path / "embed_cache.sqlite", embedder.name)
    vecs, todo = embed_with_cache(spy, cache, flat, progress=False)

    per_document = np.concatenate([embedder.encode(doc) for doc in DOCS])
    one_at_a_time = np.stack([embedder.encode([t])[0] for t in flat])
    assert vecs.shape == (len(flat), 384) and todo == list(range(len(flat)))
    assert np.allclose(vecs, per_document, atol=1e-5)
    assert np.allclose(vecs, one_at_a_time, atol=1e-5)
    # batches mix documents, longest text first; the repeated sentence is encoded once and given to both rows
    lengths = [len(t) for batch in spy.batches for t in batch]
    assert lengths == sorted(lengths, reverse=True) and len(lengths) == len(set(flat))
    assert len(spy.batches) == 3 and all(len(b) <= 3 for b in spy.batches)
    assert np.array_equal(vecs[flat.index("Spinal IL-1β fell.")], vecs[len(flat) - 1])
    # and the cache gives them back without encoding anything
    again, todo = embed_with_cache(spy, cache, flat, progress=False)
    assert todo == [] and len(spy.batches) == 3 and np.allclose(again, vecs)
    cache.close()
