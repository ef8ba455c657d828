/* The NumPy loop adaptor behind corewise.patch_numpy() (pkg/_patch.py).
 *
 * NumPy's built-in element-wise ufuncs run "legacy" inner loops
 *     void loop(char **args, npy_intp const *dims, npy_intp const *steps, void *data)
 * kept in each ufunc's `functions` table, which NumPy reads on every call;
 * PyUFunc_ReplaceLoopBySignature swaps one entry and hands back the old one.
 * This file holds CW_PATCH_SLOTS replacement loops ("trampolines", one per
 * slot, so that NumPy's `data` pointer reaches the original untouched and
 * the trampoline still knows which original it stands for).  A replacement:
 *   - below the slot's threshold calls the original directly (one compare);
 *   - else, when no output aliases another operand except element for
 *     element (same pointer, same step -- in-place), cuts [0, n) into blocks
 *     and calls the ORIGINAL loop on each block from the corewise team
 *     (cw_parallel_run_thr -> cw_dispatch: thread count, budget, adaptive
 *     team, fork safety).  Each element is computed by the same code as
 *     unpatched, so the bits are NumPy's;
 *   - a reduction (out aliases in1 with step 0) of an exact associative
 *     loop (CW_PATCH_REDUCIBLE) is split into partial reductions, each
 *     started from its first element, combined in order by the original
 *     loop; every other aliasing call (float reductions, accumulate's
 *     shifted output, ufunc.at) runs the original directly.
 * Floating-point flags raised in the team are OR-ed together by the driver
 * and raised again on the calling thread, together with those it had
 * before, so NumPy's check after the loop (np.errstate) sees what it would
 * have seen unpatched.
 *
 * No NumPy header is needed: the loop type is declared here (npy_intp is
 * ptrdiff_t on every platform corewise builds for); the Python side swaps
 * the table entries with NumPy's PyUFunc_ReplaceLoopBySignature, called
 * with the GIL held (NumPy main's version uses the Python API), and hands
 * the displaced loop to cw_patch_set_original.  Threading NumPy by wrapping its inner
 * loops is the idea of Quansight's pnumpy (2020); the code here is
 * corewise's own. */
#include <fenv.h>
#include <string.h>
#include "cw_internal.h"

typedef void (*cw_np_loop)(char **args, const ptrdiff_t *dims, const ptrdiff_t *steps,
                           void *data);

typedef struct {
    cw_np_loop orig;              /* NumPy's loop (atomic: set after the swap) */
    ptrdiff_t min;                /* serial threshold, elements */
    int nin, nargs, kind;
    ptrdiff_t itemsize[CW_PATCH_MAXARGS];
} cw_slot;

static cw_slot cw_slots[CW_PATCH_SLOTS];
static int64_t cw_par_calls = 0;

int64_t cw_patch_parallel_calls(int reset)
{
    return reset ? __atomic_exchange_n(&cw_par_calls, 0, __ATOMIC_RELAXED)
                 : __atomic_load_n(&cw_par_calls, __ATOMIC_RELAXED);
}

/* ---- aliasing ------------------------------------------------------------------ */

/* [lo, hi) bytes an operand spans over n >= 1 elements. */
static void span(const char *p, ptrdiff_t step, ptrdiff_t isz, ptrdiff_t n,
                 const char **lo, const char **hi)
{
    ptrdiff_t ext = (n - 1) * step;
    *lo = ext < 0 ? p + ext : p;
    *hi = (ext > 0 ? p + ext : p) + isz;
}

static int spans_meet(const cw_slot *s, char **args, const ptrdiff_t *steps, ptrdiff_t n,
                      int i, int j)
{
    const char *alo, *ahi, *blo, *bhi;
    span(args[i], steps[i], s->itemsize[i], n, &alo, &ahi);
    span(args[j], steps[j], s->itemsize[j], n, &blo, &bhi);
    return alo < bhi && blo < ahi;
}

/* 1 when blocks of [0, n) may run in any order at once: every output's
 * elements are distinct, and an output meets another operand only as an
 * input read element for element (same pointer and step: in place). */
static int splittable(const cw_slot *s, char **args, const ptrdiff_t *steps, ptrdiff_t n)
{
    for (int j = s->nin; j < s->nargs; j++) {
        ptrdiff_t st = steps[j] < 0 ? -steps[j] : steps[j];
        if (st < s->itemsize[j])
            return 0;
        for (int i = 0; i < s->nargs; i++) {
            if (i == j || !spans_meet(s, args, steps, n, i, j))
                continue;
            if (i >= s->nin || args[i] != args[j] || steps[i] != steps[j])
                return 0;
        }
    }
    return 1;
}

/* A reduction NumPy hands the loop: out (args[2]) is in1 (args[0]), step 0,
 * and in2 does not touch it. */
static int is_reduction(const cw_slot *s, char **args, const ptrdiff_t *steps, ptrdiff_t n)
{
    return s->kind == CW_PATCH_REDUCIBLE && args[0] == args[2] && steps[0] == 0
           && steps[2] == 0 && !spans_meet(s, args, steps, n, 1, 2);
}

/* ---- the parallel paths ---------------------------------------------------------- */

typedef struct {
    cw_np_loop f;
    char **args;
    const ptrdiff_t *steps;
    void *data;
    int nargs;
} cw_patch_ctx;

static void loop_block(ptrdiff_t lo, ptrdiff_t hi, void *vc)
{
    const cw_patch_ctx *c = (const cw_patch_ctx *)vc;
    char *a[CW_PATCH_MAXARGS];
    for (int i = 0; i < c->nargs; i++)
        a[i] = c->args[i] + lo * c->steps[i];
    ptrdiff_t m = hi - lo;
    c->f(a, &m, c->steps, c->data);
}

/* Partial reductions: task t reduces its part of in2 into partial[t],
 * started from the part's first element (no identity needed). */
enum { CW_RED_TASKS = 64, CW_RED_MIN_TASK = 4096 };

typedef struct {
    cw_patch_ctx c;
    ptrdiff_t n, ntasks, isz;
    unsigned char (*partial)[16];
} cw_red_ctx;

static void red_tasks(ptrdiff_t t0, ptrdiff_t t1, void *vr)
{
    const cw_red_ctx *r = (const cw_red_ctx *)vr;
    for (ptrdiff_t t = t0; t < t1; t++) {  /* t1 - t0 > 1 when run serially */
        ptrdiff_t lo = t * r->n / r->ntasks, hi = (t + 1) * r->n / r->ntasks;
        char *in = r->c.args[1] + lo * r->c.steps[1];
        char *acc = (char *)r->partial[t];
        memcpy(acc, in, (size_t)r->isz);
        char *a[3] = { acc, in + r->c.steps[1], acc };
        ptrdiff_t m = hi - lo - 1, st[3] = { 0, r->c.steps[1], 0 };
        if (m > 0)
            r->c.f(a, &m, st, r->c.data);
    }
}

static int reduce_split(const cw_slot *s, cw_np_loop f, char **args, const ptrdiff_t *steps,
                        ptrdiff_t n, void *data)
{
    unsigned char partial[CW_RED_TASKS][16];
    ptrdiff_t ntasks = n / CW_RED_MIN_TASK;
    if (ntasks > CW_RED_TASKS)
        ntasks = CW_RED_TASKS;
    cw_red_ctx r = { { f, args, steps, data, 3 }, n, ntasks, s->itemsize[1], partial };
    int flags = cw_parallel_tasks(ntasks, n / ntasks, red_tasks, &r);
    /* out = out op partial[0] op partial[1] ...: the original loop, in order */
    ptrdiff_t one = 1, st[3] = { 0, 0, 0 };
    for (ptrdiff_t t = 0; t < ntasks; t++) {
        char *a[3] = { args[0], (char *)partial[t], args[2] };
        f(a, &one, st, data);
    }
    return flags;
}

static void raise_flags(int before, int flags)
{
    int e = before | (flags & CW_FPE_DIVBYZERO ? FE_DIVBYZERO : 0)
          | (flags & CW_FPE_OVERFLOW ? FE_OVERFLOW : 0)
          | (flags & CW_FPE_UNDERFLOW ? FE_UNDERFLOW : 0)
          | (flags & CW_FPE_INVALID ? FE_INVALID : 0);
    if (e)
        feraiseexcept(e);
}

__attribute__((noinline)) static void patched_slow(cw_slot *s, char **args, const ptrdiff_t *dims,
                                                   const ptrdiff_t *steps, void *data)
{
    cw_np_loop f;
    /* a call that entered between NumPy's swap and cw_patch_set_original
     * (the installing thread calls it next) */
    while (!(f = __atomic_load_n(&s->orig, __ATOMIC_ACQUIRE)))
        ;
    ptrdiff_t n = dims[0];
    if (n < s->min) {
        f(args, dims, steps, data);
        return;
    }
    int before = fetestexcept(CW_FE_REPORTED), flags;
    if (splittable(s, args, steps, n)) {
        cw_patch_ctx c = { f, args, steps, data, s->nargs };
        flags = cw_parallel_run_thr(n, s->min, loop_block, &c);
    } else if (is_reduction(s, args, steps, n) && n >= 2 * CW_RED_MIN_TASK) {
        flags = reduce_split(s, f, args, steps, n, data);
    } else {
        f(args, dims, steps, data);
        return;
    }
    __atomic_add_fetch(&cw_par_calls, 1, __ATOMIC_RELAXED);
    raise_flags(before, flags);
}

static inline void patched(int k, char **args, const ptrdiff_t *dims, const ptrdiff_t *steps,
                           void *data)
{
    cw_slot *s = &cw_slots[k];
    cw_np_loop f = __atomic_load_n(&s->orig, __ATOMIC_RELAXED);
    if (dims[0] < __atomic_load_n(&s->min, __ATOMIC_RELAXED) && f)
        f(args, dims, steps, data);
    else
        patched_slow(s, args, dims, steps, data);
}

/* ---- the trampolines: 16^3 = 4096 (CW_PATCH_SLOTS), named by hex index ---- */
#define CW_T(k) static void cw_t##k(char **a, const ptrdiff_t *d, const ptrdiff_t *s, void *p) \
    { patched(k, a, d, s, p); }
#define CW_P(k) cw_t##k,
#define CW_H1(X, p) X(p##0) X(p##1) X(p##2) X(p##3) X(p##4) X(p##5) X(p##6) X(p##7) \
    X(p##8) X(p##9) X(p##a) X(p##b) X(p##c) X(p##d) X(p##e) X(p##f)
#define CW_H2(X, p) CW_H1(X, p##0) CW_H1(X, p##1) CW_H1(X, p##2) CW_H1(X, p##3) \
    CW_H1(X, p##4) CW_H1(X, p##5) CW_H1(X, p##6) CW_H1(X, p##7) CW_H1(X, p##8) \
    CW_H1(X, p##9) CW_H1(X, p##a) CW_H1(X, p##b) CW_H1(X, p##c) CW_H1(X, p##d) \
    CW_H1(X, p##e) CW_H1(X, p##f)
#define CW_H3(X, p) CW_H2(X, p##0) CW_H2(X, p##1) CW_H2(X, p##2) CW_H2(X, p##3) \
    CW_H2(X, p##4) CW_H2(X, p##5) CW_H2(X, p##6) CW_H2(X, p##7) CW_H2(X, p##8) \
    CW_H2(X, p##9) CW_H2(X, p##a) CW_H2(X, p##b) CW_H2(X, p##c) CW_H2(X, p##d) \
    CW_H2(X, p##e) CW_H2(X, p##f)

CW_H3(CW_T, 0x)
static const cw_np_loop cw_trampolines[CW_PATCH_SLOTS] = { CW_H3(CW_P, 0x) };

void *cw_patch_loop(int slot)
{
    return slot >= 0 && slot < CW_PATCH_SLOTS ? (void *)cw_trampolines[slot] : NULL;
}

void *cw_patch_original(int slot)
{
    return slot >= 0 && slot < CW_PATCH_SLOTS
           ? (void *)__atomic_load_n(&cw_slots[slot].orig, __ATOMIC_ACQUIRE) : NULL;
}

int cw_patch_prepare(int slot, int nin, int nout, const ptrdiff_t *itemsizes, int kind,
                     ptrdiff_t min_elements)
{
    if (slot < 0 || slot >= CW_PATCH_SLOTS || nin < 1 || nout < 1
        || nin + nout > CW_PATCH_MAXARGS)
        return CW_EOP;
    if (!itemsizes)
        return CW_ENULL;
    cw_slot *s = &cw_slots[slot];
    s->nin = nin;
    s->nargs = nin + nout;
    s->kind = kind == CW_PATCH_REDUCIBLE && nin == 2 && nout == 1 ? kind : CW_PATCH_ELEMENTWISE;
    for (int i = 0; i < s->nargs; i++)
        s->itemsize[i] = itemsizes[i] > 0 ? itemsizes[i] : 1;
    __atomic_store_n(&s->min, min_elements > 1 ? min_elements : 1, __ATOMIC_RELAXED);
    return CW_OK;
}

int cw_patch_set_original(int slot, void *orig)
{
    if (slot < 0 || slot >= CW_PATCH_SLOTS)
        return CW_EOP;
    if (!orig)
        return CW_ENULL;
    __atomic_store_n(&cw_slots[slot].orig, (cw_np_loop)orig, __ATOMIC_RELEASE);
    return CW_OK;
}
