# wasmkit: `make demo` and `make test` set everything up in .venv and run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

PYWASM_VENV := .venv-pywasm

.PHONY: demo test browser bench corpus corpus-test smith clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "wasmkit needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/wasmkit run --env USER examples/hello.wasm World
	$(BIN)/wasmkit run --invoke fib examples/fib.wat 25
	$(BIN)/wasmkit objdump examples/fib.wasm

# Headless Chromium and its driver for the browser tests (tests/browser.py), from Debian's
# packages, installed only when missing; without apt-get the browser tests skip (fail in CI).
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		if command -v apt-get >/dev/null; then \
			$(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; \
		else echo "no apt-get: install Chromium and chromedriver for the browser tests"; fi; \
	fi

# In CI (CI=true) the real-module corpus is fetched first, so that its tests run rather than skip.
# Bytecode is written first for every module the tests' subprocesses import: where
# PYTHONDONTWRITEBYTECODE is set (as where this project's CI runs), each `python -m wasmkit`
# process of the suite would otherwise compile wasmkit's sources again (about 0.5 s each).
# The suite runs on two processes (pytest-xdist; TEST_WORKERS=1 for one): most of its time is
# one core's Python, and a test waits for the slowest of its kind otherwise (1,283 s on one
# process, 650 s on two, on a two-core machine). Each idle worker takes the next test
# (`worksteal`), so that the half-minute tests do not end up queued behind one another.
TEST_WORKERS ?= 2
test: $(STAMP) browser
	if [ "$$CI" = true ]; then $(BIN)/python -m corpus.fetch; fi
	$(BIN)/python -m compileall -q src tests bench corpus >/dev/null
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

# The real-module corpus (corpus/manifest.toml), into ~/.cache/wasmkit/corpus or $$WASMKIT_CORPUS_DIR.
corpus: $(STAMP)
	$(BIN)/python -m corpus.fetch

# Every corpus module on both engines (slow: hours cold, mostly the native engine; `make test`
# checks a few).
corpus-test: corpus
	WASMKIT_CORPUS=full $(BIN)/python -m pytest tests/corpus

# The wasm-smith campaign against wasmtime (COUNT modules from SEED).
COUNT ?= 10000
SEED ?= 1
smith: $(STAMP)
	$(BIN)/python -m bench.smith --count $(COUNT) --seed $(SEED)

# pywasm, the pure-Python peer, wants Python 3.12 (under pyenv here: PYENV_VERSION=3.12.1).
$(PYWASM_VENV)/.installed:
	PYENV_VERSION=3.12.1 python3.12 -m venv $(PYWASM_VENV)
	$(PYWASM_VENV)/bin/python -m pip install --quiet pywasm
	touch $@

# Each appends its tables to bench/RESULTS.md, with their charts in bench/plots/; the last step
# draws the charts of tables added by hand since.
bench: $(STAMP) $(PYWASM_VENV)/.installed
	$(BIN)/python -m bench --output bench/RESULTS.md
	$(BIN)/python -m bench.startup --output bench/RESULTS.md
	$(BIN)/python -m bench.edge --output bench/RESULTS.md
	$(BIN)/python -m bench.charts bench/RESULTS.md

clean:
	rm -rf $(VENV) $(PYWASM_VENV) .pytest_cache .hypothesis build src/*.egg-info
