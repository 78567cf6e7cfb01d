"""Every answer backend in one registry: what it needs, how to make it, what to install when it is missing.

In the manner of AnswerDotAI's ``rerankers``: each backend is one :class:`BackendSpec` keyed by its
:class:`~assistant.vocab.Backend` name; its optional dependency is imported only when the backend is made, and a
missing one raises :class:`~assistant.errors.ModelError` with the command that installs it. Interfaces (the
engine, closed-book answers, ``Assistant.warm_up``, the LLM judge) ask the registry, never a name's spelling.

* ``llama-cpp`` — :class:`~assistant.answer.llm.LlamaCppBackend`, an in-process GGUF model (llama-cpp-python).
* ``openai`` — :class:`~assistant.answer.openai_backend.OpenAIBackend`, any OpenAI-compatible server.
* ``extractive`` — no LLM: the engine's extractive composer picks verified passage sentences.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.answer.llm import LLAMA_CPP_MISSING, LLM, LlamaCppBackend
from assistant.errors import ConfigError, ModelError
from assistant.settings import Settings
from assistant.studies.model_pass import MODEL_PASS_CACHE, ModelPass
from assistant.vocab import Backend


@dataclass(frozen=True)
class BackendSpec:
    """One backend: ``build`` makes its LLM (None: it writes without one)."""

    name: Backend
    summary: str
    build: Callable[[Settings], LLM] | None
    module: str | None = None
    """the optional package it imports, checked before building"""
    install: str = ""
    """what to run when ``module`` is missing"""
    falls_back: bool = False
    """a missing model or package may be answered extractively (``RTMS_LLM_FALLBACK``)"""
    ready: Callable[[Settings], bool] | None = None
    """while it is answered extractively: True once what it lacked has come (checked before each question)"""

    @property
    def uses_llm(self) -> bool:
        return self.build is not None

    def available(self) -> bool:
        """Its optional package is importable (nothing is imported)."""
        return self.module is None or importlib.util.find_spec(self.module) is not None

    def require(self) -> None:
        """Raise ModelError saying what to install when the optional package is missing."""
        if not self.available():
            raise ModelError(f"{self.install}, or use --backend {Backend.EXTRACTIVE}.")


def _llama_cpp(settings: Settings) -> LLM:
    from assistant.answer.model_files import answer_model_path

    path = answer_model_path(settings)  # first: a missing model file is named even without the package
    REGISTRY[Backend.LLAMA_CPP].require()
    return LlamaCppBackend(path, settings)


def _llama_cpp_ready(settings: Settings) -> bool:
    """llama-cpp-python imports and the answer model file is in place (``RTMS_LLM_MODEL``, or the default one
    assembled): e.g. `make run` has finished building and installing them in the background. The model file is
    written by a rename, so one that exists is whole; an import half-way through pip's installation fails."""
    from assistant.answer.model_files import ANSWER_MODEL, default_path

    model = Path(settings.llm_model).expanduser() if settings.llm_model else default_path(settings, ANSWER_MODEL)
    if not model.is_file():
        return False
    importlib.invalidate_caches()  # a package installed since this process started is found
    try:
        importlib.import_module("llama_cpp")
    except Exception:  # not installed, or not yet whole
        return False
    return True


def _openai(settings: Settings) -> LLM:
    REGISTRY[Backend.OPENAI].require()
    from assistant.answer.openai_backend import OpenAIBackend

    return OpenAIBackend(settings)


REGISTRY: dict[Backend, BackendSpec] = {
    Backend.LLAMA_CPP: BackendSpec(Backend.LLAMA_CPP, "local GGUF model in this process", _llama_cpp,
                                   module="llama_cpp", install=LLAMA_CPP_MISSING, falls_back=True,
                                   ready=_llama_cpp_ready),
    Backend.OPENAI: BackendSpec(Backend.OPENAI, "OpenAI-compatible server", _openai, module="openai",
                                install="the openai package is not installed: run `pip install 'openai>=1.30,<4'`"),
    Backend.EXTRACTIVE: BackendSpec(Backend.EXTRACTIVE, "no LLM: verified passage sentences", None),
}


def backend_spec(name: str) -> BackendSpec:
    """The registered backend called ``name``; ConfigError listing the names otherwise."""
    try:
        return REGISTRY[Backend(name)]
    except ValueError:
        raise ConfigError(f"unknown backend {name!r}: use one of {', '.join(REGISTRY)}.") from None


def make_llm(name: str, settings: Settings) -> LLM:
    """The LLM of backend ``name``; ModelError/ConfigError naming the fix when it cannot be made."""
    spec = backend_spec(name)
    if spec.build is None:
        raise ConfigError(f"the {name} backend has no LLM: use one of "
                          f"{', '.join(n for n, s in REGISTRY.items() if s.uses_llm)}.")
    return spec.build(settings)


def local_llm(path: Path, settings: Settings) -> LLM:
    """An in-process GGUF model other than the answer model (the LLM judge's); ModelError when llama-cpp-python
    is missing."""
    REGISTRY[Backend.LLAMA_CPP].require()
    return LlamaCppBackend(path, settings)


def study_model_pass(settings: Settings) -> ModelPass:
    """The model's pass over study records (the design the rules left empty) with the local GGUF model, its answers
    cached in the cache folder; ModelError naming the fix when the model or llama-cpp-python is missing."""
    return ModelPass(make_llm(Backend.LLAMA_CPP, settings), settings.cache_dir / MODEL_PASS_CACHE)  # type: ignore[arg-type]
