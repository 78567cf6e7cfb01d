"""``python -m assistant.answer.llama_server ARGS``: llama-cpp-python's OpenAI-compatible server
(``python -m llama_cpp.server ARGS``) with llama.cpp's CPU backend registered first.

The Makefile's build keeps the CPU backend in one loadable module per instruction-set level, which llama.cpp on its
own looks for only next to the Python executable; ``load_ggml_backends`` registers the best one from the package.
"""

from __future__ import annotations

import runpy

from assistant.answer.llm import load_ggml_backends

if __name__ == "__main__":
    load_ggml_backends()
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
