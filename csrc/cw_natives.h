/* Element functions of the "natives" rows of ops.def (issue 16): the
 * arithmetic that does not fit a one-line expression -- NumPy's
 * floor_divide/remainder sign and zero rules (float and integer),
 * spacing, heaviside, logaddexp2, and a correctly rounded, vectorisable
 * hypot.  Included by cw_scalar.h before the table is expanded, so the
 * prebuilt kernels, the block interpreter and run-time generated C all
 * compute these with the same code.  Self-contained (math.h, fenv.h,
 * float.h, stdint.h, string.h).
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
/* c ? a : b for floats of T (bits UT) chosen on the bits, so that both sides
 * are computed and the loop has no branch: GCC will not if-convert a float
 * operation that may raise a flag (-ftrapping-math): with plain ?: spacing's
 * loop stayed scalar (8.4 ns an element; NumPy 4.9). */
#define CW_SEL(UT, T, c, a, b)                                                \
    __extension__({                                                           \
        T a_ = (a), b_ = (b), r_;                                             \
        UT ua_, ub_, m_ = -(UT)(c);                                           \
        memcpy(&ua_, &a_, sizeof ua_);                                        \
        memcpy(&ub_, &b_, sizeof ub_);                                        \
        ua_ = (ua_ & m_) | (ub_ & ~m_);                                       \
        memcpy(&r_, &ua_, sizeof r_);                                         \
        r_;                                                                   \
    })
/* NumPy's npy_spacing: nan for +-inf, else the step to the next number away
 * from zero (a zero steps up: spacing(-0.0) > 0) -- what
 * nextafter(x, x < 0 ? -inf : inf) - x gives, written with the bits (the
 * magnitude + 1).  Every lane computes every operand, each of which raises
 * nothing except where its lane is selected: nx - x is exact (0 or +-inf
 * stepping from the smallest subnormal: no flag); the underflow, raised
 * (as glibc's nextafter, hence NumPy's) where a nonzero x steps to a
 * subnormal -- not from 0, not from the largest subnormal to the smallest
 * normal -- comes from t, which is tiny only there; the overflow at +-max from x * 2, multiplied by 1
 * elsewhere; NaN keeps its payload (x * 1, quiet), as in nextafter. */
#define CW_SPACING_BODY(T, UT, ST, TMIN, TMAX)                                \
    {                                                                         \
        const T tmin = TMIN, tmax = TMAX, tinf = INFINITY;                    \
        UT b, umin, umax, uinf;                                               \
        memcpy(&b, &x, sizeof b);                                             \
        memcpy(&umin, &tmin, sizeof b);                                       \
        memcpy(&umax, &tmax, sizeof b);                                       \
        memcpy(&uinf, &tinf, sizeof b);                                       \
        ST ab = (ST)(b & (UT)(~(UT)0 >> 1));       /* |x|, as a signed int */ \
        UT tiny = (ab != 0) & (ab < (ST)umin - 1), top = ab == (ST)umax;      \
        UT inf = ab == (ST)uinf;                                              \
        UT nan = ab > (ST)uinf, zero = ab == 0;                               \
        UT nb = (zero | inf | nan) ? (UT)1 : b + (UT)1;                      \
        T nx, ax;                                                             \
        memcpy(&nx, &nb, sizeof nx);                                          \
        memcpy(&ax, &ab, sizeof ax);                                          \
        T t = CW_SEL(UT, T, tiny, ax + tmin, (T)1) * (T)0x1p-60;              \
        T r = (nx - x) + t * (T)0;                                            \
        T q = x * CW_SEL(UT, T, top, (T)2, (T)1);                             \
        r = CW_SEL(UT, T, nan | top, q, r);                                   \
        return CW_SEL(UT, T, inf, (T)NAN, r);                                 \
    }
static inline double cw_spacing_f64_(double x)
CW_SPACING_BODY(double, uint64_t, int64_t, DBL_MIN, DBL_MAX)
static inline float cw_spacing_f32_(float x)
CW_SPACING_BODY(float, uint32_t, int32_t, FLT_MIN, FLT_MAX)
#undef CW_SPACING_BODY

/* nextafter as glibc's (NumPy calls it), from the bits and branch-free so
 * that it vectorises: a NaN in -> y if it is NaN, else x, quieted (glibc's
 * x + y as compiled on x86: the second operand's NaN first), "invalid"
 * for a signalling one from x + y computed in the NaN lanes only
 * (elsewhere 0 + 0, flagless); x == y -> y; 0 -> the smallest subnormal with y's sign;
 * else |x| one step up or down by the integer order of the values.  Flags
 * as glibc: overflow (and inexact) where a finite x steps to +-inf, from
 * max * 2 in those lanes only; underflow (and inexact) where the result is
 * subnormal or zero -- stepping from 0 included -- from min * min in those
 * lanes only; each lane's result is multiplied by an exact 1 that depends
 * on both, so neither is dropped as dead code. */
#define CW_NEXTAFTER_BODY(T, UT, ST, TMIN, TMAX)                              \
    {                                                                         \
        const T tmin = TMIN, tmax = TMAX, tinf = INFINITY;                    \
        UT bx, by, umin, uinf;                                                \
        memcpy(&bx, &x, sizeof bx);                                           \
        memcpy(&by, &y, sizeof by);                                           \
        memcpy(&umin, &tmin, sizeof bx);                                      \
        memcpy(&uinf, &tinf, sizeof bx);                                      \
        const UT sgn = ~(~(UT)0 >> 1);                                        \
        ST ax = (ST)(bx & ~sgn), ay = (ST)(by & ~sgn);                        \
        UT sx = bx >> (sizeof(UT) * 8 - 1), sy = by >> (sizeof(UT) * 8 - 1);  \
        /* the values' order as integers (-0 == +0): masks, no ?: (GCC     \
         * would not vectorise the loop) */                                   \
        ST kx = (ax ^ -(ST)sx) + (ST)sx, ky = (ay ^ -(ST)sy) + (ST)sy;        \
        UT ynan = ay > (ST)uinf, nan = (ax > (ST)uinf) | ynan, eq = kx == ky; \
        UT zero = ax == 0;                                                    \
        UT away = ((UT)(ky > kx) & (sx ^ 1)) | ((UT)(ky < kx) & sx);          \
        UT mz = -zero;                                                        \
        UT nb = (((by & sgn) | 1) & mz) | ((bx + 2 * away - 1) & ~mz);        \
        ST an = (ST)(nb & ~sgn);                                              \
        UT step = !nan & !eq;                                                 \
        UT ovf = step & (an == (ST)uinf), und = step & (an < (ST)umin);       \
        T n_;                                                                 \
        memcpy(&n_, &nb, sizeof n_);                                          \
        T s = CW_SEL(UT, T, nan, x, (T)0) + CW_SEL(UT, T, nan, y, (T)0);      \
        T nanr = CW_SEL(UT, T, ynan, y, x) * (T)1;                           \
        T r = CW_SEL(UT, T, nan, nanr, CW_SEL(UT, T, eq, y, n_));             \
        T o = CW_SEL(UT, T, ovf, tmax, (T)1) * CW_SEL(UT, T, ovf, (T)2, (T)1); \
        T u = CW_SEL(UT, T, und, tmin, (T)1) * CW_SEL(UT, T, und, tmin, (T)1); \
        return r * (CW_SEL(UT, T, ovf, (T)1, o) * ((T)1 + u * (T)0)           \
                    * ((T)1 + CW_SEL(UT, T, nan, (T)0, s)));                  \
    }
static inline double cw_nextafter_f64_(double x, double y)
CW_NEXTAFTER_BODY(double, uint64_t, int64_t, DBL_MIN, DBL_MAX)
static inline float cw_nextafter_f32_(float x, float y)
CW_NEXTAFTER_BODY(float, uint32_t, int32_t, FLT_MIN, FLT_MAX)
#undef CW_NEXTAFTER_BODY

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
