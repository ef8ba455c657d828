/* Internal declarations shared by kernels.c and runtime.c (not part of the
 * public, cdef-clean header). */
#ifndef CW_INTERNAL_H
#define CW_INTERNAL_H
#include <fenv.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "corewise.h"

/* The two parallel drivers.  Both go through one function of runtime.c
 * (cw_dispatch), which alone decides serial vs parallel and the team size.
 *
 * Run fn over [0, n) split into contiguous blocks, one per thread, in an
 * OpenMP parallel region -- or serially, without entering a region, when n
 * is below the operation's threshold or one thread is requested.  Returns
 * the CW_FPE_* flags the blocks raised. */
typedef void (*cw_block_fn)(ptrdiff_t lo, ptrdiff_t hi, void *ctx);
int cw_parallel_run(ptrdiff_t n, int cost, cw_block_fn fn, void *ctx);
/* The same with the serial threshold in elements instead of a cost. */
int cw_parallel_run_thr(ptrdiff_t n, ptrdiff_t thr, cw_block_fn fn, void *ctx);

/* Run fn(t, t + 1, ctx) for each task t of a fixed list, statically
 * scheduled over the threads (serial below the threshold, counted as
 * ntasks * task_elems elements).  Returns the CW_FPE_* flags raised. */
int cw_parallel_tasks(ptrdiff_t ntasks, ptrdiff_t task_elems, cw_block_fn fn, void *ctx);

/* Validates an n-d shape (1 <= ndim <= CW_MAXDIMS, no negative extent) and
 * stores its number of elements in *n; returns a cw_status. */
static inline int cw_shape_size(int ndim, const ptrdiff_t *shape, ptrdiff_t *n)
{
    if (ndim < 1 || ndim > CW_MAXDIMS)
        return CW_ENDIM;
    ptrdiff_t k = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0)
            return CW_ESHAPE;
        k *= shape[d];
    }
    *n = k;
    return CW_OK;
}

/* Runtime ISA dispatch: GCC target_clones on x86-64 glibc (ifunc), unless
 * the build is a native one (COREWISE_NATIVE=1 -> -march=native).
 * CW_DISPATCH, for most loops, has no AVX-512 clone on purpose: the
 * divide/sqrt unit does not widen with the vector, and 512-bit loops were
 * slower than 256-bit ones (README, "Threading contract").  CW_DISPATCH_VM
 * adds one for the loops that gain from it: the vector-math (libmvec) rows
 * and the max/min/argmax/argmin reductions. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) \
    && defined(__GLIBC__) && !defined(CW_NATIVE)
#define CW_DISPATCH __attribute__((target_clones("avx2", "default")))
#define CW_DISPATCH_VM __attribute__((target_clones("avx512f", "avx2", "default")))
#define CW_HAVE_DISPATCH 1
#else
#define CW_DISPATCH
#define CW_DISPATCH_VM
#define CW_HAVE_DISPATCH 0
#endif

/* A hand-vectorised float32 loop: n elements of x into z (z == x allowed);
 * nonzero when it wrote a NaN.  cw_vtanhf_pick (vtanhf.c) returns the one
 * of the float32 tanh for this CPU, or NULL where it has none (then the
 * generated loop runs); *isa (if isa) names it. */
typedef int (*cw_f32_loop)(ptrdiff_t n, const float *x, float *z);
cw_f32_loop cw_vtanhf_pick(const char **isa);

/* The floating-point flags corewise reports (as NumPy's np.errstate does).
 * cw_fe_clear clears them only when one is set: on x86 feclearexcept saves
 * and reloads the whole FP environment (fnstenv + fldenv), which costs more
 * than the rest of a small call's C side; fetestexcept is cheap. */
#define CW_FE_REPORTED (FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW | FE_INVALID)
static inline void cw_fe_clear(void)
{
    if (fetestexcept(CW_FE_REPORTED))
        feclearexcept(CW_FE_REPORTED);
}

/* The reported flags now set, as CW_FPE_* bits (corewise.h). */
static inline int cw_fe_flags(void)
{
    int e = fetestexcept(CW_FE_REPORTED);
    return (e & FE_DIVBYZERO ? CW_FPE_DIVBYZERO : 0)
         | (e & FE_OVERFLOW ? CW_FPE_OVERFLOW : 0)
         | (e & FE_UNDERFLOW ? CW_FPE_UNDERFLOW : 0)
         | (e & FE_INVALID ? CW_FPE_INVALID : 0);
}

#endif
