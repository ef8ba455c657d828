"""NumPy's remaining element-wise names (issue 16): bitwise, shifts, gcd/lcm,
truth values, floor_divide/remainder, nextafter/spacing, heaviside,
logaddexp2, degrees/radians, float_power, the CW_NUMPY row isnat, the
CW_MULTI rows (divmod, modf, frexp: two outputs; ldexp: a float and an
integer exponent) and the NumPy 2 aliases -- bitwise equal to NumPy
over every dtype NumPy has a loop for, special values, zero divisors,
shifts past the width, every layout, out= (tuples too), FP warnings and 1
vs 2 threads.  And hypot, now glibc's arithmetic: bitwise equal to NumPy
on random and special inputs, correctly rounded against mpmath."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import corewise as cw
from corewise._optable import OPS
from oracle import assert_same, in_layout, same_as_numpy

INTS = [np.dtype(t) for t in (np.int8, np.uint8, np.int16, np.uint16, np.int32,
                              np.uint32, np.int64, np.uint64)]
FLOATS = [np.dtype(t) for t in (np.float16, np.float32, np.float64)]
BOOL = np.dtype(np.bool_)
ALL = [BOOL] + INTS + FLOATS

INT_BINARY = ["bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift",
              "gcd", "lcm"]
INT_UNARY = ["invert", "bitwise_count"]
LOGICAL = ["logical_and", "logical_or", "logical_xor"]
DIVISION = ["floor_divide", "remainder"]
FLOAT_BINARY = ["nextafter", "heaviside", "float_power", "logaddexp2"]
FLOAT_UNARY = ["spacing", "degrees", "radians"]
MULTI = ["divmod", "frexp", "modf", "ldexp"]
EXACT_BINARY = INT_BINARY + LOGICAL + DIVISION + ["nextafter", "heaviside"]
EXACT_UNARY = INT_UNARY + ["logical_not", "spacing"]
ALIASES = {"acos": "arccos", "asin": "arcsin", "atan": "arctan", "atan2": "arctan2",
           "acosh": "arccosh", "asinh": "arcsinh", "atanh": "arctanh", "pow": "power",
           "bitwise_invert": "invert", "bitwise_left_shift": "left_shift",
           "bitwise_right_shift": "right_shift", "mod": "remainder"}


def values(dtype, n=300, seed=0):
    """Values of ``dtype`` that exercise the rules: extremes, zeros, small
    numbers (shift counts, divisors), random bits; special floats."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt == BOOL:
        return rng.integers(0, 2, n).astype(bool)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        edge = [info.min, info.max, 0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 63, 64, 65]
        if dt.kind == "i":
            edge += [-1, -2, -3, -7, -8, -64, info.min + 1]
        edge = np.array([e for e in edge if info.min <= e <= info.max], dt)
        small = rng.integers(max(info.min, -70), min(info.max, 70), n // 3, endpoint=True).astype(dt)
        big = rng.integers(info.min, info.max, n - len(edge) - len(small), endpoint=True, dtype=dt)
        return np.concatenate([edge, small, big])
    fi = np.finfo(dt)
    edge = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1.0, -1.0, 0.5, -0.5, 1.5,
                     -2.5, 3.0, -3.0, 7.0, fi.max, -fi.max, fi.tiny, -fi.tiny,
                     fi.smallest_subnormal, -fi.smallest_subnormal, 1e-3, -1e3], dt)
    rnd = (rng.standard_normal(n) * 10.0 ** rng.integers(-5, 5, n)).astype(dt)
    return np.concatenate([edge, rnd])


def pairs(dtype):
    """x, y covering value pairs (all specials against each other)."""
    v = values(dtype, 120)
    x, y = np.meshgrid(v, v)
    return x.ravel(), y.ravel()


def call_both(name, args, **kw):
    """NumPy's and corewise's results and warnings (each recorded)."""
    with warnings.catch_warnings(record=True) as wn:
        warnings.simplefilter("always")
        try:
            want = getattr(np, name)(*args, **kw)
        except (TypeError, ValueError) as exc:
            want = exc
    with warnings.catch_warnings(record=True) as wc:
        warnings.simplefilter("always")
        if isinstance(want, Exception):
            with pytest.raises(TypeError if isinstance(want, TypeError) else ValueError):
                getattr(cw, name)(*args, **kw)
            return None
        got = getattr(cw, name)(*args, **kw)
    return got, want, sorted({str(w.message) for w in wn}), sorted({str(w.message) for w in wc})


def check_same(name, args, policy="bitwise", **kw):
    r = call_both(name, args, **kw)
    if r is None:
        return
    got, want, wn, wc = r
    assert_same(got, want, policy)
    assert wc == wn, (name, wc, wn)


def policy_for(name):
    # a NaN's payload: GCC may keep either operand's NaN (heaviside and
    # nextafter return canonical/first NaNs; fmod-based division differs)
    return "nan-equal" if name in FLOAT_BINARY + DIVISION + FLOAT_UNARY else "bitwise"


# ---- the table ---------------------------------------------------------------------

def test_every_new_name_and_alias_is_exported():
    names = {op.name for op in OPS}
    for n in (INT_BINARY + INT_UNARY + LOGICAL + ["logical_not"] + DIVISION + FLOAT_BINARY
              + FLOAT_UNARY + ["isnat", "divmod", "frexp", "modf", "ldexp"]):
        assert n in names and callable(getattr(cw, n)) and n in cw.functions
        op = getattr(cw, n).op
        assert op.nin == op.ufunc.nin and op.nout == op.ufunc.nout, n
    for alias, name in ALIASES.items():
        assert getattr(cw, alias) is getattr(cw, name), alias
        assert alias in cw.functions


def test_kinds():
    kind = {op.name: op.kind for op in OPS}
    assert {kind[n] for n in INT_BINARY + INT_UNARY} == {"intop"}
    assert {kind[n] for n in LOGICAL + ["logical_not"]} == {"logical"}
    assert kind["isnat"] == "numpy"
    assert {kind[n] for n in MULTI} == {"multi"}
    assert kind["floor_divide"] == "binary" and kind["spacing"] == "unary"


# ---- values: every dtype, special values, bitwise -----------------------------------

@pytest.mark.parametrize("dtype", ALL, ids=str)
@pytest.mark.parametrize("name", EXACT_BINARY + FLOAT_BINARY)
def test_binary_every_dtype_bitwise(name, dtype):
    x, y = pairs(dtype)
    with np.errstate(all="ignore"):
        if name in FLOAT_BINARY and name not in ("nextafter", "heaviside"):
            r = call_both(name, (x, y))
            if r is not None:  # float_power / logaddexp2: the 4-ULP contract
                got, want = r[0], r[1]
                assert_same(got, want, "spacing", ulp=9)
            return
        check_same(name, (x, y), policy_for(name))


@pytest.mark.parametrize("dtype", ALL, ids=str)
@pytest.mark.parametrize("name", EXACT_UNARY + ["logical_not", "degrees", "radians"])
def test_unary_every_dtype(name, dtype):
    x = values(dtype)
    with np.errstate(all="ignore"):
        if name in ("degrees", "radians"):
            r = call_both(name, (x,))
            if r is not None:
                assert_same(r[0], r[1], "spacing", ulp=3)
            return
        check_same(name, (x,), policy_for(name))


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint64,
                                   np.float32, np.float64], ids=str)
@pytest.mark.parametrize("name", DIVISION)
def test_division_zero_divisor_and_overflow_warn_as_numpy(name, dtype):
    dt = np.dtype(dtype)
    x = values(dt, 60)
    for d in [0, -1, 1] if dt.kind != "u" else [0, 1]:
        y = np.full_like(x, d)
        check_same(name, (x, y), policy_for(name))
        with np.errstate(all="raise"):
            for v in x[:12]:
                a, b = np.array([v]), np.array([d], dt)
                try:
                    getattr(np, name)(a, b)
                except FloatingPointError as exc:
                    with pytest.raises(FloatingPointError, match=str(exc)):
                        getattr(cw, name)(a, b)
                else:
                    getattr(cw, name)(a, b)


@pytest.mark.parametrize("dtype", INTS, ids=str)
@pytest.mark.parametrize("name", ["left_shift", "right_shift"])
def test_shifts_past_the_width_and_negative_counts(name, dtype):
    dt = np.dtype(dtype)
    x = values(dt, 60)
    counts = np.arange(-3 if dt.kind == "i" else 0, 8 * dt.itemsize + 4).astype(dt)
    for c in counts:
        check_same(name, (x, c))
        check_same(name, (x, np.full_like(x, c)))


def test_bool_rules():
    t = np.array([True, False, True, False])
    f = np.array([True, True, False, False])
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor", "invert", "logical_and",
                 "logical_or", "logical_xor", "logical_not", "left_shift", "gcd",
                 "bitwise_count", "floor_divide", "remainder"):
        args = (t,) if getattr(np, name).nin == 1 else (t, f)
        check_same(name, args)
    assert cw.invert(t).tolist() == [False, True, False, True]


def test_python_scalars_and_mixed_dtypes():
    a = np.arange(-20, 20, dtype=np.int16)
    for name in INT_BINARY + LOGICAL + DIVISION:
        for args in ((a, 3), (3, a), (a, np.uint8(5)), (a.astype(np.uint32), a),
                     (a, True), (a.astype(np.uint64), 7)):
            with np.errstate(all="ignore"):
                check_same(name, args)
    f = np.linspace(-3, 3, 13, dtype=np.float32)
    for name in DIVISION + ["nextafter", "heaviside", "logical_and"]:
        with np.errstate(all="ignore"):
            check_same(name, (f, 2.0), policy_for(name))
            check_same(name, (f, np.float64(0.5)), policy_for(name))
            check_same(name, (f, a[:13]), policy_for(name))


def test_errors_as_numpy():
    """No loop for the operand types: NumPy's very exception (class and
    message; README, "The ufunc protocol")."""
    for name, args in (("bitwise_and", (np.ones(3), np.ones(3))),
                       ("invert", (np.ones(3),)), ("gcd", (np.ones(3), 2)),
                       ("left_shift", (np.ones(3), 1)),
                       ("bitwise_count", (np.ones(2),)),
                       ("bitwise_and", (np.ones(3, int), np.ones(4, int)))):
        errs = []
        for mod in (np, cw):
            try:
                getattr(mod, name)(*args)
            except (TypeError, ValueError) as e:
                errs.append((type(e), str(e)))
            else:  # pragma: no cover - NumPy's rules changed
                raise AssertionError(name)
        assert errs[0] == errs[1], (name, errs)


def _warned(fn):
    """(result bytes, the set of NumPy-style warning messages) of fn() under
    errstate(all="warn"), corewise's "corewise.<name>" prefix dropped."""
    import warnings
    with warnings.catch_warnings(record=True) as w, np.errstate(all="warn"):
        warnings.simplefilter("always")
        r = fn()
    return r.tobytes(), {str(m.message).replace("corewise.", "") for m in w}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=str)
def test_spacing_and_nextafter_flags_as_numpy(dtype, tiny_threshold):
    """Each edge value alone (37 copies: vector lanes and the tail, one
    thread and a team) raises what NumPy raises: underflow only where a
    nonzero x steps to a subnormal (not from 0, not from the largest
    subnormal to the smallest normal), overflow at +-max, nothing for
    inf/NaN -- and the same bits, NaN payloads kept."""
    fi = np.finfo(dtype)
    sub, tn = fi.smallest_subnormal, fi.smallest_normal
    ui = np.uint64 if dtype == np.float64 else np.uint32
    payload, snan = np.array([0x7ff8000000001234, 0x7ff0000000000001] if dtype == np.float64
                             else [0x7fc01234, 0x7f800001], ui).view(dtype)
    edges = [0.0, -0.0, sub, -sub, 2 * sub, tn - sub, -(tn - sub), tn, -tn, 2 * tn, 1.0, -3.0,
             fi.max, -fi.max, np.inf, -np.inf, np.nan, payload, snan]
    for v in edges:
        x = np.full(37, v, dtype)
        for nt in (1, 2):
            with cw.threads(nt):
                assert _warned(lambda: cw.spacing(x)) == _warned(lambda: np.spacing(x)), v
                y = np.full(37, np.inf, dtype)
                assert _warned(lambda: cw.nextafter(x, y)) == _warned(lambda: np.nextafter(x, y)), v
    mixed = np.array(edges * 5, dtype)
    with cw.threads(2):
        assert _warned(lambda: cw.spacing(mixed)) == _warned(lambda: np.spacing(mixed))
    # nextafter: every pair of edge values (bits and flags, pair by pair)
    for v in edges:
        x = np.full(19, v, dtype)
        for w in edges:
            y = np.full(19, w, dtype)
            assert _warned(lambda: cw.nextafter(x, y)) == _warned(lambda: np.nextafter(x, y)), (v, w)
    xs, ys = np.meshgrid(np.array(edges, dtype), np.array(edges, dtype))
    with cw.threads(2):
        assert _warned(lambda: cw.nextafter(xs, ys)) == _warned(lambda: np.nextafter(xs, ys))


# ---- layouts, threads, out= --------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize("name", EXACT_BINARY + ["logaddexp2"])
def test_layouts_and_threads(name, data, tiny_threshold):
    dt = data.draw(st.sampled_from([np.dtype(np.int8), np.dtype(np.int32), np.dtype(np.uint64),
                                    np.dtype(np.int64), np.dtype(np.float32),
                                    np.dtype(np.float64)]))
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=6))
    vals = values(dt, 400, seed=data.draw(st.integers(0, 5)))
    arrs = []
    for shp in shapes.input_shapes:
        n = int(np.prod(shp))
        idx = data.draw(hnp.arrays(np.intp, n, elements=st.integers(0, len(vals) - 1)))
        arrs.append(data.draw(in_layout(vals[idx].reshape(shp))))
    if dt.kind == "f" and name in INT_BINARY:
        return
    policy = "spacing" if name == "logaddexp2" else policy_for(name)
    kw = {"ulp": 9} if name == "logaddexp2" else {}
    with np.errstate(all="ignore"):
        try:
            want = getattr(np, name)(*arrs)
        except TypeError:
            return
        for n in (1, 2):
            with cw.threads(n):
                assert_same(getattr(cw, name)(*arrs), want, policy, **kw)
        out = data.draw(in_layout(np.zeros(np.shape(want), np.asarray(want).dtype)))
        with cw.threads(2):
            r = getattr(cw, name)(*arrs, out=out)
        assert r is out
        assert_same(out, np.asarray(want), policy, types=False, **kw)


def test_out_tuples_and_two_outputs():
    a = np.arange(-10, 10, dtype=np.int64)
    b = np.array([3, -3, 0, 7] * 5, dtype=np.int64)
    q, r = np.empty_like(a), np.empty_like(a)
    with np.errstate(all="ignore"):
        got = cw.divmod(a, b, out=(q, r))
        want = np.divmod(a, b)
    assert got[0] is q and got[1] is r
    assert_same(got, want)
    x = np.linspace(-5, 5, 11)
    assert_same(cw.frexp(x), np.frexp(x))
    assert_same(cw.modf(x), np.modf(x))
    assert_same(cw.ldexp(x, np.arange(11)), np.ldexp(x, np.arange(11)))
    m, e = np.empty_like(x), np.empty(11, np.int32)
    assert cw.frexp(x, out=(m, e))[1] is e
    assert_same(cw.isnat(np.array(["NaT", "2020-01-01"], "M8[D]")),
                np.isnat(np.array(["NaT", "2020-01-01"], "M8[D]")))
    o = np.empty(20, np.int64)
    assert cw.bitwise_xor(a, b, out=o) is o and (o == a ^ b).all()
    assert cw.bitwise_xor(a, b, out=(o,)) is o
    o8 = np.zeros(20, np.uint8)
    cw.bitwise_count(a, out=o8)
    assert_same(o8, np.bitwise_count(a))
    with pytest.raises(TypeError):
        cw.bitwise_and(a, b, out=np.empty(20, bool))  # same_kind refuses, as NumPy


def test_inputs_untouched_and_in_place():
    a = np.arange(-50, 50, dtype=np.int32)
    keep = a.copy()
    cw.left_shift(a, 3)
    assert_same(a, keep)
    cw.bitwise_and(a, 7, out=a)
    assert_same(a, keep & 7)
    f = np.linspace(-9, 9, 101)
    g = np.linspace(-9, 9, 101)
    with np.errstate(all="ignore"):
        cw.floor_divide(f[1:], f[:-1], out=f[1:])  # partial overlap: as if read first
        np.floor_divide(g[1:], g[:-1], out=g[1:])
    assert_same(f, g, "nan-equal")


def test_big_arrays_parallel_equal_serial():
    rng = np.random.default_rng(5)
    x = rng.integers(-2**62, 2**62, 300_000)
    y = rng.integers(-70, 70, 300_000)
    f = rng.standard_normal(300_000) * 1e3
    g = rng.standard_normal(300_000)
    for name, args in (("left_shift", (x, y)), ("right_shift", (x, y)), ("gcd", (x, y)),
                       ("floor_divide", (x, y)), ("remainder", (f, g)),
                       ("floor_divide", (f, g)), ("logical_xor", (f, y)),
                       ("nextafter", (f, g)), ("hypot", (f, g))):
        serial_parallel_numpy(name, args)


def serial_parallel_numpy(name, args, policy="bitwise"):
    """1 and 2 threads give the same bits, NumPy's (under ``policy``)."""
    with np.errstate(all="ignore"):
        want = getattr(np, name)(*args)
        with cw.threads(1):
            one = getattr(cw, name)(*args)
        with cw.threads(2):
            two = getattr(cw, name)(*args)
    assert_same(one, want, policy)
    assert_same(two, one)


# ---- hypot: glibc's (NumPy's) bits, correctly rounded ---------------------------------

def _hypot_inputs(dtype, n, seed):
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    fi = np.finfo(dt)
    bits = np.uint32 if dt == np.float32 else np.uint64
    raw = rng.integers(0, np.iinfo(bits).max, n, dtype=bits, endpoint=True).view(dt)
    mant = rng.standard_normal(n).astype(dt)
    with np.errstate(all="ignore"):
        scale = (2.0 ** rng.integers(fi.minexp - fi.nmant, fi.maxexp, n)).astype(dt)
        near = (mant * scale).astype(dt)
        ratio = (near * (2.0 ** rng.integers(-60, 60, n)).astype(dt)).astype(dt)
    with np.errstate(all="ignore"):
        special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, fi.max, fi.tiny,
                            fi.smallest_subnormal, 1.0, 3.0, 4.0, 2.0 ** -511, 2.0 ** 511,
                            2.0 ** -450, 2.0 ** -600], np.float64).astype(dt)
    x = np.concatenate([raw, near, mant, np.repeat(special, len(special))])
    y = np.concatenate([rng.permutation(raw), ratio, rng.standard_normal(n).astype(dt),
                        np.tile(special, len(special))])
    return x, y


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=str)
def test_hypot_bitwise_numpy(dtype):
    x, y = _hypot_inputs(dtype, 200_000, 1)
    with np.errstate(all="ignore"):
        want = np.hypot(x, y)
        for n in (1, 2):
            with cw.threads(n):
                assert_same(cw.hypot(x, y), want, "nan-equal")
                assert_same(cw.hypot(x[::-3], y[::-3]), want[::-3], "nan-equal")
    assert cw.hypot(np.array([5.91608], np.float32), np.float32(1))[0] == np.float32(6.0)
    assert cw.hypot(np.inf, np.nan) == np.inf and cw.hypot(np.nan, -np.inf) == np.inf


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=str)
def test_hypot_warnings_as_numpy(dtype):
    x, y = _hypot_inputs(dtype, 50, 2)
    for mode in ("warn", "raise"):
        for a, b in zip(x[-300:], y[-300:]):
            a, b = np.array([a]), np.array([b])
            with np.errstate(all=mode, under="ignore"):
                check = call_both if mode == "warn" else None
                if check:
                    r = call_both("hypot", (a, b))
                    assert r[2] == r[3]
                else:
                    try:
                        np.hypot(a, b)
                    except FloatingPointError:
                        with pytest.raises(FloatingPointError):
                            cw.hypot(a, b)
                    else:
                        cw.hypot(a, b)


def test_hypot_correctly_rounded_against_mpmath():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.prec = 200
    for dtype in (np.float32, np.float64):
        x, y = _hypot_inputs(dtype, 1500, 3)
        ok = np.isfinite(x) & np.isfinite(y)
        x, y = x[ok][:2000], y[ok][:2000]
        with np.errstate(all="ignore"):
            got = cw.hypot(x, y)
        for a, b, g in zip(x.tolist(), y.tolist(), got):
            exact = mpmath.sqrt(mpmath.mpf(a) ** 2 + mpmath.mpf(b) ** 2)
            # correctly rounded: the float of the exact value (mpmath rounds
            # to nearest when converting to a Python float; float32 through
            # a 200-bit value, so no double rounding)
            if dtype == np.float64:
                want = np.float64(float(exact))
            else:
                want = np.float32(float(mpmath.mpf(exact)))  # see below
                # exact -> float64 -> float32 may double-round: decide by
                # comparing the distances exactly
                lo, hi = sorted([want, np.nextafter(want, np.float32(np.inf) if exact > mpmath.mpf(float(want)) else np.float32(-np.inf))])
                dlo, dhi = abs(exact - mpmath.mpf(float(lo))), abs(exact - mpmath.mpf(float(hi)))
                want = lo if dlo < dhi or (dlo == dhi and int(lo.view(np.uint32)) % 2 == 0) else hi
            assert g == want or (np.isinf(g) and np.isinf(want)), (dtype, a, b, g, want)


# ---- the CW_MULTI rows: divmod, modf, frexp, ldexp ------------------------------------

# exponents: the int32 range's ends, past them (int64: NumPy clamps), the
# float formats' overflow/underflow edges
EXPONENTS = [0, 1, -1, 2, -2, 10, -10, 100, -100, 126, 127, 128, -126, -149, -150,
             1023, 1024, -1022, -1074, -1075, 2000, -2000, 2**31 - 1, -2**31,
             2**31, -2**31 - 1, 2**40, -2**40, 2**63 - 1, -2**63]


def multi_args(name, dt, edt=np.int64):
    """Operands of ``name`` for dtype ``dt``: value pairs of every special
    against every other (divmod), the values (modf, frexp), the values
    against EXPONENTS in ``edt`` (ldexp)."""
    if name == "divmod":
        return pairs(dt)
    v = values(dt, 300)
    if name != "ldexp":
        return (v,)
    if edt is bool:
        e = np.array([True, False])
    else:
        ei = np.iinfo(edt)
        e = np.array([k for k in EXPONENTS if ei.min <= k <= ei.max], edt)
    x, y = np.meshgrid(v, e)
    return x.ravel(), y.ravel()


def test_multi_rows_have_native_loops():
    """Each is native for float32/float64 (divmod also for int32/int64 and
    the widened small integers), NumPy's for the rest -- and for float64
    frexp and int32-exponent ldexp, where NumPy's SIMD loops are faster
    (csrc/ops.def)."""
    f32, f64, i32, i64 = (np.dtype(t) for t in ("f4", "f8", "i4", "i8"))
    for name in MULTI:
        op = getattr(cw, name).op
        assert op.kind == "multi" and op.nout == op.ufunc.nout
        ins = [(f32, i64), (f64, i64)] if name == "ldexp" \
            else [(f32,)] if name == "frexp" else [(d,) * op.nin for d in (f32, f64)]
        for key in ins:
            assert op.loop(*key) is not None, (name, key)
        nope = [(f32, i32), (f64, i32)] if name == "ldexp" else [(f64,)] if name == "frexp" else []
        for key in nope:
            assert op.loop(*key) is None, (name, key)
        assert op.loop(*(np.dtype(np.float16),) * op.nin) is None
        assert op.loop(*(np.dtype(np.longdouble),) * op.nin) is None
    div = cw.divmod.op
    for t in ("i4", "i8", "u1", "u2", "u4"):
        assert div.loop(np.dtype(t), np.dtype(t)) is not None, t
    for t in ("i1", "i2", "u8", "?"):
        assert div.loop(np.dtype(t), np.dtype(t)) is None, t


@pytest.mark.parametrize("dtype", ALL, ids=str)
def test_divmod_every_dtype_is_floor_divide_and_remainder(dtype):
    """divmod's outputs are exactly floor_divide's and remainder's (their
    element functions), NumPy's warnings; NumPy's values (NaN payloads aside,
    as for those rows: fmod's NaN)."""
    x, y = multi_args("divmod", dtype)
    check_same("divmod", (x, y), "nan-equal")
    # float16 divmod is NumPy's own half loop while corewise's floor_divide
    # and remainder compute float16 in float32: NaN payloads and signs may
    # differ there (they do with PyPy's NumPy build), the values may not
    policy = "nan-equal" if np.dtype(dtype) == np.float16 else "bitwise"
    with np.errstate(all="ignore"):
        q, r = cw.divmod(x, y)
        assert_same(q, cw.floor_divide(x, y), policy)
        assert_same(r, cw.remainder(x, y), policy)


@pytest.mark.parametrize("name", ["frexp", "modf"])
@pytest.mark.parametrize("dtype", ALL, ids=str)
def test_frexp_modf_every_dtype_bitwise(name, dtype):
    check_same(name, multi_args(name, dtype))


@pytest.mark.parametrize("edt", [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32,
                                 np.int64, np.uint64, bool], ids=str)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32], ids=str)
def test_ldexp_every_exponent_dtype_bitwise(dtype, edt):
    """Overflow to inf and underflow to 0 (subnormals on the way) with
    NumPy's warnings; int64 exponents past the int range clamped as NumPy."""
    x, e = multi_args("ldexp", np.dtype(dtype) if dtype != np.int32 else np.float64, edt)
    if dtype == np.int32:
        x = np.clip(np.nan_to_num(x), -1e9, 1e9).astype(np.int32)
    check_same("ldexp", (x, e))


def test_multi_special_values_explicitly():
    for dt in (np.float32, np.float64):
        fi = np.finfo(dt)
        x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, fi.smallest_subnormal,
                      -fi.tiny / 3, fi.max, 1.5, -2.75], dt)
        for name, args in (("frexp", (x,)), ("modf", (x,)),
                           ("ldexp", (x, np.array([1, -1, 5000, -5000, 2**40, -2**40, 0, 3,
                                                   -3, 1, 1])))):
            check_same(name, args)
        check_same("divmod", (x, x[::-1]), "nan-equal")
        check_same("divmod", (x, np.zeros_like(x)), "nan-equal")
    for dt in (np.int32, np.int64, np.uint8, np.uint32):
        info = np.iinfo(dt)
        a = np.array([info.min, info.max, 0, 7, -7 if info.min else 9], dt)
        for b in (np.zeros_like(a), np.full_like(a, -1 if info.min else 1), a[::-1]):
            check_same("divmod", (a, b))


def test_multi_python_scalars_and_fallbacks():
    a = np.linspace(-4, 4, 9)
    i = np.arange(-4, 5)
    for args in (("divmod", (a, 3)), ("divmod", (7.5, a)), ("divmod", (i, 3)),
                 ("divmod", (5, 3)), ("divmod", (5.0, -0.0)), ("divmod", (i, 2.5)),
                 ("divmod", (np.float32(3), 2)), ("divmod", (a.astype(np.float32), 1.5)),
                 ("ldexp", (a, 3)), ("ldexp", (2.0, i)), ("ldexp", (1.0, 2**40)),
                 ("ldexp", (a.astype(np.float32), np.int64(-200))),
                 ("frexp", (3.0,)), ("frexp", (np.float32(-0.0),)), ("modf", (-2.5,)),
                 ("modf", (i,)), ("frexp", (i,)), ("frexp", ([1.0, 2.0],)),
                 # NumPy's own: float16, longdouble, object, mixed/no loop, huge ints
                 ("divmod", (a.astype(np.float16), 2)), ("frexp", (np.array([1.0], object),)),
                 ("ldexp", (a, 2.0)), ("divmod", (i.astype("u8"), i)),
                 ("divmod", (i.astype(np.int8), np.int8(3)))):
        name, args = args
        check_same(name, args)
    for name, args in (("ldexp", (a, 2**70)), ("divmod", (i, 2**70))):
        with pytest.raises(OverflowError):
            getattr(np, name)(*args)
        with pytest.raises(OverflowError):
            getattr(cw, name)(*args)
    ld = a.astype(np.longdouble)  # (its padding bytes are not compared)
    for g, w in zip(cw.modf(ld), np.modf(ld)):
        assert g.dtype == w.dtype and np.array_equal(g, w)


def test_multi_keywords_go_to_numpy():
    a, b = np.linspace(-4, 4, 9), np.arange(1, 10.0)
    with np.errstate(all="ignore"):
        for kw in ({"dtype": np.float32}, {"casting": "unsafe"}, {"signature": "ff->ff"},
                   {"order": "F"}, {"casting": "same_kind", "order": "K", "subok": True,
                                    "where": True, "dtype": None}):
            check_same("divmod", (a, b), **kw)
        q, r = np.zeros(9), np.zeros(9)
        q2, r2 = np.zeros(9), np.zeros(9)
        m = np.arange(9) % 2 == 0
        cw.divmod(a, b, out=(q, r), where=m)
        np.divmod(a, b, out=(q2, r2), where=m)
        assert_same((q, r), (q2, r2))
    q, q2 = np.zeros(9), np.zeros(9)  # one positional out of two: NumPy's
    assert_same(cw.divmod(a, b, q), np.divmod(a, b, q2))
    assert_same(q, q2)
    for bad in ((a,), (a, b, np.zeros(9), np.zeros(9), np.zeros(9))):
        with pytest.raises(TypeError):
            np.divmod(*bad)
        with pytest.raises(TypeError):
            cw.divmod(*bad)
    with pytest.raises((TypeError, ValueError)):
        cw.divmod(a, b, out=np.zeros(9))
    with pytest.raises(ValueError):
        cw.modf(a, out=(np.zeros(9), np.zeros(8)))
    outs = [(np.zeros(9), np.zeros(9)) for _ in range(2)]  # exponents cast to float64
    assert_same(cw.frexp(a, out=outs[0]), np.frexp(a, out=outs[1]))
    with pytest.raises(TypeError):
        np.modf(a, out=(np.zeros(9), np.zeros(9, np.int64)))
    with pytest.raises(TypeError):
        cw.modf(a, out=(np.zeros(9), np.zeros(9, np.int64)))  # same_kind refuses, as NumPy
    ro = np.zeros(9)
    ro.flags.writeable = False
    with pytest.raises(ValueError):
        cw.modf(a, out=(ro, np.zeros(9)))
    assert (ro == 0).all()


def _multi_draw(data, name):
    dt = data.draw(st.sampled_from([np.dtype(np.float32), np.dtype(np.float64)]
                                   + ([np.dtype(np.int32), np.dtype(np.int64),
                                       np.dtype(np.uint8)] if name == "divmod" else [])))
    nin = getattr(np, name).nin
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=nin, max_dims=3, max_side=6))
    vals = values(dt, 400, seed=data.draw(st.integers(0, 5)))
    edt = data.draw(st.sampled_from([np.int32, np.int64])) if name == "ldexp" else np.int64
    ex = np.array([k for k in EXPONENTS if np.iinfo(edt).min <= k <= np.iinfo(edt).max], edt)
    arrs = []
    for k, shp in enumerate(shapes.input_shapes):
        v = ex if name == "ldexp" and k == 1 else vals
        n = int(np.prod(shp))
        idx = data.draw(hnp.arrays(np.intp, n, elements=st.integers(0, len(v) - 1)))
        arrs.append(data.draw(in_layout(v[idx].reshape(shp))))
    return arrs


@settings(max_examples=40, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize("name", MULTI)
def test_multi_layouts_threads_and_out(name, data, tiny_threshold):
    """Any layout (strided, negative, transposed, broadcast, 0-d, empty),
    1 vs 2 threads, out= tuples in any layout: NumPy's bits."""
    arrs = _multi_draw(data, name)
    policy = "nan-equal" if name == "divmod" else "bitwise"
    with np.errstate(all="ignore"):
        want = getattr(np, name)(*arrs)
        for n in (1, 2):
            with cw.threads(n):
                assert_same(getattr(cw, name)(*arrs), want, policy)
        wants = want if isinstance(want, tuple) else (want,)
        outs = tuple(data.draw(in_layout(np.zeros(np.shape(w), np.asarray(w).dtype)))
                     for w in wants)
        with cw.threads(2):
            r = getattr(cw, name)(*arrs, out=outs if len(outs) > 1 else outs[0])
        rs = r if isinstance(r, tuple) else (r,)
        assert all(g is o for g, o in zip(rs, outs))
        for o, w in zip(outs, wants):
            assert_same(o, np.asarray(w), policy, types=False)
        if len(outs) > 1:  # positional outs
            outs2 = tuple(np.zeros_like(o) for o in outs)
            getattr(cw, name)(*arrs, *outs2)
            for o, w in zip(outs2, wants):
                assert_same(o, np.asarray(w), policy, types=False)


def test_multi_in_place_and_overlap():
    a = np.linspace(-9, 9, 101)
    b = np.linspace(1, 5, 101)
    keep_a, keep_b = a.copy(), b.copy()
    with np.errstate(all="ignore"):
        want = np.divmod(a, b)
        got = cw.divmod(a, b)
        assert_same(a, keep_a) and assert_same(b, keep_b)
        assert_same(got, want)
        x, y = a.copy(), b.copy()
        cw.divmod(x, y, out=(x, y))            # in place: both outputs are inputs
        assert_same((x, y), want)
        x, y = a.copy(), b.copy()
        cw.divmod(x, y, out=(y, x))            # swapped
        assert_same((y, x), want)
        f, g = a.copy(), a.copy()
        cw.modf(f[1:], out=(f[:-1], np.empty(100)))  # partial overlap: as if read first
        np.modf(g[1:], out=(g[:-1], np.empty(100)))
        assert_same(f, g)
        e = np.arange(101)
        f, g = a.copy(), a.copy()
        cw.ldexp(f[:-1], e[:-1], out=f[1:])
        np.ldexp(g[:-1], e[:-1], out=g[1:])
        assert_same(f, g)
        q, q2 = np.zeros(101), np.zeros(101)  # one array for both: NumPy's order of writes
        assert_same(cw.divmod(a, b, out=(q, q)), np.divmod(a, b, out=(q2, q2)))
        assert_same(q, q2)
        m = np.zeros(101, np.int64)  # exponent into int64: a cast on the way out
        m2 = np.zeros(101, np.int64)
        cw.frexp(a, out=(np.zeros(101), m))
        np.frexp(a, out=(np.zeros(101), m2))
        assert_same(m, m2)


def test_multi_big_arrays_parallel_equal_serial():
    rng = np.random.default_rng(7)
    f = rng.standard_normal(300_000) * 10.0 ** rng.integers(-300, 300, 300_000)
    g = rng.standard_normal(300_000)
    e = rng.integers(-1100, 1100, 300_000)
    i = rng.integers(-2**62, 2**62, 300_000)
    d = rng.integers(-70, 70, 300_000)
    for name, args in (("divmod", (f, g)), ("divmod", (i, d)), ("modf", (f,)),
                       ("frexp", (f,)), ("ldexp", (g, e)), ("ldexp", (g.astype(np.float32), e))):
        serial_parallel_numpy(name, args, "nan-equal" if name == "divmod" else "bitwise")


def _unaligned(a, offset):
    buf = bytearray(a.nbytes + 16)
    u = np.ndarray(a.shape, a.dtype, buffer=buf, offset=offset)
    u[...] = a
    return u


@pytest.mark.parametrize("name", MULTI)
@pytest.mark.parametrize("dt", ["<f4", "<f8", ">f4", ">f8", "<f2", ">i4", "<i8", ">u2"])
def test_multi_unaligned_byte_order_and_float16(name, dt, tiny_threshold):
    """(hardening_util's properties for these rows) unaligned inputs and
    outputs give the aligned bits; big-endian and float16 operands are
    NumPy's answer."""
    x = values(np.dtype(dt).newbyteorder("="), 301)[:301].astype(dt).reshape(7, 43)
    args = {"ldexp": (x, (np.arange(x.size) % 41 - 20).reshape(x.shape).astype(np.int32)),
            "divmod": (x, x[::-1, ::-1].copy())}.get(name, (x,))
    policy = "nan-equal" if name == "divmod" else "bitwise"
    with np.errstate(all="ignore"):
        want = getattr(np, name)(*args)
        assert_same(getattr(cw, name)(*args), want, policy)
        wants = want if isinstance(want, tuple) else (want,)
        for offset in (1, 3):
            u = [_unaligned(a, offset) for a in args]
            for nt in (1, 2):
                with cw.threads(nt):
                    assert_same(getattr(cw, name)(*u), want, policy)
                    outs = tuple(_unaligned(np.zeros_like(w), offset + 1) for w in wants)
                    r = getattr(cw, name)(*u, out=outs)
                    assert all(g is o for g, o in zip(r if isinstance(r, tuple) else (r,), outs))
                    for o, w in zip(outs, wants):
                        assert_same(o, w, policy)
