"""Reductions (sum, prod, mean, min, max, argmin, argmax, nansum, nanmin,
nanmax, count_nonzero, dot) and selections whose output size is not known in
advance (nonzero, flatnonzero, extract, compress).

Reductions are parallel yet deterministic: the C side (csrc/reduce.c) cuts
the reduced elements into a fixed list of blocks that does not depend on the
thread count and combines them in a fixed pairwise order, so a result is
bitwise the same for any number of threads.  Selections count per block in
parallel, prefix-sum the counts, and fill arrays that Python allocated.

Flow of a reduction: as_input (_args, shared with the element-wise
functions) -> dtype preparation by NumPy's rules -> axes moved to the end
(a view, no copy) and mergeable dimensions merged (_layout.collapse, C order
kept) -> cw_reduce writes an array that NumPy owns -> _errors.check_reduce
-> dtype/keepdims/out= finishing.
"""
import operator
import warnings

import numpy as np

from ._args import as_input, check_out, fail, foreign
from ._dask import dot as dask_dot, is_dask_array, reduction as dask_reduction
from ._errors import check, check_reduce
from ._layout import addr, collapse
from ._lib import ffi, lib
from ._reduce_complex import ENGINE_CODES as _COMPLEX_CODES, dot_complex, engine_complex, \
    reduce_complex

try:
    AxisError = np.exceptions.AxisError
except AttributeError:  # NumPy < 1.25
    AxisError = np.AxisError

_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
_I64, _U64 = np.dtype(np.int64), np.dtype(np.uint64)
_WIDTH_CODE = {1: lib.CW_RB8, 2: lib.CW_RB16, 4: lib.CW_RB32, 8: lib.CW_RB64}


class RedOp:
    """One reduction: its C code, its family and NumPy's twin."""

    __slots__ = ("name", "code", "kind", "doc", "np_name")

    def __init__(self, name, code, kind, doc, np_name=None):
        self.name, self.code, self.kind, self.doc = name, code, kind, doc
        self.np_name = np_name  # NumPy's ufunc name in its empty-input error

    def __repr__(self):
        return f"<corewise reduction {self.name}>"


# kind: "sum" (integers sum as NumPy: int64/uint64), "mean" (integers ->
# float64), "sel" (min/max: keeps the dtype), "arg" (argmin/argmax), "count".
REDUCTIONS = (
    RedOp("sum", lib.CW_RSUM, "sum", "Sum of array elements over a given axis."),
    RedOp("prod", lib.CW_RPROD, "sum", "Product of array elements over a given axis."),
    RedOp("mean", lib.CW_RMEAN, "mean", "Arithmetic mean along the specified axis."),
    RedOp("nansum", lib.CW_RNANSUM, "sum", "Sum of array elements, treating NaNs as zero."),
    RedOp("max", lib.CW_RMAX, "sel", "Maximum of an array or maximum along an axis.", "maximum"),
    RedOp("min", lib.CW_RMIN, "sel", "Minimum of an array or minimum along an axis.", "minimum"),
    RedOp("nanmax", lib.CW_RNANMAX, "sel", "Maximum along an axis, ignoring NaNs.", "fmax"),
    RedOp("nanmin", lib.CW_RNANMIN, "sel", "Minimum along an axis, ignoring NaNs.", "fmin"),
    RedOp("argmax", lib.CW_RARGMAX, "arg", "Indices of the maximum values along an axis."),
    RedOp("argmin", lib.CW_RARGMIN, "arg", "Indices of the minimum values along an axis."),
    RedOp("count_nonzero", lib.CW_RCOUNT, "count", "Counts the number of non-zero values."),
)
_OPS = {op.name: op for op in REDUCTIONS}


# ---- argument preparation --------------------------------------------------

def normalize_axes(axis, ndim, allow_tuple=True):
    """Sorted tuple of non-negative axes, as NumPy validates them."""
    if axis is None:
        return tuple(range(ndim))
    items = axis if (allow_tuple and isinstance(axis, tuple)) else (axis,)
    axes = []
    for a in items:
        try:
            a = operator.index(a)
        except TypeError:
            raise TypeError(f"'{type(a).__name__}' object cannot be interpreted "
                            "as an integer") from None
        if not -ndim <= a < ndim:
            raise AxisError(a, ndim)
        axes.append(a % ndim)
    if len(set(axes)) != len(axes):
        raise ValueError("duplicate value in 'axis'")
    return tuple(sorted(axes))


def _native(x):
    """x in native byte order and aligned for its dtype: the C kernels load
    typed elements, and a view at an odd byte offset would make that
    undefined behaviour (UBSan, `make asan`), so it is copied -- as NumPy's
    own loops buffer it."""
    if not x.dtype.isnative:
        return x.astype(x.dtype.newbyteorder("="))
    return x if x.flags.aligned else x.copy()


def _truth(x):
    """(array, item width, mask): x is true where (bits & mask) != 0 --
    integers and bool as they are, floats with the sign bit masked (so -0.0
    is false); other dtypes via NumPy's own x != 0."""
    dt = x.dtype
    wm = _truth_mask(dt)
    if wm is not None and (dt.kind != "f" or dt.isnative):
        return (_native(x),) + wm
    return np.not_equal(x, 0), 1, 0xFF


def _truth_mask(dt):
    """(item width, mask) of _truth for a bool/integer/float dtype, or None."""
    w = dt.itemsize
    if dt.kind in "biu" and w in _WIDTH_CODE:
        return w, (1 << (8 * w)) - 1
    if dt.kind == "f" and w in (2, 4, 8):
        return w, (1 << (8 * w - 1)) - 1
    return None


def _prepare(op, x):
    """(input, C dtype code, C output dtype, result dtype, mask) by NumPy's
    rules: float32/float64 natively, float16 in float32; complex64/
    complex128 natively (prod); integer/bool sums
    and products in int64/uint64, means in float64, min/max/arg* on int64/
    uint64 copies cast back."""
    if op.kind == "count":
        x, w, mask = _truth(x)
        return x, _WIDTH_CODE[w], _I64, _I64, mask
    dt = x.dtype
    if dt.kind == "c":  # complex prod (engine_complex): the dtype kept
        x = _native(x)
        return x, _COMPLEX_CODES[x.dtype], x.dtype, x.dtype, 0
    if dt.kind == "f" and dt.itemsize in (2, 4, 8):
        x = _native(x)
        if dt.itemsize == 2:
            x = x.astype(_F32)
        cdt = x.dtype
        code = lib.CW_RF64 if cdt == _F64 else lib.CW_RF32
        res = _I64 if op.kind == "arg" else (_F16 if dt.itemsize == 2 else cdt)
        return x, code, (_I64 if op.kind == "arg" else cdt), res, 0
    if dt.kind in "biu":
        if op.kind == "mean":
            return x.astype(_F64), lib.CW_RF64, _F64, _F64, 0
        signed = dt.kind != "u" if op.kind == "sum" else dt.kind == "i"
        cdt = _I64 if signed else _U64
        x = x.astype(cdt, copy=False) if x.dtype != cdt else _native(x)
        code = lib.CW_RI64 if signed else lib.CW_RU64
        if op.kind == "arg":
            return x, code, _I64, _I64, 0
        return x, code, cdt, (cdt if op.kind == "sum" else dt), 0
    fail(op, f"dtype {dt} is not supported (float16/32/64, integer and bool "
             f"arrays are); use numpy.{op.name}")


def _ptr(a):
    return ffi.cast("char *", addr(a))


# ---- reductions -----------------------------------------------------------

def _empty(op, res, rshape):
    """An empty reduction: NumPy's identity, NaN with its warnings, or its error."""
    if op.kind == "arg":
        raise ValueError(f"attempt to get {op.name} of an empty sequence")
    if op.kind == "sel":
        raise ValueError(f"zero-size array to reduction operation {op.np_name} "
                         "which has no identity")
    if op.kind == "mean":
        warnings.warn("Mean of empty slice.", RuntimeWarning, stacklevel=4)
        res.fill(np.nan)
        check(lib.CW_FPE_INVALID, "divide")
    else:
        res.fill(1 if op.code == lib.CW_RPROD else 0)


_FAST_KINDS = ("sum", "sel", "mean", "arg", "count")
_FAST_CODE = {_F64: lib.CW_RF64, _F32: lib.CW_RF32}
# count_nonzero's fast path: native bool/integer/float dtypes -> (width code,
# mask), _truth's
_COUNT_FAST = {dt: (_WIDTH_CODE[w], mask)
               for dt in map(np.dtype, (np.bool_, np.int8, np.uint8, np.int16, np.uint16,
                                        np.int32, np.uint32, np.int64, np.uint64, np.float16,
                                        np.float32, np.float64))
               for w, mask in [_truth_mask(dt)]}
_NAN_SEL = (lib.CW_RNANMAX, lib.CW_RNANMIN)
_SEL_KINDS = ("sel", "arg")
_NUMPY_KINDS = frozenset("OMmUSV")  # dtype kinds NumPy's own functions reduce
_INTP = np.dtype(np.intp).type


def _numpy_reduction(op, a, axis, out, keepdims):
    """NumPy's own function computes it (count_nonzero takes no out=)."""
    kw = {} if out is None else {"out": out}
    return _numpy_call(op, a, axis=axis, keepdims=keepdims, **kw)


def reduce(op, a, axis=None, out=None, keepdims=False, allow_tuple=True):
    """The one reduction path (with a fast path for a whole C-contiguous
    float32/float64 array -- and any count_nonzero one of _COUNT_FAST:
    axis=None, no out=, no keepdims)."""
    if type(a) is np.ndarray and axis is None and out is None and not keepdims \
            and op.kind in _FAST_KINDS:
        if op.kind in _SEL_KINDS:
            code = _FAST_CODE.get(a.dtype)
            if code is not None and a.flags.c_contiguous and a.flags.aligned and a.size:
                # max/min/nan*/arg*: the result comes back by value (no shape
                # arrays, no output buffer: about 1 us less a call)
                if op.kind == "arg":
                    return _INTP(lib.cw_arg_flat(op.code, code, a.size, ffi.from_buffer(a)))
                v = a.dtype.type(lib.cw_sel_flat(op.code, code, a.size, ffi.from_buffer(a)))
                if v != v and op.code in _NAN_SEL:
                    warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=3)
                return v
        else:
            # sum, mean, count_nonzero: one cw_reduce call with a 1-D shape
            # (no shape/stride lists of the general path: 16 us a call less
            # for count_nonzero)
            if op.kind == "count":
                code, mask = _COUNT_FAST.get(a.dtype, (None, 0))
                res_dt = _I64
            else:
                code, mask, res_dt = _FAST_CODE.get(a.dtype), 0, a.dtype
            if code is not None:
                m = memoryview(a)  # layout from the buffer itself (cheap on PyPy)
                if m.c_contiguous and m.nbytes and a.flags.aligned:  # (UBSan: typed loads)
                    dims = ffi.new("ptrdiff_t[2]", (m.nbytes // m.itemsize, m.itemsize))
                    res = np.empty((), res_dt)
                    rc = lib.cw_reduce(op.code, code, 1, dims, ffi.from_buffer(a), dims + 1, 1,
                                       ffi.from_buffer(res), ffi.NULL, mask)
                    if rc:
                        check_reduce(rc, op.name, op.kind in ("sum", "mean"))
                    return res[()]
    if is_dask_array(a):
        return dask_reduction(op.name, a, axis, out, keepdims)
    if foreign(a) or foreign(out):
        # subclasses (masked arrays, ...) and objects with NumPy's hooks:
        # NumPy's own function dispatches them (README, "The ufunc protocol")
        return _numpy_reduction(op, a, axis, out, keepdims)
    x = as_input(op, a)
    if x.dtype.kind in _NUMPY_KINDS or x.dtype.kind == "f" and x.dtype.itemsize > 8:
        # object, datetime, timedelta, strings, void, longdouble: NumPy's own
        return _numpy_reduction(op, x, axis, out, keepdims)
    if x.ndim == 0 and axis is not None and type(axis) is not tuple:
        x, axis, keepdims = _zero_d(op, x, axis, keepdims)
    axes = normalize_axes(axis, x.ndim, allow_tuple)
    keepdims = bool(keepdims)
    if x.dtype.kind == "c" and op.kind != "count" and not engine_complex(op, x.dtype):
        return reduce_complex(reduce, op, x, axis, out, keepdims, allow_tuple)
    x, code, cdt, res_dt, mask = _prepare(op, x)
    keep = [d for d in range(x.ndim) if d not in axes]
    oshape = tuple(x.shape[d] for d in keep)
    rshape = tuple(x.shape[d] for d in axes)
    res_shape = (tuple(1 if d in axes else n for d, n in enumerate(x.shape))
                 if keepdims else oshape)
    if out is not None:
        arr = out[0] if type(out) is tuple and len(out) == 1 else out
        if isinstance(arr, np.ndarray) and arr.shape != res_shape:
            _out_shape_error(op, arr, x.shape, axes, keepdims)
        out, arr = check_out(op, out, res_shape, res_dt)
    res = np.empty(oshape, cdt)
    if 0 in rshape:
        _empty(op, res, rshape)
    elif res.size:
        xs = [x.strides[d] for d in keep] + [x.strides[d] for d in axes]
        osh, oxs, oos = collapse(oshape, xs[:len(keep)], res.strides, keep_order=True)
        rsh, rxs = collapse(rshape, xs[len(keep):], keep_order=True)
        if not rsh:
            rsh, rxs = [1], [x.itemsize]
        shape = osh + rsh
        rc = lib.cw_reduce(op.code, code, len(shape), ffi.new("ptrdiff_t[]", shape),
                           _ptr(x), ffi.new("ptrdiff_t[]", oxs + rxs), len(rsh), _ptr(res),
                           ffi.new("ptrdiff_t[]", oos) if oos else ffi.NULL, mask)
        check_reduce(rc, op.name, op.kind in ("sum", "mean"))
        if op.code in _NAN_SEL and cdt.kind == "f" and np.isnan(res).any():
            warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=3)
    if res_dt != cdt:
        res = res.astype(res_dt)
    if keepdims:
        res = res.reshape(res_shape)
    if out is not None:
        np.copyto(arr, res, casting="unsafe")
        return out
    if res.ndim == 0:
        return res[()]
    return res


def _zero_d(op, x, axis, keepdims):
    """(x, axis, keepdims) for a 0-d input with an int axis, as NumPy takes
    it: a ufunc reduction (sum, max, ...) accepts axis 0 or -1 as no axis;
    argmin/argmax see a 1-element vector (and return a scalar even with
    keepdims); mean validates (AxisError)."""
    if op.kind == "arg":
        return x.reshape(1), axis, False
    if op.kind != "mean":
        try:
            if operator.index(axis) in (0, -1):
                return x, None, keepdims
        except TypeError:
            pass  # normalize_axes says what is wrong
    return x, axis, keepdims


def _shape_text(shape):
    return "(" + ",".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


#: the NumPy ufunc whose .reduce each reduction is (its out= messages name it)
_UFUNC_NAME = {"sum": "add", "nansum": "add", "mean": "add", "prod": "multiply",
               "max": "maximum", "min": "minimum", "nanmax": "fmax", "nanmin": "fmin",
               "count_nonzero": "add"}


def _out_shape_error(op, arr, shape, axes, keepdims):
    """NumPy's ValueError for an out= of the wrong shape."""
    if op.kind == "arg":
        raise ValueError(f"output array does not match result of np.{op.name}.")
    ndim = len(shape) if keepdims else len(shape) - len(axes)
    uf = _UFUNC_NAME.get(op.name, op.name)
    if arr.ndim != ndim:
        raise ValueError(f"output parameter for reduction operation {uf} has the wrong "
                         f"number of dimensions: Found {arr.ndim} but expected {ndim}"
                         + (" (must match the operand's when keepdims=True)" if keepdims else ""))
    if keepdims:
        fits = all(n == m or (n == 1 and d in axes)
                   for d, (n, m) in enumerate(zip(arr.shape, shape)))
        for d in axes if fits else ():
            if arr.shape[d] != 1:
                raise ValueError(f"operand was set up as a reduction along axis {d}, but "
                                 f"the length of the axis is {arr.shape[d]} (it has to be 1)")
        remapped = _shape_text(arr.shape)
    else:  # out's dimensions with the reduced ones as newaxis (NumPy's iterator
        # may print fewer newaxis where it merged dimensions)
        kept = iter(arr.shape)
        remapped = ["newaxis" if d in axes else str(next(kept)) for d in range(len(shape))]
        remapped = "(" + ",".join(remapped) + ")"
    raise ValueError("operands could not be broadcast together with remapped shapes "
                     f"[original->remapped]: {_shape_text(arr.shape)}->{remapped} "
                     f"{_shape_text(shape)} ")


_NoValue = np._NoValue


def _numpy_call(op, a, **kw):
    """This call made by NumPy's own function, for the keywords corewise does
    not compute natively (dtype=, initial=, where=): NumPy's result, dtype
    and errors.  The input is normalised as every corewise input is."""
    x = a if is_dask_array(a) or foreign(a) else as_input(op, a)
    return getattr(np, op.name)(x, **kw)


_COUNT_TYPE = type(np.count_nonzero(np.zeros(1)))


def _make(op):
    if op.kind == "arg":
        def f(a, axis=None, out=None, *, keepdims=False):
            return reduce(op, a, axis, out, keepdims, allow_tuple=False)
        sig = "(a, axis=None, out=None, *, keepdims=False)"
        axis_doc = "None (the flat C-order index) or an int (negative allowed)"
    elif op.kind == "count":
        def f(a, axis=None, *, keepdims=False):
            if not isinstance(a, np.ndarray) or a.dtype.kind not in _TRUTH_KINDS:
                x = a if is_dask_array(a) else as_input(op, a)
                if x.dtype.kind not in _TRUTH_KINDS:  # object, str, datetime, ...
                    return np.count_nonzero(x, axis=axis, keepdims=keepdims)
            r = reduce(op, a, axis, None, keepdims)
            # np.count_nonzero(a) is a Python int before NumPy 2.3, np.intp after
            if axis is None and not keepdims and not is_dask_array(r):
                return _COUNT_TYPE(r)
            return r
        sig = "(a, axis=None, *, keepdims=False)"
        axis_doc = "None, an int or a tuple of ints (negative allowed)"
    elif op.kind == "mean":
        def f(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
            if dtype is None and where is True:
                return reduce(op, a, axis, out, keepdims)
            return _numpy_call(op, a, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                               where=where)
        sig = "(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True)"
        axis_doc = "None, an int or a tuple of ints (negative allowed)"
    elif op.kind == "sum":
        def f(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NoValue,
              where=True):
            if dtype is None and initial is _NoValue and where is True:
                return reduce(op, a, axis, out, keepdims)
            return _numpy_call(op, a, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                               initial=initial, where=where)
        sig = ("(a, axis=None, dtype=None, out=None, keepdims=False, initial=<no value>, "
               "where=True)")
        axis_doc = "None, an int or a tuple of ints (negative allowed)"
    else:
        def f(a, axis=None, out=None, keepdims=False, initial=_NoValue, where=True):
            if initial is _NoValue and where is True:
                return reduce(op, a, axis, out, keepdims)
            return _numpy_call(op, a, axis=axis, out=out, keepdims=keepdims,
                               initial=initial, where=where)
        sig = "(a, axis=None, out=None, keepdims=False, initial=<no value>, where=True)"
        axis_doc = "None, an int or a tuple of ints (negative allowed)"
    f.__name__ = f.__qualname__ = op.name
    f.__module__ = "corewise"
    f.__doc__ = (
        f"{op.doc}\n\n"
        f"Drop-in for ``numpy.{op.name}{sig}``: same result dtype, shape,\n"
        f"NaN and empty-input behaviour and errors, computed on all cores.\n"
        f"``axis``: {axis_doc}.  A call with ``dtype=``, ``initial=`` or\n"
        "``where=`` (where the function has them) is NumPy's own function's.\n"
        "The result is bitwise the same for every thread count (a fixed block\n"
        "decomposition combined in a fixed order); float sums are pairwise with\n"
        "an error bound no worse than NumPy's (see the README).  Any memory\n"
        "layout is read in place.\n"
    )
    f.op = op
    return f


FUNCTIONS = {op.name: _make(op) for op in REDUCTIONS}
FUNCTIONS.update(amax=FUNCTIONS["max"], amin=FUNCTIONS["min"])  # NumPy's aliases

_DOT = RedOp("dot", lib.CW_RDOT, "dot", "Dot product of two 1-D vectors.")


def dot(a, b, out=None):
    """Dot product: ``numpy.dot(a, b, out=None)``.

    Two 1-D float32/float64 vectors (and float16, computed in float32) are
    summed with the same deterministic pairwise scheme as ``sum`` (float32
    products are exact in the float64 accumulator).  Everything else --
    N-d operands (NumPy's BLAS matrix products), scalars, integer, bool,
    complex or object operands, ``out=`` -- is NumPy's own ``np.dot``: its
    results and errors."""
    op = _DOT
    if out is not None:
        return np.dot(a if is_dask_array(a) else as_input(op, a),
                      b if is_dask_array(b) else as_input(op, b), out=out)
    if type(a) is np.ndarray and type(b) is np.ndarray and a.dtype == b.dtype:
        # fast path: two C-contiguous, aligned float32/float64 vectors of one
        # length (buffers passed as they are, no __array_interface__ dicts)
        code = _FAST_CODE.get(a.dtype)
        if code is not None and a.ndim == 1 and a.shape == b.shape and a.size \
                and a.flags.c_contiguous and b.flags.c_contiguous \
                and a.flags.aligned and b.flags.aligned:
            res = np.empty((), a.dtype)
            rc = lib.cw_dot(code, a.shape[0], ffi.from_buffer(a), a.itemsize,
                            ffi.from_buffer(b), a.itemsize, ffi.from_buffer(res))
            check_reduce(rc, op.name, where="dot")
            return res[()]
    if is_dask_array(a) or is_dask_array(b):
        return dask_dot(a, b)
    x, y = as_input(op, a), as_input(op, b)
    dt = np.result_type(x, y)
    if dt.kind == "c" and x.ndim == 1 and y.ndim == 1 and x.shape == y.shape:
        return dot_complex(dot, x, y, dt)
    if x.ndim != 1 or y.ndim != 1 or x.shape != y.shape or dt.kind != "f" \
            or dt.itemsize not in (2, 4, 8):
        return np.dot(x, y)  # BLAS, exact integers, NumPy's errors
    cdt = _F64 if dt == _F64 else _F32
    x, y = _native(x).astype(cdt, copy=False), _native(y).astype(cdt, copy=False)
    res = np.empty((), cdt)
    rc = lib.cw_dot(lib.CW_RF64 if cdt == _F64 else lib.CW_RF32, x.shape[0],
                    _ptr(x), x.strides[0], _ptr(y), y.strides[0], _ptr(res))
    check_reduce(rc, op.name, where="dot")
    return res.astype(dt)[()] if dt != cdt else res[()]


# ---- selections -----------------------------------------------------------

_SELECT = RedOp("nonzero", None, "select", "")


def _select(c, mode, v=None):
    """Indices (mode FLAT / MULTI) or items of v (mode VALUES) where c is
    true, in C order: parallel count per block, prefix sum, parallel fill
    of arrays allocated here."""
    c, w, mask = _truth(c)
    if c.ndim == 0:
        c = c.reshape(1)
        v = None if v is None else v.reshape(1)
    if mode == lib.CW_SEL_MULTI:
        shape, cs, vs = list(c.shape), list(c.strides), None
    elif v is None:
        shape, cs = collapse(c.shape, c.strides, keep_order=True)
        vs = None
    else:
        shape, cs, vs = collapse(c.shape, c.strides, v.strides, keep_order=True)
    if not shape:
        shape, cs, vs = [1], [0], [0]
    n = c.size
    nb = lib.cw_select_nblocks(n)
    counts = np.zeros(nb + 1, np.int64)
    total = ffi.new("int64_t *")
    csh, cst = ffi.new("ptrdiff_t[]", shape), ffi.new("ptrdiff_t[]", cs)
    cnt = ffi.from_buffer("int64_t[]", counts)
    check_reduce(lib.cw_select_count(w, mask, len(shape), csh, _ptr(c), cst, nb, cnt, total),
           "nonzero", False)
    k = total[0]
    if mode == lib.CW_SEL_MULTI:
        outs = [np.empty(k, np.intp) for _ in shape]
    else:
        outs = [np.empty(k, np.intp if v is None else v.dtype)]
    if k:
        ptrs = ffi.new("char *[]", [_ptr(o) for o in outs])
        rc = lib.cw_select_fill(w, mask, len(shape), csh, _ptr(c), cst, nb, cnt, mode, ptrs,
                                ffi.NULL if v is None else _ptr(v),
                                ffi.NULL if v is None else ffi.new("ptrdiff_t[]", vs),
                                0 if v is None else v.itemsize)
        check_reduce(rc, "nonzero", False)
    return outs


#: dtype kinds whose truth the C selections compute (x != 0); the others
#: (object: each element's __bool__; str, bytes, datetime, timedelta,
#: structured/void) are NumPy's own functions'
_TRUTH_KINDS = "biufc"


def nonzero(a):
    """Indices of the elements that are non-zero: ``numpy.nonzero(a)``.

    A tuple of int64 arrays, one per dimension, in C order; computed in
    parallel (count per block, prefix sum, fill).  0-d input -> ValueError,
    as in NumPy 2.  Non-numeric dtypes (object: truthiness, str, bytes,
    datetime, structured) are NumPy's np.nonzero."""
    x = as_input(_SELECT, a)
    if x.dtype.kind not in _TRUTH_KINDS:
        return np.nonzero(x)
    if x.ndim == 0:
        raise ValueError("Calling nonzero on 0d arrays is not allowed. "
                         "Use np.atleast_1d(scalar).nonzero() instead.")
    mode = lib.CW_SEL_FLAT if x.ndim == 1 else lib.CW_SEL_MULTI
    return tuple(_select(x, mode))


def flatnonzero(a):
    """Indices that are non-zero in the flattened (C-order) array:
    ``numpy.flatnonzero(a)``, computed in parallel (non-numeric dtypes:
    NumPy's)."""
    x = as_input(_SELECT, a)
    if x.dtype.kind not in _TRUTH_KINDS:
        return np.flatnonzero(x)
    return _select(x, lib.CW_SEL_FLAT)[0]


def _plain_items(v):
    return not v.dtype.hasobject


def extract(condition, arr):
    """The elements of ``arr`` where ``condition`` is true, in C order:
    ``numpy.extract(condition, arr)``.  Same-shape inputs are selected in
    parallel in place; otherwise NumPy's definition (ravel + take) applies."""
    c = as_input(_SELECT, condition)
    v = as_input(_SELECT, arr)
    if c.dtype.kind not in _TRUTH_KINDS:
        return np.extract(c, v)
    if c.shape == v.shape and _plain_items(v):
        return _select(c, lib.CW_SEL_VALUES, v)[0]
    return np.take(np.ravel(v), flatnonzero(c))


def compress(condition, a, axis=None, out=None):
    """Selected slices of ``a`` along ``axis`` (the flattened array for
    None): ``numpy.compress(condition, a, axis=None, out=None)``.
    The indices are found in parallel; for ``axis=None`` and a condition as
    long as ``a`` the items are gathered in parallel too."""
    c = as_input(_SELECT, condition)
    x = as_input(_SELECT, a)
    if c.ndim != 1:
        raise ValueError("condition must be a 1-d array")
    if c.dtype.kind not in _TRUTH_KINDS:
        return np.compress(c, x, axis=axis, out=out)
    if axis is None and out is None and c.size == x.size and _plain_items(x):
        # a 1-D condition reshapes to x's shape without a copy
        return _select(c.reshape(x.shape), lib.CW_SEL_VALUES, x)[0]
    return np.take(x, flatnonzero(c), axis=axis, out=out)
