"""Shared machinery of the hardening tests (README, "Hardening").

Every check iterates over what the package exports -- ``corewise.functions``
(the element-wise table) -- so kernels added to the table are covered
without touching the tests.  An element-wise function ``corewise.<name>``
mirrors ``numpy.<name>``: ``f(*inputs, out=None)``; its op descriptor (when
it has one) gives the number of inputs and the accuracy contract."""
import os
import threading

import numpy as np

import corewise as cw


class Func:
    """One public element-wise function and its NumPy twin."""

    def __init__(self, name):
        self.name = name
        self.f = getattr(cw, name)
        op = getattr(self.f, "op", None)
        self.nin = getattr(op, "nin", 1)
        self.max_ulp = getattr(op, "max_ulp", 0)
        self.np = getattr(np, name)
        # messages name the canonical function, as NumPy's do (np.abs is
        # np.absolute, np.true_divide is np.divide)
        self.msg_name = getattr(op, "name", name)

    def __repr__(self):
        return self.name

    def __call__(self, *xs, **kw):
        return self.f(*xs[: self.nin], **kw)

    def numpy(self, *xs, **kw):
        return self.np(*xs[: self.nin], **kw)


# (rows without float loops -- integer-only, NumPy-served -- are fed float
# arrays here, which NumPy refuses; the CW_MULTI rows -- two outputs, or
# ldexp's integer exponent -- do not take f(x, x, out=one array):
# tests/test_natives.py covers them, the same properties included:
# unaligned, big-endian and float16 operands, out= in any layout)
FUNCS = [Func(n) for n in cw.functions
         if getattr(getattr(cw, n), "op", None) is None
         or getattr(cw, n).op.float_loops and getattr(cw, n).op.kind != "multi"]


def family_calls():
    """(label, f) pairs, f(x) for one float array x (1-D or 2-D): every
    public family -- element-wise functions, reductions (whole array and
    along the last axis), dot, selections, evaluate -- found by its public
    names, so a family that is not there is simply not listed."""
    calls = [(fn.name, lambda x, fn=fn: fn(*(x,) * fn.nin)) for fn in FUNCS]
    try:
        from corewise._reduce import REDUCTIONS
    except ImportError:
        REDUCTIONS = ()
    for op in REDUCTIONS:
        f = getattr(cw, op.name)
        calls.append((op.name, lambda x, f=f: f(x)))
        calls.append((f"{op.name}(axis=-1)", lambda x, f=f: f(x, axis=-1)))
    if hasattr(cw, "dot"):
        calls.append(("dot", lambda x: cw.dot(x.reshape(-1), x.reshape(-1)[::-1])))
    if hasattr(cw, "flatnonzero"):
        calls.append(("flatnonzero", lambda x: cw.flatnonzero(x)))
        calls.append(("nonzero", lambda x: cw.nonzero(x)))
        calls.append(("extract", lambda x: cw.extract(x > 0.5, x)))
        calls.append(("compress", lambda x: cw.compress(x.reshape(-1) > 0.5, x.reshape(-1))))
    if hasattr(cw, "evaluate"):
        calls.append(("evaluate", lambda x: cw.evaluate("sqrt(a * a + 1) * 2 - a", {"a": x})))
        calls.append(("evaluate-where", lambda x: cw.evaluate("where(a > 0.5, a, -a)", {"a": x})))
    return calls


def _under_asan():
    try:
        with open("/proc/self/maps") as f:
            return "libasan" in f.read()
    except OSError:
        return False


#: Running under AddressSanitizer (`make asan`): its quarantine holds freed
#: memory back, so RSS measurements mean nothing there (LSan checks leaks).
UNDER_ASAN = _under_asan()


def inputs(rng, dtype, shape, nin=3):
    """Inputs inside the domain of most math functions (0.25..0.75 plus a
    few >1 values), so results are mostly finite; NaNs are compared too."""
    out = []
    for _ in range(nin):
        a = rng.uniform(0.25, 0.75, size=shape).astype(dtype)
        a.reshape(-1)[::7] = 1.5
        out.append(a)
    return out


def rss_bytes():
    """Resident set size of this process (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def child_env(**extra):
    """Environment for a child interpreter: the parent's (so a sanitizer
    runtime preloaded by `make asan` is inherited), plus ``extra``."""
    env = dict(os.environ, PYTHONWARNINGS="ignore::DeprecationWarning")
    env.update(extra)
    return env



def run_threads(work, n, timeout=120):
    """work(i) for i in range(n), in n Python threads released together by
    a barrier: fails on a hang (a thread still running after ``timeout``
    seconds) or with the first exception a thread raised."""
    barrier, errors = threading.Barrier(n), []

    def run(i):
        try:
            barrier.wait()
            work(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    ts = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout)
    assert not any(t.is_alive() for t in ts), "a thread hung"
    assert not errors, errors[0]
