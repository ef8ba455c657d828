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

/* The error flag of an element function (`cw_e_err *err`, a bit set per
 * kind): an integer to a negative integer power (the call fails,
 * CW_EINTPOW), and a sin, cos or tan argument with 2^19 <= |x| < inf
 * (CW_ETRIG).  libmvec's reduction is off by up to 1.4e5 ULP there, so
 * cw_e_sin_f64 & co. compute such a lane as sin(+0) and set CW_E_ERR_TRIG;
 * evaluate (pkg/_evaluate.py) then runs the whole call again on the block
 * interpreter, whose trig ops (csrc/interp.c) are the same libmvec loop
 * with those lanes from csrc/vmath/trig.c, correctly rounded -- so the other
 * lanes keep their bits and no result depends on the thread count.  The
 * bound is vmath.h's CW_VM_HUGE64/32 (kernels.c asserts it).
 * Written so that GCC still vectorises every loop that it did without the
 * test (checked with -fopt-info-vec): the flag is an unsigned char (an int
 * kept loops that also load uint8 scalar), the lane is masked with integer
 * ops (with `h ? 0 : x` GCC split the loop into sin(0) and sin(x) paths,
 * "control flow in loop", wherever float32 and float64 mix), one unsigned
 * compare tests the range. */
typedef unsigned char cw_e_err;
/* elements of a vector run in the JIT's loops and the interpreter's: every
 * element through the same vector code (csrc/interp.c, CW_I_RUNS) */
#define CW_E_BLK 64
#define CW_E_ERR_INTPOW 1
#define CW_E_ERR_TRIG 2
#define CW_E_TRIG_HUGE64 0x41200000
#define CW_E_TRIG_HUGE32 0x49000000
#define CW_E_TRIG(NAME, T, SUF, UT, SHIFT, HUGE, INF)                         \
    static inline T cw_e_##NAME##_##SUF(T x, cw_e_err *err)                   \
    {                                                                         \
        UT u;                                                                 \
        memcpy(&u, &x, sizeof u);                                             \
        const uint32_t hi = (uint32_t)(u >> SHIFT) & 0x7fffffffu;             \
        const int h = hi - (uint32_t)(HUGE) < (uint32_t)(INF) - (uint32_t)(HUGE); \
        *err |= (cw_e_err)(h * CW_E_ERR_TRIG);                                \
        u &= (UT)0 - (UT)!h;                                                  \
        memcpy(&x, &u, sizeof x);                                             \
        return cw_##NAME##_##SUF(x);                                          \
    }
#define CW_E_TRIG2(NAME)                                                      \
    CW_E_TRIG(NAME, double, f64, uint64_t, 32, CW_E_TRIG_HUGE64, 0x7ff00000u)  \
    CW_E_TRIG(NAME, float, f32, uint32_t, 0, CW_E_TRIG_HUGE32, 0x7f800000u)
#ifdef CW_EVAL_JIT
CW_E_TRIG2(sin) CW_E_TRIG2(cos) CW_E_TRIG2(tan)
#endif
#undef CW_E_TRIG2
#undef CW_E_TRIG

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
