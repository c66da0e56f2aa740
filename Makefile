# Two commands matter: `make demo` (the whole pipeline on generated data) and `make test`.
# Both build or refresh .venv from requirements.lock with nothing but Python 3.11 and make.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
INSTALLED := $(VENV)/.installed

.PHONY: demo test lint fix bench bench-delta lock docs clean

# --compile-bytecode writes the .pyc files once, at install: where PYTHONDONTWRITEBYTECODE is
# set (as on this project's machines) every process would otherwise compile Airflow, dbt and
# Great Expectations again on import (several seconds of CPU per process).
$(INSTALLED): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/uv pip install --quiet --compile-bytecode -r requirements.lock
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/uv pip install --quiet --no-deps -e .
	@touch $@

demo: $(INSTALLED)
	$(BIN)/msix demo

test: $(INSTALLED) lint
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd dbt_project && ../$(BIN)/sqlfluff lint models snapshots tests

fix: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	cd dbt_project && ../$(BIN)/sqlfluff fix models snapshots tests

bench: $(INSTALLED)
	$(BIN)/python -m benchmarks.run_all

# the weekly delta through the DAGs, repeatable on a kept national-scale state (benchmarks/bench_delta.py)
bench-delta: $(INSTALLED)
	$(BIN)/python -m benchmarks.bench_delta --reuse

docs: $(INSTALLED)
	$(BIN)/msix docs

# Re-resolve pins after editing pyproject.toml dependencies.
lock: $(INSTALLED)
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .airflow warehouse data dbt_project/target dbt_project/logs
