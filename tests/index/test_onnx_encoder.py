"""The int8 ONNX embedder: same space as the float32 MiniLM, its own name (so its vectors never mix with them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.errors import ModelError
from assistant.index.embedding import Embedder
from assistant.index.onnx_encoder import split_name
from assistant.settings import Settings

pytest.importorskip("onnxruntime")

TEXTS = [
    "High-frequency rTMS over the motor cortex lowered spinal IL-1beta and TNF-alpha in rats after nerve injury.",
    "Microglial Iba1 staining in the dorsal horn fell after ten sessions of stimulation.",
    "The sham group showed no change in mechanical withdrawal thresholds.",
    "Astrocytes",
]


def test_split_name() -> None:
    assert split_name("all-MiniLM-L6-v2") == ("all-MiniLM-L6-v2", "torch")
    assert split_name("all-MiniLM-L6-v2@onnx-int8") == ("all-MiniLM-L6-v2", "onnx-int8")
    with pytest.raises(ModelError, match="onnx-int8"):
        split_name("all-MiniLM-L6-v2@fp8")


def test_int8_vectors_match_float32() -> None:
    fp32 = Embedder("all-MiniLM-L6-v2").encode(TEXTS)
    int8 = Embedder("all-MiniLM-L6-v2@onnx-int8", batch_size=2)
    vecs = int8.encode(TEXTS)
    assert vecs.shape == fp32.shape == (4, 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    cos = (vecs * fp32).sum(1)
    assert cos.min() > 0.95, cos
    # ranking is kept: each text is nearest to its own float32 vector
    assert (np.argmax(vecs @ fp32.T, axis=1) == np.arange(4)).all()
    # a text gets the same vector alone as among others (and as a query)
    assert np.allclose(int8.encode_query(TEXTS[0]), vecs[0], atol=1e-5)
    assert int8.dim == 384 and int8.encode([]).shape == (0, 384)


def test_backend_changes_the_index_hash() -> None:
    fp32, int8 = Settings(embedder="all-MiniLM-L6-v2"), Settings(embedder="all-MiniLM-L6-v2@onnx-int8")
    assert fp32.index_hash() != int8.index_hash()


def test_texts_run_on_several_threads_give_the_same_vectors() -> None:
    from assistant.index.onnx_encoder import OnnxSentenceEncoder

    path = Embedder("all-MiniLM-L6-v2@onnx-int8").path
    one = OnnxSentenceEncoder(path, Settings().home / "embedders", workers=1)
    two = OnnxSentenceEncoder(path, Settings().home / "embedders", workers=2)
    assert two.workers == 2 and np.array_equal(one.encode(TEXTS), two.encode(TEXTS))
    assert np.array_equal(two.encode(TEXTS[:1]), one.encode(TEXTS)[:1])


def test_the_int8_copy_is_announced_and_made_from_the_local_weights(tmp_path, monkeypatch, capsys) -> None:
    from assistant.index import onnx_encoder

    made = []

    def export(model_dir, out):  # the real export takes a minute: its offline load is what is checked here
        made.append((model_dir, out))
        raise ModelError("stop here")

    monkeypatch.setattr(onnx_encoder, "export_int8", export)
    path = Embedder("all-MiniLM-L6-v2@onnx-int8").path
    with pytest.raises(ModelError, match="stop here"):
        onnx_encoder.OnnxSentenceEncoder(path, tmp_path / "embedders")
    assert made and made[0][0] == path and made[0][1].parent == tmp_path / "embedders"
    assert "making the int8 ONNX Runtime copy of" in capsys.readouterr().err


def test_a_missing_onnxruntime_is_one_clear_error(monkeypatch) -> None:
    import sys

    from assistant.index.onnx_encoder import OnnxSentenceEncoder, export_int8

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as when it is not installed
    monkeypatch.setitem(sys.modules, "onnxruntime.quantization", None)
    path = Embedder("all-MiniLM-L6-v2@onnx-int8").path
    with pytest.raises(ModelError, match="needs onnxruntime"):
        OnnxSentenceEncoder(path, Settings().home / "embedders")
    with pytest.raises(ModelError, match="needs onnxruntime"):
        export_int8(path, Path("/nonexistent/x.onnx"))
