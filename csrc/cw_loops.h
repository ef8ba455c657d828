/* The loop descriptor shared by kernels.c (the real loops and the drivers)
 * and complex.c (the complex loops): one kernel signature, the three
 * operand modes of a binary row, and cw_loops, what the n-d driver needs to
 * run one (operation, dtype). */
#ifndef CW_LOOPS_H
#define CW_LOOPS_H
#include <stddef.h>

/* Every loop has one signature: n elements of x (and y) into z; it returns
 * nonzero when it wrote an inf or NaN (CW_VMATH rows only; 0 otherwise).  Binary
 * rows get three variants: both operands arrays, x a scalar (stride 0), y
 * a scalar; a unary row has only the first. */
typedef int (*cw_kernel_fn)(ptrdiff_t n, const char *x, const char *y, char *z);
/* ... or CW_K_FLAGS_EXACT: the FP flags it raised are exactly the IEEE
 * operations' (corewise's own vector math, csrc/vmath/), so the flag pass
 * is not needed */
#define CW_K_FLAGS_EXACT (-1)
/* Scalar re-evaluation for FP flags only (CW_VMATH rows): byte strides,
 * nothing stored; z: the n outputs the vector code wrote (contiguous), or
 * NULL.  With z, only the elements whose output is not an ordinary number
 * are re-evaluated (kernels.c, cw_flag_suspect_f64). */
typedef void (*cw_check_fn)(ptrdiff_t n, const char *x, ptrdiff_t xs,
                            const char *y, ptrdiff_t ys, const char *z);

enum { CW_VV = 0, CW_SV = 1, CW_VS = 2 };

typedef struct {
    cw_kernel_fn k[3];
    ptrdiff_t isize, osize;   /* item sizes of the inputs and the output */
    cw_check_fn check;        /* CW_VMATH rows: scalar flag pass, else NULL */
    int fpe;                  /* 0: the row's fpe policy; else 1 + this loop's own
                                 (the complex loops of a row: complex.c) */
} cw_loops;

/* Largest item size of any loop (complex128): the drivers' buffers. */
#define CW_MAX_ITEM 16

/* The default (libmvec) float64 / float32 sin (fn 0), cos (1) and tan (2)
 * around the libmvec loop k of the caller's (kernels.c's rows, the block
 * interpreter's ops): k on n elements of x into z (z == x allowed), lanes
 * with 2^19 <= |x| < inf computed by csrc/vmath/trig.c (correctly rounded;
 * libmvec's reduction is off by up to 1.4e5 ULP there); k's status. */
int cw_mvec_trig_f64(cw_kernel_fn k, ptrdiff_t n, const char *x, const char *y, char *z, int fn);
int cw_mvec_trig_f32(cw_kernel_fn k, ptrdiff_t n, const char *x, const char *y, char *z, int fn);

/* The complex loops (complex.c) of the row called name, for dtype CW_C64
 * or CW_C128; NULL if that row has none. */
const cw_loops *cw_complex_loops(const char *name, int dtype);
#endif
