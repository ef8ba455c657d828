"""Scans: cumsum, cumprod, nancumsum, nancumprod, and ``accumulate`` -- the
native backend of ufunc.accumulate for add/multiply/maximum/minimum.

The C side (csrc/scan.c) is a parallel, deterministic reduce-then-scan:
blocks of a fixed size (cw_get_scan_block, never the thread count), block
totals in parallel, their carries in a fixed serial order, then each block's
serial scan seeded with its carry.  Results are bitwise the same for any
thread count and any layout; integer scans and max/min scans are bitwise
NumPy's; float sums and products differ from NumPy's serial left-to-right
scan within the bound stated in scan.c and the README ("Scans").

Flow: a dask array, an ndarray subclass or an object with NumPy's override
hooks (masked arrays, pandas, xarray) goes to NumPy's own function (its
dispatch: dask stays lazy, a mask is kept); otherwise as_input (_args) ->
result dtype by NumPy's own rule (asked of NumPy on
an empty array, cached) -> the input cast to it -> the axis moved to the end
(a view) and the other dimensions merged (_layout.collapse) -> cw_scan writes
the result (or out=) -> _errors.check.  What is not native (float16,
complex, object, ..., an out= of another dtype or shape) goes to NumPy's own
function with the same arguments: the same results and errors.
"""
import numpy as np

from ._args import as_input, foreign
from ._dask import is_dask_array
from ._errors import check
from ._layout import addr, collapse, needs_input_copy
from ._lib import ffi, lib
from ._reduce import _native, normalize_axes

_MASK = lib.CW_STATUS_MASK
_CODES = {np.dtype(np.float32): lib.CW_F32, np.dtype(np.float64): lib.CW_F64,
          np.dtype(np.int32): lib.CW_I32, np.dtype(np.int64): lib.CW_I64}
# unsigned add/multiply wrap exactly as the signed ones: the same bits
_BITS = {np.dtype(np.uint32): np.dtype(np.int32), np.dtype(np.uint64): np.dtype(np.int64)}
_ADDMUL = (lib.CW_SCAN_ADD, lib.CW_SCAN_MUL, lib.CW_SCAN_NANADD, lib.CW_SCAN_NANMUL)
_NAN_OPS = (lib.CW_SCAN_NANADD, lib.CW_SCAN_NANMUL)


class _Scan:
    """One scan function: its name (for messages), C op and NumPy twin."""

    __slots__ = ("name", "code", "np_func")

    def __init__(self, name, code, np_func):
        self.name, self.code, self.np_func = name, code, np_func


_FUNCS = {s.name: s for s in (
    _Scan("cumsum", lib.CW_SCAN_ADD, np.cumsum),
    _Scan("cumprod", lib.CW_SCAN_MUL, np.cumprod),
    _Scan("nancumsum", lib.CW_SCAN_NANADD, np.nancumsum),
    _Scan("nancumprod", lib.CW_SCAN_NANMUL, np.nancumprod),
)}
_UFUNCS = {"add": lib.CW_SCAN_ADD, "multiply": lib.CW_SCAN_MUL,
           "maximum": lib.CW_SCAN_MAX, "minimum": lib.CW_SCAN_MIN}

_result_dtypes = {}


def _result_dtype(key, probe, dt, dtype):
    """NumPy's result dtype for input dtype dt and dtype=, asked of NumPy
    on an empty array (its errors for a bad dtype= are NumPy's); cached."""
    try:
        k = (key, dt, dtype)
        hash(k)
    except TypeError:
        return probe(np.empty((0,), dt), dtype=dtype).dtype
    r = _result_dtypes.get(k)
    if r is None:
        r = _result_dtypes[k] = probe(np.empty((0,), dt), dtype=dtype).dtype
    return r


def _compute(code, x, axis, rd, arr):
    """The native scan of x (any dtype NumPy casts to rd) along axis into
    arr (an ndarray of dtype rd and x's shape) or a new array; returns the
    result, or None when rd is not native for this op."""
    cdt = rd
    if rd in _BITS and code in _ADDMUL:
        cdt = _BITS[rd]
    ccode = _CODES.get(cdt)
    if ccode is None:
        return None
    if code in _NAN_OPS and x.dtype.kind == "f" and rd.kind != "f":
        return None  # NaN -> 0 before the cast: NumPy's order (rare; NumPy does it)
    x = _native(x.astype(rd, copy=False))
    res = np.empty(x.shape, rd) if arr is None else arr
    if x.size == 0:
        return res
    if arr is not None and needs_input_copy(x, arr):
        x = x.copy()
    if cdt != rd:
        x, y = x.view(cdt), res.view(cdt)
    else:
        y = res
    n = x.shape[axis]
    keep = [d for d in range(x.ndim) if d != axis]
    osh, oxs, oys = collapse([x.shape[d] for d in keep], [x.strides[d] for d in keep],
                             [y.strides[d] for d in keep])
    shape = osh + [n]
    xs = oxs + [x.strides[axis]]
    ys = oys + [y.strides[axis]]
    cshape = ffi.new("ptrdiff_t[]", shape)
    ns = lib.cw_scan_scratch(len(shape), cshape)
    scratch = np.empty(ns, np.int64) if ns else None
    rc = lib.cw_scan(code, ccode, len(shape), cshape,
                     ffi.cast("char *", addr(x)), ffi.new("ptrdiff_t[]", xs),
                     ffi.cast("char *", addr(y)), ffi.new("ptrdiff_t[]", ys),
                     ffi.cast("char *", addr(scratch)) if ns else ffi.NULL, ns)
    if rc:
        _status(rc, code, cdt.kind == "f")
    return res


def _status(rc, code, floats):
    """cw_scan's status: errors raised; the FP flags of a float add/multiply
    reported as NumPy's ("overflow encountered in accumulate")."""
    check(rc & _MASK, "accumulate")
    if floats and code in _ADDMUL:
        check(rc & ~_MASK, "accumulate")


def _out_array(out, allow_tuple):
    """out= as one ndarray usable natively, or None (then NumPy decides)."""
    if allow_tuple and type(out) is tuple and len(out) == 1:
        out = out[0]
    if type(out) is not np.ndarray or not out.flags.writeable:
        return None
    return out


_FAST = {np.dtype(np.float32): lib.CW_F32, np.dtype(np.float64): lib.CW_F64}


def _fast(code, a):
    """A whole 1-D, C-contiguous, aligned, non-empty float32/float64 array,
    no dtype=/out=: the C call without the general path's layout work (the
    same C function, the same bits); None when a is not such an array."""
    ccode = _FAST.get(a.dtype)
    if ccode is None or a.ndim != 1 or not a.size:
        return None
    fl = a.flags
    if not (fl.c_contiguous and fl.aligned):
        return None
    n, w = a.size, a.itemsize
    res = np.empty(n, a.dtype)
    dims = ffi.new("ptrdiff_t[3]", (n, w, w))
    ns = lib.cw_scan_scratch(1, dims)
    scratch = np.empty(ns, np.int64) if ns else None
    rc = lib.cw_scan(code, ccode, 1, dims, ffi.from_buffer(a), dims + 1, ffi.from_buffer(res),
                     dims + 2, ffi.from_buffer(scratch) if ns else ffi.NULL, ns)
    if rc:
        _status(rc, code, True)
    return res


def scan(s, a, axis=None, dtype=None, out=None):
    """cumsum/cumprod/nancumsum/nancumprod: NumPy's semantics."""
    if type(a) is np.ndarray and dtype is None and out is None \
            and (axis is None or type(axis) is int and axis in (0, -1)):
        res = _fast(s.code, a)
        if res is not None:
            return res
    if is_dask_array(a) or foreign(a):
        # a dask array, a masked array, a pandas or xarray object: NumPy's
        # function and its dispatch (dask's lazy cumsum, MaskedArray.cumsum)
        return s.np_func(a, axis=axis, dtype=dtype, out=out)
    x = as_input(s, a)
    rd = _result_dtype(s.name, s.np_func, x.dtype, dtype)
    if axis is None:
        x = x.reshape(-1)  # C order (a view where it can be)
        ax = 0
    else:
        ax = normalize_axes(axis, max(x.ndim, 1), allow_tuple=False)[0]
        if x.ndim == 0:  # NumPy: a 0-d input scans as 1-d
            x = x.reshape(1)
    arr = None
    if out is not None:
        arr = _out_array(out, False)
        if arr is None or arr.dtype != rd or arr.shape != x.shape:
            return s.np_func(a, axis=axis, dtype=dtype, out=out)
    res = _compute(s.code, x, ax, rd, arr)
    if res is None:
        return s.np_func(a, axis=axis, dtype=dtype, out=out)
    return out if out is not None else res


def cumsum(a, axis=None, dtype=None, out=None):
    """Cumulative sum of the elements along a given axis (numpy.cumsum);
    parallel and deterministic, within the README's error bound of NumPy's
    serial sum (bitwise for integers and for rows of at most 4000)."""
    return scan(_FUNCS["cumsum"], a, axis, dtype, out)


def cumprod(a, axis=None, dtype=None, out=None):
    """Cumulative product of elements along a given axis (numpy.cumprod);
    parallel and deterministic (see cumsum)."""
    return scan(_FUNCS["cumprod"], a, axis, dtype, out)


def nancumsum(a, axis=None, dtype=None, out=None):
    """Cumulative sum treating NaNs as zero (numpy.nancumsum); parallel and
    deterministic (see cumsum)."""
    return scan(_FUNCS["nancumsum"], a, axis, dtype, out)


def nancumprod(a, axis=None, dtype=None, out=None):
    """Cumulative product treating NaNs as one (numpy.nancumprod); parallel
    and deterministic (see cumsum)."""
    return scan(_FUNCS["nancumprod"], a, axis, dtype, out)


def accumulate(name, a, axis=0, dtype=None, out=None):
    """ufunc.accumulate of NumPy ufunc ``name`` (add, multiply, maximum,
    minimum) natively: the result, or NotImplemented for anything not done
    here (another ufunc, a scalar, axis=None, a non-native dtype or out=),
    which the caller then gives to NumPy's own ufunc.accumulate."""
    code = _UFUNCS.get(name)
    if code is None or type(a) is not np.ndarray or a.ndim == 0 or axis is None:
        return NotImplemented
    try:
        ax = normalize_axes(axis, a.ndim, allow_tuple=False)[0]
    except (TypeError, ValueError):  # AxisError is a ValueError: NumPy's message
        return NotImplemented
    uf = getattr(np, name)
    try:
        rd = _result_dtype(name, uf.accumulate, a.dtype, dtype)
    except (TypeError, ValueError):
        return NotImplemented
    if code not in _ADDMUL and a.dtype != rd:
        return NotImplemented  # maximum/minimum with a cast: NumPy's
    if out is None and dtype is None and ax == 0:
        res = _fast(code, a)
        if res is not None:
            return res
    arr = None
    if out is not None:
        arr = _out_array(out, True)
        if arr is None or arr.dtype != rd or arr.shape != a.shape:
            return NotImplemented
    res = _compute(code, a, ax, rd, arr)
    return NotImplemented if res is None else res
