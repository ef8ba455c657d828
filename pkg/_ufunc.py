"""The element-wise facade: one argument-normalising path for every
operation in the C table, plus a lean fast path for the common case.

Flow of a call (see ../shared/ARCHITECTURE.md):
  1. normalise: array conversion, dtype resolution by NumPy's own rules
     (ufunc.resolve_dtypes), out= checks, broadcasting of the input to out,
     overlap handling (the input is copied first if it partially overlaps out);
  2. classify the layout: C-contiguous pair -> contiguous kernel; otherwise
     dimensions are sorted by stride and merged where possible, and shape +
     byte strides go to the strided kernel (no copy of the input);
  3. call the C kernel (cffi releases the GIL); 4. status -> _errors.check.
"""
import numpy as np

from ._errors import check
from ._lib import cstr, ffi, lib

_ndarray = np.ndarray
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_LOOP_CODE = {_F32: lib.CW_F32, _F64: lib.CW_F64}
_fb = ffi.from_buffer
_empty = np.empty
_contig = lib.cw_unary_contig
_strided = lib.cw_unary_strided
_MAXDIMS = lib.CW_MAXDIMS


class Op:
    """One row of the C operation table (csrc/ops.def)."""

    __slots__ = ("id", "name", "doc", "nin", "nout", "cost", "max_ulp", "ufunc", "_types")

    def __init__(self, op_id):
        info = lib.cw_op_get(op_id)
        self.id = op_id
        self.name = cstr(info.name)
        self.doc = cstr(info.doc)
        self.nin = info.nin
        self.nout = info.nout
        self.cost = info.cost
        self.max_ulp = info.max_ulp
        self.ufunc = getattr(np, self.name)  # NumPy's twin: the type oracle
        self._types = {}

    def __repr__(self):
        return f"<corewise op {self.name} (nin={self.nin}, cost={self.cost})>"

    def resolve(self, dt):
        """(loop dtype, result dtype) for an input dtype, by NumPy's rules."""
        r = self._types.get(dt)
        if r is None:
            r = self._types[dt] = _resolve(self, dt)
        return r


def _fail(op, msg, exc=TypeError):
    raise exc(f"corewise.{op.name}: {msg}")


_KIND_NAMES = {
    "O": "object arrays are not supported (dtype object); convert to a numeric dtype",
    "c": "complex input (dtype {dt}) is not supported yet; use numpy.{name}",
    "U": "string input (dtype {dt}) is not supported",
    "S": "bytes input (dtype {dt}) is not supported",
    "V": "structured/void input (dtype {dt}) is not supported",
    "M": "datetime input (dtype {dt}) is not supported",
    "m": "timedelta input (dtype {dt}) is not supported",
}


def _resolve(op, dt):
    msg = _KIND_NAMES.get(dt.kind)
    if msg is not None:
        _fail(op, msg.format(dt=dt, name=op.name))
    try:
        _, res = op.ufunc.resolve_dtypes((dt, None))
    except TypeError:
        _fail(op, f"numpy.{op.name} has no loop for dtype {dt}")
    res = np.dtype(res)
    if res == _F64:
        return _F64, _F64
    if res == _F32 or res == np.float16:
        # float16 results are computed in float32 and rounded once, exactly
        # as NumPy's own half-precision loops do.
        return _F32, res
    _fail(op, f"dtype {res} (from input dtype {dt}) is not supported: corewise "
              f"computes in float32/float64 only; use numpy.{op.name} for it")


_HOOKS = ("__array_ufunc__", "__array_function__", "__array_wrap__", "__array_finalize__")


def _plain_view(op, a, what):
    """An ndarray subclass as a plain ndarray view -- allowed for np.memmap
    and for subclasses that override none of NumPy's hooks (whose results
    could not differ from a plain array's); refused otherwise (a masked
    array's mask, say, would be silently dropped)."""
    t = type(a)
    if t is np.memmap or all(getattr(t, h, None) is getattr(_ndarray, h) for h in _HOOKS):
        return a.view(_ndarray)
    _fail(op, f"{what} of ndarray subclass {t.__name__} is not supported; "
              "pass np.asarray(...) if only its data matters")


def as_input(op, x):
    """The one conversion of an argument to an ndarray (never copies an
    ndarray; refuses objects whose own ufunc semantics would be lost)."""
    if type(x) is _ndarray:
        return x
    if isinstance(x, _ndarray):
        return _plain_view(op, x, "input")
    if isinstance(x, np.generic):
        return np.asarray(x)
    t = type(x)
    if getattr(t, "__array_ufunc__", None) is not None or hasattr(t, "__array_function__"):
        _fail(op, f"{t.__module__}.{t.__qualname__} objects are not supported; "
                  "convert with np.asarray() first")
    try:
        return np.asarray(x)
    except (TypeError, ValueError) as exc:
        # the base class: subclasses such as UnicodeDecodeError take other arguments
        cls = TypeError if isinstance(exc, TypeError) else ValueError
        raise cls(f"corewise.{op.name}: cannot convert the input to an array: {exc}") from exc


def check_out(op, out, shape, res_dt):
    """Validate out= as NumPy does; returns (object to return, ndarray view)."""
    if type(out) is tuple:
        if len(out) != 1:
            _fail(op, f"out must be an array or a 1-tuple, got a tuple of length {len(out)}", ValueError)
        out = out[0]
    if not isinstance(out, _ndarray):
        _fail(op, f"out must be a numpy.ndarray, not {type(out).__name__}")
    arr = out if type(out) is _ndarray else _plain_view(op, out, "out")
    if not arr.flags.writeable:
        _fail(op, "out is read-only", ValueError)
    if arr.shape != shape:
        try:
            ok = np.broadcast_shapes(shape, arr.shape) == arr.shape
        except ValueError:
            ok = False
        if not ok:
            _fail(op, f"out has shape {arr.shape}, but the result has shape {shape}", ValueError)
    if not np.can_cast(res_dt, arr.dtype, "same_kind"):
        _fail(op, f"cannot cast the result from dtype {res_dt} to out's dtype "
                  f"{arr.dtype} with casting rule 'same_kind'")
    return out, arr


def _addr(a):
    return a.__array_interface__["data"][0]


def _internal_overlap(a):
    """True if distinct elements of ``a`` may share memory (conservative)."""
    span = a.itemsize
    for s, n in sorted((abs(s), n) for s, n in zip(a.strides, a.shape) if n > 1):
        if s < span:
            return True
        span += s * (n - 1)
    return False


def _needs_input_copy(x, y):
    """Partial overlap between input and output -> copy the input first
    (NumPy semantics: as if the input were read before any write)."""
    if not np.may_share_memory(x, y):
        return False
    return not (_addr(x) == _addr(y) and x.strides == y.strides)


def collapse(shape, *strides):
    """Drop unit dimensions, order the rest by stride (outermost first; the
    last stride list -- the output's -- decides first) and merge neighbours
    that are contiguous in every array.  Returns (shape, *strides)."""
    dims = sorted((d for d in zip(shape, *strides) if d[0] != 1),
                  key=lambda d: tuple(abs(s) for s in d[:0:-1]), reverse=True)
    if not dims:
        return ([1],) + tuple([0] for _ in strides)
    merged = [list(dims[0])]
    for d in dims[1:]:
        m, n = merged[-1], d[0]
        if all(m[k] == d[k] * n for k in range(1, len(d))):
            m[0] *= n
            m[1:] = d[1:]
        else:
            merged.append(list(d))
    return tuple([m[k] for m in merged] for k in range(len(strides) + 1))


def run_unary(op, code, x, y):
    """y[...] = op(x) for same-shape, loop-dtype arrays without partial overlap."""
    if y.size == 0:
        return
    if x.flags.c_contiguous and y.flags.c_contiguous:
        check(_contig(op.id, code, y.size, _fb(x), _fb(y)), op.name)
        return
    shape, xs, ys = collapse(y.shape, x.strides, y.strides)
    xp = ffi.cast("char *", _addr(x))
    yp = ffi.cast("char *", _addr(y))
    isz = y.itemsize
    if len(shape) == 1 and xs[0] == isz and ys[0] == isz:
        rc = _contig(op.id, code, shape[0], xp, yp)
    else:
        rc = _strided(op.id, code, len(shape), ffi.new("ptrdiff_t[]", shape),
                      xp, ffi.new("ptrdiff_t[]", xs), yp, ffi.new("ptrdiff_t[]", ys))
    check(rc, op.name)


def unary_general(op, x, out):
    """Every unary call that the fast path does not take comes here."""
    x = as_input(op, x)
    loop_dt, res_dt = op.resolve(x.dtype)
    code = _LOOP_CODE[loop_dt]
    if x.dtype != loop_dt:
        x = x.astype(loop_dt)  # int/bool/float16/byte-swapped input: one cast
    if out is None:
        y = np.empty_like(x, dtype=loop_dt)
        run_unary(op, code, x, y)
        if res_dt != loop_dt:
            y = y.astype(res_dt)
        return y[()] if y.ndim == 0 else y
    out, arr = check_out(op, out, x.shape, res_dt)
    if x.shape != arr.shape:
        x = np.broadcast_to(x, arr.shape)
    if arr.dtype == loop_dt and res_dt == loop_dt and not _internal_overlap(arr):
        if _needs_input_copy(x, arr):
            x = x.copy()
        run_unary(op, code, x, arr)
    else:
        # Cast on the way out (or an out whose elements alias each other):
        # compute into a temporary, round to the result dtype, then copy.
        y = np.empty(arr.shape, loop_dt)
        run_unary(op, code, x, y)
        if res_dt != loop_dt:
            y = y.astype(res_dt)
        np.copyto(arr, y, casting="unsafe")
    return out


def make_unary(op):
    """The public function for a unary op: a fast path for native
    float32/float64 C-contiguous arrays, else the general path.

    The fast path reads layout, shape and writability from a memoryview of
    each array (the buffer's own shape/strides, not from_buffer's refusal):
    on PyPy one memoryview costs ~0.14 us where each ndarray attribute
    (.flags, .shape, .size) crosses cpyext at ~0.3-0.7 us, and on CPython
    it is as cheap as the attributes it replaces."""
    op_id, name = op.id, op.name
    general = unary_general
    c32, c64 = lib.CW_F32, lib.CW_F64
    overlap = lib.CW_EOVERLAP
    mv, fb, contig, empty = memoryview, _fb, _contig, _empty

    def ufunc(x, out=None):
        if type(x) is _ndarray:
            dt = x.dtype
            if dt is _F64:
                code = c64
            elif dt is _F32:
                code = c32
            else:
                return general(op, x, out)
            mx = mv(x)
            if mx.c_contiguous:
                if out is None:
                    if mx.ndim:
                        y = empty(mx.shape, dt)
                        rc = contig(op_id, code, mx.nbytes // mx.itemsize, fb(mx), fb(y))
                        if rc:
                            check(rc, name)  # floating-point exceptions
                        return y
                elif type(out) is _ndarray and out.dtype is dt:
                    mo = mv(out)
                    if mo.c_contiguous and not mo.readonly and mo.shape == mx.shape:
                        rc = contig(op_id, code, mx.nbytes // mx.itemsize, fb(mx), fb(mo))
                        if not rc:
                            return out
                        if rc != overlap:  # partial overlap: nothing written yet
                            check(rc, name)
                            return out
        return general(op, x, out)

    ufunc.__name__ = ufunc.__qualname__ = op.name
    ufunc.__module__ = "corewise"
    ufunc.__doc__ = (
        f"{op.doc}\n\n"
        f"Drop-in for ``numpy.{op.name}(x, out=None)``: same result dtype, values\n"
        "(see the accuracy contract in the README), shape and errors, computed on\n"
        "all cores.  ``x``: array-like; any layout (views, transposes, negative\n"
        "and zero strides) is read without copying.  ``out``: ndarray written in\n"
        "place (the input broadcasts to its shape; the result is cast with\n"
        "'same_kind' casting); returned.  A 0-d result without ``out`` is\n"
        "returned as a NumPy scalar, like NumPy.\n"
    )
    ufunc.op = op
    return ufunc


OPS = tuple(Op(i) for i in range(lib.cw_op_count()))
FUNCTIONS = {op.name: make_unary(op) for op in OPS if op.nin == 1}
