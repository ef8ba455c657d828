"""Leaks: nothing a call touches is retained, and RSS stays flat over 1e6
small calls and 1e3 calls on large arrays, on every path of the facade
(fast path, out=, strided views, dtype conversion, cast on the way out,
0-d) for every function.  LeakSanitizer (`make asan`) checks C-level leaks;
Python-object leaks are invisible to it, so they are measured here."""
import gc
import platform
import weakref

import numpy as np
import pytest

import corewise as cw
from hardening_util import FUNCS, UNDER_ASAN, rss_bytes

PYPY = platform.python_implementation() == "PyPy"
# Generous: a leak of 16 bytes per call (a cdata is ~100) is 16 MB at 1e6 calls.
# RSS is measured over calls made after the steady state is reached.
SMALL_BOUND = (64 if PYPY else 12) << 20


def _paths(n):
    """(label, weight, call) triples covering every path of the facade; the
    fast paths (what most calls take) get most of the calls."""
    x64 = np.linspace(0.25, 0.75, n)
    x32 = x64.astype(np.float32)
    xi = (np.arange(n) % 100).astype(np.int16)  # >= 0: integer power is defined
    o64, o32 = np.empty_like(x64), np.empty_like(x32)
    o16 = np.empty(n, np.float16)
    twod = np.linspace(0.25, 0.75, 4 * n).reshape(4, n)
    return [
        ("fast", 45, lambda f: f(x64)),
        ("fast-out", 45, lambda f: f(x32, out=o32)),
        ("strided", 2, lambda f: f(x64[::-2])),
        ("strided-out", 1, lambda f: f(twod[:, ::2], out=twod[:, 1::2])),
        ("convert", 2, lambda f: f(xi)),
        ("cast-out", 2, lambda f: f(x32, out=o16)),
        ("broadcast-out", 1, lambda f: f(x64[:1], out=o64)),
        ("scalar", 1, lambda f: f(0.5)),
        ("tuple-out", 1, lambda f: f(x64, out=(o64,))),
    ]


def _call(fn):
    """corewise.<name> with its single input repeated for every operand."""
    return fn.f if fn.nin == 1 else (lambda x, **k: fn(*(x,) * fn.nin, **k))


def _run(n, total):
    paths = _paths(n)
    weight = sum(w for _, w, _ in paths) * len(FUNCS)
    done = 0
    with np.errstate(all="ignore"):
        for fn in FUNCS:
            f = _call(fn)
            for _, w, thunk in paths:
                k = max(1, total * w // weight)
                for _ in range(k):
                    thunk(f)
                done += k
    return done


def _growth(n, total, bound, windows=3):
    """(RSS growth, calls) of the first of up to `windows` equal batches of
    calls whose growth stays under `bound`, else of the last one.

    Warm up to the steady state first: caches and pools on CPython; on PyPy
    the GC lets the heap grow to a plateau first (measured: +500 MiB over the
    first ~500K small calls, then flat -- for NumPy's own calls too), so PyPy
    warms up with as many calls as it then measures.  A leak is paid per
    call, so it grows every batch by the same amount; a one-off step of the
    heap (PyPy's GC raising its threshold, an arena of the allocator kept
    after what an earlier test in the same worker left) shows in one batch
    only.  Measured on PyPy: alone 0.0 MiB a batch of 1000 large calls, in
    a CI worker after other tests once 35 MiB -- the next batch then flat."""
    _run(n, total if PYPY else max(100, total // 20))
    for _ in range(windows):
        _collect()
        before = rss_bytes()
        done = _run(n, total)
        _collect()
        grew = rss_bytes() - before
        if grew < bound:
            break
    return grew, done


def _collect():
    """Free all garbage.  PyPy needs more than one collection: objects with
    finalizers (the cpyext buffers of from_buffer and memoryviews) are
    finalized by one and freed, with the arrays they held, by the next.
    With a single gc.collect() the RSS read right after a batch was 64 MiB
    above the one read after a second collection (measured: batches then
    seemed to grow by 64 MiB each while RSS itself stayed flat)."""
    for _ in range(3 if PYPY else 1):
        gc.collect()


rss = pytest.mark.skipif(UNDER_ASAN, reason="ASan's quarantine keeps freed memory resident")


@rss
def test_rss_flat_over_a_million_small_calls():
    grew, done = _growth(64, 10**6, SMALL_BOUND)
    assert done >= 0.9e6
    print(f"leaks: {done} small calls, RSS growth {grew / 2**20:.2f} MiB")
    assert grew < SMALL_BOUND, f"RSS grew {grew / 2**20:.1f} MiB over {done} calls"


@rss
def test_rss_flat_over_a_thousand_large_calls():
    n = 1 << 19                                        # 4 MiB per float64 array
    # one leaked result is 4 MiB: allow less than 8 of them in 1000 calls
    bound = 32 << 20
    grew, done = _growth(n, 1000, bound)
    assert done >= 1000 * 0.9
    print(f"leaks: {done} calls on {n}-element arrays, RSS growth {grew / 2**20:.2f} MiB")
    assert grew < bound, f"RSS grew {grew / 2**20:.1f} MiB over {done} large calls"


def _one_call(fn, label):
    """Weak references to every array a call on ``label``'s path touched."""
    thunk = {lbl: t for lbl, _, t in _paths(5000)}[label]
    arrays = [c.cell_contents for c in thunk.__closure__ or ()
              if isinstance(c.cell_contents, np.ndarray)]
    with np.errstate(all="ignore"):
        res = thunk(_call(fn))
    if isinstance(res, np.ndarray):
        arrays.append(res)
    return [weakref.ref(a) for a in arrays]


@pytest.mark.parametrize("fn", FUNCS, ids=repr)
@pytest.mark.parametrize("label", [p[0] for p in _paths(1)])
def test_nothing_retains_the_arrays(fn, label):
    """Inputs and outputs are freed as soon as the caller drops them: no
    cdata (ffi.from_buffer keeps its array alive) or cache outlives a call."""
    refs = _one_call(fn, label)
    if any(r() is not None for r in refs):
        # only when reference counting has not freed them all (PyPy, or a
        # cycle): a full collection costs ~0.25 s in a large test process
        gc.collect()
        gc.collect()
    assert refs or label == "scalar"
    assert all(r() is None for r in refs), "an array outlived the call"
