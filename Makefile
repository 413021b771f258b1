# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Both install exactly what uv.lock pins (hashes included) into .venv; the locker itself (uv)
# is bootstrapped into .tools from tools/uv-requirements.txt, pinned by hash.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
SYNC    = UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --locked --extra dev --python $(PYTHON)

.PHONY: demo test test-all lint typecheck contracts unit bench lock lock-check upgrade clean

$(UV): tools/uv-requirements.txt
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
		--require-hashes -r tools/uv-requirements.txt
	touch $(UV)

# --locked: fails when uv.lock no longer matches pyproject.toml (run `make lock`).
$(STAMP): pyproject.toml uv.lock $(UV)
	$(SYNC) --quiet
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

# Every supported Python (pyproject classifiers): the suite once per interpreter, each in its
# own environment built from the same lock. An interpreter is taken from PATH (python3.12) or,
# where a pyenv shim hides it, from pyenv's versions; uv never downloads one.
SUPPORTED_PYTHONS ?= 3.11 3.12
test-all: $(UV)
	for v in $(SUPPORTED_PYTHONS); do \
		py=$$(python$$v -c 'import sys; print(sys.executable)' 2>/dev/null \
			|| ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$v*/bin/python$$v 2>/dev/null | tail -1); \
		test -n "$$py" || { echo "Python $$v not found (PATH or pyenv)"; exit 1; }; \
		UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=.venv-$$v \
			$(UV) sync --locked --extra dev --quiet --python "$$py" \
		&& .venv-$$v/bin/python -m pytest -q -n auto -p no:cacheprovider || exit 1; \
	done

bench: $(STAMP)
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

# After editing dependencies in pyproject.toml: re-resolve what changed, keep every other pin.
lock: $(UV)
	$(UV) lock

# CI: fails when uv.lock is out of date with pyproject.toml.
lock-check: $(UV)
	$(UV) lock --check

# Move every pin to the newest release pyproject.toml allows, then run `make test`.
upgrade: $(UV)
	$(UV) lock --upgrade

clean:
	rm -rf $(VENV) .venv-3.* $(TOOLS) build dist .mypy_cache .ruff_cache .pytest_cache
