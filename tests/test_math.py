"""The math family, parametrised by the C table: binary operators with
broadcasting and NumPy 2 promotion, predicates and comparisons, native
integer loops, special values and FP warnings as NumPy, and the accuracy
contract against mpmath."""
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import corewise as cw
from accuracy import DOMAINS, F32, F64, measure, readme_rows
from corewise._lib import lib
from corewise._ufunc import ALIASES
from corewise._optable import MATH_OPS as OPS  # the float rows (test_natives: the others)
from oracle import (CONVERTIBLE, FLOATS, assert_same, elements, in_layout, same_as_numpy,
                    specials)

BINARY = [op for op in OPS if op.nin == 2]
EXACT = [op for op in OPS if op.max_ulp == 0 and op.max_ulp_f32 == 0]
APPROX = [op for op in OPS if op not in EXACT]
INTS = [np.dtype(t) for t in (np.int8, np.uint8, np.int16, np.uint16, np.int32,
                              np.uint32, np.int64, np.uint64)]
ids = lambda op: op.name  # noqa: E731


def fn(op):
    return getattr(cw, op.name)


def args_for(op, *arrays):
    return arrays[:op.nin]


# Which zero maximum/minimum/fmax/fmin return for (+0, -0) differs between
# NumPy's own SIMD and scalar paths; corewise follows the SIMD one.
ZERO_TIES = {"maximum", "minimum", "fmax", "fmin"}


def compare(op, got_fn, want_fn):
    if op in EXACT and op.nin == 2:
        # Bitwise, except which NaN propagates when both operands are NaN
        # (GCC may swap the operands of a commutative + or *, as may NumPy).
        policy = "signed-zero-free" if op.name in ZERO_TIES else "nan-equal"
        return same_as_numpy(got_fn, want_fn, policy)
    if op in EXACT:
        return same_as_numpy(got_fn, want_fn)
    try:
        want = want_fn()
    except (TypeError, ValueError):
        with pytest.raises((TypeError, ValueError)):
            got_fn()
        return None
    got = got_fn()
    loop = F32 if np.asarray(want).dtype in (F32, np.float16) else F64
    # (each side is within the contract of the exact value, so this bounds
    # the pair loosely)
    assert_same(got, want, "spacing", ulp=2 * op.ulp(loop) + 1)
    return got


# ---- the table -------------------------------------------------------------------

def test_table_exports_every_function_and_alias():
    names = {op.name for op in OPS}
    for want in ("add", "subtract", "multiply", "divide", "power", "hypot", "arctan2",
                 "maximum", "minimum", "fmax", "fmin", "fmod", "copysign", "logaddexp",
                 "less", "less_equal", "greater", "greater_equal", "equal", "not_equal",
                 "sqrt", "cbrt", "square", "reciprocal", "negative", "positive",
                 "absolute", "fabs", "sign", "exp", "exp2", "expm1", "log", "log2",
                 "log10", "log1p", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
                 "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "deg2rad",
                 "rad2deg", "floor", "ceil", "trunc", "rint", "isnan", "isinf",
                 "isfinite", "signbit"):
        assert want in names and callable(getattr(cw, want))
    assert {k: v for k, v in ALIASES.items() if k in ("abs", "true_divide")} == {
        "abs": "absolute", "true_divide": "divide"}  # NumPy 2's names: test_natives
    assert cw.abs is cw.absolute and cw.true_divide is cw.divide
    for op in OPS:
        assert fn(op).__doc__.startswith(op.doc)
        assert op.max_ulp <= 4 and op.max_ulp_f32 <= 4
        assert op.nin == op.ufunc.nin


def test_every_approximate_row_has_an_accuracy_domain():
    assert {op.name for op in APPROX} == set(DOMAINS)


def test_readme_accuracy_table_matches_the_c_table():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for row in readme_rows(OPS):
        assert row in readme, f"README accuracy table lacks or differs: {row}"


# ---- values: special values and hypothesis arrays, every layout --------------------

@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("op", OPS, ids=ids)
def test_special_values(op, dtype):
    s = specials(dtype)
    if op.nin == 1:
        a = (s,)
    else:
        x, y = np.meshgrid(s, s)
        a = (x.ravel(), y.ravel())
    with np.errstate(all="ignore"):
        compare(op, lambda: fn(op)(*a), lambda: op.ufunc(*a))


def _mutual(draw, nin):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=nin, max_dims=3, max_side=5))
    return shapes.input_shapes


@settings(max_examples=60)
@given(data=st.data())
@pytest.mark.parametrize("op", OPS, ids=ids)
def test_broadcast_dtypes_layouts_threads(op, data, tiny_threshold):
    shapes = _mutual(data.draw, op.nin)
    arrays = []
    for shp in shapes:
        dt = np.dtype(data.draw(st.sampled_from(CONVERTIBLE)))
        a = data.draw(hnp.arrays(dt, shp, elements=elements(dt)))
        arrays.append(data.draw(in_layout(a)))
    before = [a.copy() for a in arrays]
    with np.errstate(all="ignore"), cw.threads(data.draw(st.integers(1, 4))):
        compare(op, lambda: fn(op)(*arrays), lambda: op.ufunc(*arrays))
    for a, b in zip(arrays, before):
        assert_same(a, b)


@pytest.mark.parametrize("op", OPS, ids=ids)
def test_thread_count_and_layout_do_not_change_bits(op):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((301, 257)) * 10
    y = rng.standard_normal((301, 257)) * 10 + 0.5
    a = args_for(op, x, y)
    with np.errstate(all="ignore"):
        ref = fn(op)(*a)
        for t in (1, 2, 3):
            with cw.threads(t):
                assert_same(fn(op)(*a), ref)
                assert_same(fn(op)(*(np.asfortranarray(v) for v in a)), ref)
                assert_same(fn(op)(*(v[::-1, ::-1] for v in a))[::-1, ::-1], ref)
                assert_same(fn(op)(*(v.T for v in a)).T, ref)
                for i in range(0, 301, 37):  # any element, any offset in a block
                    assert_same(fn(op)(*(v[i, 3:] for v in a)), ref[i, 3:])


# ---- binary specifics ---------------------------------------------------------------

@pytest.mark.parametrize("op", BINARY, ids=ids)
def test_python_scalars_promote_as_numpy_2(op):
    x32 = np.array([0.5, 1.5, 2.0, -3.0], np.float32)
    x64 = x32.astype(np.float64)
    i8 = np.array([1, 2, 100, -100], np.int8)
    cases = [(x32, 2.5), (2.5, x32), (x32, 3), (x64, 2.5), (x32, np.float64(2.5)),
             (x32, x64), (i8, 2), (i8, 2.5), (x32, True), (3, 4.5), (2.0, 3.0),
             (np.float32(2), 3.0), (np.array(2.0, np.float32), x64)]
    for a, b in cases:
        with np.errstate(all="ignore"):
            compare(op, lambda: fn(op)(a, b), lambda: op.ufunc(a, b))
    try:  # out-of-range Python int: OverflowError, except for comparisons
        with np.errstate(all="ignore"):  # (float_power: 100.0 ** 1000 overflows)
            want = op.ufunc(i8, 1000)
    except OverflowError:
        with pytest.raises(OverflowError):
            fn(op)(i8, 1000)
    else:
        with np.errstate(all="ignore"):
            compare(op, lambda: fn(op)(i8, 1000), lambda: want)


@pytest.mark.parametrize("op", BINARY, ids=ids)
def test_binary_fast_path_layouts(op, fast_path_buffers):
    """Contiguous pairs, scalars on either side and every other layout of
    inputs and out= (views, Fortran order, read-only, mismatched shapes or
    dtypes, 0-d) give NumPy's answer or error; C only ever sees C-contiguous
    buffers (the fixture asserts it)."""
    import corewise._ufunc as u
    f = u.make_binary(op)  # binds the checked from_buffer
    rng = np.random.default_rng(11)
    a = rng.uniform(0.5, 4, (6, 8))
    b = rng.uniform(0.5, 4, (6, 8))
    pairs = [(a, b), (a, 2.5), (2.5, a), (a.T, b.T), (a[::2], b[::2]), (a, b[:, ::-1]),
             (np.asfortranarray(a), b), (a, b[0]), (a[:, :1], b), (a.astype(np.float32), b),
             (a.astype(np.float32), b.astype(np.float32)), (a.astype(np.float32), 2.5),
             (np.array(1.5), np.array(2.5)), (np.array(1.5), 2.5)]
    with np.errstate(all="ignore"):
        for x, y in pairs:
            compare(op, lambda: f(x, y), lambda: op.ufunc(x, y))
            shape = np.broadcast_shapes(np.shape(x), np.shape(y))
            odt = op.ufunc(x, y).dtype
            # the last: a cast on the way out (float64 -> float32)
            for out in (np.empty(shape, odt), np.empty(shape, odt, order="F"),
                        np.empty(shape[::-1], odt).T,
                        np.empty(shape, np.float32 if odt == np.float64 else odt)):
                want = out.copy()
                assert f(x, y, out=out) is out
                compare(op, lambda: out, lambda: op.ufunc(x, y, out=want))
            ro = np.zeros(shape, odt)
            ro.flags.writeable = False
            with pytest.raises(ValueError, match="read-only"):
                f(x, y, out=ro)
            assert not ro.any()
        with pytest.raises(ValueError, match=r"\(6,8\) \(8,6\)"):  # NumPy's message
            f(a, a.T.copy())
    assert fast_path_buffers


@pytest.mark.parametrize("op", BINARY, ids=ids)
def test_python_float_overflowing_float32(op):
    """A Python float beyond float32's range beside a float32 array: NumPy
    casts it to inf and warns "overflow encountered in cast" -- so does
    corewise, on the fast path (contiguous array) and the general one."""
    import warnings
    x = np.array([0.5, 1.5, -2.0, 3.0], np.float32)
    lim = 3.4028235677973366e38  # FLT_MAX + half an ulp: rounds to inf
    for v in (1e300, -1e300, lim, -lim, np.nextafter(lim, 0), np.inf, np.nan):
        for arr in (x, x[::-1]):
            for args in ((arr, v), (v, arr)):
                with warnings.catch_warnings(record=True) as wn:
                    warnings.simplefilter("always")
                    want = op.ufunc(*args)
                with warnings.catch_warnings(record=True) as wc:
                    warnings.simplefilter("always")
                    got = fn(op)(*args)
                assert [str(w.message) for w in wc] == [str(w.message) for w in wn], (v, args)
                with np.errstate(all="ignore"):
                    compare(op, lambda: got, lambda: want)


@pytest.mark.parametrize("op", BINARY, ids=ids)
def test_unbroadcastable_shapes_name_both(op):
    """NumPy's own error (class and message: the ufunc protocol's rule)."""
    out = np.empty(3, fn(op)(1.0, 1.0).dtype)
    for args, kw in (((np.ones(3), np.ones(4)), {}), ((np.ones((2, 3)), np.ones(3)), {"out": out})):
        with pytest.raises(ValueError) as want:
            op.ufunc(*args, **kw)
        with pytest.raises(ValueError, match=re.escape(str(want.value))):
            fn(op)(*args, **kw)


@pytest.mark.parametrize("op", BINARY, ids=ids)
def test_out_in_place_overlap_and_cast(op):
    rng = np.random.default_rng(3)
    base = rng.uniform(0.5, 4, 5000)
    with np.errstate(all="ignore"):
        for sl in (slice(0, 4000), slice(1, 4001), slice(1000, 5000)):
            got, want = base.copy(), base.copy()
            if op.bool_out:
                ob, wb = np.zeros(4000, bool), np.zeros(4000, bool)
                fn(op)(got[:4000], got[sl], out=ob)
                op.ufunc(want[:4000], want[sl], out=wb)
                assert_same(ob, wb)
                continue
            fn(op)(got[:4000], got[sl], out=got[sl])  # in place / partial overlap
            op.ufunc(want[:4000], want[sl], out=want[sl])
            compare(op, lambda: got, lambda: want)
        for odt in (np.float32, np.float16, np.complex128):
            if op.bool_out:
                continue
            g, w = np.zeros(7, odt), np.zeros(7, odt)
            compare(op, lambda: fn(op)(base[:7], 2.0, out=g), lambda: op.ufunc(base[:7], 2.0, out=w))
        o = np.empty((3, 4), fn(op)(1.0, 1.0).dtype)
        with warnings.catch_warnings():  # NumPy 2.4 deprecates it for maximum/minimum (and so do we)
            warnings.simplefilter("ignore", DeprecationWarning)
            assert fn(op)(base[:4], base[:3, None], o) is o  # positional out
        compare(op, lambda: o, lambda: op.ufunc(base[:4], base[:3, None]))


# ---- integers -------------------------------------------------------------------------

INT_OPS = [op for op in OPS if op.int_loops]


@pytest.mark.parametrize("dtype", INTS + [np.dtype(bool)], ids=str)
@pytest.mark.parametrize("op", INT_OPS, ids=ids)
def test_integers_wrap_like_numpy(op, dtype, tiny_threshold):
    if dtype.kind == "b":
        vals = np.array([True, False, True, True])
    else:
        ii = np.iinfo(dtype)
        vals = np.array([0, 1, 2, ii.max, ii.min, ii.max - 1, ii.min + 1, 7, ii.max // 2], dtype)
    x, y = np.meshgrid(vals, vals)
    a = args_for(op, x, y)
    for t in (1, 3):
        # (floor_divide/remainder by 0 warn: test_natives checks the warnings)
        with cw.threads(t), np.errstate(divide="ignore", over="ignore"):
            same_as_numpy(lambda: fn(op)(*a), lambda: op.ufunc(*a))
    # native int32/int64 loops with scalars, broadcasting and out=
    if dtype in (np.int32, np.int64) and op.nin == 2:
        with np.errstate(divide="ignore", over="ignore"):
            same_as_numpy(lambda: fn(op)(x, 5), lambda: op.ufunc(x, 5))
            same_as_numpy(lambda: fn(op)(x[:, :1], y[::-1]),
                          lambda: op.ufunc(x[:, :1], y[::-1]))


def test_integer_rows_without_native_loops_follow_numpy():
    """floor/sign/fmod/... of integers and uint64 maximum: NumPy's own loop."""
    i = np.array([-5, 3, 0, 7], np.int64)
    u = np.array([2**64 - 1, 0, 2**63, 5], np.uint64)
    for f, a in ((cw.floor, (i,)), (cw.sign, (i,)), (cw.square, (i,)), (cw.fmod, (i, 3)),
                 (cw.maximum, (u, u[::-1])), (cw.less, (u, u[::-1])), (cw.less, (i, u)),
                 (cw.power, (i, 2)), (cw.isnan, (i,))):
        with np.errstate(all="ignore"):
            same_as_numpy(lambda: f(*a), lambda: getattr(np, f.__name__)(*a))


# ---- floating-point exceptions ---------------------------------------------------------------

# Documented: glibc's pow(0, -inf) and pow(huge, inf) return inf without
# the divide-by-zero/overflow flag that NumPy's (SVML) loop reports.
KNOWN_FPE_DIFFERENCES = {"power": lambda p: np.isinf(p[1]) and abs(p[0]) in (0.0, 1e308, 1.7976931348623157e308)}


@pytest.mark.parametrize("op", OPS, ids=ids)
def test_fp_warnings_as_numpy_on_special_values(op):
    """Each special value (pair) alone: corewise reports divide-by-zero,
    overflow and invalid exactly when NumPy does."""
    s = [float(v) for v in specials(np.float64)] + [1e308, -1e308, 800.0, -800.0, 0.5, 2.0]
    pairs = [(v,) for v in s] if op.nin == 1 else [(v, w) for v in s for w in s]

    def raised(f, args):
        with np.errstate(all="raise", under="ignore"):
            try:
                f(*(np.array([v] * 3) for v in args))
            except FloatingPointError as e:
                return str(e).split(" encountered")[0]
        return None
    bad = [(p, raised(op.ufunc, p), raised(fn(op), p)) for p in pairs]
    bad = [b for b in bad if b[1] != b[2] and not KNOWN_FPE_DIFFERENCES.get(op.name, bool)(b[0])]
    assert not bad, bad[:10]


LONG_FPE_OPS = [op for op in OPS if op.nin == 1 and op.name in ("exp", "log", "tanh", "sqrt")]


@pytest.mark.parametrize("op", LONG_FPE_OPS, ids=ids)
@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
def test_fp_warning_of_one_special_value_in_a_long_array(op, dtype, tiny_threshold):
    """The libmvec loops test FP flags and non-finite results per stretch
    of a block: one special value anywhere in a long array (first, last,
    on and beside a stretch boundary) still warns as NumPy does, and the
    results do not depend on where it sits or on the thread count."""
    n = 3 * 8192 + 77
    base = np.linspace(0.5, 2.0, n).astype(dtype)
    for pos in (0, 8191, 8192, 2 * 8192 + 5, n - 1):
        for bad in (-1.0, 0.0, 1e6 if dtype == F32 else 1e308, np.nan):
            x = base.copy()
            x[pos] = bad
            with np.errstate(all="ignore"):
                want = op.ufunc(x)
            for t in (1, 2):
                with cw.threads(t):
                    for category in ("divide", "over", "invalid"):
                        with np.errstate(all="ignore", **{category: "raise"}):
                            try:
                                op.ufunc(x)
                                np_raised = False
                            except FloatingPointError:
                                np_raised = True
                            try:
                                got = fn(op)(x)
                                cw_raised = False
                            except FloatingPointError:
                                cw_raised = True
                        assert np_raised == cw_raised, (op.name, pos, bad, category, t)
                    with np.errstate(all="ignore"):
                        got = fn(op)(x)
                    assert_same(got, want, "spacing", ulp=2 * op.ulp(dtype) + 1)
                    with np.errstate(all="ignore"):
                        ref = fn(op)(base)
                    keep = np.arange(n) != pos
                    assert np.array_equal(got[keep], ref[keep])


# ---- the accuracy contract --------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
@pytest.mark.parametrize("op", APPROX, ids=ids)
def test_accuracy_against_mpmath(op, dtype):
    worst = measure(op, fn(op), dtype, n=300, seed=11)
    assert worst <= op.ulp(dtype), f"{op.name} {dtype}: {worst:.2f} ULP > {op.ulp(dtype)}"


@settings(max_examples=25)
@given(data=st.data())
@pytest.mark.parametrize("op", APPROX, ids=ids)
def test_accuracy_hypothesis(op, data):
    from accuracy import ulp_errors
    dtype = data.draw(st.sampled_from([F32, F64]))
    doms = DOMAINS[op.name]
    doms = (doms,) if op.nin == 1 else doms
    args = []
    for d in doms:
        lo, hi = (float(dtype.type(b)) for b in data.draw(st.sampled_from(d[dtype])))
        v = data.draw(st.floats(lo, hi, width=32 if dtype == F32 else 64))
        args.append(np.array([v], dtype))
    with np.errstate(all="ignore"):
        got = fn(op)(*args)
    errs = ulp_errors(op.name, dtype, got, *args)
    assert (errs <= op.ulp(dtype)).all(), (args, got, errs)


# ---- corewise's own float32 tanh (csrc/cw_tanhf.h, csrc/vtanhf.c) --------------------------

# The rows computed by libmvec, whose FP flags a scalar libm pass re-derives
# (ops.def's CW_VMATH column; csrc/kernels.c, call())
LIBMVEC_ROWS = sorted(op.name for op in OPS if op.fpe == lib.CW_VMATH)


def _boundary_inputs(dtype):
    """Inputs whose results lie at or near every flag threshold of the
    libmvec rows, a few ULP either side, and random magnitudes over the
    whole range, both signs."""
    fi = np.finfo(dtype)
    edges = [0.0, 1.0, 0.5, 2.0, 3.0, 10.0, 1e-5, float(fi.tiny), float(fi.smallest_subnormal),
             float(fi.tiny) / 3, float(fi.max), float(fi.max) / 4, np.pi / 2, np.pi]
    edges += ([709.782712893384, 708.3964185322641, 745.1332191019411, 710.4758600739439,
               1024.0, 1022.0, 1074.0, 1075.0, 307.6526555685888, 308.25471555991675,
               323.3062153431158, 1e-300, 1e-310, 1e300, 2.0 ** 19, 1e22]
              if dtype == F64 else
              [88.72283, 87.33654, 103.97208, 89.41599, 128.0, 126.0, 149.0, 150.0,
               38.53184, 44.85346, 1e-30, 1e-40, 1e30, 2.0 ** 19, 1e9])
    x = np.array(edges + [-e for e in edges], dtype)
    near, up, down = [x], x, x
    with np.errstate(all="ignore"):
        for _ in range(3):
            up, down = np.nextafter(up, dtype.type(np.inf)), np.nextafter(down, dtype.type(-np.inf))
            near += [up, down]
    rng = np.random.default_rng(7)
    top = np.log10(float(fi.max))
    rand = (10.0 ** rng.uniform(np.log10(float(fi.smallest_subnormal)), top, 300)
            * rng.choice([-1.0, 1.0], 300)).astype(dtype)
    return np.unique(np.concatenate(near + [rand, np.array([np.inf, -np.inf], dtype)]))


def _warned(f, args):
    """The set of FP warnings one call raises (underflow included)."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with np.errstate(all="warn"):
            f(*args)
    return frozenset(str(m.message).split(" encountered")[0] for m in w)


@pytest.mark.parametrize("name", LIBMVEC_ROWS)
@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
def test_flag_pass_on_the_suspect_elements_only_loses_no_flag(name, dtype):
    """The flag pass of a stretch that raised a flag or wrote an inf/NaN
    calls libm only for the elements whose vector output is not an
    ordinary number (kernels.c, cw_flag_suspect_f64): over inputs at every
    flag threshold, each beside a NaN (which sets the stretch off), the
    warnings are the same as when libm re-evaluates every element."""
    f = getattr(cw, name)
    x = _boundary_inputs(dtype)
    nan = np.array([np.nan], dtype)
    if f.nin == 1:
        cases = [(np.concatenate([x[i:i + 1], nan]),) for i in range(x.size)]
    else:
        v = np.concatenate([x[::max(1, x.size // 60)], np.array([1.0, -1.0, 0.5, 2.0], dtype)])
        cases = [(np.array([a, 1.0], dtype), np.array([b, np.nan], dtype)) for a in v for b in v]
    assert len(cases) > 100
    prev = lib.cw_set_flag_filter(0)
    try:
        every = [_warned(f, c) for c in cases]
    finally:
        lib.cw_set_flag_filter(prev)
    assert prev == 1
    some = [_warned(f, c) for c in cases]
    diff = [(c, a, b) for c, a, b in zip(cases, every, some) if a != b]
    assert not diff, diff[:5]
    # cbrt never raises a reported flag, nor does float32 tanh (libm's tanhf
    # raises no underflow: its subnormal results are exact)
    if (name, dtype) not in (("cbrt", F32), ("cbrt", F64), ("tanh", F32)):
        assert any(every), "no case raised a flag: the test would not see a lost one"


ROOT = Path(__file__).parent.parent


def test_float32_tanh_vector_loops_are_the_scalar_form(tmp_path):
    """tools/tanhf_ulp.c on every 4099th float32 bit pattern (without an
    argument it checks all 2^32; README): each hand-vectorised loop this
    CPU can run (AVX-512, AVX2) gives bitwise the scalar form, special
    values are NumPy's, and the error is within the contract."""
    import shutil
    import subprocess
    import sysconfig
    cc = shutil.which((sysconfig.get_config_var("CC") or "cc").split()[0]) or shutil.which("gcc")
    if cc is None:
        pytest.skip("needs a C compiler: none found to build tools/tanhf_ulp.c")
    exe = tmp_path / "tanhf_ulp"
    # The tool is plain C, not the extension: under `make asan` the ASan
    # runtime preloaded into the interpreter must not reach the compiler
    # (LeakSanitizer aborts cc1 at exit) or the tool.
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    subprocess.run([cc, "-O2", "-fopenmp", f"-I{ROOT / 'csrc'}", str(ROOT / "tools" / "tanhf_ulp.c"),
                    "-lm", "-o", str(exe)], check=True, env=env)
    out = subprocess.run([str(exe), "4099"], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    worst = float(re.search(r"max error ([0-9.]+) ULP", out.stdout).group(1))
    assert worst <= next(op for op in OPS if op.name == "tanh").ulp(F32), out.stdout

