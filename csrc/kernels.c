/* corewise element-wise kernels, generated from the operation table.
 *
 * For every CW_UNARY row of ops.def and every dtype this file defines three
 * loops -- contiguous (vectorised; runtime ISA dispatch), in place, and
 * strided -- and one row of the descriptor table.  Two drivers serve every
 * operation: a contiguous 1-D one and an n-d strided one; both split the
 * flat iteration space into per-thread blocks (cw_parallel_run).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "cw_internal.h"
#include "cw_scalar.h"

typedef void (*cw_contig_fn)(ptrdiff_t n, const void *x, void *y);
typedef void (*cw_inplace_fn)(ptrdiff_t n, void *y);
typedef void (*cw_strided_fn)(ptrdiff_t n, const char *x, ptrdiff_t xs,
                              char *y, ptrdiff_t ys);

typedef struct {
    cw_contig_fn contig;
    cw_inplace_fn inplace;
    cw_strided_fn strided;
    ptrdiff_t itemsize;
} cw_unary_loops;

typedef struct {
    cw_op_info info;
    cw_unary_loops loops[CW_NDTYPES];
} cw_op_entry;

/* ---- loop generation ------------------------------------------------- */

#define CW_UNARY_LOOPS(NAME, T, SUF)                                          \
    CW_DISPATCH static void cw_contig_##NAME##_##SUF(                         \
        ptrdiff_t n, const void *vx, void *vy)                                \
    {                                                                         \
        const T *restrict x = (const T *)vx;                                  \
        T *restrict y = (T *)vy;                                              \
        for (ptrdiff_t i = 0; i < n; i++)                                     \
            y[i] = cw_##NAME##_##SUF(x[i]);                                   \
    }                                                                         \
    CW_DISPATCH static void cw_inplace_##NAME##_##SUF(ptrdiff_t n, void *vy)  \
    {                                                                         \
        T *restrict y = (T *)vy;                                              \
        for (ptrdiff_t i = 0; i < n; i++)                                     \
            y[i] = cw_##NAME##_##SUF(y[i]);                                   \
    }                                                                         \
    static void cw_strided_##NAME##_##SUF(ptrdiff_t n, const char *x,         \
                                          ptrdiff_t xs, char *y, ptrdiff_t ys)\
    {                                                                         \
        for (ptrdiff_t i = 0; i < n; i++) {                                   \
            T v;                                                              \
            memcpy(&v, x + i * xs, sizeof v);                                 \
            v = cw_##NAME##_##SUF(v);                                         \
            memcpy(y + i * ys, &v, sizeof v);                                 \
        }                                                                     \
    }

#define CW_UNARY(NAME, E64, E32, COST, ULP, DOC)                                   \
    CW_UNARY_LOOPS(NAME, float, f32)                                          \
    CW_UNARY_LOOPS(NAME, double, f64)
#include "ops.def"
#undef CW_UNARY

#define CW_LOOPS(NAME, T, SUF)                                                \
    { cw_contig_##NAME##_##SUF, cw_inplace_##NAME##_##SUF,                    \
      cw_strided_##NAME##_##SUF, (ptrdiff_t)sizeof(T) }

static const cw_op_entry cw_ops[] = {
#define CW_UNARY(NAME, E64, E32, COST, ULP, DOC)                                   \
    { { #NAME, DOC, 1, 1, COST, ULP },                                             \
      { CW_LOOPS(NAME, float, f32), CW_LOOPS(NAME, double, f64) } },
#include "ops.def"
#undef CW_UNARY
};

#define CW_NOPS ((int)(sizeof cw_ops / sizeof cw_ops[0]))

int cw_op_count(void) { return CW_NOPS; }

const cw_op_info *cw_op_get(int op)
{
    return (op >= 0 && op < CW_NOPS) ? &cw_ops[op].info : NULL;
}

/* ---- drivers ------------------------------------------------------------ */

/* Is p a multiple of the item size?  NumPy arrays may be unaligned (a view
 * at an odd byte offset of a buffer); typed loads from them are undefined
 * behaviour and vectorised loops may fault, so they take the strided loop,
 * which moves every element with memcpy (found by UBSan, `make asan`). */
#define CW_ALIGNED(p, isz) (((uintptr_t)(p) & (uintptr_t)((isz) - 1)) == 0)

/* One 1-D run: the contiguous (or in-place) SIMD loop when both strides are
 * the item size and both pointers are aligned, else the strided loop. */
static void run1(const cw_unary_loops *L, ptrdiff_t n, const char *x,
                 ptrdiff_t xs, char *y, ptrdiff_t ys)
{
    if (xs == L->itemsize && ys == L->itemsize
        && CW_ALIGNED(x, L->itemsize) && CW_ALIGNED(y, L->itemsize)) {
        if (x == y)
            L->inplace(n, y);
        else
            L->contig(n, x, y);
    } else {
        L->strided(n, x, xs, y, ys);
    }
}

typedef struct {
    const cw_unary_loops *L;
    const char *x;
    char *y;
} contig_ctx;

static void contig_block(ptrdiff_t lo, ptrdiff_t hi, void *vctx)
{
    const contig_ctx *c = (const contig_ctx *)vctx;
    ptrdiff_t sz = c->L->itemsize;
    run1(c->L, hi - lo, c->x + lo * sz, sz, c->y + lo * sz, sz);
}

typedef struct {
    const cw_unary_loops *L;
    int ndim;
    const ptrdiff_t *shape;
    const char *x;
    const ptrdiff_t *xs;
    char *y;
    const ptrdiff_t *ys;
} nd_ctx;

/* Elements [lo, hi) of the C-order flattening of the iteration space. */
static void nd_block(ptrdiff_t lo, ptrdiff_t hi, void *vctx)
{
    const nd_ctx *c = (const nd_ctx *)vctx;
    const int last = c->ndim - 1;
    ptrdiff_t idx[CW_MAXDIMS];
    ptrdiff_t rem = lo;
    for (int d = last; d >= 0; d--) {
        idx[d] = rem % c->shape[d];
        rem /= c->shape[d];
    }
    while (lo < hi) {
        ptrdiff_t cnt = c->shape[last] - idx[last];
        if (cnt > hi - lo)
            cnt = hi - lo;
        ptrdiff_t xo = 0, yo = 0;
        for (int d = 0; d <= last; d++) {
            xo += idx[d] * c->xs[d];
            yo += idx[d] * c->ys[d];
        }
        run1(c->L, cnt, c->x + xo, c->xs[last], c->y + yo, c->ys[last]);
        lo += cnt;
        idx[last] += cnt;
        for (int d = last; d > 0 && idx[d] == c->shape[d]; d--) {
            idx[d] = 0;
            idx[d - 1]++;
        }
    }
}

static int lookup(int op, int dtype, const cw_unary_loops **L)
{
    if (op < 0 || op >= CW_NOPS)
        return CW_EOP;
    if (dtype < 0 || dtype >= CW_NDTYPES)
        return CW_EDTYPE;
    *L = &cw_ops[op].loops[dtype];
    return CW_OK;
}

int cw_unary_contig(int op, int dtype, ptrdiff_t n, const char *x, char *y)
{
    const cw_unary_loops *L;
    int rc = lookup(op, dtype, &L);
    if (rc != CW_OK)
        return rc;
    if (n < 0)
        return CW_ESHAPE;
    if (n == 0)
        return CW_OK;
    if (!x || !y)
        return CW_ENULL;
    /* Partial overlap would make the result depend on the schedule. */
    uintptr_t xa = (uintptr_t)x, ya = (uintptr_t)y;
    uintptr_t bytes = (uintptr_t)n * (uintptr_t)L->itemsize;
    if (xa != ya && xa < ya + bytes && ya < xa + bytes)
        return CW_EOVERLAP;
    contig_ctx c = { L, x, y };
    return cw_parallel_run(n, cw_ops[op].info.cost, contig_block, &c);
}

int cw_unary_strided(int op, int dtype, int ndim, const ptrdiff_t *shape,
                     const char *x, const ptrdiff_t *xstrides,
                     char *y, const ptrdiff_t *ystrides)
{
    const cw_unary_loops *L;
    int rc = lookup(op, dtype, &L);
    if (rc != CW_OK)
        return rc;
    if (ndim < 1 || ndim > CW_MAXDIMS)
        return CW_ENDIM;
    ptrdiff_t n = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0)
            return CW_ESHAPE;
        n *= shape[d];
    }
    if (n == 0)
        return CW_OK;
    if (!x || !y)
        return CW_ENULL;
    nd_ctx c = { L, ndim, shape, x, xstrides, y, ystrides };
    return cw_parallel_run(n, cw_ops[op].info.cost, nd_block, &c);
}
