# Two commands for a fresh machine: `make demo` (train the default preset) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo demo-install test install lint format clean

# what training needs: the core dependencies only (no TensorFlow, browsers, OpenCV or GUDHI)
$(BIN)/.installed-core: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $@

# ... and the test extras (TensorFlow for the MTCNN test, playwright, OpenCV, GUDHI, Optuna, ...)
$(BIN)/.installed: $(BIN)/.installed-core
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

demo-install: $(BIN)/.installed-core

install: $(BIN)/.installed

demo: $(BIN)/.installed-core
	$(BIN)/ganforge train

test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

format: $(BIN)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .ruff_cache
