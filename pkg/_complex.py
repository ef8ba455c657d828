"""complex64 / complex128 natively: which rows of the C table have complex
loops (the CW_COMPLEX rows of csrc/ops.def, read from csrc/complex.c's
descriptor), and how a call whose loop dtypes NumPy resolved to complex
maps to one.  Complex calls without a native loop (complex256, functions
such as sin of complex) go to NumPy's own ufunc, like every other dtype
without one."""
import numpy as np

from ._lib import cstr, lib

_C64 = np.dtype(np.complex64)
_C128 = np.dtype(np.complex128)
_BOOL = np.dtype(np.bool_)
#: the real dtype of a complex one (absolute's result)
_REAL = {_C64: np.dtype(np.float32), _C128: np.dtype(np.float64)}


class ComplexLoops:
    """One CW_COMPLEX row: its kind, accuracy bounds and FP policy."""

    __slots__ = ("name", "kind", "numpy_bits", "max_ulp", "max_ulp_c64", "fpe")

    def __init__(self, info):
        self.name = cstr(info.name)
        self.kind = info.kind
        self.numpy_bits = bool(info.numpy_bits)
        self.max_ulp = info.max_ulp          # complex128
        self.max_ulp_c64 = info.max_ulp_c64
        self.fpe = info.fpe

    def ulp(self, dtype):
        """The accuracy bound for a complex loop dtype, in ULP of the larger
        component of the exact result."""
        return self.max_ulp_c64 if np.dtype(dtype) == _C64 else self.max_ulp

    def __repr__(self):
        return f"<corewise complex loops of {self.name}>"


#: The rows with complex loops, by row name.
COMPLEX = {c.name: c for c in (ComplexLoops(lib.cw_complex_get(i))
                               for i in range(lib.cw_complex_count()))}


def complex_loop(cx, dt, ins, res):
    """_optable's resolution for complex loop dtypes: (loop dtype, output
    loop dtype, NumPy's input dtypes, result dtype), or None (NumPy's own)."""
    if cx is None or dt not in _REAL:
        return None
    if cx.kind == lib.CW_CX_R:
        out = _REAL[dt]
    elif cx.kind == lib.CW_CX_C:
        out = _BOOL
    else:
        out = dt
    return dt, out, ins, res
