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
/* One body for floor_divide (DIV), remainder (MOD) and divmod (both): the
 * quotient and remainder from one fmod, as npy_divmod. */
#define CW_DIVMOD_DEF(NAME, T, FMOD, FLOOR, COPYSIGN, DIV, MOD)               \
    static inline void NAME(T a, T b, T *q, T *r)                             \
    {                                                                         \
        if (DIV && !MOD && !b) {                                              \
            *q = a / b;  /* (no fmod: inf // 0 raises nothing, as NumPy) */   \
            return;                                                           \
        }                                                                     \
        T mod = FMOD(a, b);                                                   \
        if (!b) {                                                             \
            if (DIV)                                                          \
                *q = a / b;                                                   \
            *r = mod;                                                         \
            return;                                                           \
        }                                                                     \
        T div = (a - mod) / b;                                                \
        if (mod) {                                                            \
            if (isless(b, (T)0) != isless(mod, (T)0)) {                      \
                mod += b;                                                     \
                div -= (T)1;                                                  \
            }                                                                 \
        } else {                                                              \
            mod = COPYSIGN((T)0, b);                                          \
        }                                                                     \
        *r = mod;                                                             \
        if (!DIV)                                                             \
            return;                                                           \
        T fl;                                                                 \
        if (div) {                                                            \
            fl = FLOOR(div);                                                  \
            if (isgreater(div - fl, (T)0.5))                                  \
                fl += (T)1;                                                   \
        } else {                                                              \
            fl = COPYSIGN((T)0, a / b);                                       \
        }                                                                     \
        *q = fl;                                                              \
    }
CW_DIVMOD_DEF(cw_fdiv_f64_, double, cw_fmod_f64_, floor, copysign, 1, 0)
CW_DIVMOD_DEF(cw_fdiv_f32_, float, cw_fmod_f32_, floorf, copysignf, 1, 0)
CW_DIVMOD_DEF(cw_frem_f64_, double, cw_fmod_f64_, floor, copysign, 0, 1)
CW_DIVMOD_DEF(cw_frem_f32_, float, cw_fmod_f32_, floorf, copysignf, 0, 1)
CW_DIVMOD_DEF(cw_divmod_f64, double, cw_fmod_f64_, floor, copysign, 1, 1)
CW_DIVMOD_DEF(cw_divmod_f32, float, cw_fmod_f32_, floorf, copysignf, 1, 1)
#undef CW_DIVMOD_DEF
#define CW_ONE_OF_DEF(NAME, T, FN, OUT)                                       \
    static inline T NAME(T a, T b)                                            \
    {                                                                         \
        T q = 0, r = 0;                                                       \
        FN(a, b, &q, &r);                                                     \
        return OUT;                                                           \
    }
CW_ONE_OF_DEF(cw_floordiv_f64_, double, cw_fdiv_f64_, q)
CW_ONE_OF_DEF(cw_floordiv_f32_, float, cw_fdiv_f32_, q)
CW_ONE_OF_DEF(cw_remainder_f64_, double, cw_frem_f64_, r)
CW_ONE_OF_DEF(cw_remainder_f32_, float, cw_frem_f32_, r)
#undef CW_ONE_OF_DEF

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

/* c ? a : b for floats of T (bits UT) chosen on the bits, so that both sides
 * are computed and the loop has no branch: GCC will not if-convert a float
 * operation that may raise a flag (-ftrapping-math): with plain ?: spacing's
 * loop stayed scalar (8.4 ns an element; NumPy 4.9). */
#define CW_BITS(UT, v)                                                        \
    __extension__({ __typeof__(v) v_ = (v); UT u_; memcpy(&u_, &v_, sizeof u_); u_; })
#define CW_FLT(T, u)                                                          \
    __extension__({ __typeof__(u) u_ = (u); T f_; memcpy(&f_, &u_, sizeof f_); f_; })
#define CW_SEL(UT, T, c, a, b)                                                \
    __extension__({                                                           \
        UT m_ = -(UT)(c);                                                     \
        CW_FLT(T, (CW_BITS(UT, (T)(a)) & m_) | (CW_BITS(UT, (T)(b)) & ~m_));  \
    })

/* ---- the CW_MULTI rows: two outputs, mixed operand dtypes ------------------
 * Element functions of the form fn(inputs by value, outputs by pointer),
 * one call per element (kernels.c's CW_MLOOP loops).
 *   - divmod: NumPy's divmod loops are npy_divmod (floats) and the integer
 *     floor-division/remainder pair (loops_modulo.dispatch.c.src): its
 *     quotient and remainder are exactly floor_divide's and remainder's, and
 *     so are its FP flags (the union of the two: npy_divmod's fmod for the
 *     remainder, a / b for a zero divisor).  So divmod is those two element
 *     functions above: for floats their one body (CW_DIVMOD_DEF) with both
 *     outputs, from one fmod; for ints the pair (one division with the
 *     same rules measured slower: 30.6 against 25.2 ms on 4M int64).
 *   - modf, frexp, ldexp: NumPy calls libm's modf/frexp/ldexp per element
 *     (npy_modf, npy_frexp, npy_ldexp; loops.c.src, loops_exponent_log.
 *     dispatch.c.src -- whose AVX-512 forms, getmant/getexp and scalef, give
 *     libm's values: x itself and exponent 0 for 0, inf, NaN); corewise's
 *     are below, from the bits, with the same values and flags.  With an
 *     int64 exponent NumPy's @TYPE@_ldexp_int64 clamps it to [INT_MIN,
 *     INT_MAX]; ours clamps to +-2200 (+-400 for float32), past which the
 *     result is already +-inf or +-0 whatever x is. */
#define CW_IDIVMOD_DEF(SUF, T, FDIV, REM)                                     \
    static inline void cw_divmod_##SUF(T a, T b, T *q, T *r)                  \
    {                                                                         \
        *q = FDIV(a, b);                                                      \
        *r = REM(a, b);                                                       \
    }
CW_IDIVMOD_DEF(i32, int32_t, cw_ifloordiv_i32, cw_iremainder_i32)
CW_IDIVMOD_DEF(i64, int64_t, cw_ifloordiv_i64, cw_iremainder_i64)
#undef CW_IDIVMOD_DEF
/* modf, frexp, ldexp from the bits, branch-free so that the loops
 * vectorise (libm's are calls per element), each bitwise glibc's -- what
 * NumPy's loops give -- with glibc's flags (each flag-raising operation is
 * computed only in the lanes that raise it; elsewhere on exact, flagless
 * operands):
 *   - modf: |x| >= 2^(mantissa bits) or inf -> (+-0, x); NaN -> (x, x)
 *     quieted; else the integral part is trunc(x) by the 2^52 trick (GCC
 *     does not vectorise trunc() with -ftrapping-math), the fraction x minus
 *     it (exact), with x's sign (an integral x gives +-0, as glibc).
 *   - frexp: 0, inf, NaN -> (x + x, 0); a subnormal is scaled by 2^64 first
 *     (exact); else the mantissa is x's bits with the exponent of [0.5, 1).
 *   - ldexp: x * 2^e as scalbn (musl's method, read, not copied): e clamped,
 *     then at most two exact steps of 2^(max exponent) up, or of
 *     2^(min exponent + mantissa bits + 1) down (which keep the value
 *     normal wherever the final result can round to nonzero), then one
 *     multiplication that rounds once -- correctly rounded, as glibc's; 0,
 *     inf and NaN come through the multiplications unchanged, as x + x. */
#define CW_MODF_DEF(SUF, T, UT, ST, MANT)                                     \
    static inline void cw_modf_##SUF(T x, T *f, T *ip)                        \
    {                                                                         \
        const int W = (int)sizeof(UT) * 8, EB = W - 1 - (MANT);               \
        const UT sgn = (UT)1 << (W - 1), fmask = ((UT)1 << (MANT)) - 1;       \
        const ST bias = ((ST)1 << (EB - 1)) - 1, emax = ((ST)1 << EB) - 1;    \
        const UT b = CW_BITS(UT, x);                                          \
        ST e = (ST)((b >> (MANT)) & (UT)emax) - bias;   /* unbiased */        \
        UT nan = (e == emax - bias) & ((b & fmask) != 0);                     \
        UT big = e >= (MANT), off = big | nan;                                \
        /* trunc(|x|) as round(|x| + 2^MANT) - 2^MANT, one less if above    \
         * (compared as bits: both are >= 0); only inexact, which NumPy     \
         * never reports; 0 in the other lanes */                            \
        const T c = (T)((UT)1 << (MANT));                                     \
        T ax = CW_FLT(T, b & ~sgn & (off - 1)), r = (ax + c) - c;             \
        r = CW_SEL(UT, T, CW_BITS(UT, r) > CW_BITS(UT, ax), r - (T)1, r);     \
        T i_ = CW_SEL(UT, T, big, x, CW_FLT(T, CW_BITS(UT, r) | (b & sgn)));  \
        T d = CW_SEL(UT, T, off, 0, x) - CW_SEL(UT, T, off, 0, i_);           \
        T z_ = CW_FLT(T, CW_BITS(UT, d) | (b & sgn));  /* exact 0: x's sign */ \
        T xn = CW_SEL(UT, T, nan, x, (T)0), q = xn + xn;  /* quiets, flags */ \
        *ip = CW_SEL(UT, T, nan, q, i_);                                      \
        *f = CW_SEL(UT, T, nan, q, z_);                                       \
    }
CW_MODF_DEF(f64, double, uint64_t, int64_t, 52)
CW_MODF_DEF(f32, float, uint32_t, int32_t, 23)
#undef CW_MODF_DEF

#define CW_FREXP_DEF(SUF, T, UT, ST, MANT, UP)                                \
    static inline void cw_frexp_##SUF(T x, T *m, int32_t *ex)                 \
    {                                                                         \
        const int W = (int)sizeof(UT) * 8, EB = W - 1 - (MANT);               \
        const UT sgn = (UT)1 << (W - 1), fmask = ((UT)1 << (MANT)) - 1;       \
        const ST emax = ((ST)1 << EB) - 1, half = (((ST)1 << (EB - 1)) - 2);  \
        const UT b = CW_BITS(UT, x);                                          \
        ST eb = (ST)((b >> (MANT)) & (UT)emax);                               \
        UT zero = (b & ~sgn) == 0, spec = zero | (eb == emax);                \
        UT sub = (eb == 0) & !zero;                                           \
        T xs = x * CW_SEL(UT, T, sub, (T)UP, (T)1);   /* exact */             \
        const UT bs = CW_BITS(UT, xs);                                        \
        ST e = (ST)((bs >> (MANT)) & (UT)emax) - half - (sub ? (ST)64 : 0);   \
        T mm = CW_FLT(T, (bs & (sgn | fmask)) | ((UT)half << (MANT)));        \
        T xx = CW_SEL(UT, T, spec, x, (T)0);                                  \
        *m = CW_SEL(UT, T, spec, xx + xx, mm);                                \
        *ex = spec ? 0 : (int32_t)e;                                          \
    }
CW_FREXP_DEF(f32, float, uint32_t, int32_t, 23, 0x1p64f)
#undef CW_FREXP_DEF

/* 2^k for k in [min exponent, max exponent], from the bits */
#define CW_POW2(T, UT, MANT, BIAS, k) CW_FLT(T, (UT)(uint32_t)((k) + (BIAS)) << (MANT))
#define CW_LDEXP_DEF(SUF, T, UT, ET, EMAX, EMIN, MANT, LIM)                   \
    static inline void cw_ldexp_##SUF(T x, ET e, T *r)                        \
    {                                                                         \
        /* in int32 (8 lanes to an AVX2 vector): |n| <= LIM */                \
        const int32_t dn = (EMIN) + (MANT) + 1;      /* a step down */         \
        int32_t n = (int32_t)(e > (LIM) ? (LIM) : e < -(LIM) ? -(LIM) : e);  \
        int32_t up1 = n > (EMAX) ? (EMAX) : 0, n1 = n - up1;                  \
        int32_t up2 = n1 > (EMAX) ? (EMAX) : 0, n2 = n1 - up2;                \
        int32_t dn1 = n < (EMIN) ? dn : 0, m1 = n2 - dn1;                     \
        int32_t dn2 = m1 < (EMIN) ? dn : 0, m2 = m1 - dn2;                    \
        m2 = m2 > (EMAX) ? (EMAX) : m2 < (EMIN) ? (EMIN) : m2;                \
        T s1 = CW_POW2(T, UT, MANT, EMAX, up1 + dn1);                         \
        T s2 = CW_POW2(T, UT, MANT, EMAX, up2 + dn2);                         \
        *r = ((x * s1) * s2) * CW_POW2(T, UT, MANT, EMAX, m2);                \
    }
CW_LDEXP_DEF(f64i64, double, uint64_t, int64_t, 1023, -1022, 52, 2200)
CW_LDEXP_DEF(f32i64, float, uint32_t, int64_t, 127, -126, 23, 400)
#undef CW_LDEXP_DEF

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
 * magnitude + 1).  Every lane computes every operand, each of which raises
 * nothing except where its lane is selected: nx - x is exact (0 or +-inf
 * stepping from the smallest subnormal: no flag); the underflow, raised
 * (as glibc's nextafter, hence NumPy's) where a nonzero x steps to a
 * subnormal -- not from 0, not from the largest subnormal to the smallest
 * normal -- comes from t, which is tiny only there; the overflow at +-max
 * from x * 2, multiplied by 1 elsewhere; NaN keeps its payload (x * 1,
 * quiet), as in nextafter. */
#define CW_SPACING_BODY(T, UT, ST, TMIN, TMAX)                                \
    {                                                                         \
        const T tmin = TMIN;                                                  \
        const UT b = CW_BITS(UT, x), umin = CW_BITS(UT, tmin);                \
        const UT umax = CW_BITS(UT, (T)TMAX), uinf = CW_BITS(UT, (T)INFINITY); \
        ST ab = (ST)(b & (UT)(~(UT)0 >> 1));       /* |x|, as a signed int */ \
        UT tiny = (ab != 0) & (ab < (ST)umin - 1), top = ab == (ST)umax;      \
        UT inf = ab == (ST)uinf;                                              \
        UT nan = ab > (ST)uinf, zero = ab == 0;                               \
        UT nb = (zero | inf | nan) ? (UT)1 : b + (UT)1;                      \
        T nx = CW_FLT(T, nb), ax = CW_FLT(T, ab);                             \
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
 * (elsewhere 0 + 0, flagless); x == y -> y; 0 -> the smallest subnormal
 * with y's sign; else |x| one step up or down by the integer order of the
 * values.  Flags as glibc: overflow (and inexact) where a finite x steps to +-inf, from
 * max * 2 in those lanes only; underflow (and inexact) where the result is
 * subnormal or zero -- stepping from 0 included -- from min * min in those
 * lanes only; each lane's result is multiplied by an exact 1 that depends
 * on both, so neither is dropped as dead code. */
#define CW_NEXTAFTER_BODY(T, UT, ST, TMIN, TMAX)                              \
    {                                                                         \
        const T tmin = TMIN, tmax = TMAX;                                     \
        const UT bx = CW_BITS(UT, x), by = CW_BITS(UT, y);                    \
        const UT umin = CW_BITS(UT, tmin), uinf = CW_BITS(UT, (T)INFINITY);   \
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
        T n_ = CW_FLT(T, nb);                                                 \
        T s = CW_SEL(UT, T, nan, x, (T)0) + CW_SEL(UT, T, nan, y, (T)0);      \
        T nanr = CW_SEL(UT, T, ynan, y, x);  /* quieted by the last * */      \
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
