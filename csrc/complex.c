/* The complex64 / complex128 loops: one per CW_COMPLEX row of ops.def and
 * dtype (and per operand mode of a binary row), generated here from the
 * table, over the element functions of cw_complex.h, plus the descriptor
 * (cw_complex_get) that tells the facade which rows have complex loops.
 * kernels.c's n-d driver runs them (cw_complex_loops), through the one
 * parallel runtime, exactly as the real loops.
 *
 * The rows whose NumPy loop fuses on CPUs with FMA (multiply, square,
 * absolute: the fused column) compute with fma() on EVERY CPU, so that
 * their bits never depend on the ISA (README, accuracy contract): one
 * variant compiled for FMA hardware, one without (whose fma() is libm's,
 * exact in software where the CPU has no FMA unit: slower, same bits),
 * chosen once at load (COREWISE_ISA=baseline forces the second; the tests
 * compare the two).  The file is compiled with
 * fp-contract=off and the other loops never for an FMA target: NumPy's
 * division and reciprocal are not fused, and only the explicit fma() of
 * cw_complex.h may be.
 */
#pragma GCC optimize("fp-contract=off")
#include <fenv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cw_internal.h"
#include "cw_loops.h"
#include "cw_complex.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
static int cw_cx_has_fma(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx2");
}
#elif defined(__x86_64__)
static int cw_cx_has_fma(void) { return 0; }
#else
/* AArch64, POWER: fma() is one instruction, and NumPy's SIMD fuses */
static int cw_cx_has_fma(void) { return 1; }
#endif

int cw_cx_fma;  /* cw_complex.h */

__attribute__((constructor)) static void cw_cx_init(void)
{
    const char *isa = getenv("COREWISE_ISA");
    cw_cx_fma = cw_cx_has_fma() && !(isa && strcmp(isa, "baseline") == 0);
}

/* operand x / y of element i per mode (U: unary, y unused) */
#define CW_CXX_U(i) xa[i]
#define CW_CXY_U(i) xa[i]
#define CW_CXX_VV(i) xa[i]
#define CW_CXY_VV(i) ya[i]
#define CW_CXX_SV(i) xa[0]
#define CW_CXY_SV(i) ya[i]
#define CW_CXX_VS(i) xa[i]
#define CW_CXY_VS(i) ya[0]

/* output type and store per kind */
#define CW_CXO_CW_CX_U(T, RT) T
#define CW_CXO_CW_CX_B(T, RT) T
#define CW_CXO_CW_CX_R(T, RT) RT
#define CW_CXO_CW_CX_C(T, RT) uint8_t
#define CW_CXS_CW_CX_U(i, r) z[i] = (r)
#define CW_CXS_CW_CX_B(i, r) z[i] = (r)
#define CW_CXS_CW_CX_R(i, r) z[i] = (r)
#define CW_CXS_CW_CX_C(i, r) do { int r_ = (r); z[i] = (uint8_t)(r_ & 1); inv |= r_; } while (0)

#define CW_CXK(FN, MODE, KIND, T, RT, EXPR, ATTR, FV)                         \
    ATTR static int FN(ptrdiff_t n, const char *vx, const char *vy, char *vz) \
    {                                                                         \
        const T *xa = (const T *)vx;                                          \
        const T *ya = (const T *)vy;                                          \
        CW_CXO_##KIND(T, RT) *z = (CW_CXO_##KIND(T, RT) *)vz;                 \
        const int F = FV;                                                     \
        int inv = 0;                                                          \
        (void)F; (void)ya;                                                    \
        _Pragma("omp simd reduction(|:inv)")                                  \
        for (ptrdiff_t i = 0; i < n; i++) {                                   \
            const T x = CW_CXX_##MODE(i), y = CW_CXY_##MODE(i);               \
            (void)y;                                                          \
            CW_CXS_##KIND(i, EXPR);                                           \
        }                                                                     \
        if (inv & 2)                                                          \
            feraiseexcept(FE_INVALID);                                        \
        return 0;                                                             \
    }

/* one mode: for a fused row both variants and the wrapper that picks one;
 * else the unfused loop alone (an AVX2 clone, which has no FMA: GCC's
 * vectoriser fuses multiply-adds even under fp-contract=off, so no loop
 * that must not fuse is compiled for an FMA target) */
#define CW_CXM(NAME, SUF, MODE, KIND, FUSED, T, RT, EXPR)                     \
    CW_CXM_##FUSED(NAME, SUF, MODE, KIND, T, RT, EXPR)
#define CW_CXM_0(NAME, SUF, MODE, KIND, T, RT, EXPR)                          \
    CW_CXK(cw_cx_##NAME##_##SUF##_##MODE, MODE, KIND, T, RT, EXPR, CW_DISPATCH, 0)
#define CW_CXM_1(NAME, SUF, MODE, KIND, T, RT, EXPR)                          \
    CW_CXK(cw_cxf_##NAME##_##SUF##_##MODE, MODE, KIND, T, RT, EXPR, CW_CX_FMA_TARGET, 1) \
    CW_CXK(cw_cxp_##NAME##_##SUF##_##MODE, MODE, KIND, T, RT, EXPR, CW_DISPATCH, 1) \
    static int cw_cx_##NAME##_##SUF##_##MODE(ptrdiff_t n, const char *x, const char *y, char *z) \
    {                                                                         \
        return cw_cx_fma ? cw_cxf_##NAME##_##SUF##_##MODE(n, x, y, z)         \
                         : cw_cxp_##NAME##_##SUF##_##MODE(n, x, y, z);        \
    }

/* the modes of a kind */
#define CW_CXG_CW_CX_U(NAME, SUF, KIND, FUSED, T, RT, EXPR) CW_CXM(NAME, SUF, U, KIND, FUSED, T, RT, EXPR)
#define CW_CXG_CW_CX_R CW_CXG_CW_CX_U
#define CW_CXG_CW_CX_B(NAME, SUF, KIND, FUSED, T, RT, EXPR)                   \
    CW_CXM(NAME, SUF, VV, KIND, FUSED, T, RT, EXPR)                           \
    CW_CXM(NAME, SUF, SV, KIND, FUSED, T, RT, EXPR)                           \
    CW_CXM(NAME, SUF, VS, KIND, FUSED, T, RT, EXPR)
#define CW_CXG_CW_CX_C CW_CXG_CW_CX_B

#define CW_COMPLEX(NAME, KIND, FUSED, E128, E64, BITS, ULP128, ULP64, FPE)    \
    CW_CXG_##KIND(NAME, c64, KIND, FUSED, cw_c64, float, E64)                 \
    CW_CXG_##KIND(NAME, c128, KIND, FUSED, cw_c128, double, E128)
#include "ops.def"

/* ---- the descriptor table ------------------------------------------------ */

#define CW_CXFN_CW_CX_U(NAME, SUF) { cw_cx_##NAME##_##SUF##_U, NULL, NULL }
#define CW_CXFN_CW_CX_R CW_CXFN_CW_CX_U
#define CW_CXFN_CW_CX_B(NAME, SUF)                                            \
    { cw_cx_##NAME##_##SUF##_VV, cw_cx_##NAME##_##SUF##_SV, cw_cx_##NAME##_##SUF##_VS }
#define CW_CXFN_CW_CX_C CW_CXFN_CW_CX_B
#define CW_CXL(NAME, SUF, KIND, T, RT, FPE)                                   \
    { CW_CXFN_##KIND(NAME, SUF), sizeof(T), sizeof(CW_CXO_##KIND(T, RT)), NULL, 1 + (FPE) }

typedef struct {
    cw_complex_info info;
    cw_loops loops[2];   /* complex64, complex128 */
} cw_cx_entry;

static const cw_cx_entry cw_cx[] = {
#define CW_COMPLEX(NAME, KIND, FUSED, E128, E64, BITS, ULP128, ULP64, FPE)    \
    { { #NAME, KIND, BITS, ULP128, ULP64, FPE },                              \
      { CW_CXL(NAME, c64, KIND, cw_c64, float, FPE),                          \
        CW_CXL(NAME, c128, KIND, cw_c128, double, FPE) } },
#include "ops.def"
};

#define CW_NCX ((int)(sizeof cw_cx / sizeof cw_cx[0]))

int cw_complex_count(void) { return CW_NCX; }

const cw_complex_info *cw_complex_get(int i)
{
    return (i >= 0 && i < CW_NCX) ? &cw_cx[i].info : NULL;
}

const cw_loops *cw_complex_loops(const char *name, int dtype)
{
    if (dtype != CW_C64 && dtype != CW_C128)
        return NULL;
    for (int i = 0; i < CW_NCX; i++)
        if (strcmp(cw_cx[i].info.name, name) == 0)
            return &cw_cx[i].loops[dtype == CW_C128];
    return NULL;
}
