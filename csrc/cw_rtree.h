/* The fixed reduction tree of corewise, shared by the built-in reductions
 * (reduce.c) and the reductions of user kernels generated at run time
 * (corewise.ReductionKernel, pkg/_cgen.py): the shape of the tree is a
 * function of the number of elements N and the reduce block B only, never
 * of the thread count, so a result is bitwise the same for any team.
 *
 *   - a chunk is CW_RT_CHUNK consecutive elements (C order over the reduced
 *     axes), reduced by CW_RT_LANES accumulators (element k of the chunk
 *     goes to lane k % CW_RT_LANES) folded by a pairwise tree;
 *   - chunks are combined by a binary counter (a pairwise tree) within a
 *     task of g * B elements, g the smallest power of two that leaves at
 *     most CW_RT_MAXTASKS tasks (cw_rt_plan);
 *   - the task results are combined, in order, by the same counter.
 *
 * CW_RT_COUNTER(PFX, T, COMB) defines a counter over values of type T with
 * combine `T COMB(T a, T b)` (a is the left operand): PFX##_counter,
 * PFX##_push, PFX##_finish (at least one value pushed). */
#ifndef CW_RTREE_H
#define CW_RTREE_H
#include <stddef.h>

#define CW_RT_LANES 32
#define CW_RT_CHUNK 256
#define CW_RT_MAXTASKS 1024

/* Elements per task and the number of tasks for n > 0 elements, block b. */
static inline void cw_rt_plan(ptrdiff_t n, ptrdiff_t b, ptrdiff_t *task, ptrdiff_t *ntasks)
{
    ptrdiff_t nblocks = (n + b - 1) / b;
    ptrdiff_t g = 1;
    while ((nblocks + g - 1) / g > CW_RT_MAXTASKS)
        g *= 2;
    *task = g * b;
    *ntasks = (n + *task - 1) / *task;
}

#define CW_RT_COUNTER(PFX, T, COMB)                                           \
    typedef struct {                                                          \
        T s[64];                                                              \
        unsigned char lv[64];                                                 \
        int d;                                                                \
    } PFX##_counter;                                                          \
    static inline void PFX##_push(PFX##_counter *c, T s)                      \
    {                                                                         \
        int lv = 0;                                                           \
        while (c->d && c->lv[c->d - 1] == lv) {                               \
            s = COMB(c->s[--c->d], s);                                        \
            lv++;                                                             \
        }                                                                     \
        c->s[c->d] = s;                                                       \
        c->lv[c->d++] = (unsigned char)lv;                                    \
    }                                                                         \
    static inline T PFX##_finish(PFX##_counter *c)                            \
    {                                                                         \
        T s = c->s[--c->d];                                                   \
        while (c->d) {                                                        \
            T a = c->s[--c->d];                                               \
            s = COMB(a, s);                                                   \
        }                                                                     \
        return s;                                                             \
    }

#endif
