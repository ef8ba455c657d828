"""Thread control.

Effective thread count of a call, in order of precedence:
  1. ``with corewise.threads(n):`` -- the calling Python thread only;
  2. ``corewise.set_num_threads(n)`` -- the whole process;
  3. otherwise OpenMP's own setting, ``omp_get_max_threads()`` read at call
     time, so OMP_NUM_THREADS and threadpoolctl's
     ``threadpool_limits(n, user_api="openmp")`` take effect.
"""
import operator

from ._lib import lib

MAX_THREADS = 1024


def _validate(n):
    if isinstance(n, bool):
        raise TypeError("corewise: the thread count must be an int, not bool")
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"corewise: the thread count must be an int, not {type(n).__name__}") from None
    if n <= 0:
        raise ValueError(f"corewise: the thread count must be >= 1, got {n}")
    if n > MAX_THREADS:
        raise ValueError(f"corewise: the thread count must be <= {MAX_THREADS}, got {n}")
    return n


def set_num_threads(n):
    """Set the process-wide thread count (``None``: follow OpenMP again).

    Returns the previous process-wide setting (``None`` if there was none)."""
    prev = lib.cw_set_global_threads(0 if n is None else _validate(n))
    return prev or None


def get_num_threads():
    """The number of threads a corewise call made now, from this thread, may use."""
    return lib.cw_get_num_threads()


class threads:
    """``with corewise.threads(n):`` -- use n threads in this Python thread
    for the duration of the block; the previous value is restored on exit,
    also on an exception.  Other Python threads are not affected."""

    __slots__ = ("n", "_saved")

    def __init__(self, n):
        self.n = _validate(n)
        self._saved = []

    def __enter__(self):
        self._saved.append(lib.cw_set_local_threads(self.n))
        return self

    def __exit__(self, *exc):
        lib.cw_set_local_threads(self._saved.pop())
        return False

    def __repr__(self):
        return f"corewise.threads({self.n})"
