"""Thread control.

Effective thread count of a call, in order of precedence:
  1. ``with corewise.threads(n):`` -- the calling Python thread only;
  2. ``corewise.set_num_threads(n)`` -- the whole process;
  3. otherwise OpenMP's own setting, ``omp_get_max_threads()`` read at call
     time, so OMP_NUM_THREADS and threadpoolctl's
     ``threadpool_limits(n, user_api="openmp")`` take effect.

In case 3 the count is a maximum: the adaptive runtime (csrc/adapt.c) uses
fewer threads while the machine is busy.  Counts set in cases 1 and 2 are
used as given.  ``set_adaptive(False)`` (or COREWISE_ADAPTIVE=0 in the
environment at import) switches the adaptation off.
"""
import operator
import os

from ._lib import lib

if os.environ.get("COREWISE_ADAPTIVE", "1").strip() in ("0", "off", "false", "no"):
    lib.cw_set_adaptive(0)

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


def set_adaptive(on):
    """Switch the adaptation to a busy machine on or off (process-wide);
    returns the previous state.  Off, a call with the default thread count
    always forms its full team, as corewise did before."""
    if not isinstance(on, bool):
        raise TypeError(f"corewise: set_adaptive takes a bool, not {type(on).__name__}")
    return bool(lib.cw_set_adaptive(int(on)))


def get_adaptive():
    """Whether the adaptive runtime is on."""
    return bool(lib.cw_get_adaptive())


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
