"""`python -m corewise bench --kernels`: user kernels (corewise.ElementwiseKernel,
corewise.ReductionKernel) against NumPy, numexpr, corewise.evaluate and numba.

Cases, on --evaluate-size float64 elements (default 10M):
  - compute-bound body ``z = sqrt(x*x + y*y) * exp(-x)`` at each thread
    count: NumPy, numexpr (if installed), cw.evaluate, the user kernel, and
    numba's ``@vectorize(target="parallel")`` on the same body (if numba is
    importable; the ``bench`` extra installs it);
  - memory-bound body ``z = x + y``: the user kernel against the copy roof
    (a parallel copy moving the same bytes);
  - a user reduction (``sqrt`` of the sum of squares) against NumPy and
    cw.sum, and the read roof;
  - the first call of a new kernel (a fresh cache: generate, compile, load)
    and the cost of a cached call on 100 elements.
Every implementation is checked against NumPy before it is timed; times are
medians of interleaved repeats (_bench.paired_times)."""
import os
import tempfile
import time

import numpy as np

from ._lib import ffi, lib

BODY = "z = sqrt(x * x + y * y) * exp(-x)"
EXPR = "sqrt(x * x + y * y) * exp(-x)"


def _numba_kernel():
    try:
        import numba
    except ImportError:
        return None, None

    @numba.vectorize(["float64(float64, float64)"], target="parallel")
    def body(x, y):
        return np.sqrt(x * x + y * y) * np.exp(-x)
    return numba, body


def _scan(rows, row, case, impls, tcounts, repeats, nbytes=None, roof=None):
    """impls: (name, fn(t) -> call, serial_only); roof: fn(t) -> call."""
    from ._bench import paired_times
    fns, index = [], []
    for name, make, serial in impls:
        for t in ([1] if serial else tcounts):
            fns.append(make(t))
            index.append((name, t))
    if roof is not None:
        for t in tcounts:
            fns.append(roof(t))
            index.append(("copy-roof", t))
    times = dict(zip(index, paired_times(fns, max(3, repeats // 2), 0.05)))
    gb = (lambda s: {"gbps": nbytes / s / 1e9}) if nbytes else (lambda s: {})
    t_np = times.get(("numpy", 1))
    for (name, t), s in times.items():
        extra = dict(gb(s))
        if name == "kernel":
            extra["speedup_vs_1thread"] = times[("kernel", 1)] / s
            if t_np:
                extra["speedup_vs_numpy"] = t_np / s
            for other in ("numexpr", "numba", "evaluate"):
                if (other, t) in times:
                    extra[f"speedup_vs_{other}"] = times[(other, t)] / s
            if roof is not None:
                extra["vs_roof"] = s / times[("copy-roof", t)]
        row(rows, case, name, t, s, **extra)


def bench_kernels(rows, tcounts, repeats, n):
    import corewise as cw
    from ._bench import _row, _thread_fn, numexpr_at
    try:
        import numexpr as ne
    except ImportError:
        ne = None
    numba, nb_body = _numba_kernel()
    rng = np.random.default_rng(11)
    x, y = rng.uniform(-3, 3, n), rng.uniform(-3, 3, n)
    out = np.empty(n)
    size = f"{n // 10**6}M" if n % 10**6 == 0 else str(n)

    # compute-bound
    k = cw.ElementwiseKernel("T x, T y", "T z", BODY, "bench_hypexp")
    t0 = time.perf_counter()
    k(x[:100], y[:100])
    _row(rows, "kernel first call (this body, cache as found)", "corewise", 1,
         time.perf_counter() - t0)
    want = np.sqrt(x * x + y * y) * np.exp(-x)
    env = {"x": x, "y": y}
    checks = [lambda: k(x, y, out), lambda: cw.evaluate(EXPR, env, out=out)]
    if ne is not None:
        checks.append(lambda: ne.evaluate(EXPR, local_dict=env, out=out))
    if nb_body is not None:
        checks.append(lambda: nb_body(x, y, out=out))
    for c in checks:
        c()
        assert np.allclose(out, want, rtol=1e-13, atol=0), "wrong result"
    impls = [("numpy", lambda t: lambda: np.multiply(np.sqrt(x * x + y * y), np.exp(-x),
                                                       out=out), True),
             ("evaluate", lambda t: _thread_fn(lambda: cw.evaluate(EXPR, env, out=out), t),
              False),
             ("kernel", lambda t: _thread_fn(lambda: k(x, y, out), t), False)]
    if ne is not None:
        impls.append(("numexpr", lambda t: numexpr_at(ne, EXPR, env, out, t), False))
    if nb_body is not None:
        def nb_at(t):
            def run():
                numba.set_num_threads(min(t, numba.config.NUMBA_NUM_THREADS))
                nb_body(x, y, out=out)
            return run
        impls.append(("numba", nb_at, False))
    else:
        _row(rows, f"kernel {BODY} {size}", "numba: not installed (skipped)", 0, 0.0)
    _scan(rows, _row, f"kernel {BODY} {size}", impls, tcounts, repeats)

    # memory-bound: against the copy roof moving the same bytes (24 n)
    add = cw.ElementwiseKernel("T x, T y", "T z", "z = x + y", "bench_add")
    add(x, y, out)
    assert np.array_equal(out, x + y)
    nbytes = 24 * n
    src = np.ones(nbytes // 2, np.uint8)
    dst = np.empty_like(src)
    sb, db = ffi.from_buffer(src), ffi.from_buffer(dst)
    _scan(rows, _row, f"kernel z = x + y {size}",
          [("numpy", lambda t: lambda: np.add(x, y, out=out), True),
           ("kernel", lambda t: _thread_fn(lambda: add(x, y, out), t), False)],
          tcounts, repeats, nbytes,
          roof=lambda t: _thread_fn(lambda: lib.cw_parallel_copy(nbytes // 2, sb, db), t))

    # a user reduction
    l2 = cw.ReductionKernel("T x", "T y", "x * x", "a + b", "y = sqrt(a)", "0", "bench_l2")
    assert abs(l2(x) - np.sqrt(np.dot(x, x))) <= 1e-12 * np.sqrt(np.dot(x, x))
    with cw.threads(1):
        one = l2(x)
    for t in tcounts:          # bitwise the same for every thread count
        with cw.threads(t):
            assert l2(x) == one
    _scan(rows, _row, f"reduction sqrt(sum(x*x)) {size}",
          [("numpy", lambda t: lambda: np.sqrt(np.sum(x * x)), True),
           ("cw.sum(x) (no map)", lambda t: _thread_fn(lambda: cw.sum(x), t), False),
           ("kernel", lambda t: _thread_fn(lambda: l2(x), t), False)],
          tcounts, repeats, 8 * n)

    # first call of a new kernel with a fresh cache, and a cached call's cost
    saved = os.environ.get("COREWISE_CACHE_DIR")
    with tempfile.TemporaryDirectory() as d:
        os.environ["COREWISE_CACHE_DIR"] = d
        try:
            kk = int.from_bytes(os.urandom(4), "little")
            fresh = cw.ElementwiseKernel("T x, T y", "T z", f"{BODY} + {kk}", "bench_fresh")
            t0 = time.perf_counter()
            fresh(x[:100], y[:100])
            _row(rows, "kernel first call (fresh cache: compile)", "corewise", 1,
                 time.perf_counter() - t0)
        finally:
            if saved is None:
                del os.environ["COREWISE_CACHE_DIR"]
            else:
                os.environ["COREWISE_CACHE_DIR"] = saved
    from ._bench import paired_times
    a, b, o = x[:100].copy(), y[:100].copy(), np.empty(100)
    cases = [("kernel out=", lambda: k(a, b, o)), ("kernel alloc", lambda: k(a, b)),
             ("evaluate out=", lambda: cw.evaluate(EXPR, {"x": a, "y": b}, out=o)),
             ("numpy", lambda: np.sqrt(a * a + b * b) * np.exp(-a))]
    if nb_body is not None:
        cases.append(("numba out=", lambda: nb_body(a, b, out=o)))
    for (impl, _), t in zip(cases, paired_times([c[1] for c in cases], repeats, 0.05)):
        _row(rows, "kernel call-100", impl, 1, t)
