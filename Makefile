# corewise -- the two set-up commands (each does every step itself):
#   make bench          build, install into a venv, run the benchmark
#   make test           build, install into a venv, run the test suite
# Choose the interpreter with PY=...: `make test PY=pypy3`.
PY ?= python3
VENV ?= .venv/$(notdir $(PY))
BIN := $(VENV)/bin
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: bench test install info clean

bench: install
	$(BIN)/python -m corewise bench $(BENCH_ARGS)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

info: install
	$(BIN)/python -m corewise info

# Always rebuild and reinstall: the C sources may have changed.
install: $(VENV)/.deps
	$(BIN)/python -m pip install -q --no-deps --force-reinstall .

$(VENV)/.deps: pyproject.toml tools/bootstrap.sh
	sh tools/bootstrap.sh $(PY)
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q ".[test]"
	touch $@

clean:
	rm -rf .venv build *.egg-info pkg/*.egg-info pkg/_core*.so pkg/_core.c corewise
