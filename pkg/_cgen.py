"""The C skeleton of a run-time compiled element-wise kernel.

A kernel is an element function -- ``static inline`` C computing one output
element from one element of each input -- wrapped in the skeleton that every
such kernel shares, emitted here for one layout class:

- ``cw_ctx``, the context of one call: the operands' base pointers (inputs,
  then the output), the n-d iteration space, the error flag;
- the per-run loop, in vector runs of ``CW_E_BLK`` elements, the last one
  padded, so that every element goes through the same vector code
  (``_vec_runs``): for the n-d layout ``cw_run`` over one run of the
  innermost dimension, gathering elements with ``memcpy`` through byte
  strides (any alignment, any stride) into buffers for ``cw_vec`` and
  scattering its results; for the contiguous layout ``cw_loop`` over typed
  pointers (an input is a contiguous array 'c' or a size-1 scalar 's' read
  once); both ``#pragma GCC ivdep`` and ``CW_DISPATCH`` (target clones), so
  the compiler vectorises the element function;
- ``cw_block``, the work over the flat elements [lo, hi) that the parallel
  driver hands one thread: through ``cw_nd_walk`` (csrc/cw_eval.h) for the
  n-d layout, by offsetting the pointers for the contiguous one;
- the exported entry ``cw_eval``, which fills the context and runs
  ``cw_block`` on the package's parallel driver (``cw_parallel_run``, passed
  in as the address ``cw_parallel_driver()`` returns, so the module needs no
  link against corewise's extension).

Entry points (``cdef`` is returned with the source)::

    n-d:        int cw_eval(uintptr_t driver, int cost, int ndim,
                            const ptrdiff_t *shape, const ptrdiff_t *strides,
                            char **pointers)
    contiguous: int cw_eval(uintptr_t driver, int cost, ptrdiff_t n,
                            char *p0, ..., char *pN)

``strides`` holds ndim byte strides per operand, operand after operand;
pointers and strides list the inputs, then the output.  The return value is
the driver's status, or'ed with the error flag's status code when an element
set the flag.

The skeleton is written over lists of operands, so kernels with other
operand kinds (several outputs, the loop index, whole-array parameters) are
new cases of the loads, stores and element-function call below, not a new
skeleton.  The output is compiled by _compiler.
"""

# The includes of every kernel: cw_internal.h (the driver's types,
# CW_DISPATCH), cw_scalar.h (the table's element functions), cw_eval.h (the
# NumPy-semantics helpers and cw_nd_walk).  CW_EVAL_JIT tells the headers they
# are compiled into a run-time module.
_PRELUDE = ["#define CW_EVAL_JIT 1", "#include <stddef.h>", "#include <stdint.h>",
            "#include <string.h>", "#include <math.h>", '#include "cw_internal.h"',
            '#include "cw_scalar.h"', '#include "cw_eval.h"', ""]

_CDEF_ND = "int cw_eval(uintptr_t, int, int, const ptrdiff_t *, const ptrdiff_t *, char **);"


def elementwise(ins, out, expr, layout, err_status=None, flag_pass=False):
    """The C source and the cdef of one element-wise kernel.

    ``ins``: the inputs' C element types, in order (the element function's
    parameters are ``x0``, ``x1``, ...); ``out``: the output's C element
    type; ``expr``: a C expression of the parameters, the output element;
    ``layout``: ``"n"`` (every operand n-d strided) or a tuple with ``"c"``
    (contiguous) or ``"s"`` (size-1 scalar) per input, the output then being
    contiguous; ``err_status``: None, or the names of the status codes
    (``"CW_EINTPOW"``, ``"CW_ETRIG"``) that the call returns when an element
    set their bit of the error flag (csrc/cw_eval.h) -- the element function
    then has a last parameter ``cw_e_flags *err``, a local of the loop that the
    loop ors into the call's flag at its end (so the loop still vectorises).
    ``flag_pass``: the expression calls libmvec, whose FP flags are not
    IEEE's (a spurious invalid for exp(inf), some missed): a stretch of the
    loop that raised one is run again, scalar, to re-derive them (_stretches).
    """
    ins = tuple(ins)
    nptr = len(ins) + 1
    if layout != "n" and (len(layout) != len(ins) or not set(layout) <= {"c", "s"}):
        raise ValueError(f"layout {layout!r} for {len(ins)} inputs")
    lines = _PRELUDE + _element_function(ins, out, expr, err_status)
    if flag_pass:  # the flag pass's element function: where() evaluates both sides
        lines += (["#undef CW_E_WHERE", "#define CW_E_WHERE CW_E_WHERE_BOTH"]
                  + _element_function(ins, out, expr, err_status, "cw_expr_f"))
    lines.append("typedef __typeof__(&cw_parallel_run) drv_t;")
    if layout == "n":
        lines += _nd(ins, out, err_status, flag_pass)
        cdef = _CDEF_ND
    else:
        lines += _contiguous(ins, out, layout, err_status, flag_pass)
        cdef = f"int cw_eval(uintptr_t, int, ptrdiff_t{', char *' * nptr});"
    return "\n".join(lines) + "\n", cdef


def _element_function(ins, out, expr, err_status, name="cw_expr"):
    params = [f"{t} x{k}" for k, t in enumerate(ins)]
    lines = []
    if err_status:
        params.append("cw_e_flags *err")
        lines.append("    (void)err;")
    return ([f"static inline {out} {name}({', '.join(params) or 'void'})", "{"]
            + lines + [f"    return {expr};", "}", ""])


def _call(values, err_arg, err_status, name="cw_expr"):
    """The element function called on ``values`` (C expressions)."""
    return f"{name}({', '.join(values + ([err_arg] if err_status else []))})"


def _ctx(nptr, fields, err_status):
    err = " int err;" if err_status else ""
    return f"typedef struct {{ char *p[{nptr}];{fields}{err} }} cw_ctx;"


_ERR_BIT = {"CW_EINTPOW": "CW_E_ERR_INTPOW", "CW_ETRIG": "CW_E_ERR_TRIG"}


def _entry(params, fill, err_status):
    """cw_eval: the context filled by ``fill``, the driver run over cw_block."""
    lines = [f"int cw_eval(uintptr_t driver, int cost, {params})", "{",
             "    drv_t drv = (drv_t)driver;"] + fill
    if err_status:
        ret = " | ".join(f"(c.err & {_ERR_BIT[st]} ? {st} : 0)" for st in err_status)
        return lines + ["    int rc = drv(n, cost, cw_block, &c);",
                        f"    return rc | {ret};", "}"]
    return lines + ["    return drv(n, cost, cw_block, &c);", "}"]


_ERR_FLUSH = ("    const int eb = cw_e_flag_bits(&e);\n"
              "    if (eb) __atomic_fetch_or({}, eb, __ATOMIC_RELAXED);")


def _typed_loads(types, layout, ptrs, offset, index):
    """The contiguous layout's inputs (C ``types``): a size-1 input ("s")
    read once, a contiguous one ("c") as a typed pointer at ``ptrs[k]`` +
    ``offset``.  Returns (C lines, the element values at ``index``)."""
    if len(layout) != len(types) or not set(layout) <= {"c", "s"}:
        raise ValueError(f"layout {layout!r} for {len(types)} inputs")
    lines, vals = [], []
    for k, (t, lay) in enumerate(zip(types, layout)):
        if lay == "s":
            lines.append(f"    const {t} v{k} = *(const {t} *){ptrs}[{k}];")
            vals.append(f"v{k}")
        else:
            lines.append(f"    const {t} *v{k} = (const {t} *){ptrs}[{k}]{offset};")
            vals.append(f"v{k}[{index}]")
    return lines, vals


# Every element goes through the same vector code whatever its position,
# the array's length, layout or the thread count (as the package's own loops,
# csrc/kernels.c's CW_BLK, and the interpreter's, csrc/interp.c's
# CW_I_RUNS): runs of CW_E_BLK elements with a constant trip count, the
# last partial run padded with copies of its first element (no new FP
# flag).  A remainder loop of GCC's would call scalar libm, whose last bit
# may differ from libmvec's vector functions (it did, for sin on 9% of
# strided inputs and on the tails of short arrays).

def _vec_runs(ins, out, values, err_status):
    """A CW_E_BLK loop of the element function into ``yv`` at index ``i``."""
    return ["#pragma GCC ivdep", "        for (int i = 0; i < CW_E_BLK; i++)",
            f"            yv[i] = {_call(values, '&e', err_status)};"]


# The FP flags of an expression calling libmvec (the CW_VMATH rows): as the
# package's own loops do (csrc/kernels.c, call()), each stretch of
# CW_E_STRETCH elements starts with clear flags, and one whose vector code
# raised a reported flag is evaluated again by a scalar loop (a volatile
# sink keeps it scalar, so libm's scalar functions run, whose flags are
# IEEE's and NumPy's), whose flags replace the stretch's.  The results are
# the vector code's.  Every subexpression's flags count, as in NumPy's
# eager evaluation (where(x > 700, 1.0, exp(x)) overflows), so the pass
# cannot skip elements by their result the way the package's flag pass does.

def _stretches(nptr, sig, offsets, inner, flags):
    """``cw_stretches`` (parameters ``sig``: n, the pointers p, ...): the
    call ``inner`` (the vector loop) over stretches of [0, n), the call
    ``flags`` (the scalar loop) after one that raised a flag -- both C
    calls of the stretch's m elements at the pointers q; ``offsets[k]``:
    the C offset of operand k's pointer at element ``off``."""
    lines = [f"static void cw_stretches({sig})", "{",
             "    int prev = fetestexcept(CW_FE_REPORTED);",
             "    for (ptrdiff_t off = 0; off < n; off += CW_E_STRETCH) {",
             "        const ptrdiff_t m = n - off < CW_E_STRETCH ? n - off : CW_E_STRETCH;",
             f"        char *q[{nptr}];"]
    lines += [f"        q[{k}] = p[{k}]{off};" for k, off in enumerate(offsets)]
    lines += ["        cw_fe_clear();", f"        {inner};",
              "        if (fetestexcept(CW_FE_REPORTED)) {",
              "            feclearexcept(CW_FE_REPORTED);", f"            {flags};",
              "        }", "        prev |= fetestexcept(CW_FE_REPORTED);", "    }",
              "    if (prev)", "        feraiseexcept(prev);", "}"]
    return lines


def _flag_loop(name, sig, loads, values, out, err_status):
    """The scalar loop of the flag pass (results thrown away)."""
    lines = [f"static void {name}({sig})", "{"] + loads
    if err_status:
        lines.append("    cw_e_flags e = {0};")
    lines += [f"    volatile {out} sink;", "    for (ptrdiff_t i = 0; i < n; i++)",
              f"        sink = {_call(values, '&e', err_status, 'cw_expr_f')};", "    (void)sink;", "}"]
    return lines


def _nd(ins, out, err_status, flag_pass=False):
    nin, nptr = len(ins), len(ins) + 1
    err_init = " c.err = 0;" if err_status else ""
    params = ([f"const {t} *restrict b{k}" for k, t in enumerate(ins)] + [f"{out} *restrict yv"]
              + (["cw_e_flags *err"] if err_status else []))
    lines = [_ctx(nptr, " const ptrdiff_t *shape; const ptrdiff_t *st; int ndim;", err_status),
             # one padded run of gathered elements, vectorised
             f"CW_DISPATCH static void cw_vec({', '.join(params)})", "{"]
    if err_status:
        lines.append("    cw_e_flags e = {0};")
    lines += [ln[4:] if ln.startswith("    ") else ln
              for ln in _vec_runs(ins, out, [f"b{k}[i]" for k in range(nin)], err_status)]
    if err_status:
        lines.append("    cw_e_flag_join(err, &e);")
    lines += ["}",
              "static void cw_run(ptrdiff_t n, char **p, const ptrdiff_t *s, void *v)", "{",
              "    cw_ctx *c = (cw_ctx *)v;" if err_status else "    (void)v;"]
    if err_status:
        lines.append("    cw_e_flags e = {0};")
    lines += ["    for (ptrdiff_t i0 = 0; i0 < n; i0 += CW_E_BLK) {",
              "        const ptrdiff_t r = n - i0 < CW_E_BLK ? n - i0 : CW_E_BLK;"]
    lines += [f"        {t} b{k}[CW_E_BLK];" for k, t in enumerate(ins)]
    lines += [f"        {out} yv[CW_E_BLK];",
              "        for (int j = 0; j < CW_E_BLK; j++) {",
              "            const ptrdiff_t k = i0 + (j < r ? j : 0);"]
    lines += [f"            memcpy(&b{k}[j], p[{k}] + k * s[{k}], sizeof b{k}[j]);"
              for k in range(nin)]
    lines += ["        }",
              f"        cw_vec({''.join(f'b{k}, ' for k in range(nin))}yv{', &e' if err_status else ''});",
              "        for (ptrdiff_t j = 0; j < r; j++)",
              f"            memcpy(p[{nin}] + (i0 + j) * s[{nin}], &yv[j], sizeof yv[j]);", "    }"]
    if err_status:
        lines.append(_ERR_FLUSH.format("&c->err"))
    lines.append("}")
    run = "cw_run"
    if flag_pass:
        sig = "ptrdiff_t n, char **p, const ptrdiff_t *s, void *v"
        vals = []
        loads = ["    (void)v;"]
        for k, t in enumerate(ins):
            loads.append(f"    const char *r{k} = p[{k}];")
            vals.append(f"cw_e_ld_{k}(r{k} + i * s[{k}])")
        lines += [f"static inline {t} cw_e_ld_{k}(const char *a) {{ {t} v; memcpy(&v, a, sizeof v); return v; }}"
                  for k, t in enumerate(ins)]
        lines += _flag_loop("cw_flags", sig, loads, vals, out, err_status)
        lines += _stretches(nptr, sig, [f" + off * s[{k}]" for k in range(nptr)],
                            "cw_run(m, q, s, v)", "cw_flags(m, q, s, v)")
        run = "cw_stretches"
    lines += ["static void cw_block(ptrdiff_t lo, ptrdiff_t hi, void *v)", "{",
              "    cw_ctx *c = (cw_ctx *)v;",
              f"    cw_nd_walk(lo, hi, c->ndim, c->shape, {nptr}, c->p, c->st, {run}, c);",
              "}"]
    fill = ["    ptrdiff_t n = 1;",
            "    for (int d = 0; d < ndim; d++) n *= shape[d];",
            "    cw_ctx c;", f"    for (int k = 0; k < {nptr}; k++) c.p[k] = p[k];",
            f"    c.shape = shape; c.st = st; c.ndim = ndim;{err_init}"]
    params = "int ndim, const ptrdiff_t *shape, const ptrdiff_t *st, char **p"
    return lines + _entry(params, fill, err_status)


def _contiguous(ins, out, layout, err_status, flag_pass=False):
    nin, nptr = len(ins), len(ins) + 1
    err_param = ", int *err" if err_status else ""
    lines = [_ctx(nptr, "", err_status),
             f"CW_DISPATCH static void cw_loop(ptrdiff_t n, char **p{err_param})", "{"]
    loads, values = _typed_loads(ins, layout, "p", "", "i")
    lines += loads + [f"    {out} *y = ({out} *)p[{nin}];"]
    if err_status:
        lines.append("    cw_e_flags e = {0};")
    # a size-1 input as a vector too (not loop-invariant: GCC would hoist a
    # function of it out of the loop, into one scalar libm call)
    for k, (t, lay) in enumerate(zip(ins, layout)):
        if lay == "s":
            lines += [f"    {t} s{k}[CW_E_BLK];",
                      f"    for (int j = 0; j < CW_E_BLK; j++) s{k}[j] = v{k};"]
    values = [v.replace("[i]", "[i0 + i]") if lay == "c" else f"s{k}[i]"
              for k, (v, lay) in enumerate(zip(values, layout))]
    lines += ["    ptrdiff_t i0 = 0;",
              "    for (; i0 + CW_E_BLK <= n; i0 += CW_E_BLK) {",
              f"        {out} *yv = y + i0;"]
    lines += _vec_runs(ins, out, values, err_status)
    lines += ["    }", "    if (i0 < n) {", "        const ptrdiff_t r = n - i0;"]
    for k, (t, lay) in enumerate(zip(ins, layout)):
        if lay == "c":
            lines += [f"        {t} b{k}[CW_E_BLK];",
                      "        for (int j = 0; j < CW_E_BLK; j++)",
                      f"            b{k}[j] = v{k}[i0 + (j < r ? j : 0)];"]
    lines.append(f"        {out} yv[CW_E_BLK];")
    lines += _vec_runs(ins, out, [f"b{k}[i]" if lay == "c" else f"s{k}[i]"
                                  for k, lay in enumerate(layout)], err_status)
    lines += ["        memcpy(y + i0, yv, (size_t)r * sizeof yv[0]);", "    }"]
    if err_status:
        lines.append(_ERR_FLUSH.format("err"))
    lines.append("}")
    run = "cw_loop"
    if flag_pass:
        sig = "ptrdiff_t n, char **p" + err_param
        loads, vals = _typed_loads(ins, layout, "p", "", "i")
        lines += _flag_loop("cw_flags", "ptrdiff_t n, char **p", loads, vals, out, err_status)
        offs = ["" if lay == "s" else f" + off * (ptrdiff_t)sizeof({t})"
                for t, lay in zip(ins, layout)] + [f" + off * (ptrdiff_t)sizeof({out})"]
        lines += _stretches(nptr, sig, offs, f"cw_loop(m, q{', err' if err_status else ''})",
                            "cw_flags(m, q)")
        run = "cw_stretches"
    lines += ["static void cw_block(ptrdiff_t lo, ptrdiff_t hi, void *v)", "{",
              "    cw_ctx *c = (cw_ctx *)v;", f"    char *p[{nptr}];"]
    for k, (t, lay) in enumerate(zip(ins, layout)):
        off = "" if lay == "s" else f" + lo * (ptrdiff_t)sizeof({t})"
        lines.append(f"    p[{k}] = c->p[{k}]{off};")
    lines += [f"    p[{nin}] = c->p[{nin}] + lo * (ptrdiff_t)sizeof({out});",
              f"    {run}(hi - lo, p{', &c->err' if err_status else ''});", "}"]
    fill = ["    cw_ctx c;"] + [f"    c.p[{k}] = p{k};" for k in range(nptr)]
    if err_status:
        fill.append("    c.err = 0;")
    params = "ptrdiff_t n" + "".join(f", char *p{k}" for k in range(nptr))
    return lines + _entry(params, fill, err_status)


# ---- user kernels (corewise.ElementwiseKernel / ReductionKernel) ------------
#
# The same skeleton with the operand kinds of CuPy's kernels: several
# outputs, the loop index ``i`` and the loop size ``n``, and whole-array
# ("raw") parameters.  The user's C is placed verbatim in a function of its
# own, ``cw_user`` (element-wise) or ``cw_map`` / ``cw_red`` / ``cw_post``
# (reductions), between ``#line`` directives, so the compiler's diagnostics
# name the kernel and count lines of the user's text ("sq.operation:1:5:
# error: ...").  Every name generated from the user's signature is an
# identifier validated by the caller (pkg/_kernels.py); outputs are the
# element's current value in a local of the parameter's name, stored back
# after the body (CuPy's outputs are references).

_GEN_FILE = "corewise-generated.c"
_C_ALIASES = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "asinh": "arcsinh",
              "acosh": "arccosh", "atanh": "arctanh", "atan2": "arctan2", "pow": "power"}


def scalar_macros(rows):
    """Type-generic macros over the table's element functions: for each
    ``(name, nin)`` of ``rows`` (float rows of csrc/ops.def), ``cw_<name>``
    and, where it is a C library name (or an alias in _C_ALIASES), the C
    name itself -- so ``sqrt(x)`` on a float is the table's float32 sqrt,
    exactly ``cw.sqrt``."""
    rows = dict(rows)
    out = []
    names = [(f"cw_{n}", n) for n in rows]
    names += [(n, n) for n in rows if n in _C_LIBM] + [(c, n) for c, n in _C_ALIASES.items()
                                                        if n in rows]
    for macro, name in names:
        args = ("x", "y")[:rows[name]]
        sel = " + ".join(f"(cw_m_{a})" for a in args)
        out.append(f"#define {macro}({', '.join('cw_m_' + a for a in args)}) "
                   f"_Generic({sel}, float: cw_{name}_f32, default: cw_{name}_f64)"
                   f"({', '.join('(cw_m_' + a + ')' for a in args)})")
    return out


_C_LIBM = frozenset("sqrt cbrt exp exp2 expm1 log log2 log10 log1p sin cos tan sinh cosh tanh "
                    "floor ceil trunc rint fabs hypot fmax fmin fmod copysign".split())


class _Src:
    """Lines of generated C, with ``#line`` bookkeeping for user text."""

    def __init__(self, head):
        self.lines = list(head)

    def add(self, *lines):
        self.lines.extend(lines)

    def user(self, label, text):
        self.lines.append(f'#line 1 "{label}"')
        self.lines.extend(text.split("\n"))
        self.lines.append(f'#line {len(self.lines) + 2} "{_GEN_FILE}"')

    def text(self):
        return "\n".join(self.lines) + "\n"


def _user_head(macros, name, preamble, extra=(), typedefs=()):
    # evaluate's prelude, with the n-d iterator itself for cw_eval.h (whose
    # NumPy-semantics helpers a user kernel does not call)
    head = [ln.replace("cw_eval.h", "cw_iter.h") for ln in _PRELUDE[:-1]]
    src = _Src(head + list(extra) + [""] + list(macros) + [""]
               + [f"typedef {c} {ph};" for ph, c in typedefs])
    if preamble:
        src.user(f"{name}.preamble", preamble)
    return src


def _locals_in(outs):
    """Output pointer parameters -> locals of the parameter names."""
    return ([f"    {t} {nm} = *cw_o_{nm};" for nm, t in outs],
            [f"    *cw_o_{nm} = {nm};" for nm, t in outs])


def _typed_inputs(src, ins, layout, ptrs, offset, index):
    """_typed_loads of user kernel inputs ((name, C type)) added to src."""
    lines, vals = _typed_loads([t for _, t in ins], layout, ptrs, offset, index)
    src.add(*lines)
    return vals


def user_elementwise(name, macros, preamble, body, ins, outs, raws, layout, typedefs=()):
    """(C source, cdef) of a user element-wise kernel.

    ``ins`` / ``outs``: (name, C type) of the broadcast inputs and outputs;
    ``raws``: (name, C type, is_output) of the whole-array parameters
    (pointers, indexed by the user); ``layout``: "n" (strided n-d, byte
    strides row per operand: inputs then outputs) or a tuple of "c"/"s"
    per input (outputs contiguous; ``#pragma GCC ivdep`` unless a raw
    output is written, whose indices the compiler cannot know).  ``i`` is
    the flat index of the element in the (collapsed) iteration space: the
    caller keeps C order when the body uses it.
    ``typedefs``: (placeholder, C type) pairs, so the body may name T.
    Entry: ``int cw_kernel(uintptr_t driver, int cost, ptrdiff_t n, int
    ndim, const ptrdiff_t *shape, const ptrdiff_t *strides, char **p, char
    **raw)``; the contiguous layout without raw parameters also exports
    ``int cw_kernel_c(uintptr_t driver, int cost, ptrdiff_t n, char *p0,
    ...)`` (inputs, then outputs)."""
    nop, nraw = len(ins) + len(outs), len(raws)
    src = _user_head(macros, name, preamble, typedefs=typedefs)
    params = (["ptrdiff_t i", "ptrdiff_t n"] + [f"const {t} {nm}" for nm, t in ins]
              + [f"{t} *cw_o_{nm}" for nm, t in outs]
              + [f"{'' if o else 'const '}{t} *{nm}" for nm, t, o in raws])
    load, store = _locals_in(outs)
    src.add(f"static inline void cw_user({', '.join(params)})", "{", "    (void)i; (void)n;",
            *load)
    src.user(f"{name}.operation", body + ";")
    src.add(*store, "}", "")
    src.add("typedef __typeof__(&cw_parallel_run) drv_t;",
            f"typedef struct {{ char *p[{max(nop, 1)}]; char *raw[{max(nraw, 1)}]; ptrdiff_t n;"
            " const ptrdiff_t *shape; const ptrdiff_t *st; int ndim; } cw_ctx;")
    rawargs = [f"({'' if o else 'const '}{t} *)c->raw[{k}]" for k, (nm, t, o) in enumerate(raws)]
    nin = len(ins)
    if layout == "n":
        src.add("static void cw_block(ptrdiff_t lo, ptrdiff_t hi, void *v)", "{",
                "    const cw_ctx *c = (const cw_ctx *)v;", "    const int nd = c->ndim;",
                "    cw_iter it;", "    cw_iter_init(&it, nd, c->shape, lo, hi);",
                "    for (ptrdiff_t cnt; (cnt = cw_iter_run(&it)) > 0; cw_iter_next(&it, cnt)) {")
        for k in range(nop):
            src.add(f"        char *p{k} = c->p[{k}] + cw_iter_offset(&it, c->st + {k} * nd);",
                    f"        const ptrdiff_t s{k} = c->st[{k} * nd + nd - 1];")
        src.add("        for (ptrdiff_t j = 0; j < cnt; j++) {")
        for k, (nm, t) in enumerate(ins + outs):
            src.add(f"            {t} v{k}; memcpy(&v{k}, p{k} + j * s{k}, sizeof v{k});")
        args = (["it.flat + j", "c->n"] + [f"v{k}" for k in range(nin)]
                + [f"&v{k}" for k in range(nin, nop)] + rawargs)
        src.add(f"            cw_user({', '.join(args)});")
        for k in range(nin, nop):
            src.add(f"            memcpy(p{k} + j * s{k}, &v{k}, sizeof v{k});")
        src.add("        }", "    }", "}")
    else:
        src.add("CW_DISPATCH static void cw_loop(ptrdiff_t lo, ptrdiff_t hi, const cw_ctx *c)",
                "{", "    const ptrdiff_t n = c->n;")
        args = ["i", "n"] + _typed_inputs(src, ins, layout, "c->p", "", "i")
        for k, (nm, t) in enumerate(outs, nin):
            src.add(f"    {t} *v{k} = ({t} *)c->p[{k}];")
            args.append(f"&v{k}[i]")
        if not any(o for _, _, o in raws):
            src.add("#pragma GCC ivdep")
        src.add("    for (ptrdiff_t i = lo; i < hi; i++)",
                f"        cw_user({', '.join(args + rawargs)});", "}",
                "static void cw_block(ptrdiff_t lo, ptrdiff_t hi, void *v)",
                "{", "    cw_loop(lo, hi, (const cw_ctx *)v);", "}")
    src.add("int cw_kernel(uintptr_t driver, int cost, ptrdiff_t n, int ndim,",
            "              const ptrdiff_t *shape, const ptrdiff_t *st, char **p, char **raw)",
            "{", "    cw_ctx c;",
            f"    for (int k = 0; k < {nop}; k++) c.p[k] = p[k];",
            f"    for (int k = 0; k < {nraw}; k++) c.raw[k] = raw[k];",
            "    c.n = n; c.shape = shape; c.st = st; c.ndim = ndim;",
            "    return ((drv_t)driver)(n, cost, cw_block, &c);", "}")
    cdef = ("int cw_kernel(uintptr_t, int, ptrdiff_t, int, const ptrdiff_t *, "
            "const ptrdiff_t *, char **, char **);")
    if layout != "n" and not raws:
        # the fast path's entry: every operand contiguous, pointers as arguments
        ps = [f"char *p{k}" for k in range(nop)]
        src.add("int cw_kernel_c(uintptr_t driver, int cost, ptrdiff_t n, "
                f"{', '.join(ps)})", "{", "    cw_ctx c;",
                *[f"    c.p[{k}] = p{k};" for k in range(nop)],
                "    c.n = n;", "    return ((drv_t)driver)(n, cost, cw_block, &c);", "}")
        cdef += f"\nint cw_kernel_c(uintptr_t, int, ptrdiff_t{', char *' * nop});"
    return src.text(), cdef


def user_reduction(name, macros, preamble, rtype, ins, outs, exprs, layout, typedefs=()):
    """(C source, cdef) of a user reduction kernel on the fixed tree of
    csrc/cw_rtree.h (the one of cw.sum: bitwise the same for any thread
    count).

    ``rtype``: the C type of the reduced values ``a``, ``b``; ``ins`` /
    ``outs``: (name, C type); ``exprs``: the user's (map_expr, reduce_expr,
    post_map_expr, identity); ``layout``: "n" (the reduced dimensions
    strided n-d) or a tuple of "c"/"s" per input (one reduced dimension,
    each input contiguous along it or broadcast).  Pointers list the inputs,
    then the outputs; ``ost`` holds the byte strides over the ``ond`` kept
    dimensions of each pointer, ``rst`` those over the ``nd`` reduced ones
    of each input.  Entry: ``int cw_rkernel(uintptr_t tasks_driver,
    ptrdiff_t block, int nt, int ond, const ptrdiff_t *oshape, const
    ptrdiff_t *ost, int nd, const ptrdiff_t *rshape, const ptrdiff_t *rst,
    char **p)``."""
    map_e, red_e, post_e, ident = exprs
    nin, nout = len(ins), len(outs)
    nptr = nin + nout
    src = _user_head(macros, name, preamble, ['#include "cw_rtree.h"'], typedefs)
    src.add(f"typedef {rtype} cw_r;",
            f"static inline cw_r cw_map({', '.join(f'const {t} {nm}' for nm, t in ins)})", "{",
            *[f"    (void){nm};" for nm, _ in ins], "    return (cw_r)(")
    src.user(f"{name}.map_expr", map_e + ");")
    src.add("}", "static inline cw_r cw_red(const cw_r a, const cw_r b)", "{",
            "    return (cw_r)(")
    src.user(f"{name}.reduce_expr", red_e + ");")
    src.add("}", "static inline cw_r cw_ident(void)", "{", "    return (cw_r)(")
    src.user(f"{name}.identity", ident + ");")
    load, store = _locals_in(outs)
    src.add("}",
            f"static inline void cw_post(const cw_r a, {', '.join(f'{t} *cw_o_{nm}' for nm, t in outs)})",
            "{", "    (void)a;", *load)
    src.user(f"{name}.post_map_expr", post_e + ";")
    src.add(*store, "}", "CW_RT_COUNTER(cw_rc, cw_r, cw_red)",
            "typedef __typeof__(&cw_parallel_tasks) tdrv_t;",
            "typedef struct { tdrv_t drv; int nd; const ptrdiff_t *rshape, *rst; ptrdiff_t N, "
            "task, ntasks; int ond; const ptrdiff_t *oshape, *ost; char *const *p; } cw_rctx;",
            "/* One chunk: elements [a, a + cnt) of the reduced space from the",
            " * inputs' base pointers, element k into lane (k - a) % CW_RT_LANES. */",
            "static inline __attribute__((always_inline)) cw_r cw_chunk(const cw_rctx *c,"
            " char *const *base, ptrdiff_t a, ptrdiff_t cnt)", "{", "    cw_r acc[CW_RT_LANES];",
            "    for (int j = 0; j < CW_RT_LANES; j++) acc[j] = cw_ident();")
    if layout == "n":
        src.add("    const int nd = c->nd;",
                "    cw_iter it;", "    cw_iter_init(&it, nd, c->rshape, a, a + cnt);",
                "    int j = 0;",
                "    for (ptrdiff_t run; (run = cw_iter_run(&it)) > 0; cw_iter_next(&it, run)) {")
        for k in range(nin):
            src.add(f"        const char *p{k} = base[{k}] + cw_iter_offset(&it, c->rst + {k} * nd);",
                    f"        const ptrdiff_t s{k} = c->rst[{k} * nd + nd - 1];")
        src.add("        for (ptrdiff_t e = 0; e < run; e++) {")
        for k, (nm, t) in enumerate(ins):
            src.add(f"            {t} v{k}; memcpy(&v{k}, p{k} + e * s{k}, sizeof v{k});")
        src.add(f"            acc[j] = cw_red(acc[j], cw_map({', '.join(f'v{k}' for k in range(nin))}));",
                "            if (++j == CW_RT_LANES) j = 0;", "        }", "    }")
    else:
        src.add("    (void)c;")
        vals = _typed_inputs(src, ins, layout, "base", " + a", "i + j")
        step = f"acc[j] = cw_red(acc[j], cw_map({', '.join(vals)}));"
        src.add("    ptrdiff_t i = 0;",
                "    if (cnt == CW_RT_CHUNK) {   /* full chunks: a constant trip count */",
                "        for (; i < CW_RT_CHUNK; i += CW_RT_LANES)",
                f"            for (int j = 0; j < CW_RT_LANES; j++) {step}", "    } else {",
                "        for (; i + CW_RT_LANES <= cnt; i += CW_RT_LANES)",
                f"            for (int j = 0; j < CW_RT_LANES; j++) {step}",
                f"        for (int j = 0; i + j < cnt; j++) {step}", "    }")
    src.add("    for (int w = CW_RT_LANES / 2; w; w /= 2)",
            "        for (int j = 0; j < w; j++) acc[j] = cw_red(acc[j], acc[j + w]);",
            "    return acc[0];", "}",
            "/* Task t of one output: its chunks combined by the binary counter",
            " * (dispatched: the lanes in AVX2 registers where the CPU has them). */",
            "CW_DISPATCH static cw_r cw_task(const cw_rctx *c, char *const *base, ptrdiff_t t)",
            "{",
            "    ptrdiff_t lo = t * c->task, hi = lo + c->task < c->N ? lo + c->task : c->N;",
            "    cw_rc_counter k;", "    k.d = 0;",
            "    for (ptrdiff_t a = lo; a < hi; a += CW_RT_CHUNK)",
            "        cw_rc_push(&k, cw_chunk(c, base, a, hi - a < CW_RT_CHUNK ? hi - a : CW_RT_CHUNK));",
            "    return cw_rc_finish(&k);", "}",
            "typedef struct { const cw_rctx *c; char *const *base; cw_r *parts; } cw_tctx;",
            "static void cw_tasks_block(ptrdiff_t lo, ptrdiff_t hi, void *v)", "{",
            "    const cw_tctx *t = (const cw_tctx *)v;",
            "    for (ptrdiff_t k = lo; k < hi; k++) t->parts[k] = cw_task(t->c, t->base, k);", "}",
            "/* One output's reduction: its tasks in parallel (parts) or in turn,",
            " * combined in order by the counter -- the same value either way. */",
            "static cw_r cw_reduce_one(const cw_rctx *c, char *const *base, int par, int *flags)",
            "{", "    if (c->N == 0) return cw_ident();", "    cw_rc_counter k;", "    k.d = 0;",
            "    if (par) {", "        cw_r parts[CW_RT_MAXTASKS];",
            "        cw_tctx t = { c, base, parts };",
            "        *flags |= c->drv(c->ntasks, c->task, cw_tasks_block, &t);",
            "        for (ptrdiff_t q = 0; q < c->ntasks; q++) cw_rc_push(&k, parts[q]);",
            "    } else {",
            "        for (ptrdiff_t q = 0; q < c->ntasks; q++) cw_rc_push(&k, cw_task(c, base, q));",
            "    }", "    return cw_rc_finish(&k);", "}",
            "/* Outputs [lo, hi) in C order over the kept dimensions. */",
            "static void cw_outputs(const cw_rctx *c, ptrdiff_t lo, ptrdiff_t hi, int par, int *flags)",
            "{", f"    char *base[{nptr}];",
            "    for (ptrdiff_t m = lo; m < hi; m++) {",
            "        ptrdiff_t rem = m;",
            f"        for (int k = 0; k < {nptr}; k++) base[k] = c->p[k];",
            "        for (int d = c->ond - 1; d >= 0; d--) {",
            "            ptrdiff_t q = rem % c->oshape[d];", "            rem /= c->oshape[d];",
            f"            for (int k = 0; k < {nptr}; k++) base[k] += q * c->ost[k * c->ond + d];",
            "        }",
            "        cw_r r = cw_reduce_one(c, base, par, flags);",
            *[f"        {t} y{k}; memcpy(&y{k}, base[{nin + k}], sizeof y{k});"
              for k, (nm, t) in enumerate(outs)],
            f"        cw_post(r, {', '.join(f'&y{k}' for k in range(nout))});",
            *[f"        memcpy(base[{nin + k}], &y{k}, sizeof y{k});" for k in range(nout)],
            "    }", "}",
            "static void cw_outer_block(ptrdiff_t lo, ptrdiff_t hi, void *v)", "{",
            "    int unused = 0;", "    cw_outputs((const cw_rctx *)v, lo, hi, 0, &unused);", "}",
            "int cw_rkernel(uintptr_t tasks_driver, ptrdiff_t block, int nt, int ond,",
            "               const ptrdiff_t *oshape, const ptrdiff_t *ost, int nd,",
            "               const ptrdiff_t *rshape, const ptrdiff_t *rst, char **p)", "{",
            "    cw_rctx c = { (tdrv_t)tasks_driver, nd, rshape, rst, 1, 0, 0, ond, oshape, ost, p };",
            "    ptrdiff_t M = 1;",
            "    for (int d = 0; d < ond; d++) M *= oshape[d];",
            "    for (int d = 0; d < nd; d++) c.N *= rshape[d];",
            "    if (M == 0) return 0;",
            "    if (c.N) cw_rt_plan(c.N, block, &c.task, &c.ntasks);",
            "    int flags = 0;",
            "    if (M == 1 || (c.ntasks > 1 && M < 2 * (ptrdiff_t)nt))",
            "        cw_outputs(&c, 0, M, 1, &flags);   /* few outputs: each in parallel */",
            "    else",
            "        flags = c.drv(M, c.N ? c.N : 1, cw_outer_block, &c);",
            "    return flags;", "}")
    cdef = ("int cw_rkernel(uintptr_t, ptrdiff_t, int, int, const ptrdiff_t *, const ptrdiff_t *, "
            "int, const ptrdiff_t *, const ptrdiff_t *, char **);")
    return src.text(), cdef
