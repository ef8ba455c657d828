"""Complex reductions: sum and mean of complex64/complex128 are the real
reductions of the real and imaginary parts (strided views, no copy), so
each component is the same deterministic fixed-tree sum as a float array's
-- bitwise independent of the thread count, within the float sum's error
bound per component; dot (1-D, not conjugated, like np.dot) is four real
dots of the parts.  prod is the reduction engine's own complex product
(csrc/reduce.c: the fixed tree over the fused complex multiply, complex64
in complex128; any axis/out=/keepdims/layout as the real reductions,
empty products 1+0j): engine_complex says so and _reduce.reduce runs it.
Everything else complex (nansum, min/max/arg*, empty sums/means,
complex256) is NumPy's own, with its results and errors."""
import numpy as np

from ._args import check_out
from ._lib import lib

_C64, _C128 = np.dtype(np.complex64), np.dtype(np.complex128)
_NATIVE = ("sum", "mean")  # per component; prod: the engine's; the others are NumPy's
#: complex dtypes the engine reduces (prod), by their C dtype code
ENGINE_CODES = {_C64: lib.CW_RC64, _C128: lib.CW_RC128}


def engine_complex(op, dt):
    """Whether the reduction engine computes op on complex dtype dt itself
    (prod of complex64/complex128, any byte order)."""
    return op.code == lib.CW_RPROD and dt.newbyteorder("=") in ENGINE_CODES


def _numpy(op, x, axis, out, keepdims):
    kw = {} if out is None else {"out": out}
    return getattr(np, op.name)(x, axis=axis, keepdims=keepdims, **kw)


def reduce_complex(reduce, op, x, axis, out, keepdims, allow_tuple):
    """reduce(op, ...) for a complex ndarray x: the parts through the real
    reduction (``reduce``, _reduce.reduce), or NumPy's own."""
    dt = x.dtype.newbyteorder("=")
    if op.name not in _NATIVE or dt not in (_C64, _C128) or x.size == 0:
        return _numpy(op, x, axis, out, keepdims)
    re = reduce(op, x.real, axis, None, keepdims, allow_tuple)
    im = reduce(op, x.imag, axis, None, keepdims, allow_tuple)
    re = np.asarray(re)
    res = np.empty(re.shape, dt)
    res.real = re
    res.imag = im
    if out is not None:
        out, arr = check_out(op, out, res.shape, dt)
        np.copyto(arr, res, casting="unsafe")
        return out
    return res[()] if res.ndim == 0 else res


def dot_complex(dot, x, y, dt):
    """np.dot of two 1-D vectors whose result dtype dt is complex: real
    dots of the parts (``dot``, _reduce.dot), complex64 computed in
    complex128 (float32 products are exact there) and rounded once."""
    if dt not in (_C64, _C128):
        return np.dot(x, y)
    x, y = x.astype(_C128, copy=False), y.astype(_C128, copy=False)
    xr, xi, yr, yi = x.real, x.imag, y.real, y.imag
    re = dot(xr, yr) - dot(xi, yi)
    im = dot(xr, yi) + dot(xi, yr)
    return dt.type(complex(re, im))
