"""The element-wise facade: one argument-normalising path for every
operation in the C table, plus a lean fast path for the common case.

Flow of a call (see ../shared/ARCHITECTURE.md):
  1. normalise: array conversion, dtype resolution by NumPy's own rules
     (ufunc.resolve_dtypes, Python scalars passed as weak types as NumPy 2
     does; cached), broadcasting (NumPy's rules, zero strides, no copy),
     out= checks, overlap handling (an input is copied first if it
     partially overlaps out);
  2. classify the layout: C-contiguous pair -> contiguous kernel; otherwise
     dimensions are sorted by stride and merged where possible, and shape +
     byte strides go to the strided kernel (no copy of the input);
  3. call the C kernel (cffi releases the GIL); 4. status -> _errors.check.
"""
import platform

import numpy as np

from ._dask import elementwise as dask_elementwise, is_dask_array
from ._errors import check
from ._lib import cstr, ffi, lib

_ndarray = np.ndarray
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_I32 = np.dtype(np.int32)
_I64 = np.dtype(np.int64)
_BOOL = np.dtype(np.bool_)
_LOOP_CODE = {_F32: lib.CW_F32, _F64: lib.CW_F64, _I32: lib.CW_I32, _I64: lib.CW_I64}
# Integer/bool loop dtypes NumPy may pick, and the native width that holds
# them exactly (results are cast back, so wrap-around matches NumPy's).
# uint64 has no exact native twin: such calls are left to NumPy.
_INT_LOOP = {np.dtype(t): (_I32 if np.dtype(t).itemsize < 4 or t is np.int32 else _I64)
             for t in (np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32,
                       np.uint32, np.int64)}
_fb = ffi.from_buffer
_empty = np.empty
_contig = lib.cw_unary_contig
_strided = lib.cw_unary_strided
_bcontig = lib.cw_binary_contig
_bstrided = lib.cw_binary_strided
_MAXDIMS = lib.CW_MAXDIMS
_WEAK = (float, int)  # Python scalars NumPy 2 treats as weakly typed


class Op:
    """One row of the C operation table (csrc/ops.def)."""

    __slots__ = ("id", "name", "doc", "nin", "cost", "max_ulp", "max_ulp_f32",
                 "int_loops", "bool_out", "ufunc", "_types")

    def __init__(self, op_id):
        info = lib.cw_op_get(op_id)
        self.id = op_id
        self.name = cstr(info.name)
        self.doc = cstr(info.doc)
        self.nin = info.nin
        self.cost = info.cost
        self.max_ulp = info.max_ulp          # float64
        self.max_ulp_f32 = info.max_ulp_f32
        self.int_loops = bool(info.int_loops)
        self.bool_out = bool(info.bool_out)
        self.ufunc = getattr(np, self.name)  # NumPy's twin: the type oracle
        self._types = {}

    def __repr__(self):
        return f"<corewise op {self.name} (nin={self.nin}, cost={self.cost})>"

    def ulp(self, dtype):
        """The accuracy contract for a loop dtype (float32 or float64)."""
        return self.max_ulp_f32 if np.dtype(dtype) == _F32 else self.max_ulp

    def loop(self, *key):
        """How to compute for these operand types (dtypes, or float/int for
        Python scalars): (loop dtype, output loop dtype, NumPy's input dtypes,
        result dtype), or None when there is no native loop and NumPy's own
        computes the call.  NumPy's rules decide; cached per key."""
        r = self._types.get(key, False)
        if r is False:
            r = self._types[key] = _resolve(self, key)
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


def _resolve(op, key):
    for dt in key:
        msg = _KIND_NAMES.get(getattr(dt, "kind", None))
        if msg is not None:
            _fail(op, msg.format(dt=dt, name=op.name))
    try:
        dts = op.ufunc.resolve_dtypes(key + (None,))
    except TypeError:
        names = ", ".join(getattr(k, "__name__", str(k)) for k in key)
        _fail(op, f"numpy.{op.name} has no loop for dtype{'s' * (len(key) > 1)} {names}")
    ins, res = [np.dtype(d) for d in dts[:-1]], np.dtype(dts[-1])
    dt = ins[0]
    if any(d != dt for d in ins):
        return None  # a mixed loop (e.g. int64 < uint64): NumPy's own
    if dt == _F64:
        loop = _F64
    elif dt == _F32 or dt == np.float16:
        # float16 is computed in float32 and rounded once, exactly as
        # NumPy's own half-precision loops do.
        loop = _F32
    elif dt.kind == "f":
        _fail(op, f"dtype {dt} is not supported: corewise computes in float32/float64 "
                  f"only; use numpy.{op.name} for it")
    elif op.int_loops and dt in _INT_LOOP:
        loop = _INT_LOOP[dt]
    else:
        return None  # e.g. floor/sign/fmod of integers: NumPy's own loop
    return loop, (_BOOL if op.bool_out else loop), tuple(ins), res


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
    """Drop unit dimensions, order the rest by the last array's (the
    output's) stride, outermost first, and merge neighbours that are
    contiguous in every array.  Returns (shape, *strides)."""
    dims = sorted((d for d in zip(shape, *strides) if d[0] != 1),
                  key=lambda d: tuple(abs(s) for s in d[:0:-1]), reverse=True)
    k = len(strides)
    if not dims:
        return ([1],) + tuple([0] for _ in range(k))
    merged = [list(dims[0])]
    for d in dims[1:]:
        m = merged[-1]
        n = d[0]
        if all(m[i] == d[i] * n for i in range(1, k + 1)):
            m[0] *= n
            m[1:] = d[1:]
        else:
            merged.append(list(d))
    return tuple([d[i] for d in merged] for i in range(k + 1))


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
    shape, xs, ys = collapse(y.shape, x.strides, y.strides)
    xp = ffi.cast("char *", _addr(x))
    yp = ffi.cast("char *", _addr(y))
    if len(shape) == 1 and xs[0] == x.itemsize and ys[0] == y.itemsize:
        rc = _contig(op.id, code, shape[0], xp, yp)
    else:
        rc = _strided(op.id, code, len(shape), ffi.new("ptrdiff_t[]", shape),
                      xp, ffi.new("ptrdiff_t[]", xs), yp, ffi.new("ptrdiff_t[]", ys))
    check(rc, op.name)


def _bstrides(a, shape):
    """Byte strides of ``a`` broadcast to ``shape`` (0 where it repeats)."""
    pad = len(shape) - a.ndim
    return [0 if i < pad or a.shape[i - pad] == 1 else a.strides[i - pad]
            for i in range(len(shape))]


def run_binary(op, code, x, y, z):
    """z[...] = op(x, y) for loop-dtype inputs that broadcast to z's shape,
    without partial overlap with z."""
    if z.size == 0:
        return
    xs, ys = _bstrides(x, z.shape), _bstrides(y, z.shape)
    shape, xs, ys, zs = collapse(z.shape, xs, ys, z.strides)
    xp = ffi.cast("char *", _addr(x))
    yp = ffi.cast("char *", _addr(y))
    zp = ffi.cast("char *", _addr(z))
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
    """An operand as (ndarray, resolution key): Python float/int scalars are
    weakly typed (NumPy 2: float32 array + 2.0 stays float32)."""
    t = type(v)
    if t in _WEAK:
        return None, t
    if t is complex:
        _fail(op, f"complex input is not supported yet; use numpy.{op.name}")
    a = as_input(op, v)
    return a, a.dtype


def _to_loop(v, a, np_dt, loop_dt):
    """Operand as an array of the loop dtype (one cast at most).  Python
    scalars convert through NumPy's loop dtype first, so out-of-range
    integers raise OverflowError exactly as in NumPy."""
    if a is None:
        a = np.asarray(v, dtype=np_dt)
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
    if arr.dtype == loop_out and res_dt == loop_out and not _internal_overlap(arr):
        inputs = [a.copy() if _needs_input_copy(a, arr) else a for a in inputs]
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
    maximum): NumPy's own loop computes the call, single-threaded."""
    kw = {} if out is None else {"out": out}
    try:
        return op.ufunc(*args, **kw)
    except (TypeError, ValueError, OverflowError) as exc:  # NumPy's refusal, naming the function
        cls = next(c for c in (ValueError, OverflowError, TypeError) if isinstance(exc, c))
        raise cls(f"corewise.{op.name}: {exc}") from exc


def unary_general(op, x, out):
    """Every unary call that the fast path does not take comes here."""
    if is_dask_array(x):
        return dask_elementwise(op.name, (x,), out)
    a, key = _operand(op, x)
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
    code = _LOOP_CODE[loop_dt]
    shape = a.shape
    if out is not None:
        shape = check_out(op, out, shape, res_dt)[1].shape

    def compute(z, inputs):
        v = inputs[0]
        run_unary(op, code, v if v.shape == z.shape else np.broadcast_to(v, z.shape), z)
    return _deliver(op, shape, loop_out, res_dt, out, compute, [a])


def binary_general(op, x, y, out):
    """Every binary call that the fast path does not take comes here."""
    if is_dask_array(x) or is_dask_array(y):
        return dask_elementwise(op.name, (x, y), out)
    a, ka = _operand(op, x)
    b, kb = _operand(op, y)
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
    except ValueError:
        _fail(op, f"operands could not be broadcast together with shapes {a.shape} {b.shape}",
              ValueError)
    code = _LOOP_CODE[loop_dt]

    def compute(z, inputs):
        run_binary(op, code, inputs[0], inputs[1], z)
    return _deliver(op, shape, loop_out, res_dt, out, compute, [a, b])


def _docstring(op):
    args = "x" if op.nin == 1 else "x1, x2"
    what = ("``x``: array-like" if op.nin == 1 else
            "``x1, x2``: array-likes or Python scalars, broadcast together as in NumPy")
    return (
        f"{op.doc}\n\n"
        f"Drop-in for ``numpy.{op.name}({args}, out=None)``: same result dtype (NumPy's\n"
        "own type resolution), values (see the accuracy contract in the README:\n"
        f"at most {op.max_ulp} ULP in float64, {op.max_ulp_f32} ULP in float32), shape and\n"
        f"errors, computed on all cores.  {what}; any layout (views, transposes,\n"
        "negative and zero strides) is read without copying.  ``out``: ndarray written\n"
        "in place (the result is cast with 'same_kind' casting); returned.  A 0-d\n"
        "result without ``out`` is returned as a NumPy scalar, like NumPy.\n"
    )


def _finish(f, op, name=None):
    f.__name__ = f.__qualname__ = name or op.name
    f.__module__ = "corewise"
    f.__doc__ = _docstring(op)
    f.op = op
    return f


# ---- fast paths ---------------------------------------------------------------
# Each public function short-cuts the common case -- C-contiguous
# float32/float64 arrays of one shape, a fresh result or a matching out= --
# and hands everything else to the general path above.  What is cheap to ask
# an array differs by interpreter, so the fast path is chosen ONCE, at import:
#
# * CPython reads ndarray attributes (x.dtype, x.shape: ~0.02-0.05 us each;
#   a memoryview costs ~0.13 us) and takes ffi.from_buffer of the arrays
#   themselves -- never of a memoryview: a memoryview with an export that
#   ends up in a garbage cycle (a traceback holding the frame) crashes
#   CPython's gc in tp_clear.  The layout checks are NumPy's own buffer
#   export: from_buffer makes a PyBUF_SIMPLE request, which NumPy refuses
#   for an array that is not C-contiguous, and with require_writable a
#   PyBUF_WRITABLE one, refused for a read-only array (ValueError both;
#   the call then goes the general way).  With that, and a branch of its
#   own for two arrays, a 1000-element add(a, b, out=o) went from NumPy
#   +0.93 us to +0.69 (a fresh result: +0.98 -> +0.66; `bench`, 2026-11-26).
#   _buffer_checks_layout() verifies the refusals at import; where they do
#   not hold, no fast path is used.
# * PyPy reads the layout from one memoryview per array (~0.15 us, where each
#   ndarray attribute crosses cpyext at 0.2-0.8 us) and takes from_buffer of
#   those memoryviews -- one cpyext buffer request per array, not two.  Each
#   request leaves an object with a finalizer that survives the nursery, and
#   their GC cost is most of a small call: 1e6 calls of sqrt(x, out=y) on 100
#   float64 took 2.14 us each with from_buffer of the arrays, 1.29 us with
#   from_buffer of the memoryviews (a bare from_buffer x2 + call: 0.86 us).
#   Buffers and memoryviews are released right after the call: PyPy frees
#   them only at its next GC otherwise, and buffers held until then kept each
#   result's pages from being reused (600x600 sqrt: 3.9 ms -> 0.32 ms) and
#   grew the heap (tests/test_leaks.py bounds it).
#
# PyPy's fast paths never rely on from_buffer refusing a non-contiguous
# array (its cpyext has been reported not to): they check the layout first.
# The caller's frame keeps every array alive across the (synchronous) call.
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
    if rc == lib.CW_EOVERLAP and out is not None:
        return (unary_general if len(args) == 1 else binary_general)(op, *args, out)
    check(rc, op.name)
    return res


def _fast_dtypes(op):
    """(float32 loop code, float64 loop code, float32 output dtype, float64
    output dtype) of the fast path."""
    o32, o64 = (_BOOL, _BOOL) if op.bool_out else (_F32, _F64)
    return lib.CW_F32, lib.CW_F64, o32, o64


def _unary_cpython(op):
    op_id, general = op.id, unary_general
    c32, c64, o32, o64 = _fast_dtypes(op)
    fb, contig, empty, status = _fb, _contig, _empty, _status

    def ufunc(x, out=None):
        if type(x) is _ndarray:
            dt = x.dtype
            if dt is _F64:
                code, odt = c64, o64
            elif dt is _F32:
                code, odt = c32, o32
            else:
                return general(op, x, out)
            shape = x.shape
            if shape and (out is None or (type(out) is _ndarray and out.dtype is odt
                                          and out.shape == shape)):
                try:  # layout checks by the buffer protocol (see above)
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
    c32, c64, o32, o64 = _fast_dtypes(op)
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

    def ufunc(x, out=None):
        if type(x) is _ndarray:
            dt = x.dtype
            if dt is _F64:
                code, odt = c64, o64
            elif dt is _F32:
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
    c32, c64, o32, o64 = _fast_dtypes(op)
    new, fb, bcontig, empty, status = ffi.new, _fb, _bcontig, _empty, _status

    def ufunc(x1, x2, out=None):
        # two arrays of one dtype and shape: the common case, kept leanest
        # (each attribute read or branch here costs ~0.02 us of a call)
        if type(x1) is _ndarray and type(x2) is _ndarray:
            dt = x1.dtype
            shape = x1.shape
            if x2.dtype is dt and x2.shape == shape and shape:
                if dt is _F64:
                    code, odt, isz = c64, o64, 8
                elif dt is _F32:
                    code, odt, isz = c32, o32, 4
                else:
                    return general(op, x1, x2, out)
                if out is None:
                    try:  # layout checks by the buffer protocol (see above)
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
            elif dt is _F32 and -_F32_INF < v < _F32_INF:  # else NumPy warns of the cast
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
    c32, c64, o32, o64 = _fast_dtypes(op)
    new, fb, bcontig, empty, status = ffi.new, _fb, _bcontig, _empty, _status
    mv, release = _mv, ffi.release

    def ufunc(x1, x2, out=None):
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
        elif dt is _F32:
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
    _UNARY_FAST, _BINARY_FAST = _unary_pypy, _binary_pypy
elif _buffer_checks_layout():
    _UNARY_FAST, _BINARY_FAST = _unary_cpython, _binary_cpython
else:  # no fast path: every call takes the general one
    _UNARY_FAST = lambda op: lambda x, out=None: unary_general(op, x, out)  # noqa: E731
    _BINARY_FAST = lambda op: lambda x1, x2, out=None: binary_general(op, x1, x2, out)  # noqa: E731


def make_unary(op):
    """The public function for a unary op: a fast path for native
    float32/float64 C-contiguous arrays (this interpreter's, chosen at
    import), else the general path."""
    return _finish(_UNARY_FAST(op), op)


def make_binary(op):
    """The public function for a binary op: a fast path for two same-shape
    C-contiguous float32/float64 arrays of one dtype, or one such array and
    a Python float (this interpreter's, chosen at import), else the general
    path."""
    return _finish(_BINARY_FAST(op), op)


OPS = tuple(Op(i) for i in range(lib.cw_op_count()))
FUNCTIONS = {op.name: (make_unary if op.nin == 1 else make_binary)(op) for op in OPS}
#: NumPy's second names (abs, true_divide), from the table's CW_ALIAS rows.
ALIASES = {cstr(lib.cw_alias_get(i, 0)): cstr(lib.cw_alias_get(i, 1))
           for i in range(lib.cw_alias_count())}
FUNCTIONS.update({alias: FUNCTIONS[name] for alias, name in ALIASES.items()})
