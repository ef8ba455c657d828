"""Reductions and selections where NumPy's own tests found corewise differing
(issue 16): 0-d inputs and Python scalars with an axis, NumPy's keywords
(dtype=, initial=, where=), out= shape errors, amax/amin, dot beyond two 1-D
vectors, and the selections on non-numeric dtypes (object truthiness, str,
bytes, datetime, structured).  NumPy is the oracle: the same result (value,
dtype, type) or the same exception type and message."""
import warnings

import numpy as np
import pytest

import corewise as cw


def outcome(f, *args, **kw):
    """('ok', repr, type, dtype) or ('raises', type, message), warnings too."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            r = f(*args, **kw)
        except Exception as exc:  # noqa: BLE001  (the oracle's exception is compared)
            got = ("raises", type(exc), str(exc))
        else:
            if isinstance(r, tuple):
                got = ("ok", tuple((repr(x), x.dtype) for x in r))
            else:
                got = ("ok", repr(r), type(r), getattr(r, "dtype", None))
    return got, sorted(str(x.message) for x in w)


def same(name, *args, **kw):
    want = outcome(getattr(np, name), *args, **kw)
    got = outcome(getattr(cw, name), *args, **kw)
    assert got == want, f"{name}{args}{kw}"


REDUCTIONS = ("sum", "prod", "mean", "nansum", "max", "min", "nanmax", "nanmin",
              "argmax", "argmin", "count_nonzero", "amax", "amin")


# ---- 0-d inputs and Python scalars ------------------------------------------------

@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("a", [3, 2.5, True, np.float32(3), np.array(0), np.array(-1.5),
                               np.int8(7)], ids=repr)
@pytest.mark.parametrize("axis", [None, 0, -1, 1, -2, (0,), ()])
def test_zero_d_axis(name, a, axis):
    """cw.sum(3, axis=0) is 3, as NumPy (issue 16); other axes NumPy's AxisError."""
    same(name, a, axis=axis)


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("axis", [0, -1, None])
def test_zero_d_keepdims(name, axis):
    same(name, np.array(4.0), axis=axis, keepdims=True)


# ---- NumPy's keywords -----------------------------------------------------------

X = np.arange(12.0).reshape(3, 4) - 5
XI = np.arange(12, dtype=np.int16).reshape(3, 4)
W = np.array([[True, False, True, True]] * 3)


@pytest.mark.parametrize("name", ("sum", "prod", "nansum", "max", "min", "nanmax", "nanmin",
                                  "amax", "amin"))
@pytest.mark.parametrize("x", [X, XI, np.array([]), np.zeros((0, 3))], ids=["f8", "i2", "empty",
                                                                          "empty2"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_initial(name, x, axis):
    if x.ndim == 1 and axis == 1:
        axis = 0
    same(name, x, axis=axis, initial=10)
    same(name, x, axis=axis, initial=-2.5)


@pytest.mark.parametrize("name", ("sum", "prod", "mean", "nansum", "max", "min", "nanmax",
                                  "nanmin"))
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_where(name, axis):
    kw = {} if name in ("sum", "prod", "mean", "nansum") else {"initial": -100}
    same(name, X, axis=axis, where=W, **kw)
    same(name, XI, axis=axis, where=W, **kw)


def test_where_without_initial_is_numpys_error():
    same("max", X, where=W)  # ValueError: reduction with no identity
    same("max", X, where=np.array([True, False]))  # bad where shape


@pytest.mark.parametrize("name", ("sum", "prod", "mean", "nansum"))
@pytest.mark.parametrize("dtype", [np.float32, np.int8, np.float64, "f2", None])
def test_dtype(name, dtype):
    same(name, XI, dtype=dtype)
    same(name, X, axis=1, dtype=dtype)


def test_positional_order_is_numpys():
    """sum(a, axis, dtype, out, keepdims, initial, where), max(a, axis, out,
    keepdims, initial, where): positional arguments mean what they mean in NumPy."""
    out = np.zeros(4)
    assert cw.sum(X, 0, None, out) is out
    np.testing.assert_array_equal(out, np.sum(X, 0))
    o2 = np.zeros(3)
    assert cw.max(X, 1, o2) is o2
    np.testing.assert_array_equal(o2, np.max(X, 1))
    same("sum", XI, 1, np.float32, None, True, 5)
    same("max", XI, 1, None, False, 100)


def test_amax_amin_are_max_min():
    assert cw.amax is cw.max and cw.amin is cw.min
    assert "amax" in cw.__all__ and "amin" in cw.__all__


def test_keywords_do_not_modify_inputs():
    x, w = X.copy(), W.copy()
    cw.sum(x, where=w, initial=1)
    np.testing.assert_array_equal(x, X)
    np.testing.assert_array_equal(w, W)


# ---- out= of the wrong shape ------------------------------------------------------

@pytest.mark.parametrize("name", ("sum", "prod", "max", "min", "nansum", "nanmax", "mean"))
@pytest.mark.parametrize("axis, keepdims, shape", [
    (1, False, (4,)), (1, False, (3, 1)), (1, False, (1, 3)), (0, False, ()),
    (1, True, (3, 4)), (1, True, (3,)), (0, True, (2, 4))])
def test_out_shape_errors(name, axis, keepdims, shape):
    same(name, X, axis=axis, keepdims=keepdims, out=np.empty(shape))


@pytest.mark.parametrize("name", ("argmax", "argmin"))
@pytest.mark.parametrize("shape", [(4,), (3, 1), ()])
def test_arg_out_shape_errors(name, shape):
    same(name, X, axis=1, out=np.empty(shape, np.intp))


# ---- dot -------------------------------------------------------------------------

RNG = np.random.default_rng(16)


@pytest.mark.parametrize("a, b", [
    (RNG.random((3, 4)), RNG.random((4, 2))),
    (RNG.random((3, 4)), RNG.random(4)),
    (RNG.random(3), RNG.random((3, 5))),
    (RNG.random((2, 3, 4)), RNG.random((4, 2))),
    (2.0, RNG.random((2, 2))), (3, 4), (RNG.random(3), 2),
    (np.arange(6).reshape(2, 3), np.arange(3)),
    (RNG.random(3) + 1j, RNG.random(3)),
    (np.array([1, 2], object), np.array([3, 4], object)),
    (np.array([True, False]), np.array([True, True])),
], ids=lambda v: getattr(v, "shape", v).__repr__())
def test_dot_beyond_1d_is_numpys(a, b):
    same("dot", a, b)


@pytest.mark.parametrize("a, b", [
    (np.ones(3), np.ones(4)), (np.ones((2, 3)), np.ones(4)), (np.ones((2, 3)), np.ones((2, 3))),
    (np.ones(3), np.ones((4, 2))), (np.ones((2, 2, 3)), np.ones((2, 2)))])
def test_dot_shape_errors(a, b):
    same("dot", a, b)


def test_dot_out():
    a, b = RNG.random((3, 4)), RNG.random((4, 2))
    out = np.empty((3, 2))
    assert cw.dot(a, b, out=out) is out
    np.testing.assert_array_equal(out, np.dot(a, b))
    same("dot", a, b, out=np.empty((2, 2)))  # NumPy's error


def test_dot_overflow_warning_names_dot():
    a, b = np.array([1e308, 1e308]), np.array([10.0, 10.0])
    with np.errstate(over="ignore"):  # (NumPy on PyPy does not warn here)
        assert cw.dot(a, b) == np.dot(a, b) == np.inf
    with pytest.warns(RuntimeWarning, match="overflow encountered in dot"):
        cw.dot(a, b)
    with np.errstate(over="raise"), pytest.raises(FloatingPointError,
                                                  match="overflow encountered in dot"):
        cw.dot(a, b)
    with np.errstate(over="raise"), pytest.raises(FloatingPointError,
                                                  match="overflow encountered in dot"):
        cw.dot(a[::-1], b.astype(np.float32))  # the general path


def test_dot_1d_float_stays_corewise():
    """The deterministic 1-D dot: bitwise the same for every thread count."""
    a, b = RNG.random(100_000), RNG.random(100_000)
    got = []
    for t in (1, 2, 3):
        with cw.threads(t):
            got.append(cw.dot(a, b))
    assert got[0] == got[1] == got[2]
    assert abs(got[0] - np.dot(a, b)) <= 1e-9 * abs(got[0])


# ---- selections on non-numeric dtypes ------------------------------------------------

class Falsy:
    def __bool__(self):
        return False


class Raises:
    def __bool__(self):
        raise ValueError("no truth value here")


OBJ = np.array(["", "a", None, 0, [], [1], 0.0, np.nan, Falsy(), 3], dtype=object)
NON_NUMERIC = [
    OBJ,
    OBJ.reshape(2, 5),
    np.array(["", "a", "bc", ""]),
    np.array([b"", b"x", b"\0", b"yz"]),
    np.array([0, 5, 0, -3], "m8[s]"),
    np.array(["1970-01-01", "2001-01-01", "NaT", "1970-01-01"], "M8[D]"),
    np.array([(0, 0.0), (1, 0.0), (0, 2.0), (0, -0.0)], "i4,f8"),
    np.zeros(4, "V3"),
]
IDS = ["object", "object2d", "str", "bytes", "timedelta", "datetime", "structured", "void"]


@pytest.mark.parametrize("x", NON_NUMERIC, ids=IDS)
@pytest.mark.parametrize("name", ("nonzero", "flatnonzero", "count_nonzero"))
def test_selections_non_numeric(name, x):
    same(name, x)


@pytest.mark.parametrize("x", NON_NUMERIC[:6], ids=IDS[:6])
def test_count_nonzero_axis_non_numeric(x):
    for axis in (None, 0, -1):
        same("count_nonzero", x, axis=axis)
        same("count_nonzero", x, axis=axis, keepdims=True)


@pytest.mark.parametrize("c", NON_NUMERIC[:6], ids=IDS[:6])
def test_extract_compress_non_numeric_condition(c):
    v = np.arange(c.size).reshape(c.shape)
    same("extract", c, v)
    same("compress", c.reshape(-1), np.arange(c.size))
    same("compress", c.reshape(-1)[:2], np.arange(6).reshape(2, 3), axis=0)


@pytest.mark.parametrize("name", ("nonzero", "flatnonzero", "count_nonzero"))
def test_raising_bool_propagates(name):
    x = np.array([1, Raises(), 2], dtype=object)
    with pytest.raises(ValueError, match="no truth value here"):
        getattr(cw, name)(x)
    same(name, x)


def test_raising_bool_in_extract_compress():
    c = np.array([1, Raises()], dtype=object)
    for f in (lambda m: m.extract(c, np.arange(2)), lambda m: m.compress(c, np.arange(2))):
        with pytest.raises(ValueError, match="no truth value here"):
            f(cw)
        with pytest.raises(ValueError, match="no truth value here"):
            f(np)


def test_object_values_selected_by_numeric_condition():
    """A numeric condition over object values keeps corewise's parallel path
    semantics: the same objects, in order."""
    v = np.array([[1], "a", None, 2.5], dtype=object)
    c = np.array([1, 0, 1, 1])
    for name in ("extract", "compress"):
        got, want = getattr(cw, name)(c, v), getattr(np, name)(c, v)
        assert got.dtype == want.dtype and [a is b for a, b in zip(got, want)] == [True] * 3
