"""A NumPy forward pass of the BERT-style sentence encoder, for queries.

Importing sentence-transformers costs ~10 s on these machines; a query is a few dozen word pieces, so a
plain NumPy pass over the same safetensors weights (mean pooling, L2 normalisation, as the model's
sentence-transformers config says) gives the same vector in milliseconds and keeps the CLI and web UI
fast to start. Index building still uses sentence-transformers (batched, the reference implementation);
a test checks both give the same vectors.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy.special import erf
from threadpoolctl import threadpool_limits


class NumpySentenceEncoder:
    def __init__(self, model_dir: Path, max_tokens: int = 256) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        cfg = json.loads((model_dir / "config.json").read_text())
        if cfg.get("model_type") != "bert":
            raise ValueError(f"{model_dir}: only BERT-style encoders are supported by the NumPy query encoder")
        pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
        if not pooling.get("pooling_mode_mean_tokens"):
            raise ValueError(f"{model_dir}: the NumPy query encoder implements mean pooling only")
        self.heads = int(cfg["num_attention_heads"])
        self.layers = int(cfg["num_hidden_layers"])
        self.eps = float(cfg.get("layer_norm_eps", 1e-12))
        self.w: dict[str, np.ndarray] = load_file(str(model_dir / "model.safetensors"))
        self.tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tok.no_padding()
        self.tok.enable_truncation(max_tokens)

    def _ln(self, x: np.ndarray, name: str) -> np.ndarray:
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        out: np.ndarray = (x - mu) / np.sqrt(var + self.eps) * self.w[f"{name}.weight"] + self.w[f"{name}.bias"]
        return out

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        out: np.ndarray = x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]
        return out

    def encode(self, text: str) -> np.ndarray:
        # A handful of tokens: BLAS threads only add overhead (45 ms with one thread vs 300+ ms with two
        # on a busy 2-core machine).
        with threadpool_limits(1):
            return self._encode(text)

    def _encode(self, text: str) -> np.ndarray:
        ids = np.array(self.tok.encode(text).ids)
        w = self.w
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][: len(ids)]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._ln(x, "embeddings.LayerNorm")
        n, d = x.shape
        hd = d // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}"
            q = self._dense(x, f"{p}.attention.self.query").reshape(n, self.heads, hd).transpose(1, 0, 2)
            k = self._dense(x, f"{p}.attention.self.key").reshape(n, self.heads, hd).transpose(1, 0, 2)
            v = self._dense(x, f"{p}.attention.self.value").reshape(n, self.heads, hd).transpose(1, 0, 2)
            att = q @ k.transpose(0, 2, 1) / np.sqrt(hd)
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(1, 0, 2).reshape(n, d)
            x = self._ln(x + self._dense(ctx, f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm")
            h = self._dense(x, f"{p}.intermediate.dense")
            h = 0.5 * h * (1.0 + erf(h / np.sqrt(2.0)))
            x = self._ln(x + self._dense(h, f"{p}.output.dense"), f"{p}.output.LayerNorm")
        vec = x.mean(0)
        return np.asarray(vec / np.linalg.norm(vec), dtype=np.float32)
