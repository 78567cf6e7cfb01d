"""An int8 ONNX Runtime copy of the BERT-style sentence encoder, for faster index builds and queries on CPUs.

The embedder ``all-MiniLM-L6-v2@onnx-int8`` (``RTMS_PRESET=int8-index``; the float32 one is the default). The
suffix is part of the embedder's name, so the index's settings hash, its manifest and the embedding cache keys all
differ from the float32 encoder's: vectors of the two are never mixed in one index. The ONNX file is made once, at
the first index build, from the same local weights (torch export, then int8 weights per output channel with
dynamically quantised activations) and kept under ``RTMS_HOME/embedders``; it gives cosine 0.99 to the float32
vectors (benchmarks/index_bench.py --embedders measures speed and retrieval recall).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path

import numpy as np

from assistant import atomicio
from assistant.errors import ModelError

log = logging.getLogger(__name__)

BACKEND = "onnx-int8"
_MISSING = (f"the {BACKEND} embedder needs onnxruntime and onnx: run `.venv/bin/pip install -e '.[onnx]'`, or build "
            "and search with the float32 embedder, the default (unset RTMS_PRESET=int8-index, or "
            "RTMS_EMBEDDER=all-MiniLM-L6-v2)")
_INPUTS = ["input_ids", "attention_mask", "token_type_ids"]


def split_name(name: str) -> tuple[str, str]:
    """``'model@onnx-int8'`` -> ``('model', 'onnx-int8')``; a plain name -> ``(name, 'torch')``."""
    base, sep, backend = name.rpartition("@")
    if not sep:
        return name, "torch"
    if backend != BACKEND:
        raise ModelError(f"unknown embedder backend '@{backend}' in '{name}': use '{base}' (float32) or "
                         f"'{base}@{BACKEND}'")
    return base, backend


def _weights_digest(model_dir: Path) -> str:
    h = hashlib.sha256()
    for name in ("model.safetensors", "pytorch_model.bin", "config.json"):
        f = model_dir / name
        if f.exists():
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def export_int8(model_dir: Path, out: Path) -> Path:
    """Export the encoder's transformer to ONNX and quantise it to int8; written to a temp file, then renamed."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the local weights only: no model hub is ever asked
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelError(_MISSING) from exc

    class _Transformer(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    out.parent.mkdir(parents=True, exist_ok=True)
    bert = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)[0].auto_model
    assert isinstance(bert, torch.nn.Module)  # typed Tensor | Module by torch's __getattr__
    module = _Transformer(bert.eval())
    ids = torch.ones((2, 16), dtype=torch.long)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        fp32 = Path(tmp) / "model.onnx"
        # the exporter's tracer warnings and the quantiser's advice are about this fixed, tested graph: not shown
        with torch.no_grad(), warnings.catch_warnings(), _quiet_logging():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, (ids, ids, torch.zeros_like(ids)), str(fp32), input_names=_INPUTS,
                              output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                              dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*_INPUTS, "last_hidden_state"]})
        with atomicio.atomic_path(out, keep_suffix=True) as int8, _quiet_logging():
            quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    return out


class OnnxSentenceEncoder:
    """Mean-pooled, L2-normalised sentence vectors from the int8 ONNX model (same tokenizer and pooling)."""

    def __init__(self, model_dir: Path, cache_dir: Path, workers: int | None = None) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise ModelError(_MISSING) from exc
        from tokenizers import Tokenizer

        cfg = json.loads((model_dir / "config.json").read_text())
        if cfg.get("model_type") != "bert":
            raise ModelError(f"{model_dir}: the {BACKEND} embedder supports BERT-style encoders only")
        st_cfg = model_dir / "sentence_bert_config.json"
        max_tokens = int(json.loads(st_cfg.read_text()).get("max_seq_length", 256)) if st_cfg.exists() else 256
        path = cache_dir / f"{model_dir.name}-{_weights_digest(model_dir)}-int8.onnx"
        if not path.exists():
            _say(f"making the int8 ONNX Runtime copy of the embedder from its local weights ({model_dir}), once "
                 f"(a minute or two): {path}")
            t0 = time.perf_counter()
            export_int8(model_dir, path)
            _say(f"int8 copy of the embedder made in {time.perf_counter() - t0:.0f} s")
        self.workers = max(1, workers if workers is not None else cpu_count())
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # one thread per run and one run per core at a time: a run of one short text parallelises poorly inside
        # (~2x the texts/s of two intra-op threads on 2 cores); with one worker, ONNX Runtime's own default
        opts.intra_op_num_threads = 1 if self.workers > 1 else 0
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.dim = int(cfg["hidden_size"])
        self.tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tok.enable_truncation(max_tokens)
        self.tok.no_padding()

    @cached_property
    def _pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(self.workers, thread_name_prefix="onnx-encoder")

    def _vector(self, ids: list[int]) -> np.ndarray:
        arr = np.array([ids], dtype=np.int64)
        hidden = self.session.run(None, {"input_ids": arr, "attention_mask": np.ones_like(arr),
                                         "token_type_ids": np.zeros_like(arr)})[0][0]
        vec = hidden.mean(0)
        return np.asarray(vec / np.linalg.norm(vec), dtype=np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One text per run: int8 activations are scaled per run, so a batch would make a text's vector depend
        on its batch companions (and padding); alone, it is the same in every build and as a query. The runs of
        several texts go to ``workers`` threads at once (ONNX Runtime releases the GIL), which changes no vector."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = [e.ids for e in self.tok.encode_batch(list(texts))]
        vecs = map(self._vector, ids) if len(ids) == 1 or self.workers == 1 else self._pool.map(self._vector, ids)
        for i, vec in enumerate(vecs):
            out[i] = vec
        return out


@contextlib.contextmanager
def _quiet_logging() -> Iterator[None]:
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def _say(message: str) -> None:
    """A one-off step the user waits for (the int8 copy): on stderr, whatever the log level."""
    log.info(message)
    print(message, file=sys.stderr, flush=True)


def cpu_count() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
