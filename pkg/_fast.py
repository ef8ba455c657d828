"""The element-wise fast paths: each public function short-cuts the common
case -- C-contiguous float32/float64 arrays of one shape (or, binary, one
such array and a Python float), a fresh result or a matching out= -- and
hands everything else to the general path (_general).  What is cheap to ask
an array differs by interpreter, so the variant is chosen ONCE, at import
(unary_fast, binary_fast: op -> function):

* CPython reads ndarray attributes (x.dtype, x.shape: cheaper there than a
  memoryview) and takes ffi.from_buffer of the arrays themselves -- never
  of a memoryview: a memoryview with an export that ends up in a garbage
  cycle (a traceback holding the frame) crashes CPython's gc in tp_clear.
  The layout checks are NumPy's own buffer export: from_buffer makes a
  PyBUF_SIMPLE request, which NumPy refuses for an array that is not
  C-contiguous, and with require_writable a PyBUF_WRITABLE one, refused for
  a read-only array (ValueError both; the call then goes the general way).
  Two arrays of one dtype and shape get a branch of their own, the leanest.
  _buffer_checks_layout() verifies the refusals at import; where they do
  not hold, no fast path is used.
* PyPy reads the layout from one memoryview per array (each ndarray
  attribute read crosses cpyext, a memoryview once) and takes from_buffer
  of those memoryviews -- one cpyext buffer request per array, not two:
  each request leaves an object with a finalizer that survives the nursery,
  and their GC cost is most of a small call.  Buffers and memoryviews are
  released right after the call: PyPy frees them only at its next GC
  otherwise, and buffers held until then keep each result's pages from
  being reused and grow the heap (tests/test_leaks.py bounds it).

PyPy's fast paths never rely on from_buffer refusing a non-contiguous
array (its cpyext has been reported not to): they check the layout first.
The caller's frame keeps every array alive across the (synchronous) call.
"""
import platform

import numpy as np

from ._errors import check_fast
from ._general import binary_general, unary_general
from ._ufuncobj import protocol
from ._lib import ffi, lib

_ndarray = np.ndarray
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_BOOL = np.dtype(np.bool_)
_fb = ffi.from_buffer
_empty = np.empty
_contig = lib.cw_unary_contig
_bcontig = lib.cw_binary_contig
_mv = memoryview
_PYPY = platform.python_implementation() == "PyPy"
_CHAR, _PD, _PF = ffi.typeof("char[]"), ffi.typeof("double *"), ffi.typeof("float *")
# Python floats from here up (or down) round to float32 inf, and NumPy warns
# "overflow encountered in cast" (FLT_MAX + half an ulp; also NaN and inf
# take the general path, which casts as NumPy does)
_F32_INF = 3.4028235677973366e38


def _buffer_checks_layout():
    """Does from_buffer refuse what the CPython fast paths must not take: a
    non-C-contiguous array, and (require_writable) a read-only one?"""
    ro = np.zeros(4)
    ro.flags.writeable = False
    for a, writable in ((np.zeros(4)[::2], False), (np.zeros((2, 2)).T, False),
                        (np.zeros(4)[::-1], False), (ro, True)):
        try:
            _fb(_CHAR, a, writable)
        except ValueError:
            continue
        return False
    return True


def _status(op, rc, res, args, out):
    """A fast path's nonzero kernel status: a partial overlap with out=
    (nothing was written) goes the general way; otherwise the FP exceptions
    are reported (np.errstate) and ``res`` is returned."""
    if check_fast(rc, op.name, out is not None):
        return (unary_general if len(args) == 1 else binary_general)(op, *args, out)
    return res


def _fast_dtypes(op):
    """(float32 loop code, float64 loop code, float32 output dtype, float64
    output dtype, the float32 dtype or None) of the fast path.  None: NumPy
    computes float32 inputs in another dtype (float_power: float64), so
    they take the general path."""
    o32, o64 = (_BOOL, _BOOL) if op.bool_out else (_F32, _F64)
    r = op.loop(*(_F32,) * op.nin)
    f32 = _F32 if r is not None and r[0] == _F32 and r[3] == o32 else None
    return lib.CW_F32, lib.CW_F64, o32, o64, f32


def _unary_cpython(op):
    op_id, general = op.id, unary_general
    c32, c64, o32, o64, f32 = _fast_dtypes(op)
    fb, contig, empty, status = _fb, _contig, _empty, _status

    def ufunc(x, out=None, **kw):
        if kw:  # NumPy's keywords: the protocol (pkg/_ufuncobj.py)
            return protocol(op, (x,), kw if out is None else {**kw, "out": out})
        if type(x) is _ndarray:
            dt = x.dtype
            if dt is _F64:
                code, odt = c64, o64
            elif dt is f32:
                code, odt = c32, o32
            else:
                return general(op, x, out)
            shape = x.shape
            if shape and (out is None or (type(out) is _ndarray and out.dtype is odt
                                          and out.shape == shape)):
                try:  # layout checks by the buffer protocol (module docstring)
                    xb = fb(x)
                    yb = fb(y := empty(shape, odt)) if out is None else fb(_CHAR, out, True)
                except ValueError:
                    return general(op, x, out)
                rc = contig(op_id, code, x.size, xb, yb)
                res = y if out is None else out
                return status(op, rc, res, (x,), out) if rc else res
        return general(op, x, out)

    return ufunc


def _unary_pypy(op):
    op_id, general = op.id, unary_general
    c32, c64, o32, o64, f32 = _fast_dtypes(op)
    fb, contig, empty, status = _fb, _contig, _empty, _status
    mv, release = _mv, ffi.release

    def call(code, mx, n, my):
        """The kernel on ``n`` elements of memoryview ``mx`` into memoryview
        ``my``; buffers and memoryviews are released before the status is
        returned."""
        bx, by = fb(mx), fb(my)
        rc = contig(op_id, code, n, bx, by)
        release(bx)
        release(by)
        mx.release()
        my.release()
        return rc

    def ufunc(x, out=None, **kw):
        if kw:  # NumPy's keywords: the protocol (pkg/_ufuncobj.py)
            return protocol(op, (x,), kw if out is None else {**kw, "out": out})
        if type(x) is _ndarray:
            dt = x.dtype
            if dt is _F64:
                code, odt = c64, o64
            elif dt is f32:
                code, odt = c32, o32
            else:
                return general(op, x, out)
            mx = mv(x)
            if mx.c_contiguous:
                if out is None:
                    if mx.ndim:
                        y = empty(mx.shape, odt)
                        rc = call(code, mx, mx.nbytes // mx.itemsize, mv(y))
                        return status(op, rc, y, (x,), out) if rc else y
                elif type(out) is _ndarray and out.dtype is odt:
                    mo = mv(out)
                    if mo.c_contiguous and not mo.readonly and mo.shape == mx.shape:
                        rc = call(code, mx, mx.nbytes // mx.itemsize, mo)
                        return status(op, rc, out, (x,), out) if rc else out
        return general(op, x, out)

    return ufunc


def _binary_cpython(op):
    op_id, general = op.id, binary_general
    c32, c64, o32, o64, f32 = _fast_dtypes(op)
    new, fb, bcontig, empty, status = ffi.new, _fb, _bcontig, _empty, _status

    def ufunc(x1, x2, out=None, **kw):
        if kw:  # NumPy's keywords: the protocol (pkg/_ufuncobj.py)
            return protocol(op, (x1, x2), kw if out is None else {**kw, "out": out})
        # two arrays of one dtype and shape: the common case, kept leanest
        if type(x1) is _ndarray and type(x2) is _ndarray:
            dt = x1.dtype
            shape = x1.shape
            if x2.dtype is dt and x2.shape == shape and shape:
                if dt is _F64:
                    code, odt, isz = c64, o64, 8
                elif dt is f32:
                    code, odt, isz = c32, o32, 4
                else:
                    return general(op, x1, x2, out)
                if out is None:
                    try:  # layout checks by the buffer protocol (module docstring)
                        xb, yb = fb(x1), fb(x2)
                    except ValueError:
                        return general(op, x1, x2, out)
                    z = empty(shape, odt)
                    rc = bcontig(op_id, code, x1.size, xb, isz, yb, isz, fb(z))
                    return status(op, rc, z, (x1, x2), out) if rc else z
                if type(out) is _ndarray and out.dtype is odt and out.shape == shape:
                    try:
                        xb, yb, zb = fb(x1), fb(x2), fb(_CHAR, out, True)
                    except ValueError:
                        return general(op, x1, x2, out)
                    rc = bcontig(op_id, code, x1.size, xb, isz, yb, isz, zb)
                    return status(op, rc, out, (x1, x2), out) if rc else out
        elif (type(x2) is float and type(x1) is _ndarray
              or type(x1) is float and type(x2) is _ndarray):
            # one array and a Python float, either side
            a, xs, ys, v = (x1, 1, 0, x2) if type(x1) is _ndarray else (x2, 0, 1, x1)
            dt = a.dtype
            if dt is _F64:
                code, odt, isz, ct = c64, o64, 8, _PD
            elif dt is f32 and -_F32_INF < v < _F32_INF:  # else NumPy warns of the cast
                code, odt, isz, ct = c32, o32, 4, _PF
            else:
                return general(op, x1, x2, out)
            shape = a.shape
            if shape and (out is None or (type(out) is _ndarray and out.dtype is odt
                                          and out.shape == shape)):
                try:
                    xb = fb(x1) if xs else new(ct, x1)
                    yb = fb(x2) if ys else new(ct, x2)
                    if out is None:
                        zb = fb(res := empty(shape, odt))
                    else:
                        zb = fb(_CHAR, res := out, True)
                except ValueError:
                    return general(op, x1, x2, out)
                rc = bcontig(op_id, code, a.size, xb, xs * isz, yb, ys * isz, zb)
                return status(op, rc, res, (x1, x2), out) if rc else res
        return general(op, x1, x2, out)

    return ufunc


def _binary_pypy(op):
    op_id, general = op.id, binary_general
    c32, c64, o32, o64, f32 = _fast_dtypes(op)
    new, fb, bcontig, empty, status = ffi.new, _fb, _bcontig, _empty, _status
    mv, release = _mv, ffi.release

    def ufunc(x1, x2, out=None, **kw):
        if kw:  # NumPy's keywords: the protocol (pkg/_ufuncobj.py)
            return protocol(op, (x1, x2), kw if out is None else {**kw, "out": out})
        tx, ty = type(x1), type(x2)
        if tx is _ndarray:
            a = x1
        elif ty is _ndarray:
            a = x2
        else:
            return general(op, x1, x2, out)
        dt = a.dtype
        if dt is _F64:
            code, odt, isz, ct = c64, o64, 8, _PD
        elif dt is f32:
            code, odt, isz, ct = c32, o32, 4, _PF
        else:
            return general(op, x1, x2, out)
        ma = mv(a)
        if not (ma.ndim and ma.c_contiguous):
            return general(op, x1, x2, out)
        shape = ma.shape
        if out is not None:
            if not (type(out) is _ndarray and out.dtype is odt):
                return general(op, x1, x2, out)
            mo = mv(out)
            if not (mo.c_contiguous and not mo.readonly and mo.shape == shape):
                return general(op, x1, x2, out)
        xs = ys = isz
        m2 = None
        if tx is _ndarray:
            if ty is _ndarray:
                if x2.dtype is not dt:
                    return general(op, x1, x2, out)
                m2 = mv(x2)
                if not m2.c_contiguous or m2.shape != shape:
                    return general(op, x1, x2, out)
                yb = fb(m2)
            elif ty is float and (isz == 8 or -_F32_INF < x2 < _F32_INF):
                yb, ys = new(ct, x2), 0
            else:
                return general(op, x1, x2, out)
            xb = fb(ma)
        elif tx is float and (isz == 8 or -_F32_INF < x1 < _F32_INF):
            xb, xs, yb = new(ct, x1), 0, fb(ma)
        else:
            return general(op, x1, x2, out)
        if out is None:
            z = empty(shape, odt)
            mo = mv(z)
        zb = fb(mo)
        rc = bcontig(op_id, code, ma.nbytes // isz, xb, xs, yb, ys, zb)
        release(xb)
        release(yb)
        release(zb)
        ma.release()
        mo.release()
        if m2 is not None:
            m2.release()
        res = z if out is None else out
        return status(op, rc, res, (x1, x2), out) if rc else res

    return ufunc


if _PYPY:
    unary_fast, binary_fast = _unary_pypy, _binary_pypy
elif _buffer_checks_layout():
    unary_fast, binary_fast = _unary_cpython, _binary_cpython
else:  # no fast path: every call takes the general one (or the protocol)
    def unary_fast(op):
        def ufunc(x, out=None, **kw):
            if kw:
                return protocol(op, (x,), kw if out is None else {**kw, "out": out})
            return unary_general(op, x, out)
        return ufunc

    def binary_fast(op):
        def ufunc(x1, x2, out=None, **kw):
            if kw:
                return protocol(op, (x1, x2), kw if out is None else {**kw, "out": out})
            return binary_general(op, x1, x2, out)
        return ufunc
