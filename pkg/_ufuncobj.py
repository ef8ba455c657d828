"""NumPy's ufunc protocol for corewise's element-wise functions: the class
``corewise.ufunc`` (isinstance of every public element-wise function), the
functions' NumPy attributes and methods (reduce, accumulate, reduceat,
outer, at), NumPy's full call signature, and the one protocol entry point
(``protocol``) behind every call the fast path does not take.

The public functions are the fast functions themselves (pkg/_fast.py,
``(x, out=None, **kw)``: the fast branch only when no keyword is given),
carrying the attributes and the methods bound to them -- not instances of
a class, whose calls cost more on CPython (see ufunc).  ``numpy.ufunc``
cannot be subclassed (its type refuses to be a base), so
``isinstance(cw.sqrt, np.ufunc)`` is False -- a documented refusal
(README, "The ufunc protocol").

What runs natively (corewise's kernels): plain ndarrays, np.memmap, NumPy
and Python scalars and sequences, with ``out`` positional/keyword/tuple/
``...``, ``where=`` (with out=), ``dtype=``, ``casting='same_kind'``,
``order='K'/'C'``, ``subok``.  Everything else -- an operand or out= with
its own ``__array_ufunc__``/``__array_wrap__``/``__array_priority__``
(pandas, xarray, pint, masked arrays, np.matrix, ndarray subclasses), other
casting/order values, ``signature=``, dtypes without a native loop -- is
NumPy's twin ufunc called with the caller's own arguments, so NumPy does the
dispatch, the wrapping, the results and the errors.  Dask arrays keep
corewise's lazy block map (pkg/_dask.py).  The CW_MULTI rows (two outputs:
divmod, modf, frexp; mixed dtypes: ldexp) have their own entry point,
pkg/_multi.py, to which ``protocol`` hands their calls.
"""
import warnings
from types import MethodType as _MethodType

import numpy as np

from ._args import foreign
from ._dask import elementwise as dask_elementwise, is_dask_array
from ._general import binary_general, unary_general
from ._reduce_complex import ENGINE_CODES as _ENGINE_COMPLEX
from ._multi import protocol as _multi_protocol

try:  # the parallel scan (another module; absent -> NumPy's accumulate)
    from ._scan import accumulate as _native_accumulate
except ImportError:  # pragma: no cover - depends on the merge
    _native_accumulate = None

_ndarray = np.ndarray
_memmap = np.memmap
_KEYWORDS = frozenset(("out", "where", "casting", "order", "subok", "dtype",
                       "signature", "sig"))


def _ellipsis_out():
    """Does this NumPy take out=... (NumPy >= 2.1: an array, 0-d too)?"""
    try:
        return type(np.sqrt(1.0, out=...)) is _ndarray
    except TypeError:
        return False


_ELLIPSIS_OUT = _ellipsis_out()


def _twin(op, args, kw):
    return op.ufunc(*args, **kw)


def _out_arg(op, args, kw):
    """(out, ellipsis) from the caller's arguments: out as None or one
    ndarray; None when NumPy must answer (bad or exotic out)."""
    nin = op.nin
    if len(args) > nin:
        if len(args) != nin + 1:
            return None
        out = args[nin]
    else:
        out = kw.get("out")
    if out is Ellipsis:
        return (None, True) if _ELLIPSIS_OUT else None
    if type(out) is tuple:
        if len(out) != 1:
            return None
        out = out[0]
    if out is None or type(out) is _ndarray or type(out) is _memmap:
        return out, False
    return None


def _loop_inputs(op, ins, dtype):
    """The inputs cast for NumPy's loop of ``dtype=`` (resolve_dtypes with
    the output fixed, as NumPy 2 reads dtype=), or None when the loop is not
    one native dtype or a cast is not 'same_kind' (NumPy then answers)."""
    keys = []
    for v in ins:
        t = type(v)
        if t is float or t is int or t is complex:
            keys.append(t)
        else:
            keys.append(np.asarray(v).dtype)
    try:
        dts = op.ufunc.resolve_dtypes(tuple(keys) + (None,) * op.ufunc.nout,
                                      signature=(None,) * op.nin + (np.dtype(dtype),) * op.ufunc.nout,
                                      casting="same_kind")
    except Exception:  # noqa: BLE001 - NumPy's own call raises its own error
        return None
    loop_in = [np.dtype(d) for d in dts[:op.nin]]
    r = op.loop(*loop_in)
    if r is None or r[3] != dts[-1] or any(d != r[0] for d in loop_in) \
            or any(d != loop_in[0] for d in loop_in):
        return None
    cast = []
    for v in ins:
        a = np.asarray(v)
        if a.dtype.kind == "O":
            return None
        cast.append(a if a.dtype == loop_in[0] else a.astype(loop_in[0]))
    return cast


def _general_of(op):
    return unary_general if op.nin == 1 else binary_general


def _where(op, ins, out, where):
    """NumPy's where= with out=: out is written where ``where`` is true, and
    only those elements are computed (so no floating-point exception is
    reported for the others, as NumPy).  None: NumPy must answer."""
    w = np.asarray(where)
    if w.dtype != np.bool_:
        return None
    shape = out.shape
    arrays = [None if type(v) in (float, int, complex) else np.asarray(v) for v in ins]
    try:
        if np.broadcast_shapes(shape, w.shape, *(a.shape for a in arrays if a is not None)) != shape:
            return None
    except ValueError:
        return None
    mask = np.broadcast_to(w, shape)
    sel = [v if a is None else np.broadcast_to(a, shape)[mask] for v, a in zip(ins, arrays)]
    try:
        r = _general_of(op)(op, *sel, None)
    except Exception:  # noqa: BLE001 - NumPy's own call raises NumPy's error
        # (in NumPy's order: an out= it cannot cast to is refused before any
        # element is computed; what it wrote into out= before failing)
        return None
    if not np.can_cast(np.asarray(r).dtype, out.dtype, "same_kind"):
        return None
    if not out.flags.writeable:
        return None
    out[mask] = r
    return out


def protocol(op, args, kw):
    """NumPy's ufunc call with the caller's positional ``args`` and keywords
    ``kw``: corewise's kernels where it has them, NumPy's twin otherwise."""
    if op.kind == "multi":                   # two outputs / mixed dtypes: pkg/_multi.py
        return _multi_protocol(op, args, kw)
    u = op.ufunc
    nin = op.nin
    if not nin <= len(args) <= nin + u.nout or not kw.keys() <= _KEYWORDS \
            or u.nout != 1 or len(args) > nin and "out" in kw:
        return _twin(op, args, kw)          # NumPy's TypeError, or NumPy's multi-output
    ins = args[:nin]
    r = _out_arg(op, args, kw)
    if r is None:
        return _twin(op, args, kw)
    out, ellipsis = r
    if any(is_dask_array(v) for v in ins):
        if len(kw) == (1 if "out" in kw else 0) and not ellipsis and out is None:
            return dask_elementwise(op.name, ins, None)
        return _twin(op, args, kw)
    if any(foreign(v) for v in ins):
        return _twin(op, args, kw)
    casting = kw.get("casting", "same_kind")
    order = kw.get("order", "K")
    subok = kw.get("subok", True)
    if (type(casting) is not str or casting != "same_kind" or type(order) is not str
            or order not in ("K", "C") or subok is not True and subok is not False
            or kw.get("signature") is not None or "sig" in kw):
        return _twin(op, args, kw)
    dtype = kw.get("dtype")
    if dtype is not None:
        ins = _loop_inputs(op, ins, dtype)
        if ins is None:
            return _twin(op, args, kw)
    where = kw.get("where", True)
    if where is not True:
        if out is None or ellipsis:         # uninitialised memory (and NumPy's warning)
            return _twin(op, args, kw)
        res = _where(op, ins, out, where)
        return _twin(op, args, kw) if res is None else res
    res = _general_of(op)(op, *ins, out)
    if ellipsis and type(res) is not _ndarray:
        return np.asarray(res)
    return res


# ---- the class ---------------------------------------------------------------

_function = type(_twin)
_INSTANCES = set()  # the public functions (make)


class _UfuncType(type):
    """isinstance(f, corewise.ufunc) for the public functions (which are
    Python functions, not instances: see ufunc)."""

    def __instancecheck__(cls, obj):
        return type(obj) is _function and obj in _INSTANCES


class ufunc(metaclass=_UfuncType):
    """corewise's element-wise functions with NumPy's ufunc interface.

    ``isinstance(f, corewise.ufunc)`` holds for every public element-wise
    function (``corewise.sqrt``, ``corewise.add``, ...).  Calls take
    NumPy's signature (README, "The ufunc protocol"); the attributes
    ``nin``, ``nout``, ``nargs``, ``ntypes``, ``types``, ``identity``,
    ``signature`` are NumPy's twin's; the methods below (``reduce``,
    ``accumulate``, ``reduceat``, ``outer``, ``at``, ``resolve_dtypes``)
    have NumPy's semantics, corewise's parallel kernels where they exist.

    The functions are Python functions carrying these attributes and the
    methods bound to them, not instances of this class: on CPython 3.11
    calling an instance of a Python class goes through the generic
    ``tp_call`` (an argument tuple and, for ``out=``, a keyword dict built
    and unpacked again): measured +0.25 us on a 1 us 100-element call with
    ``out=`` (README), where a function is called by vectorcall."""

    def __new__(cls, *args, **kwargs):
        raise TypeError("cannot create 'corewise.ufunc' instances")

    def resolve_dtypes(self, *args, **kwargs):
        """NumPy's ``ufunc.resolve_dtypes`` (the twin's)."""
        return self.op.ufunc.resolve_dtypes(*args, **kwargs)

    # -- methods ---------------------------------------------------------------

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False, **kw):
        """NumPy's ``ufunc.reduce``; add/multiply/maximum/minimum of plain
        numeric arrays are corewise's deterministic parallel sum/prod/max/min
        (add and multiply of complex64/complex128 too: cw.sum's per-component
        sum, the engine's complex prod)."""
        op = self.op
        native = _REDUCE.get(op.name)
        if (native is not None and not kw and dtype is None and type(array) is _ndarray
                and array.ndim and (array.dtype.kind in "biuf"
                                    or op.name in ("add", "multiply")
                                    and array.dtype.newbyteorder("=") in _ENGINE_COMPLEX)
                and (out is None or type(out) is _ndarray
                     or type(out) is tuple and len(out) == 1 and type(out[0]) is _ndarray)
                and (array.dtype.kind != "b" or op.name in ("add", "multiply"))):
            from . import _reduce
            try:
                return _reduce.reduce(_reduce._OPS[native], array, axis, out, keepdims)
            except (TypeError, ValueError):  # (AxisError too) NumPy's own error
                pass
        return op.ufunc.reduce(array, axis=axis, dtype=dtype, out=out, keepdims=keepdims, **kw)

    def accumulate(self, array, axis=0, dtype=None, out=None):
        """NumPy's ``ufunc.accumulate``; add/multiply/maximum/minimum of plain
        arrays go to corewise's parallel deterministic scan where it exists."""
        if _native_accumulate is not None and type(array) is _ndarray:
            r = _native_accumulate(self.op.name, array, axis=axis, dtype=dtype, out=out)
            if r is not NotImplemented:
                return r
        return self.op.ufunc.accumulate(array, axis=axis, dtype=dtype, out=out)

    def reduceat(self, array, indices, axis=0, dtype=None, out=None):
        """NumPy's ``ufunc.reduceat`` (computed by NumPy: see the README)."""
        return self.op.ufunc.reduceat(array, indices, axis=axis, dtype=dtype, out=out)

    def at(self, a, indices, b=None, /):
        """NumPy's ``ufunc.at``: unbuffered in place, by NumPy (README)."""
        u = self.op.ufunc
        return u.at(a, indices) if b is None else u.at(a, indices, b)

    def outer(self, A, B, /, **kwargs):
        """NumPy's ``ufunc.outer``: ``r[i..., j...] = f(A[i...], B[j...])``,
        one corewise call on A viewed with trailing zero-stride axes."""
        op = self.op
        if op.nin != 2 or foreign(A) or foreign(B) or is_dask_array(A) or is_dask_array(B):
            return op.ufunc.outer(A, B, **kwargs)
        a = A if type(A) is _ndarray else np.asarray(A)
        b = B if type(B) is _ndarray else np.asarray(B)
        if a.dtype.kind == "O" or b.dtype.kind == "O":
            return op.ufunc.outer(A, B, **kwargs)
        a = a.reshape(a.shape + (1,) * b.ndim)
        return self(a, b, **kwargs)


# NumPy's <ufunc>.reduce and corewise's reduction of the same semantics
_REDUCE = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min"}


def _positional_out_warning(u):
    """NumPy's DeprecationWarning for a positional out of ``u`` (NumPy 2.4:
    np.maximum and np.minimum), as NumPy words it; None where it has none."""
    sig = u.types[0]  # NumPy's first loop (e.g. '??->?' for bitwise_and)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        u(*(np.zeros((), c) for c in sig[:u.nin]), np.empty((), sig[-1]))
    return next((str(m.message) for m in w if m.category is DeprecationWarning), None)


def _warn_positional_out(fn, msg):
    def call(*args, **kw):
        if len(args) > 2:
            warnings.warn(msg, DeprecationWarning, stacklevel=2)
        return fn(*args, **kw)
    return call


def protocol_call(op):
    """The public function of a row without a fast path: every call takes
    the protocol entry point (NumPy's whole signature)."""
    def call(*args, **kw):
        return protocol(op, args, kw)
    return call


_METHODS = ("reduce", "accumulate", "reduceat", "outer", "at", "resolve_dtypes")


def make(op, fn=None):
    """The public function of ``op``: ``fn`` (the fast function, which
    takes NumPy's signature; the protocol entry point when there is none)
    with NumPy's ufunc attributes and ufunc's methods bound to it."""
    u = op.ufunc
    fn = fn or protocol_call(op)
    doc = fn.__doc__
    if u.nin == 2 and u.nout == 1:
        msg = _positional_out_warning(u)
        if msg is not None:  # (a frame more for these only)
            fn = _warn_positional_out(fn, msg)
    fn.__name__ = fn.__qualname__ = op.name
    fn.__module__ = "corewise"
    fn.__doc__ = doc
    fn.op = op
    for a in ("nin", "nout", "nargs", "ntypes", "identity", "signature"):
        setattr(fn, a, getattr(u, a))
    fn.types = list(u.types)
    for m in _METHODS:
        setattr(fn, m, _MethodType(getattr(ufunc, m), fn))
    _INSTANCES.add(fn)
    return fn
