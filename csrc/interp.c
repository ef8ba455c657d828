/* The block interpreter of corewise.evaluate: the compiler-free path
 * (pkg/_interp.py builds its programs).
 *
 * An expression that cannot be compiled at run time (no C compiler, or
 * COREWISE_EVAL=interp) runs here as a small register program over
 * cache-sized blocks, the method of numexpr's virtual machine (numexpr's
 * interpreter.cpp, read for the idea; no code copied): the flat iteration
 * space is cut into blocks of `block` elements; the parallel driver
 * (cw_parallel_run, runtime.c) hands runs of whole blocks to the threads; for one
 * block every instruction runs its loop over the block's elements, reading
 * and writing registers of `block` elements that stay in the cache, so no
 * temporary has the size of the array.
 *
 * The instruction set is the set of operations the JIT's generated C uses
 * (pkg/_evaluate.py, Plan), one loop each, with the same element code:
 * casts between the 11 dtypes, C's arithmetic with wrap-around (written in
 * unsigned arithmetic, the same bits as the JIT's -fwrapv), the quiet float
 * comparisons (cw_eval.h's quiet forms), the helpers of cw_eval.h (remainder,
 * the powers, the exact
 * uint64/int64 comparison), where(), and the table's scalar element
 * functions (cw_scalar.h from ops.def) for float32/float64.  Built like the
 * JIT's contiguous loops (CW_DISPATCH target clones, no FMA contraction,
 * tanhf as in the JIT), so an element's result is the JIT's.
 *
 * Registers: 0 .. nin-1 are the inputs (a contiguous operand's register is
 * the array itself at the block's offset; a size-1 operand is broadcast into
 * a buffer; a strided one is gathered through cw_iter.h), nin .. nregs-1
 * scratch buffers on the thread's stack; the destination -1 is the output
 * (the array itself when contiguous, else a buffer scattered back).  The
 * caller allocates registers so that no instruction's destination is one of
 * its sources, unless both have the same dtype. */
#pragma GCC optimize("fp-contract=off")
/* cw_eval.h is written for signed and unsigned T alike */
#pragma GCC diagnostic ignored "-Wtype-limits"
#define CW_EVAL_JIT 1   /* cw_tanhf.h: tanhf, as in the JIT's modules */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
#include "cw_internal.h"
#include "cw_scalar.h"
#include "cw_eval.h"
#include "cw_iter.h"
#include "cw_loops.h"
#include "vmath/vmath.h"

/* Bounds (also pkg/_interp.py's): registers of a program; elements of all
 * of one thread's buffers together (8 bytes each: 256 KiB of stack). */
#define CW_I_MAX_REGS 2048
#define CW_I_MAX_SCRATCH 32768

typedef void (*cw_i_fn)(ptrdiff_t n, char *d, const char *a, const char *b,
                        const char *c, cw_e_err *err);

/* ---- the instruction loops ------------------------------------------------
 * Each family is written once as a macro of M: M = CW_I_DEF defines the loop
 * functions, M = CW_I_ENTRY lists them in the name table. */
/* Every element goes through the same vector code, whatever its position
 * in a block, the block size or the thread count (as kernels.c's loops,
 * CW_BLK): whole runs of CW_E_BLK with a constant trip count, the last
 * partial run padded with copies of its first element (which raise no new
 * FP flag) -- a scalar remainder loop would call scalar libm, whose last
 * bit may differ from libmvec's.  The JIT's loops do the same (pkg/_cgen.py),
 * so an element's result is the JIT's. */
#define CW_I_RUNS(TO, LOAD, PAD, EXPR)                                         \
    ptrdiff_t i0 = 0;                                                          \
    for (; i0 + CW_E_BLK <= n; i0 += CW_E_BLK) {                               \
        _Pragma("GCC ivdep")                                                   \
        for (int j = 0; j < CW_E_BLK; j++) {                                   \
            const ptrdiff_t i = i0 + j;                                        \
            LOAD                                                               \
            d[i] = (TO)(EXPR);                                                 \
        }                                                                      \
    }                                                                          \
    if (i0 < n) {                                                              \
        const ptrdiff_t r = n - i0;                                            \
        TO pd[CW_E_BLK];                                                       \
        PAD                                                                    \
        _Pragma("GCC ivdep")                                                   \
        for (int i = 0; i < CW_E_BLK; i++) {                                   \
            LOAD                                                               \
            pd[i] = (TO)(EXPR);                                                \
        }                                                                      \
        memcpy(d + i0, pd, (size_t)r * sizeof(TO));                            \
    }
#define CW_I_PAD(T, V)                                                         \
    T V##p_[CW_E_BLK];                                                         \
    for (int j = 0; j < CW_E_BLK; j++)                                         \
        V##p_[j] = V[i0 + (j < r ? j : 0)];                                    \
    V = V##p_;
#define CW_I_DEF1(NAME, TO, TA, EXPR)                                          \
    CW_DISPATCH static void cwi_##NAME(ptrdiff_t n, char *d_, const char *a_,  \
                                       const char *b_, const char *c_, cw_e_err *err) \
    {                                                                          \
        TO *d = (TO *)d_;                                                      \
        const TA *a = (const TA *)a_;                                          \
        (void)b_; (void)c_; (void)err;                                         \
        CW_I_RUNS(TO, TA x = a[i];, CW_I_PAD(TA, a), EXPR)                     \
    }
#define CW_I_DEF2(NAME, TO, TA, TB, EXPR)                                      \
    CW_DISPATCH static void cwi_##NAME(ptrdiff_t n, char *d_, const char *a_,  \
                                       const char *b_, const char *c_, cw_e_err *err) \
    {                                                                          \
        TO *d = (TO *)d_;                                                      \
        const TA *a = (const TA *)a_;                                          \
        const TB *b = (const TB *)b_;                                          \
        (void)c_; (void)err;                                                   \
        CW_I_RUNS(TO, TA x = a[i]; TB y = b[i];, CW_I_PAD(TA, a) CW_I_PAD(TB, b), EXPR) \
    }
#define CW_I_DEF3(NAME, T)                                                     \
    CW_DISPATCH static void cwi_##NAME(ptrdiff_t n, char *d_, const char *a_,  \
                                       const char *b_, const char *c_, cw_e_err *err) \
    {                                                                          \
        T *d = (T *)d_;                                                        \
        const uint8_t *c = (const uint8_t *)a_;                                \
        const T *x = (const T *)b_, *y = (const T *)c_;                        \
        (void)err;                                                             \
        _Pragma("GCC ivdep")                                                   \
        for (ptrdiff_t i = 0; i < n; i++)                                      \
            d[i] = c[i] ? x[i] : y[i];                                         \
    }
#define CW_I_ENTRY1(NAME, ...) {#NAME, cwi_##NAME, 1},
#define CW_I_ENTRY2(NAME, ...)                                                 \
    {#NAME, cwi_##NAME, 2, CW_I_PICK_(CW_I_SCALOV_##NAME, NULL, ~), CW_I_PICK_(CW_I_ESZOV_##NAME, 0, ~)},
#define CW_I_ENTRY3(NAME, ...) {#NAME, cwi_##NAME, 3},

/* The dtypes, by the suffix names of pkg/_evaluate.py (_CTYPES).  Two
 * copies of the list: the casts nest one in the other. */
#define CW_I_INTS(F, M) F(M, i8, int8_t) F(M, i16, int16_t) F(M, i32, int32_t)          \
    F(M, i64, int64_t) F(M, u8, uint8_t) F(M, u16, uint16_t) F(M, u32, uint32_t)          \
    F(M, u64, uint64_t)
#define CW_I_FLOATS(F, M) F(M, f32, float) F(M, f64, double)
#define CW_I_ALL(F, M) F(M, b, uint8_t) CW_I_INTS(F, M) CW_I_FLOATS(F, M)
#define CW_I_ALL_B(F, M, S, T) F(M, S, T, b, uint8_t) F(M, S, T, i8, int8_t)             \
    F(M, S, T, i16, int16_t) F(M, S, T, i32, int32_t) F(M, S, T, i64, int64_t)           \
    F(M, S, T, u8, uint8_t) F(M, S, T, u16, uint16_t) F(M, S, T, u32, uint32_t)           \
    F(M, S, T, u64, uint64_t) F(M, S, T, f32, float) F(M, S, T, f64, double)

/* casts: to bool is != 0, as _evaluate._cast */
#define CW_I_CAST_TO(M, S, T, S2, T2)                                          \
    M##1(cast_##S##_##S2, T2, T, CW_I_CASTX(S2, x))
#define CW_I_CASTX(S2, X) CW_I_CASTX_##S2(X)
#define CW_I_CASTX_b(X) ((X) != 0)
#define CW_I_CASTX_i8(X) (X)
#define CW_I_CASTX_i16(X) (X)
#define CW_I_CASTX_i32(X) (X)
#define CW_I_CASTX_i64(X) (X)
#define CW_I_CASTX_u8(X) (X)
#define CW_I_CASTX_u16(X) (X)
#define CW_I_CASTX_u32(X) (X)
#define CW_I_CASTX_u64(X) (X)
#define CW_I_CASTX_f32(X) (X)
#define CW_I_CASTX_f64(X) (X)
#define CW_I_CAST_FROM(M, S, T) CW_I_ALL_B(CW_I_CAST_TO, M, S, T)

/* integer arithmetic: wraps (uint64_t arithmetic, truncated to T) */
#define CW_I_W(OP) (uint64_t)x OP (uint64_t)y
#define CW_I_INT_ARITH(M, S, T)                                                \
    M##2(add_##S, T, T, T, CW_I_W(+))                                          \
    M##2(subtract_##S, T, T, T, CW_I_W(-))                                     \
    M##2(multiply_##S, T, T, T, CW_I_W(*))                                     \
    M##2(bitwise_and_##S, T, T, T, x & y)                                      \
    M##2(bitwise_or_##S, T, T, T, x | y)                                       \
    M##1(negative_##S, T, T, (uint64_t)0 - (uint64_t)x)                        \
    M##1(invert_##S, T, T, ~x)                                                 \
    M##2(remainder_##S, T, T, T, cw_e_rem_##S(x, y))                           \
    M##2(ipow_##S, T, T, T, cw_e_pow_##S(x, y, err))                           \
    M##2(less_##S, uint8_t, T, T, x < y)                                       \
    M##2(less_equal_##S, uint8_t, T, T, x <= y)                                \
    M##2(greater_##S, uint8_t, T, T, x > y)                                    \
    M##2(greater_equal_##S, uint8_t, T, T, x >= y)                             \
    M##2(equal_##S, uint8_t, T, T, x == y)                                     \
    M##2(not_equal_##S, uint8_t, T, T, x != y)

#define CW_I_FLOAT_ARITH(M, S, T)                                              \
    M##2(add_##S, T, T, T, x + y)                                              \
    M##2(subtract_##S, T, T, T, x - y)                                         \
    M##2(multiply_##S, T, T, T, x * y)                                         \
    M##2(true_divide_##S, T, T, T, x / y)                                      \
    M##1(negative_##S, T, T, -x)                                               \
    M##2(remainder_##S, T, T, T, cw_e_rem_##S(x, y))                           \
    M##2(spow_##S, T, T, T, cw_e_spow_##S(x, y))                               \
    M##2(fpow_##S, T, T, T, cw_power_##S(x, y))                                \
    M##2(less_##S, uint8_t, T, T, cw_e_qlt_##S(x, y))                                \
    M##2(less_equal_##S, uint8_t, T, T, cw_e_qle_##S(x, y))                     \
    M##2(greater_##S, uint8_t, T, T, cw_e_qgt_##S(x, y))                          \
    M##2(greater_equal_##S, uint8_t, T, T, cw_e_qge_##S(x, y))               \
    M##2(equal_##S, uint8_t, T, T, x == y)                                     \
    M##2(not_equal_##S, uint8_t, T, T, x != y)

#define CW_I_BOOL(M)                                                           \
    M##2(or_b, uint8_t, uint8_t, uint8_t, x | y)                               \
    M##2(and_b, uint8_t, uint8_t, uint8_t, x & y)                              \
    M##1(not_b, uint8_t, uint8_t, !x)                                          \
    M##2(less_b, uint8_t, uint8_t, uint8_t, x < y)                             \
    M##2(less_equal_b, uint8_t, uint8_t, uint8_t, x <= y)                      \
    M##2(greater_b, uint8_t, uint8_t, uint8_t, x > y)                          \
    M##2(greater_equal_b, uint8_t, uint8_t, uint8_t, x >= y)                   \
    M##2(equal_b, uint8_t, uint8_t, uint8_t, x == y)                           \
    M##2(not_equal_b, uint8_t, uint8_t, uint8_t, x != y)

/* uint64 against int64 (us) and int64 against uint64 (su), exactly */
#define CW_I_CMP_US(M, NAME, OP)                                               \
    M##2(NAME##_us, uint8_t, uint64_t, int64_t, cw_e_cmp_us(x, y) OP 0)        \
    M##2(NAME##_su, uint8_t, int64_t, uint64_t, (-cw_e_cmp_us(y, x)) OP 0)
#define CW_I_MIXED(M)                                                          \
    CW_I_CMP_US(M, less, <) CW_I_CMP_US(M, less_equal, <=)                     \
    CW_I_CMP_US(M, greater, >) CW_I_CMP_US(M, greater_equal, >=)               \
    CW_I_CMP_US(M, equal, ==) CW_I_CMP_US(M, not_equal, !=)

#define CW_I_WHERE(M, S, T) M##3(where_##S, T)

#define CW_I_FAMILIES(M)                                                       \
    CW_I_ALL(CW_I_CAST_FROM, M)                                                \
    CW_I_INTS(CW_I_INT_ARITH, M)                                               \
    CW_I_FLOATS(CW_I_FLOAT_ARITH, M)                                           \
    CW_I_BOOL(M)                                                               \
    CW_I_MIXED(M)                                                              \
    CW_I_ALL(CW_I_WHERE, M)

CW_I_FAMILIES(CW_I_DEF)

/* the table's element functions (ops.def rows the JIT calls: float32 and
 * float64; predicates give bool) */
#define CW_UNARY(NAME, E64, E32, EI, ...)                                      \
    CW_I_DEF1(fn_##NAME##_f32, float, float, cw_##NAME##_f32(x))               \
    CW_I_DEF1(fn_##NAME##_f64, double, double, cw_##NAME##_f64(x))
#define CW_BINARY(NAME, E64, E32, EI, ...)                                     \
    CW_I_DEF2(fn_##NAME##_f32, float, float, float, cw_##NAME##_f32(x, y))     \
    CW_I_DEF2(fn_##NAME##_f64, double, double, double, cw_##NAME##_f64(x, y))
#define CW_PREDICATE(NAME, E64, E32, ...)                                      \
    CW_I_DEF1(fn_##NAME##_f32, uint8_t, float, cw_##NAME##_f32(x))             \
    CW_I_DEF1(fn_##NAME##_f64, uint8_t, double, cw_##NAME##_f64(x))
#include "ops.def"

/* The rows of corewise's own vector math (csrc/vmath/): with it on
 * (cw.set_vmath("own"); pkg/_evaluate.py then runs every plan calling one
 * of them here) an op is the row's own loop, bitwise cw.exp & co.; else
 * the loop above -- for sin, cos and tan through cw_mvec_trig_* (kernels.c),
 * which computes the lanes with a huge argument (2^19 <= |x| < inf, where
 * libmvec's reduction is off by up to 1.4e5 ULP) with csrc/vmath/trig.c:
 * the JIT flags such a lane (CW_ETRIG, cw_eval.h) and evaluate runs the
 * call again here, so the other lanes keep the JIT's bits. */
#define CW_I_VM(NAME, SUF, T, VM, LIBMVEC)                                     \
    static int cwi_k_##NAME##_##SUF(ptrdiff_t n, const char *x, const char *y, char *z) \
    {                                                                          \
        (void)y;                                                               \
        cwi_fn_##NAME##_##SUF(n, z, x, NULL, NULL, NULL);                      \
        return 0;                                                              \
    }                                                                          \
    static void cwi_vm_##NAME##_##SUF(ptrdiff_t n, char *d, const char *a, const char *b, \
                                      const char *c, cw_e_err *err)                 \
    {                                                                          \
        (void)b; (void)c; (void)err;                                           \
        if (cw_vm_own_on())                                                    \
            VM(n, (const T *)a, (T *)d);                                       \
        else                                                                   \
            LIBMVEC;                                                           \
    }
#define CW_I_VM_PLAIN(NAME, SUF) (void)cwi_k_##NAME##_##SUF(n, a, NULL, d)
#define CW_I_VM_TRIG(NAME, SUF, FN) (void)cw_mvec_trig_##SUF(cwi_k_##NAME##_##SUF, n, a, NULL, d, FN)
#define CW_I_VM2(NAME, L64, L32)                                               \
    CW_I_VM(NAME, f64, double, cw_vm_##NAME, L64)                              \
    CW_I_VM(NAME, f32, float, cw_vm_##NAME##f, L32)
CW_I_VM2(exp, CW_I_VM_PLAIN(exp, f64), CW_I_VM_PLAIN(exp, f32))
CW_I_VM2(exp2, CW_I_VM_PLAIN(exp2, f64), CW_I_VM_PLAIN(exp2, f32))
CW_I_VM2(log, CW_I_VM_PLAIN(log, f64), CW_I_VM_PLAIN(log, f32))
CW_I_VM2(log2, CW_I_VM_PLAIN(log2, f64), CW_I_VM_PLAIN(log2, f32))
CW_I_VM2(log10, CW_I_VM_PLAIN(log10, f64), CW_I_VM_PLAIN(log10, f32))
CW_I_VM2(sin, CW_I_VM_TRIG(sin, f64, 0), CW_I_VM_TRIG(sin, f32, 0))
CW_I_VM2(cos, CW_I_VM_TRIG(cos, f64, 1), CW_I_VM_TRIG(cos, f32, 1))
CW_I_VM2(tan, CW_I_VM_TRIG(tan, f64, 2), CW_I_VM_TRIG(tan, f32, 2))
/* the op table's pick: cwi_vm_<row> where defined here, else cwi_fn_<row> */
#define CW_I_VMROW(NAME) ~, cwi_vm_##NAME,
#define CW_I_VM_exp_f64 CW_I_VMROW(exp_f64)
#define CW_I_VM_exp_f32 CW_I_VMROW(exp_f32)
#define CW_I_VM_exp2_f64 CW_I_VMROW(exp2_f64)
#define CW_I_VM_exp2_f32 CW_I_VMROW(exp2_f32)
#define CW_I_VM_log_f64 CW_I_VMROW(log_f64)
#define CW_I_VM_log_f32 CW_I_VMROW(log_f32)
#define CW_I_VM_log2_f64 CW_I_VMROW(log2_f64)
#define CW_I_VM_log2_f32 CW_I_VMROW(log2_f32)
#define CW_I_VM_log10_f64 CW_I_VMROW(log10_f64)
#define CW_I_VM_log10_f32 CW_I_VMROW(log10_f32)
#define CW_I_VM_sin_f64 CW_I_VMROW(sin_f64)
#define CW_I_VM_sin_f32 CW_I_VMROW(sin_f32)
#define CW_I_VM_cos_f64 CW_I_VMROW(cos_f64)
#define CW_I_VM_cos_f32 CW_I_VMROW(cos_f32)
#define CW_I_VM_tan_f64 CW_I_VMROW(tan_f64)
#define CW_I_VM_tan_f32 CW_I_VMROW(tan_f32)
#define CW_I_PICK_(...) CW_PSECOND_(__VA_ARGS__)

/* The FP flags of the rows computed by libmvec (ops.def's CW_VMATH
 * column), as the package's own loops re-derive them (kernels.c, call()):
 * libmvec raises spurious flags (invalid for exp(inf), tanh(inf)) and
 * misses some, so an instruction of such a row that raised one in a block
 * runs again as this scalar loop (libm's scalar functions: IEEE's flags,
 * NumPy's), whose flags replace the instruction's; the results stay the
 * vector code's.  It returns 0, declining, for the own rows while the own
 * vector math is on: their flags are exact. */
typedef int (*cw_i_scal)(ptrdiff_t n, const char *a, const char *b);
#define CW_I_OWNROW_exp ~, 1,
#define CW_I_OWNROW_exp2 ~, 1,
#define CW_I_OWNROW_log ~, 1,
#define CW_I_OWNROW_log2 ~, 1,
#define CW_I_OWNROW_log10 ~, 1,
#define CW_I_OWNROW_sin ~, 1,
#define CW_I_OWNROW_cos ~, 1,
#define CW_I_OWNROW_tan ~, 1,
#define CW_I_SCAL(NAME, SUF, T, CALL)                                          \
    static int cwi_s_##NAME##_##SUF(ptrdiff_t n, const char *a_, const char *b_) \
    {                                                                          \
        if (CW_I_PICK_(CW_I_OWNROW_##NAME, 0, ~) && cw_vm_own_on())            \
            return 0;                                                          \
        const T *a = (const T *)a_, *b = (const T *)b_;                        \
        volatile T sink;                                                       \
        (void)b;                                                               \
        for (ptrdiff_t i = 0; i < n; i++)                                      \
            sink = CALL;                                                       \
        (void)sink;                                                            \
        return 1;                                                              \
    }
#define CW_I_SCALDEF_CW_FPE(NAME, NA)
#define CW_I_SCALDEF_CW_QUIET(NAME, NA)
#define CW_I_SCALDEF_CW_VMATH(NAME, NA) CW_I_SCALDEF_##NA(NAME)
#define CW_I_SCALDEF_1(NAME)                                                   \
    CW_I_SCAL(NAME, f32, float, cw_##NAME##_f32(a[i]))                         \
    CW_I_SCAL(NAME, f64, double, cw_##NAME##_f64(a[i]))
#define CW_I_SCALDEF_2(NAME)                                                   \
    CW_I_SCAL(NAME, f32, float, cw_##NAME##_f32(a[i], b[i]))                   \
    CW_I_SCAL(NAME, f64, double, cw_##NAME##_f64(a[i], b[i]))
#define CW_UNARY(NAME, E64, E32, EI, COST, ULP64, ULP32, FPE, DOC) CW_I_SCALDEF_##FPE(NAME, 1)
#define CW_BINARY(NAME, E64, E32, EI, COST, ULP64, ULP32, FPE, DOC) CW_I_SCALDEF_##FPE(NAME, 2)
#define CW_PREDICATE(NAME, ...)
#include "ops.def"
/* float ** float: libm's pow (spow: NumPy's fast paths for a scalar exponent, else pow) */
CW_I_SCAL(fpow, f32, float, cw_power_f32(a[i], b[i]))
CW_I_SCAL(fpow, f64, double, cw_power_f64(a[i], b[i]))
CW_I_SCAL(spow, f32, float, cw_e_spow_f32(a[i], b[i]))
CW_I_SCAL(spow, f64, double, cw_e_spow_f64(a[i], b[i]))
#define CW_I_SCALOV_fpow_f32 ~, cwi_s_fpow_f32,
#define CW_I_SCALOV_fpow_f64 ~, cwi_s_fpow_f64,
#define CW_I_SCALOV_spow_f32 ~, cwi_s_spow_f32,
#define CW_I_SCALOV_spow_f64 ~, cwi_s_spow_f64,
#define CW_I_ESZOV_fpow_f32 ~, 4,
#define CW_I_ESZOV_fpow_f64 ~, 8,
#define CW_I_ESZOV_spow_f32 ~, 4,
#define CW_I_ESZOV_spow_f64 ~, 8,
#define CW_I_ESZ_f32 4
#define CW_I_ESZ_f64 8
#define CW_I_SCALP_CW_FPE(NAME, SUF) NULL
#define CW_I_SCALP_CW_QUIET(NAME, SUF) NULL
#define CW_I_SCALP_CW_VMATH(NAME, SUF) cwi_s_##NAME##_##SUF

#define CW_I_FNENTRY(NAME, SUF, FPE)                                           \
    {"fn_" #NAME "_" #SUF, CW_I_PICK_(CW_I_VM_##NAME##_##SUF, cwi_fn_##NAME##_##SUF, ~), 1, \
     CW_I_SCALP_##FPE(NAME, SUF), CW_I_ESZ_##SUF},
#define CW_I_FNENTRY2(NAME, SUF, FPE)                                          \
    {"fn_" #NAME "_" #SUF, cwi_fn_##NAME##_##SUF, 2, CW_I_SCALP_##FPE(NAME, SUF), CW_I_ESZ_##SUF},

typedef struct {
    const char *name;
    cw_i_fn fn;
    int nargs;
    cw_i_scal scal;   /* CW_VMATH rows: the flag pass, else NULL */
    int esz;          /* with scal: the element size of its inputs */
} cw_i_op;

static const cw_i_op cw_i_ops[] = {
    CW_I_FAMILIES(CW_I_ENTRY)
#define CW_UNARY(NAME, E64, E32, EI, COST, ULP64, ULP32, FPE, DOC)            \
    CW_I_FNENTRY(NAME, f32, FPE) CW_I_FNENTRY(NAME, f64, FPE)
#define CW_BINARY(NAME, E64, E32, EI, COST, ULP64, ULP32, FPE, DOC)           \
    CW_I_FNENTRY2(NAME, f32, FPE) CW_I_FNENTRY2(NAME, f64, FPE)
#define CW_PREDICATE(NAME, ...) CW_I_ENTRY1(fn_##NAME##_f32) CW_I_ENTRY1(fn_##NAME##_f64)
#include "ops.def"
};
#define CW_I_NOPS ((int)(sizeof cw_i_ops / sizeof cw_i_ops[0]))

int cw_interp_nops(void) { return CW_I_NOPS; }

const char *cw_interp_op_name(int op)
{
    return op >= 0 && op < CW_I_NOPS ? cw_i_ops[op].name : NULL;
}

int cw_interp_op_nargs(int op)
{
    return op >= 0 && op < CW_I_NOPS ? cw_i_ops[op].nargs : 0;
}

/* ---- running a program ---------------------------------------------------- */

enum { CW_I_CONTIG = 0, CW_I_SCALAR = 1, CW_I_STRIDED = 2 };

typedef struct {
    const int32_t *prog;
    int ninstr, nregs, nin, ndim;
    ptrdiff_t block, n;
    const int32_t *kind, *isz;
    char *const *base;
    const ptrdiff_t *shape, *strides;
    cw_e_err err;
} cw_i_ctx;

/* Copies cnt elements of size sz between strided memory (byte strides ds,
 * ss; a packed side has stride sz). */
static void cw_i_copy(char *dst, ptrdiff_t ds, const char *src, ptrdiff_t ss, ptrdiff_t cnt,
                      int sz)
{
    if (ds == sz && ss == sz) {
        memcpy(dst, src, (size_t)(cnt * sz));
        return;
    }
    for (ptrdiff_t i = 0; i < cnt; i++)
        memcpy(dst + i * ds, src + i * ss, (size_t)sz);
}

/* the strided operands' elements [lo, hi): packed into / out of their
 * buffers (gather: inputs; else the output only) */
static void cw_i_walk(const cw_i_ctx *c, char **reg, char *outbuf, ptrdiff_t lo, ptrdiff_t hi,
                      int gather)
{
    const int nd = c->ndim;
    ptrdiff_t done = 0;
    cw_iter it;
    cw_iter_init(&it, nd, c->shape, lo, hi);
    for (ptrdiff_t cnt; (cnt = cw_iter_run(&it)) > 0; cw_iter_next(&it, cnt)) {
        for (int k = 0; k <= c->nin; k++) {
            if (c->kind[k] != CW_I_STRIDED || (k == c->nin) == gather)
                continue;
            const ptrdiff_t *st = c->strides + (ptrdiff_t)k * nd;
            char *p = c->base[k] + cw_iter_offset(&it, st);
            int sz = c->isz[k];
            if (gather)
                cw_i_copy(reg[k] + done * sz, sz, p, st[nd - 1], cnt, sz);
            else
                cw_i_copy(p, st[nd - 1], outbuf + done * sz, sz, cnt, sz);
        }
        done += cnt;
    }
}

static void cw_i_fill(char *dst, const char *v, ptrdiff_t cnt, int sz)
{
    switch (sz) {
#define CW_I_FILL(T)                                                           \
        {                                                                      \
            T x;                                                               \
            memcpy(&x, v, sizeof x);                                           \
            for (ptrdiff_t i = 0; i < cnt; i++)                                \
                ((T *)dst)[i] = x;                                             \
            return;                                                            \
        }
    case 1: CW_I_FILL(uint8_t)
    case 2: CW_I_FILL(uint16_t)
    case 4: CW_I_FILL(uint32_t)
    default: CW_I_FILL(uint64_t)
#undef CW_I_FILL
    }
}

#define CW_I_REG_BYTES(block) ((((block) * 8) + 63) & ~(ptrdiff_t)63)

static void cw_i_block(ptrdiff_t t0, ptrdiff_t t1, void *v)
{
    cw_i_ctx *c = (cw_i_ctx *)v;
    const ptrdiff_t rb = CW_I_REG_BYTES(c->block);
    /* scratch: one buffer per register that is not the array itself (the
     * caller bounds nregs * block, so this stays a few hundred KiB) */
    char *scratch = __builtin_alloca((size_t)(rb * (c->nregs + 2) + 64));
    scratch = (char *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    char *reg[CW_I_MAX_REGS + 1];
    for (int k = 0; k < c->nregs; k++)
        reg[k] = scratch + (ptrdiff_t)k * rb;
    char *outbuf = scratch + (ptrdiff_t)c->nregs * rb;
    char *keep = outbuf + rb;   /* a flag pass's input, when d is it */
    /* size-1 operands: broadcast once (an input register is never written) */
    for (int k = 0; k < c->nin; k++)
        if (c->kind[k] == CW_I_SCALAR)
            cw_i_fill(reg[k], c->base[k], c->block, c->isz[k]);
    for (ptrdiff_t t = t0; t < t1; t++) {
        ptrdiff_t lo = t * c->block, hi = lo + c->block;
        if (hi > c->n)
            hi = c->n;
        ptrdiff_t m = hi - lo;
        int strided = 0;
        for (int k = 0; k < c->nin; k++) {
            if (c->kind[k] == CW_I_CONTIG)
                reg[k] = c->base[k] + lo * c->isz[k];
            else if (c->kind[k] == CW_I_STRIDED)
                strided = 1;
        }
        if (strided)
            cw_i_walk(c, reg, outbuf, lo, hi, 1);
        char *out = c->kind[c->nin] == CW_I_CONTIG ? c->base[c->nin] + lo * c->isz[c->nin]
                                                    : outbuf;
        for (int i = 0; i < c->ninstr; i++) {
            const int32_t *ins = c->prog + 5 * i;
            const cw_i_op *op = &cw_i_ops[ins[0]];
            int nargs = op->nargs;
            char *d = ins[1] < 0 ? out : reg[ins[1]];
            const char *a = reg[ins[2]], *b = nargs > 1 ? reg[ins[3]] : NULL;
            if (!op->scal) {
                op->fn(m, d, a, b, nargs > 2 ? reg[ins[4]] : NULL, &c->err);
                continue;
            }
            /* a libmvec row (cw_i_scal): the pass reads the inputs again */
            if (d == a || d == b) {
                memcpy(keep, d, (size_t)(m * op->esz));
                a = d == a ? keep : a;
                b = d == b ? keep : b;
            }
            int prev = fetestexcept(CW_FE_REPORTED);
            cw_fe_clear();
            op->fn(m, d, a, b, NULL, &c->err);
            const int f = fetestexcept(CW_FE_REPORTED);
            if (f) {
                feclearexcept(CW_FE_REPORTED);
                if (!op->scal(m, a, b))
                    feraiseexcept(f);
            }
            prev |= fetestexcept(CW_FE_REPORTED);
            if (prev)
                feraiseexcept(prev);
        }
        if (c->kind[c->nin] == CW_I_STRIDED)
            cw_i_walk(c, reg, outbuf, lo, hi, 0);
    }
}

/* Checks a program (every index in range, the last instruction writing the
 * output, only the output or scratch written). */
static int cw_i_valid(const int32_t *prog, int ninstr, int nregs, int nin)
{
    if (ninstr < 1 || nregs < nin || nregs > CW_I_MAX_REGS)
        return 0;
    for (int i = 0; i < ninstr; i++) {
        const int32_t *ins = prog + 5 * i;
        if (ins[0] < 0 || ins[0] >= CW_I_NOPS)
            return 0;
        if ((ins[1] < 0) != (i == ninstr - 1) || (ins[1] >= 0 && (ins[1] < nin || ins[1] >= nregs)))
            return 0;
        for (int a = 0; a < cw_i_ops[ins[0]].nargs; a++)
            if (ins[2 + a] < 0 || ins[2 + a] >= nregs)
                return 0;
    }
    return 1;
}

int cw_interp(const int32_t *prog, int ninstr, int nregs, int nin, ptrdiff_t block,
              const int32_t *kind, const int32_t *isz, char **base, int ndim,
              const ptrdiff_t *shape, const ptrdiff_t *strides, int cost)
{
    if (!cw_i_valid(prog, ninstr, nregs, nin) || block < 1 || block * (ptrdiff_t)(nregs + 1) > CW_I_MAX_SCRATCH)
        return CW_EOP;
    ptrdiff_t n;
    int rc = cw_shape_size(ndim, shape, &n);
    if (rc)
        return rc;
    if (n == 0)
        return CW_OK;
    for (int k = 0; k <= nin; k++) {
        if (!base[k])
            return CW_ENULL;
        if (kind[k] < CW_I_CONTIG || kind[k] > CW_I_STRIDED || (k == nin && kind[k] == CW_I_SCALAR)
            || !(isz[k] == 1 || isz[k] == 2 || isz[k] == 4 || isz[k] == 8))
            return CW_EDTYPE;
    }
    cw_i_ctx c = { prog, ninstr, nregs, nin, ndim, block, n, kind, isz, base, shape, strides, 0 };
    /* the driver splits [0, nblocks) into chunks of whole blocks; the cost
     * per unit (a block) puts the serial threshold where it is for the
     * JIT's loop of the same cost */
    ptrdiff_t nblocks = (n + block - 1) / block;
    ptrdiff_t unit_cost = block * (cost > 0 ? cost : 1);
    rc = cw_parallel_run(nblocks, unit_cost < INT32_MAX ? (int)unit_cost : INT32_MAX,
                         cw_i_block, &c);
    return rc | (c.err ? CW_EINTPOW : 0);
}
