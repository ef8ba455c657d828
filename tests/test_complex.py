"""complex64 / complex128: the native loops (CW_COMPLEX rows of ops.def)
against NumPy bitwise (same formulas, same libm; NaN payloads aside), over
random values, special values and every layout; C99 Annex G special values
of sqrt/exp/log/abs from tables written here; the per-component accuracy
bound against mpmath; FP warnings as NumPy's; Python complex scalars as weak
types; out=; 1 vs 2 threads; the complex reductions against math.fsum per
component, the native complex prod against exact Fraction products (its
normwise bound), layouts, threads and special values; what is not native
goes to NumPy."""
import cmath
import math
import warnings
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import corewise as cw
from corewise._complex import COMPLEX
from corewise._lib import lib
from oracle import in_layout, views

C64, C128 = np.dtype(np.complex64), np.dtype(np.complex128)
CDTYPES = [C64, C128]
UNARY = sorted(n for n, c in COMPLEX.items() if c.kind in (lib.CW_CX_U, lib.CW_CX_R))
BINARY = sorted(n for n, c in COMPLEX.items() if c.kind in (lib.CW_CX_B, lib.CW_CX_C))
REAL = {C64: np.dtype(np.float32), C128: np.dtype(np.float64)}
PARTS = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, 3.0, -2.5, 1e-300, 1e300,
         5e-324, 1e-40, 3e38]


def _same(got, want):
    """Bitwise equal, except that any NaN matches any NaN (payloads depend
    on operand order, which IEEE leaves open)."""
    g, w = np.asarray(got), np.asarray(want)
    assert type(got) is type(want), (type(got), type(want))
    assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, w.dtype, g.shape, w.shape)
    if g.dtype.kind == "c":
        g = np.stack([g.real, g.imag], -1)
        w = np.stack([w.real, w.imag], -1)
    if g.dtype.kind == "f":
        gn, wn = np.isnan(g), np.isnan(w)
        assert np.array_equal(gn, wn), ("NaN positions differ", g[gn != wn][:5], w[gn != wn][:5])
        g, w = np.where(gn, 0, g), np.where(wn, 0, w)
    assert g.tobytes() == w.tobytes(), (np.flatnonzero((g != w) | (np.signbit(g) != np.signbit(w)))[:5],)


def _np(name):
    return getattr(np, name)


def _quiet(f, *a, **k):
    with np.errstate(all="ignore"):
        return f(*a, **k)


def _random(dtype, n, rng, specials=True):
    re = rng.standard_normal(n) * np.exp2(rng.integers(-20, 20, n))
    im = rng.standard_normal(n) * np.exp2(rng.integers(-20, 20, n))
    if specials:
        k = n // 8
        re[rng.integers(0, n, k)] = rng.choice(PARTS, k)
        im[rng.integers(0, n, k)] = rng.choice(PARTS, k)
    z = np.empty(n, dtype)
    with np.errstate(all="ignore"):
        z.real, z.imag = re, im
    return z


def _special_grid(dtype):
    """Every pair of special parts (as real and imaginary part)."""
    re, im = np.meshgrid(PARTS, PARTS)
    z = np.empty(re.size, dtype)
    with np.errstate(all="ignore"):
        z.real, z.imag = re.ravel(), im.ravel()
    return z


# ---- bitwise NumPy ---------------------------------------------------------

@pytest.mark.parametrize("dtype", CDTYPES, ids=str)
@pytest.mark.parametrize("name", UNARY)
def test_unary_bitwise_numpy(name, dtype):
    rng = np.random.default_rng(hash(name) % 2**32)
    for x in (_random(dtype, 3001, rng), _special_grid(dtype)):
        _same(_quiet(getattr(cw, name), x), _quiet(_np(name), x))
        # a scalar: NumPy's 1-element loop (NumPy's own 0-d call runs its
        # scalar loop, unfused where its SIMD loop fuses: README)
        _same(_quiet(getattr(cw, name), x[7]), _quiet(_np(name), x[7:8])[0])


@pytest.mark.parametrize("dtype", CDTYPES, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_bitwise_numpy(name, dtype):
    rng = np.random.default_rng(hash(name) % 2**32)
    x, y = _random(dtype, 3001, rng), _random(dtype, 3001, rng)
    f, g = getattr(cw, name), _np(name)
    _same(_quiet(f, x, y), _quiet(g, x, y))
    _same(_quiet(f, x[5], y), _quiet(g, x[5], y))          # scalar operand
    _same(_quiet(f, x, y[:1]), _quiet(g, x, y[:1]))        # broadcast
    s = _special_grid(dtype)
    _same(_quiet(f, s[:, None], s[None, :]), _quiet(g, s[:, None], s[None, :]))


@settings(deadline=None, max_examples=60)
@given(data=st.data(), name=st.sampled_from(UNARY + BINARY),
       dtype=st.sampled_from(CDTYPES), nthreads=st.sampled_from([1, 2]))
def test_every_layout(data, name, dtype, nthreads, tiny_threshold):
    """Any layout (steps, negative steps, transposes, broadcast views) gives
    NumPy's contiguous result, on 1 and 2 threads."""
    x = data.draw(views(st.just(dtype)), label="x")
    args = [x]
    if name in BINARY:
        y = data.draw(in_layout(data.draw(st.sampled_from([x, x[..., ::-1]]))
                                if x.ndim else x), label="y")
        args.append(y)
    want = _quiet(_np(name), *[np.array(a, order="C").reshape(-1) for a in args])
    want = want.reshape(np.broadcast_shapes(*[np.shape(a) for a in args]))
    want = want[()] if want.ndim == 0 else want
    with cw.threads(nthreads):
        got = _quiet(getattr(cw, name), *args)
    _same(got, want)


def test_threads_identical(tiny_threshold):
    rng = np.random.default_rng(5)
    x, y = _random(C128, 100_003, rng), _random(C128, 100_003, rng)
    for name in BINARY + UNARY:
        args = (x, y) if name in BINARY else (x,)
        with cw.threads(1):
            one = _quiet(getattr(cw, name), *args)
        with cw.threads(2):
            two = _quiet(getattr(cw, name), *args)
        assert one.tobytes() == two.tobytes(), name


# ---- scalars, mixed dtypes, out= -------------------------------------------

@pytest.mark.parametrize("adt", [np.complex64, np.complex128, np.float32, np.float64,
                                 np.int8, np.int64, np.bool_])
@pytest.mark.parametrize("scalar", [1j, 2.5 - 1j, complex(np.inf, np.nan), np.complex64(1 + 2j),
                                    np.float64(3.0), 2.0, 3])
@pytest.mark.parametrize("name", ["add", "multiply", "divide", "less", "equal", "maximum"])
def test_scalars_and_mixed_dtypes(name, adt, scalar):
    """NumPy 2's weak Python scalars (complex64 array + 1j stays complex64)
    and promotion (complex64 with float64 -> complex128)."""
    a = (np.arange(1, 8) * (1.5 - 0.5j) if np.dtype(adt).kind == "c" else np.arange(1, 8)).astype(adt)
    for args in ((a, scalar), (scalar, a)):
        _same(_quiet(getattr(cw, name), *args), _quiet(_np(name), *args))


def test_promotion():
    c64 = np.ones(5, C64) * (1 + 2j)
    f64 = np.arange(5.0)
    for a, b in ((c64, f64), (f64, c64), (c64, np.float32(2)), (c64, np.ones(5, C128))):
        _same(cw.multiply(a, b), np.multiply(a, b))
    assert cw.add(c64, 1j).dtype == C64
    assert cw.absolute(c64).dtype == np.float32
    assert cw.absolute(c64.astype(C128)).dtype == np.float64


def test_out():
    rng = np.random.default_rng(3)
    x, y = _random(C128, 64, rng, False), _random(C128, 64, rng, False)
    out = np.empty(64, C128)
    assert cw.multiply(x, y, out=out) is out
    _same(out, x * y)
    out64 = np.empty(64, C64)                      # same_kind cast on the way out
    _quiet(cw.add, x, y, out=out64)
    _same(out64, np.add(x, y, out=np.empty(64, C64)))
    r = np.empty(64)
    cw.absolute(x, out=r)
    _same(r, np.abs(x))
    z = x.copy()
    cw.square(z, out=z)                            # in place
    _same(z, np.square(x))
    with pytest.raises(TypeError, match="same_kind"):
        cw.add(x, y, out=np.empty(64))             # complex -> float: refused like NumPy
    with pytest.raises(TypeError):
        np.add(x, y, out=np.empty(64))
    b = np.empty(64, bool)
    cw.less(x, y, out=b)
    _same(b, np.less(x, y))
    x0 = x.copy()
    _quiet(cw.exp, x)
    assert x.tobytes() == x0.tobytes()             # inputs untouched


# ---- FP warnings as NumPy ---------------------------------------------------

WARN_CASES = [
    ("divide", (np.array([1 + 1j, 2j]), np.array([0j, 1 + 0j]))),
    ("reciprocal", (np.array([0j, 1 + 1j]),)),
    ("multiply", (np.array([1e308 + 1e308j]), np.array([1e308 + 1e308j]))),
    ("less", (np.array([complex(np.nan, 0), 1 + 0j]), np.array([1 + 0j, complex(1, np.nan)]))),
    ("less", (np.array([1 + 0j]), np.array([complex(2, np.nan)]))),   # no compare with the NaN
    ("greater_equal", (np.array([1 + 0j]), np.array([complex(1, np.nan)]))),
    ("equal", (np.array([complex(np.nan, 0)]), np.array([1 + 0j]))),
    ("absolute", (np.array([complex(1e308, 1e308), complex(np.inf, np.nan), 0j]),)),
    ("maximum", (np.array([complex(np.nan, 1)]), np.array([1j]))),
    ("log", (np.array([0j, -0.0 + 0j]),)),
    ("exp", (np.array([1000 + 1j]),)),
    ("sqrt", (np.array([complex(1, np.inf), complex(np.nan, 1)]),)),
]


def _warnings(f, *args):
    with warnings.catch_warnings(record=True) as w, np.errstate(all="warn"):
        warnings.simplefilter("always")
        r = f(*args)
    return r, sorted(str(m.message).split(" encountered")[0] for m in w)


@pytest.mark.parametrize("dtype", CDTYPES, ids=str)
@pytest.mark.parametrize("name,args", WARN_CASES, ids=[c[0] + str(i) for i, c in enumerate(WARN_CASES)])
def test_fp_warnings_as_numpy(name, args, dtype):
    args = [_quiet(a.astype, dtype) for a in args]
    got, gw = _warnings(getattr(cw, name), *args)
    want, ww = _warnings(_np(name), *args)
    _same(got, want)
    assert gw == ww
    if ww:
        with np.errstate(all="raise"), pytest.raises(FloatingPointError):
            getattr(cw, name)(*args)


# ---- C99 Annex G special values ---------------------------------------------

INF, NAN, PI = math.inf, math.nan, math.pi
# (z, expected) with "±" where Annex G leaves the sign unspecified; the
# conjugate cases follow from f(conj z) = conj f(z), tested below.
ANNEX_G = {
    "sqrt": [
        ((0.0, 0.0), (0.0, 0.0)), ((-0.0, 0.0), (0.0, 0.0)),
        ((1.0, INF), (INF, INF)), ((-1.0, INF), (INF, INF)), ((INF, INF), (INF, INF)),
        ((NAN, INF), (INF, INF)), ((-INF, INF), (INF, INF)),
        ((1.0, NAN), (NAN, NAN)), ((-INF, 1.0), (0.0, INF)), ((INF, 1.0), (INF, 0.0)),
        ((-INF, NAN), (NAN, "±inf")), ((INF, NAN), (INF, NAN)),
        ((NAN, 1.0), (NAN, NAN)), ((NAN, NAN), (NAN, NAN)),
        ((-4.0, 0.0), (0.0, 2.0)), ((4.0, 0.0), (2.0, 0.0)),
    ],
    "exp": [
        ((0.0, 0.0), (1.0, 0.0)), ((-0.0, 0.0), (1.0, 0.0)),
        ((1.0, INF), (NAN, NAN)), ((1.0, NAN), (NAN, NAN)),
        ((INF, 0.0), (INF, 0.0)), ((-INF, 1.0), (0.0 * math.cos(1), 0.0 * math.sin(1))),
        ((INF, 1.0), (INF, INF)), ((-INF, INF), ("±0", "±0")),
        ((INF, INF), ("±inf", NAN)), ((-INF, NAN), ("±0", "±0")),
        ((INF, NAN), ("±inf", NAN)), ((NAN, 0.0), (NAN, 0.0)),
        ((NAN, 1.0), (NAN, NAN)), ((NAN, NAN), (NAN, NAN)),
    ],
    "log": [
        ((-0.0, 0.0), (-INF, PI)), ((0.0, 0.0), (-INF, 0.0)),
        ((1.0, INF), (INF, PI / 2)), ((1.0, NAN), (NAN, NAN)),
        ((-INF, 1.0), (INF, PI)), ((INF, 1.0), (INF, 0.0)),
        ((-INF, INF), (INF, 3 * PI / 4)), ((INF, INF), (INF, PI / 4)),
        ((INF, NAN), (INF, NAN)), ((-INF, NAN), (INF, NAN)),
        ((NAN, 1.0), (NAN, NAN)), ((NAN, INF), (INF, NAN)), ((NAN, NAN), (NAN, NAN)),
        ((1.0, 0.0), (0.0, 0.0)), ((-1.0, 0.0), (0.0, PI)),
    ],
    "absolute": [
        ((INF, NAN), INF), ((-INF, NAN), INF), ((NAN, INF), INF), ((NAN, -INF), INF),
        ((NAN, 1.0), NAN), ((1.0, NAN), NAN), ((NAN, NAN), NAN),
        ((-3.0, 0.0), 3.0), ((0.0, -0.0), 0.0), ((3.0, 4.0), 5.0), ((INF, 1.0), INF),
    ],
}


def _matches(got, want, dtype):
    if want == "±inf":
        return math.isinf(got)
    if want == "±0":
        return got == 0
    if math.isnan(want):
        return math.isnan(got)
    want = float(np.array(want, dtype))   # pi, pi/2 rounded to the dtype
    return got == want and math.copysign(1, got) == math.copysign(1, want)


def _cx(dtype, re, im):
    z = np.empty((), dtype)
    z.real, z.imag = re, im
    return z[()]


@pytest.mark.parametrize("dtype", CDTYPES, ids=str)
@pytest.mark.parametrize("name", sorted(ANNEX_G))
def test_annex_g_special_values(name, dtype):
    f = getattr(cw, name)
    for (re, im), want in ANNEX_G[name]:
        for conj in (False, True):     # f(conj z) = conj f(z)
            z = _cx(dtype, re, -im if conj else im)
            got = _quiet(f, z)
            _same(got, _quiet(_np(name), z))
            if name == "absolute":
                assert _matches(float(got), want, REAL[dtype]), (z, got, want)
                continue
            w_re, w_im = want
            if conj:
                w_im = w_im if isinstance(w_im, str) else -w_im
            ok = _matches(float(got.real), w_re, REAL[dtype]) and \
                _matches(float(got.imag), w_im, REAL[dtype])
            assert ok, (name, z, got, (w_re, w_im))


# ---- accuracy against mpmath ------------------------------------------------

_MP = {
    "add": lambda x, y: x + y, "subtract": lambda x, y: x - y,
    "multiply": lambda x, y: x * y, "divide": lambda x, y: x / y,
    "square": lambda x: x * x, "reciprocal": lambda x: 1 / x,
    "absolute": abs, "sqrt": mpmath.sqrt, "exp": mpmath.exp, "log": mpmath.log,
}


def measured_ulp(name, dtype, n=400, seed=0):
    """Largest error per component, in ULP (of the dtype) of the larger
    component of the exact result, over n random finite inputs."""
    rng = np.random.default_rng(seed)
    nin = 2 if name in BINARY else 1
    args = []
    for _ in range(nin):
        re = rng.standard_normal(n) * np.exp2(rng.integers(-30, 30, n))
        if name == "exp":
            re = rng.uniform(-80, 80, n)
        im = rng.standard_normal(n) * np.exp2(rng.integers(-30, 30, n))
        z = np.empty(n, dtype)
        z.real, z.imag = re, im
        args.append(z)
    got = getattr(cw, name)(*args)
    rdt = REAL[dtype]
    worst = 0.0
    with mpmath.workprec(160):
        for i in range(n):
            ex = _MP[name](*[mpmath.mpc(complex(a[i])) for a in args])
            ex = mpmath.mpc(ex)
            scale = max(abs(ex.real), abs(ex.imag))
            if scale == 0:
                continue
            ulp = float(np.spacing(rdt.type(float(scale))))
            if ulp == 0 or not math.isfinite(ulp):
                continue
            g = complex(got[i])
            err = max(abs(mpmath.mpf(g.real) - ex.real), abs(mpmath.mpf(g.imag) - ex.imag))
            worst = max(worst, float(err / ulp))
    return worst


@pytest.mark.parametrize("dtype", CDTYPES, ids=str)
@pytest.mark.parametrize("name", sorted(_MP))
def test_accuracy_bound(name, dtype):
    bound = COMPLEX[name].ulp(dtype)
    assert measured_ulp(name, dtype) <= max(bound, 0.5)


# ---- reductions -------------------------------------------------------------

def _bound(n, dtype):
    """tests/test_reduce.py's bound of a corewise float sum, per component."""
    levels = 12 + max(0, math.ceil(math.log2(max(n, 1) / 256)))
    b = levels * np.finfo(np.float64).eps
    if REAL[np.dtype(dtype)] != np.float64:
        b += np.finfo(np.float32).eps
    return b


@pytest.fixture
def tiny_blocks(tiny_threshold):
    prev = lib.cw_set_reduce_block(64)
    try:
        yield
    finally:
        lib.cw_set_reduce_block(prev)


@settings(deadline=None, max_examples=40)
@given(data=st.data(), dtype=st.sampled_from(CDTYPES), n=st.integers(1, 3000))
def test_sum_mean_against_fsum_per_component(data, dtype, n, tiny_blocks):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x = _random(dtype, n, rng, specials=False)
    x = data.draw(in_layout(x, transpose=False))
    with cw.threads(1):
        s1 = cw.sum(x)
        m1 = cw.mean(x)
    with cw.threads(2):
        s2 = cw.sum(x)
        m2 = cw.mean(x)
    assert type(s1) is dtype.type and type(m1) is dtype.type
    assert np.asarray(s1).tobytes() == np.asarray(s2).tobytes()     # thread-independent
    assert np.asarray(m1).tobytes() == np.asarray(m2).tobytes()
    for part in ("real", "imag"):
        v = getattr(x, part).astype(np.float64)
        exact = math.fsum(v.tolist())
        bound = _bound(n, dtype) * math.fsum(np.abs(v).tolist())
        assert abs(float(getattr(s1, part)) - exact) <= bound + 1e-300
        assert abs(float(getattr(m1, part)) - exact / n) <= bound / n + abs(exact / n) * 6e-8 + 1e-300


@pytest.mark.parametrize("dtype", CDTYPES, ids=str)
def test_reductions_axes_out_and_numpy(dtype):
    rng = np.random.default_rng(9)
    x = np.exp(rng.uniform(-0.3, 0.3, 210) + 1j * rng.uniform(-3, 3, 210)).astype(dtype)
    x = x.reshape(6, 7, 5)
    for name in ("sum", "mean", "prod", "nansum", "max", "min", "argmax", "count_nonzero"):
        for axis in (None, 0, (0, 2), -1):
            if name == "argmax" and isinstance(axis, tuple):
                continue
            for keepdims in (False, True):
                got = getattr(cw, name)(x, axis=axis, keepdims=keepdims)
                want = getattr(np, name)(x, axis=axis, keepdims=keepdims)
                assert np.asarray(got).dtype == np.asarray(want).dtype
                assert np.shape(got) == np.shape(want)
                tol = 1e-4 if dtype == C64 else 1e-12
                np.testing.assert_allclose(got, want, rtol=tol, atol=0)
    out = np.empty(7, dtype)
    assert cw.sum(x, axis=(0, 2), out=out) is out
    with pytest.raises(TypeError):
        cw.sum(x, axis=0, out=np.empty((7, 5)))
    # NaN handling and empty input as NumPy
    y = x[0].copy()
    y[1, 1] = complex(np.nan, 1)
    _same(cw.nansum(y), np.nansum(y))
    assert np.isnan(cw.sum(y).real)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same(cw.mean(x[:0]), np.mean(x[:0]))
    _same(cw.sum(x[:0]), np.sum(x[:0]))


# ---- complex prod: the engine's fixed tree over the fused multiply -----------

def _prod_bound(n, dtype):
    """The README's normwise bound of corewise's complex prod of n finite
    factors (no overflow/underflow): n - 1 fused complex multiplications,
    each within 2u normwise (Jeannerod, Kornerup, Louvet, Muller, Math.
    Comp. 2017), composed along the tree; complex64 (computed in complex128)
    rounds once more, to float32."""
    u = Fraction(1, 2**53)
    e = (1 + 2 * u) ** (n - 1)
    if np.dtype(dtype) == C64:
        e *= 1 + Fraction(1, 2**24)
    return e - 1


def _exact_prod(z):
    """The exact product of complex values as a pair of Fractions."""
    pr, pi = Fraction(1), Fraction(0)
    for w in z.astype(C128).tolist():
        br, bi = Fraction(w.real), Fraction(w.imag)
        pr, pi = pr * br - pi * bi, pr * bi + pi * br
    return pr, pi


def _unit_ish(dtype, n, rng):
    """n factors of modulus in [0.9, 1.1) at random angles (so that no
    product of up to a few thousand overflows or underflows, float32 too)."""
    z = rng.uniform(0.9, 1.1, n) * np.exp(1j * rng.uniform(-np.pi, np.pi, n))
    return z.astype(dtype)


@settings(deadline=None, max_examples=30)
@given(data=st.data(), dtype=st.sampled_from(CDTYPES), n=st.integers(1, 700))
def test_prod_within_normwise_bound_of_exact_product(data, dtype, n, tiny_blocks):
    """|p^ - p| <= ((1 + 2u)^(n-1) - 1) |p| (complex64: times 1 + 2^-24,
    plus it) against the exact product in Fractions, checked exactly (the
    squares); bitwise the same for 1 and 2 threads and in any layout."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    z = _unit_ish(dtype, n, rng)
    if dtype == C128 and data.draw(st.booleans()):
        z = z * np.exp2(rng.integers(-3, 4, n))     # wider moduli, exact scaling
    x = data.draw(in_layout(z, transpose=False))
    with cw.threads(1):
        p1 = cw.prod(x)
    with cw.threads(2):
        p2 = cw.prod(x)
    assert type(p1) is dtype.type
    assert np.asarray(p1).tobytes() == np.asarray(p2).tobytes()
    assert np.asarray(cw.prod(z)).tobytes() == np.asarray(p1).tobytes()   # layout-free
    er, ei = _exact_prod(z)
    dr, di = Fraction(float(p1.real)) - er, Fraction(float(p1.imag)) - ei
    assert dr * dr + di * di <= _prod_bound(n, dtype) ** 2 * (er * er + ei * ei)


@pytest.mark.parametrize("dtype", CDTYPES, ids=str)
def test_prod_layouts_axes_out_keepdims_threads(dtype, tiny_blocks):
    """axis=/keepdims=/out= and every layout are the engine's: bitwise the
    product of the same values contiguous, the same for 1 and 2 threads,
    the input untouched; within the bound of NumPy's serial product."""
    rng = np.random.default_rng(3)
    base = _unit_ish(dtype, 7 * 300 * 5, rng).reshape(7, 300, 5)
    keep = base.copy()
    views_ = [base, base[::-1, ::-2], base.transpose(2, 0, 1), base[:, ::-3, ::-1].T,
              np.asfortranarray(base)]
    for v in views_:
        c = np.ascontiguousarray(v)
        for axis in (None, 0, 1, -1, (0, 2), (1, 2)):
            for keepdims in (False, True):
                with cw.threads(1):
                    r1 = cw.prod(v, axis=axis, keepdims=keepdims)
                with cw.threads(2):
                    r2 = cw.prod(v, axis=axis, keepdims=keepdims)
                rc = cw.prod(c, axis=axis, keepdims=keepdims)
                want = np.prod(v, axis=axis, keepdims=keepdims)
                assert np.asarray(r1).dtype == want.dtype and np.shape(r1) == np.shape(want)
                assert np.asarray(r1).tobytes() == np.asarray(r2).tobytes() == np.asarray(rc).tobytes()
                m = v.size // max(np.asarray(want).size, 1)
                # NumPy's serial unfused product: sqrt(5)u a step (Brent et al. 2007)
                u = 2**-24 if dtype == C64 else 2**-53
                tol = float(_prod_bound(m, dtype)) + (1 + 3 * u) ** m - 1
                assert np.all(np.abs(np.asarray(r1) - want) <= tol * np.abs(want) * 1.0001)
    out = np.empty((7, 5), dtype)[:, ::-1]               # a strided out=
    assert cw.prod(base, axis=1, out=out) is out
    _same(out, cw.prod(base, axis=1))
    out = np.empty((5, 7), dtype).T
    assert cw.prod(base, axis=1, out=out) is out
    _same(out, cw.prod(base, axis=1))
    np.testing.assert_array_equal(base, keep)
    assert cw.prod(base, axis=1, out=(out,)) is out
    with pytest.raises(ValueError):
        cw.prod(base, axis=1, out=np.empty((7, 4), dtype))
    with pytest.raises(TypeError):
        cw.prod(base, axis=1, out=np.empty((7, 5)))          # complex -> float out: NumPy's error
    # non-native byte order: the same values, the same bits
    sw = base.astype(base.dtype.newbyteorder())
    _same(cw.prod(sw, axis=1), cw.prod(base, axis=1))
    # 0-d, one element, empty: NumPy's (the empty product 1+0j exactly)
    _same(cw.prod(base[0, 0, 0]), np.prod(base[0, 0, 0]))
    _same(cw.prod(base[:1, :1, :1]), np.prod(base[:1, :1, :1]))
    _same(cw.prod(base[:0]), np.prod(base[:0]))
    _same(cw.prod(base[:, :0], axis=1), np.prod(base[:, :0], axis=1))


@pytest.mark.parametrize("dtype", CDTYPES, ids=str)
def test_prod_exact_cases_are_numpy_bitwise(dtype):
    """Gaussian integers whose partial products stay exact: every order
    gives the exact product, so corewise's tree is NumPy's serial result."""
    rng = np.random.default_rng(4)
    for n in (1, 2, 3, 31, 33, 40):
        z = (rng.integers(-1, 2, n) + 1j * rng.integers(-1, 2, n)).astype(dtype)
        z[z == 0] = 1j
        _same(cw.prod(z), np.prod(z))
        _same(cw.multiply.reduce(z), np.multiply.reduce(z))


@pytest.mark.parametrize("dtype", CDTYPES, ids=str)
def test_prod_special_values(dtype):
    """What the math forces, in corewise's tree and NumPy's serial order
    alike (the README: where inf * 0 meets in a different order the two may
    differ otherwise): a NaN part anywhere (n >= 2) makes both parts NaN; an
    infinite part among non-zero finite factors makes the result
    non-finite; an exact product past the largest finite number overflows,
    with NumPy's warning; one element is NumPy's 1+0j times it, bitwise."""
    rng = np.random.default_rng(6)
    big = np.finfo(REAL[dtype]).max
    for n in (2, 5, 40, 700):
        for special in (complex(np.nan, 0), complex(1, np.nan), complex(np.inf, 1),
                        complex(-2, np.inf), complex(np.inf, np.inf)):
            for _ in range(3):
                z = _unit_ish(dtype, n, rng)
                z[rng.integers(0, n)] = special
                with np.errstate(all="ignore"):
                    got, want = cw.prod(z), np.prod(z)
                if np.isnan(special.real) or np.isnan(special.imag):
                    assert np.isnan(got.real) and np.isnan(got.imag), got
                    assert np.isnan(want.real) and np.isnan(want.imag), want
                else:
                    assert not np.isfinite(got) and not np.isfinite(want), (got, want)
        z = _unit_ish(dtype, n, rng) * np.sqrt(big) / 2
        z[:2] = np.sqrt(big) * 4                     # |exact product| > max
        for f in (cw.prod, np.prod):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                with np.errstate(over="warn"):
                    r = f(z)
            assert not np.isfinite(r), (f, r)
            assert any(issubclass(m.category, RuntimeWarning)
                       and "overflow encountered in reduce" in str(m.message) for m in w), (f, w)
            with np.errstate(over="raise", invalid="ignore"), pytest.raises(FloatingPointError):
                f(z)
    for v in PARTS:
        for t in PARTS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                z = np.array([complex(v, t)], dtype)
            _same(_quiet(cw.prod, z), _quiet(np.prod, z))   # one element: NumPy's (1+0j) * z


def test_prod_keywords_are_numpys():
    """dtype=, initial=, where= are NumPy's own function's call."""
    z = _unit_ish(C64, 50, np.random.default_rng(8)).reshape(5, 10)
    _same(cw.prod(z, dtype=np.complex128), np.prod(z, dtype=np.complex128))
    _same(cw.prod(z, initial=2j), np.prod(z, initial=2j))
    w = np.arange(50).reshape(5, 10) % 3 > 0
    _same(cw.prod(z, axis=1, where=w), np.prod(z, axis=1, where=w))


@pytest.mark.parametrize("dtype", CDTYPES, ids=str)
def test_multiply_reduce_is_the_native_prod(dtype):
    z = _unit_ish(dtype, 4 * 600, np.random.default_rng(10)).reshape(4, 600)
    for axis in (0, 1, -1, None):
        _same(cw.multiply.reduce(z, axis=axis), cw.prod(z, axis=axis))
    _same(cw.multiply.reduce(z), cw.prod(z, axis=0))      # reduce's default axis 0
    _same(cw.multiply.reduce(z, dtype=np.complex128), np.multiply.reduce(z, dtype=np.complex128))


@pytest.mark.parametrize("dtype", CDTYPES, ids=str)
def test_dot(dtype):
    """dot of complex vectors (not conjugated, as np.dot) within the float
    dot's bound per component, against math.fsum of the exact products."""
    rng = np.random.default_rng(11)
    for n in (1, 17, 5000):
        a, b = _random(dtype, n, rng, False), _random(dtype, n, rng, False)
        got = cw.dot(a, b)
        assert type(got) is type(np.dot(a, b))
        ar, ai = a.real.astype(np.float64), a.imag.astype(np.float64)
        br, bi = b.real.astype(np.float64), b.imag.astype(np.float64)
        for part, terms in (("real", [ar * br, -(ai * bi)]), ("imag", [ar * bi, ai * br])):
            t = np.concatenate(terms)       # float32 products exact in float64
            exact = math.fsum(t.tolist())
            bound = (2 * _bound(n, C128) + 2**-52) * math.fsum(np.abs(t).tolist())
            if dtype == C64:
                bound += np.spacing(np.float32(abs(exact)))
            assert abs(float(getattr(got, part)) - exact) <= bound + 1e-300
    _same(cw.dot(np.array([1 + 2j, 3j]), np.array([2.0, 1.0])), np.dot(np.array([1 + 2j, 3j]), np.array([2.0, 1.0])))


# ---- what is not native -----------------------------------------------------

def test_numpy_fallbacks():
    z = np.array([1 + 2j, -0.5j, complex(np.inf, 1)])
    for name in ("sin", "tanh", "log10", "power", "sign", "isnan"):
        f = getattr(cw, name, None)
        if f is None:
            continue
        args = (z, z[::-1]) if f.op.nin == 2 else (z,)
        _same(_quiet(f, *args), _quiet(_np(name), *args))
    zl = z.astype(np.clongdouble)
    assert np.array_equal(cw.add(zl, zl), np.add(zl, zl))
    with pytest.raises(TypeError, match="'floor' not supported"):
        cw.floor(z)                      # NumPy has no complex floor: NumPy's own error
    with pytest.raises(TypeError, match="complex"):
        cw.evaluate("a * 2", {"a": z})              # evaluate and user kernels: real only


def test_conjugate_of_reals_and_ints_is_identity():
    for x in (np.arange(-3.0, 3), np.arange(-3, 3), np.arange(-3, 3, dtype=np.int8),
              np.array([True, False]), np.float32(2.5), 3):
        _same(cw.conjugate(x), np.conjugate(x))
        _same(cw.conj(x), np.conj(x))
    z = np.array([1 + 2j, -3 - 0j], C64)
    _same(cw.conj(z), np.conj(z))


def test_fused_rows_are_isa_independent():
    """multiply/square/absolute and the complex prod fuse on every CPU
    (README): the variant without FMA hardware (COREWISE_ISA=baseline)
    gives the same bits."""
    import os
    import subprocess
    import sys
    code = ("import hashlib, numpy as np, corewise as cw, sys\n"
            "r = np.random.default_rng(5)\n"
            "z = (r.standard_normal(4099) + 1j * r.standard_normal(4099)) * 1e3\n"
            "for dt in (np.complex128, np.complex64):\n"
            "    a = z.astype(dt)\n"
            "    u = a / np.abs(a)\n"
            "    for v in (cw.multiply(a, a[::-1]), cw.square(a), cw.absolute(a),\n"
            "              cw.prod(u), cw.prod(u[::-3].reshape(-1, 1)[:1350].reshape(30, 45), axis=0)):\n"
            "        sys.stdout.write(hashlib.sha256(v.tobytes()).hexdigest() + ' ')\n")
    outs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env=dict(os.environ, **({"COREWISE_ISA": isa} if isa else {}))).stdout
            for isa in (None, "baseline")]
    assert outs[0] == outs[1] and outs[0].count(" ") == 10
