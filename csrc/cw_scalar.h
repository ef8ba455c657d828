/* Scalar element functions, one per table row and dtype, generated from
 * ops.def:
 *     static inline float   cw_<name>_f32(float x[, float y]);
 *     static inline double  cw_<name>_f64(double x[, double y]);
 *     static inline int32_t cw_<name>_i32(int32_t x[, int32_t y]);   (int rows)
 *     static inline int64_t cw_<name>_i64(int64_t x[, int64_t y]);   (int rows)
 * Predicates and comparisons return int (0 or 1).
 *
 * The prebuilt kernels (kernels.c) and any C code generated at run time
 * include this header, so an operation's arithmetic is written exactly once.
 * The header is self-contained.  Compiled with -fopenmp on x86-64 glibc it
 * declares the libm functions that glibc's vector math library (libmvec)
 * implements with `#pragma omp declare simd notinbranch`, so that a
 * `#pragma omp simd` loop over these functions calls the SSE/AVX2/AVX-512
 * variants (link with -lmvec).  glibc's own <math.h> declares them only
 * under -ffast-math, which corewise never uses.  Define CW_NO_LIBMVEC to
 * get scalar libm everywhere.  float32 tanh is corewise's own (cw_tanhf.h).
 */
#ifndef CW_SCALAR_H
#define CW_SCALAR_H
#include <math.h>
#include <stdint.h>
#include "cw_tanhf.h"
#include "cw_natives.h"

#if defined(_OPENMP) && defined(__x86_64__) && defined(__GLIBC__) \
    && !defined(__FAST_MATH__) && !defined(CW_NO_LIBMVEC)
#define CW_HAVE_LIBMVEC 1
#define CW_VDECL1(F)                                                          \
    _Pragma("omp declare simd notinbranch") extern double F(double);          \
    _Pragma("omp declare simd notinbranch") extern float F##f(float);
#define CW_VDECL2(F)                                                          \
    _Pragma("omp declare simd notinbranch") extern double F(double, double);  \
    _Pragma("omp declare simd notinbranch") extern float F##f(float, float);
CW_VDECL1(cbrt) CW_VDECL1(exp) CW_VDECL1(exp2) CW_VDECL1(expm1)
CW_VDECL1(log) CW_VDECL1(log2) CW_VDECL1(log10) CW_VDECL1(log1p)
CW_VDECL1(sin) CW_VDECL1(cos) CW_VDECL1(tan)
CW_VDECL1(asin) CW_VDECL1(acos) CW_VDECL1(atan)
CW_VDECL1(sinh) CW_VDECL1(cosh) CW_VDECL1(tanh)
CW_VDECL1(asinh) CW_VDECL1(acosh) CW_VDECL1(atanh)
CW_VDECL2(pow) CW_VDECL2(hypot) CW_VDECL2(atan2)
#undef CW_VDECL1
#undef CW_VDECL2
#else
#define CW_HAVE_LIBMVEC 0
#endif

/* logaddexp as NumPy computes it (npy_logaddexp), written branch-free so
 * that it vectorises without evaluating exp() on a lane that overflows or
 * inf - inf on equal infinities.  `d > 0` is an ordinary (signalling)
 * comparison on purpose: NumPy reports "invalid" for a NaN operand. */
#define CW_LOGADDEXP_BODY(T, LOG1P, EXP, FABS, LN2)                           \
    {                                                                         \
        int same = x == y;                                                    \
        T d = (same ? (T)0 : x) - (same ? (T)0 : y);                          \
        T m = d > 0 ? x : y;                                                  \
        T r = m + LOG1P(EXP(-FABS(d)));                                       \
        return same ? x + LN2 : r;                                            \
    }
static inline double cw_logaddexp_f64_(double x, double y)
CW_LOGADDEXP_BODY(double, log1p, exp, fabs, 0.693147180559945309417232121458176568)
static inline float cw_logaddexp_f32_(float x, float y)
CW_LOGADDEXP_BODY(float, log1pf, expf, fabsf, 0.693147180559945309417232121458176568f)
#undef CW_LOGADDEXP_BODY

/* The int column of a row is CW_INT(expr) -> (1, 0, expr), CW_INTF(flags,
 * expr) -> (1, flags, expr), CW_NOINT -> (0, 0, ~) or CW_NOINTF(flags) ->
 * (0, flags, ~) (defined in ops.def).  CW_IF_INT(column)(code) keeps code
 * only for rows with native int loops; CW_INT_EXPR(column) is the
 * expression, CW_INT_FLAGS(column) the row's cw_dtype_flags. */
#define CW_PFIRST_(a, ...) a
#define CW_PSECOND_(a, b, ...) b
#define CW_PREST2_(a, b, ...) __VA_ARGS__
#define CW_HAS_INT(EI) CW_PFIRST_ EI
#define CW_INT_FLAGS(EI) CW_PSECOND_ EI
#define CW_INT_EXPR(EI) CW_PREST2_ EI
#define CW_CAT_(a, b) a##b
#define CW_CAT(a, b) CW_CAT_(a, b)
#define CW_IF_0(...)
#define CW_IF_1(...) __VA_ARGS__
#define CW_IF_INT(EI) CW_CAT(CW_IF_, CW_HAS_INT(EI))

#define CW_SCALAR_INT1(NAME, TT, UT, SUF, EI)                                 \
    static inline TT cw_##NAME##_##SUF(TT x)                                  \
    {                                                                         \
        typedef TT T __attribute__((unused));                                 \
        typedef UT U __attribute__((unused));                                 \
        return (TT)(CW_INT_EXPR(EI));                                                      \
    }
#define CW_SCALAR_INT2(NAME, TT, UT, SUF, EI)                                 \
    static inline TT cw_##NAME##_##SUF(TT x, TT y)                            \
    {                                                                         \
        typedef TT T __attribute__((unused));                                 \
        typedef UT U __attribute__((unused));                                 \
        return (TT)(CW_INT_EXPR(EI));                                                      \
    }

#define CW_UNARY(NAME, E64, E32, EI, COST, ULP64, ULP32, FPE, DOC)            \
    static inline float cw_##NAME##_f32(float x) { return (E32); }            \
    static inline double cw_##NAME##_f64(double x) { return (E64); }          \
    CW_IF_INT(EI)(CW_SCALAR_INT1(NAME, int32_t, uint32_t, i32, EI)            \
                  CW_SCALAR_INT1(NAME, int64_t, uint64_t, i64, EI))
#define CW_BINARY(NAME, E64, E32, EI, COST, ULP64, ULP32, FPE, DOC)           \
    static inline float cw_##NAME##_f32(float x, float y) { return (E32); }   \
    static inline double cw_##NAME##_f64(double x, double y) { return (E64); }\
    CW_IF_INT(EI)(CW_SCALAR_INT2(NAME, int32_t, uint32_t, i32, EI)            \
                  CW_SCALAR_INT2(NAME, int64_t, uint64_t, i64, EI))
#define CW_PREDICATE(NAME, E64, E32, COST, DOC)                               \
    static inline int cw_##NAME##_f32(float x) { return (E32) != 0; }         \
    static inline int cw_##NAME##_f64(double x) { return (E64) != 0; }
#define CW_COMPARE(NAME, EF, EI, COST, DOC)                                   \
    static inline int cw_##NAME##_f32(float x, float y) { return (EF) != 0; } \
    static inline int cw_##NAME##_f64(double x, double y) { return (EF) != 0; }\
    static inline int cw_##NAME##_i32(int32_t x, int32_t y) { return (EI) != 0; } \
    static inline int cw_##NAME##_i64(int64_t x, int64_t y) { return (EI) != 0; }
/* integer-only rows and truth-value rows (bool results, any numeric input) */
#define CW_SCALAR_INT_1 CW_SCALAR_INT1
#define CW_SCALAR_INT_2 CW_SCALAR_INT2
#define CW_INTOP(NAME, NIN, EI, COST, FPE, DOC)                               \
    CW_CAT(CW_SCALAR_INT_, NIN)(NAME, int32_t, uint32_t, i32, EI)             \
    CW_CAT(CW_SCALAR_INT_, NIN)(NAME, int64_t, uint64_t, i64, EI)
#define CW_LOGICAL_1(NAME, EF, EI)                                            \
    static inline int cw_##NAME##_f32(float x) { return (EF) != 0; }          \
    static inline int cw_##NAME##_f64(double x) { return (EF) != 0; }         \
    static inline int cw_##NAME##_i32(int32_t x) { return (CW_INT_EXPR(EI)) != 0; } \
    static inline int cw_##NAME##_i64(int64_t x) { return (CW_INT_EXPR(EI)) != 0; }
#define CW_LOGICAL_2(NAME, EF, EI)                                            \
    static inline int cw_##NAME##_f32(float x, float y) { return (EF) != 0; } \
    static inline int cw_##NAME##_f64(double x, double y) { return (EF) != 0; } \
    static inline int cw_##NAME##_i32(int32_t x, int32_t y) { return (CW_INT_EXPR(EI)) != 0; } \
    static inline int cw_##NAME##_i64(int64_t x, int64_t y) { return (CW_INT_EXPR(EI)) != 0; }
#define CW_LOGICAL(NAME, NIN, EF, EI, DOC) CW_CAT(CW_LOGICAL_, NIN)(NAME, EF, EI)
#include "ops.def"
#undef CW_SCALAR_INT_1
#undef CW_SCALAR_INT_2
#undef CW_LOGICAL_1
#undef CW_LOGICAL_2

#endif
