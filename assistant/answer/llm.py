"""LLM backends behind one small protocol: ``generate(messages, stream=False) -> str | Iterator[str]``.

* ``LlamaCppBackend`` — in-process GGUF via llama-cpp-python. One ``Llama`` per (model path, context, threads)
  lives for the whole process; llama.cpp reuses the KV cache of the longest common token prefix between calls,
  so keeping the system prompt fixed and first means it is evaluated once.
* ``OpenAIBackend`` — any OpenAI-compatible ``/v1/chat/completions`` server (llama.cpp server, vLLM, Ollama,
  OpenAI) through the official ``openai`` client; it lives in ``openai_backend.py``.
* The ``extractive`` backend needs no LLM and lives in ``extractive.py``.

``backends.py`` registers them all and makes the one a setting names.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from assistant.answer import grammar_sampler
from assistant.errors import LLMError, ModelError
from assistant.settings import Settings
from assistant.vocab import Backend

log = logging.getLogger(__name__)

Message = dict[str, str]


class LLM(Protocol):
    name: str
    model: str

    def generate(self, messages: list[Message], stream: bool = False,
                 max_tokens: int | None = None) -> str | Iterator[str]: ...


class DecidesYesNo(Protocol):
    """An LLM that can decide a first "Yes"/"No" token by its log-odds (``decides_yes_no = True``)."""

    last_yes_logodds: float | None

    def generate(self, messages: list[Message], stream: bool = False, max_tokens: int | None = None,
                 grammar: str | None = None, yes_threshold: float | None = None,
                 restart: bool = False) -> str | Iterator[str]: ...


# --- llama.cpp ---------------------------------------------------------------------------------

LLAMA_CPP_MISSING = ("llama-cpp-python is not installed: run `make run` (or "
                     "`pip install 'llama-cpp-python==0.3.36'`)")

_LLAMAS: dict[tuple[str, int, int, bool, bool], tuple[Any, threading.Lock, SystemStates]] = {}
_LLAMAS_LOCK = threading.Lock()


def physical_cores() -> int:
    """Physical cores this process may run on: llama.cpp gains nothing from a core's second hyper-thread, and
    loses when it shares a core with other work."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux: logical CPUs are the best guess
        return os.cpu_count() or 1
    cores = set()
    for cpu in cpus:
        topo = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            cores.add((topo.joinpath("physical_package_id").read_text().strip(),
                       topo.joinpath("core_id").read_text().strip()))
        except OSError:
            cores.add(("cpu", str(cpu)))
    return max(1, len(cores))


def llm_threads(settings: Settings) -> int:
    """``RTMS_LLM_THREADS``, or the machine's physical cores when it is 0 (the default)."""
    return settings.llm_threads or physical_cores()


_BACKENDS_LOADED = False


def cpu_backend_folder() -> Path | None:
    """The folder holding llama.cpp's loadable CPU backends (``libggml-cpu-<level>.so``), None for a build with
    the CPU backend linked in."""
    import llama_cpp

    pkg = Path(llama_cpp.__file__).resolve().parent
    for folder in (pkg / "lib", pkg.parent / "bin"):
        if any(folder.glob("libggml-cpu-*.so")):
            return folder
    return None


def cpu_backend_variants() -> dict[str, int]:
    """Each loadable CPU backend's level name and its score on this CPU (0 = this CPU lacks its instructions;
    llama.cpp loads the highest score)."""
    import ctypes

    folder = cpu_backend_folder()
    out: dict[str, int] = {}
    for lib in sorted(folder.glob("libggml-cpu-*.so")) if folder else []:
        score = getattr(ctypes.CDLL(str(lib)), "ggml_backend_score", None)
        if score is not None:
            score.restype = ctypes.c_int
            out[lib.name.removeprefix("libggml-cpu-").removesuffix(".so")] = int(score())
    return out


def _libggml() -> Any:
    """The libggml that libllama is linked to. The wheel holds libggml.so and libggml.so.0 as two copies of one
    file, and llama_cpp._ggml opens the first while libllama links the second: backends registered through the
    first would stay invisible to llama.cpp, so the library is looked up by its soname (already loaded)."""
    import ctypes

    import llama_cpp.llama_cpp  # noqa: F401  (loads libllama and, with it, libggml.so.0)

    try:
        return ctypes.CDLL("libggml.so.0")
    except OSError:  # another platform or soname: the package's own handle
        from llama_cpp._ggml import libggml

        return libggml


def load_ggml_backends(variant: str | None = None) -> None:
    """Register llama.cpp's CPU backend when the build keeps it in loadable modules.

    A build with ``GGML_BACKEND_DL=ON GGML_CPU_ALL_VARIANTS=ON`` (the Makefile's) ships one
    ``libggml-cpu-<level>.so`` per instruction-set level and loads the best one this CPU supports, so one wheel
    runs fast on AVX-512 machines and still runs on older ones. llama.cpp looks for these modules next to the
    Python executable only, so they are registered here from the package's own folder. ``variant`` (e.g.
    ``haswell``, the AVX2 level) forces one level, for benchmarks. A build with the CPU backend linked in
    needs nothing.
    """
    global _BACKENDS_LOADED
    if _BACKENDS_LOADED:
        return
    import ctypes

    libggml = _libggml()
    libggml.ggml_backend_reg_count.restype = ctypes.c_size_t
    if libggml.ggml_backend_reg_count() == 0:
        folder = cpu_backend_folder()
        if folder is not None and variant:
            libggml.ggml_backend_load.argtypes = [ctypes.c_char_p]
            libggml.ggml_backend_load.restype = ctypes.c_void_p
            libggml.ggml_backend_load(str(folder / f"libggml-cpu-{variant}.so").encode())
        elif folder is not None:
            libggml.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
            libggml.ggml_backend_load_all_from_path(str(folder).encode())
        if libggml.ggml_backend_reg_count() == 0:
            raise ModelError("llama-cpp-python has no usable CPU backend (no loadable libggml-cpu-*.so"
                             f"{' for ' + variant if variant else ''}): reinstall it with "
                             "`rm -f .venv/.stamp-llm && make install-llm`.")
    _BACKENDS_LOADED = True


def _load_llama(path: Path, n_ctx: int, threads: int, argmax_first: bool = True,
                flash_attn: bool = False) -> tuple[Any, threading.Lock, SystemStates]:
    key = (str(path.resolve()), n_ctx, threads, argmax_first, flash_attn)
    with _LLAMAS_LOCK:
        if key not in _LLAMAS:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise ModelError(f"{LLAMA_CPP_MISSING}, or use --backend {Backend.EXTRACTIVE}.") from exc
            load_ggml_backends()
            t0 = time.perf_counter()
            try:
                llm = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads,
                            n_batch=512, seed=0, verbose=False, flash_attn=flash_attn)
            except (ValueError, RuntimeError) as exc:
                raise ModelError(f"llama.cpp could not load {path}: {exc}. Check that it is a valid GGUF file "
                                 f"(RTMS_LLM_MODEL) or re-run `python -m assistant.models_setup --force`.") from exc
            log.info("loaded %s in %.1fs (%d threads)", path.name, time.perf_counter() - t0, threads)
            if argmax_first:
                grammar_sampler.install(llm)
            _LLAMAS[key] = (llm, threading.Lock(), SystemStates())
        return _LLAMAS[key]


class SystemStates:
    """The KV state of each system prompt a ``Llama`` has answered under, restored when the system prompt changes.

    llama.cpp reuses only the prefix shared with the *previous* prompt, so an answer that follows the verdict
    probe (another system prompt) evaluated its whole system prompt again: ~1.8 s more to its first token on 2
    cores. Only llama.cpp's own state is kept (the token ids and the KV cache, no logits), one per system prompt,
    for the ``MAX_STATES`` system prompts used last.
    """

    MAX_STATES = 8

    def __init__(self) -> None:
        self.states: dict[str, tuple[Any, int, bytes]] = {}
        self.last: str | None = None
        self.restored = 0

    def before(self, llama: Any, system: str | None, restart: bool = False) -> None:
        """Restore ``system``'s state when another system prompt came last, or always (``restart``)."""
        if system is not None and (system != self.last or restart) and system in self.states:
            ids, n, data = self.states[system]
            import ctypes

            import llama_cpp

            buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
            if llama_cpp.llama_state_set_data(llama._ctx.ctx, buf, len(data)) == len(data):
                llama.input_ids[:n] = ids
                llama.n_tokens = n
                llama._requires_eval = True  # the restored state has no logits: decode before sampling
                self.restored += 1
            else:  # a state that does not fit: evaluate the prompt as before
                llama.reset()
        self.last = system

    def after(self, llama: Any, system: str | None) -> None:
        if system is None or not llama.n_tokens:
            return
        if system in self.states:
            self.states[system] = self.states.pop(system)  # most recently used last
            return
        while len(self.states) >= self.MAX_STATES:  # the least recently used state goes
            self.states.pop(next(iter(self.states)))
        import ctypes

        import llama_cpp

        size = int(llama_cpp.llama_state_get_size(llama._ctx.ctx))
        buf = (ctypes.c_uint8 * size)()
        n = int(llama_cpp.llama_state_get_data(llama._ctx.ctx, buf, size))
        self.states[system] = (llama.input_ids[:llama.n_tokens].copy(), int(llama.n_tokens), bytes(buf)[:n])


def _system(messages: list[Message]) -> str | None:
    return messages[0]["content"] if messages and messages[0].get("role") == "system" else None


@functools.lru_cache(maxsize=64)
def _grammar(text: str) -> Any:
    from llama_cpp.llama_grammar import LlamaGrammar

    try:
        return LlamaGrammar.from_string(text, verbose=False)
    except ValueError as exc:
        raise LLMError(f"llama.cpp rejected the output grammar ({exc}); set RTMS_CONSTRAINED_OUTPUT=false "
                       "and report the problem.") from exc


class LlamaCppBackend:
    name: str = Backend.LLAMA_CPP
    supports_grammar = True
    decides_yes_no = True  # generate(..., yes_threshold=...)

    def __init__(self, model_path: Path, settings: Settings) -> None:
        self.path = Path(model_path)
        self.model = self.path.name
        self.settings = settings
        self._llama: Any = None
        self._lock: threading.Lock | None = None
        self.states: SystemStates | None = None
        self.last_yes_logodds: float | None = None

    def _ensure(self) -> tuple[Any, threading.Lock]:
        if self._llama is None:
            self._llama, self._lock, states = _load_llama(self.path, self.settings.llm_context,
                                                          llm_threads(self.settings),
                                                          self.settings.llm_grammar_argmax_first,
                                                          self.settings.llm_flash_attn)
            self.states = states if self.settings.llm_keep_system_states else None
        assert self._lock is not None
        return self._llama, self._lock

    def warm(self, messages: list[Message]) -> None:
        """Evaluate a prompt once (one generated token) so its prefix is in the KV cache."""
        self.generate(messages, stream=False, max_tokens=1)

    def generate(self, messages: list[Message], stream: bool = False, max_tokens: int | None = None,
                 grammar: str | None = None, yes_threshold: float | None = None,
                 restart: bool = False) -> str | Iterator[str]:
        """``grammar``: GBNF text constraining the output (see grammar.py). ``yes_threshold``: the first token is
        "Yes" when the model's log-odds of "Yes" over "No" reaches it, else "No" (a calibrated decision instead
        of the small model's bias towards yes); the log-odds is kept in ``last_yes_logodds``. ``restart``:
        evaluate the prompt from its system prompt's kept state, not from whatever prefix the last prompt left
        in the cache: the log-odds then do not depend on the question asked before (batches split differently
        move them by up to ~0.2)."""
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
                self._before(llama, messages, restart)
                out = llama.create_chat_completion(**kwargs)
                self._after(llama, messages)
            return out["choices"][0]["message"].get("content") or ""
        return self._stream(llama, lock, kwargs)

    def _before(self, llama: Any, messages: list[Message], restart: bool = False) -> None:
        if self.states is not None:
            self.states.before(llama, _system(messages), restart)
        elif restart:
            llama.reset()

    def _after(self, llama: Any, messages: list[Message]) -> None:
        if self.states is not None:
            self.states.after(llama, _system(messages))

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

    def _stream(self, llama: Any, lock: threading.Lock, kwargs: dict[str, Any]) -> Iterator[str]:
        with lock:
            self._before(llama, kwargs["messages"])
            for chunk in llama.create_chat_completion(stream=True, **kwargs):
                delta = chunk["choices"][0].get("delta", {}).get("content")
                if delta:
                    yield delta
            self._after(llama, kwargs["messages"])
