"""Reductions and selections against NumPy (exact where the result is exact:
min/max/arg*/count/integer sums/selections) and math.fsum (float sums, with
the error bound the README states); bitwise independence of the thread
count; NumPy's errors, warnings and empty-input behaviour; > 2**31 elements."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import corewise as cw
from corewise._lib import lib
from corewise._reduce import AxisError, REDUCTIONS
from oracle import FLOATS, assert_same, elements, views

INTS = [np.dtype(t) for t in (np.bool_, np.int8, np.uint8, np.int32, np.uint32, np.int64, np.uint64)]
ALL = FLOATS + [np.dtype(np.float16)] + INTS
EXACT = [op.name for op in REDUCTIONS if op.kind in ("sel", "arg", "count")]
SUMS = [op.name for op in REDUCTIONS if op.kind in ("sum", "mean")]


@pytest.fixture
def tiny_blocks(tiny_threshold):
    """Blocks of 64 elements and a tiny serial threshold: small hypothesis
    arrays are split into many blocks and really run on several threads."""
    prev = lib.cw_set_reduce_block(64)
    try:
        yield
    finally:
        lib.cw_set_reduce_block(prev)


def _bound(n, dtype):
    """Relative (to sum |x|) error bound of a corewise float sum of n terms."""
    levels = 12 + max(0, math.ceil(math.log2(max(n, 1) / 256)))
    b = levels * np.finfo(np.float64).eps
    if np.dtype(dtype) != np.float64:
        b += np.finfo(dtype).eps  # the final rounding to float32/float16
    return b


def _call(fn, *args, **kw):
    with warnings.catch_warnings(record=True) as w, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        try:
            return fn(*args, **kw), sorted({str(x.message) for x in w})
        except Exception as exc:  # noqa: BLE001 - compared below
            return exc, None


def _axis(data, ndim, tuples=True):
    choices = [st.none()]
    if ndim:
        choices.append(st.integers(-ndim, ndim - 1))
        if tuples:
            choices.append(st.lists(st.integers(0, ndim - 1), unique=True).map(tuple))
    return data.draw(st.one_of(*choices))


@pytest.mark.parametrize("name", EXACT)
@given(data=st.data())
def test_exact_reductions_match_numpy(name, data, tiny_blocks):
    x = data.draw(views(dtypes=st.sampled_from(ALL)))
    op = getattr(np, name)
    axis = _axis(data, x.ndim, tuples=name not in ("argmin", "argmax"))
    keepdims = data.draw(st.booleans())
    before = x.copy()
    with cw.threads(data.draw(st.integers(1, 4))):
        got, gw = _call(getattr(cw, name), x, axis=axis, keepdims=keepdims)
    want, ww = _call(op, x, axis=axis, keepdims=keepdims)
    if isinstance(want, Exception):
        assert type(got) is type(want), (got, want)
    else:
        assert not isinstance(got, Exception), got
        # NaN == NaN; the sign of a zero min/max may differ (NumPy's own
        # choice between tied -0.0 and 0.0 depends on its SIMD loop)
        assert_same(got, want, "signed-zero-free")
        assert gw == ww
    assert_same(x, before)


@pytest.mark.parametrize("name", SUMS)
@given(data=st.data())
def test_sums_match_numpy_within_the_bound(name, data, tiny_blocks):
    x = data.draw(views(dtypes=st.sampled_from(ALL)))
    axis = _axis(data, x.ndim)
    keepdims = data.draw(st.booleans())
    with cw.threads(data.draw(st.integers(1, 4))):
        got, gw = _call(getattr(cw, name), x, axis=axis, keepdims=keepdims)
    want, ww = _call(getattr(np, name), x, axis=axis, keepdims=keepdims)
    assert type(got) is type(want)
    g, w = np.asarray(got), np.asarray(want)
    assert g.dtype == w.dtype and g.shape == w.shape
    if g.dtype.kind in "iu" or name == "prod":
        if g.dtype.kind in "iu":
            assert_same(got, want)
        return
    n = max(x.size // max(g.size, 1), 1)
    with np.errstate(all="ignore"):
        xa = np.abs(x.astype(np.float64))
        if name == "nansum":
            xa = np.where(np.isnan(xa), 0, xa)
        scale = np.sum(xa, axis=axis, keepdims=keepdims)
        if name == "mean":
            scale = scale / n
    g64, w64 = g.astype(np.float64), w.astype(np.float64)
    finite = np.isfinite(w64) & np.isfinite(scale)
    # NumPy's own error is up to its bound too: allow both
    tol = (_bound(n, g.dtype) + (18 + math.log2(n + 1)) * np.finfo(g.dtype).eps) * scale
    with np.errstate(all="ignore"):
        err = np.abs(g64 - w64)
    assert np.all(err[finite] <= tol[finite] * 1.01 + 1e-300)
    # the non-finite outcomes where the finite elements cannot overflow in
    # any order (else one order gives inf - inf = NaN where another sums to
    # 0: [2^1023, -2^1023, 2^1023, -2^1023] is NaN pairwise, 0 in order)
    with np.errstate(all="ignore"):
        fscale = np.sum(np.where(np.isfinite(xa), xa, 0), axis=axis, keepdims=keepdims)
    det = ~finite & (fscale < np.finfo(g.dtype).max / 4)
    assert np.array_equal(np.isnan(g64[det]), np.isnan(w64[det]))
    if g.dtype == np.float64:
        inf = np.isinf(w64) & det
        assert np.array_equal(g64[inf], w64[inf])


def _ill_conditioned(data, dtype):
    """Sums with massive cancellation: big values, their negatives, tiny ones."""
    fi = np.finfo(dtype)
    big = st.floats(-float(fi.max) / 2**12, float(fi.max) / 2**12, allow_nan=False,
                    allow_infinity=False, width=fi.bits)
    vals = data.draw(st.lists(big, min_size=0, max_size=300))
    vals = vals + [-v for v in vals] + data.draw(
        st.lists(st.floats(-1, 1, width=fi.bits), max_size=50))
    return np.array(data.draw(st.permutations(vals)), dtype=dtype)


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@given(data=st.data())
def test_sum_against_fsum(dtype, data, tiny_blocks):
    if data.draw(st.booleans()):
        x = _ill_conditioned(data, dtype)
    else:
        x = data.draw(hnp.arrays(dtype, st.integers(0, 3000),
                                 elements=hnp.from_dtype(dtype, allow_nan=False,
                                                         allow_infinity=False,
                                                         max_value=2.0**100, min_value=-2.0**100)))
    got = cw.sum(x)
    exact = math.fsum(x.astype(np.float64).tolist())
    bound = _bound(x.size, dtype) * math.fsum(np.abs(x.astype(np.float64)).tolist())
    assert abs(float(got) - exact) <= bound + 1e-300
    if dtype == np.float32:
        # accumulated in float64: within one float32 rounding of the exact sum
        assert abs(float(got) - exact) <= np.spacing(np.float32(abs(exact))) + bound
    if x.size:
        m = cw.mean(x)
        assert abs(float(m) - exact / x.size) <= bound / x.size + abs(exact / x.size) * 4e-16 \
            + (float(np.spacing(np.float32(abs(exact / x.size)))) if dtype == np.float32 else 0)


@pytest.mark.parametrize("name", [op.name for op in REDUCTIONS])
@given(data=st.data())
def test_bitwise_independent_of_thread_count(name, data, tiny_blocks):
    x = data.draw(views(dtypes=st.sampled_from(FLOATS + INTS[:1]), max_side=12))
    if x.size == 0:
        return
    axis = _axis(data, x.ndim, tuples=False)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = []
        for t in (1, 2, 3, 4):
            with cw.threads(t):
                results.append(getattr(cw, name)(x, axis=axis))
    for r in results[1:]:
        assert_same(r, results[0])


SEL_NAMES = ["max", "min", "nanmax", "nanmin", "argmax", "argmin"]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n", [1, 2, 31, 33, 255, 256, 257, 513, 700])
def test_selection_fast_path_edges(dtype, n):
    """The float max/min kernels take a hardware max/min path unless a chunk
    holds a NaN: a NaN (or an inf, or tied zeros) at any position of any
    chunk, full or partial, gives NumPy's value, and the contiguous path (one
    call per task) the same bits as the gathered one (one call per chunk)."""
    rng = np.random.default_rng(n)
    base = rng.standard_normal(n).astype(dtype)
    spots = sorted({0, min(n - 1, 1), n // 2, n - 1, min(n - 1, 127), min(n - 1, 256)})
    cases = [base, np.zeros(n, dtype), np.where(np.arange(n) % 2, -0.0, 0.0).astype(dtype)]
    for i in spots:
        for v in (np.nan, np.inf, -np.inf):
            c = base.copy()
            c[i] = v
            cases.append(c)
    c = base.copy()
    c[spots] = np.nan
    cases.append(c)
    for x in cases:
        strided = np.repeat(x, 2)[::2]       # the same values, not contiguous
        for name in SEL_NAMES:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                got, want = getattr(cw, name)(x), getattr(np, name)(x)
                assert_same(got, want, "signed-zero-free")
                assert_same(getattr(cw, name)(strided), got)


def _scan_cases(dtype, n, rng):
    """Arrays that steer the one-pass selection scans down each of their
    paths: NaNs (with payloads) around chunk (256), scan-block (4096) and
    task (8192) boundaries, all-NaN, a planted extreme tied across blocks
    and lanes, tied zeros of both signs as the max/min, infinities."""
    uint = np.uint32 if np.dtype(dtype) == np.float32 else np.uint64
    base = rng.uniform(-1, 1, n).astype(dtype)
    spots = sorted({i for i in (0, 1, 31, 255, 256, 257, 4095, 4096, 4097, 8191, 8192, 8193,
                                n // 2, n - 2, n - 1) if 0 <= i < n})
    cases = [base, np.full(n, np.nan, dtype), np.full(n, -np.inf, dtype)]
    for i in spots:
        c = base.copy()
        c[i] = np.nan
        cases.append(c)
        c = c.copy()                      # a second NaN, another payload and sign
        j = (i * 7 + 3) % n
        c[j] = -np.nan
        c.view(uint)[j] |= 5
        cases.append(c)
        for v in (np.inf, -np.inf):
            c = base.copy()
            c[i] = v
            cases.append(c)
    for k in (2, 5):                      # the extreme tied at several places
        c = base.copy()
        at = rng.choice(n, size=min(n, k), replace=False)
        c[at] = 2.0
        c[rng.choice(n, size=min(n, k), replace=False)] = -2.0
        cases.append(c)
    z = np.where(rng.random(n) < 0.5, -0.0, 0.0).astype(dtype)
    neg = -np.abs(base)
    neg[rng.choice(n, size=min(n, 3), replace=False)] = 0.0
    neg[rng.choice(n, size=min(n, 3), replace=False)] = -0.0
    cases += [z, neg, -neg, np.where(base > 0.9, np.nan, z).astype(dtype)]
    return cases


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n", [1000, 4096, 4097, 8191, 8192, 8193, 20000, 70001])
@pytest.mark.parametrize("block", [0, 64])
def test_selection_scans(dtype, n, block):
    """The contiguous max/min/arg* kernels scan whole ranges in one pass and
    fall back to the chunk kernels on a NaN or a zero extreme; the gathered
    layouts (strided, reversed, 2-D) run the chunk kernels alone.  NumPy's
    values and first-occurrence indices, and the same bits (NaN payloads,
    the sign of a zero) for every layout and thread count."""
    rng = np.random.default_rng(n + block)
    prev = lib.cw_set_reduce_block(block)
    try:
        for x in _scan_cases(dtype, n, rng):
            layouts = [np.repeat(x, 2)[::2], x[::-1].copy()[::-1]]
            if n % 4 == 0:
                layouts.append(np.repeat(x.reshape(4, -1), 2, axis=1)[:, ::2])
            for name in SEL_NAMES:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    f = getattr(cw, name)
                    got = f(x)
                    assert_same(got, getattr(np, name)(x),
                                "bitwise" if name.startswith("arg") else "signed-zero-free")
                    with cw.threads(2):
                        assert_same(f(x), got)
                    for v in layouts:
                        assert_same(f(v), got)
    finally:
        lib.cw_set_reduce_block(prev)


def _merged_edges(n):
    """Boundaries of the merged tasks for 1-4 threads (8192-element tasks,
    at most 4 per thread after merging), and of the scan's lanes (a float32
    zmm holds 16, a scan step 2 x 2 vectors)."""
    ntasks = -(-n // 8192)
    edges = set()
    for nt in (2, 3, 4):
        g = -(-ntasks // (4 * nt))
        edges.update(range(0, n, 8192 * g))
    for e in sorted(edges):
        for d in (-65, -64, -33, -32, -17, -16, -1, 0, 1, 15, 16, 31, 32, 63, 64):
            if 0 <= e + d < n:
                yield e + d


@pytest.mark.parametrize("dtype", FLOATS)
def test_selection_merged_tasks(dtype):
    """Contiguous selections merge their tasks (1 for a serial call, at most
    4 per thread): an extreme tied on both sides of a merged-task or a lane
    boundary, a NaN at each such spot (the first NaN when there are two),
    tied zeros of both signs as the extreme -- NumPy's values and first
    indices, and the same bits for 1-4 threads and the gathered (chunk
    kernel) layout."""
    n = 300001
    rng = np.random.default_rng(11)
    base = rng.uniform(-1, 1, n).astype(dtype)
    spots = list(_merged_edges(n))
    cases = []
    for i in spots[::3]:
        c = base.copy()
        c[i] = c[min(n - 1, i + 16)] = c[min(n - 1, i + 64)] = 3.0   # ties: the first wins
        c[max(0, i - 1)] = c[i + 1 if i + 1 < n else i] = -3.0
        cases.append(c)
        c = base.copy()
        c[i] = np.nan
        c[min(n - 1, i + 32)] = -np.nan
        cases.append(c)
    z = -np.abs(base)
    z[spots[::7]] = 0.0
    z[spots[3::7]] = -0.0
    cases += [z, -z]
    for x in cases:
        strided = np.repeat(x, 2)[::2]
        for name in SEL_NAMES:
            f = getattr(cw, name)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                with cw.threads(1):
                    got = f(x)
                assert_same(got, getattr(np, name)(x),
                            "bitwise" if name.startswith("arg") else "signed-zero-free")
                for t in (2, 3, 4):
                    with cw.threads(t):
                        assert_same(f(x), got)
                assert_same(f(strided), got)


def test_nansum_float32_is_the_sum_with_nans_zeroed():
    """nansum float32 tests NaN on the bits: every NaN (any sign or payload)
    counts as +0.0 and nothing else changes -- bitwise the sum of the array
    with its NaNs replaced by 0.0 (the same decomposition), any threads."""
    rng = np.random.default_rng(5)
    for n in (1, 31, 32, 33, 257, 8193, 100003):
        x = (rng.standard_normal(n) * 10.0 ** rng.integers(-30, 30, n)).astype(np.float32)
        bits = x.view(np.uint32)
        at = rng.choice(n, size=max(1, n // 20), replace=False)
        bits[at] = 0x7F800000 | rng.integers(1, 1 << 23, at.size).astype(np.uint32)
        bits[at[::2]] |= np.uint32(0x80000000)
        x[rng.choice(n, size=max(1, n // 50), replace=False)] = -0.0
        x[rng.choice(n, size=max(1, n // 90), replace=False)] = np.inf
        want = cw.sum(np.where(np.isnan(x), np.float32(0.0), x))
        for t in (1, 2):
            with cw.threads(t):
                assert_same(cw.nansum(x), want)
                assert_same(cw.nansum(x[::-1].copy()[::-1]), want)


def test_dot_fast_path_same_bits():
    """Two contiguous float vectors take dot's fast path: the same bits as
    the general path (strided views of the same values), any threads."""
    rng = np.random.default_rng(6)
    for dtype in FLOATS:
        for n in (1, 31, 32, 33, 255, 256, 257, 8193, 100003):
            a = (rng.standard_normal(n) * 10.0 ** rng.integers(-8, 8, n)).astype(dtype)
            b = rng.standard_normal(n).astype(dtype)
            want = cw.dot(np.repeat(a, 2)[::2], np.repeat(b, 2)[::2])
            assert type(want) is type(np.dot(a, b))
            for t in (1, 2, 3):
                with cw.threads(t):
                    assert_same(cw.dot(a, b), want)
                    assert_same(cw.dot(a, a), cw.dot(a, a.copy()))


@pytest.mark.parametrize("vdtype", [np.uint8, np.int16, np.float32, np.float64, np.complex128])
def test_extract_compress_items(vdtype, tiny_threshold):
    """extract/compress copy 1/2/4/8-byte items branch-free (byte conditions
    8 at a time) and wider ones item by item: NumPy's result for bool and
    integer conditions, contiguous, reversed and strided, values unaligned,
    runs of true at block ends, 1-3 threads and several blocks."""
    rng = np.random.default_rng(np.dtype(vdtype).itemsize)
    prev = lib.cw_set_reduce_block(64)
    try:
        for n in (1, 7, 8, 9, 64, 65, 1000, 4099):
            v = (rng.random(n) * 100).astype(vdtype)
            raw = np.frombuffer(b"\0" + v.tobytes(), dtype=v.dtype, count=n, offset=1)
            for p in (0.0, 0.1, 0.5, 0.97, 1.0):
                c = rng.random(n) < p
                c[-3:] = True                      # a run of true at the end
                conds = [c, c.view(np.uint8) * np.uint8(rng.integers(1, 255)),
                         np.repeat(c, 2)[::2], c.astype(np.int32)]
                for cond in conds:
                    for vals in (v, raw, v[::-1].copy()[::-1], np.repeat(v, 3)[::3]):
                        want = np.extract(cond, vals)
                        for t in (1, 2, 3):
                            with cw.threads(t):
                                assert_same(cw.extract(cond, vals), want)
                                if cond.dtype == bool:
                                    assert_same(cw.compress(cond, vals), np.compress(cond, vals))
    finally:
        lib.cw_set_reduce_block(prev)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 63, 64, 65, 200, 1000])
def test_count_and_nonzero_bytes(n, tiny_blocks):
    """Byte-wide truth is tested 8 bytes at a time: every byte value, any
    start offset and length, blocks of 64 elements (tiny_blocks)."""
    rng = np.random.default_rng(n)
    raw = rng.choice(np.array([0, 0, 0, 1, 2, 127, 128, 255], np.uint8), n + 3)
    for x in (raw[:n], raw[1:n + 1], raw[3:n + 3], raw[:n].view(bool)):
        for t in (1, 2, 3):
            with cw.threads(t):
                assert cw.count_nonzero(x) == np.count_nonzero(x)
                assert_same(cw.flatnonzero(x), np.flatnonzero(x))
                if n % 5 == 0 and n:
                    m = x.reshape(5, -1)
                    for g, w in zip(cw.nonzero(m), np.nonzero(m), strict=True):
                        assert_same(g, w)


@given(data=st.data())
def test_dot_against_fsum_and_threads(data, tiny_blocks):
    dtype = data.draw(st.sampled_from(FLOATS))
    n = data.draw(st.integers(0, 2000))
    el = hnp.from_dtype(dtype, allow_nan=False, allow_infinity=False, min_value=-2.0**33,
                        max_value=2.0**33)
    a = data.draw(hnp.arrays(dtype, 2 * n, elements=el))[::2]
    b = data.draw(hnp.arrays(dtype, n, elements=el))
    got = [None] * 3
    for t in (1, 2, 3):
        with cw.threads(t):
            got[t - 1] = cw.dot(a, b)
    assert got[0] == got[1] == got[2] and type(got[0]) is type(np.dot(a, b))
    prods = (a.astype(np.float64) * b.astype(np.float64))
    if dtype == np.float64:
        exact = math.fsum(prods.tolist())  # of the rounded products
        bound = (_bound(n, dtype) + 2**-53) * math.fsum(np.abs(prods).tolist())
    else:
        exact = math.fsum(prods.tolist())  # float32 products are exact in float64
        bound = _bound(n, dtype) * math.fsum(np.abs(prods).tolist())
    # + half the result dtype's smallest subnormal: the final rounding of a
    # float32 dot may underflow (products of 4.7e-29 sum to 2.2e-57 -> 0.0)
    tiny = float(np.finfo(np.asarray(got[0]).dtype).smallest_subnormal) / 2
    assert abs(float(got[0]) - exact) <= bound + tiny + 1e-300


def test_dot_errors_and_ints():
    assert cw.dot(np.arange(5), np.arange(5)) == np.dot(np.arange(5), np.arange(5))
    with pytest.raises(ValueError, match="not aligned"):
        cw.dot(np.ones(3), np.ones(4))
    # N-d operands: NumPy's np.dot (tests/test_reduce_numpy.py)
    assert_same(cw.dot(np.ones((2, 2)), np.ones(2)), np.dot(np.ones((2, 2)), np.ones(2)))
    assert cw.dot(np.ones(0), np.ones(0)) == 0.0


# ---- NumPy's errors, warnings and special cases ------------------------------

@pytest.mark.parametrize("name", [op.name for op in REDUCTIONS])
def test_axis_errors(name):
    f = getattr(cw, name)
    with pytest.raises(AxisError):
        f(np.ones((2, 3)), axis=2)
    with pytest.raises(AxisError):
        f(np.ones((2, 3)), axis=-3)
    with pytest.raises(TypeError):
        f(np.ones(3), axis=1.5)
    if name not in ("argmin", "argmax"):
        with pytest.raises(ValueError, match="duplicate"):
            f(np.ones((2, 3)), axis=(0, -2))
    else:
        with pytest.raises(TypeError):
            f(np.ones((2, 3)), axis=(0,))


@pytest.mark.parametrize("name", [op.name for op in REDUCTIONS])
@pytest.mark.parametrize("shape,axis", [((0,), None), ((0, 3), 0), ((0, 3), 1),
                                        ((3, 0), 0), ((3, 0), None), ((0, 0), 1)])
def test_empty_as_numpy(name, shape, axis):
    x = np.zeros(shape)
    got, gw = _call(getattr(cw, name), x, axis=axis)
    want, ww = _call(getattr(np, name), x, axis=axis)
    if isinstance(want, Exception):
        assert type(got) is type(want)
        assert str(got) == str(want)
    else:
        assert_same(got, want, "signed-zero-free")
        assert [m.rstrip(".") for m in gw] == [m.rstrip(".") for m in ww] or \
            name == "mean"  # NumPy says "scalar divide" for a scalar


def test_warnings_as_numpy():
    with pytest.warns(RuntimeWarning, match="All-NaN slice"):
        assert np.isnan(cw.nanmax(np.array([np.nan, np.nan])))
    with pytest.warns(RuntimeWarning, match="Mean of empty slice"), np.errstate(invalid="ignore"):
        assert np.isnan(cw.mean(np.array([])))
    with pytest.warns(RuntimeWarning), np.errstate(invalid="raise"), \
            pytest.raises(FloatingPointError, match="invalid value encountered in divide"):
        cw.mean(np.zeros((0, 2)), axis=0)
    with pytest.warns(RuntimeWarning, match="overflow encountered in reduce"):
        assert cw.sum(np.array([1e308, 1e308])) == np.inf
    with np.errstate(invalid="raise"), pytest.raises(FloatingPointError):
        cw.sum(np.array([np.inf, -np.inf]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(cw.max(np.array([1.0, np.nan])))  # no warning, as NumPy
        assert cw.argmax(np.array([1.0, np.nan, np.nan])) == 1


def test_out_and_keepdims():
    x = np.arange(12.0).reshape(3, 4)
    out = np.zeros(4)
    assert cw.sum(x, axis=0, out=out) is out
    assert_same(out, np.sum(x, axis=0))
    o2 = np.zeros((1, 4), np.float32)
    cw.max(x, axis=0, keepdims=True, out=o2)
    assert_same(o2, np.max(x, axis=0, keepdims=True).astype(np.float32))
    oi = np.zeros(3, np.int64)
    cw.argmax(x, axis=1, out=oi)
    assert_same(oi, np.argmax(x, axis=1))
    with pytest.raises(ValueError, match="shape"):
        cw.sum(x, axis=0, out=np.zeros(3))
    with pytest.raises(TypeError, match="same_kind"):
        cw.sum(x, axis=0, out=np.zeros(4, np.int64))
    assert type(cw.sum(x)) is np.float64 and type(cw.count_nonzero(x)) is type(np.count_nonzero(x))
    # timedelta (no native loop): NumPy's own reduction, its result
    td = np.arange(3).astype("m8[s]")
    assert cw.sum(td) == np.sum(td) and type(cw.sum(td)) is type(np.sum(td))
    assert cw.argmax(td) == np.argmax(td) and cw.max(td) == np.max(td)


# ---- selections -----------------------------------------------------------

SEL_DTYPES = ALL + [np.dtype(np.complex128), np.dtype(">f8")]


@given(data=st.data())
def test_selections_match_numpy(data, tiny_blocks):
    dt = data.draw(st.sampled_from(SEL_DTYPES))
    x = data.draw(views(dtypes=st.just(dt)))
    if data.draw(st.booleans()) and dt.kind != "c":
        x = x.copy()  # plenty of zeros and -0.0
        flat = x.reshape(-1)
        flat[::2] = -0.0 if dt.kind == "f" else 0
        x = flat.reshape(x.shape)
    with cw.threads(data.draw(st.integers(1, 4))):
        if x.ndim:
            for g, w in zip(cw.nonzero(x), np.nonzero(x), strict=True):
                assert_same(g, w)
        else:
            with pytest.raises(ValueError):
                cw.nonzero(x)
        assert_same(cw.flatnonzero(x), np.flatnonzero(x))
        assert cw.count_nonzero(x) == np.count_nonzero(x)
        cond = data.draw(views(dtypes=st.just(np.dtype(bool))))
        vals = x if x.shape == cond.shape else \
            np.arange(cond.size).astype(dt).reshape(cond.shape)
        if vals.ndim:
            vals = vals[..., ::-1]
        assert_same(cw.extract(cond, vals), np.extract(cond, vals))
        c1 = cond.reshape(-1)
        assert_same(cw.compress(c1, vals), np.compress(c1, vals))
        if vals.ndim:
            ax = data.draw(st.integers(-vals.ndim, vals.ndim - 1))
            c2 = c1[:vals.shape[ax]]
            assert_same(cw.compress(c2, vals, axis=ax), np.compress(c2, vals, axis=ax))


def test_selection_errors_as_numpy():
    with pytest.raises(ValueError, match="1-d"):
        cw.compress(np.ones((2, 2), bool), np.ones(4))
    with pytest.raises(IndexError):
        cw.compress([True, False, True], [1, 2])
    assert_same(cw.compress([True, False], [1, 2, 3]), np.compress([True, False], [1, 2, 3]))
    assert_same(cw.extract([1, 0, 1], np.arange(5)), np.extract([1, 0, 1], np.arange(5)))
    assert_same(cw.flatnonzero(np.array(3.0)), np.flatnonzero(np.array(3.0)))
    assert_same(cw.extract(np.array(1), np.array(3)), np.extract(np.array(1), np.array(3)))


def test_large_selection_default_blocks():
    rng = np.random.default_rng(5)
    b = rng.random(300_000) < 0.5
    for t in (1, 2):
        with cw.threads(t):
            assert_same(cw.nonzero(b)[0], np.nonzero(b)[0])
            x = rng.standard_normal((500, 700))[:, ::-1]
            assert_same(cw.extract(x > 0, x), np.extract(x > 0, x))


# ---- more than 2**31 elements (zero-stride views: no memory) ---------------

def test_more_than_2_31_elements():
    row = (np.arange(2**16) % 7).astype(np.float64)
    big = np.broadcast_to(row, (2**15 + 3, 2**16))  # 2**31 + 196608 elements
    assert big.size > 2**31
    want = float(row.sum()) * big.shape[0]  # exact: small integers
    assert cw.sum(big) == want
    assert cw.count_nonzero(big) == np.count_nonzero(row) * big.shape[0]
    assert cw.argmax(big) == int(np.argmax(row))
    mask = np.arange(2**16) % 3 == 0
    b = np.broadcast_to(mask, (2**15 + 1, 2**16))
    assert cw.count_nonzero(b) == np.count_nonzero(mask) * b.shape[0]
    assert_same(cw.count_nonzero(b, axis=1), np.full(b.shape[0], np.count_nonzero(mask)))


def test_float32_result_rounding_overflow_warns_as_numpy():
    """A float32 result accumulated in double that overflows only when
    rounded to float32 (the finaliser, in the caller's thread) warns as
    NumPy's reduction does."""
    for x, f, g in ((np.array([1e30, 1e30], np.float32), cw.prod, np.prod),
                    (np.full(4, 3e38, np.float32), cw.sum, np.sum)):
        for axis in (None, 0):
            for fn in (f, g):
                with warnings.catch_warnings(record=True) as w:
                    warnings.simplefilter("always")
                    with np.errstate(over="warn"):
                        r = fn(x, axis=axis)
                assert np.isinf(r), (fn, r)
                assert any("overflow encountered in reduce" in str(m.message) for m in w), (fn, w)
