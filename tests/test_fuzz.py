"""Fuzzing the facade: arbitrary Python objects, every dtype NumPy has
(big-endian, float16, longdouble, structured, datetime, object, str, ...),
shapes from 0-size to 32 dimensions, overlapping strides (as_strided) and
out= combinations.  For every function the outcome must be NumPy's answer
(bitwise, for 0-ULP functions; same dtype, shape, type and the same bytes
in every buffer involved) or NumPy's own error (corewise hands what it has
no native loop for -- object, str, bytes, structured, datetime, complex,
longdouble; subclasses and duck arrays -- to NumPy's twin: README, "The
ufunc protocol") -- never a crash, a hang (a watchdog kills a hung test) or
a silent wrong result, and never a refusal where NumPy answers."""
import decimal
import faulthandler
import fractions
import os
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.lib.stride_tricks import as_strided

import corewise as cw
from corewise._lib import lib
from hardening_util import FUNCS
from oracle import assert_same

LONGDOUBLE = np.dtype(np.longdouble)

DTYPES = [np.dtype(d) for d in (
    "<f8", ">f8", "<f4", ">f4", "<f2", ">f2", np.longdouble, "?", "i1", "u1", "<i2", ">i2",
    "<u4", ">i4", "<i8", ">u8", "<c8", ">c16", "M8[ns]", "m8[s]", "O", "U3", "S2", "V8",
    [("a", "<f8"), ("b", ">i4")])]


# CW_FUZZ_EXAMPLES=N: a longer campaign than the profile's max_examples.
if os.environ.get("CW_FUZZ_EXAMPLES"):
    given = (lambda _given, n: lambda *a, **k: lambda f: settings(max_examples=n)(
        _given(*a, **k)(f)))(given, int(os.environ["CW_FUZZ_EXAMPLES"]))


def _watch(seconds):
    faulthandler.dump_traceback_later(seconds, exit=True, file=sys.__stderr__)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(autouse=True)
def _watchdog():
    """A hang fails the run (with every thread's traceback) instead of
    blocking CI."""
    yield from _watch(300)


# ---- values and objects ---------------------------------------------------------------

def _values(dtype):
    if dtype.kind in "fc":
        return hnp.from_dtype(dtype, allow_nan=True, allow_infinity=True)
    if dtype.kind == "O":
        return st.one_of(st.floats(), st.integers(-10, 10), st.just(None))
    if dtype.kind == "V" and dtype.fields is None:
        return st.binary(min_size=dtype.itemsize, max_size=dtype.itemsize)
    return hnp.from_dtype(dtype)


def _shapes():
    """0-size, ordinary and up-to-32-dimensional shapes (<= 4096 elements)."""
    ordinary = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=7)
    deep = st.integers(5, 32).flatmap(lambda nd: st.lists(
        st.sampled_from([1, 1, 1, 2, 0]), min_size=nd, max_size=nd).map(tuple)).filter(
            lambda s: np.prod(s, dtype=np.int64) <= 4096)
    return st.one_of(ordinary, deep)


@st.composite
def arrays(draw):
    dtype = draw(st.sampled_from(DTYPES))
    return draw(hnp.arrays(dtype, draw(_shapes()), elements=_values(dtype)))


# Python ints at and beyond the int64/uint64 edges: NumPy makes a lone one
# int64, uint64 or an object array, and raises OverflowError for some pairs
BIG_INTS = [2**63 - 1, -2**63, 2**63, -2**63 - 1, 2**64 - 1, 2**64, -2**64, 2**100]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.complex_numbers(),
    st.sampled_from(BIG_INTS),
    st.text(max_size=5), st.binary(max_size=5),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(decimal.Decimal),
    st.fractions().map(fractions.Fraction),
    st.sampled_from([Ellipsis, object(), slice(1, 2), int, np.float64, {"a": 1}, {1.0},
                     bytearray(b"ab"), memoryview(b"\x00" * 8), range(4), np.nan]),
    st.sampled_from(DTYPES).flatmap(lambda d: _values(d).map(
        lambda v, d=d: np.array(v, dtype=d)[()])),            # NumPy scalars
)

objects = st.recursive(
    st.one_of(scalars, arrays()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                            st.dictionaries(st.text(max_size=2), inner, max_size=2)),
    max_leaves=8)


# ---- running both and comparing -------------------------------------------------------------

def _converted_dtype(x):
    """The dtype NumPy converts ``x`` to, or None when it cannot."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(x).dtype
    except Exception:                                # noqa: BLE001 - unconvertible
        return None


def _outcome(call):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return call(), None
        except Exception as e:                       # noqa: BLE001 - compared below
            return None, e


def _same(fn, got, want, prec=None):
    """NumPy's answer within fn's accuracy contract (oracle "ulp": bitwise
    for exact functions), in ULP of ``prec`` -- the precision the result was
    computed in; object and longdouble results hold float64 values."""
    if not isinstance(want, tuple) and np.asarray(want).dtype == LONGDOUBLE != np.float64 \
            and np.asarray(got).dtype == LONGDOUBLE and type(got) is type(want) \
            and prec is not None and np.dtype(prec) == LONGDOUBLE:
        # a result computed in longdouble is NumPy's own loop's (no native
        # one): exact.  A longdouble out= of a float64 computation (log1p of
        # a float64 array into a longdouble out=) holds corewise's float64
        # answer: compared below, as float64, within fn's contract.
        assert np.array_equal(got, want, equal_nan=True)
        return
    assert_same(got, want, "ulp", ulp=fn.max_ulp, prec=prec, via_float64=(object, LONGDOUBLE))


def _numpy_out_bug(fn, build, out, want):
    """NumPy 2.4.6 writes only part of a non-contiguous bool out= of its
    float predicates: np.isnan(np.zeros(16), out=np.zeros((16, 3), bool)[:, 1])
    sets 2 of the 16 elements.  True when NumPy's out= answer differs from
    its own answer computed without out= and cast."""
    if not (isinstance(out, np.ndarray) and out.dtype == bool and want is out
            and not out.flags.c_contiguous and fn.msg_name in ("isnan", "isinf", "isfinite",
                                                              "signbit")):
        return False
    with np.errstate(all="ignore"):
        ref = np.asarray(fn.numpy(*build()[0])).astype(bool)
    return not np.array_equal(np.broadcast_to(ref, out.shape), want)


def _self_overlapping(a):
    """Do two elements of ``a`` share a byte?  (Then which write lands last
    is unspecified -- in NumPy too -- and only the bytes outside the array's
    footprint, the result's type, dtype and shape are compared.)"""
    if not isinstance(a, np.ndarray) or a.size < 2:
        return False
    offs = np.zeros(1, np.int64)
    for n, s in zip(a.shape, a.strides):
        offs = (offs[:, None] + np.arange(n) * s).ravel()
    offs.sort()
    return bool(np.any(np.diff(offs) < a.itemsize))


def _footprint_mask(buf, a):
    """Bytes of the uint8 buffer ``buf`` that array ``a`` covers."""
    mask = np.zeros(buf.size, bool)
    start = a.__array_interface__["data"][0] - buf.__array_interface__["data"][0]
    offs = np.full(1, start, np.int64)
    for n, s in zip(a.shape, a.strides):
        offs = (offs[:, None] + np.arange(n) * s).ravel()
    for o in offs:
        mask[max(o, 0):max(o + a.itemsize, 0)] = True
    return mask


def _object_operand(x):
    """Would NumPy compute on ``x`` element by element with Python objects
    (an object array, or a sequence or scalar NumPy converts to one)?  Its
    cost is then unbounded: ``numpy.power`` of an object array of huge ints
    is Python's ``int ** int`` -- ``(2**64) ** (2**64)`` never finishes.  A
    lone Python int is not one: NumPy takes it as a weak scalar (or raises
    OverflowError) in bounded time.  Deciding costs one conversion."""
    if type(x) is int or type(x) is bool:
        return False
    dt = _converted_dtype(x)                         # None: NumPy refuses it at once
    return dt is not None and dt.kind == "O"


def compare(fn, build):
    """build() -> (args, kwargs, buffers): called twice, so corewise and NumPy
    each get their own copy of everything (out= and overlapping views
    included); afterwards every buffer must hold the same bytes.

    The oracle is bounded: corewise runs first, and NumPy is asked only
    where its answer is needed.  Every input corewise answers is compared
    with NumPy's answer.  An input corewise refuses for holding an object
    operand is judged by the refusal alone -- the documented one (a
    TypeError naming the function and the object kind), every buffer
    untouched -- since NumPy's value of it may never finish
    (_object_operand)."""
    cargs, ckw, cbufs = build()
    if any(_object_operand(a) for a in cargs):
        # NumPy's twin computes object operands (README, "The ufunc
        # protocol"), element by element in Python: unbounded for huge ints,
        # so neither side is run here (tests/test_ufuncobj.py and
        # test_errors.py compare small object operands with NumPy)
        return "object"
    got, gerr = _outcome(lambda: fn(*cargs, **ckw))
    nargs, nkw, nbufs = build()
    want, werr = _outcome(lambda: fn.numpy(*nargs, **nkw))
    if gerr is not None:
        # corewise's own error names the function; otherwise it is NumPy's
        # very error (its twin answered the call)
        assert (str(gerr).startswith(f"corewise.{fn.msg_name}")
                and isinstance(gerr, (TypeError, ValueError))
                or werr is not None and (type(gerr), str(gerr)) == (type(werr), str(werr))), \
            (repr(gerr), repr(werr))
        # NumPy answered: corewise must too (no refusals are left: what it
        # does not compute natively is NumPy's twin's call)
        assert werr is not None, f"corewise refused what NumPy answers: {gerr!r}"
        # a refused call wrote nothing -- unless NumPy's own loop (the
        # fallback for dtypes without a native one) refused part-way, as
        # NumPy does.  What NumPy leaves in a buffer it wrote before raising
        # is unspecified: np.power(int16, int16, out=float64) with a negative
        # exponent copies its cast buffer's leftovers into out (7392.0 in one
        # run, 26245.0 in the next, same input), so such a buffer is not
        # compared; every buffer NumPy left untouched must stay untouched
        for cb, nb, ob in zip(cbufs, nbufs, build()[2]):
            if nb.tobytes() == ob.tobytes():
                assert cb.tobytes() == ob.tobytes(), "a refused call modified a buffer"
        return "refused"
    assert werr is None, f"NumPy raised {werr!r}, corewise answered {got!r}"
    out = ckw.get("out")
    if "out" in ckw:
        assert (got is out) == (want is nkw["out"])
    if _self_overlapping(out):
        assert type(got) is type(want) and got.dtype == want.dtype and got.shape == want.shape
        for cb, nb in zip(cbufs, nbufs):
            keep = ~_footprint_mask(cb, out) if np.shares_memory(cb, out) else slice(None)
            assert cb[keep].tobytes() == nb[keep].tobytes(), "a byte outside out changed"
        return "answered"
    ins = [np.asarray(a).dtype for a in cargs if isinstance(a, np.ndarray)]
    prec = np.result_type(*ins) if ins else None
    if _numpy_out_bug(fn, build, nkw.get("out"), want):
        # NumPy's answer through out= contradicts its own answer without
        # out=: judge corewise by the latter, and nothing outside out changed
        _same(fn, got, np.asarray(fn.numpy(*build()[0])).astype(out.dtype), prec)
        for cb, nb in zip(cbufs, build()[2]):
            keep = ~_footprint_mask(cb, out) if np.shares_memory(cb, out) else slice(None)
            assert cb[keep].tobytes() == nb[keep].tobytes(), "a byte outside out changed"
        return "answered"
    _same(fn, got, want, prec)
    for cb, nb in zip(cbufs, nbufs):
        if cb.tobytes() == nb.tobytes():
            continue
        # Only a function allowed ULPs of difference from NumPy may differ,
        # and only inside out (whose values _same checked above) -- or any
        # function inside a long double out=, in the padding bytes of its
        # values, which NumPy leaves unwritten (oracle.significant_bytes).
        if isinstance(out, tuple) and len(out) == 1:
            out = out[0]
        assert isinstance(out, np.ndarray) and (
            fn.max_ulp > 0 or out.dtype.type in (np.longdouble, np.clongdouble)), \
            "a buffer differs after the call"
        keep = ~_footprint_mask(cb, out) if np.shares_memory(cb, out) else slice(None)
        assert cb[keep].tobytes() == nb[keep].tobytes(), "a byte outside out changed"
    return "answered"


def _copy(o):
    """A copy of the arrays inside o (the rest is never written)."""
    if isinstance(o, np.ndarray):
        return o.copy()
    if isinstance(o, (list, tuple)):
        return type(o)(_copy(v) for v in o)
    if isinstance(o, dict):
        return {k: _copy(v) for k, v in o.items()}
    return o


def _fn_and_threads(data):
    fn = data.draw(st.sampled_from(FUNCS), label="function")
    lib.cw_set_local_threads(data.draw(st.integers(1, 4), label="threads"))
    return fn


# ---- the fuzz tests ----------------------------------------------------------------------

@given(data=st.data(), obj=objects)
def test_arbitrary_objects(data, obj, tiny_threshold):
    fn = _fn_and_threads(data)

    def build():
        o = _copy(obj)
        return (o,) * fn.nin, {}, [o] if isinstance(o, np.ndarray) else []
    compare(fn, build)


# Object operands whose NumPy value is unbounded work: numpy.power of them
# is int ** int with huge ints (the fuzz oracle once hung on these).
HUGE_OBJECTS = [[2**64, 3], [2**100], [2**70, -2**70, 7], [10**18, None],
                [fractions.Fraction(10**20, 3)]]


@pytest.fixture
def _short_watchdog():
    yield from _watch(60)


@pytest.mark.parametrize("fn", FUNCS, ids=repr)
@pytest.mark.parametrize("form", ["list", "object array", "0-d"])
def test_oracle_is_bounded_on_huge_object_operands(fn, form, _short_watchdog):
    """Exactly these inputs through the fuzz comparison, as lists, object
    arrays and 0-d object arrays, in both operands: the comparison ends at
    once (the watchdog of 60 s fails a hang) without asking NumPy -- or
    corewise, which hands object operands to NumPy -- for their value."""
    for obj in HUGE_OBJECTS:
        def build(obj=obj):
            if form == "list":
                o = list(obj)
            elif form == "object array":
                o = np.array(obj, dtype=object)
            else:
                o = np.empty((), object)
                o[()] = obj[0]
            return (o,) * fn.nin, {}, [o] if isinstance(o, np.ndarray) else []
        assert compare(fn, build) == "object"


def test_object_operand_decides_by_kind():
    assert all(_object_operand(o) for o in HUGE_OBJECTS)
    assert all(_object_operand(o) for o in (np.zeros(2, object), {"a": 1}, None,
                                            decimal.Decimal(1), [1.5, None]))
    assert not any(_object_operand(o) for o in (2**100, -2**64, True, 1.5, [1, 2],
                                                np.zeros(3), [[1.0], [2.0, 3.0]]))


@pytest.mark.parametrize("fn", FUNCS, ids=repr)
@pytest.mark.parametrize("big", BIG_INTS)
def test_python_ints_at_the_int64_edges(fn, big):
    """Each of the edge ints alone, twice and beside an array of each
    kind: NumPy's answer (dtype and value) or NumPy's own error."""
    arrays_ = [np.array([1.5, -2.0]), np.array([1, -3], np.int64), np.array([1, 3], np.uint64),
               np.array([0.5], np.float32)]
    cases = [(big,)] if fn.nin == 1 else [(big, big), (big, 1.0)] + [
        p for a in arrays_ for p in ((big, a), (a, big))]
    for args in cases:
        compare(fn, lambda args=args: (_copy(args), {}, []))


@given(data=st.data(), x=arrays())
def test_every_dtype_and_shape(data, x, tiny_threshold):
    fn = _fn_and_threads(data)
    compare(fn, lambda: ((x.copy(),) * fn.nin, {}, []))


@st.composite
def overlapping_views(draw, base_len=64):
    """(dtype, builder) of an as_strided layout: any strides in bytes
    (negative, zero, smaller than the item: overlapping elements; not a
    multiple of the item: unaligned), kept inside a base buffer."""
    dtype = np.dtype(draw(st.sampled_from(["<f8", ">f8", "<f4", "<f2", "i2", "u1"])))
    nd = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=nd, max_size=nd)))
    isz = dtype.itemsize
    strides = tuple(draw(st.lists(st.sampled_from([0, isz, -isz, 2 * isz, 3 * isz, 1, 3, -5, isz + 1]),
                                  min_size=nd, max_size=nd)))
    lo = sum(min(0, s * (n - 1)) for s, n in zip(strides, shape) if n)
    hi = sum(max(0, s * (n - 1)) for s, n in zip(strides, shape) if n) + isz
    nbytes = base_len * 8
    if hi - lo > nbytes:
        shape = (0,) * nd
        lo, hi = 0, isz
    start = draw(st.integers(-lo, nbytes - hi))
    fill = draw(hnp.arrays(np.uint8, nbytes))
    return dtype, shape, strides, start, fill


@given(data=st.data(), xv=overlapping_views(), outv=st.one_of(st.none(), overlapping_views()),
       same_buffer=st.booleans())
def test_overlapping_strides_and_out(data, xv, outv, same_buffer, tiny_threshold):
    fn = _fn_and_threads(data)
    dt, shape, strides, start, fill = xv

    def build():
        base = bytearray(fill.tobytes())
        x = np.ndarray(shape, dt, buffer=base, offset=start, strides=strides)
        if outv is None:
            return (x,) * fn.nin, {}, [np.frombuffer(base, np.uint8)]
        odt, oshape, ostrides, ostart, ofill = outv
        obase = base if same_buffer else bytearray(ofill.tobytes())
        out = np.ndarray(oshape, odt, buffer=obase, offset=ostart, strides=ostrides)
        return (x,) * fn.nin, {"out": out}, [np.frombuffer(base, np.uint8),
                                            np.frombuffer(obase, np.uint8)]
    compare(fn, build)


def _root_bytes(a):
    """The whole buffer under array ``a``, as uint8 (empty for object arrays,
    whose bytes are pointers)."""
    a = np.asarray(a)
    while True:
        b = a.base
        if isinstance(b, np.ndarray):
            a = b
        elif isinstance(getattr(b, "base", None), np.ndarray):   # as_strided's wrapper
            a = b.base
        else:
            break
    if a.dtype == object:
        return np.zeros(0, np.uint8)
    if not a.flags.c_contiguous:
        a = a.T                                   # a Fortran-ordered owner
    assert a.flags.c_contiguous
    return a.reshape(-1).view(np.uint8)


def _matrix(shape, dt):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return np.asmatrix(np.zeros((1, int(np.prod(shape))), dt))


OUTS = {
    "none": None,
    "same": lambda shape, res: np.full(shape, 7, res),
    "float16": lambda shape, res: np.zeros(shape, np.float16),
    "float32": lambda shape, res: np.zeros(shape, np.float32),
    "float64": lambda shape, res: np.zeros(shape, ">f8"),
    "int64": lambda shape, res: np.zeros(shape, np.int64),
    "complex128": lambda shape, res: np.zeros(shape, np.complex128),
    "bool": lambda shape, res: np.zeros(shape, bool),
    "longdouble": lambda shape, res: np.zeros(shape, np.longdouble),
    "object": lambda shape, res: np.zeros(shape, object),
    "bigger": lambda shape, res: np.zeros((2,) + shape, res),
    "smaller": lambda shape, res: np.zeros(shape[1:] + (9,), res),
    "readonly": lambda shape, res: np.zeros(shape, res),
    "tuple": lambda shape, res: (np.zeros(shape, res),),
    "tuple2": lambda shape, res: (np.zeros(shape, res),) * 2,
    "list": lambda shape, res: [np.zeros(shape, res)],
    "masked": lambda shape, res: np.ma.zeros(shape, res),
    "matrix": _matrix,
    "scalar": lambda shape, res: res.type(0),
    "fortran": lambda shape, res: np.zeros(shape, res, order="F"),
    "strided": lambda shape, res: np.zeros(shape + (3,), res)[..., 1],
    "zero-stride": lambda shape, res: as_strided(np.zeros(1, res), shape, (0,) * len(shape)),
    "self": None,
    "shifted": None,
}


@given(data=st.data(),
       x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6),
                    elements=st.floats(-4, 4, width=16)),
       dt=st.sampled_from(["<f8", ">f4", "<f2", "i4", "?", ">f8", "<f4"]),
       kind=st.sampled_from(sorted(OUTS)))
def test_out_combinations(data, x, dt, kind, tiny_threshold):
    fn = _fn_and_threads(data)
    x = x.astype(dt)

    def build():
        xx = x.copy()
        try:
            res = np.dtype(fn.np.resolve_dtypes((xx.dtype,) * fn.nin + (None,))[-1])
        except TypeError:        # NumPy has no loop (bool subtract): any out will do
            res = xx.dtype
        if kind == "self":
            out = xx
        elif kind == "shifted":                       # out overlaps the input, off by one
            base = np.zeros(xx.size + 1, xx.dtype)
            base[1:] = xx.ravel()
            xx, out = base[1:].reshape(xx.shape), base[:-1].reshape(xx.shape)
        else:
            out = OUTS[kind] and OUTS[kind](xx.shape, res)
        if kind == "readonly":
            out.flags.writeable = False
        kw = {} if kind == "none" else {"out": out}
        arrays = [b for b in (out if isinstance(out, (tuple, list)) else (out,))
                  if isinstance(b, np.ndarray)] + [xx]
        return (xx,) * fn.nin, kw, [_root_bytes(b) for b in arrays]
    compare(fn, build)


@given(n=objects)
def test_thread_count_api_takes_any_object(n):
    before = cw.get_num_threads()
    for api in (cw.threads, cw.set_num_threads):
        try:
            r = api(n)
        except (TypeError, ValueError) as e:
            assert "thread count" in str(e)
            assert cw.get_num_threads() == before
            continue
        if api is cw.set_num_threads:
            assert cw.get_num_threads() == (before if n is None else n)
            cw.set_num_threads(None)
        else:
            with r:
                assert cw.get_num_threads() == n
        assert cw.get_num_threads() == before


# ---- the documented decisions (README, "Hardening") -----------------------------------------

@pytest.mark.parametrize("fn", FUNCS, ids=repr)
@pytest.mark.parametrize("dt", [">f8", ">f4", "<f2", ">f2", ">i4", ">u2"])
def test_big_endian_and_float16_are_converted_and_exact(fn, dt):
    x = np.array([0.0, 0.5, 1.5, 2.0, 4.0, 100.0, np.inf, -1.0], dtype=np.float64)
    x = x.astype(dt) if np.dtype(dt).kind == "f" else np.arange(8).astype(dt)
    got, _ = _outcome(lambda: fn(*(x,) * fn.nin))
    want, _ = _outcome(lambda: fn.numpy(*(x,) * fn.nin))
    _same(fn, got, want)
    out = np.zeros(x.shape, np.dtype(want.dtype).newbyteorder(">"))     # big-endian out=
    nout = out.copy()
    _outcome(lambda: fn(*(x,) * fn.nin, out=out))
    _outcome(lambda: fn.numpy(*(x,) * fn.nin, out=nout))
    _same(fn, out.astype(want.dtype), nout.astype(want.dtype))


@pytest.mark.parametrize("fn", FUNCS, ids=repr)
def test_longdouble_input_is_numpys(fn):
    x = np.ones(3, np.longdouble) / 3
    with np.errstate(all="ignore"):
        got, want = fn(*(x,) * fn.nin), fn.numpy(*(x,) * fn.nin)
    assert type(got) is type(want) and got.dtype == want.dtype
    # NumPy's own loop computed it (exactly; padding bytes aside)
    assert np.array_equal(got, want, equal_nan=True)
    # a longdouble out= is fine: the float64 result is cast into it, as NumPy does
    out, nout = np.zeros(3, np.longdouble), np.zeros(3, np.longdouble)
    with np.errstate(all="ignore"):
        fn(*(np.ones(3),) * fn.nin, out=out)
        fn.numpy(*(np.ones(3),) * fn.nin, out=nout)
    _same(fn, out.astype(np.float64), nout.astype(np.float64))


@pytest.mark.parametrize("fn", FUNCS, ids=repr)
@pytest.mark.parametrize("dt", ["<f4", "<f8"])
@pytest.mark.parametrize("offset", [1, 2, 3, 4, 5, 6, 7])
def test_unaligned_contiguous_arrays(fn, dt, offset, tiny_threshold):
    """A C-contiguous view at an odd byte offset is not aligned for its
    dtype: the kernels must not load it as typed (vectorised) elements --
    undefined behaviour that UBSan (`make asan`) reports -- but must still
    compute NumPy's answer, in and out, in place too."""
    dt = np.dtype(dt)
    n = 1000
    raw = np.linspace(0.25, 4.0, n).astype(dt)
    buf = bytearray(n * dt.itemsize + 16)
    x = np.ndarray((n,), dt, buffer=buf, offset=offset)
    x[...] = raw
    if dt.itemsize == 8 or offset % 4:
        assert not x.flags.aligned
    with np.errstate(all="ignore"):
        want = fn.numpy(*(raw,) * fn.nin)
        obuf = bytearray(n * want.itemsize + 16)
        out = np.ndarray((n,), want.dtype, buffer=obuf, offset=8 - offset)
        for nt in (1, 2):
            with cw.threads(nt):
                _same(fn, fn(*(x,) * fn.nin), want)
                assert fn(*(x,) * fn.nin, out=out) is out
                _same(fn, out.copy(), want)
        if fn.nin == 1 and want.dtype == dt:
            fn(x, out=x)                                   # in place, unaligned
            _same(fn, x.copy(), want)
