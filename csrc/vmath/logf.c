/* log, log2 and log10, float32: corewise's own, correctly rounded.
 *
 * Method: the reduction of log.c (x = 2^e m, a table reciprocal c ~ 1/m
 * of 1024, the same tables.h), evaluated in plain double -- a float32
 * result needs far less than double-double -- then the float rounding
 * test cw_vm_hard_f (vmath.h) and one rounding to float; the lanes that
 * fail it and the special inputs go to the exact path (mp.c, rounded to
 * float there).
 *   m in [0x1.6ap-1, 0x1.6ap0), e and the interval j from integer shifts
 *   of the double x; r = m c - 1 from an exact product (FMA, or Dekker's
 *   on the baseline: the same bits) and one rounding, |r| < 2^-10 (c = 1
 *   for the two intervals at 1);
 *   log x = (e ln2 + (-log c)) + p (-log c: the table's head, a multiple
 *   of 2^-42, plus its tail, rounded to double), p = r + r^2 (-1/2 + r (1/3 + r (-1/4 +
 *   r/5))) = log1p(r) to r^6/6;
 *   log2 x = e + ((-log c) + p) / ln2, log10 x = log x / ln10.
 * Error analysis (relative to the result): near 1 (e = 0, c = 1) the
 * result is p itself: r's rounding 2^-53, the omitted r^6/6 2^-62.6, p's
 * double evaluation a few ulps: 2^-51.5 in all.  Elsewhere the result is
 * at least 2^-11 and at least a third of |e ln2| (the terms have the same
 * sign, or e ln2 dominates), and each of the three terms carries at most
 * 2^-52 of its own size: below 2^-49.5 relative; log10's and log2's
 * scaling add 2^-52.  All inside the 2^-47 that cw_vm_hard_f assumes (GCC
 * may contract a*b+c on the FMA levels: that only removes roundings).
 * Special inputs (NaN, +-inf, 0, negatives, subnormals) take the exact
 * path, which raises NumPy's flags (divide-by-zero for 0, invalid for
 * x < 0).  tools/vmathf_exhaustive.c checks all 2^32 inputs. */
#include "vmath.h"
#include "tables.h"

/* e (as a double), -log c and p for a positive normal float x; *bad set
 * for the other inputs, which are replaced by 1 */
static CW_VM_INLINE void logf_parts(float x, uint64_t *bad, double *ed, double *lc, double *p,
                                    const int fma)
{
    const uint32_t ix = cw_asu32(x);
    /* 0, subnormals, negatives (sign bit), inf, NaN */
    const uint64_t b = ix - 0x00800000u >= 0x7f000000u;
    const uint64_t ix64 = cw_asu((double)cw_asf((ix & ((uint32_t)b - 1u)) | (0x3f800000u & (0u - (uint32_t)b))));
    const uint64_t t = ix64 - CW_LOG_OFF;
    const int64_t e = (int64_t)t >> 52;
    const uint64_t j = (t >> (52 - CW_LOG_BITS)) & ((1u << CW_LOG_BITS) - 1);
    const double m = cw_asd(ix64 - ((uint64_t)e << 52));
    *ed = cw_asd(0x4338000000000000ull + (uint64_t)e) - 0x1.8p52;
    double ph, pl;
    cw_2prod(m, cw_log_c[j], &ph, &pl, fma);
    const double r = (ph - 1.0) + pl;               /* ph - 1 exact (Sterbenz) */
    *p = r + (r * r) * (-0.5 + r * (1.0 / 3 + r * (-0.25 + r * 0.2)));
    *lc = cw_log_hi[j] + cw_log_lo[j];              /* -log c to double */
    *bad = b;
}

static CW_VM_INLINE float logf_fast(float x, uint64_t *bad, const int fma)
{
    double ed, lc, p;
    logf_parts(x, bad, &ed, &lc, &p, fma);
    const double y = (ed * CW_DD_LN2_HI + lc) + p;
    *bad |= cw_vm_hard_f(y);
    return (float)y;
}

static CW_VM_INLINE float log2f_fast(float x, uint64_t *bad, const int fma)
{
    double ed, lc, p;
    logf_parts(x, bad, &ed, &lc, &p, fma);
    const double y = ed + (lc + p) * CW_DD_INVLN2_HI;
    *bad |= cw_vm_hard_f(y);
    return (float)y;
}

static CW_VM_INLINE float log10f_fast(float x, uint64_t *bad, const int fma)
{
    double ed, lc, p;
    logf_parts(x, bad, &ed, &lc, &p, fma);
    const double y = ((ed * CW_DD_LN2_HI + lc) + p) * CW_DD_INVLN10_HI;
    *bad |= cw_vm_hard_f(y);
    return (float)y;
}

CW_VM_LOG_SPECIAL(logf_special_v, float, uint32_t, cw_asu32, cw_asf, cw_self)

CW_VM_LOOPS_T(cw_vm_logf, float, logf_fast, logf_special_v, cw_vm_logf_exact)
CW_VM_LOOPS_T(cw_vm_log2f, float, log2f_fast, logf_special_v, cw_vm_log2f_exact)
CW_VM_LOOPS_T(cw_vm_log10f, float, log10f_fast, logf_special_v, cw_vm_log10f_exact)
