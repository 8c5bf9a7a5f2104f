# Two set-up commands on a fresh machine: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test

.PHONY: demo test lint venv bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/gridflow demo --days 7 --scale 0.05 --json .gridflow/demo-summary.json

lint: $(TSTAMP)
	$(BIN)/ruff check .

# Lint, then PostgreSQL (installing it if absent) and the whole suite; the suite starts Tansu itself.
# pytest exit 5 ("no tests collected") is turned into a failure.
test: $(TSTAMP)
	$(BIN)/ruff check .
	bash scripts/ensure-postgres.sh
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-fonts.sh
	bash scripts/ensure-keytool.sh
	bash scripts/ensure-grafana-schema.sh
	$(BIN)/python -m pytest -q -p no:cacheprovider; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "no tests collected: failing"; exit 1; fi; exit $$rc

bench: $(STAMP)
	$(BIN)/gridflow bench ingest

clean:
	rm -rf $(VENV) .gridflow build *.egg-info
