"""The operation table and NumPy type resolution: one Op per row of the C
table (csrc/ops.def), NumPy's second names for some of them (ALIASES), and
how a call's operand types map to a native loop -- NumPy's own
``ufunc.resolve_dtypes`` decides, cached per op and operand types."""
import numpy as np

from ._args import KIND_NAMES
from ._complex import COMPLEX, complex_loop
from ._lib import cstr, lib

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_I32 = np.dtype(np.int32)
_I64 = np.dtype(np.int64)
_BOOL = np.dtype(np.bool_)
_C64 = np.dtype(np.complex64)
_C128 = np.dtype(np.complex128)
# kinds without a native loop (complex has its own, _complex)
_NO_NATIVE_KINDS = frozenset(KIND_NAMES) - {"c"}
_U64 = np.dtype(np.uint64)
_F16 = np.dtype(np.float16)
_NARROW_SIGNED = (np.dtype(np.int8), np.dtype(np.int16))
#: The row kinds of the C table (cw_row_kind), by code.
KINDS = {lib.CW_KUNARY: "unary", lib.CW_KBINARY: "binary", lib.CW_KPREDICATE: "predicate",
         lib.CW_KCOMPARE: "compare", lib.CW_KINTOP: "intop", lib.CW_KLOGICAL: "logical",
         lib.CW_KNUMPY: "numpy", lib.CW_KMULTI: "multi"}
#: The kinds of the math family: float loops, computed by the fast and
#: general paths, the block interpreter and the JIT (corewise.evaluate)
MATH_KINDS = frozenset(("unary", "binary", "predicate", "compare"))
#: The C loop code of each native loop dtype.
LOOP_CODE = {_F32: lib.CW_F32, _F64: lib.CW_F64, _I32: lib.CW_I32, _I64: lib.CW_I64,
             _C64: lib.CW_C64, _C128: lib.CW_C128}
# Integer/bool loop dtypes NumPy may pick, and the native width that holds
# them exactly (results are cast back, so wrap-around matches NumPy's).
# uint64 has no exact native twin: such calls are left to NumPy.
_INT_LOOP = {np.dtype(t): (_I32 if np.dtype(t).itemsize < 4 or t is np.int32 else _I64)
             for t in (np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32,
                       np.uint32, np.int64)}


_DT_OF_CODE = {lib.CW_F32: _F32, lib.CW_F64: _F64, lib.CW_I32: _I32, lib.CW_I64: _I64}


def _mloops():
    """The CW_MLOOP loops of the CW_MULTI rows: {row name: {operand loop
    dtypes: loop index}}."""
    rows = {}
    for i in range(lib.cw_mloop_count()):
        info = lib.cw_mloop_get(i)
        sig = tuple(_DT_OF_CODE[info.types[k]] for k in range(info.nops))
        rows.setdefault(cstr(info.name), {})[sig] = i
    return rows


_MLOOPS = _mloops()


class Op:
    """One row of the C operation table (csrc/ops.def)."""

    __slots__ = ("id", "name", "doc", "nin", "nout", "cost", "max_ulp", "max_ulp_f32",
                 "int_loops", "bool_out", "kind", "float_loops", "dtype_flags", "fpe", "ufunc",
                 "_types", "complex", "mloops")

    def __init__(self, op_id):
        info = lib.cw_op_get(op_id)
        self.id = op_id
        self.name = cstr(info.name)
        self.doc = cstr(info.doc)
        self.nin = info.nin
        self.nout = info.nout
        self.kind = KINDS[info.kind]         # the row macro of ops.def
        self.float_loops = bool(info.float_loops)
        self.dtype_flags = info.dtype_flags  # cw_dtype_flags
        self.cost = info.cost
        self.max_ulp = info.max_ulp          # float64
        self.max_ulp_f32 = info.max_ulp_f32
        self.int_loops = bool(info.int_loops)
        self.bool_out = bool(info.bool_out)
        self.fpe = info.fpe                  # cw_fpe_policy (CW_VMATH: libmvec's loops)
        self.ufunc = getattr(np, self.name)  # NumPy's twin: the type oracle
        self._types = {}
        # the row's complex loops (CW_COMPLEX rows; _complex.py), or None
        self.complex = COMPLEX.get(self.name)
        # a CW_MULTI row's loops: {operand loop dtypes: loop index}
        self.mloops = _MLOOPS.get(self.name, {}) if self.kind == "multi" else None

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


def _native(op, dt, int_loops):
    """The native loop dtype that computes NumPy's loop dtype ``dt`` for
    this row (a wider one for the small integers, float32 for float16,
    as the row's flags allow), or None: NumPy's own loop."""
    fl = op.dtype_flags
    if dt == _F64:
        return _F64
    if dt == _F16 and fl & lib.CW_FL_NOHALF:
        return None  # float16 steps (nextafter, spacing): NumPy's own loop
    if dt == _F32 or dt == _F16:
        # float16 is computed in float32 and rounded once, exactly as
        # NumPy's own half-precision loops do.
        return _F32
    if dt.kind == "f" or not int_loops:
        return None  # longdouble: NumPy's own loop
    if dt == _U64 and fl & lib.CW_FL_U64:
        return _I64  # the same bits (bitwise ops, truth values)
    if dt == _BOOL and fl & lib.CW_FL_NOBOOL or dt in _NARROW_SIGNED and fl & lib.CW_FL_NONARROW:
        return None
    # None: e.g. floor/sign/fmod of integers: NumPy's own loop
    return _INT_LOOP.get(dt)


def _resolve_multi(op, key):
    """A CW_MULTI row: (loop index, operand loop dtypes, NumPy's input
    dtypes, NumPy's output dtypes), or None (NumPy's own)."""
    try:
        dts = [np.dtype(d) for d in op.ufunc.resolve_dtypes(key + (None,) * op.nout)]
    except TypeError:
        return None  # NumPy's own call decides (its result or its error)
    # integer operands of a mixed row (frexp's exponent) map as themselves;
    # those of a same-dtype row only where it has integer loops
    ints = op.int_loops or len(set(dts)) > 1
    sig = tuple(_native(op, d, ints) for d in dts)
    loop = op.mloops.get(sig)
    if loop is None:
        return None
    return loop, sig, tuple(dts[:op.nin]), tuple(dts[op.nin:])


def _resolve(op, key):
    # no native loop (None) -> NumPy's own ufunc computes the call, with its
    # own results and errors: object/string/datetime/... kinds,
    # longdouble, and whatever NumPy has no loop for (it raises then)
    if any(getattr(dt, "kind", "f") in _NO_NATIVE_KINDS for dt in key):
        return None
    if op.kind == "multi":
        return _resolve_multi(op, key)
    try:
        dts = op.ufunc.resolve_dtypes(key + (None,))
    except TypeError:
        # no loop for exactly these types (resolve_dtypes is stricter than a
        # call, which may cast: gcd of bools runs int8's): NumPy's own call
        # decides -- its result, or its TypeError naming the function
        return None
    ins, res = [np.dtype(d) for d in dts[:-1]], np.dtype(dts[-1])
    dt = ins[0]
    if any(d != dt for d in ins) or op.kind == "numpy":
        return None  # a mixed loop (e.g. int64 < uint64): NumPy's own
    if dt.kind == "c":
        return complex_loop(op.complex, dt, tuple(ins), res)
    if dt.kind == "f" and not op.float_loops:
        return None  # NumPy's own (which has no loop either: its error)
    loop = _native(op, dt, op.int_loops)
    if loop is None:
        return None
    return loop, (_BOOL if op.bool_out else loop), tuple(ins), res


#: Every operation of the C table, in table order.
OPS = tuple(Op(i) for i in range(lib.cw_op_count()))
#: The math family's rows (MATH_KINDS): the float rows every path computes;
#: the table-parametrised tests of that family iterate over these.
MATH_OPS = tuple(op for op in OPS if op.kind in MATH_KINDS)
#: NumPy's second names (abs, true_divide), from the table's CW_ALIAS rows.
ALIASES = {cstr(lib.cw_alias_get(i, 0)): cstr(lib.cw_alias_get(i, 1))
           for i in range(lib.cw_alias_count())}
