"""The C skeleton of a run-time compiled element-wise kernel.

A kernel is an element function -- ``static inline`` C computing one output
element from one element of each input -- wrapped in the skeleton that every
such kernel shares, emitted here for one layout class:

- ``cw_ctx``, the context of one call: the operands' base pointers (inputs,
  then the output), the n-d iteration space, the error flag;
- the per-run loop: for the n-d layout ``cw_run`` over one run of the
  innermost dimension, loading and storing elements with ``memcpy`` through
  byte strides (any alignment, any stride); for the contiguous layout
  ``cw_loop`` over typed pointers (an input is a contiguous array 'c' or a
  size-1 scalar 's' read once), ``#pragma GCC ivdep`` and ``CW_DISPATCH``
  (target clones), so the compiler vectorises the element function;
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


def elementwise(ins, out, expr, layout, err_status=None):
    """The C source and the cdef of one element-wise kernel.

    ``ins``: the inputs' C element types, in order (the element function's
    parameters are ``x0``, ``x1``, ...); ``out``: the output's C element
    type; ``expr``: a C expression of the parameters, the output element;
    ``layout``: ``"n"`` (every operand n-d strided) or a tuple with ``"c"``
    (contiguous) or ``"s"`` (size-1 scalar) per input, the output then being
    contiguous; ``err_status``: None, or the name of the status code (e.g.
    ``"CW_EINTPOW"``) that the call returns when an element set the error
    flag -- the element function then has a last parameter ``int *err``.
    """
    ins = tuple(ins)
    nptr = len(ins) + 1
    if layout != "n" and (len(layout) != len(ins) or not set(layout) <= {"c", "s"}):
        raise ValueError(f"layout {layout!r} for {len(ins)} inputs")
    lines = _PRELUDE + _element_function(ins, out, expr, err_status)
    lines.append("typedef __typeof__(&cw_parallel_run) drv_t;")
    if layout == "n":
        lines += _nd(ins, out, err_status)
        cdef = _CDEF_ND
    else:
        lines += _contiguous(ins, out, layout, err_status)
        cdef = f"int cw_eval(uintptr_t, int, ptrdiff_t{', char *' * nptr});"
    return "\n".join(lines) + "\n", cdef


def _element_function(ins, out, expr, err_status):
    params = [f"{t} x{k}" for k, t in enumerate(ins)]
    lines = []
    if err_status:
        params.append("int *err")
        lines.append("    (void)err;")
    return ([f"static inline {out} cw_expr({', '.join(params) or 'void'})", "{"]
            + lines + [f"    return {expr};", "}", ""])


def _call(values, err_arg, err_status):
    """The element function called on ``values`` (C expressions)."""
    return f"cw_expr({', '.join(values + ([err_arg] if err_status else []))})"


def _ctx(nptr, fields, err_status):
    err = " int err;" if err_status else ""
    return f"typedef struct {{ char *p[{nptr}];{fields}{err} }} cw_ctx;"


def _entry(params, fill, err_status):
    """cw_eval: the context filled by ``fill``, the driver run over cw_block."""
    lines = [f"int cw_eval(uintptr_t driver, int cost, {params})", "{",
             "    drv_t drv = (drv_t)driver;"] + fill
    if err_status:
        return lines + ["    int rc = drv(n, cost, cw_block, &c);",
                        f"    return rc | (c.err ? {err_status} : 0);", "}"]
    return lines + ["    return drv(n, cost, cw_block, &c);", "}"]


def _nd(ins, out, err_status):
    nin, nptr = len(ins), len(ins) + 1
    err_init = " c.err = 0;" if err_status else ""
    lines = [_ctx(nptr, " const ptrdiff_t *shape; const ptrdiff_t *st; int ndim;", err_status),
             "static void cw_run(ptrdiff_t n, char **p, const ptrdiff_t *s, void *v)", "{",
             "    cw_ctx *c = (cw_ctx *)v;" if err_status else "    (void)v;",
             "    for (ptrdiff_t i = 0; i < n; i++) {"]
    for k, t in enumerate(ins):
        lines.append(f"        {t} x{k}; memcpy(&x{k}, p[{k}] + i * s[{k}], sizeof x{k});")
    call = _call([f"x{k}" for k in range(nin)], "&c->err", err_status)
    lines += [f"        {out} y = {call};",
              f"        memcpy(p[{nin}] + i * s[{nin}], &y, sizeof y);", "    }", "}",
              "static void cw_block(ptrdiff_t lo, ptrdiff_t hi, void *v)", "{",
              "    cw_ctx *c = (cw_ctx *)v;",
              f"    cw_nd_walk(lo, hi, c->ndim, c->shape, {nptr}, c->p, c->st, cw_run, c);",
              "}"]
    fill = ["    ptrdiff_t n = 1;",
            "    for (int d = 0; d < ndim; d++) n *= shape[d];",
            "    cw_ctx c;", f"    for (int k = 0; k < {nptr}; k++) c.p[k] = p[k];",
            f"    c.shape = shape; c.st = st; c.ndim = ndim;{err_init}"]
    params = "int ndim, const ptrdiff_t *shape, const ptrdiff_t *st, char **p"
    return lines + _entry(params, fill, err_status)


def _contiguous(ins, out, layout, err_status):
    nin, nptr = len(ins), len(ins) + 1
    err_param = ", int *err" if err_status else ""
    lines = [_ctx(nptr, "", err_status),
             f"CW_DISPATCH static void cw_loop(ptrdiff_t n, char **p{err_param})", "{"]
    values = []
    for k, (t, lay) in enumerate(zip(ins, layout)):
        if lay == "s":
            lines.append(f"    const {t} s{k} = *(const {t} *)p[{k}];")
            values.append(f"s{k}")
        else:
            lines.append(f"    const {t} *a{k} = (const {t} *)p[{k}];")
            values.append(f"a{k}[i]")
    lines += [f"    {out} *y = ({out} *)p[{nin}];", "#pragma GCC ivdep",
              "    for (ptrdiff_t i = 0; i < n; i++)",
              f"        y[i] = {_call(values, 'err', err_status)};", "}",
              "static void cw_block(ptrdiff_t lo, ptrdiff_t hi, void *v)", "{",
              "    cw_ctx *c = (cw_ctx *)v;", f"    char *p[{nptr}];"]
    for k, (t, lay) in enumerate(zip(ins, layout)):
        off = "" if lay == "s" else f" + lo * (ptrdiff_t)sizeof({t})"
        lines.append(f"    p[{k}] = c->p[{k}]{off};")
    lines += [f"    p[{nin}] = c->p[{nin}] + lo * (ptrdiff_t)sizeof({out});",
              f"    cw_loop(hi - lo, p{', &c->err' if err_status else ''});", "}"]
    fill = ["    cw_ctx c;"] + [f"    c.p[{k}] = p{k};" for k in range(nptr)]
    if err_status:
        fill.append("    c.err = 0;")
    params = "ptrdiff_t n" + "".join(f", char *p{k}" for k in range(nptr))
    return lines + _entry(params, fill, err_status)
