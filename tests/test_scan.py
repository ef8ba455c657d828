"""Scans (cumsum, cumprod, nancumsum, nancumprod and the accumulate backend
of pkg/_scan.py) against NumPy -- bitwise for integers, max/min and rows of
at most one block -- and against math.fsum / exact rationals for float sums
and products, with the bound csrc/scan.c and the README ("Scans") state;
bitwise independence of the thread count and of the layout; NumPy's
dtypes, errors and warnings; fork after a scan."""
import math
import os
import subprocess
import sys
import textwrap
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import corewise as cw
from corewise._lib import lib
from corewise._scan import accumulate
from oracle import assert_same, elements, in_layout, views

from hardening_util import child_env

FUNCS = ["cumsum", "cumprod", "nancumsum", "nancumprod"]
INTS = [np.dtype(t) for t in (np.bool_, np.int8, np.uint8, np.int16, np.int32, np.uint32,
                              np.int64, np.uint64)]
FLOATS = [np.dtype(np.float32), np.dtype(np.float64)]


@pytest.fixture
def block():
    """Set the scan block size for a test (many blocks on small arrays);
    restores the default after."""
    prev = lib.cw_get_scan_block()
    yield lib.cw_set_scan_block
    lib.cw_set_scan_block(prev)


def _axis(data, ndim):
    return data.draw(st.one_of(st.none(), st.integers(-max(ndim, 1), max(ndim, 1) - 1)))


def _both_threads(f):
    """f() at 1 and at 2 threads; asserts both are bitwise equal; returns one."""
    with cw.threads(1):
        one = f()
    with cw.threads(2):
        two = f()
    assert_same(two, one)
    return one


def _quiet(f):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return f()


# ---- exact: integers, max/min, one block --------------------------------------------

@settings(deadline=None, max_examples=150)
@given(st.data())
def test_ints_bitwise_numpy(block, tiny_threshold, data):
    block(data.draw(st.integers(1, 9)))
    a = data.draw(views(st.sampled_from(INTS), max_dims=3, max_side=7))
    name = data.draw(st.sampled_from(FUNCS))
    axis = _axis(data, a.ndim)
    got = _both_threads(lambda: getattr(cw, name)(a, axis=axis))
    assert_same(got, getattr(np, name)(a, axis=axis))


@settings(deadline=None, max_examples=150)
@given(st.data())
def test_max_min_accumulate_bitwise_numpy(block, tiny_threshold, data):
    block(data.draw(st.integers(1, 9)))
    dt = st.sampled_from(FLOATS + [np.dtype(np.int32), np.dtype(np.int64)])
    a = data.draw(views(dt, max_dims=3, max_side=7, broadcast=False))
    if a.ndim == 0:
        a = a.reshape(1)
    name = data.draw(st.sampled_from(["maximum", "minimum"]))
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    got = _both_threads(lambda: _quiet(lambda: accumulate(name, a, axis)))
    assert_same(got, _quiet(lambda: getattr(np, name).accumulate(a, axis)))


@settings(deadline=None, max_examples=100)
@given(st.data())
def test_one_block_is_numpy_serial_scan(tiny_threshold, data):
    """Rows of at most one block (4000): the serial left-to-right scan,
    bitwise NumPy's (specials included)."""
    a = data.draw(views(max_dims=3, max_side=7))
    name = data.draw(st.sampled_from(FUNCS))
    axis = _axis(data, a.ndim)
    got = _both_threads(lambda: _quiet(lambda: getattr(cw, name)(a, axis=axis)))
    assert_same(got, _quiet(lambda: getattr(np, name)(a, axis=axis)))


def test_one_block_long_row_bitwise_numpy():
    x = np.random.default_rng(1).standard_normal(lib.cw_get_scan_block())
    for name in FUNCS:
        assert_same(getattr(cw, name)(x), getattr(np, name)(x))


# ---- floats: the error bound -------------------------------------------------------

def _gamma(n, u):
    return n * u / (1 - n * u)


def _check_sum_bound(x, got, B, dtype):
    """Every prefix k within gamma(2B + k // B) * u * sum_{i<=k}|x_i| of its
    exact value (math.fsum), plus the final rounding of a float32 result."""
    u = np.finfo(dtype).eps / 2
    xs = [float(v) for v in x]
    for k in range(len(xs)):
        exact = math.fsum(xs[:k + 1])
        mag = math.fsum(abs(v) for v in xs[:k + 1])
        tol = _gamma(2 * B + k // B + 1, u) * mag + np.finfo(dtype).smallest_subnormal
        assert abs(float(got[k]) - exact) <= tol, (k, float(got[k]), exact, tol)


def _dtype_and_block(data, block, max_block):
    """A drawn float dtype and scan block size (set for the test)."""
    dtype = data.draw(st.sampled_from(FLOATS))
    B = data.draw(st.integers(1, max_block))
    block(B)
    return dtype, B


def _cancelling(dtype, max_size=150):
    """Finite values with heavy cancellation: big terms and their negatives
    mixed with small ones."""
    big = 2.0 ** 500 if dtype == np.float64 else 2.0 ** 60
    el = st.one_of(st.floats(-big, big, width=8 * np.dtype(dtype).itemsize),
                   st.floats(-1, 1, width=8 * np.dtype(dtype).itemsize))

    @st.composite
    def arrays(draw):
        base = draw(st.lists(el, min_size=1, max_size=max_size // 2))
        vals = base + [-v for v in draw(st.permutations(base))]
        vals = draw(st.permutations(vals))
        return np.array(vals, dtype=dtype)
    return arrays()


@settings(deadline=None, max_examples=120)
@given(st.data())
def test_float_sum_within_bound_of_fsum(block, tiny_threshold, data):
    dtype, B = _dtype_and_block(data, block, 17)
    x = data.draw(_cancelling(dtype))
    v = data.draw(in_layout(x))
    got = _both_threads(lambda: cw.cumsum(v))
    assert got.dtype == dtype
    _check_sum_bound(x, got, B, dtype)
    nan = x.copy()
    nan[data.draw(st.integers(0, len(x) - 1))] = np.nan
    got = _both_threads(lambda: cw.nancumsum(nan))
    assert_same(got, cw.cumsum(np.where(np.isnan(nan), 0, nan).astype(dtype)))


@settings(deadline=None, max_examples=60)
@given(st.data())
def test_float_sum_bound_along_axis(block, tiny_threshold, data):
    dtype, B = _dtype_and_block(data, block, 9)
    rows = data.draw(st.integers(1, 4))
    parts = [data.draw(_cancelling(dtype, 40)) for _ in range(rows)]
    x = np.stack([p[:min(len(q) for q in parts)] for p in parts])
    v = data.draw(in_layout(x))
    got = _both_threads(lambda: cw.cumsum(v, axis=1))
    for r in range(rows):
        _check_sum_bound(x[r], got[r], B, dtype)
    gt = _both_threads(lambda: cw.cumsum(v.T.copy(), axis=0))
    assert_same(gt, got.T)


@settings(deadline=None, max_examples=60)
@given(st.data())
def test_float_prod_within_relative_bound(block, tiny_threshold, data):
    dtype, B = _dtype_and_block(data, block, 9)
    w = 8 * np.dtype(dtype).itemsize
    x = np.array(data.draw(st.lists(st.floats(0.5, 2, width=w) | st.floats(-2, -0.5, width=w),
                                    min_size=1, max_size=80)), dtype)
    got = _both_threads(lambda: cw.cumprod(data.draw(in_layout(x))))
    u = np.finfo(dtype).eps / 2
    p = Fraction(1)
    for k, v in enumerate(x):
        p *= Fraction(float(v))
        tol = _gamma(2 * B + k // B + 1, u) * abs(p)
        assert abs(Fraction(float(got[k])) - p) <= tol, k


# ---- determinism: thread count and layout, large arrays ----------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", FUNCS)
def test_large_bitwise_threads_and_layouts(dtype, name):
    rng = np.random.default_rng(7)
    n = 3 * lib.cw_get_scan_block() * 8 + 11   # several tasks of blocks
    x = rng.uniform(0.999, 1.001, n).astype(dtype) if "prod" in name else \
        rng.standard_normal(n).astype(dtype)
    x[5::977] = np.nan if name.startswith("nan") else x[5::977]
    f = getattr(cw, name)
    ref = _both_threads(lambda: f(x))
    back = x[::-1].copy()[::-1]                 # negative strides, same values
    assert_same(_both_threads(lambda: f(back)), ref)
    big = np.empty(2 * n, dtype)
    big[::2] = x
    assert_same(_both_threads(lambda: f(big[::2])), ref)
    m = x[: n - n % 7].reshape(-1, 7)           # the same rows along axis 0 of the transpose
    assert_same(_both_threads(lambda: f(m.T.copy(), axis=1).T), f(m, axis=0))
    if "sum" in name:
        _check_sum_bound(x[:3000] if not name.startswith("nan") else np.nan_to_num(x[:3000], nan=0.0),
                         ref[:3000], lib.cw_get_scan_block(), dtype)


def test_many_rows_parallel_over_rows():
    x = np.random.default_rng(3).standard_normal((5000, 37))
    got = _both_threads(lambda: cw.cumsum(x, axis=1))
    assert_same(got, np.cumsum(x, axis=1))     # rows of one block: NumPy's bits
    got = _both_threads(lambda: cw.cumsum(x, axis=0))
    assert_same(got, np.cumsum(x, axis=0))     # 5000 > 4000: two blocks per column ...
    with cw.threads(1):
        assert_same(cw.cumsum(np.asfortranarray(x), axis=0), got)


def test_int_wraparound_large():
    x = np.random.default_rng(5).integers(-2**62, 2**62, 200_000, dtype=np.int64)
    for name in FUNCS:
        assert_same(_both_threads(lambda: getattr(cw, name)(x)), getattr(np, name)(x))
    u = x.view(np.uint64)
    assert_same(cw.cumsum(u), np.cumsum(u))
    assert_same(accumulate("maximum", x), np.maximum.accumulate(x))
    i32 = x.astype(np.int32)
    assert_same(accumulate("minimum", i32), np.minimum.accumulate(i32))
    assert_same(cw.cumsum(i32, dtype=np.int32), np.cumsum(i32, dtype=np.int32))


# ---- NumPy's semantics: dtypes, axis, out=, errors ---------------------------------

def _outcome(f):
    with warnings.catch_warnings(record=True) as w, np.errstate(all="warn"):
        warnings.simplefilter("always")
        try:
            r = f()
        except Exception as exc:  # noqa: BLE001 - compared below
            return type(exc), str(exc)
        return r, sorted({str(x.message) for x in w})


A2 = np.arange(12.0).reshape(3, 4)
CASES = [
    ((A2,), {}), ((A2,), {"axis": 0}), ((A2,), {"axis": -1}), ((A2,), {"axis": 2}),
    ((A2,), {"axis": -3}), ((A2,), {"axis": (0,)}), ((A2,), {"axis": 1.0}),
    ((A2,), {"dtype": np.float32}), ((A2,), {"dtype": np.int64}), ((A2,), {"dtype": "foo"}),
    ((A2,), {"dtype": np.int32, "axis": 1}), ((A2,), {"dtype": np.complex128}),
    ((np.float64(3),), {}), ((np.float64(3),), {"axis": 0}), ((np.float64(3),), {"axis": 1}),
    ((5,), {}), (([1, 2, 3],), {}), (([[1.5, 2], [3, 4]],), {"axis": 1}),
    ((np.empty((0, 3)),), {"axis": 0}), ((np.empty((0, 3)),), {}),
    ((np.empty((2, 0), np.int8),), {"axis": 1}),
    ((np.array([1e308, 1e308]),), {}), ((np.array([np.inf, -np.inf]),), {}),
    ((np.array([1e200, 1e200]),), {}), ((np.array([np.nan, 1.0, -0.0]),), {}),
    ((np.array([-0.0, -0.0]),), {}), ((np.float16([1, 2.5, 3]),), {}),
    ((np.array([1 + 2j, 3j]),), {}), ((np.array([1, 2], object),), {}),
    ((np.array(["a", "b"]),), {}), ((np.array([1.5, np.nan, 2.5]),), {"dtype": np.int64}),
    ((np.array([True, True, False]),), {}), ((np.uint8([200, 100]),), {}),
    ((np.arange(6, dtype=">f8"),), {}), ((np.arange(6.0)[::-2],), {"dtype": np.float32}),
]


@pytest.mark.parametrize("name", FUNCS)
@pytest.mark.parametrize("case", range(len(CASES)))
def test_numpy_semantics(name, case):
    args, kw = CASES[case]
    got = _outcome(lambda: getattr(cw, name)(*args, **kw))
    want = _outcome(lambda: getattr(np, name)(*args, **kw))
    if isinstance(want[0], type):
        assert got[0] is want[0] or issubclass(got[0], want[0]), (got, want)
        assert got[1] == want[1]
    elif want[0].dtype == object:  # NumPy's own function ran: compare the objects
        assert got[0].dtype == object and got[0].tolist() == want[0].tolist()
    else:
        assert_same(got[0], want[0])
        assert got[1] == want[1]


OUTS = [
    lambda: np.empty((3, 4)), lambda: np.empty((4, 3)), lambda: np.empty(12),
    lambda: np.empty((3, 4), np.float32), lambda: np.empty((3, 4), np.int64),
    lambda: np.empty((6, 8))[::2, ::2], lambda: np.empty((4, 3)).T, lambda: [0.0] * 12,
    lambda: (np.empty((3, 4)),), lambda: np.zeros((3, 4)).view(np.matrix),
]


@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("k", range(len(OUTS)))
def test_out_as_numpy(axis, k):
    for name in ("cumsum", "nancumprod"):
        o1, o2 = OUTS[k](), OUTS[k]()
        got = _outcome(lambda: getattr(cw, name)(A2, axis=axis, out=o1))
        want = _outcome(lambda: getattr(np, name)(A2, axis=axis, out=o2))
        assert type(got[0]) is type(want[0])
        if isinstance(want[0], type):
            assert got[1] == want[1]
        else:
            assert got[0] is o1
            assert_same(np.asarray(o1), np.asarray(o2))


def test_out_in_place_and_overlapping(block):
    block(3)
    x = np.random.default_rng(2).standard_normal(50)
    want = cw.cumsum(x)
    y = x.copy()
    assert cw.cumsum(y, out=y) is y
    assert_same(y, want)
    z = np.concatenate([x, x])
    cw.cumsum(z[:50], out=z[1:51])               # partial overlap: input read first
    assert_same(z[1:51], want)
    m = np.arange(20.0).reshape(4, 5)
    cw.cumprod(m, axis=0, out=m)
    assert_same(m, np.cumprod(np.arange(20.0).reshape(4, 5), axis=0))


def test_input_not_modified():
    x = np.arange(10.0)
    keep = x.copy()
    cw.cumsum(x)
    cw.nancumprod(x[::-1], out=np.empty(10))
    assert_same(x, keep)


def test_warnings_as_numpy():
    x = np.array([1e308, 1e308, -np.inf])
    with pytest.warns(RuntimeWarning, match="overflow encountered in accumulate"):
        cw.cumsum(x[:2])
    with np.errstate(invalid="raise"):
        with pytest.raises(FloatingPointError, match="invalid value encountered in accumulate"):
            cw.cumsum(np.array([np.inf, -np.inf]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        accumulate("maximum", np.array([np.nan, 1.0]))   # NaN comparisons: no warning
        cw.nancumsum(np.array([np.nan, 1.0]))


# ---- the accumulate backend -------------------------------------------------------

def test_accumulate_native_and_not():
    x = np.random.default_rng(4).standard_normal((30, 3))
    for name in ("add", "multiply", "maximum", "minimum"):
        for axis in (0, 1, -1):
            got = accumulate(name, x, axis)
            assert_same(got, getattr(np, name).accumulate(x, axis))  # rows <= one block
        o = np.empty_like(x)
        assert accumulate(name, x, 0, None, (o,)) is o
        assert_same(o, getattr(np, name).accumulate(x, 0))
    assert_same(accumulate("add", np.int8([100, 100])), np.add.accumulate(np.int8([100, 100])))
    assert_same(accumulate("add", x, 0, np.float32), np.add.accumulate(x, 0, np.float32))
    for args in [("subtract", x), ("add", np.float64(1)), ("add", x, None), ("add", x, 2),
                 ("add", x, 0, "foo"), ("maximum", np.int8([1, 2])), ("add", np.float16([1])),
                 ("add", x.tolist()), ("maximum", x, 0, np.float32),
                 ("add", x, 0, None, np.empty((30, 3), np.float32)),
                 ("add", x, 0, None, np.empty((3, 30)))]:
        assert accumulate(*args) is NotImplemented, args


@pytest.mark.parametrize("name", FUNCS)
def test_masked_and_override_operands_get_numpy(name):
    """A masked array, an np.matrix and a pandas Series are scanned by
    NumPy's own function (its dispatch: MaskedArray.cumsum keeps the mask);
    a dask array stays lazy (dask's own scan)."""
    f, ref = getattr(cw, name), getattr(np, name)
    m = np.ma.masked_array([1.0, 2.0, np.nan, 4.0], mask=[0, 1, 0, 0])
    got, want = f(m), ref(m)
    assert type(got) is np.ma.MaskedArray
    assert_same(got.filled(-7.0), want.filled(-7.0))
    assert np.array_equal(np.ma.getmaskarray(got), np.ma.getmaskarray(want))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        mat = np.asmatrix([[1.0, 2.0], [3.0, 4.0]])
    assert type(f(mat, axis=1)) is np.matrix
    assert_same(np.asarray(f(mat, axis=1)), np.asarray(ref(mat, axis=1)))
    da = pytest.importorskip("dask.array")
    d = da.from_array(np.arange(1.0, 9.0), chunks=3)
    lazy = f(d)
    assert isinstance(lazy, da.Array)
    assert_same(lazy.compute(), ref(np.arange(1.0, 9.0)))
    pd = pytest.importorskip("pandas", reason="pandas is a CPython test extra")
    s = pd.Series([1.0, 2.0, 3.0], index=list("abc"))
    got, want = f(s), ref(s)  # a Series from cumsum, an ndarray from nancumsum
    assert type(got) is type(want)
    if type(want) is pd.Series:
        assert list(got.index) == list("abc")
    assert_same(np.asarray(got), np.asarray(want))


def test_exported():
    for name in FUNCS:
        assert name in cw.__all__ and callable(getattr(cw, name))


# ---- fork safety -------------------------------------------------------------------

FORK_SCRIPT = textwrap.dedent('''
    import os, sys
    import numpy as np, corewise as cw
    x = np.random.default_rng(0).standard_normal(1 << 20)
    cw.set_num_threads(2)
    want = cw.cumsum(x)
    pid = os.fork()
    if pid == 0:
        ok = np.array_equal(cw.cumsum(x), want) and np.array_equal(cw.cumprod(x[:9]), np.cumprod(x[:9]))
        os._exit(0 if ok else 3)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0, status
    assert np.array_equal(cw.cumsum(x), want)
    print("ok")
''')


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_after_parallel_scan():
    r = subprocess.run([sys.executable, "-c", FORK_SCRIPT], capture_output=True, text=True,
                       timeout=120, env=child_env())
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
