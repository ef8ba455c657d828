"""Unary element-wise functions against the NumPy oracle, for every op in
the C table, every dtype NumPy accepts, every memory layout, every thread
count.  Ops whose contract is 0 ULP (correctly rounded, e.g. sqrt) must be
bitwise identical to NumPy."""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import corewise as cw
from oracle import (CONVERTIBLE, FLOATS, UNARY, assert_same, elements, same_as_numpy,
                    specials, views)

# Exact (0 ULP) unary rows with float results; the bool-valued predicates
# and the ULP-bounded rows are tested in test_math.py.
EXACT = [op for op in UNARY if op.max_ulp == 0 and not op.bool_out]
pytestmark = pytest.mark.parametrize("op", EXACT, ids=lambda op: op.name)


def fn(op):
    return getattr(cw, op.name)


def test_table_exports_functions(op):
    f = fn(op)
    assert op.name in cw.functions and f.__name__ == op.name
    assert f.__doc__.startswith(op.doc)
    assert callable(op.ufunc) and op.ufunc.__name__ == op.name


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_special_values(op, dtype):
    x = specials(dtype)
    with np.errstate(all="ignore"):
        want = op.ufunc(x)
        got = fn(op)(x)
    assert_same(got, want)


@pytest.mark.parametrize("dtype", CONVERTIBLE, ids=str)
def test_result_dtype_and_values_per_input_dtype(op, dtype):
    info = np.iinfo(dtype) if dtype.kind in "iu" else None
    if info is not None:
        x = np.array([0, 1, 2, 4, 9, info.max, info.min], dtype=dtype)
    elif dtype.kind == "b":
        x = np.array([True, False, True])
    else:
        x = specials(dtype)
    before = x.copy()
    with np.errstate(all="ignore"):
        same_as_numpy(lambda: fn(op)(x), lambda: op.ufunc(x))
    assert_same(x, before)  # the input is never modified


@given(data=st.data())
def test_any_layout_any_threads(op, data, tiny_threshold):
    x = data.draw(views(dtypes=st.sampled_from(CONVERTIBLE)))
    nthreads = data.draw(st.integers(1, 4))
    before = x.copy()
    with np.errstate(all="ignore"), cw.threads(nthreads):
        same_as_numpy(lambda: fn(op)(x), lambda: op.ufunc(x))
    assert_same(x, before)


@given(data=st.data())
def test_out_any_layout(op, data, tiny_threshold):
    """out= may be any writable view; the input broadcasts to it."""
    y0 = data.draw(views(dtypes=st.sampled_from(FLOATS)))
    if y0.strides and 0 in y0.strides or not y0.flags.writeable:
        y0 = y0.copy()
    out = y0  # a (possibly strided) writable view
    shape = out.shape
    # input: same shape, or a broadcastable suffix of it
    k = data.draw(st.integers(0, len(shape)))
    xshape = tuple(data.draw(st.sampled_from([1, n])) for n in shape[k:])
    dtype = data.draw(st.sampled_from(CONVERTIBLE))
    x = data.draw(hnp.arrays(dtype, xshape, elements=elements(dtype)))
    expect = out.copy()
    nthreads = data.draw(st.integers(1, 4))
    with np.errstate(all="ignore"), cw.threads(nthreads):
        r = same_as_numpy(lambda: fn(op)(x, out=out),
                          lambda: op.ufunc(x, out=expect, casting="same_kind"))
    if r is not None:
        assert r is out
        assert_same(out, expect)


def test_array_likes_and_scalars(op):
    f = fn(op)
    for x in ([1.0, 4.0, 9.0], (2, 3), [[1, 2], [3, 4]], 4.0, 2, True, -1.5,
              np.float32(2.0), np.float64(3.0), np.int64(5), np.array(7.0)):
        with np.errstate(all="ignore"):
            same_as_numpy(lambda: f(x), lambda: op.ufunc(x))


@pytest.mark.parametrize("shape", [(), (0,), (3, 0), (0, 4, 2), (1,), (1, 1, 1)])
@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_zero_d_and_empty(op, shape, dtype):
    x = np.full(shape, 2.0, dtype=dtype)
    assert_same(fn(op)(x), op.ufunc(x))
    out = np.empty(shape, dtype)
    assert fn(op)(x, out=out) is out
    assert_same(out, op.ufunc(x, out=np.empty(shape, dtype)))


@pytest.mark.parametrize("n", [1, 7, 100, 100_003, 1_000_000])
@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_large_parallel_contiguous(op, n, dtype):
    x = np.random.default_rng(n).uniform(-1, 1e6, size=n).astype(dtype)
    with np.errstate(all="ignore"):
        want = op.ufunc(x)
        for t in (1, 2, 3, 4):
            with cw.threads(t):
                assert_same(fn(op)(x), want)


def test_large_strided_views_parallel(op):
    a = np.random.default_rng(0).uniform(0, 100, size=(1000, 1200))
    for v in (a[::-2, 1::3], a.T, a[:, ::-1], np.asfortranarray(a)[3:, 5:],
              np.broadcast_to(a[0], (700, 1200)), a[::3].T[::-1]):
        for t in (1, 2, 4):
            with cw.threads(t):
                assert_same(fn(op)(v), op.ufunc(v))
                out = np.empty(v.shape)[...]
                fn(op)(v, out=out)
                assert_same(out, op.ufunc(v))


def test_in_place(op):
    x = np.random.default_rng(1).uniform(0, 9, size=(300, 301))
    want = op.ufunc(x)
    assert fn(op)(x, out=x) is x
    assert_same(x, want)
    v = np.random.default_rng(2).uniform(0, 9, size=(300, 301))[::2, ::-3]
    want = op.ufunc(v)
    fn(op)(v, out=v)
    assert_same(v, want)


@pytest.mark.parametrize("shift", [1, 2, 5, 50_000, -1, -7, -50_000])
def test_partial_overlap_behaves_like_numpy(op, shift, tiny_threshold):
    n = 200_000
    for t in (1, 2):
        base = np.random.default_rng(3).uniform(0, 9, size=n + abs(shift))
        ref = base.copy()
        if shift > 0:
            x, out, rx, rout = base[shift:], base[:n], ref[shift:], ref[:n]
        else:
            x, out, rx, rout = base[:n], base[-shift:], ref[:n], ref[-shift:]
        op.ufunc(rx, out=rout)
        with cw.threads(t):
            fn(op)(x, out=out)
        assert_same(base, ref)


def test_partial_overlap_strided(op):
    base = np.random.default_rng(4).uniform(0, 9, size=(60, 60))
    ref = base.copy()
    op.ufunc(ref[::2, ::-1], out=ref.T[:30])
    fn(op)(base[::2, ::-1], out=base.T[:30])
    assert_same(base, ref)


def test_out_with_internal_overlap(op):
    """An out whose elements alias (as_strided): NumPy's answer."""
    from numpy.lib.stride_tricks import as_strided
    x = np.arange(1.0, 13.0)
    want_buf, got_buf = np.zeros(8), np.zeros(8)
    want = as_strided(want_buf, shape=(12,), strides=(0,))
    got = as_strided(got_buf, shape=(12,), strides=(0,))
    op.ufunc(x, out=want)
    fn(op)(x, out=got)
    assert_same(got_buf, want_buf)


def test_out_cast_same_kind(op):
    x = np.array([2.0, 3.0, 1e300, -1.0])
    for odt in (np.float32, np.float16, np.complex128, np.longdouble):
        want = np.zeros(4, odt)
        got = np.zeros(4, odt)
        with np.errstate(all="ignore"):
            op.ufunc(x, out=want)
            fn(op)(x, out=got)
        assert_same(got, want)
    # float16 results computed in float32 then rounded once, as NumPy does
    xi = np.arange(-3, 200, dtype=np.int8)
    for odt in (np.float16, np.float32, np.float64):
        want, got = np.zeros(xi.shape, odt), np.zeros(xi.shape, odt)
        with np.errstate(all="ignore"):
            op.ufunc(xi, out=want)
            fn(op)(xi, out=got)
        assert_same(got, want)


def test_out_tuple_and_positional(op):
    x = np.array([4.0, 9.0])
    out = np.empty(2)
    assert fn(op)(x, (out,)) is out
    assert_same(out, op.ufunc(x))
    out2 = np.empty(2)
    assert fn(op)(x, out2) is out2


@pytest.mark.filterwarnings("ignore:divide by zero")  # reciprocal(0)
def test_byte_swapped_input_and_out(op):
    x = np.array([1.0, 4.0, 2.0, np.nan, -0.0, 0.5], dtype=">f8")
    assert_same(fn(op)(x), op.ufunc(x))
    out_w, out_g = np.zeros(6, ">f4"), np.zeros(6, ">f4")
    op.ufunc(x, out=out_w)
    fn(op)(x, out=out_g)
    assert_same(out_g, out_w)


@pytest.mark.filterwarnings("ignore:divide by zero")  # reciprocal(0)
def test_memmap(op, tmp_path):
    mm = np.memmap(tmp_path / "a.bin", dtype=np.float64, mode="w+", shape=(1000,))
    mm[:] = np.arange(1000.0)
    r = fn(op)(mm)
    assert type(r) is np.ndarray
    assert_same(r, op.ufunc(np.asarray(mm)))
    fn(op)(mm, out=mm)
    assert_same(np.asarray(mm), r)


ZERO_COPY_SCRIPT = """
import resource, sys
import numpy as np, corewise as cw
op = getattr(cw, sys.argv[1])
a = np.random.default_rng(5).uniform(size=(4000, 4000))   # 128 MB
v = a[::2, ::-2]                                           # 4M elements: 32 MB if copied
out = np.full(v.shape, 0.5)                               # pages touched now
op(v[:2, :2], out=out[:2, :2])                             # warm up (dtype caches)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
op(v, out=out)
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
ok = np.array_equal(out, op.op.ufunc(v), equal_nan=True)
print(grown, ok)
"""


def test_strided_input_is_not_copied(op):
    """Zero-copy: a strided view is read in place -- the peak RSS does not
    grow by the 32 MB a copy of the input would take (works on CPython and
    PyPy alike, unlike tracemalloc)."""
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-c", ZERO_COPY_SCRIPT, op.name],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    grown_kb, ok = r.stdout.split()
    assert ok == "True"
    assert int(grown_kb) < 8 * 1024, f"peak RSS grew by {grown_kb} kB"


def test_from_buffer_only_sees_c_contiguous_arrays(op, fast_path_buffers):
    import corewise._ufunc as u
    # the fast path binds _fb when the function is made: make a fresh one
    f = u.make_unary(op)
    a = np.random.default_rng(6).uniform(size=(40, 50))
    for v in (a, a.T, a[::2], a[:, ::-1], np.asfortranarray(a), np.broadcast_to(a[0], (3, 50))):
        assert_same(f(v), op.ufunc(v))
        out = np.empty(v.shape)
        f(v, out=out)
        assert_same(out, op.ufunc(v))
        fo = np.empty(v.shape, order="F")
        f(v, out=fo)
        assert_same(fo, op.ufunc(v))
        ro = np.zeros(v.shape)
        ro.flags.writeable = False
        with pytest.raises(ValueError, match="read-only"):
            f(v, out=ro)
        assert not ro.any()
    assert fast_path_buffers


@pytest.mark.parametrize("layout", ["contig", "strided", "out", "cast"])
def test_floating_point_errors_follow_errstate(op, layout):
    """Invalid results are reported like NumPy: warn by default, raise,
    ignore or call per np.errstate -- from the fast and general paths."""
    x = np.array([-1.0, 4.0, -np.inf, 9.0] * 10)
    if layout == "strided":
        x = x[::-3]
    kw = {"out": np.empty(x.shape)} if layout == "out" else {}
    if layout == "cast":
        kw = {"out": np.empty(x.shape, np.float32)}  # temporary + cast path
    with np.errstate(invalid="ignore"):
        want_silent = op.ufunc(x, **{k: v.copy() for k, v in kw.items()})
    try:  # NumPy decides: a NaN result is not always "invalid" (spacing(inf))
        with np.errstate(invalid="raise"):
            op.ufunc(x, **{k: v.copy() for k, v in kw.items()})
        numpy_warns = False
    except FloatingPointError:
        numpy_warns = True
    if not numpy_warns:
        # no invalid value for this op on these inputs: none is reported
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(all="raise"):
                assert_same(fn(op)(x, **kw), op.ufunc(x, **kw))
        return
    with pytest.warns(RuntimeWarning, match=f"invalid value encountered in {op.name}"):
        fn(op)(x, **kw)
    with np.errstate(invalid="raise"), pytest.raises(FloatingPointError, match=op.name):
        fn(op)(x, **kw)
    calls = []
    with np.errstate(invalid="call"):
        old = np.seterrcall(lambda msg, flag: calls.append(msg))
        try:
            fn(op)(x, **kw)
        finally:
            np.seterrcall(old)
    assert calls == [f"invalid value encountered in {op.name}"]
    with np.errstate(invalid="ignore"):
        assert_same(fn(op)(x, **kw), want_silent)


@pytest.mark.filterwarnings("ignore:divide by zero")  # reciprocal(0)
def test_plain_subclass_and_memmap_views(op, tmp_path):
    class Plain(np.ndarray):
        pass

    x = np.arange(6.0).view(Plain)
    r = fn(op)(x)
    assert type(r) is type(op.ufunc(x)) is Plain  # NumPy's wrapping (its twin computes it)
    assert_same(r.view(np.ndarray), op.ufunc(np.arange(6.0)))
    out = np.empty(6).view(Plain)
    assert fn(op)(x, out=out) is out
    assert_same(out.view(np.ndarray), r.view(np.ndarray))
    # np.memmap: NumPy's __array_wrap__ returns a plain array; corewise computes it
    m = np.memmap(tmp_path / "m.bin", dtype=np.float64, mode="w+", shape=(6,))
    m[:] = np.arange(6.0)
    r = fn(op)(m)
    assert type(r) is type(op.ufunc(m)) is np.ndarray
    assert_same(r, op.ufunc(np.arange(6.0)))
