# Two commands for a fresh machine: `make demo` and `make test`.
# Both use one .venv: `make demo` installs only what the demos need (the package with its plot
# extra); `make test` adds the dev tools and torch for the cross-checks. Each has its own stamp,
# so a second run installs nothing, and torch in the venv leaves the demos as they were.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_STAMP := $(VENV)/.installed-demo
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test bench lint setup wheel-check clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip "setuptools>=77"

$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[plot]"
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev,plot]"
	-$(BIN)/python -m pip install -q torch==2.13.0 || echo "torch not installable here: PyTorch cross-checks will be skipped"
	touch $@

setup: $(TEST_STAMP)

demo: $(DEMO_STAMP)
	MPLBACKEND=Agg $(BIN)/python -m microgradx demo all

# the engine's own tests run a second time with every backward through the reference driver
ENGINE_TESTS := tests/test_autograd.py tests/test_value.py tests/test_tensor.py tests/test_tensor_backward.py \
	tests/test_conventions.py tests/test_zero_gradients.py tests/test_engine.py tests/test_anomaly.py \
	tests/test_function.py tests/test_fast.py tests/test_dot_grid.py tests/test_torch_names.py

test: $(TEST_STAMP)
	$(BIN)/ruff check .
	MPLBACKEND=Agg $(BIN)/python -m pytest
	MICROGRADX_REFERENCE=1 $(BIN)/python -m pytest -o addopts=-q $(ENGINE_TESTS)

bench: $(TEST_STAMP)
	$(BIN)/python -m pip install -q -r bench/requirements.txt
	$(BIN)/python -m bench

lint: $(TEST_STAMP)
	$(BIN)/ruff check .

# the package as a user gets it: wheel -> fresh venv -> demos from an empty folder
wheel-check:
	PY=$(PY) bash .ci/wheel_check.sh

clean:
	rm -rf $(VENV) demos/out .pytest_cache .hypothesis build dist *.egg-info microgradx-demos-out
