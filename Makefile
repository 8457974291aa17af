# The one entry point for humans and CI. Every target creates .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,parquet]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/erpsim demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/generate.py
	$(BIN)/python bench/world.py
	$(BIN)/python bench/adoption.py
	$(BIN)/python bench/erp_server.py
	$(BIN)/python bench/bc_fidelity.py
	$(BIN)/python bench/sap_fidelity.py
	$(BIN)/python bench/store_sync.py
	$(BIN)/python bench/store.py
	$(BIN)/python bench/loadgen.py

clean:
	rm -rf $(VENV) data reports .pytest_cache
