# Muistot: `make run` starts the whole stack, `make test` runs the suite against MariaDB + Redis.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SERVICE ?=

PACKAGES := -e shared -e tooling -e services/login -e services/users -e services/admin -e services/data

.PHONY: venv run test lint fmt bench resilience migrate clean

PIP := $(BIN)/pip --disable-pip-version-check
INSTALL_ARGS := -c constraints.txt $(PACKAGES) -r requirements-dev.txt

# The venv is installed by uv (pinned in constraints.txt, itself installed from PyPI by the venv's pip):
# on a fresh clone it takes about a third of pip's time. If uv cannot be had or fails, pip does the install.
$(STAMP): constraints.txt requirements-dev.txt shared/pyproject.toml tooling/pyproject.toml services/*/pyproject.toml
	@if [ ! -x $(BIN)/python ]; then \
	  echo "make: creating $(VENV) with $$($(PYTHON) --version)"; $(PYTHON) -m venv $(VENV); fi
	@echo "make: installing uv, the installer ($$(sed -n 's/^uv==//p' constraints.txt), from PyPI)"
	@if $(PIP) install --quiet -c constraints.txt uv; then \
	  echo "make: installing the packages (versions pinned in constraints.txt) with uv; a fresh clone takes about a minute"; \
	  $(BIN)/uv pip install --python $(BIN)/python $(INSTALL_ARGS) || { \
	    echo "make: uv failed; installing with pip instead"; $(PIP) install --progress-bar off $(INSTALL_ARGS); }; \
	else \
	  echo "make: uv is not available; installing with pip (a few minutes)"; $(PIP) install --progress-bar off $(INSTALL_ARGS); \
	fi
	@touch $(STAMP)
	@echo "make: $(VENV) is ready"

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/muistot-dev run $(if $(SERVICE),--service $(SERVICE))

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
	$(BIN)/python -m muistot_tooling.bench $(if $(MUISTOT_SCALE),--scale $(MUISTOT_SCALE))

# Faults, fuzzing and abuse against a stack on a MariaDB and a Redis of its own (README: "Resilience run").
resilience: $(STAMP)
	$(BIN)/python -m muistot_tooling.resilience

.PHONY: openapi
openapi: $(STAMP)
	$(BIN)/muistot-dev openapi

clean:
	rm -rf $(VENV) var .pytest_cache
