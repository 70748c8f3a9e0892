# The two commands of the README: `make run` and `make test`. Both create the virtual
# environment and install everything on first use; only Python 3.11+ must be present.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin

export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
export UV_NATIVE_TLS := 1
# numba's JIT cache (librosa) in the work tree rather than inside site-packages, which a
# re-sync may rewrite under a running process.
export NUMBA_CACHE_DIR := $(CURDIR)/.cache/numba

.PHONY: install run test lint typecheck unit contracts-docs docs benchmarks benchmarks-audio clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml packages/*/pyproject.toml reference-services/pyproject.toml
	$(UV) sync --frozen --all-packages
	touch $@

install: $(VENV)/.synced

uv.lock: pyproject.toml packages/*/pyproject.toml reference-services/pyproject.toml | $(UV)
	$(UV) lock

# The whole system on the embedded defaults; LIBRARY=/path/to/music to use your own.
run: install
	$(BIN)/tracktion up $(LIBRARY)

# Regenerate the generated reference pages, then build the site strictly into site/.
docs: install
	$(BIN)/python -m scripts.generate_contract_docs
	$(BIN)/python -m scripts.generate_reference_docs
	$(BIN)/mkdocs build --strict

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

unit: install
	scripts/ensure-services
	scripts/ensure-system-packages
	$(BIN)/pytest -n auto --dist loadgroup

test: lint typecheck unit

contracts-docs: install
	$(BIN)/python -m scripts.generate_contract_docs

benchmarks: install
	scripts/ensure-services
	$(BIN)/python benchmarks/contracts_validation.py
	$(BIN)/python benchmarks/bus_throughput.py
	$(BIN)/python benchmarks/catalog_upsert.py
	$(BIN)/python benchmarks/cache_ops.py
	$(BIN)/python benchmarks/hashing.py

benchmarks-audio: install
	benchmarks/audio/run.sh

clean:
	rm -rf $(VENV) $(TOOLS) .mypy_cache .pytest_cache .ruff_cache
