/* Scalar element functions, one per table row and dtype:
 *     static inline float  cw_<name>_f32(float x);
 *     static inline double cw_<name>_f64(double x);
 * generated from ops.def.  The prebuilt kernels (kernels.c) and any C code
 * generated at run time include this header, so an operation's arithmetic
 * is written exactly once. */
#ifndef CW_SCALAR_H
#define CW_SCALAR_H
#include <math.h>

#define CW_UNARY(NAME, E64, E32, COST, ULP, DOC)                              \
    static inline float cw_##NAME##_f32(float x) { return (E32); }            \
    static inline double cw_##NAME##_f64(double x) { return (E64); }
#include "ops.def"
#undef CW_UNARY

#endif
