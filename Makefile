# Every target creates .venv when missing and installs the project with its test extras.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve lint test contract bench load soak screenshot clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

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
	rm -rf $(VENV) build *.egg-info
