/* exp and exp2, float32: corewise's own, correctly rounded.
 *
 * Method: the float64 reduction of exp.c (Tang's table, 512 entries, the
 * same tables.h) evaluated in plain double -- a float32 result needs far
 * less than double-double -- then the float rounding test cw_vm_hard_f
 * (vmath.h) and one rounding to float; the lanes that fail the test and
 * the special inputs go to the exact path (mp.c, rounded to float there).
 *   exp:  kf = round(x * 512/ln2) by the shifter, r = (x - kf*A) - kf*B
 *         (A = ln2/512 to 33 bits: kf*A and x - kf*A exact for |kf| <
 *         2^20), |r| <= ln2/1024 (a hair more if an FMA rounds kf's
 *         product the other way: harmless).
 *   exp2: kf = round(512 x)/512 (exact), r = (x - kf) * ln2.
 *   exp(r) - 1 = p = r + r^2 (1/2 + r (1/6 + r/24)); the result is
 *   2^k * (t + t*p), t = 2^(j/512) rounded to double (cw_exp_hi).
 * Error analysis (relative): t's rounding 2^-53; r's (one rounding of a
 * number below 2^-10.5, and kf*B's below 2^-77) 2^-63.5; the omitted
 * r^5/5! 2^-59.4; p's double evaluation, a few ulps of |p| < 2^-10.4:
 * 2^-61; t*p and the sum, two roundings: 2^-52.9 at most; in all below
 * 2^-51.8, well inside the 2^-47 that cw_vm_hard_f assumes (GCC may
 * contract a*b+c into an FMA on the FMA levels: that only removes
 * roundings).  The fast path takes |x| < 87 (exp), |x| < 126 (exp2), whose
 * results are normal floats; the others (overflow, subnormal results,
 * +-inf, NaN) take the exact path, which raises NumPy's flags.  The fast
 * lanes raise only "inexact" (not reported).  tools/vmathf_exhaustive.c
 * checks all 2^32 inputs of every function of this file and logf.c. */
#include "vmath.h"
#include "tables.h"

/* 2^(kint/512) (1 + p) in double: normal for the fast path's range */
static CW_VM_INLINE double expf_tail(uint64_t kint, double r)
{
    const double p = r + (r * r) * (0.5 + r * (1.0 / 6 + r * (1.0 / 24)));
    const double t = cw_exp_hi[kint & ((1u << CW_EXP_BITS) - 1)];
    const uint64_t k = (uint64_t)((int64_t)kint >> CW_EXP_BITS);
    return (t + t * p) * cw_asd((k + 1023) << 52);
}

static CW_VM_INLINE float expf_fast(float x, uint64_t *bad, const int fma)
{
    const uint32_t ax = cw_asu32(x) & 0x7fffffffu;
    const uint64_t b = ax >= 0x42ae0000u;              /* |x| >= 87, inf, NaN */
    const double xd = (double)cw_asf(cw_asu32(x) & ((uint32_t)b - 1u));
    const double shift = 0x1.8p52;
    const double kd = xd * CW_INVLN2_N + shift;
    const double kf = kd - shift;
    const uint64_t kint = cw_asu(kd) - cw_asu(shift);
    const double r = (xd - kf * CW_LN2_N_HI) - kf * CW_LN2_N_LO;
    const double y = expf_tail(kint, r);
    *bad = b | cw_vm_hard_f(y);
    return (float)y;
}

static CW_VM_INLINE float exp2f_fast(float x, uint64_t *bad, const int fma)
{
    const uint32_t ax = cw_asu32(x) & 0x7fffffffu;
    const uint64_t b = ax >= 0x42fc0000u;              /* |x| >= 126, inf, NaN */
    const double xd = (double)cw_asf(cw_asu32(x) & ((uint32_t)b - 1u));
    const double shift = 0x1.8p52 / (1 << CW_EXP_BITS);
    const double kd = xd + shift;                      /* kf = round(512 x)/512 */
    const double kf = kd - shift;
    const uint64_t kint = cw_asu(kd) - cw_asu(shift);
    const double y = expf_tail(kint, (xd - kf) * CW_DD_LN2_HI);
    *bad = b | cw_vm_hard_f(y);
    return (float)y;
}

/* the fixed results, in float arithmetic (float's overflow and underflow
 * flags): expf overflows above 88.73 and is below 2^-150 under -104; exp2f
 * overflows from 128 and is below 2^-150 under -150 */
CW_VM_EXP_SPECIAL(expf_special_v, float, uint32_t, cw_asu32, cw_asf, cw_self, 88.73f, -104.0f, 0x1p127f, 0x1p-126f)
CW_VM_EXP_SPECIAL(exp2f_special_v, float, uint32_t, cw_asu32, cw_asf, cw_self, 127.99999f, -150.0f, 0x1p127f, 0x1p-126f)

CW_VM_LOOPS_T(cw_vm_expf, float, expf_fast, expf_special_v, cw_vm_expf_exact)
CW_VM_LOOPS_T(cw_vm_exp2f, float, exp2f_fast, exp2f_special_v, cw_vm_exp2f_exact)
