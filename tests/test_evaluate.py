"""corewise.evaluate: fused expressions compiled at run time.

The oracle is NumPy evaluating the same expression tree with Python's
operators (so Python scalars are weak, exactly as in the user's code).
Compiles are cached for the whole session (conftest's COREWISE_CACHE_DIR),
and hypothesis examples are kept few where each one compiles."""
import functools
import multiprocessing
import os
import subprocess
import sys
import threading
import uuid
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import corewise as cw
from corewise import _compiler, _evaluate, _interp
from corewise._optable import MATH_OPS as OPS  # the float rows (test_natives: the others)

from oracle import assert_same, elements, in_layout, specials

F64, F32 = np.dtype(np.float64), np.dtype(np.float32)


# Bitwise except that any NaN matches any NaN (payloads and signs of NaN
# may differ between equally correct evaluation orders).
same_values = functools.partial(assert_same, policy="nan-equal", types=False)


# ---- hypothesis expression trees --------------------------------------------

NAMES = ("a", "b", "c")
_lit = st.one_of(st.integers(-4, 4), st.sampled_from([0.5, 2.5, -1.25, 3.0, 1e-3]))


def _leaves():
    return st.one_of(st.sampled_from(NAMES).map(lambda n: ("name", n)),
                     _lit.map(lambda v: ("lit", v)))


def _extend(children):
    binop = st.tuples(st.sampled_from(["+", "-", "*", "/", "%"]), children, children)
    return st.one_of(
        binop.map(lambda t: ("bin",) + t),
        children.map(lambda c: ("neg", c)),
        children.map(lambda c: ("sq", c)),
        children.map(lambda c: ("sqrt", c)),
        st.tuples(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), children, children,
                  children, children).map(lambda t: ("where",) + t),
    )


trees = st.recursive(_leaves(), _extend, max_leaves=8)


def to_text(t):
    k = t[0]
    if k == "name":
        return t[1]
    if k == "lit":
        return f"({t[1]!r})"
    if k == "bin":
        return f"({to_text(t[2])} {t[1]} {to_text(t[3])})"
    if k == "neg":
        return f"(-{to_text(t[1])})"
    if k == "sq":
        return f"({to_text(t[1])} ** 2)"
    if k == "sqrt":
        return f"sqrt({to_text(t[1])})"
    return (f"where({to_text(t[2])} {t[1]} {to_text(t[3])}, "
            f"{to_text(t[4])}, {to_text(t[5])})")


_PYOP = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y,
         "/": lambda x, y: x / y, "%": lambda x, y: x % y, "<": lambda x, y: x < y,
         "<=": lambda x, y: x <= y, ">": lambda x, y: x > y, ">=": lambda x, y: x >= y,
         "==": lambda x, y: x == y, "!=": lambda x, y: x != y}


def numpy_eval(t, env):
    """The same tree evaluated by NumPy with Python's operators."""
    k = t[0]
    if k == "name":
        return env[t[1]]
    if k == "lit":
        return t[1]
    if k == "bin":
        return _PYOP[t[1]](numpy_eval(t[2], env), numpy_eval(t[3], env))
    if k == "neg":
        return -numpy_eval(t[1], env)
    if k == "sq":
        return numpy_eval(t[1], env) ** 2
    if k == "sqrt":
        return np.sqrt(numpy_eval(t[1], env))
    return np.where(_PYOP[t[1]](numpy_eval(t[2], env), numpy_eval(t[3], env)),
                    numpy_eval(t[4], env), numpy_eval(t[5], env))


@st.composite
def operands(draw, names=NAMES):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5))
    env = {}
    for n in names:
        dt = draw(st.sampled_from([F64, F64, F32, np.dtype(np.int32), np.dtype(np.int64)]))
        sub = tuple(1 if draw(st.integers(0, 3)) == 0 else s for s in shape)
        sub = sub[draw(st.integers(0, len(sub))):]
        a = draw(hnp.arrays(dt, sub, elements=elements(dt)))
        env[n] = draw(in_layout(a))
    return env


def _check_tree(tree, env, threads):
    text = to_text(tree)
    with np.errstate(all="ignore"):
        try:
            want = numpy_eval(tree, dict(env))
        except (TypeError, ValueError, OverflowError, ZeroDivisionError) as exc:
            want = exc
        if isinstance(want, Exception):
            # NumPy (or Python, for literals) refuses: so must evaluate.
            with pytest.raises((TypeError, ValueError, OverflowError)):
                cw.evaluate(text, env)
            return
        with cw.threads(threads):
            got = cw.evaluate(text, env)
    assert type(got) is type(want) or np.ndim(want) == 0, (type(got), type(want))
    same_values(got, want)


@settings(max_examples=40)
@given(tree=trees, env=operands(), threads=st.integers(1, 3))
def test_random_trees_match_numpy(tree, env, threads, tiny_threshold):
    _check_tree(tree, env, threads)


@settings(max_examples=15)
@given(env=operands(), threads=st.integers(1, 3), data=st.data())
def test_fixed_trees_many_layouts(env, threads, data, tiny_threshold):
    """Few expressions (compiled once), many shapes, dtypes and layouts."""
    tree = data.draw(st.sampled_from([
        ("sqrt", ("bin", "+", ("bin", "*", ("name", "a"), ("name", "a")),
                  ("bin", "*", ("name", "b"), ("name", "b")))),
        ("where", ">", ("name", "a"), ("name", "b"), ("name", "c"), ("lit", 2.5)),
        ("bin", "%", ("name", "a"), ("name", "c")),
    ]))
    _check_tree(tree, env, threads)


# ---- the table's functions ----------------------------------------------------

def _ulp_diff(got, want):
    got, want = np.asarray(got), np.asarray(want)
    both_nan = np.isnan(got) & np.isnan(want)
    eq = (got == want) | both_nan
    with np.errstate(all="ignore"):
        sp = np.spacing(np.abs(want).astype(want.dtype))
        d = np.where(eq, 0, np.abs(got.astype(np.float64) - want.astype(np.float64))
                     / np.abs(sp.astype(np.float64)))
    return np.nan_to_num(d, nan=np.inf)


@pytest.mark.parametrize("op", [op for op in OPS if op.nin in (1, 2)], ids=lambda o: o.name)
@pytest.mark.parametrize("dt", [F32, F64], ids=str)
def test_table_functions(op, dt):
    rng = np.random.default_rng(5)
    vals = np.concatenate([specials(dt), rng.uniform(-10, 10, 1000).astype(dt)])
    args = [vals, vals[::-1].copy()][:op.nin]
    env = dict(zip("xy", args))
    text = f"{op.name}({', '.join('xy'[:op.nin])})"
    with np.errstate(all="ignore"):
        got = cw.evaluate(text, env)
        want = op.ufunc(*args)
    assert got.dtype == want.dtype
    # evaluate's element functions are cw_scalar.h's (libm, libmvec): the
    # correctly rounded rows (0.5, csrc/vmath/) are corewise.<name>'s loops
    # only, and evaluate keeps libmvec's bound of 4 for them
    ulp = 4 if op.max_ulp == 0.5 else op.max_ulp
    assert _ulp_diff(got, want).max() <= max(ulp, 0) + (0 if ulp == 0 else 1)
    if op.max_ulp == 0:
        same_values(got, want)


def test_function_list_comes_from_the_table():
    names = {op.name for op in OPS if op.nin in (1, 2)}
    assert set(cw.evaluate_functions) == names | {"where"}


# ---- NumPy semantics --------------------------------------------------------------

def test_basic_and_weak_scalars():
    a = np.linspace(-2, 2, 11, dtype=np.float32)
    b = np.arange(11, dtype=np.float32)
    s = 2.5
    r = cw.evaluate("a * s + 4.1 * b")
    assert r.dtype == np.float32
    assert_same(r, a * s + 4.1 * b)
    r64 = cw.evaluate("a * x", {"a": a, "x": np.float64(3.0)})
    assert r64.dtype == np.float64
    assert_same(r64, a * np.float64(3.0))


def test_integers():
    i = np.array([-128, -7, -1, 0, 1, 5, 127], dtype=np.int8)
    j = np.array([3, -2, 0, 5, -1, 3, 2], dtype=np.int8)
    with np.errstate(all="ignore"):
        for text, want in [("i % j", i % j), ("i + j", i + j), ("i * j", i * j),
                           ("-i", -i), ("i / j", i / j), ("i ** 2", i ** 2),
                           ("~i", ~i), ("i & j", i & j), ("i | j", i | j),
                           ("i % 3", i % 3), ("i * 1000", None)]:
            if want is None:
                with pytest.raises(OverflowError):
                    cw.evaluate(text)
                continue
            assert_same(cw.evaluate(text), want)
    with pytest.warns(RuntimeWarning, match="divide by zero encountered in evaluate"):
        cw.evaluate("i % j")


def test_integer_negative_power_is_an_error():
    i = np.arange(5, dtype=np.int64)
    j = np.array([1, 2, -1, 0, 3], dtype=np.int64)
    with pytest.raises(ValueError, match="negative integer powers"):
        np.power(i, j)
    with pytest.raises(ValueError, match="negative integer powers"):
        cw.evaluate("i ** j")
    assert_same(cw.evaluate("i ** abs_j", {"i": i, "abs_j": np.abs(j)}), i ** np.abs(j))


def test_uint64_int64_comparisons_are_exact():
    u = np.array([0, 1, 2**63, 2**64 - 1], dtype=np.uint64)
    s = np.array([-1, 1, 2**63 - 1, -2**63], dtype=np.int64)
    for op in ("<", "<=", ">", ">=", "==", "!="):
        assert_same(cw.evaluate(f"u {op} s"), eval(f"u {op} s"))
        assert_same(cw.evaluate(f"s {op} u"), eval(f"s {op} u"))


def test_booleans():
    p = np.array([True, True, False, False])
    q = np.array([True, False, True, False])
    x = np.arange(4.0)
    for text in ("p & q", "p | q", "~p", "p + q", "p * q", "(x > 1) & ~q",
                 "where(p, x, -x)", "where(x, 1, 0)"):
        assert_same(cw.evaluate(text), eval(text.replace("where", "np.where")))
    with pytest.raises(TypeError):
        cw.evaluate("-p")


def test_float_remainder_and_power_semantics():
    a = np.array([5.5, -5.5, 5.5, -5.5, 0.0, -0.0, np.inf, 3.0, -np.inf, 2.0])
    b = np.array([2.0, 2.0, -2.0, -2.0, 3.0, -3.0, 2.0, np.inf, 0.5, 0.0])
    with np.errstate(all="ignore"):
        same_values(cw.evaluate("a % b"), a % b)
        for e in ("2", "0.5", "-1", "1", "0", "3"):
            same_values(cw.evaluate(f"a ** {e}"), eval(f"a ** {e}"))
        same_values(cw.evaluate("a ** e", {"a": a, "e": 0.5}), a ** 0.5)
        same_values(cw.evaluate("a / b"), a / b)


def test_zero_d_empty_and_broadcasting():
    assert cw.evaluate("2 * 3") == 6 and type(cw.evaluate("2 * 3")) is np.int64
    x = np.float64(2.0)
    assert type(cw.evaluate("x * 2")) is np.float64
    e = np.empty((0, 3))
    assert cw.evaluate("e + 1").shape == (0, 3)
    m = np.arange(12.0).reshape(3, 4)
    v = np.arange(4.0)
    col = np.arange(3.0)[:, None]
    assert_same(cw.evaluate("m * v + col"), m * v + col)
    assert_same(cw.evaluate("m.T" if False else "v - col"), v - col)
    with pytest.raises(ValueError, match="broadcast"):
        cw.evaluate("m + col.T" if False else "m + w", {"m": m, "w": np.arange(3.0)})


def test_out():
    a = np.arange(10.0)
    b = np.ones(10)
    out = np.empty(10)
    assert cw.evaluate("a + b", out=out) is out
    assert_same(out, a + b)
    o32 = np.empty(10, np.float32)
    cw.evaluate("a * 1.1", out=o32)
    assert_same(o32, (a * 1.1).astype(np.float32))
    o16 = np.empty(10, np.float16)
    cw.evaluate("a * 1.1", out=o16)
    assert_same(o16, (a * 1.1).astype(np.float16))
    with pytest.raises(TypeError, match="same_kind"):
        cw.evaluate("a * 1.1", out=np.empty(10, np.int64))
    with pytest.raises(ValueError, match="shape"):
        cw.evaluate("a + b", out=np.empty(3))
    big = np.empty((2, 10))
    cw.evaluate("a + b", out=big)
    assert_same(big, np.broadcast_to(a + b, (2, 10)).copy())
    sv = np.empty(20)[::2]
    cw.evaluate("a - b", out=sv)
    assert_same(sv, a - b)


def test_out_overlap_like_numpy():
    a = np.arange(10.0)
    want = a * 2 + 1
    cw.evaluate("a * 2 + 1", out=a)  # in place
    assert_same(a, want)
    a = np.arange(10.0)
    want = a[:-1] + a[1:]
    cw.evaluate("x + y", {"x": a[:-1], "y": a[1:]}, out=a[1:])  # partial overlap
    assert_same(a[1:], want)


def test_names_and_errors():
    a = np.arange(3.0)
    with pytest.raises(NameError, match="'nope'"):
        cw.evaluate("a + nope")
    assert_same(cw.evaluate("a + z", {"a": a, "z": a}), a + a)
    with pytest.raises(TypeError, match="complex"):
        cw.evaluate("a + z", {"a": a, "z": a + 1j})
    with pytest.raises(TypeError, match="float16"):
        cw.evaluate("a + z", {"a": a, "z": a.astype(np.float16)})
    with pytest.raises(TypeError, match="string"):
        cw.evaluate("a + z", {"a": a, "z": np.array(["x"])})
    with pytest.raises(TypeError):
        cw.evaluate(b"a + a")
    big = a.astype(">f8")
    assert_same(cw.evaluate("big * 2"), a * 2)


def test_floating_point_errors_follow_errstate():
    x = np.array([-1.0, 4.0])
    with pytest.warns(RuntimeWarning, match="invalid value encountered in evaluate"):
        cw.evaluate("sqrt(x)")
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        cw.evaluate("1 / (x - x)")
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        cw.evaluate("sqrt(x)")
        cw.evaluate("x < nan", {"x": x, "nan": np.nan})  # quiet comparisons


def test_results_do_not_depend_on_threads(tiny_threshold):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 10007))
    want = cw.evaluate("sqrt(a*a + b*b) - a % 0.7")
    for t in (1, 2, 3, 5):
        with cw.threads(t):
            assert_same(cw.evaluate("sqrt(a*a + b*b) - a % 0.7"), want)
            assert_same(cw.evaluate("sqrt(a*a + b*b) - a % 0.7", {"a": a[::-1], "b": b[::-1]}),
                        want[::-1])


@pytest.mark.needs_compiler
def test_same_structure_shares_a_module():
    a = b = x = y = np.arange(4.0)  # noqa: F841
    cw.evaluate("sqrt(a*a + b*b)")
    n = len(_compiler._loaded)
    cw.evaluate("sqrt(x*x + y*y)")
    assert len(_compiler._loaded) == n


# ---- safety ------------------------------------------------------------------

BAD = [
    ("a.__class__", "attribute"),
    ("a.real", "attribute"),
    ("__import__('os').system('touch /tmp/corewise-pwned')", "allowed"),
    ("__import__('os')", "not allowed"),
    ("__builtins__", "dunder"),
    ("a[0]", "subscript"),
    ("(lambda: 1)()", "plain function names"),
    ("lambda: 1", "lambda"),
    ("sqrt(x=a)", "keyword"),
    ("sqrt(*a)", "starred"),
    ("[x for x in a]", "comprehension"),
    ("(x for x in a)", "comprehension"),
    ("{x: 1 for x in a}", "comprehension"),
    ("open('/etc/passwd')", "not allowed"),
    ("eval('1')", "not allowed"),
    ("exec('1')", "not allowed"),
    ("getattr(a, 'x')", "not allowed"),
    ("10 ** 10 ** 10", "out of range"),
    ("1e999", "finite"),
    ("9" * 40, "64-bit"),
    ("1 / 0", "cannot be evaluated"),
    ("a if a else a", "where"),
    ("a and a", "&"),
    ("not a", "not"),
    ("1 < a < 2", "chained"),
    ("'abc'", "str"),
    ("b'abc'", "bytes"),
    ("1j", "complex"),
    ("None", "NoneType"),
    ("...", "ellipsis"),
    ("a @ a", "MatMult"),
    ("a // a", "FloorDiv"),
    ("a << 1", "LShift"),
    ("a ^ a", "BitXor"),
    ("sqrt(a, a)", "takes 1 argument"),
    ("where(a, a)", "takes 3 arguments"),
    ("a = 1", "syntax"),
    ("a; a", "syntax"),
    ("(y := a)", "assignment"),
    ("f'{a}'", "JoinedStr"),
    ("[a]", "List"),
    ("a.__dict__['x']", "subscript"),
    ("(" * 300 + "a" + ")" * 300, ""),
    ("+".join(["a"] * 1200), "too"),
    ("-" * 400 + "a", "deeply"),
    ("a" * 6000, "too long"),
    ("sqrt(" * 250 + "a" + ")" * 250, ""),
]


@pytest.mark.parametrize("text,msg", BAD, ids=[b[0][:30] for b in BAD])
def test_unsafe_or_unsupported_expressions_are_refused(text, msg):
    a = np.arange(3.0)  # noqa: F841
    with pytest.raises(ValueError) as exc:
        cw.evaluate(text)
    assert "corewise.evaluate" in str(exc.value)
    assert msg.lower() in str(exc.value).lower()
    assert len(str(exc.value)) < 400
    assert not os.path.exists("/tmp/corewise-pwned")


def test_generated_c_holds_no_user_text():
    p = _evaluate.parse("sqrt(alpha*alpha + beta_1*beta_1) + 4.1")
    plan = _evaluate.Plan(p, ((F64, False), (F64, False)))
    src, cdef = plan.source(F64, ("c", "c"))
    assert "alpha" not in src and "beta_1" not in src and "4.1" not in src
    assert (4.1).hex() in src


def test_error_flag_only_where_an_integer_power_or_a_trig_function_sets_it():
    i64 = np.dtype(np.int64)
    for text, sig, flag, trig in (("sqrt(a*a + b*b)", ((F64, False), (F64, False)), False, False),
                                  ("a ** b", ((i64, False), (i64, False)), True, False),
                                  ("sin(a) + b", ((F64, False), (F64, False)), False, True)):
        plan = _evaluate.Plan(_evaluate.parse(text), sig)
        for layout in ("n", ("c", "s")):
            src, _ = plan.source(plan.res_dt, layout)
            assert ("cw_e_flags *err" in src) == (flag or trig)
            assert ("CW_EINTPOW" in src) == flag and ("CW_ETRIG" in src) == trig


# ---- the compile cache -----------------------------------------------------------

def _unique_expr():
    k = uuid.uuid4().int % 10**9
    return f"a * {k} + b"


def _so_files(d):
    return [n for n in os.listdir(d) if n.endswith(".so")]


@pytest.mark.needs_compiler
def test_concurrent_first_calls_threads(tmp_path, monkeypatch):
    monkeypatch.setenv("COREWISE_CACHE_DIR", str(tmp_path))
    text = _unique_expr()
    a, b = np.arange(1000.0), np.ones(1000)
    results, errors = [], []
    barrier = threading.Barrier(6)

    def work():
        try:
            barrier.wait()
            results.append(cw.evaluate(text, {"a": a, "b": b}))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
    ts = [threading.Thread(target=work) for _ in range(6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    want = eval(text)
    for r in results:
        assert_same(r, want)
    assert len(_so_files(tmp_path)) == 1
    assert sorted(os.listdir(tmp_path)) == _so_files(tmp_path)  # no temp dirs left


_CHILD = """
import sys, numpy as np, corewise as cw
a, b = np.arange(1000.0), np.ones(1000)
r = cw.evaluate(sys.argv[1])
assert np.array_equal(r, eval(sys.argv[1]))
print("ok")
"""


@pytest.mark.needs_compiler
def test_concurrent_first_calls_processes(tmp_path):
    env = dict(os.environ, COREWISE_CACHE_DIR=str(tmp_path))
    text = _unique_expr()
    procs = [subprocess.Popen([sys.executable, "-c", _CHILD, text], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert len(_so_files(tmp_path)) == 1
    assert sorted(os.listdir(tmp_path)) == _so_files(tmp_path)
    # A new process finds it on disk: nothing is rebuilt.
    st = os.stat(tmp_path / _so_files(tmp_path)[0])
    r = subprocess.run([sys.executable, "-c", _CHILD, text], env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert os.stat(tmp_path / _so_files(tmp_path)[0]).st_mtime_ns == st.st_mtime_ns


def test_no_compiler_is_a_clear_error(tmp_path, monkeypatch):
    """COREWISE_EVAL=jit forces the compiled path: without a compiler that
    is an error naming it (auto would run the interpreter, test_interp.py)."""
    monkeypatch.setenv("COREWISE_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CC", "/nonexistent/cc")
    monkeypatch.setenv("COREWISE_EVAL", "jit")
    _compiler._config.cache_clear()
    _interp.mode.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="no C compiler"):
            cw.evaluate(_unique_expr(), {"a": np.ones(2), "b": np.ones(2)})
    finally:
        monkeypatch.undo()
        _compiler._config.cache_clear()
        _interp.mode.cache_clear()
    assert os.listdir(tmp_path) == []


@pytest.mark.needs_compiler
def test_unwritable_cache_dir_is_a_clear_error(tmp_path, monkeypatch):
    f = tmp_path / "file"
    f.write_text("")
    monkeypatch.setenv("COREWISE_CACHE_DIR", str(f / "sub"))
    with pytest.raises(RuntimeError, match="COREWISE_CACHE_DIR"):
        cw.evaluate(_unique_expr(), {"a": np.ones(2), "b": np.ones(2)})


def _mp_worker(args):
    d, text = args
    os.environ["COREWISE_CACHE_DIR"] = d
    a, b = np.arange(100.0), np.ones(100)  # noqa: F841
    return bool(np.array_equal(cw.evaluate(text), eval(text)))


@pytest.mark.needs_compiler
def test_multiprocessing_pool(tmp_path):
    text = _unique_expr()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(3) as pool:
        assert all(pool.map(_mp_worker, [(str(tmp_path), text)] * 3))
    assert len(_so_files(tmp_path)) == 1


# ---- the operand limit ------------------------------------------------------------------

def _scalar_pairs(k, x, y, extra=0):
    """An expression reading k Python scalars at both x's and y's dtype (two
    operand slots each), plus ``extra`` scalars read at x's dtype only."""
    env = {f"s{j}": float(j + 1) for j in range(k + extra)}
    env["x"], env["y"] = x, y
    terms = [f"(x*s{j} + y*s{j})" for j in range(k)] + [f"x*s{k + j}" for j in range(extra)]
    return " + ".join(terms), env


def _layouts():
    base32, base64 = np.arange(200, dtype=np.float32), np.arange(200.0)
    return {"contiguous": (base32[:100], base64[:100]),
            "strided": (base32[::2], base64[::2])}


@pytest.mark.parametrize("layout", ["contiguous", "strided"])
def test_operand_limit_counts_slots_not_names(layout):
    """A Python scalar beside float32 and float64 arrays takes two operand
    slots: 31 such names overflowed the n-d walk's 64 pointers (a stack
    overwrite, then a hang).  The limit is CW_MAX_OPERANDS, output included,
    counted in slots, and a call over it is a ValueError naming it."""
    x, y = _layouts()[layout]
    assert _evaluate.MAX_OPERANDS == 64
    text, env = _scalar_pairs(31, x, y)             # 62 + x + y = 64 inputs, + the output
    with pytest.raises(ValueError, match=r"corewise\.evaluate: too many operands.*64"):
        cw.evaluate(text, local_dict=env)
    text, env = _scalar_pairs(30, x, y, extra=2)    # 60 + 2 + x + y = 64 inputs: one over
    with pytest.raises(ValueError, match="too many operands"):
        cw.evaluate(text, local_dict=env)
    text, env = _scalar_pairs(30, x, y, extra=1)    # 63 inputs + the output: exactly the limit
    same_values(cw.evaluate(text, local_dict=env), eval(text, {}, env))


@settings(max_examples=12)
@given(data=st.data(), k=st.integers(1, 33), extra=st.integers(0, 3),
       threads=st.integers(1, 3))
def test_many_names_dtypes_and_layouts(data, k, extra, threads, tiny_threshold):
    """Many names at several dtypes, in many layouts, near and over the
    operand limit: NumPy's answer or the limit's ValueError -- never a
    memory error (make asan runs this under ASan)."""
    n = data.draw(st.integers(0, 40))

    def operand(shape):
        dt = data.draw(st.sampled_from([F32, F64, np.dtype(np.int32)]))
        return data.draw(in_layout(data.draw(hnp.arrays(dt, shape, elements=st.integers(-8, 8)))))
    x, y = operand((n,)), operand(data.draw(st.sampled_from([(n,), (3, n)])))
    text, env = _scalar_pairs(k, x, y, extra)
    at = {np.result_type(a.dtype, 1.0) for a in (x, y)}   # the dtypes a scalar is read at
    slots = k * len(at) + extra + 2
    if slots + 1 > _evaluate.MAX_OPERANDS:
        with pytest.raises(ValueError, match="too many operands"):
            cw.evaluate(text, local_dict=env)
        return
    with np.errstate(all="ignore"), cw.threads(threads):
        want = eval(text, {}, env)
        got = cw.evaluate(text, local_dict=env)
    same_values(got, want)


# ---- FP flags of the libmvec functions -------------------------------------------

from test_vmath import eval_path  # noqa: E402,F401 - the jit/interp fixture

_NP_NS = {"where": np.where, **{op.name: op.ufunc for op in OPS}}
FLAG_EXPRS = ["exp(x)", "tanh(x)", "log(x)", "sin(x) * y", "cosh(x) + 1.0",
              "where(x > 700.0, 1.0, exp(x))", "exp(x) * 0.0", "x ** y", "x ** 0.3",
              "arctan2(x, y)", "arcsin(x) * y", "expm1(x) * log1p(y)"]
FLAG_SPECIALS = [np.inf, -np.inf, np.nan, 0.0, -0.0, -1.0, 1000.0, -1000.0, 1e308]


def _fp_warnings(f):
    """The FP warnings one call raises, underflow aside (README: libmvec may
    miss one, and NumPy ignores it by default)."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with np.errstate(all="warn", under="ignore"):
            f()
    return sorted({str(m.message).split(" encountered")[0] for m in w})


@pytest.mark.parametrize("dtype", [F64, F32], ids=str)
@pytest.mark.parametrize("text", FLAG_EXPRS)
def test_libmvec_functions_warn_as_numpy(text, dtype, eval_path):
    """libmvec raises spurious flags (invalid for exp(inf) and tanh(inf))
    and misses some: evaluate re-derives a flagged stretch's (JIT) or
    instruction's (interpreter) flags with scalar libm, so the warnings are
    NumPy's eager evaluation's -- where() counts both sides' -- for a special
    value anywhere (stretch boundaries too), contiguous, strided and in
    place, on 1 and 2 threads; the results stay the vector code's."""
    # a sanitizer build's compiled loops are not vectorised, so a where()'s
    # unselected side is not computed there (README, "Fused expressions")
    lazy_where = ("where" in text and eval_path == "jit"
                  and ("-fsanitize" in os.environ.get("COREWISE_EXTRA_CFLAGS", "")
                       or "libasan" in os.environ.get("LD_PRELOAD", "")))
    n = 2 * 8192 + 77
    base = np.linspace(0.5, 2.0, n).astype(dtype)
    y = base[::-1].copy()
    for s in FLAG_SPECIALS:
        for pos in (0, 8192, n - 1):
            x = base.copy()
            with np.errstate(over="ignore"):
                x[pos] = s   # 1e308: inf in float32
            want = _fp_warnings(lambda: eval(text, dict(_NP_NS), {"x": x, "y": y}))
            with np.errstate(all="ignore"):
                ref = cw.evaluate(text, {"x": x, "y": y})
            xs = np.repeat(x, 2)[::2]
            for t in (1, 2):
                with cw.threads(t):
                    got = _fp_warnings(lambda: cw.evaluate(text, {"x": x, "y": y}))
                    gots = _fp_warnings(lambda: cw.evaluate(text, {"x": xs, "y": y}))
                    if lazy_where:
                        assert set(got) <= set(want) and set(gots) <= set(want)
                        continue
                    assert got == want, (text, s, pos, t)
                    assert gots == want
            out = x.copy()
            goti = _fp_warnings(lambda: cw.evaluate(text, {"x": out, "y": y}, out=out))
            assert set(goti) <= set(want) if lazy_where else goti == want
            assert_same(out, ref)
    with np.errstate(all="ignore"):
        assert_same(ref, eval(text, dict(_NP_NS), {"x": x, "y": y}), "ulp", ulp=8)
