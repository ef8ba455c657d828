/* corewise element-wise kernels, generated from the operation table.
 *
 * For every row of ops.def and every dtype it supports this file defines
 * the vectorised contiguous loops (runtime ISA dispatch; for binary rows
 * also the variants with a scalar operand) and one row of the descriptor
 * table.  One n-d driver serves every operation, unary and binary: it
 * splits the flat iteration space into per-thread blocks
 * (cw_parallel_run) and runs each 1-D stretch through the contiguous loop,
 * via small gather/scatter buffers when strided.
 */
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "cw_internal.h"
#include "cw_iter.h"
#include "cw_loops.h"
#include "cw_scalar.h"
#include "vmath/vmath.h"
#include "cw_eval.h"

typedef struct {
    cw_op_info info;
    cw_loops loops[CW_NDTYPES];
} cw_op_entry;

/* ---- loop generation ------------------------------------------------------ */

/* CW_BLK elements per vector block.  Each block is a `#pragma omp simd` loop
 * with a constant trip count, so it compiles to vector code only (with
 * libmvec calls for the transcendental rows) and never to a scalar
 * remainder loop; the last partial block is padded (with a copy of its first
 * element, which raises no new FP exception) and run through the same
 * vector code.  Every element is therefore computed by the same
 * instructions whatever its position, the thread count or the memory
 * layout: results are bitwise reproducible although scalar libm and
 * libmvec may differ in the last bit.  `omp simd` also declares that the
 * loop has no cross-iteration dependence, which holds in place (z == x). */
#define CW_BLK 64

#define CW_XI(MODE, i) CW_XI_##MODE(i)
#define CW_XI_CW_U(i) x[i]
#define CW_YI_CW_U(i) 0
#define CW_XI_CW_VV(i) x[i]
#define CW_XI_CW_SV(i) x[0]
#define CW_XI_CW_VS(i) x[i]
#define CW_YI_CW_VV(i) y[i]
#define CW_YI_CW_SV(i) y[i]
#define CW_YI_CW_VS(i) y[0]
#define CW_YI(MODE, i) CW_YI_##MODE(i)

/* F(a, b) is the element expression; T the input type, O the output type. */
/* ISA choice per op class: the libmvec rows (CW_VMATH) get an AVX-512
 * clone too, since libmvec's 512-bit variants are faster; the others keep
 * avx2/default (see CW_DISPATCH in cw_internal.h). */
#define CW_ISA(FPE) CW_ISA_##FPE
#define CW_2ND_(a, b, ...) b
#define CW_2ND(...) CW_2ND_(__VA_ARGS__)
/* A row may name its own ISA list (CW_ISAOV_<name> as `~, list,`): hypot's
 * vector code is glibc's arithmetic and must not be contracted into fma,
 * which the AVX-512 clone would allow (-ffp-contract=fast is GCC's default) */
#define CW_ISAF_CW_VMATH() CW_DISPATCH_VM
#define CW_ISAF_CW_FPE() CW_DISPATCH
#define CW_ISAF_CW_QUIET() CW_DISPATCH
#define CW_ISAOV_hypot ~, CW_ISAF_CW_FPE,
#define CW_ISA_OF(NAME, FPE) CW_2ND(CW_ISAOV_##NAME, CW_ISAF_##FPE, ~)()
#define CW_ISA_CW_VMATH CW_DISPATCH_VM
#define CW_ISA_CW_FPE CW_DISPATCH
#define CW_ISA_CW_QUIET CW_DISPATCH

/* The non-finite test of the CW_VMATH loops, fused into them: the largest
 * |z| bit pattern of m outputs (one vector max per vector, while they are
 * still in L1), compared once with that of infinity.  Fused because a
 * separate pass over the whole output would be a second trip through
 * memory. */
#define CW_NONFINITE(NAME, O, U, INF)                                         \
    static inline int NAME(const O *z, ptrdiff_t m)                           \
    {                                                                         \
        U acc = 0;                                                            \
        _Pragma("omp simd reduction(max:acc)")                                \
        for (ptrdiff_t j = 0; j < m; j++) {                                   \
            U b;                                                              \
            memcpy(&b, &z[j], sizeof b);                                      \
            b &= (U)-1 >> 1;                                                  \
            acc = acc > b ? acc : b;                                          \
        }                                                                     \
        return acc >= (INF);                                                  \
    }
CW_NONFINITE(cw_nonfinite_f64, double, uint64_t, 0x7ff0000000000000u)
CW_NONFINITE(cw_nonfinite_f32, float, uint32_t, 0x7f800000u)
#define cw_nf_none(z, m) ((void)(z), (void)(m), 0)

/* Blocks between two non-finite tests (CW_VMATH loops). */
#define CW_CHUNK (8 * CW_BLK)

/* NF: cw_nonfinite_f64/f32 for the CW_VMATH rows, else cw_nf_none. */
#define CW_KERNEL(FN, MODE, T, O, F, ISA, NF)                                 \
    ISA static int FN(ptrdiff_t n, const char *vx, const char *vy, char *vz)  \
    {                                                                         \
        const T *x = (const T *)vx;                                           \
        const T *y = (const T *)vy;                                           \
        O *z = (O *)vz;                                                       \
        (void)y;                                                              \
        int nf = 0;                                                           \
        ptrdiff_t i = 0;                                                      \
        while (i + CW_BLK <= n) {                                             \
            ptrdiff_t s = i, e = n - i >= CW_CHUNK ? i + CW_CHUNK             \
                                                   : n - (n - i) % CW_BLK;    \
            for (; i < e; i += CW_BLK) {                                      \
                _Pragma("omp simd")                                           \
                for (int j = 0; j < CW_BLK; j++)                              \
                    z[i + j] = F(CW_XI(MODE, i + j), CW_YI(MODE, i + j));     \
            }                                                                 \
            nf |= NF(z + s, e - s);                                           \
        }                                                                     \
        if (i < n) {                                                          \
            ptrdiff_t r = n - i;                                              \
            T bx[CW_BLK], by[CW_BLK];                                         \
            O bz[CW_BLK];                                                     \
            for (int j = 0; j < CW_BLK; j++) {                                \
                ptrdiff_t k = i + (j < r ? j : 0);                            \
                bx[j] = CW_XI(MODE, k);                                       \
                by[j] = CW_YI(MODE, k);                                       \
            }                                                                 \
            _Pragma("omp simd")                                               \
            for (int j = 0; j < CW_BLK; j++)                                  \
                bz[j] = F(bx[j], by[j]);                                      \
            nf |= NF(bz, r);                                                  \
            memcpy(z + i, bz, (size_t)r * sizeof(O));                         \
        }                                                                     \
        return nf;                                                            \
    }

/* Adapters: the element expression as F(a, b) for unary and binary rows. */
#define CW_ADAPT1(NAME, SUF, T, O)                                            \
    static inline O cw_e_##NAME##_##SUF(T a, T b) { (void)b; return (O)cw_##NAME##_##SUF(a); }
#define CW_ADAPT2(NAME, SUF, T, O)                                            \
    static inline O cw_e_##NAME##_##SUF(T a, T b) { return (O)cw_##NAME##_##SUF(a, b); }

/* Could libm's scalar call for an element raise a reported flag (invalid,
 * divide-by-zero, overflow, underflow), given the output the vector code
 * wrote for it?  Each of those flags leaves a NaN, an inf, a zero or a
 * subnormal (round to nearest; glibc raises no spurious underflow above
 * the smallest normal).  libmvec's result is within a few ULP of libm's,
 * so an output within 2^23 (float: 2^20) of the overflow or the underflow
 * threshold counts too: a margin, not a bound.  Every other element raises
 * at most inexact, which NumPy never reports, so the flag pass skips it:
 * one NaN among 8192 ordinary elements costs one libm call, not 8192 (a
 * column with a few NaN made every stretch scalar). */
static inline int cw_flag_suspect_f64(const char *z, ptrdiff_t i)
{
    uint64_t b;
    memcpy(&b, z + i * (ptrdiff_t)sizeof(double), sizeof b);
    const unsigned e = (unsigned)(b >> 52) & 0x7ffu;
    return e < 24 || e > 2046 - 23;
}
static inline int cw_flag_suspect_f32(const char *z, ptrdiff_t i)
{
    uint32_t b;
    memcpy(&b, z + i * (ptrdiff_t)sizeof(float), sizeof b);
    const unsigned e = (b >> 23) & 0xffu;
    return e < 21 || e > 254 - 20;
}
/* whether one of the elements [i, i + CW_BLK) of z is suspect: a vectorised
 * test, so that the pass's scan of the ordinary elements costs a fraction
 * of a nanosecond each (a scalar scan measured 1 ns an element: 4 ms of a
 * 4M-element exp with 0.1% NaN) */
#define CW_FLAG_SUSPECT_BLK(SUF)                                              \
    static inline int cw_flag_suspect_blk_##SUF(const char *z, ptrdiff_t i)   \
    {                                                                         \
        int any = 0;                                                          \
        for (int j = 0; j < CW_BLK; j++)                                      \
            any |= cw_flag_suspect_##SUF(z, i + j);                           \
        return any;                                                           \
    }
CW_FLAG_SUSPECT_BLK(f64)
CW_FLAG_SUSPECT_BLK(f32)
/* The scalar flag pass FN: CALL (an expression of the elements a and b)
 * not vectorised (the volatile sink forbids it), so libm's scalar entry
 * points run; with the vector code's outputs z, only on the elements
 * cw_flag_suspect names, a block of CW_BLK ordinary ones skipped at once. */
#define CW_FLAG_PASS(FN, SUF, T, CALL)                                        \
    __attribute__((unused)) static void FN(ptrdiff_t n, const char *x, ptrdiff_t xs, \
                                           const char *y, ptrdiff_t ys, const char *z) \
    {                                                                         \
        volatile T sink;                                                      \
        for (ptrdiff_t i0 = 0; i0 < n; i0 += CW_BLK) {                        \
            const ptrdiff_t m = n - i0 < CW_BLK ? n - i0 : CW_BLK;            \
            if (z && m == CW_BLK && !cw_flag_suspect_blk_##SUF(z, i0))        \
                continue;                                                     \
            for (ptrdiff_t i = i0; i < i0 + m; i++) {                         \
                if (z && !cw_flag_suspect_##SUF(z, i))                        \
                    continue;                                                 \
                T a, b = 0;                                                   \
                memcpy(&a, x + i * xs, sizeof a);                             \
                if (y)                                                        \
                    memcpy(&b, y + i * ys, sizeof b);                         \
                sink = CALL;                                                  \
            }                                                                 \
        }                                                                     \
        (void)sink;                                                           \
    }
/* the pass of a row: its own element function */
#define CW_CHECK(NAME, SUF, T) CW_FLAG_PASS(cw_c_##NAME##_##SUF, SUF, T, cw_e_##NAME##_##SUF(a, b))

#define CW_LOOPS1(NAME, SUF, T, O, ISA, NF)                                   \
    CW_ADAPT1(NAME, SUF, T, O)                                                \
    CW_KERNEL(cw_k_##NAME##_##SUF, CW_U, T, O, cw_e_##NAME##_##SUF, ISA, NF)
#define CW_LOOPS2(NAME, SUF, T, O, ISA, NF)                                   \
    CW_ADAPT2(NAME, SUF, T, O)                                                \
    CW_KERNEL(cw_k_##NAME##_##SUF, CW_VV, T, O, cw_e_##NAME##_##SUF, ISA, NF) \
    CW_KERNEL(cw_ks_##NAME##_##SUF, CW_SV, T, O, cw_e_##NAME##_##SUF, ISA, NF)\
    CW_KERNEL(cw_kt_##NAME##_##SUF, CW_VS, T, O, cw_e_##NAME##_##SUF, ISA, NF)
/* the non-finite test a float loop of a row needs */
#define CW_NF(FPE, SUF) CW_NF_##FPE(SUF)
#define CW_NF_CW_VMATH(SUF) cw_nonfinite_##SUF
#define CW_NF_CW_FPE(SUF) cw_nf_none
#define CW_NF_CW_QUIET(SUF) cw_nf_none

#define CW_UNARY(NAME, E64, E32, EI, COST, ULP64, ULP32, FPE, DOC)            \
    CW_LOOPS1(NAME, f32, float, float, CW_ISA_OF(NAME, FPE), CW_NF(FPE, f32)) \
    CW_LOOPS1(NAME, f64, double, double, CW_ISA_OF(NAME, FPE), CW_NF(FPE, f64)) \
    CW_CHECK(NAME, f32, float) CW_CHECK(NAME, f64, double)                    \
    CW_IF_INT(EI)(CW_LOOPS1(NAME, i32, int32_t, int32_t, CW_DISPATCH, cw_nf_none)       \
                  CW_LOOPS1(NAME, i64, int64_t, int64_t, CW_DISPATCH, cw_nf_none))
#define CW_BINARY(NAME, E64, E32, EI, COST, ULP64, ULP32, FPE, DOC)           \
    CW_LOOPS2(NAME, f32, float, float, CW_ISA_OF(NAME, FPE), CW_NF(FPE, f32)) \
    CW_LOOPS2(NAME, f64, double, double, CW_ISA_OF(NAME, FPE), CW_NF(FPE, f64)) \
    CW_CHECK(NAME, f32, float) CW_CHECK(NAME, f64, double)                    \
    CW_IF_INT(EI)(CW_LOOPS2(NAME, i32, int32_t, int32_t, CW_DISPATCH, cw_nf_none)       \
                  CW_LOOPS2(NAME, i64, int64_t, int64_t, CW_DISPATCH, cw_nf_none))
#define CW_PREDICATE(NAME, E64, E32, COST, DOC)                               \
    CW_LOOPS1(NAME, f32, float, uint8_t, CW_DISPATCH, cw_nf_none)                    \
    CW_LOOPS1(NAME, f64, double, uint8_t, CW_DISPATCH, cw_nf_none)
#define CW_COMPARE(NAME, EF, EI, COST, DOC)                                   \
    CW_LOOPS2(NAME, f32, float, uint8_t, CW_DISPATCH, cw_nf_none)                    \
    CW_LOOPS2(NAME, f64, double, uint8_t, CW_DISPATCH, cw_nf_none)                   \
    CW_LOOPS2(NAME, i32, int32_t, uint8_t, CW_DISPATCH, cw_nf_none)                  \
    CW_LOOPS2(NAME, i64, int64_t, uint8_t, CW_DISPATCH, cw_nf_none)
#define CW_LOOPS_1 CW_LOOPS1
#define CW_LOOPS_2 CW_LOOPS2
#define CW_INTOP(NAME, NIN, EI, COST, FPE, DOC)                               \
    CW_CAT(CW_LOOPS_, NIN)(NAME, i32, int32_t, int32_t, CW_DISPATCH, cw_nf_none) \
    CW_CAT(CW_LOOPS_, NIN)(NAME, i64, int64_t, int64_t, CW_DISPATCH, cw_nf_none)
#define CW_LOGICAL(NAME, NIN, EF, EI, DOC)                                    \
    CW_CAT(CW_LOOPS_, NIN)(NAME, f32, float, uint8_t, CW_DISPATCH, cw_nf_none) \
    CW_CAT(CW_LOOPS_, NIN)(NAME, f64, double, uint8_t, CW_DISPATCH, cw_nf_none) \
    CW_CAT(CW_LOOPS_, NIN)(NAME, i32, int32_t, uint8_t, CW_DISPATCH, cw_nf_none) \
    CW_CAT(CW_LOOPS_, NIN)(NAME, i64, int64_t, uint8_t, CW_DISPATCH, cw_nf_none)
#include "ops.def"

/* ---- the loops of the CW_MULTI rows (two outputs, mixed dtypes) ----------------
 * One element function call per element (cw_natives.h: frexp/ldexp/modf
 * from the bits, the floor_divide/remainder pair), operands loaded and stored with
 * memcpy (any alignment), every input of an element read before its outputs
 * are written (so an output may be exactly an input).  The same calls for
 * every element whatever the layout or thread count: the contiguous form
 * only lets the compiler see the unit strides. */
typedef void (*cw_mkernel_fn)(ptrdiff_t n, char *const *p, const ptrdiff_t *s);
#define CW_CT_f32 float
#define CW_CT_f64 double
#define CW_CT_i32 int32_t
#define CW_CT_i64 int64_t
#define CW_CODE_f32 CW_F32
#define CW_CODE_f64 CW_F64
#define CW_CODE_i32 CW_I32
#define CW_CODE_i64 CW_I64
#define CW_CODE_none -1
#define CW_MLD(v, k, S) memcpy(&v, q[k] + i * (S), sizeof v);
#define CW_MST(v, k, S) memcpy(q[k] + i * (S), &v, sizeof v);
/* one element of a loop with NIN inputs and NOUT outputs; S(k): stride k */
#define CW_ME_2_2(FN, S, A, B, C, D)                                          \
    { CW_CT_##A a; CW_CT_##B b; CW_CT_##C c; CW_CT_##D d;                     \
      CW_MLD(a, 0, S(0, A)) CW_MLD(b, 1, S(1, B)) FN(a, b, &c, &d);           \
      CW_MST(c, 2, S(2, C)) CW_MST(d, 3, S(3, D)) }
#define CW_ME_1_2(FN, S, A, B, C, D)                                          \
    { CW_CT_##A a; CW_CT_##B b; CW_CT_##C c;                                  \
      CW_MLD(a, 0, S(0, A)) FN(a, &b, &c); CW_MST(b, 1, S(1, B)) CW_MST(c, 2, S(2, C)) }
#define CW_ME_2_1(FN, S, A, B, C, D)                                          \
    { CW_CT_##A a; CW_CT_##B b; CW_CT_##C c;                                  \
      CW_MLD(a, 0, S(0, A)) CW_MLD(b, 1, S(1, B)) FN(a, b, &c); CW_MST(c, 2, S(2, C)) }
#define CW_MS_STRIDED(k, T) s[k]
#define CW_MS_CONTIG(k, T) (ptrdiff_t)sizeof(CW_CT_##T)
#define CW_MLOOP(NAME, FN, NIN, NOUT, A, B, C, D)                             \
    CW_DISPATCH static void cw_mk_##FN(ptrdiff_t n, char *const *p,           \
                                       const ptrdiff_t *s)                    \
    {                                                                         \
        int contig = 1;                                                       \
        static const int sz[4] = { CW_MSZ_##A, CW_MSZ_##B, CW_MSZ_##C, CW_MSZ_##D }; \
        /* the pointers in locals: a char store may alias p[], which would  \
         * otherwise be reloaded every element (and nothing vectorised) */   \
        char *const q[4] = { p[0], p[1], p[2], (NIN) + (NOUT) > 3 ? p[3] : NULL }; \
        for (int k = 0; k < (NIN) + (NOUT); k++)                              \
            contig &= s[k] == sz[k];                                          \
        if (contig) {                                                         \
            for (ptrdiff_t i = 0; i < n; i++)                                 \
                CW_ME_##NIN##_##NOUT(FN, CW_MS_CONTIG, A, B, C, D)           \
        } else {                                                              \
            for (ptrdiff_t i = 0; i < n; i++)                                 \
                CW_ME_##NIN##_##NOUT(FN, CW_MS_STRIDED, A, B, C, D)          \
        }                                                                     \
    }
#define CW_MSZ_f32 4
#define CW_MSZ_f64 8
#define CW_MSZ_i32 4
#define CW_MSZ_i64 8
#define CW_MSZ_none 0
#include "ops.def"

typedef struct {
    cw_mloop_info info;
    cw_mkernel_fn k;
} cw_mloop_entry;

static const cw_mloop_entry cw_mloops[] = {
#define CW_MLOOP(NAME, FN, NIN, NOUT, A, B, C, D)                             \
    { { #NAME, (NIN) + (NOUT), { CW_CODE_##A, CW_CODE_##B, CW_CODE_##C, CW_CODE_##D } }, \
      cw_mk_##FN },
#include "ops.def"
};

#define CW_NMLOOPS ((int)(sizeof cw_mloops / sizeof cw_mloops[0]))

int cw_mloop_count(void) { return CW_NMLOOPS; }

const cw_mloop_info *cw_mloop_get(int loop)
{
    return (loop >= 0 && loop < CW_NMLOOPS) ? &cw_mloops[loop].info : NULL;
}

/* ---- hand-vectorised loops ------------------------------------------------------ */

/* A row's loop for one dtype may be a hand-vectorised form of the same
 * element function: CW_OWN_<name>_<suf> names it (as `~, fn,`), the
 * descriptor table takes it instead of the generated loop, and the
 * generated loop stays the fallback for CPUs it has no form for. */
static int cw_kv_tanh_f32(ptrdiff_t n, const char *x, const char *y, char *z)
{
    cw_f32_loop f = cw_vtanhf_pick(NULL);
    return f ? f(n, (const float *)x, (float *)z) : cw_k_tanh_f32(n, x, y, z);
}
#define CW_OWN_tanh_f32 ~, cw_kv_tanh_f32,

/* float64 and float32 rows that corewise's own vector math (csrc/vmath/) can compute:
 * correctly rounded, bitwise the same on every ISA, exact FP flags.  It is
 * opt-in (COREWISE_VMATH=own, cw_set_vmath; README, "Accuracy contract"):
 * until it is as fast as libmvec, the default stays the generated libmvec
 * loop.  The own loops' flags are exact (CW_K_FLAGS_EXACT: no flag pass
 * after them; log of an array of half zeros ran twice before); the flag
 * pass, for callers that run it, follows the same switch: with the own
 * code it re-runs the own loop, with libmvec it is the scalar libm pass. */
#define CW_VM_OWN_T(NAME, SUF, T, VM)                                         \
    static int cw_kv_##NAME##_##SUF(ptrdiff_t n, const char *x, const char *y, char *z) \
    {                                                                         \
        if (!cw_vm_own_on())                                                  \
            return CW_VM_MVEC_##NAME(cw_k_##NAME##_##SUF(n, x, y, z), SUF, T); \
        VM(n, (const T *)x, (T *)z);                                          \
        return CW_K_FLAGS_EXACT;                                              \
    }                                                                         \
    static void cw_cv_##NAME##_##SUF(ptrdiff_t n, const char *x, ptrdiff_t xs, \
                                     const char *y, ptrdiff_t ys, const char *z) \
    {                                                                         \
        if (!cw_vm_own_on()) {                                                \
            cw_c_##NAME##_##SUF(n, x, xs, y, ys, z);                          \
            return;                                                           \
        }                                                                     \
        T a[256], r[256];                                                     \
        for (ptrdiff_t off = 0; off < n; off += 256) {                        \
            ptrdiff_t k = n - off < 256 ? n - off : 256;                      \
            for (ptrdiff_t i = 0; i < k; i++)                                 \
                memcpy(&a[i], x + (off + i) * xs, sizeof(T));                 \
            VM(k, a, r);                                                      \
        }                                                                     \
    }
/* the libmvec branch: the loop's status; sin, cos and tan get their huge
 * lanes from csrc/vmath/trig.c (libmvec's reduction is off by up to 1.4e5
 * ULP there; the inputs never alias z where a flag pass follows, call()) */
#define CW_VM_MVEC_exp(R, SUF, T) (R)
#define CW_VM_MVEC_exp2(R, SUF, T) (R)
#define CW_VM_MVEC_log(R, SUF, T) (R)
#define CW_VM_MVEC_log2(R, SUF, T) (R)
#define CW_VM_MVEC_log10(R, SUF, T) (R)
#define CW_VM_MVEC_sin(K, SUF, T) cw_mvec_trig_##SUF(cw_k_sin_##SUF, n, x, y, z, 0)
#define CW_VM_MVEC_cos(K, SUF, T) cw_mvec_trig_##SUF(cw_k_cos_##SUF, n, x, y, z, 1)
#define CW_VM_MVEC_tan(K, SUF, T) cw_mvec_trig_##SUF(cw_k_tan_##SUF, n, x, y, z, 2)
/* no huge lane (the rule): the libmvec loop; else by pieces whose huge
 * lanes the libmvec loop sees as 0 (glibc's slow reduction of them, ~60 ns
 * each, would be thrown away) and trig.c then computes from a copy of the
 * piece (z may be x: the block interpreter's registers, csrc/interp.c,
 * which runs its own loops through these too; cw_loops.h) */
#define CW_MVEC_TRIG(SUF, T, SCAN, HI, HUGE, INF, FIX)                        \
    int cw_mvec_trig_##SUF(cw_kernel_fn k, ptrdiff_t n, const char *x, const char *y, \
                           char *z, int fn)                                   \
    {                                                                         \
        if (!SCAN(n, (const T *)x))                                           \
            return k(n, x, y, z);                                             \
        int r = 0;                                                            \
        T buf[512], orig[512];                                                \
        for (ptrdiff_t off = 0; off < n; off += 512) {                        \
            const ptrdiff_t m = n - off < 512 ? n - off : 512;                \
            memcpy(orig, (const T *)x + off, (size_t)m * sizeof(T));          \
            for (ptrdiff_t i = 0; i < m; i++)                                 \
                buf[i] = HI(orig[i]) >= (HUGE) && HI(orig[i]) < (INF) ? (T)0 : orig[i]; \
            r |= k(m, (const char *)buf, y, z + off * (ptrdiff_t)sizeof(T));  \
            FIX(m, orig, (T *)z + off, fn);                                   \
        }                                                                     \
        return r;                                                             \
    }
/* corewise.evaluate's fused loops test the same bound (csrc/cw_eval.h) */
_Static_assert(CW_E_TRIG_HUGE64 == CW_VM_HUGE64 && CW_E_TRIG_HUGE32 == CW_VM_HUGE32,
               "cw_eval.h and vmath.h disagree on the huge trig arguments");
CW_MVEC_TRIG(f64, double, cw_vm_trig_huge_scan, cw_vm_trig_hi64, CW_VM_HUGE64, 0x7ff00000, cw_vm_trig_huge)
CW_MVEC_TRIG(f32, float, cw_vm_trig_hugef_scan, cw_vm_trig_hi32, CW_VM_HUGE32, 0x7f800000, cw_vm_trig_hugef)
#define CW_VM_OWN(NAME)                                                       \
    CW_VM_OWN_T(NAME, f64, double, cw_vm_##NAME)                              \
    CW_VM_OWN_T(NAME, f32, float, cw_vm_##NAME##f)
CW_VM_OWN(exp) CW_VM_OWN(exp2) CW_VM_OWN(log) CW_VM_OWN(log2) CW_VM_OWN(log10)
CW_VM_OWN(sin) CW_VM_OWN(cos) CW_VM_OWN(tan)
#define CW_OWN_exp_f64 ~, cw_kv_exp_f64,
#define CW_OWN_exp2_f64 ~, cw_kv_exp2_f64,
#define CW_OWN_log_f64 ~, cw_kv_log_f64,
#define CW_OWN_log2_f64 ~, cw_kv_log2_f64,
#define CW_OWN_log10_f64 ~, cw_kv_log10_f64,
#define CW_OWN_exp_f32 ~, cw_kv_exp_f32,
#define CW_OWN_exp2_f32 ~, cw_kv_exp2_f32,
#define CW_OWN_log_f32 ~, cw_kv_log_f32,
#define CW_OWN_log2_f32 ~, cw_kv_log2_f32,
#define CW_OWN_log10_f32 ~, cw_kv_log10_f32,
#define CW_OWN_sin_f64 ~, cw_kv_sin_f64,
#define CW_OWN_sin_f32 ~, cw_kv_sin_f32,
#define CW_OWN_cos_f64 ~, cw_kv_cos_f64,
#define CW_OWN_cos_f32 ~, cw_kv_cos_f32,
#define CW_OWN_tan_f64 ~, cw_kv_tan_f64,
#define CW_OWN_tan_f32 ~, cw_kv_tan_f32,
#define CW_VCHK_exp_f64 ~, 1 ? cw_cv_exp_f64 :,
#define CW_VCHK_exp2_f64 ~, 1 ? cw_cv_exp2_f64 :,
#define CW_VCHK_log_f64 ~, 1 ? cw_cv_log_f64 :,
#define CW_VCHK_log2_f64 ~, 1 ? cw_cv_log2_f64 :,
#define CW_VCHK_log10_f64 ~, 1 ? cw_cv_log10_f64 :,
#define CW_VCHK_exp_f32 ~, 1 ? cw_cv_exp_f32 :,
#define CW_VCHK_exp2_f32 ~, 1 ? cw_cv_exp2_f32 :,
#define CW_VCHK_log_f32 ~, 1 ? cw_cv_log_f32 :,
#define CW_VCHK_log2_f32 ~, 1 ? cw_cv_log2_f32 :,
#define CW_VCHK_log10_f32 ~, 1 ? cw_cv_log10_f32 :,
#define CW_VCHK_sin_f64 ~, 1 ? cw_cv_sin_f64 :,
#define CW_VCHK_sin_f32 ~, 1 ? cw_cv_sin_f32 :,
#define CW_VCHK_cos_f64 ~, 1 ? cw_cv_cos_f64 :,
#define CW_VCHK_cos_f32 ~, 1 ? cw_cv_cos_f32 :,
#define CW_VCHK_tan_f64 ~, 1 ? cw_cv_tan_f64 :,
#define CW_VCHK_tan_f32 ~, 1 ? cw_cv_tan_f32 :,
/* hypot: the vector loops are corewise's (glibc's arithmetic, cw_natives.h);
 * the flag pass is libm's own hypot/hypotf, whose flags are NumPy's */
#define CW_LIBM_CHECK(FN, SUF, T, LIBM) CW_FLAG_PASS(FN, SUF, T, LIBM(a, b))
CW_LIBM_CHECK(cw_cl_hypot_f64, f64, double, hypot)
CW_LIBM_CHECK(cw_cl_hypot_f32, f32, float, hypotf)
#define CW_VCHK_hypot_f64 ~, 1 ? cw_cl_hypot_f64 :,
#define CW_VCHK_hypot_f32 ~, 1 ? cw_cl_hypot_f32 :,
#define CW_KFN(NAME, SUF) CW_2ND(CW_OWN_##NAME##_##SUF, cw_k_##NAME##_##SUF, ~)

/* ---- the descriptor table ------------------------------------------------------ */

#define CW_NOLOOPS { { NULL, NULL, NULL }, 0, 0, NULL, 0 }
#define CW_L1(NAME, SUF, T, O, ...)                                           \
    { { CW_KFN(NAME, SUF), NULL, NULL }, sizeof(T), sizeof(O), __VA_ARGS__ NULL, 0 }
#define CW_L2(NAME, SUF, T, O, ...)                                           \
    { { cw_k_##NAME##_##SUF, cw_ks_##NAME##_##SUF, cw_kt_##NAME##_##SUF },    \
      sizeof(T), sizeof(O), __VA_ARGS__ NULL, 0 }
/* the flag pass of a float loop, for CW_VMATH rows */
#define CW_CHK_(FPE, NAME, SUF) (FPE) == CW_VMATH ? cw_c_##NAME##_##SUF :
#define CW_CHK(FPE, NAME, SUF) CW_2ND(CW_VCHK_##NAME##_##SUF, CW_CHK_(FPE, NAME, SUF), ~)
#define CW_INTL(EI, L, NAME) CW_CAT(CW_INTL_, CW_HAS_INT(EI))(L, NAME)
#define CW_INTL_0(L, NAME) CW_NOLOOPS, CW_NOLOOPS
#define CW_INTL_1(L, NAME)                                                    \
    L(NAME, i32, int32_t, int32_t), L(NAME, i64, int64_t, int64_t)

static const cw_op_entry cw_ops[] = {
#define CW_UNARY(NAME, E64, E32, EI, COST, ULP64, ULP32, FPE, DOC)            \
    { { #NAME, DOC, 1, 1, COST, ULP64, ULP32, CW_HAS_INT(EI), 0, FPE,         \
        CW_KUNARY, 1, CW_INT_FLAGS(EI) },                                     \
      { CW_L1(NAME, f32, float, float, CW_CHK(FPE, NAME, f32)),                \
        CW_L1(NAME, f64, double, double, CW_CHK(FPE, NAME, f64)),             \
        CW_INTL(EI, CW_L1, NAME) } },
#define CW_BINARY(NAME, E64, E32, EI, COST, ULP64, ULP32, FPE, DOC)           \
    { { #NAME, DOC, 2, 1, COST, ULP64, ULP32, CW_HAS_INT(EI), 0, FPE,         \
        CW_KBINARY, 1, CW_INT_FLAGS(EI) },                                    \
      { CW_L2(NAME, f32, float, float, CW_CHK(FPE, NAME, f32)),                \
        CW_L2(NAME, f64, double, double, CW_CHK(FPE, NAME, f64)),             \
        CW_INTL(EI, CW_L2, NAME) } },
#define CW_PREDICATE(NAME, E64, E32, COST, DOC)                               \
    { { #NAME, DOC, 1, 1, COST, 0, 0, 0, 1, CW_QUIET, CW_KPREDICATE, 1, 0 },  \
      { CW_L1(NAME, f32, float, uint8_t), CW_L1(NAME, f64, double, uint8_t),  \
        CW_NOLOOPS, CW_NOLOOPS } },
#define CW_COMPARE(NAME, EF, EI, COST, DOC)                                   \
    { { #NAME, DOC, 2, 1, COST, 0, 0, 1, 1, CW_QUIET, CW_KCOMPARE, 1, 0 },    \
      { CW_L2(NAME, f32, float, uint8_t), CW_L2(NAME, f64, double, uint8_t),  \
        CW_L2(NAME, i32, int32_t, uint8_t), CW_L2(NAME, i64, int64_t, uint8_t) } },
#define CW_L_1 CW_L1
#define CW_L_2 CW_L2
#define CW_INTOP(NAME, NIN, EI, COST, FPE, DOC)                               \
    { { #NAME, DOC, NIN, 1, COST, 0, 0, 1, 0, FPE, CW_KINTOP, 0, CW_INT_FLAGS(EI) }, \
      { CW_NOLOOPS, CW_NOLOOPS, CW_CAT(CW_L_, NIN)(NAME, i32, int32_t, int32_t), \
        CW_CAT(CW_L_, NIN)(NAME, i64, int64_t, int64_t) } },
#define CW_LOGICAL(NAME, NIN, EF, EI, DOC)                                    \
    { { #NAME, DOC, NIN, 1, 1, 0, 0, 1, 1, CW_QUIET, CW_KLOGICAL, 1, CW_INT_FLAGS(EI) }, \
      { CW_CAT(CW_L_, NIN)(NAME, f32, float, uint8_t),                       \
        CW_CAT(CW_L_, NIN)(NAME, f64, double, uint8_t),                      \
        CW_CAT(CW_L_, NIN)(NAME, i32, int32_t, uint8_t),                     \
        CW_CAT(CW_L_, NIN)(NAME, i64, int64_t, uint8_t) } },
#define CW_NUMPY(NAME, NIN, NOUT, DOC)                                        \
    { { #NAME, DOC, NIN, NOUT, 1, 0, 0, 0, 0, CW_QUIET, CW_KNUMPY, 0, 0 },   \
      { CW_NOLOOPS, CW_NOLOOPS, CW_NOLOOPS, CW_NOLOOPS } },
#define CW_MULTI(NAME, NIN, NOUT, EI, COST, FPE, DOC)                         \
    { { #NAME, DOC, NIN, NOUT, COST, 0, 0, CW_HAS_INT(EI), 0, FPE, CW_KMULTI, 1, \
        CW_INT_FLAGS(EI) },                                                   \
      { CW_NOLOOPS, CW_NOLOOPS, CW_NOLOOPS, CW_NOLOOPS } },
#include "ops.def"
};

#define CW_NOPS ((int)(sizeof cw_ops / sizeof cw_ops[0]))

int cw_op_count(void) { return CW_NOPS; }

const cw_op_info *cw_op_get(int op)
{
    return (op >= 0 && op < CW_NOPS) ? &cw_ops[op].info : NULL;
}

static const char *const cw_aliases[][2] = {
#define CW_ALIAS(ALIAS, NAME) { #ALIAS, #NAME },
#include "ops.def"
};

int cw_alias_count(void) { return (int)(sizeof cw_aliases / sizeof cw_aliases[0]); }

const char *cw_alias_get(int i, int target)
{
    if (i < 0 || i >= cw_alias_count())
        return NULL;
    return cw_aliases[i][target ? 1 : 0];
}

/* ---- drivers ------------------------------------------------------------ */

/* Strided runs go through small contiguous buffers (gather, the same
 * vector kernel, scatter), so they compute every element exactly as the
 * contiguous path does.  CW_BUF is a multiple of CW_BLK. */
#define CW_BUF 512

static void gather(char *dst, const char *src, ptrdiff_t s, ptrdiff_t n, ptrdiff_t sz)
{
    switch (sz) {
    case 8: for (ptrdiff_t i = 0; i < n; i++) memcpy(dst + 8 * i, src + i * s, 8); break;
    case 4: for (ptrdiff_t i = 0; i < n; i++) memcpy(dst + 4 * i, src + i * s, 4); break;
    default: for (ptrdiff_t i = 0; i < n; i++) memcpy(dst + sz * i, src + i * s, (size_t)sz);
    }
}

static void scatter(char *dst, ptrdiff_t s, const char *src, ptrdiff_t n, ptrdiff_t sz)
{
    switch (sz) {
    case 8: for (ptrdiff_t i = 0; i < n; i++) memcpy(dst + i * s, src + 8 * i, 8); break;
    case 4: for (ptrdiff_t i = 0; i < n; i++) memcpy(dst + i * s, src + 4 * i, 4); break;
    case 1: for (ptrdiff_t i = 0; i < n; i++) dst[i * s] = src[i]; break;
    default: for (ptrdiff_t i = 0; i < n; i++) memcpy(dst + i * s, src + sz * i, (size_t)sz);
    }
}

/* Elements per flag test of a CW_VMATH row: a stretch whose vector code
 * raised an FP flag or wrote an inf or NaN goes through the scalar pass,
 * which calls libm for the elements whose output is not an ordinary number
 * (cw_flag_suspect_f64); the test itself (two fenv calls) is noise at this
 * size. */
#define CW_FPE_STRETCH 8192

static int cw_flag_filter = 1;
int cw_set_flag_filter(int on)
{
    return __atomic_exchange_n(&cw_flag_filter, on ? 1 : 0, __ATOMIC_RELAXED);
}

/* Run a kernel; for a CW_VMATH row whose vector code raised any FP flag,
 * re-derive the flags with the scalar pass (flags raised before, by other
 * stretches of this block, are kept).  The inputs must not alias z. */
static void call(const cw_loops *L, int mode, ptrdiff_t m, const char *px,
                 const char *py, char *pz)
{
    if (!L->check) {
        L->k[mode](m, px, py, pz);
        return;
    }
    const ptrdiff_t xs = mode == CW_SV ? 0 : L->isize, ys = mode == CW_VS ? 0 : L->isize;
    int prev = fetestexcept(CW_FE_REPORTED);
    for (ptrdiff_t off = 0; off < m; off += CW_FPE_STRETCH) {
        ptrdiff_t k = m - off < CW_FPE_STRETCH ? m - off : CW_FPE_STRETCH;
        const char *qx = px + off * xs, *qy = py ? py + off * ys : NULL;
        cw_fe_clear();
        /* libmvec may also miss a flag (pow(0, -inf) raises no
         * divide-by-zero); every missed divide/overflow/invalid leaves an
         * inf or NaN behind, which the kernel reports. */
        int bad = L->k[mode](k, qx, qy, pz + off * L->osize);
        if (bad == CW_K_FLAGS_EXACT) {
            prev |= fetestexcept(CW_FE_REPORTED);
            continue;
        }
        if (bad || fetestexcept(CW_FE_REPORTED)) {
            feclearexcept(CW_FE_REPORTED);
            L->check(k, qx, xs, qy, ys,
                     __atomic_load_n(&cw_flag_filter, __ATOMIC_RELAXED) ? pz + off * L->osize
                                                                        : NULL);
            prev |= fetestexcept(CW_FE_REPORTED);
        }
    }
    /* what the last stretch left set is part of prev */
    if (prev)
        feraiseexcept(prev);
}

/* Is p a multiple of the item size?  NumPy arrays may be unaligned (a view
 * at an odd byte offset of a buffer); typed loads from them are undefined
 * behaviour and vectorised loops may fault (found by UBSan, `make asan`),
 * so such runs go through the buffers, which are filled with memcpy. */
#define CW_ALIGNED(p, isz) (((uintptr_t)(p) & (uintptr_t)((isz) - 1)) == 0)

/* One 1-D run of n elements with byte strides (y unused when nin == 1). */
static void run1(const cw_loops *L, int nin, ptrdiff_t n, const char *x,
                 ptrdiff_t xs, const char *y, ptrdiff_t ys, char *z, ptrdiff_t zs)
{
    const ptrdiff_t isz = L->isize, osz = L->osize;
    const int unal = !CW_ALIGNED(x, isz) || (nin == 2 && !CW_ALIGNED(y, isz))
                     || !CW_ALIGNED(z, osz);
    const int xc = xs == isz && !unal, x0 = xs == 0 && !unal;
    const int yc = nin < 2 || (ys == isz && !unal), y0 = nin == 2 && ys == 0 && !unal;
    /* in place with a flag pass: the inputs go through buffers */
    const int alias = L->check && (z == x || (nin == 2 && z == y));
    if (zs == osz && !alias && !unal) {
        if (xc && yc) {
            call(L, CW_VV, n, x, nin == 2 ? y : NULL, z);
            return;
        }
        if (x0 && yc && nin == 2) {
            call(L, CW_SV, n, x, y, z);
            return;
        }
        if (xc && y0) {
            call(L, CW_VS, n, x, y, z);
            return;
        }
    }
    _Alignas(64) char bx[CW_BUF * CW_MAX_ITEM], by[CW_BUF * CW_MAX_ITEM], bz[CW_BUF * CW_MAX_ITEM];
    /* A zero-stride operand stays a scalar (unless both are). */
    int mode = (x0 && nin == 2 && !y0) ? CW_SV : (y0 && !x0) ? CW_VS : CW_VV;
    for (ptrdiff_t off = 0; off < n; off += CW_BUF) {
        ptrdiff_t m = n - off < CW_BUF ? n - off : CW_BUF;
        const char *px = x + off * xs, *py = nin == 2 ? y + off * ys : NULL;
        if (mode != CW_SV && (!xc || alias)) {
            gather(bx, px, xs, m, isz);
            px = bx;
        }
        if (nin == 2 && mode != CW_VS && (!yc || alias)) {
            gather(by, py, ys, m, isz);
            py = by;
        }
        char *pz = zs == osz && !unal ? z + off * zs : bz;
        call(L, mode, m, px, py, pz);
        if (pz == bz)
            scatter(z + off * zs, zs, bz, m, osz);
    }
}

typedef struct {
    const cw_loops *L;
    int nin, ndim;
    const ptrdiff_t *shape;
    const char *x, *y;
    char *z;
    const ptrdiff_t *xs, *ys, *zs;   /* byte strides (ys NULL when nin == 1) */
} nd_ctx;

/* Elements [lo, hi) of the C-order flattening of the iteration space. */
static void nd_block(ptrdiff_t lo, ptrdiff_t hi, void *vctx)
{
    const nd_ctx *c = (const nd_ctx *)vctx;
    const int last = c->ndim - 1;
    if (last == 0) {  /* 1-D (every contiguous call): no index arithmetic */
        run1(c->L, c->nin, hi - lo, c->x + lo * c->xs[0], c->xs[0],
             c->nin == 2 ? c->y + lo * c->ys[0] : NULL, c->nin == 2 ? c->ys[0] : 0,
             c->z + lo * c->zs[0], c->zs[0]);
        return;
    }
    cw_iter it;
    cw_iter_init(&it, c->ndim, c->shape, lo, hi);
    for (ptrdiff_t cnt; (cnt = cw_iter_run(&it)) > 0; cw_iter_next(&it, cnt))
        run1(c->L, c->nin, cnt, c->x + cw_iter_offset(&it, c->xs), c->xs[last],
             c->nin == 2 ? c->y + cw_iter_offset(&it, c->ys) : NULL,
             c->nin == 2 ? c->ys[last] : 0,
             c->z + cw_iter_offset(&it, c->zs), c->zs[last]);
}

static int lookup(int op, int nin, int dtype, const cw_loops **L)
{
    if (op < 0 || op >= CW_NOPS || cw_ops[op].info.nin != nin)
        return CW_EOP;
    if (dtype == CW_C64 || dtype == CW_C128) {  /* complex.c's loops of the row */
        *L = cw_complex_loops(cw_ops[op].info.name, dtype);
        return *L ? CW_OK : CW_EDTYPE;
    }
    if (dtype < 0 || dtype >= CW_NDTYPES || !cw_ops[op].loops[dtype].k[0])
        return CW_EDTYPE;
    *L = &cw_ops[op].loops[dtype];
    return CW_OK;
}

/* The FP flags an op reports: none for the CW_QUIET rows (a complex loop
 * may have its own policy: cw_loops.fpe). */
static int fpe_filter(int op, const cw_loops *L, int flags)
{
    int fpe = L->fpe ? L->fpe - 1 : cw_ops[op].info.fpe;
    return fpe == CW_QUIET ? 0 : flags;
}

static int overlaps(const char *a, ptrdiff_t abytes, const char *b, ptrdiff_t bbytes)
{
    uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;
    return pa != pb && pa < pb + (uintptr_t)bbytes && pb < pa + (uintptr_t)abytes;
}

static int run_nd(int op, int dtype, int nin, int ndim, const ptrdiff_t *shape,
                  const char *x, const ptrdiff_t *xs, const char *y,
                  const ptrdiff_t *ys, char *z, const ptrdiff_t *zs)
{
    const cw_loops *L;
    int rc = lookup(op, nin, dtype, &L);
    if (rc != CW_OK)
        return rc;
    ptrdiff_t n;
    if ((rc = cw_shape_size(ndim, shape, &n)) != CW_OK)
        return rc;
    if (n == 0)
        return CW_OK;
    if (!x || !z || (nin == 2 && !y))
        return CW_ENULL;
    nd_ctx c = { L, nin, ndim, shape, x, y, z, xs, ys, zs };
    return fpe_filter(op, L, cw_parallel_run(n, cw_ops[op].info.cost, nd_block, &c));
}

int cw_unary_contig(int op, int dtype, ptrdiff_t n, const char *x, char *y)
{
    const cw_loops *L;
    int rc = lookup(op, 1, dtype, &L);
    if (rc != CW_OK)
        return rc;
    if (n < 0)
        return CW_ESHAPE;
    if (n == 0)
        return CW_OK;
    if (!x || !y)
        return CW_ENULL;
    /* Partial overlap would make the result depend on the schedule. */
    if (overlaps(x, n * L->isize, y, n * L->osize))
        return CW_EOVERLAP;
    ptrdiff_t xs = L->isize, ys = L->osize;
    return run_nd(op, dtype, 1, 1, &n, x, &xs, NULL, NULL, y, &ys);
}

int cw_unary_strided(int op, int dtype, int ndim, const ptrdiff_t *shape,
                     const char *x, const ptrdiff_t *xstrides,
                     char *y, const ptrdiff_t *ystrides)
{
    return run_nd(op, dtype, 1, ndim, shape, x, xstrides, NULL, NULL, y, ystrides);
}

int cw_binary_contig(int op, int dtype, ptrdiff_t n, const void *vx, ptrdiff_t xs,
                     const void *vy, ptrdiff_t ys, char *z)
{
    const cw_loops *L;
    const char *x = (const char *)vx, *y = (const char *)vy;
    int rc = lookup(op, 2, dtype, &L);
    if (rc != CW_OK)
        return rc;
    if (n < 0)
        return CW_ESHAPE;
    if (n == 0)
        return CW_OK;
    if (!x || !y || !z)
        return CW_ENULL;
    if ((xs != 0 && xs != L->isize) || (ys != 0 && ys != L->isize))
        return CW_ESHAPE;
    if (overlaps(x, xs ? n * xs : L->isize, z, n * L->osize)
        || overlaps(y, ys ? n * ys : L->isize, z, n * L->osize))
        return CW_EOVERLAP;
    ptrdiff_t zs = L->osize;
    return run_nd(op, dtype, 2, 1, &n, x, &xs, y, &ys, z, &zs);
}

int cw_binary_strided(int op, int dtype, int ndim, const ptrdiff_t *shape,
                      const char *x, const ptrdiff_t *xstrides,
                      const char *y, const ptrdiff_t *ystrides,
                      char *z, const ptrdiff_t *zstrides)
{
    return run_nd(op, dtype, 2, ndim, shape, x, xstrides, y, ystrides, z, zstrides);
}

/* ---- the CW_MULTI driver ------------------------------------------------------ */

typedef struct {
    cw_mkernel_fn k;
    int nops, ndim;
    const ptrdiff_t *shape;
    char *const *p;
    const ptrdiff_t *s;   /* nops * ndim byte strides, operand-major */
} md_ctx;

/* Elements [lo, hi) of the C-order flattening, one run at a time. */
static void md_block(ptrdiff_t lo, ptrdiff_t hi, void *vctx)
{
    const md_ctx *c = (const md_ctx *)vctx;
    const int last = c->ndim - 1;
    char *q[4];
    ptrdiff_t st[4];
    cw_iter it;
    cw_iter_init(&it, c->ndim, c->shape, lo, hi);
    for (int k = 0; k < c->nops; k++)
        st[k] = c->s[k * c->ndim + last];
    for (ptrdiff_t cnt; (cnt = cw_iter_run(&it)) > 0; cw_iter_next(&it, cnt)) {
        for (int k = 0; k < c->nops; k++)
            q[k] = c->p[k] + cw_iter_offset(&it, c->s + k * c->ndim);
        c->k(cnt, q, st);
    }
}

int cw_multi_strided(int op, int loop, int ndim, const ptrdiff_t *shape,
                     char *const *ptrs, const ptrdiff_t *strides)
{
    if (op < 0 || op >= CW_NOPS || cw_ops[op].info.kind != CW_KMULTI
        || loop < 0 || loop >= CW_NMLOOPS
        || strcmp(cw_mloops[loop].info.name, cw_ops[op].info.name) != 0)
        return CW_EOP;
    ptrdiff_t n;
    int rc = cw_shape_size(ndim, shape, &n);
    if (rc != CW_OK)
        return rc;
    if (n == 0)
        return CW_OK;
    const int nops = cw_mloops[loop].info.nops;
    if (!ptrs || !strides)
        return CW_ENULL;
    for (int k = 0; k < nops; k++)
        if (!ptrs[k])
            return CW_ENULL;
    md_ctx c = { cw_mloops[loop].k, nops, ndim, shape, ptrs, strides };
    int flags = cw_parallel_run(n, cw_ops[op].info.cost, md_block, &c);
    return cw_ops[op].info.fpe == CW_QUIET ? 0 : flags;
}
