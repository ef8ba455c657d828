"""Shared test machinery: the NumPy oracle, its comparison policies and
hypothesis strategies for values and memory layouts.  Every op family
reuses these, parametrised by the C operation table (corewise._ufunc.OPS).

Comparing: ``assert_same(got, want, policy, ...)`` -- or ``same(...)``,
which answers True/False instead of raising -- checks the type, dtype and
shape, then the values under one row of POLICIES.  Tuples (nonzero's
answer) compare element by element."""
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from corewise._optable import MATH_OPS as OPS  # the float rows (test_natives: the others)

UNARY = [op for op in OPS if op.nin == 1]
FLOATS = [np.dtype(np.float32), np.dtype(np.float64)]
# Every dtype NumPy resolves to a float32/float64/float16 loop for unary math.
CONVERTIBLE = FLOATS + [np.dtype(t) for t in (
    np.float16, np.bool_, np.int8, np.uint8, np.int16, np.uint16,
    np.int32, np.uint32, np.int64, np.uint64)]

SPECIALS = [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1.0, -1.0, 4.0, 2.0]


def specials(dtype):
    fi = np.finfo(dtype)
    vals = SPECIALS + [fi.tiny, -fi.tiny, fi.smallest_subnormal, -fi.smallest_subnormal,
                       fi.max, -fi.max, fi.eps, fi.tiny / 3]
    return np.array(vals, dtype=dtype)


def elements(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return hnp.from_dtype(dtype, allow_nan=True, allow_infinity=True,
                              allow_subnormal=True)
    return hnp.from_dtype(dtype)


# ---- comparison policies ------------------------------------------------------------

@dataclass(frozen=True)
class Policy:
    """How values compare once type, dtype and shape agree.

    nans:    "bits" -- a NaN's payload and sign are compared too;
             "any"  -- any NaN matches any NaN (NaN positions must agree).
    zeros:   "signed" -- -0.0 and +0.0 differ (inexact measures: every
             sign must agree); "any" -- either zero matches.
    measure: "exact" -- every other value bitwise;
             "ulp" -- within ``ulp`` units in the last place of ``prec``
                (numpy.testing.assert_array_max_ulp);
             "spacing" -- |got - want| <= ulp * spacing(|want|) in ``prec``
                for finite values, infinities exact.
    complex: (inexact measures) "parts" -- real and imaginary parts each
             compared; "real" -- both imaginary parts must be zero.

    nans/zeros relax real floating results only: other dtypes (ints, bool,
    complex under "exact") compare bitwise, and so does an inexact measure
    given ulp=0 or a result that is not floating."""
    nans: str
    zeros: str
    measure: str = "exact"
    complex: str = "parts"


POLICIES = {
    # results must be identical, NaN payloads included (0-ULP functions,
    # results independent of layout, threads or alignment)
    "bitwise": Policy(nans="bits", zeros="signed"),
    # equally correct evaluation orders may propagate a different NaN
    # (evaluate; GCC or NumPy swapping the operands of a commutative + or *)
    "nan-equal": Policy(nans="any", zeros="signed"),
    # and which zero a tie of max/min/fmax/fmin(+0, -0) returns differs
    # between NumPy's own SIMD and scalar loops
    "signed-zero-free": Policy(nans="any", zeros="any"),
    # the accuracy contract in ULP of the precision computed in (fuzz, memcheck)
    "ulp": Policy(nans="any", zeros="any", measure="ulp", complex="parts"),
    # the contract with NaN, infinities and signs exact (the math family)
    "spacing": Policy(nans="any", zeros="signed", measure="spacing", complex="real"),
}


def _ld_used_bytes():
    """How many bytes of a long double carry its value: x86's 80-bit
    extended format (63-bit mantissa, explicit integer bit) sits in 16
    bytes whose last 6 are padding; IEEE quad uses all 16."""
    fi = np.finfo(np.longdouble)
    if fi.nmant == 63:
        return 10
    return np.dtype(np.longdouble).itemsize


_LD_USED = _ld_used_bytes()


def significant_bytes(a):
    """a's bytes without the padding of long double values (of longdouble
    and clongdouble parts).  NumPy leaves that padding unwritten
    (uninitialised memory): two equal results can differ there, so
    comparing it made a test fail by chance."""
    a = np.ascontiguousarray(a)
    if a.dtype.type not in (np.longdouble, np.clongdouble):
        return a.tobytes()
    part = np.dtype(np.longdouble).itemsize
    return a.reshape(-1).view(np.uint8).reshape(-1, part)[:, :_LD_USED].tobytes()


def _bytes_equal(g, w):
    return significant_bytes(g) == significant_bytes(w)


def _canonical(a, policy):
    """Real floating values with every NaN (nans="any") and every zero
    (zeros="any") replaced by one representative."""
    if policy.nans == "any":
        a = np.where(np.isnan(a), a.dtype.type(np.nan), a)
    if policy.zeros == "any":
        a = np.where(a == 0, a.dtype.type(0), a)
    return a


def _where_they_differ(g, w):
    try:
        bad = np.flatnonzero(~((g == w) | (np.isnan(g) & np.isnan(w))).ravel())
    except TypeError:
        return "(not comparable element-wise)"
    return (f"at flat indices {bad[:10]}: got {g.ravel()[bad[:5]]} want {w.ravel()[bad[:5]]} "
            f"(or NaN payloads/signs of zero differ)")


def _exact(g, w, policy):
    if g.dtype.kind == "f":
        if policy.nans == "any":
            assert np.array_equal(np.isnan(g), np.isnan(w)), "NaN positions differ"
        g, w = _canonical(g, policy), _canonical(w, policy)
    if not _bytes_equal(g, w):
        raise AssertionError(f"results differ {_where_they_differ(g, w)}")


def _ulp_distance(g, w, ulp, prec, policy):
    np.testing.assert_array_max_ulp(g.astype(prec), w.astype(prec), maxulp=ulp)


def _spacing_distance(g, w, ulp, prec, policy):
    fin = np.isfinite(w) & np.isfinite(g)
    g64, w64 = g[fin].astype(np.float64), w[fin].astype(np.float64)
    tol = np.spacing(np.abs(w[fin]).astype(prec)).astype(np.float64) * ulp
    far = np.abs(g64 - w64) > tol
    assert not far.any(), (g64[far][:5], w64[far][:5])


MEASURES = {"ulp": _ulp_distance, "spacing": _spacing_distance}


def _inexact(g, w, policy, ulp, prec):
    prec = np.dtype(prec if prec is not None and np.dtype(prec).kind == "f" else g.dtype)
    if prec.kind == "c":
        prec = np.dtype(f"f{prec.itemsize // 2}")
    parts = [(g, w)]
    if g.dtype.kind == "c" and policy.complex == "real":
        assert not g.imag.any() and not w.imag.any(), "imaginary parts are not zero"
        parts = [(g.real, w.real)]
    elif g.dtype.kind == "c":
        parts = [(g.real, w.real), (g.imag, w.imag)]
    for gp, wp in parts:
        assert np.array_equal(np.isnan(gp), np.isnan(wp)), "NaN positions differ"
        ok = ~np.isnan(wp)
        gp, wp = gp[ok], wp[ok]
        if policy.measure == "spacing":       # infinities exact
            inf = ~np.isfinite(wp) | ~np.isfinite(gp)
            assert np.array_equal(gp[inf], wp[inf]), "infinities differ"
        if policy.zeros == "signed":
            assert np.array_equal(np.signbit(gp), np.signbit(wp)), "signs differ"
        MEASURES[policy.measure](gp, wp, ulp, prec, policy)


def assert_same(got, want, policy="bitwise", *, ulp=0, prec=None, types=True, via_float64=()):
    """got equals want under POLICIES[policy].

    ulp, prec: the bound of the inexact measures and the precision the
      result was computed in ("ulp"; default: the result's own -- a float32
      result cast into a float64, longdouble or complex out= keeps float32's
      ULP).
    types: the Python types must be identical too (ndarray vs NumPy scalar).
    via_float64: dtypes whose results compare as float64 (a float64 result
      held in an object or longdouble out=)."""
    if isinstance(want, tuple) or isinstance(got, tuple):
        assert isinstance(got, tuple) and isinstance(want, tuple), (type(got), type(want))
        assert len(got) == len(want), (len(got), len(want))
        for g, w in zip(got, want):
            assert_same(g, w, policy, ulp=ulp, prec=prec, types=types, via_float64=via_float64)
        return
    p = POLICIES[policy]
    if types:
        assert type(got) is type(want), (type(got), type(want))
    g, w = np.asarray(got), np.asarray(want)
    assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, w.dtype, g.shape, w.shape)
    if g.dtype in [np.dtype(d) for d in via_float64]:
        g, w = g.astype(np.float64), w.astype(np.float64)
    if p.measure == "exact":
        _exact(g, w, p)
    elif ulp == 0 or g.dtype.kind not in "fc":
        _exact(g, w, POLICIES["bitwise"])
    else:
        _inexact(g, w, p, ulp, prec)


def same(got, want, policy="bitwise", **kw):
    """assert_same as a predicate."""
    try:
        assert_same(got, want, policy, **kw)
    except AssertionError:
        return False
    return True


def same_as_numpy(cw_call, np_call, policy="bitwise", **kw):
    """Run NumPy's call, then corewise's: the same result under ``policy``,
    or the same exception class where NumPy refuses (e.g. negative of bool)."""
    try:
        want = np_call()
    except (TypeError, ValueError) as exc:
        try:
            cw_call()
        except TypeError if isinstance(exc, TypeError) else ValueError:
            return None
        raise AssertionError(f"NumPy raised {exc!r}; corewise did not")
    got = cw_call()
    assert_same(got, want, policy, **kw)
    return got


# ---- memory layouts -------------------------------------------------------------------

STEPS = (1, 1, 2, 3, -1, -2)


@st.composite
def in_layout(draw, arr, steps=STEPS, transpose=True, broadcast=False):
    """The values of ``arr`` in a drawn memory layout, read in place: the
    storage in C or Fortran order, each axis stepped (negative steps run
    backwards) at an offset inside a larger buffer, the axes stored in a
    permuted order (a transposed array's strides); with ``broadcast``, maybe
    repeated along a new zero-stride leading axis (a read-only view whose
    shape has that axis in front).  Every other view is writable and owns
    none of its buffer."""
    arr = np.asarray(arr)
    nd = arr.ndim
    perm = list(range(nd))
    if transpose and nd > 1 and draw(st.booleans()):
        perm = list(draw(st.permutations(range(nd))))
    stored = arr.transpose(perm)
    order = draw(st.sampled_from("CF"))
    idx, room = [], []
    for n in stored.shape:
        step = draw(st.sampled_from(steps))
        start = draw(st.integers(0, 2))
        room.append(start + max(n, 1) * abs(step))
        if n == 0:
            idx.append(slice(start, start))
        elif step > 0:
            idx.append(slice(start, start + n * step, step))
        else:
            last = start + (n - 1) * -step
            idx.append(slice(last, start - 1 if start else None, step))
    big = np.empty(tuple(room), arr.dtype, order=order)
    view = big[tuple(idx) + (Ellipsis,)]      # a view, 0-d too
    view[...] = stored
    a = view.transpose(np.argsort(perm))
    if broadcast and draw(st.booleans()):
        a = np.broadcast_to(a, (draw(st.integers(1, 3)),) + a.shape)
    return a


@st.composite
def views(draw, dtypes=st.sampled_from(FLOATS), max_dims=4, max_side=6, broadcast=True):
    """An array of drawn dtype, shape and values in a drawn memory layout
    (in_layout, zero-stride broadcast views included)."""
    dtype = np.dtype(draw(dtypes))
    shape = tuple(draw(st.lists(st.integers(0, max_side), max_size=max_dims)))
    values = draw(hnp.arrays(dtype, shape, elements=elements(dtype)))
    return draw(in_layout(values, broadcast=broadcast))


def float_arrays(dtype, max_size=200):
    return hnp.arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=1, min_side=0, max_side=max_size),
                      elements=elements(dtype))
