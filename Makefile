# The two commands the README opens with; both set up .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: run test lint typecheck check bench-postgres

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/manyfutures run

test: $(STAMP)
	$(BIN)/pytest -q

# The import-linter contracts run inside `make test` (tests/unit/test_architecture.py).
lint: $(STAMP)
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

check: test lint typecheck

# PostgreSQL benchmarks (docs/postgres.md); pgqueuer comes from the `bench` extra.
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench-postgres: $(BENCH_STAMP)
	$(BIN)/python bench/queue_claim.py
	$(BIN)/python bench/cost_check.py
