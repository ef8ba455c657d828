"""corewise on Dask arrays: lazy, block-wise, without oversubscription.

``cw.sqrt(dask_array)`` returns a lazy ``dask.array.Array`` -- the same
dispatch NumPy's ufuncs do through ``__array_ufunc__`` -- whose blocks are
computed by corewise's kernels.  dask stays optional: this module is only
imported when a dask array reaches corewise.

Oversubscription rule (Dask worker threads x OpenMP threads <= cores):
- threads of one process -- Dask's threaded scheduler, or several threads
  of a dask.distributed worker -- share the process-wide thread budget of
  corewise's runtime (README, "Hardening"): concurrent calls together use
  at most the cores, and a lone straggler task still gets the whole team;
- processes -- the multiprocessing scheduler's pool, or several
  dask.distributed worker processes on one host -- do not share a budget,
  so a call in such a process uses at most max(1, cores // processes)
  threads.  dask.distributed's nanny already starts workers with
  OMP_NUM_THREADS=1, which corewise honours.
"""
import contextlib
import multiprocessing
import os

import numpy as np

from ._lib import lib
from ._threads import threads


def is_dask_array(x):
    t = type(x)
    return t.__name__ == "Array" and t.__module__.startswith("dask.array")


def worker_processes():
    """How many worker processes share this host's cores with this one (1
    outside a process pool)."""
    if multiprocessing.parent_process() is None:
        return 1
    import dask
    from dask.system import CPU_COUNT
    return max(1, int(dask.config.get("num_workers", None) or CPU_COUNT))


_RULE = [True]


@contextlib.contextmanager
def rule(enabled=True):
    """Switch the oversubscription rule on or off (benchmarks measure its
    effect with it off: every task then starts a full OpenMP team)."""
    prev = _RULE[0]
    _RULE[0] = bool(enabled)
    prev_budget = lib.cw_set_thread_budget(int(bool(enabled)))
    try:
        yield
    finally:
        _RULE[0] = prev
        lib.cw_set_thread_budget(prev_budget)


def task_threads():
    """OpenMP threads a corewise call in the current Dask task may use
    (before the runtime's per-process budget shares them among threads)."""
    if not _RULE[0]:
        return lib.cw_get_num_threads()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else lib.cw_num_procs()
    return max(1, min(lib.cw_get_num_threads(), cores // worker_processes()))


class BlockCall:
    """Picklable per-block call of ``corewise.<name>`` under the rule above
    (pickled by name, so dask.distributed workers import corewise afresh);
    keyword arguments given by dask (axis=, keepdims=) are passed on."""

    def __init__(self, name):
        self.name = self.__name__ = name

    def __call__(self, *blocks, **kw):
        import corewise
        with threads(task_threads()):
            return getattr(corewise, self.name)(*blocks, **kw)

    def __repr__(self):
        return f"corewise.{self.name}"


def _dot_block(a, b):
    """One block pair's dot product, as a 1-element array."""
    import corewise
    with threads(task_threads()):
        return np.atleast_1d(corewise.dot(a, b))


def _meta(a):
    """A one-element NumPy stand-in with a's dtype and ndim (scalars as is)."""
    if is_dask_array(a):
        return np.ones((1,) * a.ndim, dtype=a.dtype)
    return a


def elementwise(name, args, out=None):
    """Lazy ``corewise.<name>(*args)`` over dask arrays (NumPy broadcasting
    between arrays and scalars; chunks unified by dask)."""
    import corewise
    from dask.array.core import elemwise
    _refuse_out(name, out)
    # Resolve dtypes and reject bad input now, with NumPy stand-ins.
    with np.errstate(all="ignore"):
        dtype = np.asarray(getattr(corewise, name)(*map(_meta, args))).dtype
    return elemwise(BlockCall(name), *args, dtype=dtype, name=f"corewise-{name}")


def _refuse_out(name, out):
    if out is not None:
        raise TypeError(f"corewise.{name}: out= is not supported with dask arrays "
                        "(they are immutable); use the returned array")


def reduction(name, a, axis=None, out=None, keepdims=False):
    """Lazy ``corewise.<name>(a, axis, keepdims)`` over a dask array: a tree
    of corewise reductions, per block and over the partial results (dask's
    fixed tree: bitwise deterministic for a given chunking)."""
    import corewise
    import dask.array as da
    _refuse_out(name, out)
    f = getattr(corewise, name)
    with np.errstate(all="ignore"):  # dtype and argument errors, eagerly
        meta = np.asarray(f(np.ones((1,) * a.ndim, a.dtype), axis=axis, keepdims=keepdims))
    if name in ("argmin", "argmax"):
        from functools import partial
        from dask.array.reductions import arg_agg, arg_chunk, arg_combine, arg_reduction
        fn, argfn = BlockCall(name[3:]), BlockCall(name)
        return arg_reduction(a, partial(arg_chunk, fn, argfn), partial(arg_combine, argfn),
                             partial(arg_agg, argfn), axis=axis, keepdims=keepdims)
    if name == "mean":
        s = reduction("sum", a, axis, None, keepdims)
        axes = range(a.ndim) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
        n = int(np.prod([a.shape[d] for d in axes], dtype=np.int64))
        return (s / n).astype(meta.dtype)
    # per block: the reduction itself (counts for count_nonzero); over
    # blocks: the same reduction (a sum of the counts)
    agg = BlockCall("sum" if name == "count_nonzero" else name)
    return da.reduction(a, BlockCall(name), agg, axis=axis, keepdims=keepdims,
                        dtype=meta.dtype, name=f"corewise-{name}")


def dot(a, b):
    """Lazy 1-D ``corewise.dot``: per aligned block pair, then a sum of the
    partial products -- deterministic for a given chunking."""
    import dask.array as da
    a, b = da.asarray(a), da.asarray(b)
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"corewise.dot: dask operands must be 1-D vectors of one length, "
                         f"got shapes {a.shape} and {b.shape}")
    b = b.rechunk(a.chunks)
    parts = da.map_blocks(_dot_block, a, b, dtype=np.result_type(a.dtype, b.dtype),
                          chunks=((1,) * a.numblocks[0],))
    return reduction("sum", parts)


def evaluate(ex, env, out=None):
    """Lazy ``corewise.evaluate(ex)`` where some names are dask arrays: one
    fused call per block (NumPy broadcasting between the operands)."""
    import corewise
    from dask.array.core import elemwise
    _refuse_out("evaluate", out)
    names = list(env)
    metas = {k: _meta(v) for k, v in env.items()}
    with np.errstate(all="ignore"):
        dtype = np.asarray(corewise.evaluate(ex, metas)).dtype
    return elemwise(EvalBlock(ex, names), *env.values(), dtype=dtype, name="corewise-evaluate")


class EvalBlock:
    """Picklable per-block ``corewise.evaluate`` (the expression re-parsed,
    never executed, in each worker)."""

    def __init__(self, ex, names):
        self.ex, self.names = ex, names

    def __call__(self, *blocks):
        import corewise
        with threads(task_threads()):
            return corewise.evaluate(self.ex, dict(zip(self.names, blocks)))
