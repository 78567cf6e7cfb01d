"""LLM backends behind one small protocol: ``generate(messages, stream=False) -> str | Iterator[str]``.

* ``LlamaCppBackend`` — in-process GGUF via llama-cpp-python. One ``Llama`` per (model path, context, threads)
  lives for the whole process; llama.cpp reuses the KV cache of the longest common token prefix between calls,
  so keeping the system prompt fixed and first means it is evaluated once.
* ``OpenAIBackend`` — any OpenAI-compatible ``/v1/chat/completions`` server (llama.cpp server, vLLM, Ollama,
  OpenAI), with a timeout and one retry.
* The ``extractive`` backend needs no LLM and lives in ``extractive.py``.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from assistant.errors import LLMError, ModelError
from assistant.settings import Settings

log = logging.getLogger(__name__)

Message = dict[str, str]


class LLM(Protocol):
    name: str
    model: str

    def generate(self, messages: list[Message], stream: bool = False,
                 max_tokens: int | None = None) -> str | Iterator[str]: ...


# --- llama.cpp ---------------------------------------------------------------------------------

_LLAMAS: dict[tuple[str, int, int], tuple[Any, threading.Lock]] = {}
_LLAMAS_LOCK = threading.Lock()


def llama_cpp_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("llama_cpp") is not None


def _load_llama(path: Path, n_ctx: int, threads: int) -> tuple[Any, threading.Lock]:
    key = (str(path.resolve()), n_ctx, threads)
    with _LLAMAS_LOCK:
        if key not in _LLAMAS:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise ModelError("llama-cpp-python is not installed: run `make run` (or "
                                 "`pip install 'llama-cpp-python==0.3.36'`), or use --backend extractive.") from exc
            t0 = time.perf_counter()
            try:
                llm = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads,
                            n_batch=512, seed=0, verbose=False)
            except (ValueError, RuntimeError) as exc:
                raise ModelError(f"llama.cpp could not load {path}: {exc}. Check that it is a valid GGUF file "
                                 f"(RTMS_LLM_MODEL) or re-run `python -m assistant.models_setup --force`.") from exc
            log.info("loaded %s in %.1fs", path.name, time.perf_counter() - t0)
            _LLAMAS[key] = (llm, threading.Lock())
        return _LLAMAS[key]


@functools.lru_cache(maxsize=64)
def _grammar(text: str) -> Any:
    from llama_cpp import LlamaGrammar

    try:
        return LlamaGrammar.from_string(text, verbose=False)
    except ValueError as exc:
        raise LLMError(f"llama.cpp rejected the output grammar ({exc}); set RTMS_CONSTRAINED_OUTPUT=false "
                       "and report the problem.") from exc


class LlamaCppBackend:
    name = "llama-cpp"
    supports_grammar = True
    decides_yes_no = True  # generate(..., yes_threshold=...)

    def __init__(self, model_path: Path, settings: Settings) -> None:
        self.path = Path(model_path)
        self.model = self.path.name
        self.settings = settings
        self._llama: Any = None
        self._lock: threading.Lock | None = None
        self.last_yes_logodds: float | None = None

    def _ensure(self) -> tuple[Any, threading.Lock]:
        if self._llama is None:
            self._llama, self._lock = _load_llama(self.path, self.settings.llm_context, self.settings.llm_threads)
        assert self._lock is not None
        return self._llama, self._lock

    def warm(self, messages: list[Message]) -> None:
        """Evaluate a prompt once (one generated token) so its prefix is in the KV cache."""
        self.generate(messages, stream=False, max_tokens=1)

    def generate(self, messages: list[Message], stream: bool = False, max_tokens: int | None = None,
                 grammar: str | None = None, yes_threshold: float | None = None) -> str | Iterator[str]:
        """``grammar``: GBNF text constraining the output (see grammar.py). ``yes_threshold``: the first token is
        "Yes" when the model's log-odds of "Yes" over "No" reaches it, else "No" (a calibrated decision instead
        of the small model's bias towards yes); the log-odds is kept in ``last_yes_logodds``."""
        llama, lock = self._ensure()
        kwargs: dict[str, Any] = {"messages": messages, "max_tokens": max_tokens or self.settings.llm_max_tokens,
                                  "temperature": self.settings.llm_temperature, "seed": 0}
        if grammar:
            kwargs["grammar"] = _grammar(grammar)
        self.last_yes_logodds = None
        if yes_threshold is not None:
            kwargs["logits_processor"] = [self._yes_no_processor(llama, yes_threshold)]
        if not stream:
            with lock:
                out = llama.create_chat_completion(**kwargs)
            return out["choices"][0]["message"].get("content") or ""
        return self._stream(llama, lock, kwargs)

    def _yes_no_processor(self, llama: Any, threshold: float) -> Any:
        """A logits processor that decides the first token between "Yes" and "No" and records the log-odds."""
        import numpy as np

        yes, no = (llama.tokenize(w, add_bos=False)[0] for w in (b"Yes", b"No"))
        state = {"first": True}

        def process(input_ids: Any, scores: Any) -> Any:
            if not state["first"]:
                return scores
            state["first"] = False
            logodds = float(scores[yes] - scores[no])
            self.last_yes_logodds = logodds
            forced = np.full_like(scores, -np.inf)
            keep = yes if logodds >= threshold else no
            forced[keep] = scores[keep]
            return forced

        return process

    @staticmethod
    def _stream(llama: Any, lock: threading.Lock, kwargs: dict[str, Any]) -> Iterator[str]:
        with lock:
            for chunk in llama.create_chat_completion(stream=True, **kwargs):
                delta = chunk["choices"][0].get("delta", {}).get("content")
                if delta:
                    yield delta


# --- OpenAI-compatible server --------------------------------------------------------------------

class OpenAIBackend:
    """Plain HTTP to ``{base_url}/chat/completions``; one retry on connection errors, timeouts, 5xx and
    unreadable responses, then an LLMError that says what to do."""

    name = "openai"

    def __init__(self, settings: Settings, retries: int = 1) -> None:
        self.settings = settings
        self.model = settings.openai_model
        self.url = settings.openai_base_url.rstrip("/") + "/chat/completions"
        self.retries = retries

    def _fail(self, reason: str) -> LLMError:
        return LLMError(f"the OpenAI-compatible server at {self.settings.openai_base_url} failed ({reason}) after "
                        f"{self.retries + 1} attempts. Start the server or set RTMS_OPENAI_BASE_URL to its /v1 URL, "
                        f"raise RTMS_OPENAI_TIMEOUT_S if it is slow, or use --backend llama-cpp / extractive.")

    def _post(self, body: dict[str, Any], stream: bool) -> tuple[Any, str]:
        """One request: (response, '') on success, (None, reason) on a retryable failure."""
        import requests

        headers = {"Authorization": f"Bearer {self.settings.openai_api_key}", "Content-Type": "application/json"}
        timeout = (min(5.0, self.settings.openai_timeout_s), self.settings.openai_timeout_s)
        try:
            r = requests.post(self.url, json=body, headers=headers, timeout=timeout, stream=stream)
        except requests.Timeout:
            return None, f"no answer within {self.settings.openai_timeout_s:g} s"
        except requests.ConnectionError as exc:
            return None, f"cannot connect: {type(exc).__name__}"
        if r.status_code in (401, 403):
            raise LLMError(f"the server at {self.settings.openai_base_url} refused the API key "
                           f"(HTTP {r.status_code}): set RTMS_OPENAI_API_KEY.")
        if r.status_code == 404:
            raise LLMError(f"{self.url} returned 404: check RTMS_OPENAI_BASE_URL (it should end in /v1) and "
                           f"RTMS_OPENAI_MODEL ({self.model!r}).")
        if r.status_code >= 400:
            return None, f"HTTP {r.status_code}"
        return r, ""

    def _body(self, messages: list[Message], stream: bool, max_tokens: int | None) -> dict[str, Any]:
        return {"model": self.model, "messages": messages, "stream": stream,
                "max_tokens": max_tokens or self.settings.llm_max_tokens,
                "temperature": self.settings.llm_temperature}

    def generate(self, messages: list[Message], stream: bool = False,
                 max_tokens: int | None = None) -> str | Iterator[str]:
        if stream:
            return self._stream(messages, max_tokens)
        import requests

        reason = ""
        for attempt in range(self.retries + 1):
            r, reason = self._post(self._body(messages, False, max_tokens), stream=False)
            if r is not None:
                try:
                    return str(r.json()["choices"][0]["message"].get("content") or "")
                except (ValueError, KeyError, IndexError, TypeError, AttributeError,
                        requests.RequestException) as exc:
                    reason = f"unreadable response: {type(exc).__name__}"
            log.warning("OpenAI-compatible request attempt %d failed: %s", attempt + 1, reason)
        raise self._fail(reason)

    def _stream(self, messages: list[Message], max_tokens: int | None) -> Iterator[str]:
        import requests

        reason = ""
        for attempt in range(self.retries + 1):
            r, reason = self._post(self._body(messages, True, max_tokens), stream=True)
            if r is not None:
                got_any = False
                try:
                    for delta in _sse_deltas(r):
                        got_any = True
                        yield delta
                    return
                except requests.RequestException as exc:
                    reason = f"stream broke: {type(exc).__name__}"
                except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
                    reason = f"unreadable stream: {type(exc).__name__}"
                if got_any:  # text already handed out: a retry would duplicate it
                    raise self._fail(reason)
            log.warning("OpenAI-compatible request attempt %d failed: %s", attempt + 1, reason)
        raise self._fail(reason)


def _sse_deltas(r: Any) -> Iterator[str]:
    """Text deltas from a server-sent-events chat stream (also accepts a plain JSON body)."""
    ctype = r.headers.get("Content-Type", "")
    if "text/event-stream" not in ctype:
        data = json.loads(r.content)
        text = data["choices"][0]["message"].get("content") or ""
        if text:
            yield text
        return
    for raw in r.iter_lines(decode_unicode=True):
        if not raw or not raw.startswith("data:"):
            continue
        payload = raw[5:].strip()
        if payload == "[DONE]":
            return
        choice = json.loads(payload)["choices"][0]
        delta = (choice.get("delta") or {}).get("content")
        if delta:
            yield delta


def make_llm(backend: str, settings: Settings) -> LLM:
    """The LLM for ``backend`` ('llama-cpp' or 'openai'); raises ModelError/ConfigError with the fix."""
    if backend == "openai":
        return OpenAIBackend(settings)
    if backend == "llama-cpp":
        from assistant.answer.model_files import answer_model_path

        path = answer_model_path(settings)
        if not llama_cpp_available():
            raise ModelError("llama-cpp-python is not installed: run `make run` (or "
                             "`pip install 'llama-cpp-python==0.3.36'`), or use --backend extractive.")
        return LlamaCppBackend(path, settings)
    from assistant.errors import ConfigError

    raise ConfigError(f"unknown LLM backend {backend!r}: use llama-cpp, openai or extractive.")
