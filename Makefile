# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck contracts unit bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

DEMO_DIR ?= .eucora/demo-fleet
SIGNERS  := examples/keys/allowed_signers

demo: $(STAMP)
	$(BIN)/eucora validate examples/fleet-repo
	$(BIN)/eucora policy test > /dev/null && echo "policy cases: all passed"
	rm -rf $(DEMO_DIR) && $(BIN)/eucora demo --dir $(DEMO_DIR)
	$(BIN)/eucora audit verify $(DEMO_DIR)/.eucora/audit.jsonl --state $(DEMO_DIR)/.eucora/state.db

lint: $(STAMP)
	$(BIN)/ruff check reconciler tests benchmarks
	$(BIN)/ruff format --check reconciler tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/python -m pytest -q -n auto -p no:cacheprovider

test: lint typecheck contracts unit

bench: $(STAMP)
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache
