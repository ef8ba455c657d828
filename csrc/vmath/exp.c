/* exp and exp2, float64: corewise's own, correctly rounded.
 *
 * Method: Tang's table-driven algorithm (P. T. P. Tang, "Table-driven
 * implementation of the exponential function in IEEE floating-point
 * arithmetic", ACM TOMS 15(2), 1989) carried in double-double, then a
 * rounding test (vmath.h) and, for the lanes that fail it, the exact path
 * (mp.c).
 *   exp:  x = (512 k + j) ln2/512 + r, kf = round(x * 512/ln2) by the
 *         2^52 * 1.5 shifter (exact, the same on every ISA), r = (x - kf*A)
 *         - kf*B with A = ln2/512 to 33 bits (kf*A and x - kf*A exact for
 *         |kf| < 2^20) and B the rest, carried as rh + rl, |r| <= ln2/1024.
 *   exp2: kf = round(512 x) (exact), f = x - kf/512 exact, r = f ln2 as a
 *         double-double (exact product by ln2's head, plus f * its tail).
 *   exp(r) = 1 + r + q, q = r^2 (1/2 + r/6 + r^2/24 + r^3/120 + r^4/720)
 *   in double; 2^(j/512) (1 + r + q) = th + th*rh + [th (rl + q) + tl (1 +
 *   rh)] with th + tl the double-double table (tools/gen_vmath_tables.py),
 *   th*rh an exact product, th + th*rh an exact fast two-sum, the bracket
 *   in double, then renormalised; times 2^k last (exact: only |x| < 708
 *   (exp), |x| < 1020 (exp2) take this path, the other inputs the exact
 *   one, so no fast result is subnormal).  |x| < 2^-60 computes x = 0: the
 *   result rounds to 1.
 * Error analysis (relative, before the final rounding): q's double
 * evaluation, a few ulps of |q| < 2^-22: 2^-73.4; the omitted r^7/7!:
 * 2^-86; r's tail kf*B and B's own rounding, 2^-77 each (|kf| < 2^19.1,
 * |kf*B| < 2^-24); exp2's f*ln2 tail 2^-80; the bracket's double sums
 * 2^-75; the table 2^-106: in all below 2^-72.5, inside the 2^-72 the
 * rounding test assumes.  Special values (NaN, +-inf, overflow,
 * underflow, |x| >= 708 for exp) take the exact path, which raises NumPy's
 * flags; the fast lanes raise only "inexact" (not reported).  GCC may
 * contract a*b+c here on the FMA levels (vmath.h): each contraction drops
 * a rounding from the bound above (kd's rounding only moves kf by one, so
 * |r| stays within a hair of ln2/1024), and the error-free steps are
 * explicit (cw_2prod, cw_fast2sum); 12% faster on AVX-512 than with
 * fp-contract off. */
#include "vmath.h"
#include "tables.h"

/* 2^(kint/512) * exp(rh + rl), |r| <= ln2/1024; *bad |= hard */
static CW_VM_INLINE double exp_tail(uint64_t kint, double rh, double rl, uint64_t *bad, const int fma)
{
    /* q = exp(r) - 1 - r, |q| < 2^-22: r^2 times a degree-4 polynomial,
     * in double (a few ulps: 2^-73.4; the r^7/7! left out: 2^-86) */
    const double q = (rh * rh) * (0.5 + rh * (1.0 / 6 + rh * (1.0 / 24 + rh * (1.0 / 120 + rh * (1.0 / 720)))));
    const uint64_t j = kint & ((1u << CW_EXP_BITS) - 1);
    const double th = cw_exp_hi[j], tl = cw_exp_lo[j];
    /* T (1 + r + q) = th + th*rh + [th*(rl + q) + tl*(1 + rh)] */
    double ph, pl, a, e, h, l;
    cw_2prod(th, rh, &ph, &pl, fma);
    cw_fast2sum(th, ph, &a, &e);
    cw_fast2sum(a, e + (pl + (th * (rl + q) + (tl + tl * rh))), &h, &l);
    *bad |= cw_vm_hard(h, l);
    /* 2^k, k = kint >> 9 (arithmetic), normal for the fast path's range */
    const uint64_t k = (uint64_t)((int64_t)kint >> CW_EXP_BITS);
    return h * cw_asd((k + 1023) << 52);
}

static CW_VM_INLINE double exp_fast(double x, uint64_t *bad, const int fma)
{
    const int32_t ha = (int32_t)(cw_asu(x) >> 32) & 0x7fffffff;
    const uint64_t b = ha >= 0x40862000;              /* |x| >= 708, inf, NaN */
    /* |x| < 2^-60: exp(x) rounds to 1, which x = 0 gives (and no product
     * of the tiny x underflows) */
    x = cw_sel(b | (ha < 0x3c300000), 0.0, x);
    const double shift = 0x1.8p52;
    const double kd = x * CW_INVLN2_N + shift;
    const double kf = kd - shift;
    const uint64_t kint = cw_asu(kd) - cw_asu(shift);
    const double r1 = x - kf * CW_LN2_N_HI, p = kf * CW_LN2_N_LO;
    const double rh = r1 - p, rl = (r1 - rh) - p;
    *bad = b;
    return exp_tail(kint, rh, rl, bad, fma);
}

static CW_VM_INLINE double exp2_fast(double x, uint64_t *bad, const int fma)
{
    const int32_t ha = (int32_t)(cw_asu(x) >> 32) & 0x7fffffff;
    const uint64_t b = ha >= 0x408fe000;              /* |x| >= 1020, inf, NaN */
    /* |x| < 2^-60: exp(x) rounds to 1, which x = 0 gives (and no product
     * of the tiny x underflows) */
    x = cw_sel(b | (ha < 0x3c300000), 0.0, x);
    const double shift = 0x1.8p52 / (1 << CW_EXP_BITS);
    const double kd = x + shift;                 /* kf = round(512 x)/512 */
    const double kf = kd - shift;
    const uint64_t kint = cw_asu(kd) - cw_asu(shift);
    const double f = x - kf;
    double rh, rl;
    cw_2prod(f, CW_DD_LN2_HI, &rh, &rl, fma);
    *bad = b;
    return exp_tail(kint, rh, rl + f * CW_DD_LN2_LO, bad, fma);
}

/* the fixed results: exp overflows above 709.79 and is below 2^-1075
 * under -745.14; exp2 overflows from 1024 and is below 2^-1075 under -1075 */
CW_VM_EXP_SPECIAL(exp_special_v, double, uint64_t, cw_asu, cw_asd, cw_sel, 709.79, -745.14, 0x1p1023, 0x1p-1022)
CW_VM_EXP_SPECIAL(exp2_special_v, double, uint64_t, cw_asu, cw_asd, cw_sel, 1023.99999999999989, -1075.0, 0x1p1023, 0x1p-1022)

CW_VM_LOOPS(cw_vm_exp, exp_fast, exp_special_v, cw_vm_exp_exact)
CW_VM_LOOPS(cw_vm_exp2, exp2_fast, exp2_special_v, cw_vm_exp2_exact)
