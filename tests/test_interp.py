"""corewise.evaluate's block interpreter (COREWISE_EVAL=interp; csrc/interp.c,
pkg/_interp.py): the compiler-free path.

Every semantic test of test_evaluate.py runs again here with the interpreter
forced (they are imported below, so pytest collects them in this module,
under the autouse fixture), with small blocks so that hypothesis-sized
arrays span many blocks and threads.  Then the interpreter against the JIT
(bitwise where the JIT is bitwise with NumPy), the automatic choice and its
one warning per process, and COREWISE_EVAL=jit without a compiler."""
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import corewise as cw
from corewise import _evaluate, _interp
from corewise._optable import MATH_OPS as OPS  # the float rows (test_natives: the others)

from oracle import assert_same, specials
import test_evaluate as te
# the semantic tests, re-collected here under the interpreter
from test_evaluate import (  # noqa: F401
    test_random_trees_match_numpy, test_fixed_trees_many_layouts, test_table_functions,
    test_basic_and_weak_scalars, test_integers, test_integer_negative_power_is_an_error,
    test_uint64_int64_comparisons_are_exact, test_booleans,
    test_float_remainder_and_power_semantics, test_zero_d_empty_and_broadcasting, test_out,
    test_out_overlap_like_numpy, test_names_and_errors,
    test_floating_point_errors_follow_errstate, test_results_do_not_depend_on_threads,
    test_unsafe_or_unsupported_expressions_are_refused,
    test_operand_limit_counts_slots_not_names, test_many_names_dtypes_and_layouts)


def _reset():
    _interp.mode.cache_clear()
    _evaluate._plans.clear()


@pytest.fixture(autouse=True)
def interp(monkeypatch):
    """The interpreter forced, with 8-element blocks (the driver splits
    runs of 16 blocks and more: hypothesis-sized arrays span threads)."""
    monkeypatch.setenv("COREWISE_EVAL", "interp")
    monkeypatch.setattr(_interp, "BLOCK", 8)
    _reset()
    yield
    monkeypatch.undo()
    _reset()


def _both(text, env, out=None):
    """(interpreter, JIT) results of one call."""
    got = cw.evaluate(text, env, out=None if out is None else out[0])
    os.environ["COREWISE_EVAL"] = "jit"
    _reset()
    try:
        want = cw.evaluate(text, env, out=None if out is None else out[1])
    finally:
        os.environ["COREWISE_EVAL"] = "interp"
        _reset()
    return got, want


def test_the_interpreter_is_what_runs():
    a = np.arange(5.0)
    plan = _evaluate._plan(_evaluate.parse("a * 2"), ((a.dtype, False),))
    assert plan.interp
    assert_same(cw.evaluate("a * 2"), a * 2)
    assert plan._interp_programs, "the call did not go through the interpreter"


@pytest.mark.needs_compiler
@settings(max_examples=40)
@given(tree=te.trees, env=te.operands(), threads=st.integers(1, 3))
def test_random_trees_match_the_jit_bitwise(tree, env, threads, tiny_threshold):
    """+ - * / % sqrt, where, comparisons: correctly rounded in both paths,
    so the results are the same bits (any NaN matching any NaN)."""
    text = te.to_text(tree)
    with np.errstate(all="ignore"), cw.threads(threads):
        try:
            got, want = _both(text, env)
        except (TypeError, ValueError, OverflowError):
            return  # refused: test_random_trees_match_numpy checks both refuse
    assert got.dtype == want.dtype and np.shape(got) == np.shape(want)
    te.same_values(got, want)


@pytest.mark.needs_compiler
@pytest.mark.parametrize("op", [op for op in OPS if op.nin in (1, 2)], ids=lambda o: o.name)
@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_table_functions_match_the_jit(op, dt, monkeypatch):
    """The same element functions as the JIT's contiguous loop (same libmvec
    variants): bitwise equal on 4096 contiguous elements."""
    monkeypatch.setattr(_interp, "BLOCK", 1024)
    rng = np.random.default_rng(7)
    vals = np.resize(np.concatenate([specials(np.dtype(dt)),
                                     rng.uniform(-10, 10, 4096).astype(dt)]), 4096)
    env = dict(zip("xy", [vals, vals[::-1].copy()][:op.nin]))
    with np.errstate(all="ignore"):
        got, want = _both(f"{op.name}({', '.join('xy'[:op.nin])})", env)
    te.same_values(got, want)


def test_many_blocks_strided_broadcast_and_out(tiny_threshold):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((7, 300))[:, ::3]              # strided
    b = rng.standard_normal(100).astype(np.float32)        # broadcast row
    c = rng.integers(-5, 5, (7, 1))                        # broadcast column, int64
    out = np.empty((100, 7)).T                             # strided output
    for t in (1, 2, 3):
        with cw.threads(t), np.errstate(all="ignore"):
            r = cw.evaluate("where(a > b, a * c - 1.5, b ** 2) % 3", out=out)
            want = np.where(a > b, a * c - 1.5, b ** 2) % 3
        assert r is out
        te.same_values(out, want)


def test_integer_error_and_flags_from_any_block(tiny_threshold):
    i = np.arange(1000, dtype=np.int32)
    j = np.ones(1000, dtype=np.int32)
    j[777] = -1
    with pytest.raises(ValueError, match="negative integer powers"):
        cw.evaluate("i ** j")
    j[777] = 0
    with pytest.warns(RuntimeWarning, match="divide by zero encountered in evaluate"):
        cw.evaluate("i % j")


def test_program_allocates_few_registers():
    """A long chain reuses its scratch registers: the count follows the
    tree's depth, not its size."""
    text = " + ".join(f"sqrt(a * {k}.5)" for k in range(60))
    plan = _evaluate._plan(_evaluate.parse(text), ((np.dtype(np.float64), False),))
    prog = _interp.program(plan, plan.res_dt)
    assert prog.nregs - prog.nin <= 4, prog.nregs
    assert prog.block == 8
    a = np.linspace(0, 3, 200)
    te.same_values(cw.evaluate(text), sum(np.sqrt(a * (k + 0.5)) for k in range(60)))


@pytest.mark.parametrize("path", ["interp", pytest.param("jit", marks=pytest.mark.needs_compiler)])
@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_nan_comparisons_are_quiet_in_vector_loops(path, dt, monkeypatch):
    """NumPy never flags a NaN in < <= > >= (and where() on them): neither
    may a vectorised loop (GCC vectorises isless() as a signalling compare;
    cw_eval.h's quiet forms), in either path; the values are NumPy's,
    -0.0 == +0.0 included."""
    monkeypatch.setenv("COREWISE_EVAL", path)
    _reset()
    a = np.full(4096, np.nan, dt)
    a[::3], a[1::7], a[2::11] = 1.0, -0.0, -np.inf
    b = np.resize(np.array([1.0, 0.0, -0.0, np.nan, -2.0, np.inf], dt), 4096)
    with np.errstate(all="raise"):
        for text in ("a < b", "a <= b", "a > b", "a >= b", "b < a", "a > 0", "-0.0 >= a",
                     "where(a > b, a, b)"):
            te.same_values(cw.evaluate(text), eval(text.replace("where", "np.where")))


def test_bad_mode_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("COREWISE_EVAL", "fast")
    _reset()
    with pytest.raises(ValueError, match="COREWISE_EVAL='fast'"):
        cw.evaluate("a + 1", {"a": np.ones(3)})


# ---- the automatic choice, in fresh processes with no compiler ----------------------

_CHILD = """
import warnings, numpy as np, corewise as cw
warnings.simplefilter("always")
a = np.arange(10.0)
with warnings.catch_warnings(record=True) as w:
    r1 = cw.evaluate("sqrt(a) + 1")
    r2 = cw.evaluate("a * 3 - 2")
    r3 = cw.evaluate("a * 3 - 2", {"a": a[::2]})
assert np.array_equal(r1, np.sqrt(a) + 1) and np.array_equal(r2, a * 3 - 2)
assert np.array_equal(r3, a[::2] * 3 - 2)
print(len(w))
for x in w:
    print(type(x.message).__name__, x.message)
    print(x.filename, x.lineno)
"""


def _run_child(**env):
    e = {k: v for k, v in os.environ.items() if k != "COREWISE_EVAL"}
    e.update(CC="/nonexistent/cc", **env)
    return subprocess.run([sys.executable, "-c", _CHILD], env=e, capture_output=True,
                          text=True, timeout=120)


def test_no_compiler_auto_warns_once_per_process():
    r = _run_child()
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "1", r.stdout
    assert lines[1].startswith("EvaluateFallbackWarning corewise.evaluate: no C compiler found")
    assert lines[2] == "<string> 6", "the warning names the caller's line"
    assert "COREWISE_EVAL=interp" in lines[1]


def test_no_compiler_interp_is_silent():
    r = _run_child(COREWISE_EVAL="interp")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["0"]


def test_no_compiler_jit_is_an_error():
    r = _run_child(COREWISE_EVAL="jit")
    assert r.returncode != 0
    assert "CompilerError: corewise.evaluate: no C compiler found" in r.stderr
    assert "apt-get install gcc" in r.stderr
