/* Element functions of the "natives" rows of ops.def (issue 16): the
 * arithmetic that does not fit a one-line expression -- NumPy's
 * floor_divide/remainder sign and zero rules (float and integer),
 * spacing, heaviside, logaddexp2, and a correctly rounded, vectorisable
 * hypot.  Included by cw_scalar.h before the table is expanded, so the
 * prebuilt kernels, the block interpreter and run-time generated C all
 * compute these with the same code.  Self-contained (math.h, fenv.h,
 * float.h, limits.h, stdint.h, string.h).
 *
 * Methods (read, not copied):
 *   - floor_divide / remainder: NumPy's npy_divmod (numpy/_core/src/
 *     npymath/npy_math_internal.h.src): fmod-based, the remainder takes
 *     the divisor's sign, the quotient is snapped to the nearest integer;
 *     a zero divisor gives a / b (quotient) and fmod(a, b) (remainder).
 *     The tests check them bitwise against NumPy over special values.
 *   - integer floor division: NumPy's floor_div (loops_arithmetic): x // 0
 *     is 0 with "divide by zero", MIN // -1 is MIN with "overflow"; x % 0
 *     is 0 with "divide by zero".  The flags are raised with feraiseexcept
 *     in the (rare) branch; integer division does not vectorise anyway.
 *   - hypot (float64): glibc 2.35+'s __hypot (sysdeps/ieee754/dbl-64/
 *     e_hypot.c), which is Borges' algorithm (C. F. Borges, "An improved
 *     algorithm for hypot(a, b)", Numerical Algorithms, 2021,
 *     arXiv:1904.09481), the variant without fma: h = sqrt(ax^2 + ay^2),
 *     then one correction step h -= (t1 + t2) / (2h) from the exact
 *     residual of h^2 - (ax^2 + ay^2), with scaling by 2^+-600 for huge
 *     and tiny operands.  Written branch-free (both correction branches
 *     computed, one selected; non-finite and negligible-ay lanes run on
 *     dummy operands) so that it vectorises, and so that the results are
 *     glibc's -- NumPy's -- bit for bit.  The loops that run it must not
 *     contract a*b+c into fma (kernels.c gives hypot the no-FMA ISA list).
 *   - hypot (float32): glibc's __ieee754_hypotf: sqrt((double)x*x +
 *     (double)y*y) rounded to float.  x*x and y*y are exact in double.
 *     This is what NumPy computes (it calls hypotf), bit for bit.
 */
#ifndef CW_NATIVES_H
#define CW_NATIVES_H
#include <fenv.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* ---- floating floor_divide / remainder (npy_divmod) ---------------------- */
/* fmod: the exact remainder, so any correct method gives its bits.  On
 * x86-64 the x87 FPREM instruction computes it (a loop while C2 says the
 * reduction is partial, 63 exponent bits per step; Intel SDM vol. 2,
 * FPREM), several times faster than glibc 2.36's fmod, which NumPy's
 * remainder also outpaces.  Its invalid flag (x = inf, y = 0) lands in
 * the x87 status word, which fetestexcept/feclearexcept cover on x86-64. */
#if defined(__x86_64__) && defined(__GNUC__)
#define CW_FPREM_DEF(NAME, T)                                                 \
    static inline T NAME(T a, T b)                                            \
    {                                                                         \
        long double x = a, y = b;                                             \
        unsigned short sw;                                                    \
        do {                                                                  \
            __asm__("fprem\n\tfnstsw %%ax" : "+t"(x), "=a"(sw) : "u"(y));      \
        } while (sw & 0x400);                                                 \
        return (T)x;                                                          \
    }
CW_FPREM_DEF(cw_fmod_f64_, double)
CW_FPREM_DEF(cw_fmod_f32_, float)
#undef CW_FPREM_DEF
#else
#define cw_fmod_f64_ fmod
#define cw_fmod_f32_ fmodf
#endif
#define CW_DIVMOD_BODY(T, FMOD, FLOOR, COPYSIGN, WANT_DIV)                    \
    {                                                                         \
        if (WANT_DIV && !b)                                                   \
            return a / b;  /* (no fmod: inf // 0 raises nothing, as NumPy) */ \
        T mod = FMOD(a, b);                                                   \
        if (!b)                                                               \
            return mod;                                                       \
        T div = (a - mod) / b;                                                \
        if (mod) {                                                            \
            if (isless(b, (T)0) != isless(mod, (T)0)) {                      \
                mod += b;                                                     \
                div -= (T)1;                                                  \
            }                                                                 \
        } else {                                                              \
            mod = COPYSIGN((T)0, b);                                          \
        }                                                                     \
        if (!WANT_DIV)                                                        \
            return mod;                                                       \
        T fl;                                                                 \
        if (div) {                                                            \
            fl = FLOOR(div);                                                  \
            if (isgreater(div - fl, (T)0.5))                                  \
                fl += (T)1;                                                   \
        } else {                                                              \
            fl = COPYSIGN((T)0, a / b);                                       \
        }                                                                     \
        return fl;                                                            \
    }
static inline double cw_floordiv_f64_(double a, double b)
CW_DIVMOD_BODY(double, cw_fmod_f64_, floor, copysign, 1)
static inline float cw_floordiv_f32_(float a, float b)
CW_DIVMOD_BODY(float, cw_fmod_f32_, floorf, copysignf, 1)
static inline double cw_remainder_f64_(double a, double b)
CW_DIVMOD_BODY(double, cw_fmod_f64_, floor, copysign, 0)
static inline float cw_remainder_f32_(float a, float b)
CW_DIVMOD_BODY(float, cw_fmod_f32_, floorf, copysignf, 0)
#undef CW_DIVMOD_BODY

/* ---- integer floor_divide / remainder (T signed, U its unsigned twin) --- */
#define CW_IDIV_DEF(SUF, T, TMIN)                                             \
    static inline T cw_ifloordiv_##SUF(T n, T d)                              \
    {                                                                         \
        if (__builtin_expect(d == 0, 0)) {                                    \
            feraiseexcept(FE_DIVBYZERO);                                      \
            return 0;                                                         \
        }                                                                     \
        if (__builtin_expect(d == -1 && n == TMIN, 0)) {                      \
            feraiseexcept(FE_OVERFLOW);                                       \
            return TMIN;                                                      \
        }                                                                     \
        T q = n / d;                                                          \
        if (((n > 0) != (d > 0)) && q * d != n)                               \
            q--;                                                              \
        return q;                                                             \
    }                                                                         \
    static inline T cw_iremainder_##SUF(T n, T d)                             \
    {                                                                         \
        if (__builtin_expect(d == 0, 0)) {                                    \
            feraiseexcept(FE_DIVBYZERO);                                      \
            return 0;                                                         \
        }                                                                     \
        if (d == -1)                                                          \
            return 0;  /* MIN % -1 traps in C */                              \
        T r = n % d;                                                          \
        if (r != 0 && ((r < 0) != (d < 0)))                                   \
            r += d;                                                           \
        return r;                                                             \
    }
CW_IDIV_DEF(i32, int32_t, INT32_MIN)
CW_IDIV_DEF(i64, int64_t, INT64_MIN)
#undef CW_IDIV_DEF
#define CW_IFLOORDIV(x, y) (sizeof(T) == 4 ? (T)cw_ifloordiv_i32((int32_t)(x), (int32_t)(y)) \
                                           : (T)cw_ifloordiv_i64((int64_t)(x), (int64_t)(y)))
#define CW_IREMAINDER(x, y) (sizeof(T) == 4 ? (T)cw_iremainder_i32((int32_t)(x), (int32_t)(y)) \
                                            : (T)cw_iremainder_i64((int64_t)(x), (int64_t)(y)))

/* ---- the CW_MULTI rows: two outputs, mixed operand dtypes ------------------
 * Element functions of the form fn(inputs by value, outputs by pointer),
 * one call per element (kernels.c's CW_MLOOP loops).
 *   - divmod: NumPy's divmod loops are npy_divmod (floats) and the integer
 *     floor-division/remainder pair (loops_modulo.dispatch.c.src): its
 *     quotient and remainder are exactly floor_divide's and remainder's, and
 *     so are its FP flags (the union of the two: npy_divmod's fmod for the
 *     remainder, a / b for a zero divisor).  So divmod is those two element
 *     functions above, not a third copy of the method.
 *   - modf, frexp, ldexp: NumPy calls libm's modf/frexp/ldexp per element
 *     (npy_modf, npy_frexp, npy_ldexp; loops.c.src, loops_exponent_log.
 *     dispatch.c.src -- whose AVX-512 forms, getmant/getexp and scalef, give
 *     libm's values: x itself and exponent 0 for 0, inf, NaN).  With an
 *     int64 exponent NumPy's @TYPE@_ldexp_int64 clamps it to [INT_MIN,
 *     INT_MAX] (ldexp overflows/underflows well before either). */
#define CW_DIVMOD_DEF(SUF, T, FDIV, REM)                                      \
    static inline void cw_divmod_##SUF(T a, T b, T *q, T *r)                  \
    {                                                                         \
        *q = FDIV(a, b);                                                      \
        *r = REM(a, b);                                                       \
    }
CW_DIVMOD_DEF(f64, double, cw_floordiv_f64_, cw_remainder_f64_)
CW_DIVMOD_DEF(f32, float, cw_floordiv_f32_, cw_remainder_f32_)
CW_DIVMOD_DEF(i32, int32_t, cw_ifloordiv_i32, cw_iremainder_i32)
CW_DIVMOD_DEF(i64, int64_t, cw_ifloordiv_i64, cw_iremainder_i64)
#undef CW_DIVMOD_DEF
static inline void cw_modf_f64(double a, double *f, double *i) { *f = modf(a, i); }
static inline void cw_modf_f32(float a, float *f, float *i) { *f = modff(a, i); }
static inline void cw_frexp_f64(double a, double *m, int32_t *e)
{
    int k = 0;
    *m = frexp(a, &k);
    *e = k;
}
static inline void cw_frexp_f32(float a, float *m, int32_t *e)
{
    int k = 0;
    *m = frexpf(a, &k);
    *e = k;
}
#define CW_CLAMP_INT(e) ((e) > INT_MAX ? INT_MAX : (e) < INT_MIN ? INT_MIN : (int)(e))
static inline void cw_ldexp_f64i32(double a, int32_t e, double *r) { *r = ldexp(a, e); }
static inline void cw_ldexp_f32i32(float a, int32_t e, float *r) { *r = ldexpf(a, e); }
static inline void cw_ldexp_f64i64(double a, int64_t e, double *r) { *r = ldexp(a, CW_CLAMP_INT(e)); }
static inline void cw_ldexp_f32i64(float a, int64_t e, float *r) { *r = ldexpf(a, CW_CLAMP_INT(e)); }
#undef CW_CLAMP_INT

/* gcd/lcm as NumPy: on absolute values (in the unsigned twin, so MIN is
 * fine), Euclid; lcm = |a| / gcd * |b| wrapping like NumPy's. */
static inline uint64_t cw_ugcd_(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}
#define CW_UABS(x) ((x) < 0 ? (U)0 - (U)(x) : (U)(x))
#define CW_GCD(x, y) ((T)(U)cw_ugcd_(CW_UABS(x), CW_UABS(y)))
#define CW_LCM(x, y)                                                          \
    ((T)(cw_ugcd_(CW_UABS(x), CW_UABS(y)) == 0 ? (U)0                         \
         : (U)((U)(CW_UABS(x) / (U)cw_ugcd_(CW_UABS(x), CW_UABS(y))) * CW_UABS(y))))

/* shifts as NumPy: a count >= the width (or negative) gives 0, or -1 for a
 * negative number shifted right */
#define CW_WIDTH ((U)(sizeof(T) * 8))
#define CW_LSHIFT(x, y) ((U)(y) < CW_WIDTH ? (T)((U)(x) << (U)(y)) : (T)0)
#define CW_RSHIFT(x, y) ((T)((x) >> ((U)(y) < CW_WIDTH ? (U)(y) : CW_WIDTH - 1)))
/* bitwise_count: the 1-bits of |x| (NumPy 2) */
#define CW_POPCOUNT(x) ((T)__builtin_popcountll((unsigned long long)CW_UABS(x)))

/* ---- spacing, heaviside, logaddexp2 -------------------------------------- */
/* NumPy's npy_spacing: nan for +-inf, else the step to the next number away
 * from zero (a zero steps up: spacing(-0.0) > 0) -- what
 * nextafter(x, x < 0 ? -inf : inf) - x gives, written with the bits (the
 * magnitude + 1) so that it vectorises.  Its FP flags are nextafter's: an
 * underflow where the step is subnormal (|x| < the smallest normal: t
 * underflows there, and only there), an overflow at +-max (x * 2).  NaN
 * keeps its payload (x + x), as in nextafter. */
#define CW_SPACING_BODY(T, UT, TMIN, TMAX)                                    \
    {                                                                         \
        UT b;                                                                 \
        memcpy(&b, &x, sizeof b);                                             \
        T ax = isless(x, (T)0) ? -x : x;                                      \
        /* (a non-finite lane steps from 0 too: inf + 1 ulp would be a     \
         * signalling NaN, and "invalid" on every vector lane) */          \
        UT nb = ax == 0 || !isfinite(x) ? (UT)1 : b + (UT)1;                 \
        T nx;                                                                 \
        memcpy(&nx, &nb, sizeof nx);                                          \
        T t = (isless(ax, TMIN) ? ax + TMIN : (T)1) * (T)0x1p-60;             \
        T r = (nx - x) + t * (T)0;                                            \
        r = ax == TMAX ? x * (T)2 : r;                                        \
        return isnan(x) ? x + x : isinf(x) ? (T)NAN : r;                      \
    }
static inline double cw_spacing_f64_(double x)
CW_SPACING_BODY(double, uint64_t, DBL_MIN, DBL_MAX)
static inline float cw_spacing_f32_(float x)
CW_SPACING_BODY(float, uint32_t, FLT_MIN, FLT_MAX)
#undef CW_SPACING_BODY

/* NumPy's npy_heaviside: nan (positive) for nan, h0 at zero */
#define CW_HEAVISIDE(T, x, h0)                                                \
    (isnan(x) ? (T)NAN : (x) == 0 ? (h0) : isless(x, (T)0) ? (T)0 : (T)1)

/* NumPy's npy_logaddexp2: x == y (infinities too) -> x + 1; otherwise the
 * larger plus log2(1 + 2^-|d|).  Branch-free as CW_LOGADDEXP_BODY. */
#define CW_LOGADDEXP2_BODY(T, LOG1P, EXP2, FABS, LOG2E)                       \
    {                                                                         \
        int same = x == y;                                                    \
        T d = (same ? (T)0 : x) - (same ? (T)0 : y);                          \
        T m = d > 0 ? x : y;                                                  \
        T r = m + LOG2E * LOG1P(EXP2(-FABS(d)));                              \
        return same ? x + (T)1 : r;                                           \
    }
static inline double cw_logaddexp2_f64_(double x, double y)
CW_LOGADDEXP2_BODY(double, log1p, exp2, fabs, 1.442695040888963407359924681001892137)
static inline float cw_logaddexp2_f32_(float x, float y)
CW_LOGADDEXP2_BODY(float, log1pf, exp2f, fabsf, 1.442695040888963407359924681001892137f)
#undef CW_LOGADDEXP2_BODY

/* ---- hypot ---------------------------------------------------------------- */
static inline double cw_hypot_f64_(double x, double y)
{
    const double SCALE = 0x1p-600, LARGE = 0x1p+511, EPS = 0x1p-54;
    /* glibc scales up below 2^-511; scaling up from 2^-450 instead gives
     * the same bits (power-of-two scaling is exact on every operation of
     * the kernel) and keeps the unselected correction branch free of
     * subnormal intermediates (spurious underflow flags) */
    const double TINY = 0x1p-450;
    int nonfin = !isfinite(x) || !isfinite(y);
    double special = (isinf(x) || isinf(y)) ? (double)INFINITY : x + y;
    double fx = fabs(x), fy = fabs(y);
    double ax = isless(fx, fy) ? fy : fx, ay = isless(fx, fy) ? fx : fy;
    ax = nonfin ? 1.0 : ax;
    ay = nonfin ? 1.0 : ay;
    int big = ax > LARGE, tiny = !big && ay < TINY;
    /* negligible ay: glibc returns ax + ay (with the thresholds per case) */
    int negl = big ? ay <= ax * EPS : tiny ? ax >= ay / EPS : ay <= ax * EPS;
    double shortcut = ax + ay;
    double s = big ? SCALE : tiny ? 1.0 / SCALE : 1.0;
    double bx = negl ? 1.0 : ax * s, by = negl ? 1.0 : ay * s;
    /* Borges' correction, without fma (glibc's kernel) */
    double h = sqrt(bx * bx + by * by);
    double d1 = h - by;
    double t1a = bx * (2.0 * d1 - bx);
    double t2a = (d1 - 2.0 * (bx - by)) * d1;
    double d2 = h - bx;
    double t1b = 2.0 * d2 * (bx - 2.0 * by);
    double t2b = (4.0 * d2 - by) * by + d2 * d2;
    int first = h <= 2.0 * by;
    double t1 = first ? t1a : t1b, t2 = first ? t2a : t2b;
    h -= (t1 + t2) / (2.0 * h);
    double r = big ? h / SCALE : tiny ? h * SCALE : h;
    return nonfin ? special : negl ? shortcut : r;
}

static inline float cw_hypot_f32_(float x, float y)
{
    int inf = isinf(x) || isinf(y);
    double dx = x, dy = y;
    float r = (float)sqrt(dx * dx + dy * dy);
    return inf ? (float)INFINITY : r;
}

#endif
