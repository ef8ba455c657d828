"""corewise.evaluate without a C compiler: the block interpreter's front end.

When no C compiler is found (or ``COREWISE_EVAL=interp``), evaluate runs the
same typed tree that the JIT prints as C (_evaluate.Plan, so the same
operations on the same dtypes) as a register program in csrc/interp.c: the
iteration space is cut into cache-sized blocks, the package's parallel
driver gives whole blocks to the threads, and each instruction loops over
one block -- numexpr's method (its virtual machine, interpreter.cpp), with
corewise's element code.  No temporary has the size of the array.

This module lowers a Plan to instructions (register allocation included),
classifies the operands of a call (contiguous / size-1 / strided, after the
one dimension merger _layout.collapse) and calls ``cw_interp``.  The choice
between the JIT and this path -- ``COREWISE_EVAL`` = ``auto`` (default: the
JIT when a compiler is found, else this, with one warning per process),
``jit`` or ``interp`` -- is :func:`use_interp`.
"""
import functools
import os
import warnings

import numpy as np

from . import _compiler
from ._errors import _stacklevel, check
from ._layout import addr, collapse
from ._lib import ffi, lib

# Elements per block: 256 (2 KiB a register at 8 bytes an element: a short
# expression's registers stay in L1; 1024 and 4096 were slower, `bench
# --evaluate`).  Fewer when a program has many
# registers: one thread's buffers together hold at most _MAX_SCRATCH
# elements (csrc/interp.c, on the thread's stack).  Tests lower BLOCK to
# get many blocks from small arrays.
BLOCK = 256
_MAX_SCRATCH = 32768
_MAX_REGS = 2048
_KIND = {"c": 0, "s": 1, "n": 2}

_OPS = {ffi.string(lib.cw_interp_op_name(i)).decode(): i for i in range(lib.cw_interp_nops())}

_SUF = {np.dtype(t): s for t, s in (
    (np.bool_, "b"), (np.int8, "i8"), (np.int16, "i16"), (np.int32, "i32"), (np.int64, "i64"),
    (np.uint8, "u8"), (np.uint16, "u16"), (np.uint32, "u32"), (np.uint64, "u64"),
    (np.float32, "f32"), (np.float64, "f64"))}


class EvaluateFallbackWarning(RuntimeWarning):
    """corewise.evaluate found no C compiler and runs its interpreter."""


# ---- which path ----------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def mode():
    """COREWISE_EVAL, read once (tests clear the cache)."""
    m = os.environ.get("COREWISE_EVAL", "").strip().lower() or "auto"
    if m not in ("auto", "jit", "interp"):
        raise ValueError(f"corewise.evaluate: COREWISE_EVAL={m!r} is not one of "
                         "'auto', 'jit', 'interp'")
    return m


_warned = []


def use_interp():
    """True when evaluate runs the interpreter: COREWISE_EVAL=interp, or
    auto and no C compiler (then one EvaluateFallbackWarning per process)."""
    m = mode()
    if m != "auto":
        return m == "interp"
    try:
        _compiler._config()
    except _compiler._Unavailable as exc:
        if not _warned:
            _warned.append(True)
            warnings.warn(
                f"{_compiler._unavailable(exc, 'evaluate', 'expression')}. "
                "Running the block interpreter instead (same results; long "
                "expressions run slower than compiled). Set COREWISE_EVAL=interp "
                "to choose it without this warning.", EvaluateFallbackWarning,
                stacklevel=_stacklevel())   # the caller's line, outside corewise
        return True
    return False


# ---- lowering ---------------------------------------------------------------------

def _opname(node):
    fam, dt, args, extra = node
    if fam == "cast":
        return f"cast_{_SUF[args[0][1]]}_{_SUF[dt]}"
    if fam in ("arith", "cmp"):
        return f"{extra}_{_SUF[args[0][1]]}"
    if fam in ("cmpus", "cmpsu"):
        return f"{extra}_{fam[3:]}"
    if fam == "bool2":
        return f"{extra}_b"
    if fam == "fn":
        return f"fn_{extra}_{_SUF[args[0][1]]}"
    name = {"not": "not", "div": "true_divide", "neg": "negative", "inv": "invert",
            "rem": "remainder"}.get(fam, fam)
    return f"{name}_{_SUF[dt]}"


class Program:
    """The instructions of one Plan for one output dtype, and its literal
    operands (size-1 arrays after the Plan's slots)."""

    def __init__(self, plan, store):
        from ._evaluate import _cast
        self.nslots = len(plan.slots)
        self.consts = []
        self._const_reg = {}
        self.code = []
        self.free = []
        self.nregs = None
        # literal registers come right after the slots: collect them first
        root = _cast(plan.root.code, store)
        self._literals(root)
        self.nin = self.nslots + len(self.consts)
        self.nregs = self.nin
        r = self._lower(root, top=True)
        if r is not None:          # the root is an operand: one copy
            self._emit(f"cast_{_SUF[store]}_{_SUF[store]}", -1, (r,))
        if self.nregs > _MAX_REGS:
            raise ValueError(f"corewise.evaluate: the expression needs {self.nregs} "
                             f"registers in the interpreter (at most {_MAX_REGS})")
        flat = [v for ins in self.code for v in ins]
        self.prog = ffi.new("int32_t[]", flat)
        self.ninstr = len(self.code)
        self.block = self._block()
        self.cost = plan.cost
        self.flat = None     # run_contiguous's per-program state

    def _block(self):
        b = min(BLOCK, _MAX_SCRATCH // (self.nregs + 1))
        return b - b % 16 if b >= 32 else max(b, 1)

    def _literals(self, node):
        if node[0] == "lit":
            key = (node[1], type(node[3]), node[3], repr(node[3]))
            if key not in self._const_reg:
                self._const_reg[key] = self.nslots + len(self.consts)
                self.consts.append(np.array(node[3], dtype=node[1]))
        for a in node[2]:
            self._literals(a)

    def _reg(self):
        if self.free:
            return self.free.pop()
        self.nregs += 1
        return self.nregs - 1

    def _emit(self, name, dst, srcs):
        op = _OPS[name]
        srcs = list(srcs) + [0] * (3 - len(srcs))
        self.code.append((op, dst, *srcs))

    def _lower(self, node, top=False):
        """Registers for node's value; None for the root once written to
        the output.  A destination is taken before its sources are freed, so
        no instruction writes a register it reads."""
        fam = node[0]
        if fam == "slot":
            return node[3]
        if fam == "lit":
            return self._const_reg[(node[1], type(node[3]), node[3], repr(node[3]))]
        srcs = [self._lower(a) for a in node[2]]
        dst = -1 if top else self._reg()
        self._emit(_opname(node), dst, srcs)
        for s in srcs:
            if s >= self.nin and s not in self.free:
                self.free.append(s)
        return None if top else dst


def program(plan, store):
    progs = plan.__dict__.setdefault("_interp_programs", {})
    p = progs.get(store)
    if p is None:
        p = progs[store] = Program(plan, store)
    return p


# ---- a call -------------------------------------------------------------------------

def _contiguous_strides(shape, itemsize):
    st, acc = [], itemsize
    for n in reversed(shape):
        st.append(acc)
        acc *= n
    return st[::-1]


def run_contiguous(plan, arrays, y):
    """The fast path: ``arrays`` C-contiguous of the result's shape, ``y``
    the C-contiguous result (no size-1 array: the caller checks)."""
    prog = program(plan, y.dtype)
    st = prog.flat
    if st is None:
        nops = len(arrays) + len(prog.consts)
        st = prog.flat = (ffi.new("int32_t[]", [0] * len(arrays) + [1] * len(prog.consts) + [0]),
                          ffi.new("int32_t[]", [a.itemsize for a in arrays] +
                                  [c.itemsize for c in prog.consts] + [y.itemsize]),
                          [ffi.from_buffer(c) for c in prog.consts], nops)
    kinds, isz, consts, nops = st
    fb = ffi.from_buffer
    n = y.size
    rc = lib.cw_interp(prog.prog, prog.ninstr, prog.nregs, prog.nin, prog.block, kinds, isz,
                       ffi.new("char *[]", [fb(a) for a in arrays] + consts + [fb(y)]),
                       1, ffi.new("ptrdiff_t[]", [n]), ffi.NULL, prog.cost)
    if rc:
        check(rc, "evaluate")


def run(plan, arrays, target, shape, n):
    """Evaluate into ``target`` (the result's shape, writable, aligned, no
    internal overlap): ``arrays`` are the Plan's slot operands, broadcast to
    ``shape``."""
    prog = program(plan, target.dtype)
    ops = list(arrays) + prog.consts
    if target.flags.c_contiguous and all(
            a.shape == shape and a.flags.c_contiguous for a in arrays):
        kinds = [1 if a.size == 1 and n > 1 else 0 for a in ops] + [0]
        cshape, cst = [n], [[a.itemsize] for a in ops] + [[target.itemsize]]
    else:
        strides = [a.strides if a.shape == shape else np.broadcast_to(a, shape).strides
                   for a in arrays] + [[0] * len(shape) for _ in prog.consts]
        cshape, *cst = collapse(shape, *strides, target.strides)
        if not cshape:
            cshape, cst = [1], [[0] for _ in cst]
            cst[-1] = [target.itemsize]
        kinds = []
        for a, s in zip(ops + [target], cst):
            if not any(s) and a is not target:
                kinds.append(1)
            elif list(s) == _contiguous_strides(cshape, a.itemsize):
                kinds.append(0)
            else:
                kinds.append(2)
    bases = ffi.new("char *[]", [ffi.cast("char *", addr(a)) for a in ops + [target]])
    rc = lib.cw_interp(prog.prog, prog.ninstr, prog.nregs, prog.nin, prog.block,
                       ffi.new("int32_t[]", kinds),
                       ffi.new("int32_t[]", [a.itemsize for a in ops + [target]]),
                       bases, len(cshape), ffi.new("ptrdiff_t[]", cshape),
                       ffi.new("ptrdiff_t[]", [s for row in cst for s in row]), prog.cost)
    check(rc, "evaluate")
