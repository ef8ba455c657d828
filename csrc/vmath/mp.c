/* The exact (slow, scalar) path of corewise's vector math: exp, exp2, log,
 * log2, log10, sin, cos and tan of one double in 320-bit fixed point,
 * correctly rounded (sin, cos, tan: the section at the end).
 *
 * Role: the vector loops (exp.c, log.c) evaluate each element in
 * double-double with a relative error below 2^-68 and apply a rounding test
 * (Ziv's strategy; the test itself as in de Dinechin, Lauter and Muller,
 * "Fast and correctly rounded logarithms in double-precision", RAIRO-ITA
 * 41, 2007).  The few lanes whose result lies too close to a rounding
 * boundary for that accuracy (about 1 in 2^15 random inputs), and the
 * special inputs (overflow, underflow, 0, negatives, inf, NaN), come here.
 *
 * Method.  A number is 5 limbs of 64 bits, w[0] the integer part and
 * w[1..4] 256 fraction bits, two's complement.  Products are truncated
 * (error < 2^-254 each), divisions by a machine integer likewise.
 *   exp(x):  k = floor(x / ln 2), r = x - k ln 2 in [0, ln 2) (exact
 *            product k * LN2, LN2 to 256 bits), exp(r) = (Taylor series
 *            of exp(r / 2^10))^(2^10): about 25 terms and 10 squarings,
 *            relative error below 2^-235; the result is exp(r) * 2^k.
 *   exp2(x): k = floor(x), f = x - k (exact, in fixed point), exp(f ln 2) * 2^k.
 *   log(x):  x = 2^e m, m in [sqrt(1/2), sqrt 2), log m = 2 atanh(s) with
 *            s = (m - 1) / (m + 1) = (M - 2^52) / (M + 2^52) (M the integer
 *            mantissa: one division of a fixed-point number by a 64-bit
 *            integer), |s| < 0.172, the series s^(2i+1) / (2i+1) to 2^-256
 *            (about 50 terms); log x = e ln 2 + log m; log2 x =
 *            e + log m / ln 2; log10 x = log x / ln 10.
 * The worst cases of these functions in binary64 need the result to about
 * 2^-(53 + 64) relative (Lefevre and Muller, "Worst cases for correct
 * rounding of the elementary functions in double precision", ARITH 15,
 * 2001: at most ~59 identical bits after the rounding bit); this path's
 * error, below 2^-200 relative, decides every case.  The result is then
 * rounded to nearest-even at bit 53 (fewer bits for a subnormal result),
 * once, by integer operations; the FP flags NumPy reports (overflow,
 * underflow, divide-by-zero, invalid) are raised explicitly, as the IEEE
 * operation that produced the special result would.  Written from the
 * published methods; no code from other libraries. */
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
/* no FMA contraction: every ISA path does the same operations (vmath.h) */
#pragma GCC optimize("fp-contract=off")
#include "vmath.h"
#include "tables.h"

typedef struct { uint64_t w[5]; } mp;
typedef unsigned __int128 u128;

/* the FP flags, raised by the IEEE operation that raises them (volatile:
 * done at run time) -- a few cycles, where glibc's feraiseexcept costs
 * ~140 ns a call, paid per special element */
static void raise_overflow(void) { volatile double a = 0x1p1023; a = a * a; }
static void raise_underflow(void) { volatile double a = 0x1p-1022; a = a * a; }
static void raise_divbyzero(void) { volatile double a = 1.0, z = 0.0; a = a / z; }
static void raise_invalid(void) { volatile double z = 0.0; z = z / z; }

static const mp MP_LN2 = CW_MP_LN2, MP_INVLN2 = CW_MP_INVLN2, MP_INVLN10 = CW_MP_INVLN10;

static mp mp_add(mp a, mp b)
{
    mp r;
    u128 c = 0;
    for (int i = 4; i >= 0; i--) {
        c += (u128)a.w[i] + b.w[i];
        r.w[i] = (uint64_t)c;
        c >>= 64;
    }
    return r;
}

static mp mp_neg(mp a)
{
    mp r;
    u128 c = 1;
    for (int i = 4; i >= 0; i--) {
        c += (u128)(uint64_t)~a.w[i];
        r.w[i] = (uint64_t)c;
        c >>= 64;
    }
    return r;
}

static int mp_isneg(mp a) { return (int64_t)a.w[0] < 0; }
static mp mp_sub(mp a, mp b) { return mp_add(a, mp_neg(b)); }

/* a * b for a, b >= 0, truncated to 256 fraction bits */
static mp mp_mul(mp a, mp b)
{
    uint64_t p[10] = { 0 };
    for (int i = 0; i < 5; i++) {           /* little-endian limb i = w[4 - i] */
        u128 c = 0;
        for (int j = 0; j < 5; j++) {
            c += (u128)a.w[4 - i] * b.w[4 - j] + p[i + j];
            p[i + j] = (uint64_t)c;
            c >>= 64;
        }
        p[i + 5] = (uint64_t)c;
    }
    mp r;
    for (int i = 0; i < 5; i++)
        r.w[4 - i] = p[i + 4];
    return r;
}

/* signed a times b >= 0 */
static mp mp_smul(mp a, mp b)
{
    return mp_isneg(a) ? mp_neg(mp_mul(mp_neg(a), b)) : mp_mul(a, b);
}

static mp mp_mul_u64(mp a, uint64_t k)
{
    mp r;
    u128 c = 0;
    for (int i = 4; i >= 0; i--) {
        c += (u128)a.w[i] * k;
        r.w[i] = (uint64_t)c;
        c >>= 64;
    }
    return r;
}

/* a / d for a >= 0 */
static mp mp_div_u64(mp a, uint64_t d)
{
    mp r;
    u128 rem = 0;
    for (int i = 0; i < 5; i++) {
        u128 cur = (rem << 64) | a.w[i];
        r.w[i] = (uint64_t)(cur / d);
        rem = cur % d;
    }
    return r;
}

static mp mp_int(int64_t k)
{
    mp r = { { (uint64_t)k, 0, 0, 0, 0 } };
    return r;
}

static int mp_iszero(mp a) { return !(a.w[0] | a.w[1] | a.w[2] | a.w[3] | a.w[4]); }

/* a / 2^s, a >= 0, 0 <= s < 64 */
static mp mp_shr(mp a, int s)
{
    mp r;
    for (int i = 4; i > 0; i--)
        r.w[i] = (a.w[i] >> s) | (s ? a.w[i - 1] << (64 - s) : 0);
    r.w[0] = a.w[0] >> s;
    return r;
}

/* a finite double with |x| < 2^63 and |x| >= 2^-200, exactly */
static mp mp_from_double(double x)
{
    uint64_t b;
    memcpy(&b, &x, 8);
    int be = (int)((b >> 52) & 0x7ff);
    uint64_t m = (b & 0xfffffffffffffull) | (be ? 1ull << 52 : 0);
    int e = (be ? be : 1) - 1075;      /* |x| = m * 2^e */
    mp r = { { 0, 0, 0, 0, 0 } };
    int pos = e + 256;                  /* bit position of m's lsb, from the bottom */
    if (pos < 0) {                      /* not needed by the callers (|x| >= 2^-200) */
        m >>= -pos < 64 ? -pos : 63;
        pos = 0;
    }
    int limb = pos / 64, sh = pos % 64; /* little-endian limb index */
    u128 v = (u128)m << sh;
    r.w[4 - limb] = (uint64_t)v;
    if (limb < 4)
        r.w[3 - limb] = (uint64_t)(v >> 64);
    return (b >> 63) ? mp_neg(r) : r;
}

/* round v * 2^s (v != 0; its sign) to the nearest number of a binary
 * format of PREC bits and exponents EMIN..EMAX (double: 53, -1022, 1023;
 * float: 24, -126, 127), ties to even, subnormal and overflowing results
 * included; returned as a double (exact: a float's value is a double);
 * raises overflow/underflow as IEEE's final rounding to that format would
 * (inexact always: none of these results is exact unless v has no bits
 * below the kept ones). */
static double mp_round(mp v, int s, long prec, long emin, long emax)
{
    int neg = mp_isneg(v);
    if (neg)
        v = mp_neg(v);
    int top = -1;                       /* highest set bit, from the bottom (0..319) */
    for (int i = 0; i < 5 && top < 0; i++)
        if (v.w[i])
            top = (4 - i) * 64 + 63 - __builtin_clzll(v.w[i]);
    if (top < 0)
        return neg ? -0.0 : 0.0;
    long E = (long)top - 256 + s;       /* exponent of the leading bit */
    long keep = E >= emin ? prec : prec - (emin - E);
    uint64_t mant = 0;
    int round = 0, sticky = 0;
    for (long i = 0; i <= top && keep >= 0; i++) {   /* bit top - i */
        long bit = top - i;
        int b = (int)((v.w[4 - bit / 64] >> (bit % 64)) & 1);
        if (i < keep)
            mant = (mant << 1) | (uint64_t)b;
        else if (i == keep)
            round = b;
        else
            sticky |= b;
        if (i > keep && sticky)
            break;
    }
    if (keep == 0)                      /* the leading bit is the round bit */
        round = 1;
    if (keep < 0)
        sticky = 1;
    int inexact = round | sticky;
    if (round && (sticky || (mant & 1)))
        mant++;
    if (E > emax || (E == emax && mant >> prec)) {
        raise_overflow();
        return neg ? -HUGE_VAL : HUGE_VAL;
    }
    /* value = mant * 2^(E - keep + 1); a carry to 2^keep stays exact */
    double r = ldexp((double)mant, keep > 0 ? (int)(E - keep + 1) : (int)(emin - prec + 1));
    if (inexact && E < emin)
        raise_underflow();
    return neg ? -r : r;
}

/* to double (f32 == 0) or to float (f32 == 1; the float's value) */
static double mp_fmt(mp v, int s, int f32)
{
    return f32 ? mp_round(v, s, 24, -126, 127) : mp_round(v, s, 53, -1022, 1023);
}

/* exp(r) for 0 <= r < 1 */
static mp mp_exp01(mp r)
{
    mp t = mp_shr(r, 10), term = mp_int(1), sum = mp_int(1);
    for (uint64_t n = 1; n < 60; n++) {
        term = mp_div_u64(mp_mul(term, t), n);
        if (mp_iszero(term))
            break;
        sum = mp_add(sum, term);
    }
    for (int i = 0; i < 10; i++)
        sum = mp_mul(sum, sum);
    return sum;
}

/* exp/exp2 special inputs: NaN, +-inf (no flag), results that overflow
 * (x > hi) or round to 0 (x < lo); 1 for |x| < 2^-60 (the result rounds
 * to 1: |exp(x) - 1| < 2^-59, inexact); 0 otherwise */
static int exp_special(double x, double hi, double lo, double *r, int f32)
{
    if (isnan(x))
        *r = x + x;
    else if (isinf(x))
        *r = x > 0 ? x : 0.0;
    else if (x > hi) {
        raise_overflow();
        *r = HUGE_VAL;                          /* also float's inf */
    }
    else if (x < lo) {
        raise_underflow();
        *r = 0.0;
    } else if (fabs(x) < 0x1p-60)
        *r = 1.0 + x;
    else
        return 0;
    return 1;
}

/* exp(x) rounded to double or float; hi/lo: above, the result overflows
 * the format, below, it rounds to 0 */
static double exp_exact(double x, double hi, double lo, int f32)
{
    double res;
    if (exp_special(x, hi, lo, &res, f32))
        return res;
    double k = floor(x * CW_DD_INVLN2_HI);
    mp r = mp_sub(mp_from_double(x), k < 0 ? mp_neg(mp_mul_u64(MP_LN2, (uint64_t)-k))
                                            : mp_mul_u64(MP_LN2, (uint64_t)k));
    while (mp_isneg(r))
        r = mp_add(r, MP_LN2), k -= 1;
    while (!mp_isneg(mp_sub(r, MP_LN2)))
        r = mp_sub(r, MP_LN2), k += 1;
    return mp_fmt(mp_exp01(r), (int)k, f32);
}

static double exp2_exact(double x, double hi, double lo, int f32)
{
    double res;
    if (exp_special(x, hi, lo, &res, f32))
        return res;
    double k = floor(x);
    mp f = mp_sub(mp_from_double(x), mp_int((int64_t)k)); /* exact, in [0, 1) */
    mp v = mp_iszero(f) ? mp_int(1) : mp_exp01(mp_mul(f, MP_LN2));
    return mp_fmt(v, (int)k, f32);
}

double cw_vm_exp_exact(double x) { return exp_exact(x, 709.8, -745.2, 0); }
double cw_vm_exp2_exact(double x) { return exp2_exact(x, 1024.0, -1076.0, 0); }
/* float: exp overflows above 88.73 and is below 2^-150 under -103.98;
 * exp2 overflows from 128 and rounds to 0 under -150 */
float cw_vm_expf_exact(float x) { return (float)exp_exact(x, 88.8, -104.0, 1); }
float cw_vm_exp2f_exact(float x) { return (float)exp2_exact(x, 128.5, -151.0, 1); }

/* log special inputs: NaN, x <= 0, +inf; 0 when x is positive finite */
static int log_special(double x, double *r)
{
    if (isnan(x)) {
        *r = x + x;
        return 1;
    }
    if (x == 0.0) {
        raise_divbyzero();
        *r = -HUGE_VAL;
        return 1;
    }
    if (x < 0.0) {
        raise_invalid();
        *r = NAN;
        return 1;
    }
    if (isinf(x)) {
        *r = x;
        return 1;
    }
    return 0;
}

/* x = 2^e m, m in [sqrt(1/2), sqrt 2); returns log m, sets *e */
static mp mp_logm(double x, int *e)
{
    uint64_t b;
    memcpy(&b, &x, 8);
    int be = (int)(b >> 52);
    uint64_t M = b & 0xfffffffffffffull;
    if (be == 0) {                               /* subnormal: normalise */
        int sh = __builtin_clzll(M) - 11;
        M <<= sh;
        be = 1 - sh;
    }
    M |= 1ull << 52;
    *e = be - 1023;
    /* m = M / 2^52; if m >= sqrt 2 (M > 0x16a09e667f3bcc.9), use m / 2 */
    uint64_t den, num;
    int negs;
    if (M > 0x16a09e667f3bccull) {
        *e += 1;                                 /* m/2 = M / 2^53 */
        den = M + (1ull << 53);
        negs = M < (1ull << 53);
        num = negs ? (1ull << 53) - M : M - (1ull << 53);
    } else {
        den = M + (1ull << 52);
        negs = M < (1ull << 52);
        num = negs ? (1ull << 52) - M : M - (1ull << 52);
    }
    mp s = mp_div_u64(mp_int((int64_t)num), den), s2 = mp_mul(s, s);
    mp pw = s, sum = s;
    for (uint64_t i = 3; i < 400; i += 2) {
        pw = mp_mul(pw, s2);
        if (mp_iszero(pw))
            break;
        sum = mp_add(sum, mp_div_u64(pw, i));
    }
    sum = mp_add(sum, sum);
    return negs ? mp_neg(sum) : sum;
}

static mp mp_ln(double x)
{
    int e;
    mp lm = mp_logm(x, &e);
    mp el = e < 0 ? mp_neg(mp_mul_u64(MP_LN2, (uint64_t)-e)) : mp_mul_u64(MP_LN2, (uint64_t)e);
    return mp_add(el, lm);
}

static double log_exact(double x, int f32)
{
    double r;
    if (log_special(x, &r))
        return r;
    if (x == 1.0)
        return 0.0;
    return mp_fmt(mp_ln(x), 0, f32);
}

static double log2_exact(double x, int f32)
{
    double r;
    if (log_special(x, &r))
        return r;
    int e;
    mp f = mp_smul(mp_logm(x, &e), MP_INVLN2); /* sets e: before mp_int(e) */
    mp v = mp_add(f, mp_int(e));
    return mp_iszero(v) ? 0.0 : mp_fmt(v, 0, f32);
}

static double log10_exact(double x, int f32)
{
    double r;
    if (log_special(x, &r))
        return r;
    if (x == 1.0)
        return 0.0;
    return mp_fmt(mp_smul(mp_ln(x), MP_INVLN10), 0, f32);
}

double cw_vm_log_exact(double x) { return log_exact(x, 0); }
double cw_vm_log2_exact(double x) { return log2_exact(x, 0); }
double cw_vm_log10_exact(double x) { return log10_exact(x, 0); }
float cw_vm_logf_exact(float x) { return (float)log_exact(x, 1); }
float cw_vm_log2f_exact(float x) { return (float)log2_exact(x, 1); }
float cw_vm_log10f_exact(float x) { return (float)log10_exact(x, 1); }

/* ---- sin and cos (trig.c's exact path) ----------------------------------
 * Payne-Hanek reduction: x = M 2^E (M the 53-bit integer significand),
 * x * 2/pi = M T 2^(E - L) with T = floor(2/pi 2^L), L = 64 * 22 = 1408
 * (tables.h): the product M T in integers, of which the 320 bits from
 * weight 2^63 down to 2^-256 are taken as a fixed-point number y -- the
 * bits above are a multiple of 4 (no effect on the quadrant), those below
 * an error under 2^-256, and T's truncation one under 2^(53 + E - L) <=
 * 2^-384 for any double.  k = round(y), f = y - k in [-1/2, 1/2], r = f pi/2
 * (|r| <= pi/4, absolute error below 2^-254, relative 2^-190 even for the
 * closest double to a multiple of pi/2, |r| ~ 2^-61), then the Taylor
 * series of sin r or cos r to 2^-256 (at most about 30 terms) and the
 * quadrant q = k (+1 for cos): +-sin r or +-cos r; tan: sin r / cos r (k
 * even) or -cos r / sin r (k odd), the quotient by Newton's iteration for
 * the reciprocal (mp_div).  No sin, cos or tan of a nonzero double is
 * exactly representable or a midpoint (Lindemann), so the one final
 * rounding is correct. */
static mp mp_sin_cos(mp r, int cosine)
{
    /* r >= 0 */
    mp r2 = mp_mul(r, r), term = cosine ? mp_int(1) : r, sum = term;
    for (uint64_t n = cosine ? 1 : 2; n < 80; n += 2) {
        term = mp_div_u64(mp_mul(term, r2), n * (n + 1));
        if (mp_iszero(term))
            break;
        sum = ((n >> 1) & 1) == (uint64_t)(cosine ? 0 : 1) ? mp_sub(sum, term) : mp_add(sum, term);
    }
    return sum;
}

/* n / d for 0 <= n <= 1, 2^-64 < d <= 1: y ~ 1/d from a double, then
 * Newton's y (2 - d y) three times (53 -> 106 -> 212 -> beyond 256 bits;
 * y < 2^64 fits the integer limb), n y; relative error below 2^-190 for
 * the operands here (n, d >= 2^-64) */
static mp mp_div(mp n, mp d)
{
    double dd = mp_round(d, 0, 53, -1022, 1023);
    mp y = mp_from_double(1.0 / dd);
    for (int i = 0; i < 3; i++)
        y = mp_mul(y, mp_sub(mp_int(2), mp_mul(d, y)));
    return mp_mul(n, y);
}

/* sin (fn = 0), cos (1) or tan (2), rounded to double or float */
static double trig_exact(double x, int fn, int f32)
{
    const int cosine = fn == 1;
    if (isnan(x))
        return x + x;
    if (isinf(x)) {
        raise_invalid();
        return NAN;
    }
    double ax = fabs(x);
    if (ax < 0x1p-27) {             /* sin x and tan x round to x, cos x to 1 */
        if (cosine)
            return 1.0;
        if (x != 0 && ax < (f32 ? 0x1p-126 : 0x1p-1022))
            raise_underflow();
        return x;
    }
    uint64_t b;
    memcpy(&b, &x, 8);
    int be = (int)((b >> 52) & 0x7ff);  /* >= 1: x is normal here */
    uint64_t M = (b & 0xfffffffffffffull) | (1ull << 52);
    int E = be - 1075;
    enum { NW = CW_TWO_OVER_PI_WORDS };
    /* P = M T, little-endian words */
    uint64_t P[NW + 1];
    u128 c = 0;
    for (int i = 0; i < NW; i++) {
        c += (u128)M * cw_two_over_pi[NW - 1 - i];
        P[i] = (uint64_t)c;
        c >>= 64;
    }
    P[NW] = (uint64_t)c;
    /* y's bit i (i = 0..319, weight 2^(i - 256)) is P's bit i + sh */
    const int sh = 64 * NW - E - 256;   /* 181 .. 1230 for the inputs here */
    mp y;
    for (int limb = 0; limb < 5; limb++) {   /* little-endian limb of y */
        int pos = sh + 64 * limb, wi = pos / 64, bi = pos % 64;
        uint64_t lo = wi <= NW ? P[wi] : 0, hi = wi + 1 <= NW ? P[wi + 1] : 0;
        y.w[4 - limb] = bi ? (lo >> bi) | (hi << (64 - bi)) : lo;
    }
    /* k = round(y) (its low two bits), f = y - k */
    uint64_t k = y.w[0] + (y.w[1] >> 63);
    y.w[0] = 0;
    if (y.w[1] >> 63)
        y = mp_sub(y, mp_int(1));
    int negr = mp_isneg(y);
    static const mp MP_PIO2 = CW_MP_PIO2;
    mp r = mp_mul(negr ? mp_neg(y) : y, MP_PIO2);
    uint64_t q = k + (uint64_t)cosine;
    mp v;
    int neg;
    if (fn == 2) {                  /* tan: period pi, odd in r and in x */
        mp sr = mp_sin_cos(r, 0), cr = mp_sin_cos(r, 1);
        v = (k & 1) ? mp_div(cr, sr) : mp_div(sr, cr);
        neg = (int)(k & 1) ^ negr ^ (int)(b >> 63);
    } else {
        v = mp_sin_cos(r, (int)(q & 1));
        /* sign: sin r's sign is r's; q's bit 1; sin(-x) = -sin x */
        neg = ((q >> 1) & 1) ^ (!(q & 1) && negr) ^ (!cosine && (b >> 63));
    }
    if (mp_iszero(v))               /* cannot happen (|r| > 2^-62); safety */
        return neg ? -0.0 : 0.0;
    return mp_fmt(neg ? mp_neg(v) : v, 0, f32);
}

double cw_vm_sin_exact(double x) { return trig_exact(x, 0, 0); }
double cw_vm_cos_exact(double x) { return trig_exact(x, 1, 0); }
float cw_vm_sinf_exact(float x) { return (float)trig_exact(x, 0, 1); }
float cw_vm_cosf_exact(float x) { return (float)trig_exact(x, 1, 1); }
double cw_vm_tan_exact(double x) { return trig_exact(x, 2, 0); }
float cw_vm_tanf_exact(float x) { return (float)trig_exact(x, 2, 1); }
