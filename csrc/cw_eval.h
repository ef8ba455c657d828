/* Helpers for the C code that corewise.evaluate generates at run time
 * (pkg/_evaluate.py).  Where C's operators differ from NumPy's ufuncs, the
 * NumPy semantics are written here once:
 *   - np.remainder (`%`): the result has the sign of the divisor; integer
 *     x % 0 is 0 with a divide-by-zero flag; INT_MIN % -1 is 0;
 *   - np.power (`**`) on integers: exponentiation by squaring, wrapping like
 *     NumPy; a negative exponent is an error (CW_EINTPOW);
 *   - np.power with a scalar exponent: NumPy's fast paths (2 -> square,
 *     0.5 -> sqrt, -1 -> reciprocal, 1 -> copy, 0 -> ones);
 *   - comparisons between uint64 and int64 are exact, like NumPy 2's.
 * Generated code is compiled with the package's flags plus -fwrapv (signed
 * integer arithmetic wraps, as NumPy's does).  Float comparisons use the
 * quiet forms below (cw_e_qlt_f64, ...), so NaN raises no invalid flag
 * (NumPy's don't), also in vectorised loops.
 * The n-d walk over a strided iteration space is cw_nd_walk below, on top
 * of the package's one n-d iterator (cw_iter.h). */
#ifndef CW_EVAL_H
#define CW_EVAL_H
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "cw_internal.h"   /* corewise.h: CW_MAXDIMS, CW_MAX_OPERANDS */
#include "cw_iter.h"

/* Quiet ordered comparisons that stay quiet when vectorised: GCC turns a
 * vectorised isless()/isgreater() into a signalling compare (an "invalid"
 * flag for a NaN operand, which NumPy never reports).  Here only == and !=
 * touch the floats (quiet compares); the order comes from the bits as
 * integers (sign-magnitude mapped to two's complement), so the loops still
 * vectorise.  x == x is false for NaN; x != y keeps -0.0 and +0.0 equal. */
#define CW_E_QCMP(T, SUF, IT, IMAX)                                           \
    static inline IT cw_e_key_##SUF(T x)                                      \
    {                                                                         \
        IT i;                                                                 \
        memcpy(&i, &x, sizeof i);                                             \
        return i ^ ((i >> (8 * sizeof i - 1)) & IMAX);                        \
    }                                                                         \
    static inline int cw_e_qgt_##SUF(T x, T y)                                \
    {                                                                         \
        return (x == x) & (y == y) & (x != y) & (cw_e_key_##SUF(x) > cw_e_key_##SUF(y)); \
    }                                                                         \
    static inline int cw_e_qge_##SUF(T x, T y)                                \
    {                                                                         \
        return (x == x) & (y == y) & ((x == y) | (cw_e_key_##SUF(x) > cw_e_key_##SUF(y))); \
    }                                                                         \
    static inline int cw_e_qlt_##SUF(T x, T y) { return cw_e_qgt_##SUF(y, x); } \
    static inline int cw_e_qle_##SUF(T x, T y) { return cw_e_qge_##SUF(y, x); }

CW_E_QCMP(float, f32, int32_t, INT32_MAX)
CW_E_QCMP(double, f64, int64_t, INT64_MAX)

/* The error flags of an element function.  cw_e_err: a bit set per kind,
 * here an integer to a negative integer power (the call fails,
 * CW_EINTPOW); the interpreter's ops and cw_e_pow take it.  The JIT's
 * element functions take a cw_e_flags (one local of each loop, flushed once
 * by cw_e_flag_bits), which adds the huge-argument test of sin, cos and tan
 * (CW_ETRIG): libmvec's reduction is off by up to 1.4e5 ULP for
 * 2^19 <= |x| < inf, so cw_e_sin_f64 & co. mark such a lane and evaluate
 * (pkg/_evaluate.py) runs the whole call again on the block interpreter,
 * whose trig ops (csrc/interp.c) are the same libmvec loop with those lanes
 * from csrc/vmath/trig.c, correctly rounded -- so the other lanes keep
 * their bits and no result depends on the thread count.  The bound is
 * vmath.h's CW_VM_HUGE64/32 (kernels.c asserts it).
 * The test costs a few integer ops a lane, in the lane's own width, no
 * compare and no narrowing (a byte flag set from a 64-bit compare cost 40%
 * of a contiguous sin; this, 10-15%): with a = |x|'s bits, a + (2^63 - H)
 * has its top bit set iff a >= H (no wrap: a < 2^63), and a + (2^63 - INF)
 * iff a >= INF, so the top bit of t64 (t32 for float) or'ed over the lanes
 * says whether some lane had H <= a < INF.  The flagged lane's libmvec
 * result is discarded by the rerun, its input is not masked (masking cost
 * another 8% in every call, for the all-huge array's first pass only).
 * Loops still vectorise wherever they did without the test (checked with
 * -fopt-info-vec, float32 and float64 mixed, bool inputs). */
typedef unsigned char cw_e_err;
/* elements of a vector run in the JIT's loops and the interpreter's: every
 * element through the same vector code (csrc/interp.c, CW_I_RUNS) */
#define CW_E_BLK 64
/* elements per FP-flag test of a JIT loop calling libmvec (pkg/_cgen.py,
 * _stretches), as CW_FPE_STRETCH of the package's loops */
#define CW_E_STRETCH 8192
/* where(c, x, y) in the JIT's element function; the flag pass's copy of it
 * (pkg/_cgen.py, _flag_loop) evaluates both x and y, as the vector code
 * and NumPy's eager where() do, so their flags count wherever c is */
#define CW_E_WHERE(T, c, x, y) ((c) ? (x) : (y))
#define CW_E_WHERE_BOTH(T, c, x, y) ({ volatile T cw_a_ = (x), cw_b_ = (y); (c) ? cw_a_ : cw_b_; })
#define CW_E_ERR_INTPOW 1
#define CW_E_ERR_TRIG 2
#define CW_E_TRIG_HUGE64 0x41200000
#define CW_E_TRIG_HUGE32 0x49000000
#ifdef CW_EVAL_JIT
typedef struct {
    uint64_t t64;   /* top bit: a float64 trig argument was huge */
    uint32_t t32;   /* top bit: a float32 one was */
    cw_e_err f;     /* CW_E_ERR_INTPOW */
} cw_e_flags;
static inline int cw_e_flag_bits(const cw_e_flags *e)
{
    return e->f | ((e->t64 >> 63 | e->t32 >> 31) ? CW_E_ERR_TRIG : 0);
}
static inline void cw_e_flag_join(cw_e_flags *to, const cw_e_flags *e)
{
    to->t64 |= e->t64;
    to->t32 |= e->t32;
    to->f |= e->f;
}
#define CW_E_TRIG(NAME, T, SUF, UT, ACC, HUGE, INF)                           \
    static inline T cw_e_##NAME##_##SUF(T x, cw_e_flags *err)                 \
    {                                                                         \
        const int w = 8 * (int)sizeof(UT) - 32;                               \
        const UT top = (UT)1 << (8 * sizeof(UT) - 1);                         \
        UT a;                                                                 \
        memcpy(&a, &x, sizeof a);                                             \
        a &= top - 1;                                                         \
        err->ACC |= (a + (top - ((UT)(HUGE) << w))) & ~(a + (top - ((UT)(INF) << w))); \
        return cw_##NAME##_##SUF(x);                                          \
    }
#define CW_E_TRIG2(NAME)                                                      \
    CW_E_TRIG(NAME, double, f64, uint64_t, t64, CW_E_TRIG_HUGE64, 0x7ff00000u) \
    CW_E_TRIG(NAME, float, f32, uint32_t, t32, CW_E_TRIG_HUGE32, 0x7f800000u)
CW_E_TRIG2(sin) CW_E_TRIG2(cos) CW_E_TRIG2(tan)
#undef CW_E_TRIG2
#undef CW_E_TRIG
#endif

#define CW_E_FLOAT(T, SUF, FMOD, COPYSIGN, POW, SQRT)                         \
    static inline T cw_e_rem_##SUF(T a, T b)                                  \
    {                                                                         \
        T mod = FMOD(a, b);                                                   \
        if (!b)                                                               \
            return mod;                                                       \
        if (mod) {                                                            \
            if (cw_e_qlt_##SUF(b, 0) != cw_e_qlt_##SUF(mod, 0))               \
                mod += b;                                                     \
        } else {                                                              \
            mod = COPYSIGN(0, b);                                             \
        }                                                                     \
        return mod;                                                           \
    }                                                                         \
    static inline T cw_e_spow_##SUF(T x, T y)                                 \
    {                                                                         \
        if (y == 2)                                                           \
            return x * x;                                                     \
        if (y == (T)0.5)                                                      \
            return SQRT(x);                                                   \
        if (y == -1)                                                          \
            return 1 / x;                                                     \
        if (y == 1)                                                           \
            return x;                                                         \
        if (y == 0)                                                           \
            return 1;                                                         \
        return POW(x, y);                                                     \
    }

CW_E_FLOAT(float, f32, fmodf, copysignf, powf, sqrtf)
CW_E_FLOAT(double, f64, fmod, copysign, pow, sqrt)

/* Integer remainder and power, signed or unsigned T (NumPy semantics). */
#define CW_E_SIGNED(T) ((T)-1 < (T)0)
#define CW_E_INT(T, SUF)                                                      \
    static inline T cw_e_rem_##SUF(T a, T b)                                  \
    {                                                                         \
        if (b == 0) {                                                         \
            feraiseexcept(FE_DIVBYZERO);                                      \
            return 0;                                                         \
        }                                                                     \
        if (CW_E_SIGNED(T) && b == (T)-1)                                     \
            return 0;                                                         \
        T r = (T)(a % b);                                                     \
        if (r != 0 && ((r < (T)0) != (b < (T)0)))                             \
            r = (T)(r + b);                                                   \
        return r;                                                             \
    }                                                                         \
    static inline T cw_e_pow_##SUF(T a, T b, cw_e_err *err)                      \
    {                                                                         \
        if (b < (T)0) {                                                       \
            __atomic_fetch_or(err, CW_E_ERR_INTPOW, __ATOMIC_RELAXED);        \
            return 0;                                                         \
        }                                                                     \
        T r = 1;                                                              \
        while (b) {                                                           \
            if (b & 1)                                                        \
                r = (T)(r * a);                                               \
            a = (T)(a * a);                                                   \
            b = (T)(b >> 1);                                                  \
        }                                                                     \
        return r;                                                             \
    }

CW_E_INT(int8_t, i8)
CW_E_INT(int16_t, i16)
CW_E_INT(int32_t, i32)
CW_E_INT(int64_t, i64)
CW_E_INT(uint8_t, u8)
CW_E_INT(uint16_t, u16)
CW_E_INT(uint32_t, u32)
CW_E_INT(uint64_t, u64)

/* Sign of a - b for a uint64 and b int64, exactly. */
static inline int cw_e_cmp_us(uint64_t a, int64_t b)
{
    if (b < 0)
        return 1;
    return a < (uint64_t)b ? -1 : a > (uint64_t)b;
}

/* Visit elements [lo, hi) of the C-order flattening of an ndim-dimensional
 * iteration space over nptr arrays (byte strides, row k of strides belongs
 * to array k): run(count, pointers, innermost strides, ctx) once per run
 * along the last dimension.  1 <= ndim <= CW_MAXDIMS and
 * nptr <= CW_MAX_OPERANDS: the caller checks both. */
typedef void (*cw_e_run_fn)(ptrdiff_t cnt, char **p, const ptrdiff_t *s, void *ctx);

static inline void cw_nd_walk(ptrdiff_t lo, ptrdiff_t hi, int ndim,
                              const ptrdiff_t *shape, int nptr,
                              char *const *base, const ptrdiff_t *strides,
                              cw_e_run_fn run, void *ctx)
{
    const int last = ndim - 1;
    char *p[CW_MAX_OPERANDS];
    ptrdiff_t inner[CW_MAX_OPERANDS];
    for (int k = 0; k < nptr; k++)
        inner[k] = strides[k * ndim + last];
    cw_iter it;
    cw_iter_init(&it, ndim, shape, lo, hi);
    for (ptrdiff_t cnt; (cnt = cw_iter_run(&it)) > 0; cw_iter_next(&it, cnt)) {
        for (int k = 0; k < nptr; k++)
            p[k] = base[k] + cw_iter_offset(&it, strides + k * ndim);
        run(cnt, p, inner, ctx);
    }
}

#endif
