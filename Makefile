# mmwidgets — every target sets itself up; a fresh Debian machine needs only `make demo` or `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .make-stamps
# Debian packages the tests and the demo need: a browser for UI tests, the sample data,
# cairo for rendering the sample set's SVG-only stamps, and PostgreSQL (the tests start a
# throwaway server of their own with initdb + pg_ctl; nothing is started by the package here).
APT_PACKAGES := chromium tuxpaint-stamps-default libcairo2 postgresql
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
JS_SOURCES := $(shell find js -name '*.js' 2>/dev/null)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup demo test lint bench js js-test clean

setup: $(STAMPS)/apt $(STAMPS)/venv js

$(STAMPS)/apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done; \
	  command -v npm >/dev/null || echo nodejs npm); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@mkdir -p $(STAMPS) && touch $@

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# `make setup CPU_TORCH=1` installs PyTorch's CPU-only build (about 3 GB less: no CUDA
# libraries) from PyTorch's own index; the default takes torch from PyPI, CUDA included
TORCH_INDEX := $(if $(CPU_TORCH),--index-url https://download.pytorch.org/whl/cpu --extra-index-url https://pypi.org/simple)

# reinstall only when the package metadata or the pins change
$(STAMPS)/venv: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install -q $(TORCH_INDEX) -c constraints.txt -e '.[dev]'
	@mkdir -p $(STAMPS) && touch $@

node_modules/.package-lock.json: package.json package-lock.json | $(STAMPS)/apt
	npm ci --no-audit --no-fund --loglevel=error

js: mmwidgets/static/.built

mmwidgets/static/.built: node_modules/.package-lock.json js/build.mjs $(JS_SOURCES)
	node js/build.mjs
	@touch $@

# JupyterLab refuses to run as root without --allow-root (as on CI machines and containers)
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

# The page opens on the quickstart notebook, not the Launcher (tests/ui/test_demo.py runs this
# line). The notebooks run from demo/ (gitignored), a copy made once, so that what they write
# (labels, exports, their own outputs) never dirties the checkout.
demo: setup
	@mkdir -p demo && cp -n notebooks/*.ipynb demo/
	$(BIN)/jupyter lab --ip=127.0.0.1 --no-browser $(ALLOW_ROOT) \
	  --LabApp.default_url=/lab/tree/demo/quickstart.ipynb

lint: setup
	$(BIN)/ruff check mmwidgets tests benchmarks scripts conftest.py
	$(BIN)/ruff format --check mmwidgets tests benchmarks scripts conftest.py
	$(BIN)/mypy
	$(BIN)/python scripts/check_private.py

# the front end's own unit tests (queue, codecs, map geometry): Node's built-in runner, no npm deps
js-test: $(STAMPS)/apt
	node --test js/test/

test: setup lint js-test
	$(BIN)/pytest

bench: setup
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) node_modules mmwidgets/static $(STAMPS) .pytest_cache .mypy_cache .ruff_cache
