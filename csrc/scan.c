/* corewise scans (inclusive prefix operations): cumsum, cumprod, nancumsum,
 * nancumprod and the accumulate of add/multiply/maximum/minimum, for
 * float32/float64/int32/int64, along the last dimension of an n-d strided
 * array (the facade, pkg/_scan.py, moves the scanned axis there).
 *
 * Method: the reduce-then-scan scheme (G. E. Blelloch, "Prefix sums and
 * their applications", CMU-CS-90-190, 1990, section 1.3; also Merrill and
 * Garland's "reduce-then-scan" for GPUs), with blocks whose size B does not
 * depend on the thread count.  Each row of N elements is cut into
 * nbr = ceil(N / B) blocks of B consecutive elements (the last one
 * shorter).  Pass 1 (parallel over blocks): the total T_j of every block
 * but a row's last, by the serial left-to-right fold x_0 (+) x_1 (+) ...
 * Carry phase (serial, one thread, in row order): c_0 = e (the identity),
 * c_j = c_{j-1} (+) T_{j-1}.  Pass 2 (parallel over blocks): each block's
 * serial left-to-right scan seeded with its carry, s = c_j; s = s (+) x_i,
 * written out.  When N <= B there is one block per row, no pass 1, and the
 * scan IS NumPy's serial left-to-right one: bitwise equal to NumPy.
 *
 * Determinism: every value written is a fixed function of the data, N and
 * B -- never of the thread count, the team's schedule or the layout (a
 * strided operand is read element by element with the same arithmetic).
 * The identities are exact: -0.0 for add (-0.0 + v == v bitwise, also for
 * v = -0.0), 1 for multiply, -inf/+inf (INT_MIN/INT_MAX) for max/min.
 * Integers wrap around as NumPy's do (unsigned arithmetic, no UB), and
 * integer add/multiply and max/min are exact, hence bitwise NumPy's for
 * every N.  maximum/minimum follow NumPy's accumulate loop, (a > b ||
 * a != a) ? a : b, which picks the leftmost NaN, else the rightmost of the
 * maxima (0.0 vs -0.0); that fold is associative, so the blocked scan is
 * bitwise NumPy's too.
 * nancumsum/nancumprod read NaN as +0.0 / 1.0 (NumPy: cumsum of
 * where(isnan(a), 0, a)).
 *
 * Speed: the serial fold is bound by the latency of one add (4 cycles);
 * each thread runs CW_SCAN_K blocks' folds interleaved (independent
 * chains, each one the same serial arithmetic), so one thread is already
 * several times NumPy's serial loop, and the blocks spread over threads.
 * Rows of a many-row array are blocks of their own (N <= B): the
 * parallelism is then over rows, with the same per-row arithmetic.
 *
 * Error bound (float add; u = unit roundoff, 2^-53 / 2^-24): element k in
 * block b = k / B at position m = k - bB + 1 (1 <= m <= B) of its block.
 * By the recursive-summation bound (Higham, "Accuracy and Stability of
 * Numerical Algorithms", 2nd ed., 4.2), to first order,
 *   |T_j^ - T_j| <= (B - 1) u sum_{i in block j} |x_i|,
 *   |c_b^ - c_b| <= ((b - 1) + (B - 1)) u sum_{i < bB} |x_i|,
 *   |s_k^ - s_k| <= (m + b + B - 2) u sum_{i <= k} |x_i|
 *              <= (2B + b) u sum_{i <= k} |x_i|      (b = 0: (m - 1) u ...)
 * (rigorously: gamma_n = n u / (1 - n u) for n u).  NumPy's serial cumsum
 * has (k) u sum|x_i|; for k > 2B this bound is the smaller one.  A product
 * has the same count as a relative bound, |p^ - p| <= (2B + b) u |p|
 * (barring overflow/underflow).  The default B is CW_SCAN_DEFAULT_BLOCK;
 * cw_set_scan_block changes it (tests: many blocks on small arrays).
 * Floating-point flags: those the passes raise (a block total may overflow
 * where the serial scan would not, only in contrived data). */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "cw_internal.h"

/* Not a power of two: the CW_SCAN_K interleaved streams of a row, B elements
 * apart, would then share L1 sets (4K aliasing: 1-thread 4M-element cumsum
 * 4-10x slower, measured) */
#define CW_SCAN_DEFAULT_BLOCK 4000
#define CW_SCAN_K 8                 /* folds interleaved per thread */

static ptrdiff_t cw_sblock = CW_SCAN_DEFAULT_BLOCK;

ptrdiff_t cw_set_scan_block(ptrdiff_t n)
{
    return __atomic_exchange_n(&cw_sblock, n > 0 ? n : CW_SCAN_DEFAULT_BLOCK,
                               __ATOMIC_RELAXED);
}

ptrdiff_t cw_get_scan_block(void) { return __atomic_load_n(&cw_sblock, __ATOMIC_RELAXED); }

/* The geometry of one call: rows of N elements (the outer nd - 1 dimensions,
 * any strides), cut into nbr blocks of B. */
typedef struct {
    int nd;
    const ptrdiff_t *shape;          /* nd extents, the last one N */
    const char *x;
    const ptrdiff_t *xs;
    char *y;
    const ptrdiff_t *ys;
    ptrdiff_t N, B, nbr, nblocks, rows, G;   /* G: blocks per task */
    int jmajor;                      /* block q = (row q % rows, block q / rows) */
    void *tot;                       /* nblocks totals / carries, indexed as q */
    int pass;                        /* 1: totals, 2: the scan */
} scan_ctx;

/* Block q's first element in x and y and its length; 0 for a block that
 * pass 1 skips (a row's last block: its total is never used). */
static inline int block_at(const scan_ctx *c, ptrdiff_t q, const char **xp, char **yp,
                           ptrdiff_t *len)
{
    ptrdiff_t r, j;
    if (c->jmajor) {
        j = q / c->rows;
        r = q - j * c->rows;
    } else {
        r = q / c->nbr;
        j = q - r * c->nbr;
    }
    if (c->pass == 1 && j == c->nbr - 1)
        return 0;
    ptrdiff_t ox = 0, oy = 0, rem = r;
    for (int d = c->nd - 2; d >= 0; d--) {
        ptrdiff_t i = rem % c->shape[d];
        rem /= c->shape[d];
        ox += i * c->xs[d];
        oy += i * c->ys[d];
    }
    ptrdiff_t lo = j * c->B, n = c->N - lo;
    ox += lo * c->xs[c->nd - 1];
    oy += lo * c->ys[c->nd - 1];
    *xp = c->x + ox;
    *yp = c->y + oy;
    *len = n < c->B ? n : c->B;
    return 1;
}

/* m steps of the CW_SCAN_K interleaved folds (then STORE each new state). */
#define CW_SCAN_ROUND(S, T, PRE, COMB, STORE)                                        \
    for (ptrdiff_t i = 0; i < m; i++) {                                              \
        _Pragma("GCC unroll 8")                                                      \
        for (int a = 0; a < CW_SCAN_K; a++) {                                        \
            S v = (S)PRE(*(const T *)(xp[a] + i * xs));                              \
            s[a] = COMB(s[a], v);                                                    \
            STORE;                                                                   \
        }                                                                            \
    }

/* One (op, type) pair: S the state type (unsigned for integer add and
 * multiply: wrap-around without UB), T the stored type, E the identity,
 * PRE(v) the value read (NaN replaced for the nan* ops), COMB(a, b) the
 * fold.  fn(c, q0, q1) runs blocks [q0, q1) of the current pass: groups of
 * CW_SCAN_K blocks interleaved for the length they share, then each one's
 * rest alone -- every block's arithmetic is its own serial fold either way. */
#define CW_SCAN_FN(name, S, T, E, PRE, COMB)                                         \
static void name(const scan_ctx *c, ptrdiff_t q0, ptrdiff_t q1)                      \
{                                                                                    \
    S *tot = (S *)c->tot;                                                            \
    const int store = c->pass == 2;                                                  \
    const ptrdiff_t xs = c->xs[c->nd - 1], ys = c->ys[c->nd - 1];                    \
    const char *xp[CW_SCAN_K];                                                       \
    char *yp[CW_SCAN_K];                                                             \
    ptrdiff_t len[CW_SCAN_K], qq[CW_SCAN_K];                                         \
    S s[CW_SCAN_K];                                                                  \
    int k = 0;                                                                       \
    for (ptrdiff_t q = q0; q <= q1; q++) {                                           \
        if (q < q1 && block_at(c, q, &xp[k], &yp[k], &len[k])) {                     \
            qq[k] = q;                                                               \
            s[k] = store && c->nbr > 1 ? tot[q] : (S)(E);                            \
            k++;                                                                     \
        }                                                                            \
        if (k < CW_SCAN_K && !(q == q1 && k > 0))                                    \
            continue;                                                                \
        ptrdiff_t m = 0;                                                             \
        if (k == CW_SCAN_K) {                                                        \
            m = len[0];                                                              \
            for (int a = 1; a < CW_SCAN_K; a++)                                      \
                m = len[a] < m ? len[a] : m;                                         \
            if (store) {                                                             \
                CW_SCAN_ROUND(S, T, PRE, COMB, *(T *)(yp[a] + i * ys) = (T)s[a])     \
            } else {                                                                 \
                CW_SCAN_ROUND(S, T, PRE, COMB, (void)0)                              \
            }                                                                        \
        }                                                                            \
        for (int a = 0; a < k; a++) {                                                \
            S acc = s[a];                                                            \
            for (ptrdiff_t i = m; i < len[a]; i++) {                                 \
                S v = (S)PRE(*(const T *)(xp[a] + i * xs));                          \
                acc = COMB(acc, v);                                                  \
                if (store)                                                           \
                    *(T *)(yp[a] + i * ys) = (T)acc;                                 \
            }                                                                        \
            if (!store)                                                              \
                tot[qq[a]] = acc;                                                    \
        }                                                                            \
        k = 0;                                                                       \
    }                                                                                \
}                                                                                    \
static void name##_carry(const scan_ctx *c)                                          \
{                                                                                    \
    S *tot = (S *)c->tot;                                                            \
    for (ptrdiff_t r = 0; r < c->rows; r++) {                                        \
        S acc = (S)(E);                                                              \
        for (ptrdiff_t j = 0; j < c->nbr; j++) {                                     \
            ptrdiff_t q = c->jmajor ? j * c->rows + r : r * c->nbr + j;              \
            S t = j < c->nbr - 1 ? tot[q] : (S)(E);                                  \
            tot[q] = acc;                                                            \
            acc = COMB(acc, t);                                                      \
        }                                                                            \
    }                                                                                \
}

#define CW_SC_ID(v) (v)
#define CW_SC_NAN0(v) ((v) != (v) ? 0 : (v))
#define CW_SC_NAN1(v) ((v) != (v) ? 1 : (v))
#define CW_SC_ADD(a, b) ((a) + (b))
#define CW_SC_MUL(a, b) ((a) * (b))
/* NumPy's maximum/minimum (its accumulate loop): NaN propagates (the
 * leftmost one), ties (0.0 and -0.0) give the right operand. */
#define CW_SC_MAX(a, b) (((a) > (b) || (a) != (a)) ? (a) : (b))
#define CW_SC_MIN(a, b) (((a) < (b) || (a) != (a)) ? (a) : (b))

/* -0.0 is the exact additive identity (+0.0 is not: 0.0 + -0.0 == +0.0). */
#define CW_SCAN_TYPE(t, T, U, ZERO, LO, HI)                                          \
    CW_SCAN_FN(add_##t, U, T, ZERO, CW_SC_ID, CW_SC_ADD)                             \
    CW_SCAN_FN(mul_##t, U, T, 1, CW_SC_ID, CW_SC_MUL)                                \
    CW_SCAN_FN(max_##t, T, T, LO, CW_SC_ID, CW_SC_MAX)                               \
    CW_SCAN_FN(min_##t, T, T, HI, CW_SC_ID, CW_SC_MIN)                               \
    CW_SCAN_FN(nanadd_##t, U, T, ZERO, CW_SC_NAN0, CW_SC_ADD)                        \
    CW_SCAN_FN(nanmul_##t, U, T, 1, CW_SC_NAN1, CW_SC_MUL)

CW_SCAN_TYPE(f32, float, float, -0.0f, -INFINITY, INFINITY)
CW_SCAN_TYPE(f64, double, double, -0.0, -INFINITY, INFINITY)
CW_SCAN_TYPE(i32, int32_t, uint32_t, 0, INT32_MIN, INT32_MAX)
CW_SCAN_TYPE(i64, int64_t, uint64_t, 0, INT64_MIN, INT64_MAX)

typedef void (*scan_fn)(const scan_ctx *c, ptrdiff_t q0, ptrdiff_t q1);
typedef void (*carry_fn)(const scan_ctx *c);

#define CW_SCAN_ROW(op) { op##_f32, op##_f64, op##_i32, op##_i64 }
#define CW_CARRY_ROW(op) { op##_f32_carry, op##_f64_carry, op##_i32_carry, op##_i64_carry }
/* indexed [cw_scan_op][cw_dtype] */
static const scan_fn scan_fns[CW_SCAN_NOPS][CW_NDTYPES] = {
    CW_SCAN_ROW(add), CW_SCAN_ROW(mul), CW_SCAN_ROW(max), CW_SCAN_ROW(min),
    CW_SCAN_ROW(nanadd), CW_SCAN_ROW(nanmul),
};
static const carry_fn carry_fns[CW_SCAN_NOPS][CW_NDTYPES] = {
    CW_CARRY_ROW(add), CW_CARRY_ROW(mul), CW_CARRY_ROW(max), CW_CARRY_ROW(min),
    CW_CARRY_ROW(nanadd), CW_CARRY_ROW(nanmul),
};

typedef struct {
    scan_ctx *c;
    scan_fn fn;
    carry_fn carry;
} scan_job;

static void scan_tasks(ptrdiff_t lo, ptrdiff_t hi, void *vj)
{
    const scan_job *j = (const scan_job *)vj;
    const scan_ctx *c = j->c;
    ptrdiff_t q0 = lo * c->G, q1 = hi * c->G;
    j->fn(c, q0, q1 < c->nblocks ? q1 : c->nblocks);
}

static void scan_carries(ptrdiff_t lo, ptrdiff_t hi, void *vj)
{
    const scan_job *j = (const scan_job *)vj;
    j->carry(j->c);
}

/* Blocks of B (cw_get_scan_block at call time) per row of N. */
static ptrdiff_t nblocks_of(ptrdiff_t N, ptrdiff_t B)
{
    return N > 0 ? (N + B - 1) / B : 0;
}

ptrdiff_t cw_scan_scratch(int ndim, const ptrdiff_t *shape)
{
    ptrdiff_t n;
    if (!shape || cw_shape_size(ndim, shape, &n) != CW_OK || n == 0)
        return 0;
    ptrdiff_t N = shape[ndim - 1], nbr = nblocks_of(N, cw_get_scan_block());
    return nbr > 1 ? (n / N) * nbr : 0;
}

int cw_scan(int op, int dtype, int ndim, const ptrdiff_t *shape,
            const char *x, const ptrdiff_t *xstrides, char *y, const ptrdiff_t *ystrides,
            char *scratch, ptrdiff_t scratch_n)
{
    if (op < 0 || op >= CW_SCAN_NOPS)
        return CW_EOP;
    if (dtype < 0 || dtype >= CW_NDTYPES)
        return CW_EDTYPE;
    if (!shape)
        return CW_ENULL;
    ptrdiff_t n;
    int st = cw_shape_size(ndim, shape, &n);
    if (st != CW_OK)
        return st;
    if (n == 0)
        return CW_OK;
    if (!x || !y || !xstrides || !ystrides)
        return CW_ENULL;
    scan_ctx c;
    memset(&c, 0, sizeof c);
    c.nd = ndim;
    c.shape = shape;
    c.x = x;
    c.xs = xstrides;
    c.y = y;
    c.ys = ystrides;
    c.N = shape[ndim - 1];
    c.B = cw_get_scan_block();
    c.nbr = nblocks_of(c.N, c.B);
    c.rows = n / c.N;
    c.nblocks = c.rows * c.nbr;
    if (c.nbr > 1) {
        if (!scratch || scratch_n < c.nblocks)
            return scratch ? CW_ESHAPE : CW_ENULL;
        c.tot = scratch;
    }
    /* The order of the blocks (it only schedules: each block's arithmetic is
     * the same): rows closer in memory than a row's consecutive elements (a
     * scan along axis 0 of a C-order array) are taken block index first, so
     * that the interleaved folds of neighbouring rows share cache lines;
     * otherwise row first (the folds walk one row's consecutive blocks). */
    if (ndim > 1 && c.nbr > 1) {
        ptrdiff_t ro = xstrides[ndim - 2], el = xstrides[ndim - 1];
        c.jmajor = (ro < 0 ? -ro : ro) < (el < 0 ? -el : el);
    }
    /* blocks per task: a multiple of CW_SCAN_K, about 8 serial thresholds
     * of elements (32768 by default; the task list only schedules the work,
     * it never changes a result) */
    ptrdiff_t blen = c.N < c.B ? c.N : c.B;
    ptrdiff_t te = 8 * cw_get_min_parallel();
    ptrdiff_t g = (te + blen - 1) / blen;
    c.G = (g + CW_SCAN_K - 1) / CW_SCAN_K * CW_SCAN_K;
    ptrdiff_t ntasks = (c.nblocks + c.G - 1) / c.G;
    scan_job j = { &c, scan_fns[op][dtype], carry_fns[op][dtype] };
    int flags = 0;
    if (c.nbr > 1) {
        c.pass = 1;
        flags |= cw_parallel_tasks(ntasks, c.G * blen, scan_tasks, &j);
        flags |= cw_parallel_tasks(1, 1, scan_carries, &j);  /* serial: one task */
    }
    c.pass = 2;
    flags |= cw_parallel_tasks(ntasks, c.G * blen, scan_tasks, &j);
    return flags;
}
