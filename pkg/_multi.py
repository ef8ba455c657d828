"""The CW_MULTI rows of the operation table (csrc/ops.def): divmod, modf and
frexp (two outputs) and ldexp (a float and an integer exponent) -- their
calls through NumPy's ufunc protocol, computed by the table's CW_MLOOP
loops (cw_multi_strided: one n-d parallel walk over every operand).

What runs natively: plain ndarrays, NumPy and Python scalars and
sequences, broadcast together, any layout; outputs allocated, or out=
as a tuple of ndarrays (one per output; one ndarray for ldexp), positional
outs or out=None; NumPy's type resolution picks the loop (_optable,
_resolve_multi).  Everything else -- where=, dtype=, signature=, other
casting/order values, out=..., subclasses and objects with NumPy's hooks
(_args.foreign), Dask arrays, dtypes without a loop (float16, longdouble,
object, narrow signed divmod, ...), outputs that share memory -- is NumPy's
twin ufunc called with the caller's own arguments: NumPy's answer and
errors.  Status codes become exceptions and FP flags warnings in
_errors.check, as for every row."""
import numpy as np

from ._args import check_out, foreign
from ._dask import is_dask_array
from ._errors import check
from ._general import _kernel_dims, _operand, _to_loop
from ._layout import addr, broadcast_strides, internal_overlap, needs_input_copy
from ._lib import ffi, lib

_ndarray = np.ndarray
_empty = np.empty
_run = lib.cw_multi_strided
# keywords whose default value leaves a call native; any other value: NumPy
_DEFAULTS = {"casting": "same_kind", "order": "K", "subok": True, "where": True,
             "dtype": None, "signature": None}


def _twin(op, args, kw):
    return op.ufunc(*args, **kw)


def _outs(op, args, kw):
    """The caller's outputs as a tuple of nout entries (None or ndarray),
    or None when NumPy must answer."""
    nin, nout = op.nin, op.nout
    if len(args) == nin:
        out = kw.get("out")
    elif len(args) == nin + nout and "out" not in kw:
        out = tuple(args[nin:])
    else:
        return None
    if out is None:
        return (None,) * nout
    if type(out) is _ndarray and nout == 1:
        out = (out,)
    if type(out) is not tuple or len(out) != nout:
        return None
    if any(o is not None and type(o) is not _ndarray for o in out):
        return None
    return out


def protocol(op, args, kw):
    """NumPy's ufunc call of a CW_MULTI row with the caller's arguments."""
    for k, v in kw.items():
        if k != "out" and (k not in _DEFAULTS or type(v) is not type(_DEFAULTS[k])
                           or v != _DEFAULTS[k]):
            return _twin(op, args, kw)
    outs = _outs(op, args, kw)
    ins = args[:op.nin]
    if outs is None or len(ins) != op.nin \
            or any(foreign(v) or is_dask_array(v) for v in ins):
        return _twin(op, args, kw)
    return _general(op, ins, outs, args, kw)


def _general(op, ins, outs, args, kw):
    nin = op.nin
    try:
        keyed = [_operand(op, v) for v in ins]
    except (TypeError, ValueError):  # not convertible: NumPy's own error
        return _twin(op, args, kw)
    if any(k is int and not -2**63 <= v < 2**63 for v, (_, k) in zip(ins, keyed)):
        return _twin(op, args, kw)  # not a weak int64 scalar for NumPy either
    r = op.loop(*(k for _, k in keyed))
    if r is None:
        return _twin(op, args, kw)
    loop, sig, in_dts, res_dts = r
    try:
        arrs = [_to_loop(v, a, d, t) for v, (a, _), d, t in zip(ins, keyed, in_dts, sig)]
        shape = np.broadcast_shapes(*(a.shape for a in arrs))
        given = [o for o in outs if o is not None]
        if given:
            shape = np.broadcast_shapes(shape, *(o.shape for o in given))
            for o, res in zip(outs, res_dts):
                if o is not None:
                    check_out(op, o, shape, res)
                    if o.shape != shape:
                        raise ValueError
        for i, o in enumerate(given):
            if any(np.may_share_memory(o, p) for p in given[i + 1:]):
                raise ValueError  # outputs sharing memory: NumPy's order of writes
    except (TypeError, ValueError, OverflowError):  # NumPy's own answer or error
        return _twin(op, args, kw)
    targets = []
    for o, res, t in zip(outs, res_dts, sig[nin:]):
        if o is not None and o.dtype == t and res == t and not internal_overlap(o):
            arrs = [a.copy() if needs_input_copy(a, o) else a for a in arrs]
            targets.append(o)
        else:  # computed into a temporary, cast on the way out
            targets.append(_empty(shape, t))
    _compute(op, loop, shape, arrs, targets)
    results = []
    for o, z, res in zip(outs, targets, res_dts):
        if z is not o and res != z.dtype:
            z = z.astype(res)
        if o is None:
            results.append(z[()] if z.ndim == 0 else z)
        else:
            if z is not o:
                np.copyto(o, z, casting="unsafe")
            results.append(o)
    return results[0] if op.nout == 1 else tuple(results)


def _compute(op, loop, shape, ins, outs):
    """outs[...] = op(ins) with loop ``loop``: inputs broadcast to ``shape``
    (zero strides), one C call over the merged dimensions."""
    if not all(shape):
        return
    ops = list(ins) + list(outs)
    dims = _kernel_dims(shape, *(broadcast_strides(a, shape) for a in ops))
    cshape, strides = dims[0], dims[1:]
    flat = [s for st in strides for s in st]
    ptrs = ffi.new("char *[]", [ffi.cast("char *", addr(a)) for a in ops])
    rc = _run(op.id, loop, len(cshape), ffi.new("ptrdiff_t[]", cshape), ptrs,
              ffi.new("ptrdiff_t[]", flat))
    check(rc, op.name)
