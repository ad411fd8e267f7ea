# The two commands the README opens with; both set up .venv on first use. `make check`
# (CI, through .ci/run) adds ruff, mypy, the database checks and the client types.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench

CLIENT := clients/typescript
CLIENT_STAMP := $(CLIENT)/node_modules/.installed

.PHONY: run test lint typecheck check db-check clients clients-check bench-postgres n8n-e2e screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/manyfutures run

test: $(STAMP)
	$(BIN)/pytest -q

# A PNG of each console page in docs/screenshots/ (tests/browser/screenshots.py): commit
# them. Not part of `make test`, so tests never change the tree. Needs /usr/bin/chromium.
screenshots: $(STAMP)
	$(BIN)/python -m tests.browser.screenshots

# The import-linter contracts run inside `make test` (tests/unit/test_architecture.py).
lint: $(STAMP)
	$(BIN)/ruff format --check src tests bench integrations
	$(BIN)/ruff check src tests bench integrations

typecheck: $(STAMP)
	$(BIN)/mypy

check: test lint typecheck db-check clients-check

# A freshly migrated database passes `manyfutures db lint` and `db status --check`.
db-check: $(STAMP)
	.ci/db-check

# npm packages pinned by $(CLIENT)/package-lock.json, cached in .cache/npm (git-ignored).
$(CLIENT_STAMP): $(CLIENT)/package.json $(CLIENT)/package-lock.json
	$(CLIENT)/install
	touch $(CLIENT_STAMP)

# openapi.json from the code, and the TypeScript types generated from it: commit both.
clients: $(STAMP) $(CLIENT_STAMP)
	$(CLIENT)/generate openapi.json $(CLIENT)/schema.d.ts

# Both files current (CI fails on a stale one) and the typed client example type-checks.
clients-check: $(STAMP) $(CLIENT_STAMP)
	$(CLIENT)/check

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
