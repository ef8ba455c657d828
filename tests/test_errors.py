"""Bad input gets NumPy's own exception (class and message: what corewise
has no native loop for is NumPy's twin's call), never a crash, a hang or a
silent wrong answer; nothing passed in is modified."""
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


def numpys_outcome(call_cw, call_np):
    """corewise's outcome is NumPy's: the same exception (class and message)
    or the same answer (type, dtype, values)."""
    outcomes = []
    for call in (call_cw, call_np):
        with np.errstate(all="ignore"):
            try:
                outcomes.append((call(), None))
            except Exception as e:  # noqa: BLE001 - compared below
                outcomes.append((None, (type(e), str(e))))
    (got, gerr), (want, werr) = outcomes
    assert gerr == werr
    if werr is None:
        assert type(got) is type(want)
        if isinstance(want, np.ndarray) and want.dtype.kind == "O" and all(
                type(v) is float for v in want.ravel()):   # floats computed into object out=
            assert got.dtype == want.dtype
            assert_same(got.astype(float), want.astype(float), "ulp", ulp=4)  # the contract's largest
        elif isinstance(want, np.ndarray) and want.dtype.kind in "OUSVMm":
            assert got.dtype == want.dtype and got.tolist() == want.tolist()
        elif isinstance(want, np.ndarray) and want.dtype == np.longdouble:
            assert np.array_equal(got, want, equal_nan=True)  # (not the padding bytes)
        elif isinstance(want, np.ndarray) and want.dtype.kind == "c":
            assert_same(got, want)
        else:
            assert_same(np.asarray(got).view(np.ndarray), np.asarray(want).view(np.ndarray))
    return gerr


# Inputs corewise has no native loop for, or that NumPy dispatches/wraps:
# NumPy's twin answers them, results and errors alike (README, "The ufunc
# protocol").  Small values only: the oracle stays bounded.
BAD_INPUTS = [
    np.array([1.0, "a"], dtype=object),
    np.array([1, 2], dtype=object),
    "abc",
    np.array(["1.0", "2"]),
    np.array([b"ab"]),
    np.array([1 + 2j]),
    np.array([1 + 2j], dtype=np.complex64),
    np.zeros(3, dtype=[("a", "f8"), ("b", "i4")]),
    np.zeros(2, dtype="V8"),
    np.array(["2020-01-01"], dtype="M8[D]"),
    np.array([5], dtype="m8[s]"),
    None,
    object(),
    {"a": 1},
    [[1.0, 2.0], [3.0]],
    np.ones(3).view(MyArray),
    np.ma.masked_array([1.0, 4.0], mask=[0, 1]),
    np.array([2.0], dtype=np.longdouble),
]


@pytest.mark.parametrize("x", BAD_INPUTS, ids=[f"{type(b).__name__}-{i}" for i, b in enumerate(BAD_INPUTS)])
def test_bad_input(op, x):
    numpys_outcome(lambda: fn(op)(x), lambda: op.ufunc(x))


def test_numpy_raises_too_for_unsupported_kinds(op):
    """Where NumPy itself has no loop, both raise NumPy's TypeError."""
    for x in (np.array(["a"]), np.array(["2020-01-01"], dtype="M8[D]"),
              np.zeros(2, dtype=[("a", "f8")])):
        numpys_outcome(lambda: fn(op)(x), lambda: op.ufunc(x))


def test_duck_arrays_get_numpys_dispatch(op):
    class Duck:
        def __array_ufunc__(self, ufunc, method, *a, **k):
            return ("duck", ufunc, method)

        def __array__(self, dtype=None, copy=None):
            return np.ones(3)

    assert fn(op)(Duck()) == ("duck", op.ufunc, "__call__")


OUT_CASES = [
    lambda: np.zeros(4),
    lambda: np.zeros((2, 2)),
    lambda: np.zeros(3, np.int64),
    lambda: np.zeros(3, np.bool_),
    lambda: np.zeros(3, object),        # NumPy allows object out (same_kind)
    lambda: [0.0, 0.0, 0.0],
    lambda: 3.0,
    lambda: (np.zeros(3), np.zeros(3)),
    lambda: np.broadcast_to(np.zeros(1), (3,)),
    lambda: np.zeros(3).view(MyArray),
    lambda: np.ma.zeros(3),
]


@pytest.mark.parametrize("make_out", OUT_CASES, ids=range(len(OUT_CASES)))
def test_bad_out(op, make_out):
    x = np.array([1.0, 4.0, 9.0])
    o1, o2 = make_out(), make_out()
    numpys_outcome(lambda: fn(op)(x, out=o1), lambda: op.ufunc(x, out=o2))
    if isinstance(o1, np.ndarray) and o1.dtype != object:
        assert_same(np.asarray(o1).view(np.ndarray), np.asarray(o2).view(np.ndarray))


def test_read_only_out_untouched(op):
    x = np.array([1.0, 4.0, 9.0])
    out = np.zeros(3)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        fn(op)(x, out=out)
    assert not out.any()


def test_out_not_broadcastable_back(op):
    """The input broadcasts to out, never out to the input."""
    assert numpys_outcome(lambda: fn(op)(np.ones((2, 3)), out=np.empty(3)),
                          lambda: op.ufunc(np.ones((2, 3)), out=np.empty(3)))[0] is ValueError
    with np.errstate(all="ignore"):
        out = np.empty((2, 3), fn(op)(np.ones(1)).dtype)
        fn(op)(np.full(3, 4.0), out=out)
        assert_same(out, fn(op)(np.full((2, 3), 4.0)))


def test_wrong_arguments(op):
    with pytest.raises(TypeError):
        fn(op)()
    for args, kw in (((np.ones(2), np.empty(2), np.empty(2)), {}),
                     ((np.ones(2),), {"bogus": True})):
        assert numpys_outcome(lambda: fn(op)(*args, **kw), lambda: op.ufunc(*args, **kw))[0] \
            is TypeError
