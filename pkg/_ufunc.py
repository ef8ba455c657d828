"""The public element-wise functions: one per operation of the C table
(and per NumPy alias), made from the interpreter's fast path (_fast) over
the general path (_general), with NumPy-style names and docstrings.
FUNCTIONS is what the package exports."""
from ._fast import binary_fast, unary_fast
from ._optable import ALIASES, OPS
from ._ufuncobj import make as _ufunc_object, protocol_call


def _docstring(op):
    args = "x" if op.nin == 1 else "x1, x2"
    what = ("``x``: array-like" if op.nin == 1 else
            "``x1, x2``: array-likes or Python scalars, broadcast together as in NumPy")
    return (
        f"{op.doc}\n\n"
        f"Drop-in for ``numpy.{op.name}({args}, /, out=None, *, where=True, casting='same_kind',\n"
        "order='K', dtype=None, subok=True[, signature])`` (NumPy's full call, see the README,\n"
        "\"The ufunc protocol\"; methods reduce/accumulate/reduceat/outer/at too): same result\n"
        "dtype (NumPy's own type resolution), values (see the accuracy contract in the README:\n"
        f"at most {op.max_ulp} ULP in float64, {op.max_ulp_f32} ULP in float32), shape and\n"
        f"errors, computed on all cores.  {what}; any layout (views, transposes,\n"
        "negative and zero strides) is read without copying.  ``out``: ndarray written\n"
        "in place (the result is cast with 'same_kind' casting); returned.  A 0-d\n"
        "result without ``out`` is returned as a NumPy scalar, like NumPy.\n"
    ) + (f"complex64/complex128 natively with NumPy's formula (README, \"Complex\n"
         f"numbers\"): at most {op.complex.max_ulp:g} ULP of the larger component.\n"
         if op.complex else "")


def _finish(f, op):
    f.__name__ = f.__qualname__ = op.name
    f.__module__ = "corewise"
    f.__doc__ = _docstring(op)
    f.op = op
    return _ufunc_object(op, f)  # f with NumPy's ufunc attributes and methods


def make_unary(op):
    """The public function for a unary op: a fast path for native
    float32/float64 C-contiguous arrays (this interpreter's, chosen at
    import), else the general path.  Integer-only rows (no float loops)
    take the general path directly."""
    if not op.float_loops:
        return _finish(protocol_call(op), op)
    return _finish(unary_fast(op), op)


def make_binary(op):
    """The public function for a binary op: a fast path for two same-shape
    C-contiguous float32/float64 arrays of one dtype, or one such array and
    a Python float (this interpreter's, chosen at import), else the general
    path."""
    if not op.float_loops:
        return _finish(protocol_call(op), op)
    return _finish(binary_fast(op), op)


def make_protocol(op):
    """The public function for a CW_NUMPY row (NumPy's own ufunc computes
    it: datetime isnat) or a CW_MULTI row (two outputs or mixed dtypes:
    divmod, modf, frexp, ldexp, pkg/_multi.py): every call takes the
    protocol entry point."""
    return _finish(protocol_call(op), op)


def _make(op):
    if op.kind in ("numpy", "multi"):
        return make_protocol(op)
    return (make_unary if op.nin == 1 else make_binary)(op)


FUNCTIONS = {op.name: _make(op) for op in OPS}
FUNCTIONS.update({alias: FUNCTIONS[name] for alias, name in ALIASES.items()})
