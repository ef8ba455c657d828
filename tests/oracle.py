"""Shared test machinery: the NumPy oracle, comparisons and hypothesis
strategies for values and memory layouts.  Every op family reuses these,
parametrised by the C operation table (corewise._ufunc.OPS)."""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from corewise._ufunc import OPS

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


def assert_same(got, want):
    """Bitwise equality including dtype, shape and every NaN's bits."""
    assert type(got) is type(want), (type(got), type(want))
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    g = np.ascontiguousarray(got).view(np.uint8)
    w = np.ascontiguousarray(want).view(np.uint8)
    if not np.array_equal(g, w):
        bad = np.flatnonzero(~((got == want) | (np.isnan(got) & np.isnan(want))).ravel())
        raise AssertionError(f"results differ at flat indices {bad[:10]}: got "
                             f"{got.ravel()[bad[:5]]} want {want.ravel()[bad[:5]]} "
                             f"(or NaN payloads/signs of zero differ)")


def same_as_numpy(cw_call, np_call):
    """Run NumPy's call, then corewise's: the same result bitwise, or the
    same exception class where NumPy refuses (e.g. negative of bool)."""
    try:
        want = np_call()
    except (TypeError, ValueError) as exc:
        try:
            cw_call()
        except TypeError if isinstance(exc, TypeError) else ValueError:
            return None
        raise AssertionError(f"NumPy raised {exc!r}; corewise did not")
    got = cw_call()
    assert_same(got, want)
    return got


@st.composite
def views(draw, dtypes=st.sampled_from(FLOATS), max_dims=4, max_side=6):
    """An array in a random memory layout: C or Fortran order, sliced with
    steps (negative too), transposed, or a zero-stride broadcast view."""
    dtype = np.dtype(draw(dtypes))
    ndim = draw(st.integers(0, max_dims))
    base_shape = tuple(draw(st.lists(st.integers(0, max_side), min_size=ndim, max_size=ndim)))
    order = draw(st.sampled_from("CF"))
    base = draw(hnp.arrays(dtype, base_shape, elements=elements(dtype)))
    a = np.asarray(base, order=order)
    if ndim:
        idx = []
        for n in a.shape:
            step = draw(st.sampled_from([1, 1, 2, 3, -1, -2]))
            start = draw(st.integers(0, max(n - 1, 0)))
            idx.append(slice(start, None, step))
        a = a[tuple(idx)]
        if draw(st.booleans()):
            a = a.transpose(draw(st.permutations(range(ndim))))
    if draw(st.booleans()):
        # zero-stride view: broadcast along a new leading axis and/or a unit axis
        lead = draw(st.integers(1, 3))
        a = np.broadcast_to(a, (lead,) + a.shape)
    return a


def float_arrays(dtype, max_size=200):
    return hnp.arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=1, min_side=0, max_side=max_size),
                      elements=elements(dtype))
