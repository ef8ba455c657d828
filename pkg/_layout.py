"""Memory layout of operands: the one dimension merger (collapse) behind
every strided kernel call -- element-wise functions, corewise.evaluate,
reductions and selections -- byte strides of a broadcast operand, and the
overlap tests that decide when an input is copied before out= is written."""
import numpy as np


def addr(a):
    """The address of an array's first element."""
    return a.__array_interface__["data"][0]


def internal_overlap(a):
    """True if distinct elements of ``a`` may share memory (conservative)."""
    span = a.itemsize
    for s, n in sorted((abs(s), n) for s, n in zip(a.strides, a.shape) if n > 1):
        if s < span:
            return True
        span += s * (n - 1)
    return False


def needs_input_copy(x, y):
    """Partial overlap between input and output -> copy the input first
    (NumPy semantics: as if the input were read before any write)."""
    if not np.may_share_memory(x, y):
        return False
    return not (addr(x) == addr(y) and x.strides == y.strides)


def broadcast_strides(a, shape):
    """Byte strides of ``a`` broadcast to ``shape`` (0 where it repeats)."""
    pad = len(shape) - a.ndim
    return [0 if i < pad or a.shape[i - pad] == 1 else a.strides[i - pad]
            for i in range(len(shape))]


def collapse(shape, *strides, keep_order=False):
    """Dimensions of one or more arrays of ``shape`` (byte ``strides``, one
    list per array) reduced to the fewest the kernels need: unit dimensions
    are dropped and neighbours merged where they are contiguous in every
    array.  Before merging, the dimensions are ordered by the last array's
    (the output's) stride, outermost first -- the order of the elements does
    not matter to an element-wise kernel -- unless ``keep_order``
    (reductions, selections: the C-order sequence of the elements is kept).
    Returns (shape, *strides) as lists; all empty when every dimension is 1."""
    dims = [d for d in zip(shape, *strides) if d[0] != 1]
    if not keep_order:
        dims.sort(key=lambda d: tuple(abs(s) for s in d[:0:-1]), reverse=True)
    k = len(strides)
    merged = []
    for d in dims:
        m = merged[-1] if merged else None
        n = d[0]
        if m is not None and all(m[i] == d[i] * n for i in range(1, k + 1)):
            m[0] *= n
            m[1:] = d[1:]
        else:
            merged.append(list(d))
    return tuple([d[i] for d in merged] for i in range(k + 1))
