"""Bad input gets a clear Python exception (the class NumPy uses), never a
crash, a hang or a silent wrong answer; nothing passed in is modified."""
import numpy as np
import pytest

import corewise as cw
from oracle import UNARY, assert_same

pytestmark = pytest.mark.parametrize("op", UNARY, ids=lambda op: op.name)


def fn(op):
    return getattr(cw, op.name)


class MyArray(np.ndarray):
    def __array_finalize__(self, obj):
        self.info = getattr(obj, "info", None)


BAD_INPUTS = [
    (np.array([1.0, "a"], dtype=object), TypeError, "object"),
    (np.array([1, 2], dtype=object), TypeError, "object"),
    ("abc", TypeError, "string"),
    (np.array(["1.0", "2"]), TypeError, "string"),
    (np.array([b"ab"]), TypeError, "bytes"),
    (np.zeros(3, dtype=[("a", "f8"), ("b", "i4")]), TypeError, "structured"),
    (np.zeros(2, dtype="V8"), TypeError, "structured"),
    (np.array(["2020-01-01"], dtype="M8[D]"), TypeError, "datetime"),
    (np.array([5], dtype="m8[s]"), TypeError, "timedelta"),
    (None, TypeError, "object"),
    (object(), TypeError, "object"),
    ({"a": 1}, TypeError, "object"),
    ([[1.0, 2.0], [3.0]], ValueError, "cannot convert"),
    (np.ones(3).view(MyArray), TypeError, "subclass MyArray"),
    (np.ma.masked_array([1.0, 4.0], mask=[0, 1]), TypeError, "subclass MaskedArray"),
]
if np.dtype(np.longdouble).itemsize > 8:
    BAD_INPUTS.append((np.array([2.0], dtype=np.longdouble), TypeError, "float32/float64 only"))


@pytest.mark.parametrize("x,exc,match", BAD_INPUTS,
                         ids=[f"{type(b[0]).__name__}-{i}" for i, b in enumerate(BAD_INPUTS)])
def test_bad_input(op, x, exc, match):
    with pytest.raises(exc, match=match) as ei:
        fn(op)(x)
    assert f"corewise.{op.name}" in str(ei.value)


def test_numpy_raises_too_for_unsupported_kinds(op):
    """Where NumPy itself has no loop, both refuse with TypeError."""
    for x in (np.array(["a"]), np.array(["2020-01-01"], dtype="M8[D]"),
              np.zeros(2, dtype=[("a", "f8")])):
        try:
            op.ufunc(x)
        except TypeError:
            pass
        else:  # NumPy has a loop (isnan of datetimes): corewise refuses anyway
            continue
        with pytest.raises(TypeError):
            fn(op)(x)


def test_duck_arrays_are_refused(op):
    class Duck:
        def __array_ufunc__(self, *a, **k):
            return "duck"

        def __array__(self, dtype=None, copy=None):
            return np.ones(3)

    with pytest.raises(TypeError, match="Duck objects are not supported"):
        fn(op)(Duck())


OUT_CASES = [
    (lambda: np.empty(4), ValueError, r"out has shape \(4,\), but the result has shape \(3,\)"),
    (lambda: np.empty((2, 2)), ValueError, "out has shape"),
    (lambda: np.empty(3, np.int64), TypeError, r"dtype float64 to out's dtype int64 .*same_kind"),
    (lambda: np.empty(3, np.bool_), TypeError, "to out's dtype bool"),
    (lambda: np.empty(3, object), None, None),  # NumPy allows object out (same_kind)
    (lambda: [0.0, 0.0, 0.0], TypeError, "out must be a numpy.ndarray, not list"),
    (lambda: 3.0, TypeError, "out must be a numpy.ndarray, not float"),
    (lambda: (np.empty(3), np.empty(3)), ValueError, "1-tuple"),
    (lambda: np.broadcast_to(np.empty(1), (3,)), ValueError, "read-only"),
]
# Stricter than NumPy on purpose: subclasses with hooks are refused as out.
STRICTER = [(lambda: np.empty(3).view(MyArray), TypeError, "subclass MyArray")]


@pytest.mark.parametrize("make_out,exc,match", OUT_CASES + STRICTER,
                         ids=range(len(OUT_CASES) + len(STRICTER)))
def test_bad_out(op, make_out, exc, match):
    x = np.array([1.0, 4.0, 9.0])
    out = make_out()
    if op.bool_out and match and "dtype" in match:
        # a bool result casts safely to int/bool outs: NumPy's answer
        want = np.zeros_like(out)
        op.ufunc(x, out=want)
        assert fn(op)(x, out=out) is out
        assert_same(out, want)
        return
    if exc is None:
        with np.errstate(all="ignore"):
            assert fn(op)(x, out=out) is out
            assert_same(out.astype(float), fn(op)(x).astype(float))
        return
    with pytest.raises(exc, match=match):
        fn(op)(x, out=out)
    if (make_out, exc, match) in STRICTER:
        return
    # NumPy agrees that it is an error of the same class
    with pytest.raises(exc):
        op.ufunc(x, out=out)


def test_read_only_out_untouched(op):
    x = np.array([1.0, 4.0, 9.0])
    out = np.zeros(3)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        fn(op)(x, out=out)
    assert not out.any()


def test_out_not_broadcastable_back(op):
    """The input broadcasts to out, never out to the input."""
    with pytest.raises(ValueError, match="out has shape"):
        fn(op)(np.ones((2, 3)), out=np.empty(3))
    with np.errstate(all="ignore"):
        out = np.empty((2, 3), fn(op)(np.ones(1)).dtype)
        fn(op)(np.full(3, 4.0), out=out)
        assert_same(out, fn(op)(np.full((2, 3), 4.0)))


def test_wrong_arguments(op):
    with pytest.raises(TypeError):
        fn(op)()
    with pytest.raises(TypeError):
        fn(op)(np.ones(2), np.empty(2), np.empty(2))
    with pytest.raises(TypeError):
        fn(op)(np.ones(2), where=True)
