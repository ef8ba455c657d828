/* corewise reductions (sum, prod, min, max, arg*, nan*, mean, dot,
 * count_nonzero) and selections of unknown output size (nonzero family).
 *
 * Determinism: a reduction of N elements is a fixed function of N, the
 * block size B (cw_set_reduce_block, default 8192) and the data -- never of
 * the thread count.  The N elements (in C order over the reduced axes) are
 * cut into chunks of at most CHUNK elements; a chunk is reduced with LANES
 * independent accumulators (element i of the chunk goes to lane i % LANES)
 * folded by a fixed pairwise tree.  Chunks are combined by a binary counter
 * (a pairwise tree over chunks) within "tasks" of g blocks (g a power of two
 * chosen from N alone so that there are at most CW_MAXTASKS tasks), and the
 * task results by the same binary counter.  Threads compute whole tasks
 * (any split of the task list gives the same task results) and the task
 * results are combined in order by one thread.  A contiguous task is one
 * call of a dispatched "range kernel" that runs its chunks and their
 * counter inline (no call, copy or gather per chunk); other layouts gather
 * each chunk and call the same kernel on it -- the same arithmetic.
 *
 * Error of a float sum: each element passes through at most
 * (CHUNK/LANES - 1) + log2(LANES) = 12 additions inside its chunk plus
 * ceil(log2(N / CHUNK)) in the trees, so |error| <= (12 + ceil(log2(N/256)))
 * * eps * sum(|x|) to first order -- NumPy's pairwise sum has 18 + log2(N/128).
 * float32 input is accumulated in float64 and rounded once at the end.
 *
 * Complex prod (complex128, and complex64 accumulated in complex128 and
 * rounded once per component at the end): lanes, fold and counters over
 * cw_cmul_c128 (cw_complex.h: NumPy's SIMD formula re =
 * fma(ar, br, -(ai*bi)), im = fma(ar, bi, ai*br), fused on every CPU -- an
 * FMA-target variant and one whose fma() is libm's exact one, the same
 * bits, chosen as complex.c chooses).  One such product has normwise
 * relative error |z^/z - 1| <= 2u (Jeannerod, Kornerup, Louvet, Muller,
 * "Error bounds on complex floating-point multiplication with an FMA",
 * Math. Comp. 86 (2017) 881-898, improving the sqrt(5)u of the unfused
 * formula, Brent, Percival, Zimmermann, Math. Comp. 76 (2007) 1469-1481),
 * barring underflow and overflow.  |xy| = |x||y| for complex numbers, so
 * errors compose multiplicatively along any tree: a product of n factors
 * in n - 1 rounded multiplications (the identity only times the first
 * element, exactly: prod_c128) has
 * |p^ - p| <= ((1 + 2u)^(n-1) - 1) |p|, u = 2^-53, whatever the tree;
 * complex64 adds one rounding to float32: (1 + 2^-24)(1 + 2u)^(n-1) - 1.
 *
 * Selections: count per block (in parallel), exclusive prefix sum of the
 * block counts, then each block fills its slice of the output that Python
 * allocated; exact and race-free for any thread count.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "cw_internal.h"
#include "cw_complex.h"
#include "cw_iter.h"
#include "cw_rtree.h"   /* the tree's constants and task plan (shared with ReductionKernel) */

#define LANES CW_RT_LANES
#define CHUNK CW_RT_CHUNK
#define CW_MAXTASKS CW_RT_MAXTASKS
#define CW_DEFAULT_RBLOCK 8192

static ptrdiff_t cw_rblock = CW_DEFAULT_RBLOCK;

ptrdiff_t cw_set_reduce_block(ptrdiff_t n)
{
    if (n <= 0)
        n = CW_DEFAULT_RBLOCK;
    return __atomic_exchange_n(&cw_rblock, n, __ATOMIC_RELAXED);
}

ptrdiff_t cw_get_reduce_block(void)
{
    return __atomic_load_n(&cw_rblock, __ATOMIC_RELAXED);
}

/* A partial result: an 8-byte value (double, int64 or uint64 bits) or a
 * 16-byte complex128 one (c: re, im -- complex prod) and, for
 * argmin/argmax, the flat index of that value. */
typedef struct {
    union { double f; int64_t i; uint64_t u; double c[2]; } v;
    ptrdiff_t idx;
} rstate;

/* The largest input item (complex128): the gather buffers' item size. */
#define CW_RMAXISZ 16

/* A range kernel reduces n contiguous elements (x, and y for dot) whose
 * first one has flat index base: chunks of CHUNK elements from x[0], each
 * reduced by LANES lanes, combined by the binary counter below.  It runs on
 * a whole task when the data are contiguous, else on one gathered chunk at
 * a time (whose results the caller combines with the same counter), so the
 * result never depends on the layout. */
typedef void (*range_fn)(const char *x, const char *y, ptrdiff_t n,
                         ptrdiff_t base, uint64_t mask, rstate *s);
typedef void (*comb_fn)(rstate *a, const rstate *b); /* a = a (+) b; a is left */
typedef void (*fin_fn)(const rstate *s, ptrdiff_t n, char *out);

#define CW_INLINE inline __attribute__((always_inline))

/* The binary counter: a pairwise tree over the pushed states. */
typedef struct {
    rstate s[64];
    unsigned char lv[64];
    int d;
} counter;

static CW_INLINE void cpush(counter *c, comb_fn comb, rstate s)
{
    int lv = 0;
    while (c->d && c->lv[c->d - 1] == lv) {
        rstate a = c->s[--c->d];
        comb(&a, &s);
        s = a;
        lv++;
    }
    c->s[c->d] = s;
    c->lv[c->d++] = (unsigned char)lv;
}

static CW_INLINE rstate cfinish(counter *c, comb_fn comb)
{
    rstate s = c->s[--c->d];
    while (c->d) {
        rstate a = c->s[--c->d];
        comb(&a, &s);
        s = a;
    }
    return s;
}

/* The selections (max/min/arg*) also have an AVX-512 clone: fewer
 * instructions per element for the max/min lanes (measured: bench --reduce). */
#ifndef CW_DISPATCH_SEL
#define CW_DISPATCH_SEL CW_DISPATCH_VM
#endif

/* FN: the range kernel around NAME_chunk (one chunk, inlined; full chunks
 * get a constant n so that the lanes stay in registers) and NAME_comb.
 * RANGE_KERNEL(NAME, ...) is the dispatched one, FN = NAME. */
#define RANGE_KERNEL(NAME, ISZ, DISPATCH) RANGE_KERNEL_AS(NAME, NAME, ISZ, DISPATCH)
#define RANGE_KERNEL_AS(FN, NAME, ISZ, DISPATCH)                              \
    static DISPATCH void FN(const char *x, const char *y, ptrdiff_t n,        \
                            ptrdiff_t base, uint64_t mask, rstate *out)       \
    {                                                                         \
        counter c;                                                            \
        c.d = 0;                                                              \
        ptrdiff_t a = 0;                                                      \
        for (; a + CHUNK <= n; a += CHUNK) {                                  \
            rstate s;                                                         \
            NAME##_chunk(x + a * (ISZ), y ? y + a * (ISZ) : NULL, CHUNK,      \
                         base + a, mask, &s);                                 \
            cpush(&c, NAME##_comb, s);                                        \
        }                                                                     \
        if (a < n) {                                                          \
            rstate s;                                                         \
            NAME##_chunk(x + a * (ISZ), y ? y + a * (ISZ) : NULL, n - a,      \
                         base + a, mask, &s);                                 \
            cpush(&c, NAME##_comb, s);                                        \
        }                                                                     \
        *out = cfinish(&c, NAME##_comb);                                      \
    }

/* ---- chunk kernels ------------------------------------------------------ */

/* Software prefetch of the one-pass kernels (the scans of max/min/arg*,
 * the lanes of sum/nansum/prod/dot): CW_PREFETCH(p, BYTES)
 * asks for the cache lines of [p, p + BYTES) CW_PREFETCH_AHEAD bytes ahead
 * (a hint: it never faults past the end of the data).  The hardware
 * prefetcher alone left the selections 10-25% slower, in L3 and in DRAM,
 * and nansum float32 2x (bench --reduce, 2-core AMD EPYC Zen 5; the counts
 * measured no gain); 2 KiB is about this machine's bandwidth x latency.
 * 0 turns it off (-DCW_PREFETCH_AHEAD=0). */
#ifndef CW_PREFETCH_AHEAD
#define CW_PREFETCH_AHEAD 2048
#endif
#if CW_PREFETCH_AHEAD
#define CW_PREFETCH(p, BYTES)                                                 \
    do {                                                                      \
        for (int l_ = 0; l_ < (int)(BYTES); l_ += 64)                         \
            __builtin_prefetch((const char *)(p) + CW_PREFETCH_AHEAD + l_);   \
    } while (0)
#else
#define CW_PREFETCH(p, BYTES) ((void)0)
#endif

/* The opening of a chunk kernel NAME_chunk over items of type T: x (and y,
 * dot's second operand) typed. */
#define CHUNK_HEAD(NAME, T)                                                   \
    static CW_INLINE void NAME##_chunk(const char *vx, const char *vy,        \
                                       ptrdiff_t n, ptrdiff_t base,           \
                                       uint64_t mask, rstate *s)              \
    {                                                                         \
        const T *x = (const T *)vx;                                           \
        const T *y = (const T *)vy;                                           \
        (void)y; (void)mask; (void)base;

/* Lane-parallel accumulation with a pairwise fold: the integer sum and
 * prod.  ELEM(k) is the contribution of element k. */
#define LANE_KERNEL(NAME, T, A, INIT, ELEM, OP)                               \
    CHUNK_HEAD(NAME, T)                                                       \
        A acc[LANES];                                                         \
        for (int j = 0; j < LANES; j++)                                       \
            acc[j] = (INIT);                                                  \
        ptrdiff_t i = 0;                                                      \
        for (; i + LANES <= n; i += LANES)                                    \
            for (int j = 0; j < LANES; j++) {                                 \
                ptrdiff_t k = i + j;                                          \
                A a = acc[j], b = (ELEM);                                     \
                acc[j] = (OP);                                                \
            }                                                                 \
        for (int j = 0; i + j < n; j++) {                                     \
            ptrdiff_t k = i + j;                                              \
            A a = acc[j], b = (ELEM);                                         \
            acc[j] = (OP);                                                    \
        }                                                                     \
        LANE_FOLD(A, acc, OP, s)                                              \
    }                                                                         \
    LANE_COMB(NAME, A, OP)                                                    \
    RANGE_KERNEL(NAME, sizeof(T), CW_DISPATCH)

/* The lanes' pairwise fold into s, and NAME_comb: a = a (+) b. */
#define LANE_FOLD(A, acc, OP, s)                                              \
    for (int w = LANES / 2; w; w /= 2)                                        \
        for (int j = 0; j < w; j++) {                                         \
            A a = acc[j], b = acc[j + w];                                     \
            acc[j] = (OP);                                                    \
        }                                                                     \
    memcpy(&(s)->v, &acc[0], sizeof(A));
#define LANE_COMB(NAME, A, OP)                                                \
    static CW_INLINE void NAME##_comb(rstate *sa, const rstate *sb)           \
    {                                                                         \
        A a, b;                                                               \
        memcpy(&a, &sa->v, sizeof a);                                         \
        memcpy(&b, &sb->v, sizeof b);                                         \
        a = (OP);                                                             \
        memcpy(&sa->v, &a, sizeof a);                                         \
    }

/* Integers accumulate in uint64 (wrap-around, which for two's complement
 * equals NumPy's int64 wrap-around); float types in double (below). */
LANE_KERNEL(sum_u64, uint64_t, uint64_t, 0, x[k], a + b)
LANE_KERNEL(prod_u64, uint64_t, uint64_t, 1, x[k], a * b)

/* The float lanes (sum, nansum, prod, dot of float32/float64) held in
 * LANES / 4 vectors of 4 doubles, lane j element j % 4 of vector j / 4, and
 * folded in those vectors: LANE_KERNEL's arithmetic -- lane j takes the
 * elements k = j mod LANES in order, the same pairwise fold (w = 16, 8, 4
 * are whole vectors: v[q] (+) v[q + w/4]; then elements 0,1 (+) 2,3 and
 * 0 (+) 1) -- so the same bits.  GCC kept LANE_KERNEL's double lanes of a
 * float32 input, and its 31-step scalar fold, on the stack: float32 sum
 * ran at a third of float64's speed per byte in cache (and at 0.6-0.76x
 * NumPy's on 32M elements, measured: bench --reduce).
 * VELEM(q) is the vector of the contributions of elements i + 4q ..
 * i + 4q + 3 (i, x, y in scope); ELEM(k) one element's, for a short
 * chunk's tail. */
typedef double cw_v4d __attribute__((vector_size(32)));
typedef float cw_v4f __attribute__((vector_size(16)));
typedef int32_t cw_v4i __attribute__((vector_size(16)));
typedef int64_t cw_v4l __attribute__((vector_size(32)));
#define VLANE_KERNEL(NAME, T, INIT, VELEM, ELEM, OP)                          \
    CHUNK_HEAD(NAME, T)                                                       \
        cw_v4d v[LANES / 4];                                                  \
        for (int q = 0; q < LANES / 4; q++)                                   \
            v[q] = (cw_v4d){ INIT, INIT, INIT, INIT };                        \
        ptrdiff_t i = 0;                                                      \
        for (; i + LANES <= n; i += LANES) {                                  \
            CW_PREFETCH(x + i, LANES * sizeof(T));                            \
            if (y && y != x)                                                  \
                CW_PREFETCH(y + i, LANES * sizeof(T));                        \
            for (int q = 0; q < LANES / 4; q++) {                             \
                cw_v4d a = v[q], b = VELEM(q);                                \
                v[q] = (OP);                                                  \
            }                                                                 \
        }                                                                     \
        if (i < n) {                                                          \
            double acc[LANES];                                                \
            memcpy(acc, v, sizeof acc);                                       \
            for (int j = 0; i + j < n; j++) {                                 \
                ptrdiff_t k = i + j;                                          \
                double a = acc[j], b = ELEM(k);                               \
                acc[j] = (OP);                                                \
            }                                                                 \
            memcpy(v, acc, sizeof acc);                                       \
        }                                                                     \
        for (int w = LANES / 8; w; w /= 2)                                    \
            for (int q = 0; q < w; q++) {                                     \
                cw_v4d a = v[q], b = v[q + w];                                \
                v[q] = (OP);                                                  \
            }                                                                 \
        double r0, r1;                                                        \
        { double a = v[0][0], b = v[0][2]; r0 = (OP); }                       \
        { double a = v[0][1], b = v[0][3]; r1 = (OP); }                       \
        { double a = r0, b = r1; r0 = (OP); }                                 \
        memcpy(&s->v, &r0, sizeof r0);                                        \
    }                                                                         \
    LANE_COMB(NAME, double, OP)                                               \
    RANGE_KERNEL(NAME, sizeof(T), CW_DISPATCH)

/* 4 elements as doubles: a float32 vector widened element by element (GCC
 * 12 lowers __builtin_convertvector to 2-element conversions via the
 * stack), or 4 doubles loaded. */
#define V4_F32(F) ({ cw_v4f f_ = (F); (cw_v4d){ f_[0], f_[1], f_[2], f_[3] }; })
#define LD4_F64(P) ({ cw_v4d d_; memcpy(&d_, (P), sizeof d_); d_; })
static CW_INLINE cw_v4f ld4_f32(const float *p) { cw_v4f f; memcpy(&f, p, sizeof f); return f; }
/* NaN -> +0.0: float32 by the bits (|x| above the infinity's, no FP compare,
 * as nan0_f32), float64 where x == x (as nan0_f64); statement expressions,
 * not functions: a 32-byte vector return is ABI-dependent */
static CW_INLINE cw_v4f nan0_v4f(cw_v4f f)
{
    cw_v4i u = (cw_v4i)f;
    return (cw_v4f)(u & (cw_v4i)((u & 0x7fffffff) <= 0x7f800000));
}
#define NAN0_V4D(D) ({ cw_v4d d_ = (D); (cw_v4d)((cw_v4l)d_ & (cw_v4l)(d_ == d_)); })
static CW_INLINE double nan0_f64(double d) { return d != d ? 0.0 : d; }
/* x, or +0.0 for a NaN, in double: the NaN test on the bits (|x| above the
 * infinity's), branch-free for the scalar tails. */
static CW_INLINE double nan0_f32(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    u &= -(uint32_t)((u & 0x7fffffffu) <= 0x7f800000u);
    memcpy(&f, &u, 4);
    return (double)f;
}
#define X4_F32(q) V4_F32(ld4_f32(x + i + 4 * (q)))
#define X4_F64(q) LD4_F64(x + i + 4 * (q))
#define N4_F32(q) V4_F32(nan0_v4f(ld4_f32(x + i + 4 * (q))))
#define N4_F64(q) NAN0_V4D(LD4_F64(x + i + 4 * (q)))
#define XY4_F32(q) (X4_F32(q) * V4_F32(ld4_f32(y + i + 4 * (q))))
#define XY4_F64(q) (X4_F64(q) * LD4_F64(y + i + 4 * (q)))
#define X1(k) ((double)x[k])
#define N1_F32(k) nan0_f32(x[k])
#define N1_F64(k) nan0_f64(x[k])
#define XY1(k) ((double)x[k] * (double)y[k])
VLANE_KERNEL(sum_f32, float, 0.0, X4_F32, X1, a + b)
VLANE_KERNEL(sum_f64, double, 0.0, X4_F64, X1, a + b)
VLANE_KERNEL(nansum_f32, float, 0.0, N4_F32, N1_F32, a + b)
VLANE_KERNEL(nansum_f64, double, 0.0, N4_F64, N1_F64, a + b)
VLANE_KERNEL(prod_f32, float, 1.0, X4_F32, X1, a * b)
VLANE_KERNEL(prod_f64, double, 1.0, X4_F64, X1, a * b)
/* dot: lane j adds the products x[k] * y[k] (each rounded to double), k = j
 * mod LANES, in order. */
VLANE_KERNEL(dot_f32, float, 0.0, XY4_F32, XY1, a + b)
VLANE_KERNEL(dot_f64, double, 0.0, XY4_F64, XY1, a + b)

/* Complex prod (the bound: top of the file): LANES lanes of complex128
 * under the fused multiply, like LANE_KERNEL's, except that a lane starts
 * at its first element and the fold skips lanes a short chunk leaves
 * empty, so that the 1+0j identity multiplies one element only: the first
 * (flat index 0: base == 0), as NumPy's serial product starts, 1+0j times
 * it -- exact for finite values (a -0.0 part may become +0.0), NaN for an
 * infinite part's partner (inf * 0 in the cross term) as in NumPy, and a
 * one-element product is NumPy's bitwise.  A product of n elements is then
 * n - 1 rounded multiplications of them.
 * NAME_fma is compiled for FMA hardware, NAME_soft without (libm's fma():
 * the same bits); NAME picks one as complex.c's fused rows do
 * (COREWISE_ISA=baseline: the soft one). */
static CW_INLINE cw_c128 c128_of_c64(cw_c64 z) { return (cw_c128){ z.re, z.im }; }
#define CMUL(a, b) cw_cmul_c128((a), (b), 1)
#define CPROD_KERNEL(NAME, T, ELEM)                                           \
    static CW_INLINE void NAME##_chunk(const char *vx, const char *vy,        \
                                       ptrdiff_t n, ptrdiff_t base,           \
                                       uint64_t mask, rstate *s)              \
    {                                                                         \
        const T *x = (const T *)vx;                                           \
        const int m = n < LANES ? (int)n : LANES;   /* lanes in use */        \
        cw_c128 acc[LANES];                                                   \
        for (int j = 0; j < m; j++)                                           \
            acc[j] = ELEM(x[j]);                                              \
        if (base == 0)                                                        \
            acc[0] = CMUL(((cw_c128){ 1.0, 0.0 }), acc[0]);                   \
        ptrdiff_t i = LANES;                                                  \
        for (; i + LANES <= n; i += LANES)                                    \
            for (int j = 0; j < LANES; j++)                                   \
                acc[j] = CMUL(acc[j], ELEM(x[i + j]));                        \
        for (int j = 0; i + j < n; j++)                                       \
            acc[j] = CMUL(acc[j], ELEM(x[i + j]));                            \
        /* lanes [0, min(m, 2w)) are in use before step w */                  \
        for (int w = LANES / 2; w; w /= 2)                                    \
            for (int j = 0; j < w && j + w < m; j++)                          \
                acc[j] = CMUL(acc[j], acc[j + w]);                            \
        memcpy(&s->v, &acc[0], sizeof acc[0]);                                \
    }                                                                         \
    static CW_INLINE void NAME##_comb(rstate *sa, const rstate *sb)           \
    {                                                                         \
        cw_c128 a, b;                                                         \
        memcpy(&a, &sa->v, sizeof a);                                         \
        memcpy(&b, &sb->v, sizeof b);                                         \
        a = CMUL(a, b);                                                       \
        memcpy(&sa->v, &a, sizeof a);                                         \
    }                                                                         \
    RANGE_KERNEL_AS(NAME##_fma, NAME, sizeof(T), CW_CX_FMA_TARGET)            \
    RANGE_KERNEL_AS(NAME##_soft, NAME, sizeof(T), CW_DISPATCH)                \
    static void NAME(const char *x, const char *y, ptrdiff_t n,               \
                     ptrdiff_t base, uint64_t mask, rstate *out)              \
    {                                                                         \
        (cw_cx_fma ? NAME##_fma : NAME##_soft)(x, y, n, base, mask, out);     \
    }
static CW_INLINE cw_c128 c128_id(cw_c128 z) { return z; }
CPROD_KERNEL(prod_c64, cw_c64, c128_of_c64)
CPROD_KERNEL(prod_c128, cw_c128, c128_id)

/* count_nonzero of 2-, 4- and 8-byte items: an exact integer count, so one
 * narrow counter a chunk (at most CHUNK) in place of LANE_KERNEL's uint64
 * lanes -- compare and subtract in the input's width, 2.5x faster in
 * cache. */
#define COUNT_KERNEL(NAME, T)                                                 \
    static CW_INLINE void NAME##_chunk(const char *vx, const char *vy,        \
                                       ptrdiff_t n, ptrdiff_t base,           \
                                       uint64_t mask, rstate *s)              \
    {                                                                         \
        const T *x = (const T *)vx;                                           \
        const T m = (T)mask;                                                  \
        T t = 0;                                                              \
        for (ptrdiff_t k = 0; k < n; k++)                                     \
            t += (T)((x[k] & m) != 0);                                        \
        s->v.u = t;                                                           \
    }                                                                         \
    static CW_INLINE void NAME##_comb(rstate *a, const rstate *b) { a->v.u += b->v.u; } \
    RANGE_KERNEL(NAME, sizeof(T), CW_DISPATCH)
COUNT_KERNEL(count_b16, uint16_t)
COUNT_KERNEL(count_b32, uint32_t)
COUNT_KERNEL(count_b64, uint64_t)

/* Bytes, 8 at a time: the top bit of each byte of nz8() is set where that
 * byte (masked) is non-zero.  Exact integer counts, so any order of
 * adding gives the same result as the lanes. */
#define ONES8 0x0101010101010101ull
static CW_INLINE uint64_t nz8(uint64_t v)
{
    const uint64_t lo7 = 0x7f * ONES8;
    return (((v & lo7) + lo7) | v) & (0x80 * ONES8);
}

static CW_INLINE void count_b8_chunk(const char *x, const char *y, ptrdiff_t n,
                                     ptrdiff_t base, uint64_t mask, rstate *s)
{
    const uint64_t m8 = (mask & 0xFF) * ONES8;
    uint64_t bytes = 0;          /* per-byte counts: at most CHUNK / 8 = 32 */
    ptrdiff_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, x + i, 8);
        bytes += nz8(v & m8) >> 7;
    }
    const uint64_t even = 0x00ff00ff00ff00ffull;
    uint64_t pairs = (bytes & even) + ((bytes >> 8) & even);  /* 16-bit sums */
    uint64_t t = (pairs * 0x0001000100010001ull) >> 48;
    for (; i < n; i++)
        t += ((uint8_t)x[i] & mask) != 0;
    s->v.u = t;
}
static CW_INLINE void count_b8_comb(rstate *a, const rstate *b) { a->v.u += b->v.u; }
RANGE_KERNEL(count_b8, 1, CW_DISPATCH)

/* Selection by lanes: PICK(a, b) is true when b (the right/later value)
 * replaces a.  max/min propagate NaN; nanmax/nanmin skip it (NaN only if
 * every element is NaN).  V stores T in the state (float -> double). */
#define PICK_MAX(a, b) (((b) >= (a)) | ((b) != (b)))
#define PICK_MIN(a, b) (((b) <= (a)) | ((b) != (b)))
#define PICK_NANMAX(a, b) (((b) >= (a)) | ((a) != (a)))
#define PICK_NANMIN(a, b) (((b) <= (a)) | ((a) != (a)))
#define GT(b, a) ((b) > (a))
#define LT(b, a) ((b) < (a))

/* The new lane value: exact (PICK) or by the hardware max/min instruction
 * (a > b ? a : b gives b on ties and on NaN; equal to the exact update
 * whenever no NaN is involved). */
#define UPD_MAX(a, b) (PICK_MAX(a, b) ? (b) : (a))
#define UPD_MIN(a, b) (PICK_MIN(a, b) ? (b) : (a))
#define UPD_NANMAX(a, b) (PICK_NANMAX(a, b) ? (b) : (a))
#define UPD_NANMIN(a, b) (PICK_NANMIN(a, b) ? (b) : (a))
#define UPD_HWMAX(a, b) ((a) > (b) ? (a) : (b))
#define UPD_HWMIN(a, b) ((a) < (b) ? (a) : (b))

/* FN(x, n): the selection of a chunk (n >= 1) by lanes under UPD. */
#define SEL_BY(FN, T, UPD)                                                    \
    static CW_INLINE T FN(const T *x, ptrdiff_t n)                            \
    {                                                                         \
        T m[LANES];                                                           \
        for (int j = 0; j < LANES; j++)                                       \
            m[j] = x[0];                                                      \
        ptrdiff_t i = 0;                                                      \
        for (; i + LANES <= n; i += LANES)                                    \
            for (int j = 0; j < LANES; j++)                                   \
                m[j] = UPD(m[j], x[i + j]);                                   \
        for (int j = 0; i + j < n; j++)                                       \
            m[j] = UPD(m[j], x[i + j]);                                       \
        for (int w = LANES / 2; w; w /= 2)                                    \
            for (int j = 0; j < w; j++)                                       \
                m[j] = UPD(m[j], m[j + w]);                                   \
        return m[0];                                                          \
    }

#define CW_MASK_OF(T) __typeof__(_Generic((T)0, float: (int32_t)0, default: (int64_t)0))

/* NAME_fast: NAME_lanes's result for floats with one max/min instruction
 * per vector (NAME_hw, under HW), unless the chunk holds a NaN -- found
 * first by quiet unordered compares of its two halves, OR-accumulated in
 * integers as wide as T (the last element covers an odd n) -- in which case
 * the exact NAME_lanes does it. */
#define SEL_FAST(NAME, T, HW)                                                 \
    SEL_BY(NAME##_hw, T, HW)                                                  \
    static CW_INLINE T NAME##_fast(const T *x, ptrdiff_t n)                   \
    {                                                                         \
        const ptrdiff_t h = n / 2;                                            \
        CW_MASK_OF(T) nan = x[n - 1] != x[n - 1];                             \
        _Pragma("GCC unroll 4")                                               \
        for (ptrdiff_t k = 0; k < h; k++)                                     \
            nan |= -(CW_MASK_OF(T))__builtin_isunordered(x[k], x[k + h]);     \
        return nan ? NAME##_lanes(x, n) : NAME##_hw(x, n);                    \
    }

/* ---- one-pass scans for the contiguous selections ----------------------
 *
 * The selections are exact, so a range's result does not depend on how it
 * is cut: combining chunk states with NAME_comb is associative (it keeps
 * the rightmost of the top class: for max the last NaN if there is one,
 * else the last element equal to the maximum; nanmax ranks NaN lowest; the
 * arg* states the leftmost), so any order of combining them gives the
 * state the binary counter gives.  Hence a contiguous range is scanned in
 * one pass with wide lanes (the hardware max/min, the NaN test OR-
 * accumulated in the same pass), and the chunk kernels run only where the
 * scan's answer could differ in its bits: a range holding a NaN, or a
 * max/min that is a zero (which of -0.0 and +0.0 the lanes keep is then
 * theirs to say).  argmax/argmin keep, lane by lane, the best value and the
 * block of SBLK elements where it was first reached, and look for the
 * index once, in the winning lane's block -- the "blockwise max, then a
 * second search of the winning block" of SIMD argmax designs (e.g.
 * NumPy's); the code is our own.  Results are bitwise those of the chunk
 * kernels alone (the counter over chunks of CHUNK lanes). */

#define SBLK (16 * CHUNK)

/* Integers have no NaN and no signed zero. */
#define UNORD_FLOAT(a, b) __builtin_isunordered(a, b)
#define UNORD_INT(a, b) 0
#define IS_FLOAT(T) ((T)0.5 != 0)

/* One step of a scan's lanes: L = 128 / sizeof(T) lanes in each of two
 * arrays (two 512-bit vectors each; float32 16 to a zmm), 2L elements a
 * step; a NaN test on each pair of elements OR-accumulated in integers as
 * wide as T (M).  HW(a, b) is a > b ? a : b (or <), a the new element: a
 * NaN element is skipped (and flagged in u). */
#define SCAN_STEP(HW, UNORD, x, i, m0, m1, u)                                 \
    {                                                                         \
        CW_PREFETCH((x) + (i), 256);                                          \
        for (int j = 0; j < L; j++) {                                         \
            __typeof__((x)[0]) a_ = (x)[(i) + j], b_ = (x)[(i) + L + j];      \
            m0[j] = HW(a_, m0[j]);                                            \
            m1[j] = HW(b_, m1[j]);                                            \
            u[j] |= -(M)UNORD(a_, b_);                                        \
        }                                                                     \
    }

/* FN(x, n, &m): returns non-zero if x[0..n) (n >= 1) holds a NaN, else
 * sets m to its max/min (by HW). */
#define SCAN_BY(FN, T, HW, UNORD)                                             \
    static CW_INLINE int FN(const T *x, ptrdiff_t n, T *res)                  \
    {                                                                         \
        enum { L = 128 / sizeof(T) };                                      \
        typedef CW_MASK_OF(T) M;                                              \
        T m0[L], m1[L], t = x[0];                                             \
        M u[L], tu = 0;                                                       \
        for (int j = 0; j < L; j++) {                                         \
            m0[j] = m1[j] = x[0];                                             \
            u[j] = 0;                                                         \
        }                                                                     \
        ptrdiff_t i = 0;                                                      \
        for (; i + 2 * L <= n; i += 2 * L)                                    \
            SCAN_STEP(HW, UNORD, x, i, m0, m1, u)                             \
        for (; i < n; i++) {                                                  \
            t = HW(x[i], t);                                                  \
            tu |= UNORD(x[i], x[i]);                                          \
        }                                                                     \
        for (int j = 0; j < L; j++) {                                         \
            m0[j] = HW(m1[j], m0[j]);                                         \
            tu |= u[j];                                                       \
        }                                                                     \
        for (int j = 0; j < L; j++)                                           \
            t = HW(m0[j], t);                                                 \
        *res = t;                                                             \
        return tu != 0;                                                       \
    }

/* Whether x[0..n) holds a NaN. */
#define HAS_NAN(FN, T)                                                        \
    static CW_INLINE int FN(const T *x, ptrdiff_t n)                          \
    {                                                                         \
        CW_MASK_OF(T) u = 0;                                                  \
        for (ptrdiff_t i = 0; i < n; i++)                                     \
            u |= x[i] != x[i];                                                \
        return u != 0;                                                        \
    }

/* The first k in [0, n) with PRED(x[k], v) (one must exist): 16 elements
 * tested at a time without a branch, then the one found among them. */
#define FIND_FIRST(FN, T, PRED)                                               \
    static CW_INLINE ptrdiff_t FN(const T *x, ptrdiff_t n, T v)               \
    {                                                                         \
        (void)v;                                                              \
        ptrdiff_t i = 0;                                                      \
        for (; i + 16 <= n; i += 16) {                                        \
            int hit = 0;                                                      \
            for (int j = 0; j < 16; j++)                                      \
                hit |= PRED(x[i + j], v);                                     \
            if (hit)                                                          \
                break;                                                        \
        }                                                                     \
        while (!PRED(x[i], v))                                                \
            i++;                                                              \
        return i;                                                             \
    }
#define IS_NAN(a, v) ((a) != (a))

/* max/min/nanmax/nanmin: NAME_chunk (LANESFN: NAME_lanes or NAME_fast) and
 * NAME_comb; NAME_exact, their range kernel (the binary counter over
 * chunks); NAME, the dispatched range kernel: one scan of the range, whose
 * answer is the result unless the range holds a NaN or its max/min is a
 * zero.  Then: with NANTOP (max, min: a NaN is the answer) the state of
 * the last chunk holding a NaN (every other chunk's state loses to it),
 * else NAME_exact. */
#define SEL_KERNEL(NAME, T, V, FIELD, PICK, LANESFN, SCAN, HASNAN, NANTOP)    \
    static CW_INLINE void NAME##_chunk(const char *vx, const char *vy,        \
                                       ptrdiff_t n, ptrdiff_t base,           \
                                       uint64_t mask, rstate *s)              \
    {                                                                         \
        s->v.FIELD = (V)LANESFN((const T *)vx, n);                            \
    }                                                                         \
    static CW_INLINE void NAME##_comb(rstate *sa, const rstate *sb)           \
    {                                                                         \
        V a = sa->v.FIELD, b = sb->v.FIELD;                                   \
        if (PICK(a, b))                                                       \
            sa->v.FIELD = b;                                                  \
    }                                                                         \
    RANGE_KERNEL_AS(NAME##_exact, NAME, sizeof(T), CW_INLINE)                 \
    CW_DISPATCH_SEL static void NAME(const char *x, const char *y,            \
                                     ptrdiff_t n, ptrdiff_t base,             \
                                     uint64_t mask, rstate *out)              \
    {                                                                         \
        const T *p = (const T *)x;                                            \
        T m;                                                                  \
        const int nan = SCAN(p, n, &m);                                       \
        if (!nan && (m != 0 || !IS_FLOAT(T))) {                               \
            out->v.FIELD = (V)m;                                              \
        } else if (nan && (NANTOP)) {                                         \
            ptrdiff_t c = (n - 1) / CHUNK * CHUNK;                            \
            while (!HASNAN(p + c, n - c < CHUNK ? n - c : CHUNK))             \
                c -= CHUNK;                                                   \
            NAME##_chunk((const char *)(p + c), y,                            \
                         n - c < CHUNK ? n - c : CHUNK, base + c, mask, out); \
        } else {                                                              \
            NAME##_exact(x, y, n, base, mask, out);                           \
        }                                                                     \
    }

/* argmax/argmin: the first NaN if there is one, else the first index of
 * the extreme (ties, -0.0 == +0.0 included: the first), as NumPy.  The
 * range kernel runs the scan's 2L lanes over blocks of SBLK elements and
 * keeps, lane by lane, the strictly best block maximum and its block.  At
 * the end, for each lane holding the extreme, its first occurrence in that
 * lane is searched for in the lane's block only (every 2L-th element: a
 * lane's block is the first holding the extreme in that lane), and the
 * smallest of these is the first index (the last < 2L elements go by
 * themselves).  A NaN anywhere: the first one, searched for from the
 * start.  Combining keeps the left (earlier) state on ties. */
#define ARG_KERNEL(NAME, HW, UNORD, FINDNAN, T, V, FIELD, BETTER)             \
    static CW_INLINE void NAME##_comb(rstate *sa, const rstate *sb)           \
    {                                                                         \
        V a = sa->v.FIELD, b = sb->v.FIELD;                                   \
        if (a != a)                                                           \
            return;                                                           \
        if (b != b || BETTER(b, a))                                           \
            *sa = *sb;                                                        \
    }                                                                         \
    CW_DISPATCH_SEL static void NAME(const char *x, const char *y,            \
                                     ptrdiff_t n, ptrdiff_t base,             \
                                     uint64_t mask, rstate *out)              \
    {                                                                         \
        enum { L = 128 / sizeof(T) };                                      \
        typedef CW_MASK_OF(T) M;                                              \
        const T *p = (const T *)x;                                            \
        T best[2 * L];                                                        \
        M blk[2 * L], u[L], tu = 0;                                           \
        for (int j = 0; j < 2 * L; j++) {                                     \
            best[j] = p[0];                                                   \
            blk[j] = 0;                                                       \
        }                                                                     \
        for (int j = 0; j < L; j++)                                           \
            u[j] = 0;                                                         \
        const ptrdiff_t nl = n / (2 * L) * (2 * L);                           \
        M b = 0;                                                              \
        for (ptrdiff_t a = 0; a < nl; a += SBLK, b++) {                       \
            const ptrdiff_t e = nl - a < SBLK ? nl : a + SBLK;                \
            T m0[L], m1[L];                                                   \
            for (int j = 0; j < L; j++)                                       \
                m0[j] = m1[j] = p[a];                                         \
            const T *q = p + a;                                               \
            const ptrdiff_t len = e - a;                                      \
            for (ptrdiff_t i = 0; i < len; i += 2 * L)                        \
                SCAN_STEP(HW, UNORD, q, i, m0, m1, u)                         \
            for (int j = 0; j < L; j++) {                                     \
                M up0 = -(M)BETTER(m0[j], best[j]);                           \
                M up1 = -(M)BETTER(m1[j], best[L + j]);                       \
                best[j] = up0 ? m0[j] : best[j];                              \
                blk[j] = up0 ? b : blk[j];                                    \
                best[L + j] = up1 ? m1[j] : best[L + j];                      \
                blk[L + j] = up1 ? b : blk[L + j];                            \
            }                                                                 \
        }                                                                     \
        T t = p[nl < n ? nl : 0];                                             \
        ptrdiff_t k = nl;                                                     \
        for (ptrdiff_t i = nl; i < n; i++) {                                  \
            tu |= UNORD(p[i], p[i]);                                          \
            if (BETTER(p[i], t)) {                                            \
                t = p[i];                                                     \
                k = i;                                                        \
            }                                                                 \
        }                                                                     \
        for (int j = 0; j < L; j++)                                           \
            tu |= u[j];                                                       \
        if (tu) {                                                             \
            k = FINDNAN(p, n, p[0]);                                          \
        } else if (nl) {                                                      \
            T m = best[0];                                                    \
            for (int j = 1; j < 2 * L; j++)                                   \
                m = HW(best[j], m);                                           \
            if (nl == n || !BETTER(t, m)) {                                   \
                k = n;                                                        \
                for (int j = 0; j < 2 * L; j++) {                             \
                    if (!(best[j] == m))                                      \
                        continue;                                             \
                    ptrdiff_t i = (ptrdiff_t)blk[j] * SBLK + j;               \
                    while (i < k && !(p[i] == m))                             \
                        i += 2 * L;                                           \
                    k = i < k ? i : k;                                        \
                }                                                             \
            }                                                                 \
        }                                                                     \
        out->v.FIELD = (V)p[k];                                               \
        out->idx = base + k;                                                  \
    }

/* The selections of one type: floats (FAST = SEL_FAST, L = _fast, UNORD =
 * UNORD_FLOAT) or integers (FAST = NO_FAST, L = _lanes, UNORD_INT). */
#define NO_FAST(NAME, T, HW)
#define SEL_FAMILY(SUF, T, V, FIELD, FAST, L, UNORD)                          \
    SEL_BY(max_##SUF##_lanes, T, UPD_MAX)                                     \
    SEL_BY(min_##SUF##_lanes, T, UPD_MIN)                                     \
    FAST(max_##SUF, T, UPD_HWMAX)                                             \
    FAST(min_##SUF, T, UPD_HWMIN)                                             \
    SCAN_BY(max_##SUF##_scan, T, UPD_HWMAX, UNORD)                            \
    SCAN_BY(min_##SUF##_scan, T, UPD_HWMIN, UNORD)                            \
    HAS_NAN(has_nan_##SUF, T)                                                 \
    FIND_FIRST(find_nan_##SUF, T, IS_NAN)                                     \
    SEL_KERNEL(max_##SUF, T, V, FIELD, PICK_MAX, max_##SUF##L,                \
               max_##SUF##_scan, has_nan_##SUF, 1)                            \
    SEL_KERNEL(min_##SUF, T, V, FIELD, PICK_MIN, min_##SUF##L,                \
               min_##SUF##_scan, has_nan_##SUF, 1)                            \
    ARG_KERNEL(argmax_##SUF, UPD_HWMAX, UNORD, find_nan_##SUF, T, V, FIELD, GT) \
    ARG_KERNEL(argmin_##SUF, UPD_HWMIN, UNORD, find_nan_##SUF, T, V, FIELD, LT)
#define NANSEL_FAMILY(SUF, T)                                                 \
    SEL_BY(nanmax_##SUF##_lanes, T, UPD_NANMAX)                               \
    SEL_BY(nanmin_##SUF##_lanes, T, UPD_NANMIN)                               \
    SEL_FAST(nanmax_##SUF, T, UPD_HWMAX)                                      \
    SEL_FAST(nanmin_##SUF, T, UPD_HWMIN)                                      \
    SEL_KERNEL(nanmax_##SUF, T, double, f, PICK_NANMAX, nanmax_##SUF##_fast,  \
               max_##SUF##_scan, has_nan_##SUF, 0)                            \
    SEL_KERNEL(nanmin_##SUF, T, double, f, PICK_NANMIN, nanmin_##SUF##_fast,  \
               min_##SUF##_scan, has_nan_##SUF, 0)
SEL_FAMILY(f32, float, double, f, SEL_FAST, _fast, UNORD_FLOAT)
SEL_FAMILY(f64, double, double, f, SEL_FAST, _fast, UNORD_FLOAT)
SEL_FAMILY(i64, int64_t, int64_t, i, NO_FAST, _lanes, UNORD_INT)
SEL_FAMILY(u64, uint64_t, uint64_t, u, NO_FAST, _lanes, UNORD_INT)
NANSEL_FAMILY(f32, float)
NANSEL_FAMILY(f64, double)

/* ---- finalisers: the state written in the output dtype ------------------ */

static void fin_f32(const rstate *s, ptrdiff_t n, char *o) { float v = (float)s->v.f; memcpy(o, &v, 4); }
static void fin_f64(const rstate *s, ptrdiff_t n, char *o) { memcpy(o, &s->v.f, 8); }
static void fin_u64(const rstate *s, ptrdiff_t n, char *o) { memcpy(o, &s->v.u, 8); }
static void fin_mean_f32(const rstate *s, ptrdiff_t n, char *o) { float v = (float)(s->v.f / (double)n); memcpy(o, &v, 4); }
static void fin_mean_f64(const rstate *s, ptrdiff_t n, char *o) { double v = s->v.f / (double)n; memcpy(o, &v, 8); }
static void fin_c64(const rstate *s, ptrdiff_t n, char *o)
{
    float v[2] = { (float)s->v.c[0], (float)s->v.c[1] };
    memcpy(o, v, 8);
}
static void fin_c128(const rstate *s, ptrdiff_t n, char *o) { memcpy(o, s->v.c, 16); }
static void fin_idx(const rstate *s, ptrdiff_t n, char *o) { int64_t v = s->idx; memcpy(o, &v, 8); }

/* ---- the (operation, dtype) table --------------------------------------- */

typedef struct {
    range_fn range;
    comb_fn comb;
    fin_fn fin;
    ptrdiff_t isz;    /* input item size */
    int fpe;          /* report floating-point exceptions (arithmetic ops) */
} rentry;

/* An entry; a row's float columns (f32, f64); its integer ones (i64, u64). */
#define E(K, F, SZ, FPE) { K, K##_comb, F, SZ, FPE }
#define FLOATS(K, F32, F64, FPE) E(K##_f32, F32, 4, FPE), E(K##_f64, F64, 8, FPE)
#define INTS(KI, KU, F) E(KI, F, 8, 0), E(KU, F, 8, 0)
#define ARITH(K, KI) FLOATS(K, fin_f32, fin_f64, 1), INTS(KI, KI, fin_u64)
#define SEL(K, KI) FLOATS(K, fin_f32, fin_f64, 0), INTS(KI##_i64, KI##_u64, fin_u64)
#define ARG(K) FLOATS(K, fin_idx, fin_idx, 0), INTS(K##_i64, K##_u64, fin_idx)
/* dtype columns: CW_RF32, CW_RF64, CW_RI64, CW_RU64, CW_RB8..CW_RB64,
 * CW_RC64, CW_RC128 */
static const rentry cw_rtable[CW_RNOPS][CW_RNDTYPES] = {
    [CW_RSUM] = { ARITH(sum, sum_u64) },
    [CW_RPROD] = { ARITH(prod, prod_u64), [CW_RC64] = E(prod_c64, fin_c64, 8, 1),
                   E(prod_c128, fin_c128, 16, 1) },
    [CW_RMEAN] = { FLOATS(sum, fin_mean_f32, fin_mean_f64, 1) },
    [CW_RNANSUM] = { ARITH(nansum, sum_u64) },
    [CW_RMAX] = { SEL(max, max) },
    [CW_RMIN] = { SEL(min, min) },
    [CW_RNANMAX] = { SEL(nanmax, max) },
    [CW_RNANMIN] = { SEL(nanmin, min) },
    [CW_RARGMAX] = { ARG(argmax) },
    [CW_RARGMIN] = { ARG(argmin) },
    [CW_RCOUNT] = { [CW_RB8] = E(count_b8, fin_u64, 1, 0), E(count_b16, fin_u64, 2, 0),
                    E(count_b32, fin_u64, 4, 0), E(count_b64, fin_u64, 8, 0) },
    [CW_RDOT] = { FLOATS(dot, fin_f32, fin_f64, 1) },
};

/* ---- one reduction of N elements ----------------------------------------- */

typedef struct {
    const rentry *E;
    int nd;                    /* reduced dimensions (>= 1) */
    const ptrdiff_t *shape;    /* their extents */
    const ptrdiff_t *xs;       /* x's byte strides over them */
    ptrdiff_t ys;              /* y's byte stride (dot: nd == 1) */
    ptrdiff_t n;               /* elements reduced */
    ptrdiff_t task;            /* elements per task */
    ptrdiff_t ntasks;
    uint64_t mask;
} rplan;

/* Pointer to `cnt` contiguous items of x starting at flat index lo: the
 * data itself when it is contiguous there, else a copy gathered into buf. */
static const char *chunk_src(const rplan *p, const char *x, ptrdiff_t lo,
                             ptrdiff_t cnt, char *buf)
{
    const ptrdiff_t isz = p->E->isz;
    const int last = p->nd - 1;
    const ptrdiff_t s = p->xs[last];
    if (p->nd == 1) {
        if (s == isz)
            return x + lo * s;
        const char *src = x + lo * s;
        for (ptrdiff_t i = 0; i < cnt; i++)
            memcpy(buf + i * isz, src + i * s, (size_t)isz);
        return buf;
    }
    cw_iter it;
    cw_iter_init(&it, p->nd, p->shape, lo, lo + cnt);
    ptrdiff_t k = 0;
    for (ptrdiff_t run; (run = cw_iter_run(&it)) > 0; cw_iter_next(&it, run)) {
        const char *src = x + cw_iter_offset(&it, p->xs);
        if (run == cnt && s == isz)   /* the whole chunk in one row */
            return src;
        for (ptrdiff_t i = 0; i < run; i++)
            memcpy(buf + (k + i) * isz, src + i * s, (size_t)isz);
        k += run;
    }
    return buf;
}

/* The reduction of elements [lo, hi): chunks combined by a binary counter,
 * in one call of the range kernel when the data are contiguous. */
static rstate reduce_range(const rplan *p, const char *x, const char *y,
                           ptrdiff_t lo, ptrdiff_t hi)
{
    const rentry *E = p->E;
    rstate s;
    if (p->nd == 1 && p->xs[0] == E->isz && (!y || p->ys == E->isz)) {
        E->range(x + lo * E->isz, y ? y + lo * E->isz : NULL, hi - lo, lo, p->mask, &s);
        return s;
    }
    _Alignas(64) char bx[CHUNK * CW_RMAXISZ], by[CHUNK * 8];  /* y: dot's */
    counter c;
    c.d = 0;
    for (ptrdiff_t a = lo; a < hi; a += CHUNK) {
        ptrdiff_t cnt = hi - a < CHUNK ? hi - a : CHUNK;
        const char *px = chunk_src(p, x, a, cnt, bx);
        const char *py = NULL;
        if (y) {
            py = y + a * p->ys;
            if (p->ys != E->isz) {
                for (ptrdiff_t i = 0; i < cnt; i++)
                    memcpy(by + i * E->isz, py + i * p->ys, (size_t)E->isz);
                py = by;
            }
        }
        E->range(px, py, cnt, a, p->mask, &s);
        cpush(&c, E->comb, s);
    }
    return cfinish(&c, E->comb);
}

static rstate reduce_task(const rplan *p, const char *x, const char *y, ptrdiff_t t)
{
    ptrdiff_t lo = t * p->task, hi = lo + p->task;
    return reduce_range(p, x, y, lo, hi < p->n ? hi : p->n);
}

/* Serial: the tasks in order, combined by the binary counter. */
static rstate reduce_serial(const rplan *p, const char *x, const char *y)
{
    counter c;
    c.d = 0;
    for (ptrdiff_t t = 0; t < p->ntasks; t++)
        cpush(&c, p->E->comb, reduce_task(p, x, y, t));
    return cfinish(&c, p->E->comb);
}

typedef struct {
    const rplan *p;
    const char *x, *y;
    rstate *parts;
} tasks_ctx;

static void tasks_block(ptrdiff_t lo, ptrdiff_t hi, void *vctx)
{
    const tasks_ctx *c = (const tasks_ctx *)vctx;
    for (ptrdiff_t t = lo; t < hi; t++)
        c->parts[t] = reduce_task(c->p, c->x, c->y, t);
}

/* Parallel over the tasks; the same result as reduce_serial. */
static rstate reduce_parallel(const rplan *p, const char *x, const char *y, int *flags)
{
    rstate parts[CW_MAXTASKS];
    tasks_ctx tc = { p, x, y, parts };
    *flags |= cw_parallel_tasks(p->ntasks, p->task, tasks_block, &tc);
    counter c;
    c.d = 0;
    for (ptrdiff_t t = 0; t < p->ntasks; t++)
        cpush(&c, p->E->comb, parts[t]);
    return cfinish(&c, p->E->comb);
}

static void plan_tasks(rplan *p)
{
    cw_rt_plan(p->n, cw_get_reduce_block(), &p->task, &p->ntasks);
}

/* Tasks per thread when the tasks of an exact reduction are merged: a few,
 * so that a helper that starts late still finds work (runtime.c). */
#define CW_MERGED_TASKS_PER_THREAD 4

/* Whether op's result is a fixed function of the chunk grid alone, however
 * the chunks are grouped into tasks: the selections (max/min/nan*: the
 * combine keeps the rightmost of the top class; arg*: the leftmost) and
 * count_nonzero (integer counts) -- exact, associative combines. */
static int grouping_free(int op)
{
    return op == CW_RMAX || op == CW_RMIN || op == CW_RNANMAX || op == CW_RNANMIN
        || op == CW_RARGMAX || op == CW_RARGMIN || op == CW_RCOUNT;
}

/* Merges the tasks of a grouping-free reduction of contiguous data into at
 * most `want` (1 for a serial call): fewer range-kernel calls, each with
 * its set-up, fold and (arg*) final search -- at 8192 elements a task that
 * fixed cost was 5-15% of its time.  Merged tasks are whole groups of the
 * planned ones, and the chunk grid is kept (p->task a multiple of CHUNK),
 * so every chunk, and hence the result, is the same bits. */
static void merge_tasks(rplan *p, ptrdiff_t want)
{
    if (p->nd != 1 || p->xs[0] != p->E->isz || p->task % CHUNK || p->ntasks <= want)
        return;
    p->task *= (p->ntasks + want - 1) / want;
    p->ntasks = (p->n + p->task - 1) / p->task;
}

/* The merged task count for a reduction of n elements wanted on nt
 * threads: one if the call will run serially. */
static ptrdiff_t merged_want(ptrdiff_t n, int nt)
{
    return nt <= 1 || n < cw_get_min_parallel() ? 1 : (ptrdiff_t)nt * CW_MERGED_TASKS_PER_THREAD;
}

typedef struct {
    const rplan *p;
    int ond;
    const ptrdiff_t *oshape, *oxs, *oos;
    const char *x;
    char *out;
} outer_ctx;

/* Writes state s to out in the output dtype.  With flags (the caller's
 * thread, after its parallel tasks) the flags the finaliser raises are
 * added to them -- a float32/complex64 result rounded from double past the
 * largest float overflows here; without (a worker of cw_parallel_tasks)
 * the runtime collects them with the rest of the block's. */
static void finish(const rentry *E, const rstate *s, ptrdiff_t n, char *out, int *flags)
{
    if (!flags) {
        E->fin(s, n, out);
        return;
    }
    cw_fe_clear();
    E->fin(s, n, out);
    *flags |= cw_fe_flags();
}

/* The reductions of outputs [lo, hi) (C order over the kept dimensions):
 * each one serial (flags NULL: the caller runs outputs in parallel) or
 * parallel over its tasks (flags collects the FP flags). */
static void reduce_outputs(const outer_ctx *c, ptrdiff_t lo, ptrdiff_t hi, int *flags)
{
    const rplan *p = c->p;
    if (c->ond == 0) {   /* everything reduced: one output */
        rstate s = flags ? reduce_parallel(p, c->x, NULL, flags) : reduce_serial(p, c->x, NULL);
        finish(p->E, &s, p->n, c->out, flags);
        return;
    }
    const ptrdiff_t sx = c->oxs[c->ond - 1], so = c->oos[c->ond - 1];
    cw_iter it;
    cw_iter_init(&it, c->ond, c->oshape, lo, hi);
    for (ptrdiff_t cnt; (cnt = cw_iter_run(&it)) > 0; cw_iter_next(&it, cnt)) {
        const char *x = c->x + cw_iter_offset(&it, c->oxs);
        char *out = c->out + cw_iter_offset(&it, c->oos);
        for (ptrdiff_t i = 0; i < cnt; i++) {
            rstate s = flags ? reduce_parallel(p, x + i * sx, NULL, flags)
                             : reduce_serial(p, x + i * sx, NULL);
            finish(p->E, &s, p->n, out + i * so, flags);
        }
    }
}

static void outer_block(ptrdiff_t lo, ptrdiff_t hi, void *vctx)
{
    reduce_outputs((const outer_ctx *)vctx, lo, hi, NULL);
}

static int lookup(int op, int dtype, const rentry **E)
{
    if (op < 0 || op >= CW_RNOPS)
        return CW_EOP;
    if (dtype < 0 || dtype >= CW_RNDTYPES || !cw_rtable[op][dtype].range)
        return CW_EDTYPE;
    *E = &cw_rtable[op][dtype];
    return CW_OK;
}

int cw_reduce(int op, int dtype, int ndim, const ptrdiff_t *shape,
              const char *x, const ptrdiff_t *xstrides, int nred,
              char *out, const ptrdiff_t *ostrides, uint64_t mask)
{
    const rentry *E;
    int rc = lookup(op, dtype, &E);
    if (rc != CW_OK)
        return rc;
    if (op == CW_RDOT)
        return CW_EOP;
    ptrdiff_t M = 1, N = 1;
    if (nred < 1 || nred > ndim)
        return CW_ENDIM;
    if ((rc = cw_shape_size(ndim, shape, &N)) != CW_OK)
        return rc;
    for (int d = 0; d < ndim - nred; d++)
        M *= shape[d];
    if (M == 0)
        return CW_OK;
    cw_shape_size(nred, shape + ndim - nred, &N);
    if (N == 0)
        return CW_ESHAPE;  /* the facade handles empty reductions */
    if (!x || !out)
        return CW_ENULL;
    const int ond = ndim - nred;
    rplan p = { E, nred, shape + ond, xstrides + ond, 0, N, 0, 0, mask };
    plan_tasks(&p);
    int flags = 0;
    int nt = cw_get_num_threads();
    outer_ctx c = { &p, ond, shape, xstrides, ostrides, x, out };
    if (M == 1 || (p.ntasks > 1 && M < 2 * (ptrdiff_t)nt)) {
        /* few outputs: each in parallel */
        if (grouping_free(op))
            merge_tasks(&p, merged_want(N, nt));
        reduce_outputs(&c, 0, M, &flags);
    } else {
        if (grouping_free(op))
            merge_tasks(&p, 1);  /* each output serial */
        flags = cw_parallel_tasks(M, N, outer_block, &c);
    }
    return E->fpe ? flags : CW_OK;
}

/* One selection (max, min, nanmax, nanmin, argmax, argmin) of n contiguous items: cw_reduce's
 * path for one output (the same plan, merged tasks, parallel tasks). */
static int flat_select(int op, int dtype, ptrdiff_t n, const char *x, rstate *s)
{
    const rentry *E;
    if (!grouping_free(op) || op == CW_RCOUNT || (dtype != CW_RF32 && dtype != CW_RF64)
        || lookup(op, dtype, &E) != CW_OK || n < 1 || !x)
        return 0;
    ptrdiff_t isz = E->isz;
    rplan p = { E, 1, &n, &isz, 0, n, 0, 0, 0 };
    plan_tasks(&p);
    int nt = cw_get_num_threads();
    merge_tasks(&p, merged_want(n, nt));
    int flags = 0;
    *s = reduce_parallel(&p, x, NULL, &flags);
    return 1;
}

double cw_sel_flat(int op, int dtype, ptrdiff_t n, const char *x)
{
    rstate s;
    if (op == CW_RARGMAX || op == CW_RARGMIN || !flat_select(op, dtype, n, x, &s))
        return NAN;
    return s.v.f;
}

int64_t cw_arg_flat(int op, int dtype, ptrdiff_t n, const char *x)
{
    rstate s;
    if ((op != CW_RARGMAX && op != CW_RARGMIN) || !flat_select(op, dtype, n, x, &s))
        return -1;
    return s.idx;
}

int cw_dot(int dtype, ptrdiff_t n, const char *x, ptrdiff_t xs,
           const char *y, ptrdiff_t ys, char *out)
{
    const rentry *E;
    int rc = lookup(CW_RDOT, dtype, &E);
    if (rc != CW_OK)
        return rc;
    if (n < 0)
        return CW_ESHAPE;
    if (!out || (n > 0 && (!x || !y)))
        return CW_ENULL;
    if (n == 0) {
        rstate s = { { 0 }, 0 };
        E->fin(&s, 0, out);
        return CW_OK;
    }
    rplan p = { E, 1, &n, &xs, ys, n, 0, 0, 0 };
    plan_tasks(&p);
    int flags = 0;
    rstate s = reduce_parallel(&p, x, y, &flags);
    finish(E, &s, n, out, &flags);
    return flags;
}

/* ---- selections: nonzero, flatnonzero, extract, compress ------------------ */

static inline int truth(const char *p, int w, uint64_t mask)
{
    switch (w) {
    case 1: { uint8_t v; memcpy(&v, p, 1); return (v & mask) != 0; }
    case 2: { uint16_t v; memcpy(&v, p, 2); return (v & mask) != 0; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return (v & mask) != 0; }
    default: { uint64_t v; memcpy(&v, p, 8); return (v & mask) != 0; }
    }
}

static int width_code(int w)
{
    switch (w) {
    case 1: return CW_RB8;
    case 2: return CW_RB16;
    case 4: return CW_RB32;
    case 8: return CW_RB64;
    default: return -1;
    }
}

typedef struct {
    int w;
    uint64_t mask;
    int nd;
    const ptrdiff_t *shape;
    const char *c;
    const ptrdiff_t *cs;
    ptrdiff_t n, nblocks, B;
    int64_t *counts;
    int mode;
    char *const *outs;
    const char *v;
    const ptrdiff_t *vs;
    ptrdiff_t vsz;
} sel_plan;

typedef struct {
    const sel_plan *p;
    int64_t k, kend;
} sel_local;

/* count_run and fill_run: one run of cnt items at the iterator's position. */
static void count_run(sel_local *L, const cw_iter *it, ptrdiff_t cnt)
{
    const sel_plan *p = L->p;
    const char *src = p->c + cw_iter_offset(it, p->cs);
    ptrdiff_t s = p->cs[p->nd - 1];
    if (s == p->w) {
        rstate st;
        cw_rtable[CW_RCOUNT][width_code(p->w)].range(src, NULL, cnt, 0, p->mask, &st);
        L->k += (int64_t)st.v.u;
    } else {
        int64_t k = 0;
        for (ptrdiff_t i = 0; i < cnt; i++)
            k += truth(src + i * s, p->w, p->mask);
        L->k += k;
    }
}

/* Offsets of the set bits of a 4-bit mask, and their number: four
 * elements' indices are written at once, branch-free, and k advances by
 * the number that were true. */
typedef int64_t cw_v4i64 __attribute__((vector_size(32)));
typedef int64_t cw_v4i64u __attribute__((vector_size(32), aligned(8), may_alias));
static const cw_v4i64 nib_off[16] = {
    {0, 0, 0, 0}, {0, 0, 0, 0}, {1, 0, 0, 0}, {0, 1, 0, 0},
    {2, 0, 0, 0}, {0, 2, 0, 0}, {1, 2, 0, 0}, {0, 1, 2, 0},
    {3, 0, 0, 0}, {0, 3, 0, 0}, {1, 3, 0, 0}, {0, 1, 3, 0},
    {2, 3, 0, 0}, {0, 2, 3, 0}, {1, 2, 3, 0}, {0, 1, 2, 3},
};
static const unsigned char nib_cnt[16] = {0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4};

static CW_INLINE int64_t put4(int64_t *o, int64_t k, int64_t first, unsigned m)
{
    *(cw_v4i64u *)(o + k) = first + nib_off[m];
    return k + nib_cnt[m];
}

/* Writes first + i to o[k++] for each true item i of the cnt items at src
 * (byte stride s), stopping at kend; returns the new k.  Vector stores may
 * write up to 7 slots beyond the final k, but never at or past kend (the
 * block's end), so they stay inside this block's part of the output and
 * are overwritten by its later indices. */
CW_DISPATCH static int64_t fill_idx(const char *src, ptrdiff_t s, int w, uint64_t mask,
                                    ptrdiff_t cnt, int64_t first, int64_t *o,
                                    int64_t k, int64_t kend)
{
    ptrdiff_t i = 0;
    if (w == 1 && s == 1) {
        const uint64_t m8 = (mask & 0xFF) * ONES8;
        for (; i + 8 <= cnt && k + 8 <= kend; i += 8) {
            uint64_t v;
            memcpy(&v, src + i, 8);
            if (!(v &= m8))
                continue;
            /* the top bit of each byte, gathered into bits 0..7 */
            unsigned bits = (unsigned)((nz8(v) * 0x0002040810204081ull) >> 56);
            k = put4(o, k, first + i, bits & 15);
            k = put4(o, k, first + i + 4, bits >> 4);
        }
    } else {
        for (; i + 4 <= cnt && k + 4 <= kend; i += 4) {
            unsigned m = 0;
            for (int j = 0; j < 4; j++)
                m |= (unsigned)truth(src + (i + j) * s, w, mask) << j;
            k = put4(o, k, first + i, m);
        }
    }
    for (; i < cnt && k < kend; i++) {
        o[k] = first + i;   /* branch-free: kept only if true */
        k += truth(src + i * s, w, mask);
    }
    return k;
}

/* Copies the item of each true one of the cnt items of the condition at
 * src (byte stride s) from vsrc (byte stride vs) to o[k++] (items of T),
 * stopping at kend; returns the new k.  Branch-free: every item is stored
 * at o[k] and k advances by its truth (a later true item overwrites a
 * false one's store), byte conditions 8 at a time while k + 8 <= kend (so
 * no store reaches kend, the block's end).  Loads and stores by memcpy:
 * v may be unaligned (any view NumPy hands us). */
#define FILL_VALS(FN, T)                                                      \
    CW_DISPATCH static int64_t FN(const char *src, ptrdiff_t s, int w,        \
                                  uint64_t mask, ptrdiff_t cnt,               \
                                  const char *vsrc, ptrdiff_t vs, char *o,    \
                                  int64_t k, int64_t kend)                    \
    {                                                                         \
        ptrdiff_t i = 0;                                                      \
        if (w == 1 && s == 1) {                                               \
            const uint64_t m8 = (mask & 0xFF) * ONES8;                        \
            for (; i + 8 <= cnt && k + 8 <= kend; i += 8) {                   \
                uint64_t c;                                                   \
                memcpy(&c, src + i, 8);                                       \
                const uint64_t t = nz8(c & m8) >> 7;  /* 1 per true byte */    \
                if (!t)                                                       \
                    continue;                                                 \
                for (int j = 0; j < 8; j++) {                                 \
                    memcpy(o + k * sizeof(T), vsrc + (i + j) * vs, sizeof(T)); \
                    k += (int64_t)((t >> (8 * j)) & 1);                       \
                }                                                             \
            }                                                                 \
        }                                                                     \
        for (; i < cnt && k < kend; i++) {                                    \
            memcpy(o + k * sizeof(T), vsrc + i * vs, sizeof(T));              \
            k += truth(src + i * s, w, mask);                                 \
        }                                                                     \
        return k;                                                             \
    }
FILL_VALS(fill_vals1, uint8_t)
FILL_VALS(fill_vals2, uint16_t)
FILL_VALS(fill_vals4, uint32_t)
FILL_VALS(fill_vals8, uint64_t)

static void fill_run(sel_local *L, const cw_iter *it, ptrdiff_t cnt)
{
    const sel_plan *p = L->p;
    const int last = p->nd - 1, w = p->w;
    const ptrdiff_t *idx = it->idx;
    const char *src = p->c + cw_iter_offset(it, p->cs);
    const ptrdiff_t s = p->cs[last];
    const uint64_t mask = p->mask;
    int64_t k = L->k;
    const int64_t kend = L->kend;
    if (p->mode == CW_SEL_FLAT) {
        k = fill_idx(src, s, w, mask, cnt, it->flat, (int64_t *)p->outs[0], k, kend);
    } else if (p->mode == CW_SEL_MULTI) {
        int64_t k0 = k;
        k = fill_idx(src, s, w, mask, cnt, idx[last], (int64_t *)p->outs[last], k, kend);
        for (int d = 0; d < last; d++)
            for (int64_t j = k0; j < k; j++)
                ((int64_t *)p->outs[d])[j] = idx[d];
    } else {
        const char *vsrc = p->v + cw_iter_offset(it, p->vs);
        const ptrdiff_t vs = p->vs[last], vsz = p->vsz;
        char *o = p->outs[0];
        switch (vsz) {
        case 1: L->k = fill_vals1(src, s, w, mask, cnt, vsrc, vs, o, k, kend); return;
        case 2: L->k = fill_vals2(src, s, w, mask, cnt, vsrc, vs, o, k, kend); return;
        case 4: L->k = fill_vals4(src, s, w, mask, cnt, vsrc, vs, o, k, kend); return;
        case 8: L->k = fill_vals8(src, s, w, mask, cnt, vsrc, vs, o, k, kend); return;
        }
        for (ptrdiff_t i = 0; i < cnt && k < kend; i++) {
            memcpy(o + k * vsz, vsrc + i * vs, (size_t)vsz);
            k += truth(src + i * s, w, mask);
        }
    }
    L->k = k;
}

static void sel_count_block(ptrdiff_t lo, ptrdiff_t hi, void *vctx)
{
    const sel_plan *p = (const sel_plan *)vctx;
    for (ptrdiff_t b = lo; b < hi; b++) {
        sel_local L = { p, 0, 0 };
        ptrdiff_t a = b * p->B, e = a + p->B < p->n ? a + p->B : p->n;
        cw_iter it;
        cw_iter_init(&it, p->nd, p->shape, a, e);
        for (ptrdiff_t cnt; (cnt = cw_iter_run(&it)) > 0; cw_iter_next(&it, cnt))
            count_run(&L, &it, cnt);
        p->counts[b] = L.k;
    }
}

static void sel_fill_block(ptrdiff_t lo, ptrdiff_t hi, void *vctx)
{
    const sel_plan *p = (const sel_plan *)vctx;
    for (ptrdiff_t b = lo; b < hi; b++) {
        /* counts[] holds exclusive prefix sums here; the total is last. */
        sel_local L = { p, p->counts[b], p->counts[b + 1] };
        ptrdiff_t a = b * p->B, e = a + p->B < p->n ? a + p->B : p->n;
        if (L.k >= L.kend)
            continue;
        cw_iter it;
        cw_iter_init(&it, p->nd, p->shape, a, e);
        for (ptrdiff_t cnt; (cnt = cw_iter_run(&it)) > 0; cw_iter_next(&it, cnt))
            fill_run(&L, &it, cnt);
    }
}

ptrdiff_t cw_select_nblocks(ptrdiff_t n)
{
    ptrdiff_t B = cw_get_reduce_block();
    return n > 0 ? (n + B - 1) / B : 0;
}

static int sel_setup(sel_plan *p, int width, uint64_t mask, int ndim,
                     const ptrdiff_t *shape, const char *c,
                     const ptrdiff_t *cstrides, ptrdiff_t nblocks, int64_t *counts)
{
    if (width_code(width) < 0)
        return CW_EDTYPE;
    ptrdiff_t n;
    int rc = cw_shape_size(ndim, shape, &n);
    if (rc != CW_OK)
        return rc;
    if (nblocks < 0 || (n > 0 && nblocks < 1) || nblocks > n)
        return CW_ESHAPE;
    if (n > 0 && (!c || !counts))
        return CW_ENULL;
    memset(p, 0, sizeof *p);
    p->w = width;
    p->mask = mask;
    p->nd = ndim;
    p->shape = shape;
    p->c = c;
    p->cs = cstrides;
    p->n = n;
    p->nblocks = nblocks;
    p->B = nblocks ? (n + nblocks - 1) / nblocks : 1;
    p->counts = counts;
    return CW_OK;
}

int cw_select_count(int width, uint64_t mask, int ndim, const ptrdiff_t *shape,
                    const char *c, const ptrdiff_t *cstrides,
                    ptrdiff_t nblocks, int64_t *counts, int64_t *total)
{
    sel_plan p;
    int rc = sel_setup(&p, width, mask, ndim, shape, c, cstrides, nblocks, counts);
    if (rc != CW_OK)
        return rc;
    *total = 0;
    if (p.n == 0)
        return CW_OK;
    cw_parallel_tasks(nblocks, p.B, sel_count_block, &p);
    int64_t t = 0;
    for (ptrdiff_t b = 0; b < nblocks; b++)
        t += counts[b];
    *total = t;
    return CW_OK;
}

int cw_select_fill(int width, uint64_t mask, int ndim, const ptrdiff_t *shape,
                   const char *c, const ptrdiff_t *cstrides,
                   ptrdiff_t nblocks, int64_t *counts, int mode, char *const *outs,
                   const char *v, const ptrdiff_t *vstrides, ptrdiff_t vitemsize)
{
    sel_plan p;
    int rc = sel_setup(&p, width, mask, ndim, shape, c, cstrides, nblocks, counts);
    if (rc != CW_OK)
        return rc;
    if (mode != CW_SEL_FLAT && mode != CW_SEL_MULTI && mode != CW_SEL_VALUES)
        return CW_EOP;
    if (mode == CW_SEL_VALUES && (!v || vitemsize <= 0))
        return CW_ENULL;
    if (p.n == 0)
        return CW_OK;
    p.mode = mode;
    p.outs = outs;
    p.v = v;
    p.vs = vstrides;
    p.vsz = vitemsize;
    /* counts[0..nblocks) (from cw_select_count) -> exclusive prefix sums in
     * counts[0..nblocks], counts[nblocks] = the total. */
    int64_t t = 0;
    for (ptrdiff_t b = 0; b < nblocks; b++) {
        int64_t k = counts[b];
        counts[b] = t;
        t += k;
    }
    counts[nblocks] = t;
    cw_parallel_tasks(nblocks, p.B, sel_fill_block, &p);
    return CW_OK;
}

/* ---- the roof for reductions: a parallel read ------------------------------ */

typedef struct {
    const uint64_t *src;
    uint64_t *sink;
} read_ctx;

CW_DISPATCH static uint64_t read_words(ptrdiff_t n, const uint64_t *a)
{
    uint64_t s = 0;
    for (ptrdiff_t j = 0; j < n; j++)
        s += a[j];
    return s;
}

static void read_block(ptrdiff_t lo, ptrdiff_t hi, void *vctx)
{
    const read_ctx *c = (const read_ctx *)vctx;
    __atomic_fetch_add(c->sink, read_words(hi - lo, c->src + lo), __ATOMIC_RELAXED);
}

int cw_parallel_read(ptrdiff_t nbytes, const char *src, uint64_t *sink)
{
    if (nbytes < 0)
        return CW_ESHAPE;
    if (!sink || (nbytes >= 8 && !src))
        return CW_ENULL;
    read_ctx c = { (const uint64_t *)src, sink };
    cw_parallel_run(nbytes / 8, 1, read_block, &c);
    return CW_OK;
}
