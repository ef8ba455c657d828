/* log, log2 and log10, float64: corewise's own, correctly rounded.
 *
 * Method: a table-driven logarithm in the style of Tang ("Table-driven
 * implementation of the logarithm function in IEEE floating-point
 * arithmetic", ACM TOMS 16(4), 1990) with the reduction by a table
 * reciprocal of Wong and Goto (IEEE TC 43(8), 1994), carried in
 * double-double; then the rounding test (vmath.h) and, for the lanes that
 * fail it, the exact path (mp.c).
 *   x = 2^e m, m in [0x1.6ap-1, 0x1.6ap0) (a bit-pattern offset: e and the
 *   interval j of m's 1024 come from integer shifts); c ~ 1/m from the
 *   table (tools/gen_vmath_tables.py; c = 1 for the two intervals at 1),
 *   r = m c - 1 exact as rh + rl (Dekker's product; m c - 1 is exact by
 *   Sterbenz), |r| < 2^-10.
 *   log x = e ln2 + (-log c) + log1p(r), log1p(r) = r - r^2/2 +
 *   r^3 (1/3 - r/4 + r^2/5 - r^3/6 + r^4/7 - r^5/8); e*ln2 as e*A + e*B
 *   (A = ln2 to 42 bits, e*A exact), -log c as a head (a multiple of
 *   2^-42: e*A + head is exact) and a tail, r^2/2 exact, the heads added
 *   by exact fast two-sums, the tails in double, then renormalised.
 *   log2 x = log x * (1/ln2) and log10 x = log x * (1/ln10), products by a
 *   double-double constant.
 * Error analysis (relative to the result): the polynomial's omitted r^9/9,
 * relative |r|^8/9 < 2^-83; its double tail (|r^3/3| over a result of at
 * least |r|, a few ulps) 2^-73.1 at worst, for the interval [1, 1+2^-10)
 * (elsewhere |r| < 2^-11 and the result > 2^-11: 2^-75); e*B's and B's
 * roundings 2^-87; the table's 2^-106; the double tails of the sum 2^-100;
 * the constant product 2^-103: below 2^-72.9, inside the 2^-72 the rounding
 * test assumes.  The result is never cancelled: log m and e ln2 have the
 * same sign, and near 1 (c = 1, e = 0) it is log1p(r) itself.  Special
 * inputs (NaN, +-inf, 0, negatives, subnormals) take the exact path, which
 * raises NumPy's flags (divide-by-zero for 0, invalid for x < 0). */
/* no FMA contraction: every ISA path does the same operations (vmath.h) */
#pragma GCC optimize("fp-contract=off")
#include "vmath.h"
#include "tables.h"

/* log x as h + l; *bad set for special x or a failed rounding test on
 * the log (the caller retests after its constant product) */
static CW_VM_INLINE void log_dd(double x, uint64_t *bad, double *h, double *l, const int fma)
{
    const uint64_t ix0 = cw_asu(x);
    /* 0, subnormals, negatives, inf, NaN */
    const int32_t hx = (int32_t)(ix0 >> 32);    /* 32-bit compares: SSE2 has no 64-bit one */
    const uint64_t b = (uint64_t)(hx < 0x00100000) | (uint64_t)(hx >= 0x7ff00000);
    const uint64_t ix = cw_asu(cw_sel(b, 1.0, x));
    const uint64_t t = ix - CW_LOG_OFF;
    const int64_t e = (int64_t)t >> 52;
    const uint64_t j = (t >> (52 - CW_LOG_BITS)) & ((1u << CW_LOG_BITS) - 1);
    const double m = cw_asd(ix - ((uint64_t)e << 52));
    /* (double)e, exactly, by the shifter (no int64 conversion instruction) */
    const double ed = cw_asd(0x4338000000000000ull + (uint64_t)e) - 0x1.8p52;
    const double c = cw_log_c[j], lch = cw_log_hi[j], lcl = cw_log_lo[j];
    double ph, pl, rh, rl;
    cw_2prod(m, c, &ph, &pl, fma);
    cw_fast2sum(ph - 1.0, pl, &rh, &rl);
    double s, se;
    cw_2prod(rh, rh, &s, &se, fma);
    const double sh = -0.5 * s, sl = -0.5 * se - rh * rl;
    const double q = (rh * s) * (1.0 / 3 + rh * (-0.25 + rh * (0.2 + rh * (-1.0 / 6 + rh * (1.0 / 7 + rh * -0.125)))));
    /* heads: e*A + (-log c)'s head is exact (both multiples of 2^-42,
     * below 2^10); then two fast two-sums (|A| >= |rh| >= |sh| or A == 0) */
    const double A = ed * CW_LN2_HI42 + lch;
    double B, Be, C, Ce;
    cw_fast2sum(A, rh, &B, &Be);
    cw_fast2sum(B, sh, &C, &Ce);
    cw_fast2sum(C, (Ce + Be) + ((ed * CW_LN2_LO42 + lcl) + ((rl + sl) + q)), h, l);
    *bad = b;
}

static CW_VM_INLINE double log_fast(double x, uint64_t *bad, const int fma)
{
    double h, l;
    log_dd(x, bad, &h, &l, fma);
    *bad |= cw_vm_hard(h, l);
    return h;
}

/* (h + l) * (ch + cl), then the test */
static CW_VM_INLINE double log_scaled(double x, uint64_t *bad, double ch, double cl, const int fma)
{
    double h, l, p, pe, rh, rl;
    log_dd(x, bad, &h, &l, fma);
    cw_2prod(h, ch, &p, &pe, fma);
    /* renormalised: the tail may pass half an ulp of p */
    cw_fast2sum(p, pe + (h * cl + l * ch), &rh, &rl);
    *bad |= cw_vm_hard(rh, rl);
    return rh;
}

static CW_VM_INLINE double log2_fast(double x, uint64_t *bad, const int fma)
{
    return log_scaled(x, bad, CW_DD_INVLN2_HI, CW_DD_INVLN2_LO, fma);
}

static CW_VM_INLINE double log10_fast(double x, uint64_t *bad, const int fma)
{
    return log_scaled(x, bad, CW_DD_INVLN10_HI, CW_DD_INVLN10_LO, fma);
}

CW_VM_LOG_SPECIAL(log_special_v, double, uint64_t, cw_asu, cw_asd, cw_sel)

CW_VM_LOOPS(cw_vm_log, log_fast, log_special_v, cw_vm_log_exact)
CW_VM_LOOPS(cw_vm_log2, log2_fast, log_special_v, cw_vm_log2_exact)
CW_VM_LOOPS(cw_vm_log10, log10_fast, log_special_v, cw_vm_log10_exact)
