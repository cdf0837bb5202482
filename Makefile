# Two commands set everything up on a fresh machine: `make run` and `make test`. Both install the
# exact versions in uv.lock, every file checked against its hash, into .venv; `make lock`
# refreshes the lock. uv itself comes from PyPI at a pinned version, hashes checked, into .tools.
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS ?= .tools
VENV ?= .venv
UV := $(TOOLS)/bin/uv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# uv uses this machine's Python (never a downloaded one) and installs into $(VENV).
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test bench lock clean

$(UV): requirements-uv.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements-uv.txt
	touch $(UV)

# --locked: stop if uv.lock no longer matches pyproject.toml, rather than re-resolve.
# --compile-bytecode: uv installs sources only, and where Python may not write its bytecode
# (PYTHONDONTWRITEBYTECODE, a read-only environment) every command compiled SciPy's and pandas'
# modules afresh: 2.6 s of a 5.3 s `summit sweep`. Compiled once here, in ~20 s; this package's
# own too (installed editable, from the checkout: 0.1 s of every `summit run`). Python compares
# each file's bytecode with its source and compiles an edited file afresh.
$(STAMP): $(UV) uv.lock pyproject.toml Makefile
	$(UV) sync --locked --extra test --compile-bytecode --python $(PYTHON)
	$(BIN)/python -m compileall -q sim
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/summit run

# The import contracts and the type check (pyproject.toml's [tool.importlinter] and [tool.mypy])
# run before the tests.
test: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks tools
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_aid.py
	$(BIN)/python benchmarks/bench_sweep.py
	$(BIN)/python benchmarks/bench_startup.py

# The newest versions pyproject.toml's ranges allow, and uv's own pin with its hashes. Then run
# `make test`; if the parameter file no longer reproduces, `summit calibrate` and review the diff.
lock: $(UV)
	$(UV) lock --upgrade --python $(PYTHON)
	echo "uv==$(UV_VERSION)" | $(UV) pip compile - --universal --generate-hashes --quiet \
		--custom-compile-command "make lock" --output-file requirements-uv.txt

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .hypothesis .ruff_cache
