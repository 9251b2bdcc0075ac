# Credit & collections workbench: set-up, main job and tests.
#   make demo   -> .venv + demo company (ledger, journal) + weekly report (HTML + PDF), worklist, sales digests
#   make test   -> .venv + the whole test suite
#   make bench  -> the benchmark against DuckDB and pandas (1M and 10M documents; slow)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
AS_OF  ?= 2026-11-20

.PHONY: setup system-demo system-test demo test bench clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

# Debian packages used from outside Python (installed only when missing, and only as root):
# HarfBuzz's font subsetter for fast PDFs; PostgreSQL for the journal tests; poppler's pdftotext for the PDF text checks.
system-demo:
	bash tools/ensure_system_packages.sh harfbuzz

system-test:
	bash tools/ensure_system_packages.sh harfbuzz postgresql poppler

demo: setup system-demo
	$(BIN)/workbench demo --out demo/ledger --as-of $(AS_OF)
	$(BIN)/workbench report weekly --ledger demo/ledger --as-of $(AS_OF) --out reports/$(AS_OF)
	$(BIN)/workbench worklist --ledger demo/ledger --as-of $(AS_OF) --format xlsx --out reports/$(AS_OF)/worklist_$(AS_OF).xlsx --force
	$(BIN)/workbench report sales-digest --ledger demo/ledger --as-of $(AS_OF) --out reports/$(AS_OF)/sales_digests

test: setup system-test
	$(BIN)/python -m pytest -n 2 --dist loadfile --nbval-lax notebooks tests

bench: setup
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) demo reports .pytest_cache .hypothesis
