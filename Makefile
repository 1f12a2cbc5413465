# Every target creates .venv when missing and installs the project with its test extras.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: build serve lint test contract bench load soak screenshot clean

# setup.py compiles the request path with mypyc (its COMPILED list). The install puts each compiled
# module beside its source, which it shadows, and the compiled code relies on the types of the modules
# it imports: a newer source under piktid_spec/ or mock_server/ reinstalls. A pure-Python install
# (`PIKTID_MOCK_PURE=1 make build`) is remembered in .venv/.pure: later installs stay pure, and an edit
# needs no rebuild, until `PIKTID_MOCK_PURE=0 make build`.
PURE := $(if $(PIKTID_MOCK_PURE),$(filter-out 0,$(PIKTID_MOCK_PURE)),$(wildcard $(VENV)/.pure))
SOURCES := $(if $(PURE),,$(shell find piktid_spec mock_server -name '*.py'))

$(STAMP): pyproject.toml setup.py $(SOURCES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	PIKTID_MOCK_PURE=$(if $(PURE),1,0) $(BIN)/python -m pip install --quiet -e '.[test]'
	$(if $(PURE),touch,rm -f) $(VENV)/.pure
	$(BIN)/python -c "from mock_server._build import build_kind; print('piktid-mock installed:', build_kind())"
	touch $(STAMP)

# Reinstall now (after `PIKTID_MOCK_PURE=1`, or to rebuild the compiled modules by hand).
build:
	rm -f $(STAMP)
	$(MAKE) $(STAMP)

serve: $(STAMP)
	$(BIN)/piktid-mock serve --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q

contract: $(STAMP)
	$(BIN)/python -m pytest -q contract_tests tests/mock_server/test_hostile_input.py --hypothesis-profile=thorough

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# LOAD_ARGS="--store redis --workers 2 --users 20" runs it on a throwaway redis-server with 2 workers.
load: $(STAMP)
	$(BIN)/python -m benchmarks.load $(LOAD_ARGS)

# Two minutes of mixed traffic with a 10 s retention: no 5xx, memory flat once warm, and the
# projection for 24 h at 50 req/s (README, "Reliability"). SOAK_ARGS="--seconds 30" shortens it.
soak: $(STAMP)
	$(BIN)/python -m benchmarks.soak $(SOAK_ARGS)

# docs/dashboard.png (the README's picture) from a seeded run; needs chromium and chromedriver.
screenshot: $(STAMP)
	$(BIN)/python docs/screenshot.py

clean:
	rm -rf $(VENV) build *.egg-info *__mypyc.*.so
	find piktid_spec mock_server -name '*.so' -delete
