#!/bin/sh
# CI stage "wheel without a compiler" (make wheel-test): the wheel that
# `make wheel` built (dist/) installed into a fresh venv, and the test suite
# run from that install with no C compiler on PATH and CC pointing nowhere:
# corewise.evaluate runs its interpreter, the tests that compile C skip
# themselves (a real check: tests/conftest.py, compiler_missing), and those
# skips are counted and named (tools/skips.py).
#   usage: tools/wheel_stage.sh PYTHON      (the interpreter that built the wheel)
set -eu
PY=$1
V=build/wheel-venv
NOCC=build/nocc-bin
WHL=$(ls dist/corewise-*-manylinux*.whl | head -n 1)
rm -rf "$V" "$NOCC"
"$PY" -m venv "$V"
"$V/bin/python" -m pip install -q --upgrade pip
"$V/bin/python" -m pip install -q "$WHL[test]"
# PATH without a compiler: every command of the system's bin directories but
# the C/C++ compilers and their drivers
mkdir -p "$NOCC"
for d in /usr/local/bin /usr/bin /bin; do
  for f in "$d"/*; do
    b=$(basename "$f")
    case "$b" in
      cc|c89|c99|c++|cpp|gcc|gcc-*|g++|g++-*|clang*|tcc|*-linux-gnu-gcc*|*-linux-gnu-g++*|*-linux-gnu-cpp*) continue ;;
    esac
    [ -e "$NOCC/$b" ] || ln -s "$f" "$NOCC/$b"
  done
done
export PATH="$PWD/$V/bin:$PWD/$NOCC" CC=/nonexistent/cc
if command -v gcc || command -v cc || command -v clang; then
  echo "wheel stage: a C compiler is still on PATH"; exit 1
fi
# the suite must test the installed wheel, not the source tree
"$V/bin/python" - <<'PY'
import corewise, corewise._interp as i, os
assert "wheel-venv" in corewise.__file__, corewise.__file__
assert os.path.isdir(os.path.join(os.path.dirname(corewise.__file__), os.pardir, "corewise.libs"))
assert i.mode() == "auto" and i.use_interp(), "evaluate would compile"
print("wheel stage: corewise from", os.path.dirname(corewise.__file__), "- evaluate: interpreter")
PY
rc=0
HYPOTHESIS_PROFILE=${HYPOTHESIS_PROFILE:-light} "$V/bin/python" -m pytest -n "${JOBS:-auto}" -q \
    -p no:cacheprovider --junitxml=build/wheel-stage.xml ${PYTEST_ARGS:-} || rc=$?
"$V/bin/python" tools/skips.py build/wheel-stage.xml || rc=1
exit $rc
