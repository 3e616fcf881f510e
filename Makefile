# 法治政府建设 analysis — `make help` lists the targets.
SHELL := /bin/bash
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
JOBS ?= $(shell nproc)

.PHONY: help setup run build reports test lint bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-7s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml requirements.lock
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev,explore]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

setup: $(BIN)/.installed  ## create .venv and install every pinned dependency (fonts included)

run: setup  ## the main job: build data/processed from data/raw, run every notebook, write reports/
	$(BIN)/python -m analysis build
	$(BIN)/python -m analysis run --jobs $(JOBS)

build: setup  ## only build data/processed from data/raw
	$(BIN)/python -m analysis build

test: setup  ## run the whole test suite
	$(BIN)/python -m pytest -n $(JOBS) -q

lint: setup  ## ruff check
	$(BIN)/ruff check src tests bench

bench: setup  ## run the benchmarks under bench/ (prints figures and ratios)
	$(BIN)/python bench/run_all.py

clean:  ## remove generated outputs (never data/raw)
	rm -rf data/processed/* reports/
