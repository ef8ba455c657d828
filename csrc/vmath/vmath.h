/* corewise's own vector math (csrc/vmath/): shared declarations, the
 * double-double helpers and the loop template.
 *
 * Every function is an element function `fast(x, &bad)` of basic IEEE
 * operations only (+ - * and bit operations; no libm call, no conversion
 * whose rounding an ISA could do differently; log.c and mp.c are compiled
 * with fp-contract off, exp.c lets GCC contract a*b+c into an FMA on the
 * FMA levels: that only drops roundings from its error bound -- its
 * error-free steps use an explicit fma, or Dekker's splits on the baseline,
 * which has none -- and the rounding test certifies every lane, so each
 * level returns the correctly rounded, hence the same, bits), evaluated in double-double with a
 * final rounding test; a lane whose test fails or whose input is special
 * sets `bad` and is recomputed by the exact path (mp.c).  CW_VM_LOOPS
 * instantiates the same loop three times -- baseline (SSE2), AVX2 and
 * AVX-512F -- which GCC vectorises at 2, 4 and 8 lanes; since every lane
 * performs the same operations in the same order, with per-lane selects
 * rather than branches, the three give bitwise the same results, and so do
 * the remainder iterations (scalar or masked) and any thread count.  The
 * level runs from cw_vm_level(): the best the CPU has, or the one
 * COREWISE_ISA=baseline|avx2|avx512 asks for (read when the library loads,
 * i.e. at `import corewise`; a level the CPU lacks falls back to the best
 * one it has, which cw_vmath_isa() names). */
#ifndef CW_VMATH_H
#define CW_VMATH_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

/* the element functions and helpers are inlined into each ISA's loop
 * (always_inline: the loops' target attributes also set the tuning) */
#define CW_VM_INLINE inline __attribute__((always_inline))

typedef void (*cw_vm_loop)(ptrdiff_t n, const double *x, double *z);

/* the vector loops (contiguous, z == x allowed) */
void cw_vm_exp(ptrdiff_t n, const double *x, double *z);
void cw_vm_exp2(ptrdiff_t n, const double *x, double *z);
void cw_vm_log(ptrdiff_t n, const double *x, double *z);
void cw_vm_log2(ptrdiff_t n, const double *x, double *z);
void cw_vm_log10(ptrdiff_t n, const double *x, double *z);
void cw_vm_sin(ptrdiff_t n, const double *x, double *z);
void cw_vm_cos(ptrdiff_t n, const double *x, double *z);
void cw_vm_tan(ptrdiff_t n, const double *x, double *z);

/* the exact scalar path (mp.c): correctly rounded, NumPy's FP flags */
double cw_vm_exp_exact(double x);
double cw_vm_exp2_exact(double x);
double cw_vm_log_exact(double x);
double cw_vm_log2_exact(double x);
double cw_vm_log10_exact(double x);
double cw_vm_sin_exact(double x);
double cw_vm_cos_exact(double x);
double cw_vm_tan_exact(double x);

/* float32 (expf.c, logf.c): evaluated in double, rounded once to float */
void cw_vm_expf(ptrdiff_t n, const float *x, float *z);
void cw_vm_exp2f(ptrdiff_t n, const float *x, float *z);
void cw_vm_logf(ptrdiff_t n, const float *x, float *z);
void cw_vm_log2f(ptrdiff_t n, const float *x, float *z);
void cw_vm_log10f(ptrdiff_t n, const float *x, float *z);
void cw_vm_sinf(ptrdiff_t n, const float *x, float *z);
void cw_vm_cosf(ptrdiff_t n, const float *x, float *z);
void cw_vm_tanf(ptrdiff_t n, const float *x, float *z);
float cw_vm_expf_exact(float x);
float cw_vm_exp2f_exact(float x);
float cw_vm_logf_exact(float x);
float cw_vm_log2f_exact(float x);
float cw_vm_log10f_exact(float x);
float cw_vm_sinf_exact(float x);
float cw_vm_cosf_exact(float x);
float cw_vm_tanf_exact(float x);

/* the default (libmvec) sin/cos/tan rows (fn 0, 1, 2): lanes
 * 2^19 <= |x| < inf made correctly rounded (trig.c); _scan: whether x has
 * one; cw_vm_trig_hi64/32 >= CW_VM_HUGE64/32 (and below inf's): one is */
void cw_vm_trig_huge(ptrdiff_t n, const double *x, double *z, int fn);
void cw_vm_trig_hugef(ptrdiff_t n, const float *x, float *z, int fn);
int cw_vm_trig_huge_scan(ptrdiff_t n, const double *x);
int cw_vm_trig_hugef_scan(ptrdiff_t n, const float *x);
#define CW_VM_HUGE64 0x41200000
#define CW_VM_HUGE32 0x49000000

/* lanes the loops sent to the exact path, all threads (vmath.c) */
extern long long cw_vm_exact_calls;

/* nonzero when the rows above use this code rather than libmvec
 * (COREWISE_VMATH=own at load, or cw_set_vmath; vmath.c) */
extern int cw_vm_own;
static inline int cw_vm_own_on(void) { return __atomic_load_n(&cw_vm_own, __ATOMIC_RELAXED); }

/* 0 = baseline, 1 = AVX2, 2 = AVX-512F (vmath.c) */
int cw_vm_level(void);

static CW_VM_INLINE double cw_asd(uint64_t b)
{
    double d;
    memcpy(&d, &b, 8);
    return d;
}

static CW_VM_INLINE uint64_t cw_asu(double d)
{
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

/* s + e = a + b exactly, |a| >= |b| or a == 0 (Dekker) */
static CW_VM_INLINE void cw_fast2sum(double a, double b, double *s, double *e)
{
    double t = a + b;
    *s = t;
    *e = b - (t - a);
}

/* s + e = a + b exactly, any order (Knuth) */
static CW_VM_INLINE void cw_2sum(double a, double b, double *s, double *e)
{
    double t = a + b, bb = t - a;
    *s = t;
    *e = (a - (t - bb)) + (b - bb);
}

/* p + e = a * b exactly: with an FMA where the ISA has one (fma != 0, a
 * constant after inlining), else Veltkamp's split and Dekker's product.
 * Both are error-free (e = a*b - p exactly; no overflow or underflow for
 * the operands used here: |a|, |b| < 2^995, |e| > 2^-969 or e = 0), so
 * the two give bitwise the same (p, e) and the ISA paths stay identical. */
static CW_VM_INLINE void cw_2prod(double a, double b, double *p, double *e, const int fma)
{
    if (fma) {
        const double t = a * b;
        *p = t;
        *e = __builtin_fma(a, b, -t);
        return;
    }
    const double C = 134217729.0;       /* 2^27 + 1 */
    double ca = C * a, cb = C * b;
    double ah = ca - (ca - a), al = a - ah;
    double bh = cb - (cb - b), bl = b - bh;
    double t = a * b;
    *p = t;
    *e = ((ah * bh - t) + ah * bl + al * bh) + al * bl;
}

/* a * b + c: one FMA where the level has one (fma != 0), else two
 * roundings -- for evaluations whose every lane the rounding test
 * certifies, in files compiled with fp-contract off */
static CW_VM_INLINE double cw_mad(double a, double b, double c, const int fma)
{
    return fma ? __builtin_fma(a, b, c) : a * b + c;
}

static CW_VM_INLINE uint32_t cw_asu32(float f)
{
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

static CW_VM_INLINE float cw_asf(uint32_t b)
{
    float f;
    memcpy(&f, &b, 4);
    return f;
}

/* Rounding test of a float32 result y evaluated in double with a relative
 * error below 2^-47 (expf.c, logf.c): |y| / ulp(y) < 2^53, so the error is
 * under 64 of y's ulps, and rounding y to float is certain unless y lies
 * within 64 ulps of a float midpoint -- the low 29 bits of its significand
 * (those float drops) within 64 of 2^28.  y must be a normal double whose
 * float is normal (the callers send the rest to the exact path); about
 * 129 lanes in 2^29 fail it. */
static CW_VM_INLINE uint64_t cw_vm_hard_f(double y)
{
    const uint32_t lo = (uint32_t)cw_asu(y);
    return ((lo - 0x10000000u + 64u) & 0x1fffffffu) <= 128u;
}

/* |x|'s high 32 bits, a signed int (SSE2 has 32-bit compares only) */
static CW_VM_INLINE int32_t cw_vm_trig_hi64(double x) { return (int32_t)(cw_asu(x) >> 32) & 0x7fffffff; }
static CW_VM_INLINE int32_t cw_vm_trig_hi32(float x) { return (int32_t)cw_asu32(x) & 0x7fffffff; }

/* integer bits select: c ? a : b on the bit patterns (no FP operation) */
static CW_VM_INLINE double cw_sel(uint64_t c, double a, double b)
{
    uint64_t m = (uint64_t)0 - (c & 1);
    return cw_asd((cw_asu(a) & m) | (cw_asu(b) & ~m));
}

/* Rounding test: h + l (|l| <= ulp(h)/2) within a relative error of
 * 2^-72 of the exact result rounds to h for certain if h + l * RC == h,
 * RC = 1 + 2^-17 (2^-72 * 2^54 * 2, the factor 2 for the lower ulp at a
 * power of two, with a margin of 2); after de Dinechin, Lauter and Muller
 * (2007), section 2.  A fraction of about 2^-17 of the lanes fails it. */
#define CW_VM_RC (1.0 + 0x1p-17)
static CW_VM_INLINE uint64_t cw_vm_hard(double h, double l)
{
    return h + l * CW_VM_RC != h;
}

/* float select on the bits, as cw_sel */
static CW_VM_INLINE float cw_self(uint32_t c, float a, float b)
{
    uint32_t m = (uint32_t)0 - (c & 1);
    return cw_asf((cw_asu32(a) & m) | (cw_asu32(b) & ~m));
}

/* The SPECIAL functions of the loops below (T, its unsigned bits U, AS/
 * FROM the bit casts, SEL the select).  Classification on the bits (a
 * comparison of a NaN would raise "invalid"); each special result computed
 * by the operation that raises NumPy's flag for it, in every lane (the
 * others compute 0 + 0, 1 * 1, -1 / 1 or 1 / 1, which raise nothing):
 *   exp-like, NAME(x) for x > HI (overflow) or x < LO (rounds to 0):
 *     NaN: x + x; +inf: inf; -inf: 0; finite x > HI: BIG * BIG (inf,
 *     overflow); finite x < LO: TINY * TINY (0, underflow);
 *   log-like: NaN: x + x; +-0: -1 / 0 (-inf, divide-by-zero); x < 0 and
 *     -inf: 0 / 0 (NaN, invalid); +inf: inf. */
#define CW_VM_EXP_SPECIAL(NAME, T, U, AS, FROM, SEL, HI, LO, BIG, TINY)        \
    static CW_VM_INLINE T NAME(T x, uint64_t *s)                              \
    {                                                                         \
        const U sign = (U)1 << (sizeof(T) * 8 - 1), inf = AS((T)HUGE_VAL);    \
        const U ux = AS(x), ax = ux & ~sign;                                  \
        const uint64_t nan = ax > inf, neg = (ux & sign) != 0;               \
        const uint64_t big = !neg & !nan & (ax > AS((T)(HI))), small = neg & !nan & (ax > AS((T)-(LO))); \
        const T a = SEL(big, SEL(ax == inf, x, (T)(BIG)), (T)1);              \
        const T b = SEL(small, SEL(ax == inf, (T)0, (T)(TINY)), (T)1);        \
        const T xn = SEL(nan, x, (T)0);                                       \
        *s = nan | big | small;                                               \
        return SEL(nan, xn + xn, SEL(big, a * a, b * b));                     \
    }
#define CW_VM_LOG_SPECIAL(NAME, T, U, AS, FROM, SEL)                          \
    static CW_VM_INLINE T NAME(T x, uint64_t *s)                              \
    {                                                                         \
        const U sign = (U)1 << (sizeof(T) * 8 - 1), inf = AS((T)HUGE_VAL);    \
        const U ux = AS(x), ax = ux & ~sign;                                  \
        const uint64_t nan = ax > inf, zero = ax == 0, pinf = ux == inf;      \
        const uint64_t neg = ((ux & sign) != 0) & !zero & !nan;               \
        const T z = SEL(zero, (T)0, (T)1), q = SEL(neg, (T)0, (T)1), xn = SEL(nan, x, (T)0); \
        *s = nan | zero | neg | pinf;                                         \
        return SEL(nan, xn + xn, SEL(zero, (T)-1 / z, SEL(neg, q / q, x)));   \
    }

#define CW_VM_BLOCK 256

/* One loop of element function FAST (double FAST(double, uint64_t *bad,
 * fma)): blocks of CW_VM_BLOCK, written straight to z, or through a buffer
 * where z overlaps x (so that z == x works and the fix-up still sees the
 * inputs).  No `omp simd` on the loop: GCC vectorises it by itself, and
 * the pragma made it keep the per-lane `bad` in memory (AVX-512, 4M
 * float64: exp 2.4 -> 1.8 ns, log 3.0-3.6 -> 2.3 ns an element, the
 * buffer's copy gone too); the lanes that set bad (about 1 block in 500
 * has one, on random inputs; every special input is one) are kept in
 * bad[].  A block with one goes through SPECIAL (T SPECIAL(T x, uint64_t
 * *is_special)), vectorised too: the results of the inputs whose result
 * is fixed -- NaN, +-inf, certain overflow or underflow, 0 and negatives
 * for log -- each computed by the IEEE operation that raises NumPy's flag
 * for it (2^1023 * 2^1023 for an overflow, 0/0 for invalid, ...), so a
 * block of specials costs two vector passes, not a scalar call each
 * (1M float64, half special: log 13.9 -> 4.3 ms); the other bad lanes go
 * through EXACT one by one. */
#define CW_VM_LOOP(FN, T, FAST, SPECIAL, EXACT, ATTR, FMA)                    \
    ATTR static void FN(ptrdiff_t n, const T *x, T *z)                        \
    {                                                                         \
        T buf[CW_VM_BLOCK];                                                   \
        /* straight into z unless it overlaps x (the fix-up rereads x) */    \
        const int direct = z + n <= x || x + n <= z;                          \
        for (ptrdiff_t i = 0; i < n; i += CW_VM_BLOCK) {                      \
            const int m = n - i < CW_VM_BLOCK ? (int)(n - i) : CW_VM_BLOCK;   \
            const T *xi = x + i;                                              \
            T *zi = direct ? z + i : buf;                                     \
            uint64_t any = 0, bad[CW_VM_BLOCK];                               \
            for (int j = 0; j < m; j++) {                                     \
                uint64_t bj;                                                  \
                zi[j] = FAST(xi[j], &bj, FMA);                                \
                bad[j] = bj;                                                  \
                any |= bj;                                                    \
            }                                                                 \
            if (any) {                                                        \
                for (int j = 0; j < m; j++) {                                 \
                    uint64_t sj;                                              \
                    const T r = SPECIAL(xi[j], &sj);                          \
                    zi[j] = sj ? r : zi[j];                                   \
                    bad[j] &= sj ^ 1;                                         \
                }                                                             \
                for (int j = 0; j < m; j++) {                                 \
                    if (bad[j]) {                                             \
                        zi[j] = EXACT(xi[j]);                                 \
                        __atomic_fetch_add(&cw_vm_exact_calls, 1, __ATOMIC_RELAXED); \
                    }                                                         \
                }                                                             \
            }                                                                 \
            if (!direct)                                                      \
                memcpy(z + i, buf, (size_t)m * sizeof(T));                    \
        }                                                                     \
    }

#if defined(__x86_64__) && defined(__GNUC__)
/* tune=: GCC's generic tuning emulates gathers with scalar loads; the
 * table look-ups are gathers (tuning changes no result) */
#define CW_VM_AVX2 __attribute__((target("avx2,fma,tune=haswell")))
#define CW_VM_AVX512 __attribute__((target("avx512f,fma,tune=skylake-avx512,prefer-vector-width=512")))
#define CW_VM_LOOPS_T(NAME, T, FAST, SPECIAL, EXACT)                          \
    CW_VM_LOOP(NAME##_base, T, FAST, SPECIAL, EXACT, , 0)                     \
    CW_VM_LOOP(NAME##_avx2, T, FAST, SPECIAL, EXACT, CW_VM_AVX2, 1)           \
    CW_VM_LOOP(NAME##_avx512, T, FAST, SPECIAL, EXACT, CW_VM_AVX512, 1)       \
    void NAME(ptrdiff_t n, const T *x, T *z)                                  \
    {                                                                         \
        static void (*const L[3])(ptrdiff_t, const T *, T *) = { NAME##_base, NAME##_avx2, NAME##_avx512 }; \
        L[cw_vm_level()](n, x, z);                                            \
    }
#else
#define CW_VM_LOOPS_T(NAME, T, FAST, SPECIAL, EXACT)                          \
    CW_VM_LOOP(NAME##_base, T, FAST, SPECIAL, EXACT, , 0)                     \
    void NAME(ptrdiff_t n, const T *x, T *z) { NAME##_base(n, x, z); }
#endif
/* float64 loops (exp.c, log.c); float32 ones are CW_VM_LOOPS_T(..., float, ...) */
#define CW_VM_LOOPS(NAME, FAST, SPECIAL, EXACT) CW_VM_LOOPS_T(NAME, double, FAST, SPECIAL, EXACT)

#endif
