"""NumPy's ufunc protocol on corewise's element-wise functions (README,
"The ufunc protocol"): one class (corewise.ufunc), NumPy's attributes,
NumPy's call signature and keywords, the methods reduce/accumulate/
reduceat/outer/at, the override protocol (real pandas and xarray objects,
masked arrays, np.matrix, __array_wrap__ and __array_ufunc__ classes), and
NumPy's twin for what corewise does not compute.  Oracle: NumPy, results
and errors (type and message) alike; results at 1 and 2 threads."""
import pickle
import platform
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import corewise as cw
from oracle import assert_same

NAMES = list(cw.functions)
ATTRS = ("nin", "nout", "nargs", "ntypes", "types", "identity", "signature")
UNARY = [n for n in NAMES if getattr(np, n).nin == 1]


def _float_loop(u):
    return any(t.split("->")[0] == "d" * u.nin for t in u.types)


#: one-output rows with a float64 loop: the keyword/out/where/override tests
#: below run them on float data; the other rows (integer-only, logical,
#: datetime, two outputs) are test_other_rows_protocol's
FLOAT1 = [n for n in NAMES if getattr(np, n).nout == 1 and _float_loop(getattr(np, n))]
OTHER = [n for n in NAMES if n not in FLOAT1]
BINARY = [n for n in NAMES if getattr(np, n).nin == 2]


def outcome(call):
    """(result, None) or (None, (exception type, message))."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return call(), None
        except Exception as e:  # noqa: BLE001 - compared with NumPy's
            return None, (type(e), str(e))


def same_outcome(cwcall, npcall, policy="ulp", ulp=4, prec=None):
    got, gerr = outcome(cwcall)
    want, werr = outcome(npcall)
    assert gerr == werr, (gerr, werr)
    if werr is None:
        if isinstance(want, np.ndarray) and want.dtype.kind in "OUSVMm" or \
                isinstance(want, (np.str_, np.bytes_, np.void, np.datetime64, np.timedelta64)):
            assert type(got) is type(want) and got.dtype == want.dtype
            assert np.asarray(got).tolist() == np.asarray(want).tolist()
        elif np.asarray(want).dtype == np.longdouble and np.dtype(np.longdouble).itemsize > 8:
            # (padding bytes of the 80-bit format are not compared)
            assert type(got) is type(want) and np.asarray(got).dtype == np.longdouble
            assert np.array_equal(got, want, equal_nan=True)
        elif isinstance(want, tuple):
            assert isinstance(got, tuple) and len(got) == len(want)
            for g, w in zip(got, want):
                assert_same(g, w, policy, ulp=ulp, prec=prec)
        else:
            assert_same(got, want, policy, ulp=ulp, prec=prec)
    return got


def args_for(name, x):
    return (x,) * getattr(np, name).nin


# ---- the class and its attributes ----------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_attributes_are_numpys(name):
    f, u = getattr(cw, name), getattr(np, name)
    assert isinstance(f, cw.ufunc)
    assert not isinstance(f, np.ufunc)            # documented refusal: np.ufunc is final
    for a in ATTRS:
        assert getattr(f, a) == getattr(u, a), a
    assert f.__name__ == u.__name__ and f.__module__ == "corewise"
    for m in ("reduce", "accumulate", "reduceat", "outer", "at", "resolve_dtypes"):
        assert getattr(f, m).__self__ is f
    assert f.__doc__ and "Drop-in for ``numpy." in f.__doc__
    dts = tuple(a.dtype for a in _other_args(name, np.ones(2, "f4")))
    assert f.resolve_dtypes(dts + (None,) * u.nout) == u.resolve_dtypes(dts + (None,) * u.nout)
    assert pickle.loads(pickle.dumps(f)) is f
    assert f.op.ufunc is u


def test_aliases_are_the_same_object():
    assert cw.abs is cw.absolute and cw.true_divide is cw.divide
    assert not isinstance(np.sqrt, cw.ufunc) and not isinstance([1], cw.ufunc)
    assert not isinstance(lambda x: x, cw.ufunc)
    with pytest.raises(TypeError, match="cannot create"):
        cw.ufunc()


@pytest.mark.skipif(platform.python_implementation() != "CPython",
                    reason="PyPy's cpyext lets a Python class name numpy.ufunc as a base")
def test_numpy_ufunc_cannot_be_subclassed():
    """Why isinstance(f, np.ufunc) is False (README)."""
    with pytest.raises(TypeError):
        type("X", (np.ufunc,), {})


# ---- NumPy's call signature -------------------------------------------------------------

@pytest.mark.parametrize("name", FLOAT1)
@pytest.mark.parametrize("nt", [1, 2])
def test_out_forms(name, nt):
    x = np.linspace(0.25, 3.0, 7)
    f, u = getattr(cw, name), getattr(np, name)
    args = args_for(name, x)
    with cw.threads(nt):
        with np.errstate(all="ignore"):
            want = u(*args)
            for form in ("positional", "keyword", "tuple", "none-tuple", "ellipsis"):
                o1, o2 = np.zeros_like(want), np.zeros_like(want)
                if form == "positional":
                    with warnings.catch_warnings(record=True) as w1:
                        warnings.simplefilter("always")
                        g = f(*args, o1)
                    with warnings.catch_warnings(record=True) as w2:
                        warnings.simplefilter("always")
                        w = u(*args, o2)
                    # NumPy 2.4 deprecates it for maximum/minimum: the same warning
                    assert [(m.category, str(m.message)) for m in w1] == \
                        [(m.category, str(m.message)) for m in w2]
                elif form == "keyword":
                    g, w = f(*args, out=o1), u(*args, out=o2)
                elif form == "tuple":
                    g, w = f(*args, out=(o1,)), u(*args, out=(o2,))
                elif form == "none-tuple":
                    g, w = f(*args, out=(None,)), u(*args, out=(None,))
                else:
                    g, w = outcome(lambda: f(*args, out=...)), outcome(lambda: u(*args, out=...))
                    assert g[1] == w[1]     # NumPy < 2.1 refuses out=...
                    if w[1] is not None:
                        continue
                    g, w = g[0], w[0]
                if form in ("positional", "keyword", "tuple"):
                    assert g is o1 and w is o2
                assert_same(g, w, "ulp", ulp=4)
            # 0-d with out=...: an array, not a scalar, as NumPy (>= 2.1)
            g = same_outcome(lambda: f(*args_for(name, 0.5), out=...),
                             lambda: u(*args_for(name, 0.5), out=...))
            assert g is None or type(g) is np.ndarray and g.shape == ()


@pytest.mark.parametrize("name", NAMES)
def test_call_errors_are_numpys(name):
    f, u = getattr(cw, name), getattr(np, name)
    x = np.linspace(0.5, 2.0, 3)
    args = args_for(name, x)
    cases = [
        lambda g: g(*args, foo=1),                            # unknown keyword
        lambda g: g(*args, out=(np.empty(3), np.empty(3))),    # wrong out tuple length
        lambda g: g(*args, out=np.empty(4)),                   # bad out shape
        lambda g: g(*args, out=np.empty(3, np.int8)),          # bad out cast (same_kind)
        lambda g: g(*args, out=[np.empty(3)]),                 # not an array
        lambda g: g(*args, out=np.empty(3), casting="no"),
        lambda g: g(*args, casting="bogus"),
        lambda g: g(*args, order="X"),
        lambda g: g(*args, dtype=np.int8, casting="safe"),
        lambda g: g(*args, dtype=np.float32, signature="f->f"),
        lambda g: g(*args, sig=3),
        lambda g: g(*args, np.empty(3), np.empty(3)),          # too many positionals
        lambda g: g(*args, where=np.ones(5, bool), out=np.empty(3)),
        lambda g: g(*args, out=np.broadcast_to(np.empty(1), (3,))),  # read-only out
        lambda g: g(np.array(["a", "b", "c"]), *args[1:]),     # no loop: UFuncTypeError
    ]
    for case in cases:
        same_outcome(lambda: case(f), lambda: case(u))
    # no input at all: Python's own wording of the TypeError
    with pytest.raises(TypeError):
        f()


def test_unknown_keyword_message():
    with pytest.raises(TypeError, match=r"sqrt\(\) got an unexpected keyword argument 'foo'"):
        cw.sqrt(np.ones(2), foo=1)


@pytest.mark.parametrize("name", FLOAT1)
def test_keywords_match_numpy(name):
    f, u = getattr(cw, name), getattr(np, name)
    x = np.linspace(-2.0, 3.0, 12).reshape(3, 4)
    args = args_for(name, x)
    kws = [dict(casting="same_kind"), dict(order="K"), dict(order="C"), dict(order="F"),
           dict(order="A"), dict(subok=False), dict(subok=True), dict(dtype=np.float32),
           dict(dtype=np.float64), dict(dtype=np.float16), dict(casting="unsafe", dtype=np.int32),
           dict(signature=(None,) * u.nargs), dict(sig=None), dict(casting="unsafe"),
           dict(dtype="f4", casting="same_kind")]
    for kw in kws:
        got = same_outcome(lambda: f(*args, **kw), lambda: u(*args, **kw))
        if got is not None and kw.get("order") == "F":
            assert got.flags.f_contiguous


@pytest.mark.parametrize("name", FLOAT1)
@pytest.mark.parametrize("nt", [1, 2])
def test_where(name, nt):
    f, u = getattr(cw, name), getattr(np, name)
    x = np.linspace(-2.0, 3.0, 24).reshape(4, 6)
    args = args_for(name, x)
    with cw.threads(nt):
        for where in (x > 0, (x > 0)[0], False, True, np.array(True), [True, False] * 3):
            with np.errstate(all="ignore"):
                o1 = np.full(x.shape, 7.0, np.result_type(u(*args_for(name, x[:1, :1]))))
            o2 = o1.copy()
            with warnings.catch_warnings(record=True) as w1:
                warnings.simplefilter("always")
                r1 = f(*args, out=o1, where=where)
            with warnings.catch_warnings(record=True) as w2:
                warnings.simplefilter("always")
                r2 = u(*args, out=o2, where=where)
            assert r1 is o1 and r2 is o2
            assert_same(o1, o2, "ulp", ulp=4)
            # only the elements computed warn (sqrt/log of negatives under False)
            assert [str(m.message) for m in w1] == [str(m.message) for m in w2]
    # without out: NumPy's own (uninitialised elsewhere, and NumPy >= 2.4's UserWarning)
    with np.errstate(all="ignore"):
        with warnings.catch_warnings(record=True) as w1:
            warnings.simplefilter("always")
            r = f(*args, where=x > 0)
        with warnings.catch_warnings(record=True) as w2:
            warnings.simplefilter("always")
            u(*args, where=x > 0)
        assert [str(m.message) for m in w1] == [str(m.message) for m in w2]
        assert_same(r[x > 0], u(*args)[x > 0], "ulp", ulp=4)


@pytest.mark.parametrize("odt", ["i8", "f8", "?", "i4"])
@pytest.mark.parametrize("use_where", [True, False])
def test_error_with_out_and_where_is_numpys(odt, use_where):
    """An integer power to a negative power with out= (and where=): NumPy's
    error in NumPy's order -- an out= it cannot cast to is refused before any
    element is computed -- and out= as NumPy leaves it (the hypothesis test
    found both different)."""
    x = np.array([0, -1], np.int32)
    kw = {"where": np.array([True, True])} if use_where else {}
    o1, o2 = np.zeros(2, odt), np.zeros(2, odt)
    same_outcome(lambda: cw.power(x, x, out=o1, **kw), lambda: np.power(x, x, out=o2, **kw))
    if use_where:       # (without where=, NumPy leaves uninitialised bytes in element 1)
        assert_same(o1, o2, "bitwise")


@given(data=st.data())
def test_keywords_hypothesis(data):
    name = data.draw(st.sampled_from(NAMES))
    f, u = getattr(cw, name), getattr(np, name)
    dt = data.draw(st.sampled_from(["f8", "f4", "i4", "i8", "u1", "?", "f2"]))
    x = data.draw(hnp.arrays(dt, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5)))
    if data.draw(st.booleans()) and x.ndim > 1:
        x = x.T
    if data.draw(st.booleans()):
        x = x[::-1]
    args = args_for(name, x)
    kw = {}
    if data.draw(st.booleans()):
        kw["dtype"] = data.draw(st.sampled_from(["f4", "f8", "i8", "?", None]))
    if data.draw(st.booleans()):
        kw["casting"] = data.draw(st.sampled_from(["same_kind", "unsafe", "safe"]))
    if data.draw(st.booleans()):
        odt = data.draw(st.sampled_from(["f8", "f4", "i8", "?"]))
        where = data.draw(hnp.arrays(bool, x.shape))
        o1, o2 = np.zeros(x.shape, odt), np.zeros(x.shape, odt)
        # ULPs in the precision the loop computes in (sin of bool with
        # dtype="f4" into a float64 out=: float32's -- NumPy's answer is 1
        # float32 ULP from the correctly rounded one, 5e8 of float64's)
        try:
            with np.errstate(all="ignore"):
                loop_dt = np.asarray(u(*args, **kw)).dtype
        except Exception:  # noqa: BLE001 - then the out= dtype's own
            loop_dt = None
        prec = loop_dt if loop_dt is not None and loop_dt.kind == "f" \
            and o1.dtype.kind == "f" and loop_dt.itemsize < o1.dtype.itemsize else None
        same_outcome(lambda: f(*args, out=o1, where=where, **kw),
                     lambda: u(*args, out=o2, where=where, **kw), prec=prec)
        assert_same(o1, o2, "ulp", ulp=4, prec=prec)
    else:
        if data.draw(st.booleans()):
            kw["out"] = ...
        nt = data.draw(st.sampled_from([1, 2]))
        with cw.threads(nt):
            same_outcome(lambda: f(*args, **kw), lambda: u(*args, **kw))


# ---- dtypes corewise has no loop for: NumPy's twin -----------------------------------------

OTHER_INPUTS = [
    np.array([1 + 2j, -3j]), np.array([1 + 2j], np.complex64), np.array([1.0, 2.0], object),
    np.array([2, 3], object), np.array([2.0, 3.0], np.longdouble), 1 + 2j,
    np.array(["2020-01-01"], "M8[D]"), np.array([5], "m8[s]"), np.array(["ab"]),
    np.array([b"ab"]), np.zeros(2, "V8"), None, [[1.0, 2.0], [3.0]], "abc",
]


@pytest.mark.parametrize("name", NAMES)
def test_no_native_loop_is_numpys_answer(name):
    f, u = getattr(cw, name), getattr(np, name)
    for x in OTHER_INPUTS:
        same_outcome(lambda: f(*args_for(name, x)), lambda: u(*args_for(name, x)), "bitwise")


# ---- the override protocol ---------------------------------------------------------------

class Wrapped:
    """An array-like with __array_wrap__ and a priority (no __array_ufunc__)."""
    __array_priority__ = 20

    def __init__(self, a):
        self.a = np.asarray(a)

    def __array__(self, dtype=None, copy=None):
        return self.a

    def __array_wrap__(self, arr, context=None, return_scalar=False):
        return ("wrapped", arr)


class Sentinel:
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return ("sentinel", ufunc, method, len(inputs), sorted(kwargs))


class Sub(np.ndarray):
    def __array_finalize__(self, obj):
        self.tag = getattr(obj, "tag", "sub")


def _check_same(got, want):
    assert type(got) is type(want)
    if isinstance(want, tuple):
        assert got[0] == want[0]
        assert_same(np.asarray(got[1]), np.asarray(want[1]), "ulp", ulp=4)
    else:
        np.testing.assert_array_max_ulp(np.asarray(got, dtype=float),
                                        np.asarray(want, dtype=float), 4)


@pytest.mark.parametrize("name", FLOAT1)
def test_override_objects(name):
    f, u = getattr(cw, name), getattr(np, name)
    base = np.linspace(0.5, 2.0, 4)
    objs = [np.ma.masked_array(base, mask=[0, 1, 0, 0]), base.view(Sub), Wrapped(base)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        objs.append(np.asmatrix(base))
    with np.errstate(all="ignore"):
        for o in objs:
            g, w = f(*args_for(name, o)), u(*args_for(name, o))
            _check_same(g, w)
            if isinstance(o, np.ma.MaskedArray):
                assert (g.mask == w.mask).all()
            if u.nin == 2:  # mixed with a plain array, either side
                _check_same(f(o, base), u(o, base))
                _check_same(f(base, o), u(base, o))
    s = Sentinel()
    assert f(*args_for(name, s)) == u(*args_for(name, s))
    assert f(*args_for(name, s))[1] is u            # NumPy's twin, not corewise's
    with np.errstate(all="ignore"):
        assert f(*args_for(name, base), out=(np.empty(4),), where=True) is not None
    if u.nin == 2:
        assert f(base, s) == u(base, s)
    # out= an override object goes to NumPy too
    o1, o2 = np.ma.zeros(4), np.ma.zeros(4)
    with np.errstate(all="ignore"):
        assert f(*args_for(name, base), out=o1) is o1
        u(*args_for(name, base), out=o2)
    assert_same(np.asarray(o1), np.asarray(o2), "ulp", ulp=4)


@pytest.mark.parametrize("name", ["sqrt", "add", "maximum", "less", "exp", "arctan2", "isnan"])
def test_pandas(name):
    pd = pytest.importorskip("pandas", reason="pandas is a CPython test extra")
    f, u = getattr(cw, name), getattr(np, name)
    s = pd.Series([0.5, 1.0, 2.0], index=["a", "b", "c"], name="s")
    df = pd.DataFrame({"x": [0.5, 1.0], "y": [2.0, 3.0]})
    idx = pd.Index([0.5, 1.5])
    for o in (s, df, idx):
        g, w = f(*args_for(name, o)), u(*args_for(name, o))
        assert type(g) is type(w)
        if isinstance(w, pd.DataFrame):
            pd.testing.assert_frame_equal(g, w)
        elif isinstance(w, pd.Series):
            pd.testing.assert_series_equal(g, w)
        elif isinstance(w, np.ndarray):        # Index comparisons
            np.testing.assert_array_equal(g, w)
        else:
            pd.testing.assert_index_equal(g, w)
    if u.nin == 2:
        pd.testing.assert_series_equal(f(s, 2.0), u(s, 2.0))
        pd.testing.assert_series_equal(f(np.ones(3), s), u(np.ones(3), s))


@pytest.mark.parametrize("name", ["sqrt", "add", "minimum", "greater", "log1p"])
def test_xarray(name):
    xr = pytest.importorskip("xarray", reason="xarray is a CPython test extra")
    f, u = getattr(cw, name), getattr(np, name)
    da = xr.DataArray(np.linspace(0.5, 2.0, 6).reshape(2, 3), dims=("t", "x"),
                      coords={"x": [10, 20, 30]}, attrs={"units": "m"})
    g, w = f(*args_for(name, da)), u(*args_for(name, da))
    assert type(g) is xr.DataArray
    xr.testing.assert_identical(g, w)
    if u.nin == 2:
        xr.testing.assert_identical(f(da, 1.5), u(da, 1.5))
        ds = xr.Dataset({"a": da})
        xr.testing.assert_identical(f(ds, ds), u(ds, ds))


# ---- methods -------------------------------------------------------------------------------

REDUCE_KW = [dict(), dict(axis=None), dict(axis=1), dict(axis=-1, keepdims=True),
             dict(axis=(0, 1)), dict(axis=0, dtype=np.float32), dict(initial=5.0),
             dict(axis=1, where=np.array([True, False, True])), dict(axis=None, initial=1.0,
                                                                       where=np.array([True, False, True])),
             dict(axis=3), dict(axis=(0, 0)), dict(keepdims=True, out=np.zeros((1, 3))),
             dict(out=np.zeros(3)), dict(out=(np.zeros(3),)), dict(out=np.zeros(4))]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dt", ["f8", "f4", "i8", "i1", "u2", "?"])
def test_reduce(name, dt):
    f, u = getattr(cw, name), getattr(np, name)
    x = (np.arange(12).reshape(4, 3) % 5).astype(dt)
    for kw in REDUCE_KW:
        kw2 = {k: (v.copy() if isinstance(v, np.ndarray) else
                   tuple(a.copy() for a in v) if isinstance(v, tuple) and k == "out" else v)
               for k, v in kw.items()}
        # results of add/multiply may be ULPs apart (corewise's deterministic pairwise sum)
        same_outcome(lambda: f.reduce(x, **kw), lambda: u.reduce(x, **kw2), "ulp", ulp=2)
    with cw.threads(2):
        same_outcome(lambda: f.reduce(x[::-1].T), lambda: u.reduce(x[::-1].T), "ulp", ulp=2)
    same_outcome(lambda: f.reduce(np.zeros((0, 3), dt)), lambda: u.reduce(np.zeros((0, 3), dt)))
    same_outcome(lambda: f.reduce(np.array(3, dt), axis=0), lambda: u.reduce(np.array(3, dt), axis=0))
    same_outcome(lambda: f.reduce([1, 2, 3]), lambda: u.reduce([1, 2, 3]))


def test_add_reduce_is_corewise_sum():
    x = np.random.default_rng(1).standard_normal(100_003)
    for nt in (1, 2):
        with cw.threads(nt):
            assert cw.add.reduce(x) == cw.sum(x)
            assert cw.multiply.reduce(x[:50]) == cw.prod(x[:50])
            assert cw.maximum.reduce(x) == np.max(x) and cw.minimum.reduce(x) == np.min(x)
    import math
    assert abs(cw.add.reduce(x) - math.fsum(x)) <= 1e-10 * np.abs(x).sum()


@pytest.mark.parametrize("dt", [np.complex128, np.complex64, np.dtype(">c16")])
def test_complex_add_reduce_is_corewise_sum(dt):
    """add.reduce of complex64/complex128 is cw.sum (each component the
    deterministic fixed-tree sum): bitwise cw.sum's for any thread count,
    axis, keepdims and out=, within the float sum's bound of math.fsum per
    component -- and not NumPy's pairwise sum, whose bits differ here."""
    import math
    rng = np.random.default_rng(7)
    z = (rng.standard_normal(100_003) * 1e3 + 1j * rng.standard_normal(100_003)).astype(dt)
    z2 = z[:100_000].reshape(400, 250)
    for nt in (1, 2):
        with cw.threads(nt):
            assert_same(cw.add.reduce(z), cw.sum(z))
            assert_same(cw.add.reduce(z2, axis=1), cw.sum(z2, axis=1))
            assert_same(cw.add.reduce(z2, axis=None, keepdims=True), cw.sum(z2, axis=None, keepdims=True))
            o = np.zeros(250, z.dtype.newbyteorder("="))
            assert cw.add.reduce(z2, axis=0, out=o) is o
            assert_same(o, cw.sum(z2, axis=0))
    got = cw.add.reduce(z.astype(np.complex128))
    scale = np.abs(z.real).sum() + np.abs(z.imag).sum()
    assert abs(got.real - math.fsum(z.real.astype(float))) <= 1e-12 * scale
    assert abs(got.imag - math.fsum(z.imag.astype(float))) <= 1e-12 * scale
    assert cw.add.reduce(z) != np.add.reduce(z)
    # what corewise does not compute natively stays NumPy's, errors included
    same_outcome(lambda: cw.add.reduce(np.zeros((0, 3), dt)), lambda: np.add.reduce(np.zeros((0, 3), dt)))
    same_outcome(lambda: cw.add.reduce(z2, dtype=np.complex64), lambda: np.add.reduce(z2, dtype=np.complex64))
    same_outcome(lambda: cw.add.reduce(z2, axis=2), lambda: np.add.reduce(z2, axis=2))


def _accumulate_leaks_out():
    """Does this NumPy leak a reference to out= from a failed accumulate
    (numpy/numpy#31691; fixed by numpy/numpy#31699)?  Asked once, of one
    array, whose leaked reference is then given back; PyPy has no
    reference counts (and no leak)."""
    if platform.python_implementation() != "CPython":
        return False
    import ctypes
    o = np.zeros(3)
    before = sys.getrefcount(o)
    try:
        np.gcd.accumulate(np.zeros(3), out=o)
    except TypeError:
        pass
    leaked = sys.getrefcount(o) - before
    for _ in range(leaked):
        ctypes.pythonapi.Py_DecRef(ctypes.py_object(o))
    return leaked > 0


_ACCUMULATE_LEAKS_OUT = _accumulate_leaks_out()


@pytest.mark.parametrize("name", NAMES)
def test_accumulate_reduceat_at(name):
    f, u = getattr(cw, name), getattr(np, name)
    x = np.linspace(0.5, 3.0, 12).reshape(4, 3)
    for kw in (dict(), dict(axis=1), dict(axis=0, dtype=np.float32), dict(out=np.zeros((4, 3))),
               dict(axis=2)):
        if "out" in kw and outcome(lambda: u.accumulate(x))[1] is not None and _ACCUMULATE_LEAKS_OUT:
            # NumPy's accumulate keeps a reference to out= when it cannot
            # resolve the loop (numpy/numpy#31691): an array leaked a call,
            # which `make asan`'s leak check reports.  The failure itself is
            # compared without out= above.
            continue
        same_outcome(lambda: f.accumulate(x, **kw), lambda: u.accumulate(x, **kw), "ulp", ulp=4)
    idx = [0, 2, 1]
    same_outcome(lambda: f.reduceat(x, idx), lambda: u.reduceat(x, idx), "ulp", ulp=4)
    same_outcome(lambda: f.reduceat(x, idx, axis=1), lambda: u.reduceat(x, idx, axis=1), "ulp", ulp=4)
    a1, a2 = x.copy(), x.copy()
    extra = (np.array([2.0, 3.0]),) if u.nin == 2 else ()
    r1, r2 = outcome(lambda: f.at(a1, [0, 0], *extra)), outcome(lambda: u.at(a2, [0, 0], *extra))
    assert r1 == r2
    assert_same(a1, a2, "ulp", ulp=4)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("nt", [1, 2])
def test_outer(name, nt):
    f, u = getattr(cw, name), getattr(np, name)
    a = np.linspace(0.5, 2.0, 6).reshape(2, 3)
    b = np.linspace(-1.0, 1.0, 4)[::-1]
    with cw.threads(nt):
        cases = [((a, b), {}), ((b, a.T), {}), ((2.0, 3.0), {}), ((a, 2), {}), (([1, 2], [3, 4, 5]), {}),
                 ((a, b), {"out": np.zeros((2, 3, 4))}), ((a, b), {"dtype": np.float32}),
                 ((a, b), {"out": np.zeros((2, 4))}), ((a, b), {"where": b > 0, "out": np.ones((2, 3, 4))}),
                 ((np.arange(3), np.arange(4)), {})]
        for args, kw in cases:
            kw2 = {k: (v.copy() if k == "out" else v) for k, v in kw.items()}
            got = same_outcome(lambda: f.outer(*args, **kw), lambda: u.outer(*args, **kw2), "ulp", ulp=4)
            if "out" in kw and got is not None:
                assert got is kw["out"]


def test_outer_matrix_and_masked_go_to_numpy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        m = np.asmatrix([[1.0, 2.0]])
    same_outcome(lambda: cw.multiply.outer(m, m), lambda: np.multiply.outer(m, m))
    ma = np.ma.masked_array([1.0, 2.0], mask=[0, 1])
    g, w = cw.add.outer(ma, ma), np.add.outer(ma, ma)
    assert type(g) is type(w) and (g.mask == w.mask).all()


def test_dask_keeps_corewise_map():
    da = pytest.importorskip("dask.array")
    x = da.from_array(np.linspace(0.5, 2.0, 8), chunks=4)
    r = cw.sqrt(x)
    assert type(r) is type(x)
    np.testing.assert_array_equal(r.compute(), np.sqrt(np.linspace(0.5, 2.0, 8)))
    # NumPy's keywords: NumPy's own dispatch to dask
    r = cw.add(x, 1.0, dtype=np.float32)
    assert type(r) is type(x) and r.dtype == np.float32


def _other_args(name, x):
    """Operands of a dtype ``name`` has a loop for: x where float64 has one;
    small non-negative int64 for the integer-only rows; dates for isnat;
    (float, int) for ldexp."""
    u = getattr(np, name)
    x = np.asarray(x)
    if name == "ldexp":
        return x, np.arange(x.size).reshape(x.shape) % 5
    if _float_loop(u):
        return (x,) * u.nin
    if name == "isnat":
        return (np.rint(np.abs(x) * 3).astype("i8").astype("M8[D]"),)
    return (np.rint(np.abs(x) * 3).astype(np.int64),) * u.nin


@pytest.mark.parametrize("name", OTHER)
@pytest.mark.parametrize("nt", [1, 2])
def test_other_rows_protocol(name, nt):
    """The rows without a float64 one-output loop: NumPy's call signature
    (out keyword / tuple of nout, where= with out), the override protocol
    (masked arrays, subclasses, __array_ufunc__) and NumPy's errors."""
    f, u = getattr(cw, name), getattr(np, name)
    args = _other_args(name, np.linspace(0.25, 3.0, 8))
    with cw.threads(nt), np.errstate(all="ignore"):
        want = u(*args)
        same_outcome(lambda: f(*args), lambda: u(*args), "bitwise")
        wants = want if u.nout > 1 else (want,)
        o1, o2 = tuple(np.zeros_like(w) for w in wants), tuple(np.zeros_like(w) for w in wants)
        g, w = f(*args, out=o1), u(*args, out=o2)
        for a, b in zip(o1, o2):
            assert_same(a, b, "bitwise")
        mask = np.arange(8) % 2 == 0
        o1, o2 = tuple(np.zeros_like(w) for w in wants), tuple(np.zeros_like(w) for w in wants)
        f(*args, out=o1, where=mask), u(*args, out=o2, where=mask)
        for a, b in zip(o1, o2):
            assert_same(a, b, "bitwise")
        m = [np.ma.masked_array(a, mask=mask) for a in args]
        g, w = f(*m), u(*m)
        assert type(g) is type(w)
        s = Sentinel()
        assert f(s, *args[1:]) == u(s, *args[1:])
        same_outcome(lambda: f(*args, foo=1), lambda: u(*args, foo=1))
        same_outcome(lambda: f(np.array(["a"]), *args[1:]), lambda: u(np.array(["a"]), *args[1:]))
