# Muistot: `make run` starts the whole stack, `make test` runs the suite against MariaDB + Redis.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SERVICE ?=

PACKAGES := -e shared -e services/login -e services/users -e services/admin -e services/data

.PHONY: venv run test lint fmt bench migrate clean

$(STAMP): constraints.txt requirements-dev.txt shared/pyproject.toml services/*/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt $(PACKAGES) -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/muistot run $(if $(SERVICE),--service $(SERVICE))

migrate: $(STAMP)
	$(BIN)/muistot migrate

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

fmt: $(STAMP)
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m muistot.bench

.PHONY: openapi
openapi: $(STAMP)
	$(BIN)/muistot openapi

clean:
	rm -rf $(VENV) var .pytest_cache
