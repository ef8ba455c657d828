"""corewise.evaluate: an element-wise expression as ONE generated C loop.

Flow of a call:
  1. parse (cached per expression string): Python's ``ast`` with an
     allowlist of node types and function names -> a small tuple tree;
     literal-only subtrees are folded with Python's own arithmetic (as Python
     would before NumPy sees them), with bounds;
  2. plan (cached per expression + operand dtypes): types follow NumPy's own
     resolution (``ufunc.resolve_dtypes``, Python scalars weak as in NEP 50)
     node by node, and the C expression is generated from identifiers and
     re-printed numbers only -- never from the user's text;
  3. layout: broadcasting, out= checks and overlap handling through the
     same helpers as every other corewise function (_args, _layout); the layout
     class is "contiguous" (each operand contiguous or a scalar) or "n-d
     strided";
  4. the module for (plan, layout): C from _cgen (Plan.source), compiled
     by _compiler (memory cache, disk cache, or a fresh build) -- or, with
     no compiler (COREWISE_EVAL), the block interpreter (_interp) running
     the same typed tree; either runs on
     the package's parallel driver, so thread count, serial threshold, fork
     safety and floating-point error reporting are those of every corewise
     function (_errors.check).
"""
import ast
import math
import operator
import sys

import numpy as np

from . import _cgen, _compiler, _interp
from ._args import KIND_NAMES, as_input, check_out
from ._errors import check
from ._lib import ffi as _ffi, lib
from ._dask import evaluate as dask_evaluate, is_dask_array
from ._layout import addr, collapse, internal_overlap, needs_input_copy
from ._optable import MATH_OPS, OPS

MAX_CHARS = 5000      # expression length
MAX_NODES = 1000      # AST nodes
MAX_DEPTH = 200       # nesting
# operand slots of one call, output included (one per name and dtype it is
# read at: a Python scalar beside float32 and float64 arrays takes two);
# the C n-d walk's bound, named once in corewise.h
MAX_OPERANDS = lib.CW_MAX_OPERANDS
_DRIVER = int(_ffi.cast("uintptr_t", lib.cw_parallel_driver()))


class _Who:
    """Stands for the operation in the shared facade helpers' messages."""
    name = "evaluate"


def _err(msg, exc=ValueError):
    return exc(f"corewise.evaluate: {msg}")


# ---- the allowlist -------------------------------------------------------

_BINOPS = {ast.Add: ("add", "+"), ast.Sub: ("subtract", "-"), ast.Mult: ("multiply", "*"),
           ast.Div: ("true_divide", "/"), ast.Pow: ("power", "**"),
           ast.Mod: ("remainder", "%"), ast.BitAnd: ("bitwise_and", "&"),
           ast.BitOr: ("bitwise_or", "|")}
_CMPOPS = {ast.Lt: ("less", "<"), ast.LtE: ("less_equal", "<="), ast.Gt: ("greater", ">"),
           ast.GtE: ("greater_equal", ">="), ast.Eq: ("equal", "=="),
           ast.NotEq: ("not_equal", "!=")}
_UNOPS = {ast.USub: ("negative", "-"), ast.UAdd: ("positive", "+"), ast.Invert: ("invert", "~")}
_PYOPS = {"add": operator.add, "subtract": operator.sub, "multiply": operator.mul,
          "true_divide": operator.truediv, "power": operator.pow, "remainder": operator.mod,
          "less": operator.lt, "less_equal": operator.le, "greater": operator.gt,
          "greater_equal": operator.ge, "equal": operator.eq, "not_equal": operator.ne,
          "negative": operator.neg, "positive": operator.pos}


def functions():
    """Function names evaluate accepts: where() and every row of the
    operation table (csrc/ops.def) with one or two inputs, of the math
    family (float rows; not the integer-only, truth-value or NumPy-served
    rows)."""
    return ("where",) + tuple(op.name for op in MATH_OPS if op.nin in (1, 2))


_TABLE = {op.name: op for op in MATH_OPS if op.nin in (1, 2)}
#: rows of the table that expressions cannot call (their own error message)
_NOT_IN_EVALUATE = {op.name: op.kind for op in OPS if op.name not in _TABLE}
_INT_MIN, _INT_MAX = -2**63, 2**64 - 1


def _literal(v, where):
    if type(v) is bool:
        return v
    if type(v) is int:
        if not _INT_MIN <= v <= _INT_MAX:
            raise _err(f"integer literal {where} is out of the 64-bit range")
        return v
    if type(v) is float:
        if not math.isfinite(v):
            raise _err(f"literal {where} is not a finite float")
        return v
    raise _err(f"literal {where} of type {type(v).__name__} is not supported "
               "(numbers and True/False only)")


def _fold(name, sym, args, src):
    """Python's own arithmetic on literal operands, bounded."""
    if name not in _PYOPS:
        raise _err(f"{sym!r} needs an array operand, not only literals: {src!r}")
    if name == "power":
        base, exp = args
        if isinstance(exp, int) and not isinstance(base, float) and abs(exp) > 64 \
                and abs(base) > 1:
            raise _err(f"constant {src!r} is out of range")
    try:
        r = _PYOPS[name](*args)
    except (ArithmeticError, ValueError) as exc:
        raise _err(f"constant {src!r} cannot be evaluated: {exc}") from None
    return _literal(r, repr(src))


class _Parser:
    def __init__(self, text):
        self.text = text
        self.names = []
        self.nodes = 0

    def src(self, node):
        s = ast.get_source_segment(self.text, node) or type(node).__name__
        return s if len(s) <= 60 else s[:57] + "..."

    def visit(self, node, depth=0):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _err(f"expression too large (more than {MAX_NODES} parts)")
        if depth > MAX_DEPTH:
            raise _err(f"expression nested too deeply (more than {MAX_DEPTH} levels)")
        d = depth + 1
        t = type(node)
        if t is ast.Constant:
            return ("lit", _literal(node.value, repr(self.src(node))))
        if t is ast.Name:
            n = node.id
            if n.startswith("__"):
                raise _err(f"name {n!r} is not allowed (dunder names are refused)")
            if n not in self.names:
                self.names.append(n)
            return ("name", n)
        if t is ast.BinOp:
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise _err(f"operator {type(node.op).__name__} in {self.src(node)!r} is not "
                           f"supported (allowed: {' '.join(s for _, s in _BINOPS.values())})")
            return self.op(op, [node.left, node.right], node, d)
        if t is ast.UnaryOp:
            op = _UNOPS.get(type(node.op))
            if op is None:
                raise _err(f"{self.src(node)!r}: 'not' is not supported; use ~ on booleans")
            return self.op(op, [node.operand], node, d)
        if t is ast.Compare:
            if len(node.ops) != 1:
                raise _err(f"chained comparison {self.src(node)!r} is not supported; "
                           "combine comparisons with & and |")
            return self.op(_CMPOPS[type(node.ops[0])] if type(node.ops[0]) in _CMPOPS
                           else self.bad(node), [node.left, node.comparators[0]], node, d)
        if t is ast.Call:
            return self.call(node, d)
        return self.bad(node)

    def bad(self, node):
        what = {ast.Attribute: "attribute access", ast.Subscript: "subscripts",
                ast.Lambda: "lambda", ast.BoolOp: "'and'/'or' (use & and |)",
                ast.IfExp: "conditional expressions (use where(c, x, y))",
                ast.ListComp: "comprehensions", ast.GeneratorExp: "comprehensions",
                ast.SetComp: "comprehensions", ast.DictComp: "comprehensions",
                ast.NamedExpr: "assignment expressions", ast.Starred: "starred arguments",
                }.get(type(node), f"{type(node).__name__} nodes")
        raise _err(f"{what} not allowed: {self.src(node)!r}")

    def op(self, op, operands, node, depth):
        name, sym = op
        args = [self.visit(a, depth) for a in operands]
        if all(a[0] == "lit" for a in args):
            if name == "power" and any(type(a[1]) is bool for a in args):
                pass  # bool literals: left to NumPy's rules below
            else:
                return ("lit", _fold(name, sym, [a[1] for a in args], self.src(node)))
        return ("uf", name, tuple(args))

    def call(self, node, depth):
        f = node.func
        if type(f) is not ast.Name:
            raise _err(f"only calls of plain function names are allowed: {self.src(node)!r}")
        name = f.id
        if name in _NOT_IN_EVALUATE:
            raise _err(f"function {name!r} ({_NOT_IN_EVALUATE[name]} row of the table) is not "
                       f"supported in expressions; call corewise.{name} on arrays instead")
        if name != "where" and name not in _TABLE:
            raise _err(f"function {name!r} is not allowed (the allowed names are "
                       "listed in corewise.evaluate_functions)")
        if node.keywords:
            raise _err(f"keyword arguments are not allowed: {self.src(node)!r}")
        nin = 3 if name == "where" else _TABLE[name].nin
        if any(type(a) is ast.Starred for a in node.args):
            raise _err(f"starred arguments are not allowed: {self.src(node)!r}")
        if len(node.args) != nin:
            raise _err(f"{name}() takes {nin} argument{'s' if nin > 1 else ''}, "
                       f"got {len(node.args)}: {self.src(node)!r}")
        args = tuple(self.visit(a, depth) for a in node.args)
        return ("where" if name == "where" else "fn", name, args)


class Parsed:
    __slots__ = ("text", "tree", "names")


def parse(text):
    """Check and parse an expression (never evaluated by Python)."""
    if not isinstance(text, str):
        raise _err(f"the expression must be a str, not {type(text).__name__}", TypeError)
    if len(text) > MAX_CHARS:
        raise _err(f"expression too long ({len(text)} characters; at most {MAX_CHARS})")
    # Parenthesis depth is checked here, not left to the parser: CPython's
    # refuses more than 200 levels, PyPy's accepts them.
    depth = deepest = 0
    for ch in text:
        if ch in "([":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise _err(f"expression nested too deeply (more than {MAX_DEPTH} levels)")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise _err(f"invalid syntax in {text[:80]!r}: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise _err("expression too complex to parse") from None
    p = _Parser(text.strip())
    try:
        root = p.visit(tree.body)
    except RecursionError:
        raise _err("expression nested too deeply") from None
    r = Parsed()
    r.text, r.tree, r.names = text, root, tuple(p.names)
    return r


# ---- types and C code ------------------------------------------------------

_CTYPES = {np.dtype(t): c for t, c in (
    (np.bool_, ("uint8_t", "b")), (np.int8, ("int8_t", "i8")), (np.int16, ("int16_t", "i16")),
    (np.int32, ("int32_t", "i32")), (np.int64, ("int64_t", "i64")),
    (np.uint8, ("uint8_t", "u8")), (np.uint16, ("uint16_t", "u16")),
    (np.uint32, ("uint32_t", "u32")), (np.uint64, ("uint64_t", "u64")),
    (np.float32, ("float", "f32")), (np.float64, ("double", "f64")))}
_BOOL = np.dtype(np.bool_)
_WEAK_REP = {bool: False, int: 0, float: 0.0}


def supported(dt, what):
    if dt not in _CTYPES:
        msg = KIND_NAMES.get(dt.kind)
        if msg is not None:
            raise _err(msg.format(dt=dt, name="").split(";")[0] + f" ({what})", TypeError)
        raise _err(f"dtype {dt} ({what}) is not supported: evaluate computes in bool, "
                   "int8..int64, uint8..uint64, float32 and float64", TypeError)
    return dt


class _V:
    """A strong value: a typed tree (code) of NumPy dtype dt; scalar: a
    size-1 variable."""
    __slots__ = ("code", "dt", "scalar")

    def __init__(self, code, dt, scalar=False):
        self.code, self.dt, self.scalar = code, dt, scalar


class _W:
    """A weak Python scalar (NEP 50): a literal, or a scalar variable."""
    __slots__ = ("py", "value", "name")

    def __init__(self, py, value=None, name=None):
        self.py, self.value, self.name = py, value, name


def _c_literal(v, dt):
    ct, suf = _CTYPES[dt]
    if dt.kind == "f":
        f = float(v)
        if not math.isfinite(f):
            raise _err(f"literal {v!r} does not fit {dt}")
        return f"(({ct}){f.hex()})"
    if dt.kind == "b":
        return f"(({ct}){1 if v else 0})"
    v = int(v)
    info = np.iinfo(dt)
    if not info.min <= v <= info.max:
        raise _err(f"Python integer {v} out of bounds for {dt}", OverflowError)
    if dt.kind == "u":
        return f"(({ct}){v}ULL)"
    if v == _INT_MIN:
        return f"(({ct})(-9223372036854775807LL - 1))"
    return f"(({ct})({v}LL))"


# ---- the typed tree --------------------------------------------------------
# Plan builds the expression as a tree of typed nodes, (family, dtype, args,
# extra): the JIT prints it as C (c_code below), the block interpreter
# (_interp) lowers it to its instructions, so both run the same operations
# on the same types.  Families: "slot" (extra: operand index), "lit"
# (extra: the Python value), "cast", "arith" (extra: NumPy's name),
# "bool2" (extra: "or"/"and"), "not", "div", "neg", "inv", "cmp" (extra:
# NumPy's name), "cmpus"/"cmpsu" (uint64 against int64 / the reverse),
# "rem", "spow", "fpow", "ipow", "fn" (extra: the table's name), "where".

def _node(fam, dt, args=(), extra=None):
    return (fam, dt, tuple(args), extra)


def _cast(node, to):
    return node if node[1] == to else _node("cast", to, (node,))


_C_SYM = {"add": "+", "subtract": "-", "multiply": "*", "bitwise_and": "&", "bitwise_or": "|",
          "or": "|", "and": "&", "less": "<", "less_equal": "<=", "greater": ">",
          "greater_equal": ">=", "equal": "==", "not_equal": "!="}
# quiet even when vectorised (cw_eval.h; isless() & co. are not, with GCC)
_C_QUIET = {"less": "cw_e_qlt", "less_equal": "cw_e_qle", "greater": "cw_e_qgt",
            "greater_equal": "cw_e_qge"}


# C of each family: {0}, {1}, {2} the arguments' C, {ct} / {suf} the node's
# C type / suffix, {sym} the operator of extra
_C_FMT = {"arith": "(({ct})({0} {sym} {1}))", "bool2": "((uint8_t)({0} {sym} {1}))",
          "not": "((uint8_t)!{0})", "div": "({0} / {1})", "neg": "(({ct})-{0})",
          "inv": "(({ct})~{0})", "cmp": "((uint8_t)({0} {sym} {1}))",
          "cmpus": "((uint8_t)(cw_e_cmp_us({0}, {1}) {sym} 0))",
          "cmpsu": "((uint8_t)((-cw_e_cmp_us({1}, {0})) {sym} 0))",
          "where": "CW_E_WHERE({ct}, {0}, {1}, {2})", "rem": "cw_e_rem_{suf}({0}, {1})",
          "spow": "cw_e_spow_{suf}({0}, {1})", "fpow": "cw_power_{suf}({0}, {1})",
          "ipow": "cw_e_pow_{suf}({0}, {1}, &err->f)"}


def c_code(node):
    """The C expression of a typed tree (the JIT's element function)."""
    fam, dt, args, extra = node
    c = [c_code(a) for a in args]
    ct, suf = _CTYPES[dt]
    if fam == "slot":
        return f"x{extra}"
    if fam == "lit":
        return _c_literal(extra, dt)
    if fam == "cast":
        return f"((uint8_t)({c[0]} != 0))" if dt == _BOOL else f"(({ct}){c[0]})"
    if fam == "cmp" and args[0][1].kind == "f" and extra in _C_QUIET:
        suf_in = _CTYPES[args[0][1]][1]
        return f"((uint8_t){_C_QUIET[extra]}_{suf_in}({c[0]}, {c[1]}))"
    if fam == "fn":
        if extra in _TRIG:  # libmvec's, huge arguments flagged (cw_eval.h, CW_ETRIG)
            return f"cw_e_{extra}_{_CTYPES[args[0][1]][1]}({c[0]}, err)"
        code = f"cw_{extra}_{_CTYPES[args[0][1]][1]}({', '.join(c)})"
        return f"((uint8_t){code})" if dt == _BOOL else code
    return _C_FMT[fam].format(*c, ct=ct, suf=suf, sym=_C_SYM.get(extra))


_CMP_C = ("less", "less_equal", "greater", "greater_equal", "equal", "not_equal")
# The functions of the table that corewise's own vector math computes
# (csrc/vmath/, cw.set_vmath("own")): with it on, a plan calling one runs on
# the block interpreter, whose ops for them are the rows' own loops (bitwise
# cw.exp & co.; the JIT's fused loops can only call libmvec).  sin, cos and
# tan with libmvec: the JIT flags a huge argument (CW_ETRIG) and the call
# runs again on the interpreter (_run_jit).
_VMATH_OWN = frozenset("exp exp2 log log2 log10 sin cos tan".split())
_TRIG = frozenset(("sin", "cos", "tan"))
# the table's functions whose vector code is libmvec's, with its FP flags
# (spurious invalid for exp(inf), ...): the JIT re-derives a flagged
# stretch's flags with scalar libm (_cgen, _stretches), and never runs such
# a plan in place (Plan.rerun: the pass reads the inputs again)
_LIBMVEC = frozenset(op.name for op in MATH_OPS if op.fpe == lib.CW_VMATH)
_ARITH_C = ("add", "subtract", "multiply", "bitwise_and", "bitwise_or")


class Plan:
    """Typed, generated C for one expression and one operand signature."""

    def __init__(self, parsed, sig):
        # name -> (dtype, size == 1) for arrays | weak Python type.  A size-1
        # exponent takes NumPy's scalar-power fast paths (x**2 is x*x, ...).
        self.env = dict(zip(parsed.names, sig))
        self.slots = []       # (name, dtype, weak)
        self._slot = {}
        self.cost = 1
        self.uses_err = False  # an integer power: the module gets the error flag (CW_EINTPOW)
        self.fns = set()       # the table's functions it calls
        self.rerun = False     # the JIT may read the inputs again: sin/cos/tan rerun (_checked), libmvec flag pass (_cgen._stretches)
        r = self.gen(parsed.tree)
        if isinstance(r, _W):
            dt = np.result_type(r.value if r.value is not None else _WEAK_REP[r.py])
            r = _V(self.emit(r, dt), dt)
        self.res_dt = supported(r.dt, "result")
        self.root = r
        self._modules = {}

    # operands
    def slot(self, name, dt, weak):
        key = (name, dt if weak else None)
        k = self._slot.get(key)
        if k is None:
            if len(self.slots) + 1 >= MAX_OPERANDS:
                raise _err(f"too many operands: the expression reads more than "
                           f"{MAX_OPERANDS - 1} (name, dtype) pairs, and one call takes at "
                           f"most {MAX_OPERANDS} operands, the output included (a Python "
                           "scalar read at two dtypes counts twice)")
            k = self._slot[key] = len(self.slots)
            self.slots.append((name, dt, weak))
        return _node("slot", dt, (), k)

    def emit(self, v, dt):
        if isinstance(v, _V):
            return _cast(v.code, dt)
        if v.name is None:
            _c_literal(v.value, dt)   # the bounds check
            return _node("lit", dt, (), v.value)
        return self.slot(v.name, dt, True)

    @staticmethod
    def tp(v):
        if isinstance(v, _V):
            return v.dt
        return _BOOL if v.py is bool else v.py

    @staticmethod
    def desc(v):
        if isinstance(v, _V):
            return str(v.dt)
        return f"Python {v.py.__name__}"

    def gen(self, node):
        kind = node[0]
        if kind == "lit":
            return _W(type(node[1]), value=node[1])
        if kind == "name":
            t = self.env[node[1]]
            if isinstance(t, tuple):  # (dtype, size == 1)
                supported(t[0], f"operand {node[1]!r}")
                return _V(self.slot(node[1], t[0], False), t[0], t[1])
            return _W(t, name=node[1])
        if kind == "where":
            return self.where(*[self.gen(a) for a in node[2]])
        args = [self.gen(a) for a in node[2]]
        name = node[1]
        if all(isinstance(a, _W) for a in args) and any(a.name for a in args):
            # Python scalar variables only: computed in their NumPy dtype.
            args = [_V(self.emit(a, np.result_type(_WEAK_REP[a.py])),
                       np.result_type(_WEAK_REP[a.py])) for a in args]
        uf = _TABLE[name].ufunc if kind == "fn" else getattr(np, name)
        try:
            loop = [np.dtype(t) for t in uf.resolve_dtypes(
                tuple(self.tp(a) for a in args) + (None,))]
        except (TypeError, ValueError) as exc:
            raise _err(f"{name} is not supported for {' and '.join(self.desc(a) for a in args)}: "
                       f"{exc}", TypeError) from None
        for dt in loop:
            supported(dt, f"in {name}")
        ins, out = loop[:-1], loop[-1]
        codes = [self.emit(a, dt) for a, dt in zip(args, ins)]
        if kind == "fn" and name not in _CMP_C:  # less(a, b) is a < b, as an operator
            return self.call(name, codes, ins, out)
        return _V(self.operator(name, codes, ins, out, args), out)

    def call(self, name, codes, ins, out):
        dt = ins[0]
        if dt.kind != "f" or any(d != dt for d in ins) or out not in (dt, _BOOL):
            raise _err(f"{name} on {', '.join(map(str, ins))} is not supported: the table's "
                       "scalar functions take float32 or float64", TypeError)
        self.cost += _TABLE[name].cost
        self.fns.add(name)
        return _V(_node("fn", out, codes, name), out)

    def operator(self, name, c, ins, out, args):
        if name in _CMP_C:
            if ins[0] != ins[1]:  # uint64 against int64: exact, like NumPy 2
                return _node("cmpus" if ins[0].kind == "u" else "cmpsu", out, c, name)
            return _node("cmp", out, c, name)
        if out == _BOOL:
            if name == "invert":
                return _node("not", out, c)
            sym = {"add": "or", "multiply": "and", "bitwise_and": "and",
                   "bitwise_or": "or"}.get(name)
            if sym is None and name == "positive":
                return c[0]
            if sym is None:
                raise _err(f"{name} on booleans is not supported", TypeError)
            return _node("bool2", out, c, sym)
        if name in _ARITH_C:
            return _node("arith", out, c, name)
        fam = {"true_divide": "div", "negative": "neg", "invert": "inv"}.get(name)
        if fam:
            return _node(fam, out, c)
        if name == "positive":
            return c[0]
        if name == "remainder":
            self.cost += 2
            return _node("rem", out, c)
        if name == "power":
            self.cost += 4
            if out.kind == "f":
                # the table has power (ops.def): cw_power_<suf>
                scalar = isinstance(args[1], _W) or args[1].scalar
                self.fns.add("power")
                return _node("spow" if scalar else "fpow", out, c)
            self.uses_err = True
            return _node("ipow", out, c)
        raise AssertionError(name)

    def where(self, c, x, y):
        cond = self.emit(c, _BOOL)   # a cast to bool is != 0
        rep = [v.dt if isinstance(v, _V) else (v.value if v.value is not None else _WEAK_REP[v.py])
               for v in (x, y)]
        dt = supported(np.result_type(*rep), "in where")
        return _V(_node("where", dt, (cond, self.emit(x, dt), self.emit(y, dt))), dt)

    # C source
    def source(self, store, layout):
        """(C source, cdef) of the module for output dtype ``store`` and
        ``layout`` ("n", or "c"/"s" per operand slot; see _cgen)."""
        return _cgen.elementwise([_CTYPES[dt][0] for _, dt, _ in self.slots],
                                 _CTYPES[store][0],
                                 c_code(_cast(self.root.code, store)), layout,
                                 err_status=self.err_status(),
                                 flag_pass=bool(self.fns & _LIBMVEC))

    def err_status(self):
        st = (("CW_EINTPOW",) if self.uses_err else ()) + (("CW_ETRIG",) if self.fns & _TRIG else ())
        return st or None

    def module(self, store, layout):
        key = (store, layout)
        m = self._modules.get(key)
        if m is None:
            src, cdef = self.source(store, layout)
            m = self._modules[key] = _compiler.compiled(src, cdef, "evaluate", "expression")
        return m


# ---- the call ----------------------------------------------------------------

_own_vmath = lib.cw_get_vmath   # 1: cw.set_vmath("own")
_ETRIG = lib.CW_ETRIG
_parsed = {}
_plans = {}
_CACHE_MAX = 4096
_ndarray = np.ndarray


def _plan(p, sig):
    # no compiler (or COREWISE_EVAL=interp): the block interpreter (_interp);
    # so too a plan calling one of _VMATH_OWN with the own vector math on
    interp = _interp.use_interp()
    own = not interp and _own_vmath()
    key = (p.text, sig, interp, own)
    plan = _plans.get(key)
    if plan is None:
        plan = Plan(p, sig)
        if own and plan.fns & _VMATH_OWN:
            interp = True
        plan.rerun = not interp and bool(plan.fns & (_TRIG | _LIBMVEC))
        plan.slot_idx = tuple(p.names.index(name) for name, _, _ in plan.slots)
        plan.fast = None
        plan.interp = interp
        if plan.slots and not any(weak for _, _, weak in plan.slots):
            plan.fast = _interp_fast_call(plan) if plan.interp else _fast_call(plan)
        if len(_plans) >= _CACHE_MAX:
            _plans.clear()
        _plans[key] = plan
    return plan


def evaluate(ex, local_dict=None, out=None):
    """Evaluate an element-wise expression over arrays in one fused pass.

    ``ex`` is a string in a numexpr-compatible subset of Python: numbers,
    names, ``+ - * / ** %`` and unary ``-``, comparisons, ``& | ~`` (on
    booleans: logical; on integers: bitwise), ``where(c, x, y)`` and the
    functions of corewise's operation table (``corewise.evaluate_functions``).
    Names are looked up in ``local_dict`` (default: the caller's local
    variables), then in the caller's globals; each must be an array, a NumPy
    scalar or a Python number.

    The result is what NumPy gives for the same expression -- broadcasting,
    dtype promotion (Python numbers are "weak", NEP 50), ``/`` as true
    division, ``%`` with the sign of the divisor, ``**`` as ``np.power`` --
    computed by one generated C function with an OpenMP loop: one pass over
    memory, no temporaries.  The first call of an expression with given
    operand dtypes compiles it (about a second; needs a C compiler) and
    caches the module in memory and on disk (``$COREWISE_CACHE_DIR``, else
    ``~/.cache/corewise``); later calls cost a few microseconds more than
    the loop.  Without a C compiler the same typed expression runs in
    corewise's block interpreter (same results, one warning per process;
    ``COREWISE_EVAL=interp`` chooses it silently, ``=jit`` insists on
    compiling).  ``out``: an ndarray written in place (the result broadcasts
    to its shape and is cast with 'same_kind'); returned.  Floating-point
    errors are reported per ``np.errstate`` as "... encountered in evaluate".
    Anything outside the syntax is refused with ValueError naming the
    offending part; the string is never executed.
    """
    p = _parsed.get(ex) if type(ex) is str else None
    if p is None:
        p = parse(ex)
        if len(_parsed) >= _CACHE_MAX:
            _parsed.clear()
        _parsed[ex] = p
    vals, sig = [], []
    if p.names:
        f = sys._getframe(1)
        loc = f.f_locals if local_dict is None else local_dict
        glob = f.f_globals
        env = {}
        for name in p.names:
            try:
                env[name] = loc[name]
            except KeyError:
                try:
                    env[name] = glob[name]
                except KeyError:
                    raise NameError(f"corewise.evaluate: name {name!r} is not defined") from None
        if any(map(is_dask_array, env.values())):
            return dask_evaluate(ex, env, out)
        for v in env.values():
            t = type(v)
            if t is float or t is int or t is bool:
                vals.append(v)
                sig.append(t)
                continue
            a = v if t is _ndarray else as_input(_Who, v)
            if not a.dtype.isnative:
                a = a.astype(a.dtype.newbyteorder("="))
            elif not a.flags.aligned:
                # the generated C loads typed elements: from a view at an odd
                # byte offset that is undefined behaviour (UBSan) -- copy it
                a = a.copy()
            vals.append(a)
            sig.append((a.dtype, a.size == 1))
    plan = _plan(p, tuple(sig))
    if plan.fast is not None:
        # Fast path: same-shape C-contiguous arrays, out= absent or exact.
        arrays = [vals[i] for i in plan.slot_idx]
        shape = arrays[0].shape
        for a in arrays:
            if a.shape != shape or not a.flags.c_contiguous:
                break
        else:
            if out is None:
                y = _empty(shape, plan.res_dt)
                rc = plan.fast(shape, arrays, y)
                if rc:
                    check(rc, "evaluate")
                return y if y.ndim else y[()]
            if type(out) is _ndarray and out.shape == shape and out.dtype == plan.res_dt:
                f = out.flags
                if f.c_contiguous and f.writeable and f.aligned and not any(
                        _shares(a, out) and (plan.rerun or (
                            a is not out and needs_input_copy(a, out)))
                        for a in arrays):
                    rc = plan.fast(shape, arrays, out)
                    if rc:
                        check(rc, "evaluate")
                    return out
    arrays = [np.asarray(vals[i], dtype=dt) if weak else vals[i]
              for i, (_, dt, weak) in zip(plan.slot_idx, plan.slots)]
    try:
        shape = np.broadcast_shapes(*[a.shape for a in arrays])
    except ValueError:
        raise _err("operands could not be broadcast together with shapes "
                   + " ".join(str(a.shape) for a in arrays)) from None
    res_dt = plan.res_dt
    if out is None:
        target = y = _empty(shape, res_dt)
    else:
        out, y = check_out(_Who, out, shape, res_dt)
        shape = y.shape
        if y.dtype in _CTYPES and y.flags.aligned and not internal_overlap(y):
            target = y
            # Partial overlap with out: read the input first, as NumPy does;
            # any overlap where the call may run twice (Plan.rerun)
            arrays = [a.copy() if (needs_input_copy(a, y) if a.shape == shape and not plan.rerun
                                   else _shares(a, y)) else a for a in arrays]
        else:
            target = _empty(shape, res_dt)
    n = target.size
    if n:
        _run(plan, arrays, target, shape, n)
    if out is not None:
        if target is not y:
            np.copyto(y, target, casting="unsafe")
        return out
    return y[()] if y.ndim == 0 else y


_empty = np.empty
_shares = np.may_share_memory


def _fast_call(plan):
    """The call for all operands C-contiguous of the result's shape
    (compiles lazily, on the first such call)."""
    lay = ("c",) * len(plan.slots)
    res_dt, cost = plan.res_dt, plan.cost
    state = []

    def call(shape, arrays, y):
        if not state:
            state[:] = plan.module(res_dt, lay)  # atomic; racing threads agree
        n = y.size
        if n == 0:
            return 0
        ffi, clib = state
        fb = ffi.from_buffer
        if any(a.size == 1 for a in arrays):  # a size-1 array is a scalar layout
            return _run(plan, arrays, y, shape, n) or 0
        rc = clib.cw_eval(_DRIVER, cost, n, *[fb(a) for a in arrays], fb(y))
        if rc & _ETRIG:
            return _interp.run(plan, arrays, y, shape, n) or 0
        return rc
    return call


def _interp_fast_call(plan):
    run, flat = _interp.run, _interp.run_contiguous

    def call(shape, arrays, y):
        if y.size:
            if any(a.size == 1 for a in arrays):  # a size-1 array is a scalar layout
                run(plan, arrays, y, shape, y.size)
            else:
                flat(plan, arrays, y)
        return 0
    return call


def _run(plan, arrays, target, shape, n):
    if plan.interp:
        return _interp.run(plan, arrays, target, shape, n)
    store = target.dtype
    if target.flags.c_contiguous and all(
            a.size == 1 or (a.shape == shape and a.flags.c_contiguous) for a in arrays):
        lay = tuple("s" if a.size == 1 else "c" for a in arrays)
        ffi, clib = plan.module(store, lay)
        fb = ffi.from_buffer
        rc = clib.cw_eval(_DRIVER, plan.cost, n, *[fb(a) for a in arrays], fb(target))
        return _checked(rc, plan, arrays, target, shape, n)
    strides = [a.strides if a.shape == shape else np.broadcast_to(a, shape).strides
               for a in arrays]
    cshape, *cst = collapse(shape, *strides, target.strides)
    isz = [a.itemsize for a in arrays]
    if len(cshape) == 1 and cst[-1][0] == target.itemsize and all(
            s[0] in (0, i) for s, i in zip(cst, isz)):
        lay = tuple("s" if s[0] == 0 else "c" for s in cst[:-1])
        ffi, clib = plan.module(store, lay)
        cast = ffi.cast
        rc = clib.cw_eval(_DRIVER, plan.cost, n,
                          *[cast("char *", addr(a)) for a in arrays + [target]])
        return _checked(rc, plan, arrays, target, shape, n)
    ffi, clib = plan.module(store, "n")
    ptrs = ffi.new("char *[]", [ffi.cast("char *", addr(a)) for a in arrays + [target]])
    flat = [s for row in cst for s in row]
    rc = clib.cw_eval(_DRIVER, plan.cost, len(cshape), ffi.new("ptrdiff_t[]", cshape),
                      ffi.new("ptrdiff_t[]", flat), ptrs)
    _checked(rc, plan, arrays, target, shape, n)


def _checked(rc, plan, arrays, target, shape, n):
    """A JIT call's status: CW_ETRIG (a sin/cos/tan lane with a huge
    argument, cw_eval.h) runs the call again on the block interpreter, which
    computes those lanes right and the others bitwise as the JIT (the inputs
    are intact: Plan.rerun plans never run in place); else check()."""
    if rc & _ETRIG:
        return _interp.run(plan, arrays, target, shape, n)
    return check(rc, "evaluate")
