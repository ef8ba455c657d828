/* sin, cos and tan, float64 and float32: corewise's own, correctly rounded.
 *
 * Method (float64): a Cody-Waite reduction by pi/2 carried in
 * double-double, a table of sin and cos at multiples of 1/256 (the
 * "accurate tables" approach of Gal and Bachelis, "An accurate elementary
 * mathematical library for the IEEE floating point standard", ACM TOMS
 * 17(1), 1991, here with double-double table values), short polynomials,
 * then the rounding test (vmath.h) and, for the lanes that fail it, the
 * exact path (mp.c: Payne-Hanek reduction with 2/pi to 1408 bits, series
 * in 320-bit fixed point).
 *   reduction, |x| < 2^21: k = round(x * 2/pi) by the 1.5 * 2^52 shifter,
 *     r = x - k (P1 + P2 + P3 + P4), P1, P2 of 32 bits (k*P1, k*P2 exact for
 *     |k| < 2^21), P3, P4 of 53 (pi/2 to 2^-176): r1 = x - k*P1 exact
 *     (Sterbenz), r1 - k*P2 by a two-sum, minus k*P3 (an exact product) by a
 *     two-sum, the tails and k*P4 in double.  Absolute error below
 *     2^-148 + 2^-105 |r| (where r is small the two-sums are exact), so
 *     relative 2^-78 for |r| >= 2^-70; a smaller |r| (the closest double to
 *     a multiple of pi/2 has |r| ~ 2^-62) takes the exact path, as do
 *     |x| >= 2^21, inf and NaN.  |r| <= pi/4 + 2^-31.
 *   evaluation: r = a + t, a = j/256 (j = round(256 r), |j| <= 201, t exact
 *     by Sterbenz, |t| <= 2^-9); with q = k (+1 for cos) the result is
 *     +-(A cos t + B sin t), (A, B) = (sin a, cos a) for even q, (cos a,
 *     -sin a) for odd, the sign from q's bit 1 -- a per-lane select of the
 *     table values, one evaluation.  sin t = t + t^3 (-1/6 + t^2/120 -
 *     t^4/5040), cos t = 1 - t^2/2 + t^4 (1/24 - t^2/720 + t^4/40320),
 *     t^2 an exact product, the heads A, B*t, A*(-t^2/2) exact products
 *     added by fast two-sums (|A| >= |B t| or A = 0), the tails in double.
 * Error analysis (relative, before the final rounding): the largest term
 * evaluated in double is B t^3 (-1/6 + ...), |t^3/6| <= 2^-29.6, with
 * about five roundings, 2^-80.3 |B|, over a result of at least |t| (j = 0)
 * or 2^-9 (|j| >= 1, even q): 2^-71.3; the omitted terms 2^-79; the
 * reduction 2^-78; the tables 2^-106; the other tails below 2^-90: in all
 * below 2^-71, inside the 2^-70 that this file's rounding test assumes
 * (CW_VM_RC_TRIG, 2^-70 * 2^55).  tan: sin r and cos r so, then one
 * double-double division (trig_fin), below 2^-69 (CW_VM_RC_TAN).  Special
 * inputs: NaN (NaN, no flag), +-inf (NaN, invalid) and |x| < 2^-27, where
 * sin x and tan x round to x (with underflow when x is subnormal, as IEEE's
 * and NumPy's sin; NumPy's tan raises none) and cos x to 1, are computed in
 * the vector loop by their flag-raising operation.
 *
 * float32: the same reduction and plain double polynomials (trigf_fast),
 * then the float rounding test (cw_vm_hard_f); the few lanes near a float
 * midpoint take the exact path rounded to float.
 * Compiled with fp-contract off (the special results' flags, and the
 * error analysis above counts every rounding). */
#pragma GCC optimize("fp-contract=off")
#include "vmath.h"
#include "tables.h"

/* the rounding tests for an error below 2^-70 (vmath.h's, at 2^-72, times
 * 4) and, for tan, 2^-69 */
#define CW_VM_RC_TRIG (1.0 + 0x1p-15)
#define CW_VM_RC_TAN (1.0 + 0x1p-14)

/* +-(A cos t + B sin t) for r = rh + rl, |r| <= pi/4 + 2^-33, quadrant q */
static CW_VM_INLINE void trig_eval(double rh, double rl, uint64_t q, double *h, double *l,
                                   const int fma)
{
    const double shift = 0x1.8p52;
    /* r = a + t, a = j/256 */
    const double jd = rh * 256.0 + shift;
    const double jf = jd - shift;
    const uint64_t ji = cw_asu(jd) - cw_asu(shift) + CW_TRIG_J;
    const double th = rh - jf * 0x1p-8, tl = rl;   /* exact (Sterbenz) */
    const double sh = cw_trig_s_hi[ji], sl = cw_trig_s_lo[ji];
    const double ch = cw_trig_c_hi[ji], cl = cw_trig_c_lo[ji];
    const uint64_t odd = q & 1;
    const double Ah = cw_sel(odd, ch, sh), Al = cw_sel(odd, cl, sl);
    const double Bh = cw_sel(odd, -sh, ch), Bl = cw_sel(odd, -sl, cl);
    double p, pe;
    cw_2prod(th, th, &p, &pe, fma);                 /* t^2 = p + pe (+ 2 th tl) */
    const double ps = -1.0 / 6 + p * (1.0 / 120 + p * (-1.0 / 5040));
    const double pc = 1.0 / 24 + p * (-1.0 / 720 + p * (1.0 / 40320));
    const double c2h = -0.5 * p;                    /* exact */
    const double c2l = (-0.5 * pe - th * tl) + (p * p) * pc;
    double bh, bl, mh, ml, v1, v1e, v2, v2e;
    cw_2prod(Bh, th, &bh, &bl, fma);
    cw_2prod(Ah, c2h, &mh, &ml, fma);
    cw_fast2sum(Ah, bh, &v1, &v1e);
    cw_fast2sum(v1, mh, &v2, &v2e);
    const double tail = (v1e + v2e) + ((bl + ml) + ((Al + Ah * c2l + Al * c2h) +
                                                    (Bh * tl + Bl * th + Bh * (th * (p * ps)))));
    double hh, ll;
    cw_fast2sum(v2, tail, &hh, &ll);
    /* the sign: q's bit 1 (an integer flip, no FP operation) */
    const uint64_t sg = (q & 2) << 62;
    *h = cw_asd(cw_asu(hh) ^ sg);
    *l = cw_asd(cw_asu(ll) ^ sg);
}

/* The reduction's first steps (both dtypes): *b for |x| >= 2^21, inf,
 * NaN and |x| < 2^-27 (x is then taken as 1), k = round(x 2/pi) by the
 * 1.5 * 2^52 shifter (as an integer and as kf), s + se = x - k (P1 + P2)
 * exactly (x - k*P1 exact by Sterbenz, k*P2 exact, a two-sum). */
static CW_VM_INLINE void trig_k(double x, uint64_t *b, uint64_t *kint, double *kf, double *s,
                                double *se)
{
    const int32_t ha = (int32_t)(cw_asu(x) >> 32) & 0x7fffffff;
    *b = (uint64_t)(ha >= 0x41400000) | (uint64_t)(ha < 0x3e400000);
    x = cw_sel(*b, 1.0, x);
    const double shift = 0x1.8p52;
    const double kd = x * CW_INV_PIO2 + shift;
    *kf = kd - shift;
    *kint = cw_asu(kd) - cw_asu(shift);
    cw_2sum(x - *kf * CW_PIO2_1, -(*kf * CW_PIO2_2), s, se);
}

/* fn 0 sin, 1 cos, 2 tan of r = rh + rl in quadrant q: sin and cos by
 * trig_eval; tan = sin r / cos r (q even) or -cos r / sin r (odd), a
 * double-double division (q1 = N/D in double, the remainder N - q1 D exact
 * by an exact product, q2 = remainder / D: relative 2^-100), so tan's error
 * is below 2 * 2^-71 + 2^-100 < 2^-69.9 */
static CW_VM_INLINE void trig_fin(double rh, double rl, uint64_t q, const int fn, double *h,
                                  double *l, const int fma)
{
    if (fn < 2) {
        trig_eval(rh, rl, q + (uint64_t)fn, h, l, fma);
        return;
    }
    double sh, sl, ch, cl;
    trig_eval(rh, rl, 0, &sh, &sl, fma);
    trig_eval(rh, rl, 1, &ch, &cl, fma);
    const uint64_t odd = q & 1;
    const double nh = cw_sel(odd, -ch, sh), nl = cw_sel(odd, -cl, sl);
    const double dh = cw_sel(odd, sh, ch), dl = cw_sel(odd, sl, cl);
    const double q1 = nh / dh;
    double p, pe;
    cw_2prod(q1, dh, &p, &pe, fma);
    const double q2 = ((((nh - p) - pe) + nl) - q1 * dl) / dh;   /* nh - p exact (Sterbenz) */
    cw_fast2sum(q1, q2, h, l);
}

/* sin (fn = 0), cos (1) or tan (2) of x as h + l (|l| <= ulp(h)/2);
 * *bad set for the inputs the exact path takes */
static CW_VM_INLINE void trig_dd(double x, const int fn, uint64_t *bad, double *h, double *l,
                                 const int fma)
{
    uint64_t b, kint;
    double kf, s, se, p3, p3e, u, ue;
    trig_k(x, &b, &kint, &kf, &s, &se);
    cw_2prod(kf, CW_PIO2_3, &p3, &p3e, fma);
    cw_2sum(s, -p3, &u, &ue);
    double rh, rl;
    cw_fast2sum(u, ((se + ue) - p3e) - kf * CW_PIO2_4, &rh, &rl);
    /* |r| < 2^-70: not certain to 2^-80 (never seen; safety) */
    const uint64_t tiny_r = (cw_asu(rh) & 0x7fffffffffffffffull) < 0x3b90000000000000ull;
    trig_fin(rh, rl, kint, fn, h, l, fma);
    *bad = b | tiny_r;
}

static CW_VM_INLINE double trig_fast(double x, const int fn, uint64_t *bad, const int fma)
{
    double h, l;
    trig_dd(x, fn, bad, &h, &l, fma);
    *bad |= h + l * (fn == 2 ? CW_VM_RC_TAN : CW_VM_RC_TRIG) != h;
    return h;
}

static CW_VM_INLINE double sin_fast(double x, uint64_t *bad, const int fma)
{
    return trig_fast(x, 0, bad, fma);
}

static CW_VM_INLINE double cos_fast(double x, uint64_t *bad, const int fma)
{
    return trig_fast(x, 1, bad, fma);
}

static CW_VM_INLINE double tan_fast(double x, uint64_t *bad, const int fma)
{
    return trig_fast(x, 2, bad, fma);
}

/* ---- the lanes the vector loop leaves (scalar) ----
 * |x| >= 2^19 (the vector loop leaves |x| >= 2^21 here, the default rows'
 * fix-up 2^19 and up): a Payne-Hanek reduction in 64-bit integers (Payne and
 * Hanek, "Radian reduction for trigonometric functions", SIGNUM Newsletter
 * 18(1), 1983): x = M 2^E, x * 2/pi = M T 2^(E - 1408) (T = floor(2/pi *
 * 2^1408), tables.h), of which only the six words of T around the binary
 * point matter -- the words above give multiples of 4 (no effect on the
 * quadrant), those below an error under 2^-203 -- as 64 integer bits and
 * 192 fraction bits y (truncated: 2^-192); k = round(y), f = y - k normalised to 128 bits
 * (|f| >= 2^-64 for every double: the closest one to a multiple of pi/2
 * has |f| ~ 2^-62; a smaller one goes to mp.c), converted to a
 * double-double (relative 2^-104) and times pi/2 (2^-103); then the same
 * trig_eval and rounding test as the vector path (~55 ns an element with
 * the vector pass before it, where mp.c's exact path takes ~0.9 us).  Every other lane, and any whose test fails
 * here, takes mp.c's exact path. */
static int trig_ph(double x, uint64_t *k, double *rh, double *rl)
{
    typedef unsigned __int128 u128;
    enum { NW = CW_TWO_OVER_PI_WORDS };
    const uint64_t b = cw_asu(x);
    const uint64_t M = (b & 0xfffffffffffffull) | (1ull << 52);
    const int E = (int)((b >> 52) & 0x7ff) - 1075;     /* -33 .. 971 here */
    /* y's bit i (weight 2^(i - 192)) is bit i + sh of M T */
    const int sh = 64 * NW - E - 192, wl = sh / 64 - 1;
    uint64_t P[7];
    u128 c = 0;
    for (int i = 0; i < 6; i++) {           /* M times T's words wl .. wl+5 (from the bottom) */
        const int w = wl + i;
        c += (u128)M * (w >= 0 && w < NW ? cw_two_over_pi[NW - 1 - w] : 0);
        P[i] = (uint64_t)c;
        c >>= 64;
    }
    P[6] = (uint64_t)c;
    const int off = sh - 64 * wl, o = off / 64, s = off % 64;   /* off in 64 .. 127 */
    uint64_t Y[4];
    for (int j = 0; j < 4; j++)
        Y[j] = s ? (P[o + j] >> s) | (P[o + j + 1] << (64 - s)) : P[o + j];
    *k = Y[3] + (Y[2] >> 63);
    /* |f| as a 192-bit integer A (|f| = A 2^-192), its sign */
    const int neg = (int)(Y[2] >> 63);
    uint64_t A0 = Y[0], A1 = Y[1], A2 = Y[2];
    if (neg) {                              /* 2^192 - F */
        A0 = ~A0; A1 = ~A1; A2 = ~A2;
        if (++A0 == 0 && ++A1 == 0)
            ++A2;
    }
    if (!A2 && !A1)
        return 0;                           /* |f| < 2^-128: mp.c */
    int z = 0;
    if (!A2) {                              /* shift by a word */
        A2 = A1; A1 = A0; A0 = 0; z = 64;
    }
    const int zz = __builtin_clzll(A2);
    if (zz) {
        A2 = (A2 << zz) | (A1 >> (64 - zz));
        A1 = (A1 << zz) | (A0 >> (64 - zz));
    }
    z += zz;
    if (z > 64)
        return 0;                           /* |f| < 2^-64: mp.c */
    /* |f| ~ (A2 2^64 + A1) 2^(-128 - z): fh its top 53 bits, fl the rest */
    const double sc = cw_asd((uint64_t)(1023 - 64 - z + 11) << 52);     /* 2^(11 - 64 - z) */
    const double fh = (double)(A2 >> 11) * sc;
    const double fl = ((double)(A2 & 0x7ff) * 0x1p64 + (double)A1) * (sc * 0x1p-75);
    double ph, pl;
    cw_2prod(fh, CW_DD_PIO2_HI, &ph, &pl, 0);
    double h, l;
    cw_fast2sum(ph, pl + (fh * CW_DD_PIO2_LO + fl * CW_DD_PIO2_HI), &h, &l);
    *rh = neg ? -h : h;
    *rl = neg ? -l : l;
    return 1;
}

/* sin, cos or tan (fn 0, 1, 2) of a lane the vector loop left, to double
 * (f32 = 0) or float (1): by trig_ph where it applies and certifies, else
 * mp.c */
static double trig_rest(double x, int fn, int f32)
{
    const double ax = fabs(x);
    if (ax >= 0x1p19 && ax <= 0x1.fffffffffffffp1023) {
        uint64_t k;
        double rh, rl, h, l;
        if (trig_ph(ax, &k, &rh, &rl)) {
            trig_fin(rh, rl, k, fn, &h, &l, 0);
            if (fn != 1 && x < 0)                       /* sin, tan: odd */
                h = -h, l = -l;
            if (f32 ? !cw_vm_hard_f(h) : h + l * (fn == 2 ? CW_VM_RC_TAN : CW_VM_RC_TRIG) == h)
                return h;
        }
    }
    static float (*const ef[3])(float) = { cw_vm_sinf_exact, cw_vm_cosf_exact, cw_vm_tanf_exact };
    static double (*const ed[3])(double) = { cw_vm_sin_exact, cw_vm_cos_exact, cw_vm_tan_exact };
    return f32 ? ef[fn]((float)x) : ed[fn](x);
}

static double sin_rest(double x) { return trig_rest(x, 0, 0); }
static double cos_rest(double x) { return trig_rest(x, 1, 0); }
static float sinf_rest(float x) { return (float)trig_rest(x, 0, 1); }
static float cosf_rest(float x) { return (float)trig_rest(x, 1, 1); }
static double tan_rest(double x) { return trig_rest(x, 2, 0); }
static float tanf_rest(float x) { return (float)trig_rest(x, 2, 1); }

/* float32, in plain double: r = x - k pi/2 (x - k*P1 exact, a two-sum
 * with k*P2, k*P3 in double: absolute error below 2^-99, then r rounded
 * to a double, relative 2^-53), |r| <= pi/4 + 2^-31; sin r and cos r by
 * their Taylor polynomials to r^15 and r^16 (omitted terms below 2^-54
 * relative), Horner in double (2^-51): the result within 2^-49 relative,
 * inside the 2^-47 of the float rounding test (cw_vm_hard_f).  |r| < 2^-20
 * for k != 0 (r's relative error could pass 2^-79 there) takes the exact path, as do
 * |x| >= 2^21, inf and NaN; |x| < 2^-27 is special (as float64's).  tan:
 * sin r / cos r or -cos r / sin r, one more rounding (2^-50 in all). */
static CW_VM_INLINE float trigf_fast(float xf, const int fn, uint64_t *bad, const int fma)
{
    uint64_t b, kint;
    double kf, s, se;
    trig_k((double)xf, &b, &kint, &kf, &s, &se);
    const double r = s + (se - kf * CW_PIO2_3);
    /* (k = 0: r = x exactly) */
    const uint64_t tiny_r = ((cw_asu(r) & 0x7fffffffffffffffull) < 0x3eb0000000000000ull) & (kint != 0);
    /* Horner, FMAs where the level has them (each lane is certified by
     * the rounding test, so every level still returns the same bits) */
    const double r2 = r * r;
    double sp = -1.0 / 1307674368000.0, cp = 1.0 / 20922789888000.0;
    sp = cw_mad(sp, r2, 1.0 / 6227020800.0, fma);
    sp = cw_mad(sp, r2, -1.0 / 39916800, fma);
    sp = cw_mad(sp, r2, 1.0 / 362880, fma);
    sp = cw_mad(sp, r2, -1.0 / 5040, fma);
    sp = cw_mad(sp, r2, 1.0 / 120, fma);
    sp = cw_mad(sp, r2, -1.0 / 6, fma);
    sp = cw_mad(sp, r2 * r, r, fma);
    cp = cw_mad(cp, r2, -1.0 / 87178291200.0, fma);
    cp = cw_mad(cp, r2, 1.0 / 479001600, fma);
    cp = cw_mad(cp, r2, -1.0 / 3628800, fma);
    cp = cw_mad(cp, r2, 1.0 / 40320, fma);
    cp = cw_mad(cp, r2, -1.0 / 720, fma);
    cp = cw_mad(cp, r2, 1.0 / 24, fma);
    cp = cw_mad(cp, r2, -0.5, fma);
    cp = cw_mad(cp, r2, 1.0, fma);
    double h;
    if (fn < 2) {
        const uint64_t q = kint + (uint64_t)fn;
        const double v = cw_sel(q & 1, cp, sp);
        h = cw_asd(cw_asu(v) ^ ((q & 2) << 62));
    } else {
        const uint64_t odd = kint & 1;
        h = cw_sel(odd, -cp, sp) / cw_sel(odd, sp, cp);
    }
    *bad = b | tiny_r;
    /* a special lane's h is junk: keep it a normal double for the test */
    h = cw_sel(*bad, 1.0, h);
    *bad |= cw_vm_hard_f(h);
    return (float)h;
}

static CW_VM_INLINE float sinf_fast(float x, uint64_t *bad, const int fma)
{
    return trigf_fast(x, 0, bad, fma);
}

static CW_VM_INLINE float cosf_fast(float x, uint64_t *bad, const int fma)
{
    return trigf_fast(x, 1, bad, fma);
}

static CW_VM_INLINE float tanf_fast(float x, uint64_t *bad, const int fma)
{
    return trigf_fast(x, 2, bad, fma);
}

/* The fixed results (vmath.h's SPECIAL contract): NaN: x + x; +-inf:
 * x - x (NaN, invalid); |x| < TINY: sin and tan x - u*u, u = 2^-1022 where
 * x is subnormal (x, underflow, as IEEE and NumPy's sin; NumPy's tan raises
 * none), else u = 0 (x); cos 1. */
#define CW_VM_TRIG_SPECIAL(NAME, T, U, AS, FROM, SEL, COSINE, TINYBITS, SUBMIN) \
    static CW_VM_INLINE T NAME(T x, uint64_t *s)                              \
    {                                                                         \
        const U sign = (U)1 << (sizeof(T) * 8 - 1), inf = AS((T)HUGE_VAL);    \
        const U ax = AS(x) & ~sign;                                           \
        const uint64_t nan = ax > inf, isinf = ax == inf, tiny = ax < (U)(TINYBITS); \
        const uint64_t sub = (ax < AS((T)(SUBMIN))) & (ax != 0);              \
        const T xn = SEL(nan | isinf, x, (T)0), u = SEL(sub, (T)(SUBMIN), (T)0); \
        const T tr = COSINE ? (T)1 : x - u * u;                               \
        *s = nan | isinf | tiny;                                              \
        return SEL(nan, xn + xn, SEL(isinf, xn - xn, tr));                    \
    }
CW_VM_TRIG_SPECIAL(sin_special_v, double, uint64_t, cw_asu, cw_asd, cw_sel, 0, 0x3e40000000000000ull, 0x1p-1022)
CW_VM_TRIG_SPECIAL(cos_special_v, double, uint64_t, cw_asu, cw_asd, cw_sel, 1, 0x3e40000000000000ull, 0x1p-1022)
#define tan_special_v sin_special_v
/* float: the same bound, 2^-27, as the float64 path's */
CW_VM_TRIG_SPECIAL(sinf_special_v, float, uint32_t, cw_asu32, cw_asf, cw_self, 0, 0x32000000u, 0x1p-126f)
CW_VM_TRIG_SPECIAL(cosf_special_v, float, uint32_t, cw_asu32, cw_asf, cw_self, 1, 0x32000000u, 0x1p-126f)
#define tanf_special_v sinf_special_v

CW_VM_LOOPS(cw_vm_sin, sin_fast, sin_special_v, sin_rest)
CW_VM_LOOPS(cw_vm_cos, cos_fast, cos_special_v, cos_rest)
CW_VM_LOOPS_T(cw_vm_sinf, float, sinf_fast, sinf_special_v, sinf_rest)
CW_VM_LOOPS_T(cw_vm_cosf, float, cosf_fast, cosf_special_v, cosf_rest)
CW_VM_LOOPS(cw_vm_tan, tan_fast, tan_special_v, tan_rest)
CW_VM_LOOPS_T(cw_vm_tanf, float, tanf_fast, tanf_special_v, tanf_rest)

/* The default (libmvec) sin, cos and tan rows (kernels.c): their lanes with
 * 2^19 <= |x| < inf replaced by this file's correctly rounded ones --
 * libmvec's results there are glibc's scalar reduction, off by up to
 * 1.4e5 ULP on the published hard cases, where below 2^19 they stay within
 * 3 ULP, so the rows keep their 4-ULP contract.  A vectorised scan first:
 * a call without huge lanes costs one pass over x (in cache). */
/* the scan, one per ISA level (AVX-512: 0.05 ns an element in L2, where
 * the SSE2 one takes 0.22 -- a fifth of libmvec's sin) */
#define CW_VM_TRIG_SCAN(NAME, T, HI, LO, INF, ATTR)                            \
    ATTR static int NAME(ptrdiff_t n, const T *x)                             \
    {                                                                         \
        int32_t any = 0;                                                      \
        for (ptrdiff_t i = 0; i < n; i++) {                                   \
            const int32_t a = HI(x[i]);                                       \
            any |= (a >= (LO)) & (a < (INF));                                 \
        }                                                                     \
        return any != 0;                                                      \
    }
#if defined(__x86_64__) && defined(__GNUC__)
#define CW_VM_TRIG_SCANS(NAME, T, HI, LO, INF)                                 \
    CW_VM_TRIG_SCAN(NAME##_base, T, HI, LO, INF, )                            \
    CW_VM_TRIG_SCAN(NAME##_avx2, T, HI, LO, INF, CW_VM_AVX2)                  \
    CW_VM_TRIG_SCAN(NAME##_avx512, T, HI, LO, INF, CW_VM_AVX512)              \
    static int NAME(ptrdiff_t n, const T *x)                                  \
    {                                                                         \
        static int (*const L[3])(ptrdiff_t, const T *) = { NAME##_base, NAME##_avx2, NAME##_avx512 }; \
        return L[cw_vm_level()](n, x);                                        \
    }
#else
#define CW_VM_TRIG_SCANS(NAME, T, HI, LO, INF) CW_VM_TRIG_SCAN(NAME, T, HI, LO, INF, )
#endif
#define CW_VM_TRIG_HUGE(NAME, T, HI, REST, LO, INF)                            \
    CW_VM_TRIG_SCANS(NAME##_scan_, T, HI, LO, INF)                            \
    int NAME##_scan(ptrdiff_t n, const T *x) { return NAME##_scan_(n, x); }   \
    void NAME(ptrdiff_t n, const T *x, T *z, int fn)                          \
    {                                                                         \
        if (!NAME##_scan_(n, x))                                              \
            return;                                                           \
        for (ptrdiff_t i = 0; i < n; i++) {                                   \
            const int32_t a = HI(x[i]);                                       \
            if (a >= (LO) && a < (INF))                                       \
                z[i] = (T)REST(x[i], fn);                                     \
        }                                                                     \
    }
/* |x|'s high 32 bits, a signed int (SSE2 has 32-bit compares only) */
static double trig_rest64(double x, int fn) { return trig_rest(x, fn, 0); }
static double trig_rest32(float x, int fn) { return trig_rest(x, fn, 1); }
CW_VM_TRIG_HUGE(cw_vm_trig_huge, double, cw_vm_trig_hi64, trig_rest64, CW_VM_HUGE64, 0x7ff00000)
CW_VM_TRIG_HUGE(cw_vm_trig_hugef, float, cw_vm_trig_hi32, trig_rest32, CW_VM_HUGE32, 0x7f800000)
