# The two commands the README opens with; both set up .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: run test lint typecheck check bench-postgres n8n-e2e

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
	$(BIN)/ruff format --check src tests bench integrations
	$(BIN)/ruff check src tests bench integrations

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

# Due projects' episodes generated through a real n8n (README, n8n); not part of `make test`.
# The pinned n8n and its Node.js are installed once into N8N_CACHE (5-10 minutes, ~3 GB).
N8N_CACHE ?= .cache/n8n

n8n-e2e: $(STAMP)
	bash integrations/n8n/e2e/install.sh $(N8N_CACHE)
	$(BIN)/python integrations/n8n/e2e/run.py --cache $(N8N_CACHE) $(N8N_E2E_ARGS)
