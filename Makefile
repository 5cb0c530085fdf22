# One command to set up and run the demo, one to set up and run the tests (see README).
# Each target installs only the set it needs into $(VENV) (pyproject.toml's extras): `make demo` the demo's
# (numpy, numba, scikit-learn, graphviz: no torch), `make docs` the notebooks' and nbconvert, `make bench`
# torch and the other engines, `make test` all of it plus the test tools.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# extra arguments for docs/build.py, e.g. `make docs DOCS_ARGS="--only 05 --solutions"`
DOCS_ARGS ?=

.PHONY: setup demo test lint bench docs clean

setup: $(VENV)/.installed-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# one stamp per extra: reinstalled when pyproject.toml changes
$(VENV)/.installed-%: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[$*]"
	touch $@

demo: $(VENV)/.installed-demo
	$(BIN)/python -m autograd_core.demo

lint: setup
	$(BIN)/ruff check .

test: setup lint
	$(BIN)/python -m pytest -n 2 -q

bench: $(VENV)/.installed-bench
	$(BIN)/python -m benchmarks all --out benchmarks/results --machine-dir

# the lessons executed and rendered to docs/notebooks/*.html, the API reference in docs/api/, docs/index.html
docs: $(VENV)/.installed-docs
	$(BIN)/python docs/build.py $(DOCS_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
