/* Complex element functions: the arithmetic of the CW_COMPLEX rows of
 * ops.def (complex64 = cw_c64, complex128 = cw_c128, interleaved re, im as
 * NumPy stores them).  complex.c generates the loops from the table.
 *
 * Each function computes what NumPy 2.4's loop computes, operation for
 * operation, so that results are bitwise NumPy's (methods read in
 * numpy/_core/src/umath/loops.c.src, loops_arithm_fp.dispatch.c.src and
 * loops_unary_complex.dispatch.c.src; no code copied):
 *   - add/subtract/negative/conjugate: per component, exact;
 *   - multiply/square: NumPy's SIMD loop computes re = fma(ar, br, -(ai*bi)),
 *     im = fma(ar, bi, ai*br) on CPUs with FMA (x86 FMA3, every AArch64)
 *     and the unfused a*b - c*d otherwise; corewise always fuses (F = 1 in
 *     every loop complex.c builds: NumPy's bits on FMA CPUs, and the same
 *     bits on every CPU -- libm's exact fma() where there is no FMA unit);
 *   - divide/reciprocal: Smith's method (R. L. Smith, CACM 5(8), 1962) in
 *     NumPy's exact form, unfused (complex.c is compiled with
 *     fp-contract=off);
 *   - absolute: NumPy's SIMD hypot (inf beats NaN, NaN beats finite, then
 *     larger * sqrt(1 + (smaller/larger)^2), fused like multiply), quiet;
 *   - sqrt/exp/log: C99's csqrt/cexp/clog from libm, which NumPy's
 *     npy_csqrt/npy_cexp/npy_clog call on glibc (Annex G special values
 *     are libm's);
 *   - comparisons: NumPy's lexicographic CLT/CLE/CGT/CGE/CEQ/CNE macros.
 *     The result is computed with quiet compares; NumPy's ordered C
 *     compares raise "invalid" exactly when the real parts compare with a
 *     NaN, or are equal and an imaginary part is a NaN: bit 1 of the
 *     returned byte says so (the loop raises FE_INVALID once).
 */
#ifndef CW_COMPLEX_H
#define CW_COMPLEX_H
#include <complex.h>
#include <math.h>
#include <stdint.h>

typedef struct { double re, im; } cw_c128;
typedef struct { float re, im; } cw_c64;

/* The fused rows (multiply, square, absolute; reduce.c's complex prod) have
 * two variants: one compiled for FMA hardware (CW_CX_FMA_TARGET), one
 * without, whose fma() is libm's (exact in software without an FMA unit):
 * the same bits.  cw_cx_fma (complex.c, set at load) says which runs: FMA
 * hardware and not COREWISE_ISA=baseline. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CW_CX_FMA_TARGET __attribute__((target("avx2,fma")))
#else
#define CW_CX_FMA_TARGET
#endif
extern int cw_cx_fma __attribute__((visibility("hidden")));

/* a*b + c, fused when F */
#define CW_MAD(F, FMA, a, b, c) ((F) ? FMA((a), (b), (c)) : (a) * (b) + (c))

#define CW_CX_FUNCS(CT, RT, SUF, FMA, FABS, SQRT, CCT, CSQRT, CEXP, CLOG, INF) \
    static inline CT cw_cadd_##SUF(CT x, CT y) { return (CT){ x.re + y.re, x.im + y.im }; } \
    static inline CT cw_csub_##SUF(CT x, CT y) { return (CT){ x.re - y.re, x.im - y.im }; } \
    static inline CT cw_cneg_##SUF(CT x) { return (CT){ -x.re, -x.im }; }       \
    static inline CT cw_cconj_##SUF(CT x) { return (CT){ x.re, -x.im }; }       \
    static inline CT cw_cmul_##SUF(CT x, CT y, int F)                           \
    {                                                                           \
        RT ii = x.im * y.im, ir = x.im * y.re;                                  \
        return (CT){ CW_MAD(F, FMA, x.re, y.re, -ii), CW_MAD(F, FMA, x.re, y.im, ir) }; \
    }                                                                           \
    static inline CT cw_cdiv_##SUF(CT x, CT y)                                  \
    {                                                                           \
        RT ar = FABS(y.re), ai = FABS(y.im);                                    \
        if (ar >= ai) {                                                         \
            if (ar == 0 && ai == 0)  /* a complex inf or nan, as NumPy */       \
                return (CT){ x.re / ar, x.im / ai };                            \
            RT rat = y.im / y.re, scl = (RT)1 / (y.re + y.im * rat);            \
            return (CT){ (x.re + x.im * rat) * scl, (x.im - x.re * rat) * scl }; \
        }                                                                       \
        RT rat = y.re / y.im, scl = (RT)1 / (y.im + y.re * rat);                \
        return (CT){ (x.re * rat + x.im) * scl, (x.im * rat - x.re) * scl };    \
    }                                                                           \
    static inline CT cw_crecip_##SUF(CT x)                                      \
    {                                                                           \
        if (FABS(x.im) <= FABS(x.re)) {                                         \
            RT r = x.im / x.re, d = x.re + x.im * r;                            \
            return (CT){ 1 / d, -r / d };                                       \
        }                                                                       \
        RT r = x.re / x.im, d = x.re * r + x.im;                                \
        return (CT){ r / d, -1 / d };                                           \
    }                                                                           \
    static inline RT cw_cabs_##SUF(CT x, int F)                                 \
    {                                                                           \
        RT re = FABS(x.re), im = FABS(x.im);                                    \
        int rinf = re == INF, iinf = im == INF;                                 \
        im = rinf ? INF : im;                                                   \
        re = iinf ? INF : re;                                                   \
        int rnan = re != re, inan = im != im;                                   \
        im = rnan ? (RT)NAN : im;                                                  \
        re = inan ? (RT)NAN : re;                                                  \
        /* NumPy zeroes the ratio where big == 0 or small == inf; both make \
         * the unguarded ratio (and only it) NaN with big not NaN, and the \
         * result is then big (0, inf): a select on the result, which      \
         * vectorises (the row is quiet, so 0/0 and inf/inf raise nothing  \
         * that is reported) */                                           \
        RT big = isgreater(re, im) ? re : im, small = isgreater(re, im) ? im : re; \
        RT q = small / big;                                                     \
        RT h = SQRT(CW_MAD(F, FMA, q, q, (RT)1)) * big;                         \
        return isnan(h) & !isnan(big) ? big : h;                                \
    }                                                                           \
    static inline CT cw_csqrt_##SUF(CT x)                                       \
    {                                                                           \
        CCT r = CSQRT(CMPLX##SUF(x.re, x.im));                                  \
        return (CT){ creal(r), cimag(r) };                                      \
    }                                                                           \
    static inline CT cw_cexp_##SUF(CT x)                                        \
    {                                                                           \
        CCT r = CEXP(CMPLX##SUF(x.re, x.im));                                   \
        return (CT){ creal(r), cimag(r) };                                      \
    }                                                                           \
    static inline CT cw_clog_##SUF(CT x)                                        \
    {                                                                           \
        CCT r = CLOG(CMPLX##SUF(x.re, x.im));                                   \
        return (CT){ creal(r), cimag(r) };                                      \
    }                                                                           \
    /* NumPy's maximum/minimum: x unless it loses (a NaN in x wins) */          \
    static inline CT cw_cmax_##SUF(CT x, CT y)                                  \
    {                                                                           \
        int keep = x.re != x.re || x.im != x.im || (isgreater(x.re, y.re)       \
                   && !isnan(x.im) && !isnan(y.im))                             \
                   || (x.re == y.re && isgreaterequal(x.im, y.im));             \
        return keep ? x : y;                                                    \
    }                                                                           \
    static inline CT cw_cmin_##SUF(CT x, CT y)                                  \
    {                                                                           \
        int keep = x.re != x.re || x.im != x.im || (isless(x.re, y.re)          \
                   && !isnan(x.im) && !isnan(y.im))                             \
                   || (x.re == y.re && islessequal(x.im, y.im));                \
        return keep ? x : y;                                                    \
    }

#define CMPLXc128(a, b) CMPLX((a), (b))
#define CMPLXc64(a, b) CMPLXF((a), (b))
CW_CX_FUNCS(cw_c128, double, c128, fma, fabs, sqrt, double complex, csqrt, cexp, clog, INFINITY)
CW_CX_FUNCS(cw_c64, float, c64, fmaf, fabsf, sqrtf, float complex, csqrtf, cexpf, clogf, INFINITY)
#undef CW_CX_FUNCS

/* Comparisons: bit 0 the result, bit 1 "NumPy's compares raise invalid"
 * (a NaN real part, or equal real parts and a NaN imaginary part). */
#define CW_CX_INV(x, y)                                                       \
    ((isnan((x).re) || isnan((y).re)                                          \
      || ((x).re == (y).re && (isnan((x).im) || isnan((y).im)))) << 1)
#define CW_CX_LEX(x, y, QREAL, QIMAG)                                         \
    (((QREAL((x).re, (y).re) && !isnan((x).im) && !isnan((y).im))             \
      || ((x).re == (y).re && QIMAG((x).im, (y).im))) | CW_CX_INV(x, y))
#define cw_cless(x, y) CW_CX_LEX(x, y, isless, isless)
#define cw_cless_equal(x, y) CW_CX_LEX(x, y, isless, islessequal)
#define cw_cgreater(x, y) CW_CX_LEX(x, y, isgreater, isgreater)
#define cw_cgreater_equal(x, y) CW_CX_LEX(x, y, isgreater, isgreaterequal)
#define cw_cequal(x, y) ((x).re == (y).re && (x).im == (y).im)
#define cw_cnot_equal(x, y) ((x).re != (y).re || (x).im != (y).im)

#endif
