"""The general element-wise path: every call the fast paths do not take
(any layout, dtype, Python scalar, broadcasting, out= with a cast or an
overlap, Dask arrays).

Flow of a call:
  1. normalise: array conversion (_args), dtype resolution by NumPy's own
     rules (_optable: Python scalars passed as weak types as NumPy 2 does;
     cached), broadcasting (NumPy's rules, zero strides, no copy), out=
     checks, overlap handling (an input is copied first if it partially
     overlaps out);
  2. classify the layout: C-contiguous pair -> contiguous kernel; otherwise
     the dimensions are merged (_layout.collapse), and shape + byte strides
     go to the strided kernel (no copy of the input);
  3. call the C kernel (cffi releases the GIL); 4. status -> _errors.check.
Dtypes without a native loop are computed by NumPy's own ufunc; operands
that NumPy dispatches or wraps (``foreign``) and out= other than one
ndarray go to the protocol (pkg/_ufuncobj.py), which calls NumPy's twin.
"""
import numpy as np

from ._args import as_input, check_out, foreign
from ._dask import elementwise as dask_elementwise, is_dask_array
from ._errors import check
from ._layout import addr, broadcast_strides, collapse, internal_overlap, needs_input_copy
from ._lib import ffi, lib
from ._optable import LOOP_CODE

_fb = ffi.from_buffer
_empty = np.empty
_contig = lib.cw_unary_contig
_strided = lib.cw_unary_strided
_bcontig = lib.cw_binary_contig
_bstrided = lib.cw_binary_strided
_BOOL = np.dtype(np.bool_)
_WEAK = (float, int, complex)  # Python scalars NumPy 2 treats as weakly typed
_OUTS = (np.ndarray, np.memmap)


def _protocol(op, ins, out):
    from ._ufuncobj import protocol  # (imports this module)
    return protocol(op, ins, {} if out is None else {"out": out})


def _kernel_dims(shape, *strides):
    """collapse() for the element-wise kernels, which take one dimension
    at least: a single element is one dimension of 1 with zero strides."""
    dims = collapse(shape, *strides)
    if not dims[0]:
        return ([1],) + tuple([0] for _ in strides)
    return dims


def run_unary(op, code, x, y):
    """y[...] = op(x) for same-shape, loop-dtype arrays without partial overlap."""
    if y.size == 0:
        return
    if x.flags.c_contiguous and y.flags.c_contiguous:
        bx, by = _fb(x), _fb(y)
        rc = _contig(op.id, code, y.size, bx, by)
        # released now, not at PyPy's next GC: a held buffer keeps its
        # array's memory (often a temporary) from being freed
        ffi.release(bx)
        ffi.release(by)
        check(rc, op.name)
        return
    shape, xs, ys = _kernel_dims(y.shape, x.strides, y.strides)
    xp = ffi.cast("char *", addr(x))
    yp = ffi.cast("char *", addr(y))
    if len(shape) == 1 and xs[0] == x.itemsize and ys[0] == y.itemsize:
        rc = _contig(op.id, code, shape[0], xp, yp)
    else:
        rc = _strided(op.id, code, len(shape), ffi.new("ptrdiff_t[]", shape),
                      xp, ffi.new("ptrdiff_t[]", xs), yp, ffi.new("ptrdiff_t[]", ys))
    check(rc, op.name)


def run_binary(op, code, x, y, z):
    """z[...] = op(x, y) for loop-dtype inputs that broadcast to z's shape,
    without partial overlap with z."""
    if z.size == 0:
        return
    xs, ys = broadcast_strides(x, z.shape), broadcast_strides(y, z.shape)
    shape, xs, ys, zs = _kernel_dims(z.shape, xs, ys, z.strides)
    xp = ffi.cast("char *", addr(x))
    yp = ffi.cast("char *", addr(y))
    zp = ffi.cast("char *", addr(z))
    isz = x.itemsize
    if len(shape) == 1 and zs[0] == z.itemsize and xs[0] in (0, isz) and ys[0] in (0, isz):
        rc = _bcontig(op.id, code, shape[0], xp, xs[0], yp, ys[0], zp)
    else:
        new = ffi.new
        rc = _bstrided(op.id, code, len(shape), new("ptrdiff_t[]", shape),
                       xp, new("ptrdiff_t[]", xs), yp, new("ptrdiff_t[]", ys),
                       zp, new("ptrdiff_t[]", zs))
    check(rc, op.name)


def _operand(op, v):
    """An operand as (ndarray, resolution key): Python float/int/complex
    scalars are weakly typed (NumPy 2: float32 array + 2.0 stays float32,
    complex64 array + 1j stays complex64)."""
    t = type(v)
    if t in _WEAK:
        return None, t
    a = as_input(op, v)
    return a, a.dtype


def _to_loop(v, a, np_dt, loop_dt):
    """Operand as an array of the loop dtype (one cast at most).  Python
    scalars convert through NumPy's loop dtype first, so out-of-range
    integers raise OverflowError exactly as in NumPy."""
    if a is None:
        if np_dt == _BOOL and type(v) is int and not -2**63 <= v < 2**63:
            # NumPy converts the int first (logical_*): its OverflowError
            raise OverflowError("Python int too large to convert to C long")
        a = np.asarray(v, dtype=np_dt)
    elif np_dt == _BOOL and a.dtype != _BOOL:
        # NumPy's logical_* cast mixed operands to bool (truth values),
        # which a cast straight to the int32 loop dtype would not do
        a = a.astype(_BOOL)
    return a if a.dtype == loop_dt else a.astype(loop_dt)


def _deliver(op, shape, loop_out, res_dt, out, compute, inputs):
    """Allocate or validate out=, then compute(z) into it (through a
    temporary where a cast or an aliasing out needs one)."""
    if out is None:
        z = _empty(shape, loop_out)
        compute(z, inputs)
        if res_dt != loop_out:
            z = z.astype(res_dt)
        return z[()] if z.ndim == 0 else z
    out, arr = check_out(op, out, shape, res_dt)
    if arr.dtype == loop_out and res_dt == loop_out and not internal_overlap(arr):
        inputs = [a.copy() if needs_input_copy(a, arr) else a for a in inputs]
        compute(arr, inputs)
    else:
        # Cast on the way out (or an out whose elements alias each other):
        # compute into a temporary, round to the result dtype, then copy.
        z = _empty(arr.shape, loop_out)
        compute(z, inputs)
        if res_dt != loop_out:
            z = z.astype(res_dt)
        np.copyto(arr, z, casting="unsafe")
    return out


def _numpy_fallback(op, args, out):
    """No native loop for these dtypes (e.g. integer floor, uint64
    maximum, complex, object, strings): NumPy's own loop computes the call,
    single-threaded -- NumPy's result, or NumPy's own error as it is."""
    return op.ufunc(*args) if out is None else op.ufunc(*args, out=out)


def unary_general(op, x, out):
    """Every unary call that the fast path does not take comes here."""
    if is_dask_array(x):
        return dask_elementwise(op.name, (x,), out)
    if out is not None and type(out) not in _OUTS or foreign(x):
        return _protocol(op, (x,), out)
    try:
        a, key = _operand(op, x)
    except (TypeError, ValueError):  # not convertible: NumPy's own error
        return _numpy_fallback(op, (x,), out)
    if key is int and not -2**63 <= x < 2**63:
        # a lone Python int outside int64 is not weak: NumPy makes it uint64,
        # or an object array that only NumPy's own loop takes
        a = np.asarray(x)
        if a.dtype.kind == "O":
            return _numpy_fallback(op, (x,), out)
        key = a.dtype
    r = op.loop(key)
    if r is None:
        return _numpy_fallback(op, (x,), out)
    loop_dt, loop_out, ins, res_dt = r
    a = _to_loop(x, a, ins[0], loop_dt)
    code = LOOP_CODE[loop_dt]
    shape = a.shape
    if out is not None:
        try:
            shape = check_out(op, out, shape, res_dt)[1].shape
        except (TypeError, ValueError):  # NumPy's own error for this out=
            return _numpy_fallback(op, (x,), out)

    def compute(z, inputs):
        v = inputs[0]
        run_unary(op, code, v if v.shape == z.shape else np.broadcast_to(v, z.shape), z)
    return _deliver(op, shape, loop_out, res_dt, out, compute, [a])


def binary_general(op, x, y, out):
    """Every binary call that the fast path does not take comes here."""
    if is_dask_array(x) or is_dask_array(y):
        return dask_elementwise(op.name, (x, y), out)
    if out is not None and type(out) not in _OUTS or foreign(x) or foreign(y):
        return _protocol(op, (x, y), out)
    try:
        a, ka = _operand(op, x)
        b, kb = _operand(op, y)
    except (TypeError, ValueError):  # not convertible: NumPy's own error
        return _numpy_fallback(op, (x, y), out)
    r = op.loop(ka, kb)
    if r is None:
        return _numpy_fallback(op, (x, y), out)
    loop_dt, loop_out, ins, res_dt = r
    try:
        a = _to_loop(x, a, ins[0], loop_dt)
        b = _to_loop(y, b, ins[1], loop_dt)
    except OverflowError:
        # an out-of-range Python int: NumPy raises, or (comparisons)
        # compares exactly -- either way NumPy's own answer
        return _numpy_fallback(op, (x, y), out)
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
        if out is not None:
            check_out(op, out, shape, res_dt)
    except (TypeError, ValueError):  # NumPy's own error for these shapes or this out=
        return _numpy_fallback(op, (x, y), out)
    code = LOOP_CODE[loop_dt]

    def compute(z, inputs):
        run_binary(op, code, inputs[0], inputs[1], z)
    return _deliver(op, shape, loop_out, res_dt, out, compute, [a, b])
