# 法治政府建设 analysis — `make help` lists the targets.
SHELL := /bin/bash
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
JOBS ?= $(shell nproc)
# SAMPLE=0 leaves the fictional 示例市 sample out: real data only (make run SAMPLE=0).
SAMPLE ?= 1
# parallel notebook runs for run/reports (RUN_JOBS=N); empty: the runner's default, one more than the cores
RUN_JOBS ?=
RUN_FLAGS := $(if $(RUN_JOBS),--jobs $(RUN_JOBS),)
BUILD_FLAGS := $(if $(filter 0,$(SAMPLE)),--no-sample,)

.PHONY: help setup browser run build reports test lint bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-7s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml requirements.lock
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev,explore]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

setup: $(BIN)/.installed  ## create .venv and install every pinned dependency (fonts included)

run: setup  ## the main job: build data/processed from data/raw, run every notebook, write reports/ (SAMPLE=0: real data only)
	$(BIN)/python -m analysis build $(BUILD_FLAGS)
	$(BIN)/python -m analysis run $(RUN_FLAGS)

build: setup  ## only build data/processed from data/raw (SAMPLE=0: real data only)
	$(BIN)/python -m analysis build $(BUILD_FLAGS)

reports: setup  ## only run every notebook on the current data/processed → reports/ (no rebuild; unchanged runs are skipped)
	$(BIN)/python -m analysis run $(RUN_FLAGS)

# The browser test drives Debian's chromium; the pages' Chinese text needs a CJK font (Noto CJK) in the browser too.
browser:  ## install Debian's chromium + Noto CJK fonts for the browser test (as root, when missing)
	@if [ -x /usr/bin/chromium ] && fc-list :lang=zh family 2>/dev/null | grep -q .; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	else echo "browser test: /usr/bin/chromium or a CJK font is missing; as root run: apt-get install -y chromium fonts-noto-cjk"; fi

test: setup browser  ## run the whole test suite (the browser test uses /usr/bin/chromium)
	$(BIN)/python -m pytest -n $(JOBS) -q

# The hooks in .pre-commit-config.yaml call the venv's pinned tools by name, hence the venv first on PATH.
lint: setup  ## pre-commit on every file: ruff check, ruff format, nbstripout (pinned tools, offline)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/pre-commit run --all-files --show-diff-on-failure

bench: setup  ## run the benchmarks under bench/ (prints figures and ratios)
	$(BIN)/python bench/run_all.py

clean:  ## remove generated outputs (never data/raw)
	rm -rf data/processed/* reports/
