"""User kernels: corewise.ElementwiseKernel and corewise.ReductionKernel.

CuPy's kernel API on NumPy arrays and CPU cores: the user writes the loop
body (or the map / reduce / post-map expressions) in C over typed
parameters; corewise parses and validates the signature, resolves the type
placeholders from the operands, broadcasts them by NumPy's rules, and runs
C it generates around the user's text (pkg/_cgen.py: user_elementwise,
user_reduction) compiled by the one run-time compiler path
(pkg/_compiler.py: flags, disk + memory cache, atomic publication).  The
kernel runs on the package's parallel drivers (cw_parallel_run,
cw_parallel_tasks, passed as addresses), so the thread budget, the serial
threshold, fork safety and np.errstate reporting (pkg/_errors.py) are
every corewise function's.  Reductions use the fixed tree of cw.sum
(csrc/cw_rtree.h): bitwise the same result for any thread count.

Only the signature is generated from: parameter names are C identifiers
(not keywords, not the loop's own names), types are known dtypes or
one-letter placeholders, so a malformed signature is a ValueError, never a
broken build.  The bodies are the user's (trusted) C.
"""
import math
import operator
import re
import threading

import numpy as np

from . import _cgen, _compiler
from ._args import _plain_view, as_input
from ._errors import check
from ._layout import addr, broadcast_strides, collapse, internal_overlap, needs_input_copy
from ._lib import ffi as _ffi, lib as _clib
from ._optable import MATH_OPS
from ._reduce import normalize_axes

_DRIVER = int(_ffi.cast("uintptr_t", _clib.cw_parallel_driver()))
_TASKS_DRIVER = int(_ffi.cast("uintptr_t", _clib.cw_parallel_tasks_driver()))
_COST = 4            # relative cost of a user element (serial threshold: min_parallel / 4)

_CTYPES = {np.dtype(t): c for t, c in (
    (np.bool_, "_Bool"), (np.int8, "int8_t"), (np.int16, "int16_t"), (np.int32, "int32_t"),
    (np.int64, "int64_t"), (np.uint8, "uint8_t"), (np.uint16, "uint16_t"),
    (np.uint32, "uint32_t"), (np.uint64, "uint64_t"), (np.float32, "float"),
    (np.float64, "double"))}
# reduce_type may be written as C (CuPy's is C text): these are C's meaning.
_C_NAMES = {"float": np.dtype(np.float32), "double": np.dtype(np.float64),
            "int": np.dtype(np.int32), "long": np.dtype(np.int64),
            "long long": np.dtype(np.int64), "unsigned int": np.dtype(np.uint32),
            "bool": np.dtype(np.bool_)}
_C_KEYWORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto "
    "if inline int long register restrict return short signed sizeof static struct switch "
    "typedef union unsigned void volatile while _Alignas _Alignof _Atomic _Bool _Complex "
    "_Generic _Imaginary _Noreturn _Static_assert _Thread_local raw".split())
_RESERVED = frozenset({"i", "n", "a", "b"})   # the loop's and the reduction's names
_DIAG_AT = re.compile(r"(\w+):(\d+):(\d+): (?:error|warning)")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_USES_I = re.compile(r"(?<![A-Za-z0-9_.])i(?![A-Za-z0-9_])")
_MACROS = _cgen.scalar_macros([(op.name, op.nin) for op in MATH_OPS
                               if op.nin in (1, 2) and not op.bool_out])
_PY_SCALARS = (bool, int, float)
_MISS = object()
_ndarray = np.ndarray
_empty = np.empty
_shares = np.may_share_memory
_BOOL = np.dtype(np.bool_)


def _alloc(shape, dt):
    """A new output.  The generated C loads an output's current value (CuPy's
    outputs are references): a bool one is zeroed, as loading a byte other
    than 0 or 1 into a C _Bool is undefined behaviour."""
    return np.zeros(shape, dt) if dt == _BOOL else _empty(shape, dt)
_DEFAULT = {bool: np.dtype(np.bool_), int: np.dtype(np.int64), float: np.dtype(np.float64)}


class CompileError(_compiler.CompilerError):
    """A user kernel did not compile (a RuntimeError).  ``kernel``: its name;
    ``diagnostic``: the compiler's output, line numbers counted in the
    user's text ("<name>.operation:LINE:COL")."""

    def __init__(self, msg, kernel, diagnostic):
        super().__init__(msg)
        self.kernel, self.diagnostic = kernel, diagnostic


def _dtkey(arrays, targets, env):
    return (tuple(a.dtype.char for a in arrays), tuple(t.dtype.char for t in targets),
            tuple(sorted((ph, dt.char) for ph, dt in env.items())))


def _typedefs(env):
    return [(ph, _CTYPES[dt]) for ph, dt in sorted(env.items())]


class _Param:
    __slots__ = ("name", "dtype", "ph", "raw", "out")

    def __init__(self, name, dtype, ph, raw, out):
        self.name, self.dtype, self.ph, self.raw, self.out = name, dtype, ph, raw, out


def _check_name(kind, name, text):
    if not _IDENT.match(name) or name in _C_KEYWORDS:
        raise ValueError(f"corewise.{kind}: {name!r} is not a valid parameter name "
                         f"(a C identifier) in {text!r}")
    if name in _RESERVED or name.lower().startswith("cw_"):
        raise ValueError(f"corewise.{kind}: parameter name {name!r} is reserved "
                         f"(i, n, a, b and names starting cw_) in {text!r}")


def _type(kind, t, text, c_names=False):
    """(dtype, None) of a concrete type, (None, letter) of a placeholder."""
    if c_names and t in _C_NAMES:
        return _C_NAMES[t], None
    if len(t) == 1 and t.isalpha():
        if t in _RESERVED:
            raise ValueError(f"corewise.{kind}: {t!r} cannot be a type placeholder (it is "
                             f"the name of a value in the kernel) in {text!r}")
        return None, t
    if _IDENT.match(t):
        try:
            dt = np.dtype(t)
        except TypeError:
            dt = None
        if dt in _CTYPES:
            return dt, None
        if dt is not None:
            raise ValueError(f"corewise.{kind}: type {t!r} (dtype {dt}) is not supported in "
                             f"{text!r}: kernels compute in bool, int8..int64, uint8..uint64, "
                             "float32 and float64")
    raise ValueError(f"corewise.{kind}: unknown type {t!r} in {text!r} (a NumPy dtype name "
                     "such as float64, or a one-letter type placeholder such as T)")


def _parse(kind, text, out):
    if not isinstance(text, str):
        raise TypeError(f"corewise.{kind}: parameters must be a str, not {type(text).__name__}")
    params = []
    if not text.strip():
        return params
    for item in text.split(","):
        words = item.split()
        raw = bool(words) and words[0] == "raw"
        if raw:
            words = words[1:]
        if len(words) != 2:
            raise ValueError(f"corewise.{kind}: malformed parameter {item.strip()!r} in "
                             f"{text!r} (expected '[raw] type name')")
        t, name = words
        _check_name(kind, name, text)
        dt, ph = _type(kind, t, text)
        params.append(_Param(name, dt, ph, raw, out))
    return params


def _check_params(kind, ins, outs):
    seen = set()
    for p in ins + outs:
        if p.name in seen:
            raise ValueError(f"corewise.{kind}: duplicate parameter name {p.name!r}")
        seen.add(p.name)


def _check_text(kind, what, text, allow_empty=False):
    if not isinstance(text, str):
        raise TypeError(f"corewise.{kind}: {what} must be a str, not {type(text).__name__}")
    if not allow_empty and not text.strip():
        raise ValueError(f"corewise.{kind}: {what} is empty")
    if "\0" in text:
        raise ValueError(f"corewise.{kind}: {what} contains a NUL character")
    return text


def _weak_ok(v, dt):
    """Can a Python scalar be cast to dt under 'same_kind' (NEP 50)?"""
    if type(v) is bool:
        return True
    if isinstance(v, int):
        return dt.kind in "iuf"
    return dt.kind == "f"


class _Kernel:
    """What both kernel kinds share: the signature, type resolution, the
    modules (per resolved dtypes and layout class) and compile errors."""

    def _setup(self, kind, in_params, out_params, name, preamble):
        self.kind = kind
        if not isinstance(name, str) or not _IDENT.match(name):
            raise ValueError(f"corewise.{kind}: name {name!r} must be a C identifier")
        self.name = name
        self.preamble = _check_text(kind, "preamble", preamble, allow_empty=True)
        self.in_params = _parse(kind, in_params, False)
        self.out_params = _parse(kind, out_params, True)
        if not self.out_params:
            raise ValueError(f"corewise.{kind}: {name}: at least one output parameter is needed")
        _check_params(kind, self.in_params, self.out_params)
        self.nin, self.nout = len(self.in_params), len(self.out_params)
        self._modules = {}
        self._fastplans = {}
        self._lock = threading.Lock()

    def _who(self):
        return f"{self.kind} {self.name!r}"

    def _fail(self, msg, exc=TypeError):
        raise exc(f"corewise.{self.kind} {self.name!r}: {msg}")

    def _module(self, key, make):
        m = self._modules.get(key)
        if m is None:
            src, cdef = make()
            try:
                m = _compiler.compiled(src, cdef, self._who(), "kernel")
            except CompileError:
                raise
            except _compiler.CompilerError as exc:
                diag = getattr(exc, "diagnostic", None)
                if diag is None:            # no compiler, no cache directory ...
                    raise CompileError(str(exc), self.name, "") from None
                raise CompileError(self._diagnose(diag), self.name, diag) from None
            with self._lock:
                self._modules[key] = m
        return m

    def _fast_lookup(self, args):
        """The fast path's plan (per operand dtypes; _fast_plan makes it) for
        plain ndarrays of one shape, C-contiguous and aligned, else _MISS."""
        for a in args:
            if type(a) is not _ndarray:
                return _MISS
        key = tuple([a.dtype for a in args])
        plan = self._fastplans.get(key)
        if plan is None:
            plan = self._fastplans[key] = self._fast_plan(args)
        if plan is False:
            return _MISS
        shape = args[0].shape
        for a in args:
            f = a.flags
            if a.shape != shape or not f.c_contiguous or not f.aligned:
                return _MISS
        return plan

    def _diagnose(self, diag):
        """The message of a failed build: the compiler's lines about the
        user's text (labelled <name>.<part>:LINE:COL, or any error)."""
        mine = f"{self.name}."
        picked, keep = [], False
        for ln in diag.splitlines():
            if ln.startswith(mine) or "error:" in ln:
                keep = True
                picked.append(ln)
                m = _DIAG_AT.match(ln[len(mine):]) if ln.startswith(mine) else None
                if m and m.group(1) in self._texts:
                    # the compiler cannot show the line: its "file" is the label
                    rows = self._texts[m.group(1)].split("\n")
                    row, col = int(m.group(2)), int(m.group(3))
                    if 1 <= row <= len(rows):
                        picked += [f"  {row:4d} | {rows[row - 1]}", "       | "
                                   + " " * max(col - 1, 0) + "^"]
            elif ln[:1] in (" ", "\t") and keep:
                picked.append(ln)      # the source line and caret under it
            else:
                keep = False
        text = "\n".join(picked[:40]) or diag[:2000]
        return (f"corewise.{self.kind} {self.name!r} failed to compile (line numbers count "
                f"lines of the kernel's own text):\n{text}")

    def _resolve(self, args, outs):
        """Operands -> (inputs as arrays or scalars, placeholder -> dtype).

        Arrays bind their placeholders (all must agree); a placeholder bound
        by Python scalars only takes NumPy's default dtype of them; outputs
        given bind what inputs left open."""
        env, by = {}, {}
        vals = []
        for p, v in zip(self.in_params, args):
            if type(v) in _PY_SCALARS:
                if p.raw:
                    self._fail(f"raw parameter {p.name!r} needs an array, got a Python "
                               f"{type(v).__name__}")
                vals.append(v)
                continue
            a = as_input(self, v)
            if not a.dtype.isnative:
                a = a.astype(a.dtype.newbyteorder("="))
            vals.append(a)
            if p.ph is not None:
                self._bind(env, by, p, a.dtype)
        for p, o in zip(self.out_params, outs):
            if o is not None and p.ph is not None and p.ph not in env:
                self._bind(env, by, p, o.dtype.newbyteorder("="))
        for p, v in zip(self.in_params, vals):
            if p.ph is not None and p.ph not in env:
                env[p.ph] = np.result_type(*[_DEFAULT[type(w)] for q, w in zip(
                    self.in_params, vals) if q.ph == p.ph and type(w) in _PY_SCALARS])
        for p in self.in_params + self.out_params:
            if p.ph is not None and p.ph not in env:
                self._fail(f"cannot determine the type {p.ph} of {p.name!r}: no operand "
                           "binds it (pass the output array)")
        return vals, env

    def _bind(self, env, by, p, dt):
        if dt not in _CTYPES:
            self._fail(f"parameter {p.name!r}: dtype {dt} is not supported (kernels compute "
                       "in bool, int8..int64, uint8..uint64, float32 and float64)")
        old = env.get(p.ph)
        if old is None:
            env[p.ph], by[p.ph] = dt, p.name
        elif old != dt:
            self._fail(f"type placeholder {p.ph} is {old} for {by[p.ph]!r} but {dt} for "
                       f"{p.name!r}: the operands of one placeholder must have one dtype")

    def _inputs(self, vals, env):
        """Each input as an aligned, native array of its parameter's dtype
        (a same_kind cast, a copy, only where the dtype differs)."""
        arrays = []
        for p, v in zip(self.in_params, vals):
            dt = env[p.ph] if p.ph is not None else p.dtype
            if type(v) in _PY_SCALARS:
                if not _weak_ok(v, dt):
                    self._fail(f"cannot cast the Python {type(v).__name__} {v!r} for "
                               f"parameter {p.name!r} to {dt} with casting rule 'same_kind'")
                try:
                    arrays.append(np.asarray(v, dtype=dt))
                except OverflowError:
                    self._fail(f"Python integer {v} out of bounds for {dt} (parameter "
                               f"{p.name!r})", OverflowError)
                continue
            if v.dtype != dt:
                if not np.can_cast(v.dtype, dt, "same_kind"):
                    self._fail(f"cannot cast parameter {p.name!r} from dtype {v.dtype} to "
                               f"{dt} with casting rule 'same_kind'")
                v = v.astype(dt)
            elif not v.flags.aligned:
                v = v.copy()
            if p.raw and not v.flags.c_contiguous:
                v = np.ascontiguousarray(v)
            arrays.append(v)
        return arrays

    def _out_dtypes(self, env):
        return [env[p.ph] if p.ph is not None else p.dtype for p in self.out_params]

    def _outs(self, args, out):
        """Outputs given positionally or by out= (None: allocate)."""
        if len(args) not in (self.nin, self.nin + self.nout):
            self._fail(f"takes {self.nin} input(s) (and optionally {self.nout} output(s)), "
                       f"got {len(args)} argument(s)")
        outs = list(args[self.nin:])
        if out is not None:
            if outs:
                self._fail("outputs given both positionally and by out=")
            outs = list(out) if type(out) is tuple else [out]
            if len(outs) != self.nout:
                self._fail(f"out= needs {self.nout} array(s), got {len(outs)}", ValueError)
        if not outs:
            return [None] * self.nout
        for p, o in zip(self.out_params, outs):
            if o is None:
                continue
            if not isinstance(o, np.ndarray):
                self._fail(f"output {p.name!r} must be a numpy.ndarray, not {type(o).__name__}")
            if type(o) is not _ndarray:
                _plain_view(self, o, f"output {p.name!r}")   # refuses e.g. masked arrays
            if not o.flags.writeable:
                self._fail(f"output {p.name!r} is read-only", ValueError)
        return outs

    def _targets(self, outs, dts, shape, inputs):
        """(target arrays the C writes, given arrays to copy them into)."""
        targets, backs = [], []
        for p, o, dt in zip(self.out_params, outs, dts):
            if o is None:
                t = _alloc(shape, dt)
                targets.append(t)
                backs.append(None)
                continue
            if o.dtype != dt and not np.can_cast(dt, o.dtype, "same_kind"):
                self._fail(f"cannot cast output {p.name!r} from dtype {dt} to {o.dtype} "
                           "with casting rule 'same_kind'")
            view = o.view(np.ndarray) if type(o) is not np.ndarray else o
            if (o.dtype == dt and view.flags.aligned and not internal_overlap(view)
                    and (not p.raw or view.flags.c_contiguous)):
                targets.append(view)
                backs.append(None)
            else:
                t = np.array(view, dtype=dt, order="C") if p.raw else _alloc(shape, dt)
                if not p.raw:
                    # outputs are references (CuPy): the body may read them
                    np.copyto(t, view, casting="unsafe")
                targets.append(t)
                backs.append(view)
        return targets, backs

    @staticmethod
    def _copy_back(targets, backs):
        for t, b in zip(targets, backs):
            if b is not None:
                np.copyto(b, t, casting="unsafe")


class ElementwiseKernel(_Kernel):
    """A user element-wise kernel in C, with CuPy's API.

    ``in_params`` / ``out_params``: comma-separated ``[raw] type name``
    (type: a NumPy dtype name, or a one-letter placeholder resolved from the
    operands); ``operation``: the C loop body, over the parameters, the
    loop index ``i`` and the loop size ``n`` (outputs are assigned; raw
    parameters are whole C-contiguous arrays, ``x[k]``); ``preamble``: C
    placed before it (helper functions).  The table's element functions
    (``sqrt``, ``exp``, ..., and ``cw_<name>`` for every row) are
    type-generic, so ``sqrt(x)`` on float32 is ``cw.sqrt``'s float32 sqrt.

    Calling it: ``k(*inputs[, *outputs], out=None, size=None)``: inputs
    broadcast by NumPy's rules; outputs allocated or given; ``size``: the
    loop size when every array is raw.  Returns the output (a tuple for
    several)."""

    def __init__(self, in_params, out_params, operation, name="kernel", reduce_dims=True,
                 preamble="", no_return=False, return_tuple=False, loop_prep="",
                 after_loop="", options=()):
        self._setup("ElementwiseKernel", in_params, out_params, name, preamble)
        self.operation = _check_text(self.kind, "operation", operation)
        for what, v in (("loop_prep", loop_prep), ("after_loop", after_loop)):
            if v:
                raise ValueError(f"corewise.ElementwiseKernel: {what} is not supported "
                                 "(CUDA-specific code around the loop)")
        if options:
            raise ValueError("corewise.ElementwiseKernel: options (CUDA compiler flags) are "
                             "not supported; corewise compiles with its own flags")
        self.no_return, self.return_tuple = bool(no_return), bool(return_tuple)
        self._texts = {"operation": self.operation, "preamble": self.preamble}
        self._uses_i = bool(_USES_I.search(operation))
        if any(p.raw for p in self.out_params):
            self._uses_i = True
        self._fastok = not any(p.raw for p in self.in_params + self.out_params)

    def _fast(self, args):
        """Same-shape C-contiguous ndarrays of the parameters' own dtypes,
        outputs allocated or given exactly (no cast, no overlap but the
        identical array): one dict look-up and the C call.  _MISS: take the
        general path (which validates and explains)."""
        nin = self.nin
        if len(args) != nin and len(args) != nin + self.nout:
            return _MISS
        plan = self._fast_lookup(args)
        if plan is _MISS:
            return _MISS
        dts, ffi_lib, mkey, make = plan
        shape = args[0].shape
        if not shape:
            return _MISS
        ins = args[:nin]
        if len(args) > nin:
            outs = args[nin:]
            for o in outs:
                if not o.flags.writeable:
                    return _MISS
                for a in ins:
                    if a is not o and _shares(a, o):
                        return _MISS
            ret = outs
        else:
            outs = ret = [_alloc(shape, dt) for dt in dts]
        n = outs[0].size
        if n:
            if not ffi_lib:
                ffi_lib[:] = self._module(mkey, make)
            ffi, clib = ffi_lib
            fb = ffi.from_buffer
            rc = clib.cw_kernel_c(_DRIVER, _COST, n, *[fb(a) for a in ins],
                                  *[fb(o) for o in outs])
            if rc:
                check(rc, self.name)
        if self.no_return:
            return None
        return tuple(ret) if (len(ret) > 1 or self.return_tuple) else ret[0]

    def _fast_plan(self, args):
        """(output dtypes, [ffi, lib] filled on first use, key, make) or False."""
        nin = self.nin
        try:
            outs = self._outs(args, None)
            vals, env = self._resolve(args[:nin], outs)
        except (TypeError, ValueError):
            return False
        dts = self._out_dtypes(env)
        for p, a in zip(self.in_params, args):
            if a.dtype != (env[p.ph] if p.ph is not None else p.dtype):
                return False
        for o, dt in zip(outs, dts):
            if o is not None and o.dtype != dt:
                return False
        lay = ("c",) * nin
        arrays = [np.empty(0, a.dtype) for a in args[:nin]]
        targets = [np.empty(0, dt) for dt in dts]
        key = (_dtkey(arrays, targets, env), lay)
        return (dts, [], key, lambda: self._source(arrays, targets, [], env, lay))

    def _source(self, arrays, targets, raws, env, lay):
        ins = [(p, a) for p, a in zip(self.in_params, arrays) if not p.raw]
        outs = [(p, t) for p, t in zip(self.out_params, targets) if not p.raw]
        return _cgen.user_elementwise(
            self.name, _MACROS, self.preamble, self.operation,
            [(p.name, _CTYPES[a.dtype]) for p, a in ins],
            [(p.name, _CTYPES[t.dtype]) for p, t in outs],
            [(p.name, _CTYPES[a.dtype], p.out) for p, a in raws], lay, _typedefs(env))

    def __repr__(self):
        return f"<corewise.ElementwiseKernel {self.name}>"

    def __call__(self, *args, out=None, size=None):
        if size is None and out is None and self._fastok:
            r = self._fast(args)
            if r is not _MISS:
                return r
        outs = self._outs(args, out)
        vals, env = self._resolve(args[:self.nin], outs)
        arrays = self._inputs(vals, env)
        dts = self._out_dtypes(env)
        br = [a for p, a in zip(self.in_params, arrays) if not p.raw]
        gout = [o for p, o in zip(self.out_params, outs) if not p.raw and o is not None]
        if size is not None:
            if br and any(a.ndim for a in br) or gout:
                self._fail("size= can only be used when every array operand is raw", ValueError)
            size = operator.index(size)
            if size < 0:
                self._fail(f"size must be >= 0, got {size}", ValueError)
            shape = (size,)
        elif not br and not gout:
            self._fail("the loop size is undecided: every operand is raw; pass size=",
                       ValueError)
        else:
            try:
                shape = np.broadcast_shapes(*[a.shape for a in br])
            except ValueError:
                self._fail("operands could not be broadcast together with shapes "
                           + " ".join(str(a.shape) for a in br), ValueError)
            for o in gout:      # the inputs broadcast to the outputs' shape (NumPy)
                try:
                    if np.broadcast_shapes(shape, o.shape) == o.shape:
                        shape = o.shape
                except ValueError:
                    pass
            for p, o in zip(self.out_params, outs):
                if o is not None and not p.raw and o.shape != shape:
                    self._fail(f"output {p.name!r} has shape {o.shape}, but the operands "
                               f"broadcast to {shape}", ValueError)
        for p, o in zip(self.out_params, outs):
            if o is None and p.raw:
                self._fail(f"raw output {p.name!r} must be given (its size is the caller's)",
                           ValueError)
        targets, backs = self._targets(outs, dts, shape, arrays)
        # An input that partially overlaps an output is read first (NumPy).
        for k, (p, a) in enumerate(zip(self.in_params, arrays)):
            if a.ndim and any(np.may_share_memory(a, t) and (p.raw or needs_input_copy(
                    np.broadcast_to(a, shape) if a.shape != shape else a, t))
                    for t in targets):
                arrays[k] = a.copy()
        n = math.prod(shape)
        if n:
            self._run(arrays, targets, env, shape, n)
        self._copy_back(targets, backs)
        res = [o if o is not None else t for o, t in zip(outs, targets)]
        if self.no_return:
            return None
        res = [r[()] if (r.ndim == 0 and o is None) else r for r, o in zip(res, outs)]
        return tuple(res) if (len(res) > 1 or self.return_tuple) else res[0]

    def _run(self, arrays, targets, env, shape, n):
        ins = [(p, a) for p, a in zip(self.in_params, arrays) if not p.raw]
        outs = [(p, t) for p, t in zip(self.out_params, targets) if not p.raw]
        raws = ([(p, a) for p, a in zip(self.in_params, arrays) if p.raw]
                + [(p, t) for p, t in zip(self.out_params, targets) if p.raw])
        ops = [a for _, a in ins] + [t for _, t in outs]
        nin = len(ins)
        strides = [broadcast_strides(a, shape) for a in ops]
        cshape, *cst = collapse(shape, *strides, keep_order=self._uses_i) if ops else ([n],)
        if not cshape:
            cshape, cst = [1], [[0] for _ in ops]
        lay = "n"
        if len(cshape) == 1 and all(s[0] == t.itemsize for s, t in zip(cst[nin:], ops[nin:])) \
                and all(s[0] in (0, a.itemsize) for s, a in zip(cst[:nin], ops[:nin])):
            lay = tuple("s" if s[0] == 0 else "c" for s in cst[:nin])
        key = (_dtkey(arrays, targets, env), lay)
        ffi, clib = self._module(key, lambda: self._source(arrays, targets, raws, env, lay))
        cast = ffi.cast
        p = ffi.new("char *[]", [cast("char *", addr(a)) for a in ops] or [ffi.NULL])
        r = ffi.new("char *[]", [cast("char *", addr(a)) for _, a in raws] or [ffi.NULL])
        flat = [s for row in cst for s in row] or [0]
        rc = clib.cw_kernel(_DRIVER, _COST, n, len(cshape), ffi.new("ptrdiff_t[]", cshape),
                            ffi.new("ptrdiff_t[]", flat), p, r)
        check(rc, self.name)


class ReductionKernel(_Kernel):
    """A user reduction in C, with CuPy's API.

    ``map_expr``: C expression of the input parameters for one element;
    ``reduce_expr``: of ``a`` and ``b`` (two partial results; associative,
    as CuPy assumes); ``post_map_expr``: statement assigning the outputs
    from ``a``, the reduction; ``identity``: C expression, the partial result
    of no element; ``reduce_type``: the type of ``a`` and ``b`` (a dtype
    name, C's float/double/int/long, or a placeholder; default: the first
    output's type).  Calling it: ``k(*inputs[, *outputs], out=None,
    axis=None, keepdims=False)``.  The reduction runs on the fixed tree of
    cw.sum, so its value is bitwise the same for any thread count."""

    def __init__(self, in_params, out_params, map_expr, reduce_expr, post_map_expr, identity,
                 name="reduce_kernel", reduce_type=None, reduce_dims=True, preamble="",
                 options=()):
        self._setup("ReductionKernel", in_params, out_params, name, preamble)
        if not self.in_params:
            raise ValueError("corewise.ReductionKernel: at least one input parameter is needed")
        if any(p.raw for p in self.in_params + self.out_params):
            raise ValueError("corewise.ReductionKernel: raw parameters are not supported in "
                             "reductions")
        if options:
            raise ValueError("corewise.ReductionKernel: options (CUDA compiler flags) are "
                             "not supported; corewise compiles with its own flags")
        k = self.kind
        self.exprs = (_check_text(k, "map_expr", map_expr),
                      _check_text(k, "reduce_expr", reduce_expr),
                      _check_text(k, "post_map_expr", post_map_expr),
                      _check_text(k, "identity", identity))
        self._texts = dict(zip(("map_expr", "reduce_expr", "post_map_expr", "identity"),
                               self.exprs), preamble=self.preamble)
        if reduce_type is None:
            p = self.out_params[0]
            self.rtype = (p.dtype, p.ph)
        else:
            if not isinstance(reduce_type, str):
                raise TypeError(f"corewise.{k}: reduce_type must be a str")
            self.rtype = _type(k, " ".join(reduce_type.split()), reduce_type, c_names=True)

    def __repr__(self):
        return f"<corewise.ReductionKernel {self.name}>"

    def _fast(self, args):
        """Everything reduced, same-shape C-contiguous inputs of the
        parameters' own dtypes, outputs allocated: the C call on a cached
        plan.  _MISS: take the general path."""
        plan = self._fast_lookup(args)
        if plan is _MISS:
            return _MISS
        dts, ffi_lib, mkey, make = plan
        if not ffi_lib:
            ffi_lib[:] = self._module(mkey, make)
            ffi_lib.append(ffi_lib[0].new("ptrdiff_t[]", [a.itemsize for a in args]))
            ffi_lib.append(ffi_lib[0].new("ptrdiff_t[]", [0] * (len(args) + len(dts))))
        ffi, clib, rst, ost = ffi_lib
        outs = [_alloc((), dt) for dt in dts]
        fb = ffi.from_buffer
        rc = clib.cw_rkernel(_TASKS_DRIVER, _clib.cw_get_reduce_block(),
                             _clib.cw_get_num_threads(), 0, ost, ost, 1,
                             ffi.new("ptrdiff_t[1]", [args[0].size]), rst,
                             ffi.new("char *[]", [fb(a) for a in args] + [fb(o) for o in outs]))
        if rc:
            check(rc, self.name)
        res = [o[()] for o in outs]
        return tuple(res) if len(res) > 1 else res[0]

    def _fast_plan(self, args):
        try:
            vals, env = self._resolve(args, [None] * self.nout)
            rdt = self._rdtype(env)
        except (TypeError, ValueError):
            return False
        for p, a in zip(self.in_params, args):
            if a.dtype != (env[p.ph] if p.ph is not None else p.dtype):
                return False
        dts = self._out_dtypes(env)
        arrays = [np.empty(0, a.dtype) for a in args]
        targets = [np.empty(0, dt) for dt in dts]
        lay = ("c",) * len(args)
        return (dts, [], (_dtkey(arrays, targets, env), rdt.char, lay),
                lambda: self._source(arrays, targets, env, rdt, lay))

    def _rdtype(self, env):
        rdt, rph = self.rtype
        if rph is not None:
            if rph not in env:
                self._fail(f"reduce_type placeholder {rph} is not a type of the parameters")
            rdt = env[rph]
        return rdt

    def _source(self, arrays, targets, env, rdt, lay):
        return _cgen.user_reduction(
            self.name, _MACROS, self.preamble, _CTYPES[rdt],
            [(p.name, _CTYPES[a.dtype]) for p, a in zip(self.in_params, arrays)],
            [(p.name, _CTYPES[t.dtype]) for p, t in zip(self.out_params, targets)],
            self.exprs, lay, _typedefs(env))

    def __call__(self, *args, out=None, axis=None, keepdims=False):
        if axis is None and out is None and not keepdims and len(args) == self.nin:
            r = self._fast(args)
            if r is not _MISS:
                return r
        outs = self._outs(args, out)
        vals, env = self._resolve(args[:self.nin], outs)
        rdt = self._rdtype(env)
        arrays = self._inputs(vals, env)
        dts = self._out_dtypes(env)
        try:
            shape = np.broadcast_shapes(*[a.shape for a in arrays])
        except ValueError:
            self._fail("operands could not be broadcast together with shapes "
                       + " ".join(str(a.shape) for a in arrays), ValueError)
        nd = len(shape)
        red = normalize_axes(axis, nd)
        kept = [d for d in range(nd) if d not in red]
        oshape = tuple(1 if d in red else shape[d] for d in range(nd)) if keepdims else \
            tuple(shape[d] for d in kept)
        for p, o in zip(self.out_params, outs):
            if o is not None and o.shape != oshape:
                self._fail(f"output {p.name!r} has shape {o.shape}, but the reduction has "
                           f"shape {oshape}", ValueError)
        targets, backs = self._targets(outs, dts, oshape, arrays)
        arrays = [a.copy() if a.ndim and any(np.may_share_memory(a, t) for t in targets) else a
                  for a in arrays]
        self._run(arrays, targets, env, rdt, shape, kept, red)
        self._copy_back(targets, backs)
        res = [o if o is not None else (t[()] if t.ndim == 0 else t)
               for o, t in zip(outs, targets)]
        return tuple(res) if len(res) > 1 else res[0]

    def _run(self, arrays, targets, env, rdt, shape, kept, red):
        nin = len(arrays)
        ist = [broadcast_strides(a, shape) for a in arrays]
        # outputs' strides over the kept dimensions (keepdims: drop the 1s)
        ost = []
        for t in targets:
            st = [s for s, x in zip(t.strides, t.shape)] if t.ndim == len(kept) else \
                [t.strides[d] for d in kept]
            ost.append(st)
        kshape, *kst = collapse([shape[d] for d in kept], *[[s[d] for d in kept] for s in ist], *ost,
                                 keep_order=True)
        rshape, *rst = collapse([shape[d] for d in red], *[[s[d] for d in red] for s in ist],
                                keep_order=True)
        if not rshape:
            n_red = int(np.prod([shape[d] for d in red], dtype=np.int64))
            rshape, rst = [n_red], [[0] for _ in range(nin)]
        lay = "n"
        if len(rshape) == 1 and all(s[0] in (0, a.itemsize) for s, a in zip(rst, arrays)):
            lay = tuple("s" if s[0] == 0 else "c" for s in rst)
        key = (_dtkey(arrays, targets, env), rdt.char, lay)
        ffi, clib = self._module(key, lambda: self._source(arrays, targets, env, rdt, lay))
        cast = ffi.cast
        p = ffi.new("char *[]", [cast("char *", addr(a)) for a in arrays + targets])
        oflat = [s for row in kst for s in row] or [0]
        rflat = [s for row in rst for s in row]
        rc = clib.cw_rkernel(_TASKS_DRIVER, _clib.cw_get_reduce_block(),
                             _clib.cw_get_num_threads(), len(kshape),
                             ffi.new("ptrdiff_t[]", kshape or [1]), ffi.new("ptrdiff_t[]", oflat),
                             len(rshape), ffi.new("ptrdiff_t[]", rshape),
                             ffi.new("ptrdiff_t[]", rflat), p)
        check(rc, self.name)
