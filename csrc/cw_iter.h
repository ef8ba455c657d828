/* The one n-d iterator of corewise: a walk over elements [lo, hi) of the
 * C-order flattening of an ndim-dimensional iteration space, one run (a
 * stretch within one row of the last dimension) at a time.  kernels.c,
 * reduce.c and the code corewise.evaluate generates (through cw_nd_walk,
 * cw_eval.h) all walk strided arrays with it, so the index arithmetic is
 * written once.
 *
 * The iterator holds only the position (the n-d index and its flat index);
 * operands are the caller's: the byte offset of the current position in an
 * array of byte strides `strides` is cw_iter_offset(it, strides).  All of it
 * is static inline and calls nothing, so a loop over the runs compiles to
 * the loop that was written by hand:
 *
 *     cw_iter it;
 *     cw_iter_init(&it, ndim, shape, lo, hi);
 *     for (ptrdiff_t cnt; (cnt = cw_iter_run(&it)) > 0; cw_iter_next(&it, cnt))
 *         work(cnt, x + cw_iter_offset(&it, xstrides), xstrides[ndim - 1]);
 *
 * Callers with a 1-D fast path keep it (a 1-D range is a single run and
 * needs no iterator).  Requires 1 <= ndim <= CW_MAXDIMS and
 * 0 <= lo <= hi <= the number of elements; an empty range is allowed
 * whatever the shape (an extent may then be 0). */
#ifndef CW_ITER_H
#define CW_ITER_H
#include <stddef.h>
#include "cw_internal.h"   /* corewise.h: CW_MAXDIMS */

typedef struct {
    int ndim;
    const ptrdiff_t *shape;
    ptrdiff_t flat;               /* C-order flat index of the position */
    ptrdiff_t hi;                 /* end of the range */
    ptrdiff_t idx[CW_MAXDIMS];    /* the position; only ndim entries used */
} cw_iter;

/* Position it at flat index lo of the range [lo, hi). */
static inline void cw_iter_init(cw_iter *it, int ndim, const ptrdiff_t *shape,
                                ptrdiff_t lo, ptrdiff_t hi)
{
    it->ndim = ndim;
    it->shape = shape;
    it->flat = lo;
    it->hi = hi;
    ptrdiff_t rem = lo;
    for (int d = ndim - 1; d >= 0; d--) {
        if (!shape[d]) {              /* empty space: the range is empty too */
            it->idx[d] = 0;
            continue;
        }
        it->idx[d] = rem % shape[d];
        rem /= shape[d];
    }
}

/* Elements from the position to the end of its row or of the range
 * (0 when the range is done). */
static inline ptrdiff_t cw_iter_run(const cw_iter *it)
{
    ptrdiff_t cnt = it->shape[it->ndim - 1] - it->idx[it->ndim - 1];
    return cnt < it->hi - it->flat ? cnt : it->hi - it->flat;
}

/* Byte offset of the position in an array with these byte strides. */
static inline ptrdiff_t cw_iter_offset(const cw_iter *it, const ptrdiff_t *strides)
{
    ptrdiff_t o = 0;
    for (int d = 0; d < it->ndim; d++)
        o += it->idx[d] * strides[d];
    return o;
}

/* Advance by cnt elements, 1 <= cnt <= cw_iter_run(it): the odometer
 * carries into the outer dimensions when the row is finished. */
static inline void cw_iter_next(cw_iter *it, ptrdiff_t cnt)
{
    const int last = it->ndim - 1;
    it->flat += cnt;
    it->idx[last] += cnt;
    for (int d = last; d > 0 && it->idx[d] == it->shape[d]; d--) {
        it->idx[d] = 0;
        it->idx[d - 1]++;
    }
}

#endif
