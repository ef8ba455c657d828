"""``python -m corewise bench``: corewise against NumPy and the machine's roof.

Every figure is the median of several repeats, each long enough to be timed
reliably; all rows of one run are measured side by side in the same process.

Cases
  sqrt-600x600   the original example: a 600x600 float64 matrix
                 (np.random.seed(3435), uniform), allocating result, as in
                 the blog post's timer.py
  sqrt-32M       32M float64 with out= (memory bound), against a parallel
                 copy of the same bytes (the roof), per thread count
  call-100       per-call cost on 100 float64 elements with out=, against
                 np.sqrt and the bare cffi call (two from_buffer + call)
  call-1000      per-call cost on 1000 float64 elements: add (out=, fresh
                 result, Python scalar), sqrt, exp, against NumPy
  --threshold    serial vs parallel time over sizes: where a parallel region
                 starts to pay off (how the serial threshold was chosen)
  --reduce       every reduction and selection (sum, prod, mean, nansum, min,
                 max, nanmin, nanmax, argmin, argmax, count_nonzero, dot,
                 nonzero, flatnonzero, extract, compress), float64 and
                 float32, at 256K (in cache) and --large (32M) elements, 1
                 thread and all, against NumPy in the same run; the 32M rows
                 also against a parallel read of the array's bytes (the roof
                 for reductions); nonzero of a 32M bool array, half true
  --evaluate     corewise.evaluate on 10M float64 (--evaluate-size): four
                 expressions, NumPy vs numexpr (if importable) vs evaluate
                 with out=, JIT and block interpreter (corewise-interp,
                 _bench_interp.py), per thread count, against the copy roof of the
                 bytes the fused loop moves; plus the first-call compile
                 time (fresh cache) and the cached-call overhead
  --dask, --out-of-core   see _bench_dask.py: Dask + corewise against Dask +
                 NumPy, the oversubscription rule, an on-disk array > RAM
  --math         the math family: exp, exp2, log, log2, log10, sin, cos, tan, tanh on 4M float64 and
                 float32 (out=); add, multiply, absolute on --large float64
                 against the parallel copy of the bytes they move
  --natives      see _bench_natives.py: NumPy's other element-wise names
                 (bitwise, shifts, division, gcd, hypot, ...) on 4M elements
  --contention, --plot   see _bench_contention.py: k busy processes, 8 Python
                 threads at once, the switch when load starts and stops; the
                 speed-up-against-size picture
  --patch        see _bench_patch.py: unchanged NumPy code (and pandas) with
                 corewise.patch_numpy() against unpatched, interleaved
"""
import json
import statistics
import time

import numpy as np

from . import _info
from ._lib import ffi, lib
from ._threads import threads


def add_arguments(p):
    p.add_argument("--json", action="store_true", help="print JSON rows instead of a table")
    p.add_argument("--threads", default=None,
                   help="comma-separated thread counts (default: 1, 2, 4, ... up to the cores)")
    p.add_argument("--large", type=int, default=32 * 2**20,
                   help="elements of the large (memory-bound) case (default 32M)")
    p.add_argument("--repeats", type=int, default=9, help="repeats per figure (median)")
    p.add_argument("--cpu-time", action="store_true",
                   help="time by the calling thread's CPU time, not the wall clock: "
                        "one thread only (--threads is set to 1), for a machine that "
                        "other processes share (their time slices are not counted); "
                        "run with OPENBLAS_NUM_THREADS=1 so that NumPy's dot is one thread too")
    p.add_argument("--quick", action="store_true",
                   help="small sizes and few repeats (a smoke test, not a benchmark)")
    p.add_argument("--threshold", action="store_true",
                   help="also sweep sizes to show where parallel beats serial")
    p.add_argument("--reduce", action="store_true",
                   help="also run every reduction and selection, float64 and float32, 256K and --large")

    p.add_argument("--evaluate", action="store_true",
                   help="also benchmark corewise.evaluate (fused expressions) against "
                        "NumPy and numexpr")
    p.add_argument("--evaluate-size", type=int, default=10 * 10**6,
                   help="elements of the evaluate cases (default 10M)")
    p.add_argument("--kernels", action="store_true",
                   help="user kernels (ElementwiseKernel, ReductionKernel) vs NumPy, numexpr, "
                        "evaluate, numba (on --evaluate-size elements)")
    p.add_argument("--scan", action="store_true",
                   help="also run the scans (cumsum, cumprod, maximum.accumulate) vs NumPy "
                        "and the copy roof, 256K and --large (_bench_scan.py)")
    p.add_argument("--dask", action="store_true",
                   help="also run Dask + corewise vs Dask + NumPy (threaded scheduler, "
                        "LocalCluster) and the oversubscription rule's effect")
    p.add_argument("--dask-sizes", default="33554432,1073741824",
                   help="elements of the --dask workloads (default 32M,1G)")
    p.add_argument("--out-of-core", action="store_true",
                   help="also process an on-disk array larger than RAM through Dask")
    p.add_argument("--ooc-bytes", type=int, default=None,
                   help="size of the --out-of-core file (default 1.25 x RAM)")
    p.add_argument("--natives", action="store_true",
                   help="also run bitwise/shift/division/gcd/hypot/... on 4M elements")
    p.add_argument("--math", action="store_true",
                   help="also run the math-family cases (transcendentals, binary ops)")
    p.add_argument("--complex", action="store_true",
                   help="also time the native complex128 loops at 4M elements against NumPy "
                        "(_bench_complex.py)")
    p.add_argument("--contention", action="store_true",
                   help="also run on a busy machine: k = 0 .. cores busy processes "
                        "(started and stopped here), 8 Python threads at once, and a "
                        "timeline in which the load starts and stops (_bench_contention.py)")
    p.add_argument("--busy", default=None,
                   help="comma-separated numbers of busy processes for --contention and --patch "
                        "(default: 0 .. cores for --contention, 0 for --patch)")
    p.add_argument("--pythreads", type=int, default=8,
                   help="Python threads calling at once in --contention (default 8)")
    p.add_argument("--patch", action="store_true",
                   help="also run unchanged NumPy code patched (corewise.patch_numpy) "
                        "against unpatched (_bench_patch.py)")
    p.add_argument("--plot", metavar="FILE.png", default=None,
                   help="also draw speed-up over NumPy against size, quiet and beside a "
                        "busy process, into FILE.png (needs matplotlib: the plot extra)")


def _thread_counts(spec):
    if spec:
        return [int(t) for t in spec.split(",")]
    n = lib.cw_num_procs()
    out, t = [], 1
    while t < n:
        out.append(t)
        t *= 2
    return out + [n]


_CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}
_clock = time.perf_counter  # --cpu-time: the calling thread's CPU time


def _calibrate(fn, min_time):
    fn()
    number = 1
    while True:
        t0 = _clock()
        for _ in range(number):
            fn()
        dt = _clock() - t0
        if dt >= min_time:
            return number
        number *= 2 if dt <= 0 else max(2, min(10, int(min_time / dt * 1.2) + 1))


def _once(fn, number):
    t0 = _clock()
    for _ in range(number):
        fn()
    return (_clock() - t0) / number


def median_time(fn, repeats=9, min_time=0.02):
    """Median seconds per call of fn(); each repeat loops >= min_time."""
    number = _calibrate(fn, min_time)
    return statistics.median(_once(fn, number) for _ in range(repeats))


def paired_times(fns, repeats=9, min_time=0.02):
    """Median seconds per call of each fn, measured interleaved (A B C A B C
    ...) so that a drift of the machine's speed hits all of them alike."""
    numbers = [_calibrate(f, min_time) for f in fns]
    samples = [[] for _ in fns]
    for _ in range(repeats):
        for f, n, acc in zip(fns, numbers, samples):
            acc.append(_once(f, n))
    return [statistics.median(acc) for acc in samples]


def _row(rows, case, impl, thr, sec, **extra):
    r = {"case": case, "impl": impl, "threads": thr, "median_us": sec * 1e6}
    r.update(extra)
    rows.append(r)
    return r


def _thread_fn(fn, t):
    def run():
        with threads(t):
            fn()
    return run


def _scaling(rows, case, np_fn, cw_fn, tcounts, repeats, min_time, nbytes=None, roof_fn=None,
             roof_name="copy-roof"):
    """NumPy, then corewise (and the copy roof) at each thread count, all
    timed interleaved in one go."""
    fns = [np_fn] + [_thread_fn(cw_fn, t) for t in tcounts]
    if roof_fn is not None:
        fns += [_thread_fn(roof_fn, t) for t in tcounts]
    times = paired_times(fns, repeats, min_time)
    t_np, t_cw = times[0], times[1:1 + len(tcounts)]
    t_roof = times[1 + len(tcounts):]
    gb = (lambda s: {"gbps": nbytes / s / 1e9}) if nbytes else (lambda s: {})
    _row(rows, case, "numpy", 1, t_np, **gb(t_np))
    for i, t in enumerate(tcounts):
        if roof_fn is not None:
            _row(rows, case, roof_name, t, t_roof[i], **gb(t_roof[i]))
        extra = {"vs_roof": t_cw[i] / t_roof[i]} if roof_fn is not None else {}
        _row(rows, case, "corewise", t, t_cw[i], speedup_vs_numpy=t_np / t_cw[i],
             speedup_vs_1thread=t_cw[0] / t_cw[i], **extra, **gb(t_cw[i]))


def bench_sqrt600(rows, tcounts, repeats):
    import corewise as cw
    np.random.seed(3435)
    m = np.random.uniform(size=(600, 600))
    r = np.empty_like(m)
    assert np.array_equal(cw.sqrt(m), np.sqrt(m))
    _scaling(rows, "sqrt-600x600", lambda: np.sqrt(m), lambda: cw.sqrt(m),
             tcounts, repeats, 0.02)
    _scaling(rows, "sqrt-600x600 out=", lambda: np.sqrt(m, out=r),
             lambda: cw.sqrt(m, out=r), tcounts, repeats, 0.02)


def bench_large(rows, tcounts, repeats, n):
    import corewise as cw
    x = np.random.default_rng(1).uniform(size=n)
    y = np.empty_like(x)
    assert np.array_equal(cw.sqrt(x, out=y), np.sqrt(x))
    xb, yb = ffi.from_buffer(x), ffi.from_buffer(y)
    case = f"sqrt-{n // 2**20}M" if n % 2**20 == 0 else f"sqrt-{n}"
    _scaling(rows, case, lambda: np.sqrt(x, out=y), lambda: cw.sqrt(x, out=y),
             tcounts, max(3, repeats // 2), 0.05, nbytes=2 * x.nbytes,
             roof_fn=lambda: lib.cw_parallel_copy(x.nbytes, xb, yb))


def bench_call(rows, repeats):
    import corewise as cw
    x = np.random.default_rng(2).uniform(size=100)
    y = np.empty_like(x)
    fb, f = ffi.from_buffer, lib.cw_unary_contig
    op = cw.sqrt.op.id
    cases = [("numpy out=", lambda: np.sqrt(x, out=y)),
             ("bare cffi call", lambda: f(op, lib.CW_F64, 100, fb(x), fb(y))),
             ("corewise out=", lambda: cw.sqrt(x, out=y)),
             ("numpy alloc", lambda: np.sqrt(x)),
             ("corewise alloc", lambda: cw.sqrt(x))]
    for (impl, _), t in zip(cases, paired_times([c[1] for c in cases], repeats, 0.05)):
        _row(rows, "call-100", impl, 1, t)


def bench_call1000(rows, repeats):
    """Per-call cost on 1000 float64 elements, unary and binary, against
    NumPy (the target: no more than 1 us slower) and the bare cffi call."""
    import corewise as cw
    rng = np.random.default_rng(5)
    a, b = rng.uniform(size=1000), rng.uniform(size=1000)
    o = np.empty(1000)
    fb, f = ffi.from_buffer, lib.cw_binary_contig
    add = cw.add.op.id
    cases = [("numpy add out=", lambda: np.add(a, b, out=o)),
             ("corewise add out=", lambda: cw.add(a, b, out=o)),
             ("bare cffi add", lambda: f(add, lib.CW_F64, 1000, fb(a), 8, fb(b), 8, fb(o))),
             ("numpy add alloc", lambda: np.add(a, b)),
             ("corewise add alloc", lambda: cw.add(a, b)),
             ("numpy add scalar", lambda: np.add(a, 2.0)),
             ("corewise add scalar", lambda: cw.add(a, 2.0)),
             ("numpy sqrt out=", lambda: np.sqrt(a, out=o)),
             ("corewise sqrt out=", lambda: cw.sqrt(a, out=o)),
             ("numpy sqrt alloc", lambda: np.sqrt(a)),
             ("corewise sqrt alloc", lambda: cw.sqrt(a)),
             ("numpy exp out=", lambda: np.exp(a, out=o)),
             ("corewise exp out=", lambda: cw.exp(a, out=o))]
    for (impl, _), t in zip(cases, paired_times([c[1] for c in cases], repeats, 0.05)):
        _row(rows, "call-1000", impl, 1, t)


def bench_threshold(rows, repeats):
    """Serial vs all-threads time of sqrt with out= over sizes 2**10..2**20."""
    import corewise as cw
    nt = lib.cw_num_procs()
    saved = lib.cw_get_min_parallel()

    def with_threshold(fn, thr, t):
        def run():
            lib.cw_set_min_parallel(thr)
            with threads(t):
                fn()
        return run
    try:
        for k in range(10, 21):
            n = 2**k
            x = np.random.default_rng(k).uniform(size=n)
            y = np.empty_like(x)
            call = lambda: cw.sqrt(x, out=y)  # noqa: E731
            serial, par = paired_times([with_threshold(call, 2**62, 1),
                                        with_threshold(call, 2, nt)], repeats)
            _row(rows, f"threshold-{n}", "serial", 1, serial)
            _row(rows, f"threshold-{n}", "parallel", nt, par, speedup_vs_serial=serial / par)
    finally:
        lib.cw_set_min_parallel(saved)


REDUCE_NAMES = ("sum", "prod", "mean", "nansum", "min", "max", "nanmin", "nanmax", "argmin",
                "argmax", "count_nonzero", "dot", "nonzero", "flatnonzero", "extract", "compress")


def _reduce_call(mod, name, x, c, b):
    """mod.name on the bench data: x uniform in [0, 1), c = x with the
    elements < 0.5 zeroed (count_nonzero, nonzero, flatnonzero), b = x < 0.5
    (the condition of extract and compress)."""
    f = getattr(mod, name)
    if name == "dot":
        return lambda: f(x, x)
    if name in ("count_nonzero", "nonzero", "flatnonzero"):
        return lambda: f(c)
    if name in ("extract", "compress"):
        return lambda: f(b, x)
    return lambda: f(x)


def bench_reduce(rows, tcounts, repeats, n):
    """Every reduction and selection (REDUCE_NAMES), float64 and float32, at
    256K elements (in cache) and n (--large), against NumPy in the same
    run and, at n, against a parallel read of x's bytes (the read roof)."""
    import corewise as cw
    rng = np.random.default_rng(4)
    for size in ([256 * 1024, n] if n > 256 * 1024 else [n]):
        big = size == n and size > 256 * 1024
        tag = f"{size // 2**20}M" if size % 2**20 == 0 else (
            f"{size // 1024}K" if size % 1024 == 0 else str(size))
        for dt in (np.float64, np.float32):
            x = rng.uniform(size=size).astype(dt)
            c = np.where(x < 0.5, 0, x).astype(dt)
            b = x < 0.5
            xb, sink = ffi.from_buffer(x), ffi.new("uint64_t *")
            big_kw = dict(nbytes=x.nbytes, roof_name="read-roof",
                          roof_fn=lambda: lib.cw_parallel_read(x.nbytes, xb, sink))
            for name in REDUCE_NAMES:
                _scaling(rows, f"{name}-{tag}-{np.dtype(dt).name}",
                         _reduce_call(np, name, x, c, b), _reduce_call(cw, name, x, c, b),
                         tcounts, max(3, repeats // 2) if big else repeats,
                         0.05 if big else 0.02, **(big_kw if big else {}))
            del x, c, b
    b = rng.random(n) < 0.5
    assert np.array_equal(cw.nonzero(b)[0], np.nonzero(b)[0])
    tag = f"{n // 2**20}M" if n % 2**20 == 0 else str(n)
    _scaling(rows, f"nonzero-{tag}-bool", lambda: np.nonzero(b), lambda: cw.nonzero(b),
             tcounts, max(3, repeats // 2), 0.05)

EVALUATE_CASES = [
    # (expression, the same in NumPy, functions it needs from the table,
    #  bytes per element moved)
    ("sqrt(a*a+b*b)", lambda a, b: np.sqrt(a * a + b * b), ("sqrt",), 24),
    ("2*a+3*b", lambda a, b: 2 * a + 3 * b, (), 24),
    ("a*b-4.1*a > 2.5*b", lambda a, b: a * b - 4.1 * a > 2.5 * b, (), 17),
    ("sin(a)**2+cos(b)**2", lambda a, b: np.sin(a) ** 2 + np.cos(b) ** 2, ("sin", "cos"), 24),
]


def numexpr_at(ne, expr, env, out, t):
    """numexpr evaluating expr into out on t threads (a timed call)."""
    def run():
        ne.set_num_threads(t)
        ne.evaluate(expr, local_dict=env, out=out)
    return run


def bench_evaluate(rows, tcounts, repeats, n):
    import os
    import tempfile
    import corewise as cw
    from . import _bench_interp as bi
    try:
        import numexpr as ne
    except ImportError:
        ne = None
    jit = bi.have_compiler()  # without one: the interpreter's rows only
    rng = np.random.default_rng(7)
    env = {"a": rng.uniform(-3, 3, n), "b": rng.uniform(-3, 3, n)}
    # real pages (np.empty would read the shared zero page and beat memory)
    src = np.ones(max(c[-1] for c in EVALUATE_CASES) * n // 2, np.uint8)
    dst = np.empty_like(src)
    sb, db = ffi.from_buffer(src), ffi.from_buffer(dst)
    for expr, fn_np, needs, per in EVALUATE_CASES:
        missing = [f for f in needs if f not in cw.evaluate_functions]
        case = f"eval {expr} {n // 10**6}M" if n % 10**6 == 0 else f"eval {expr} {n}"
        if missing:
            _row(rows, case, f"skipped: {', '.join(missing)} not in the table", 0, 0.0)
            continue
        want = fn_np(**env)
        out = np.empty_like(want)
        cw.evaluate(expr, env, out=out)
        assert np.allclose(out, want, rtol=1e-12, atol=1e-12, equal_nan=True), expr
        nbytes = per * n
        copy_bytes = nbytes // 2  # a copy moves twice its size
        assert copy_bytes <= src.nbytes
        fns = [lambda: fn_np(**env)]
        call = lambda: cw.evaluate(expr, env, out=out)  # noqa: E731
        fns += [_thread_fn(bi.with_mode("jit" if jit else "interp", call), t) for t in tcounts]
        fns += [_thread_fn(lambda: lib.cw_parallel_copy(copy_bytes, sb, db), t) for t in tcounts]
        fns += [_thread_fn(bi.with_mode("interp", call), t) for t in tcounts]
        if ne is not None:
            fns += [numexpr_at(ne, expr, env, out, t) for t in tcounts]
        times = paired_times(fns, max(3, repeats // 2), 0.05)
        k = len(tcounts)
        t_np, t_cw, t_roof = times[0], times[1:1 + k], times[1 + k:1 + 2 * k]
        t_in, t_ne = times[1 + 2 * k:1 + 3 * k], times[1 + 3 * k:]
        gb = lambda s: {"gbps": nbytes / s / 1e9}  # noqa: E731
        _row(rows, case, "numpy", 1, t_np, **gb(t_np))
        for i, t in enumerate(tcounts):
            _row(rows, case, "copy-roof", t, t_roof[i], **gb(t_roof[i]))
            if ne is not None:
                _row(rows, case, "numexpr", t, t_ne[i], speedup_vs_numpy=t_np / t_ne[i],
                     vs_roof=t_ne[i] / t_roof[i], **gb(t_ne[i]))
            extra = {"speedup_vs_numexpr": t_ne[i] / t_cw[i]} if ne is not None else {}
            if jit:
                _row(rows, case, "corewise", t, t_cw[i], speedup_vs_numpy=t_np / t_cw[i],
                     speedup_vs_1thread=t_cw[0] / t_cw[i], vs_roof=t_cw[i] / t_roof[i],
                     **extra, **gb(t_cw[i]))
        bi.rows_for(lambda *a, **kw: _row(rows, *a, **kw), case, tcounts, t_in,
                    t_cw if jit else None, t_ne, t_np, t_roof, gb)
    if not jit:
        return
    # First call of a new expression (fresh cache: parse, generate, compile,
    # load) and the cost a cached call adds to the bare generated function.
    a, b = np.ones(100), np.ones(100)
    y = np.empty(100)
    small = {"a": a, "b": b}
    saved = os.environ.get("COREWISE_CACHE_DIR")
    with tempfile.TemporaryDirectory() as d:
        os.environ["COREWISE_CACHE_DIR"] = d
        try:
            k = int.from_bytes(os.urandom(4), "little")
            t0 = time.perf_counter()
            cw.evaluate(f"sqrt(a*a+b*b) + {k}", small, out=y)
            _row(rows, "eval first call (compile)", "corewise", 1, time.perf_counter() - t0)
        finally:
            if saved is None:
                del os.environ["COREWISE_CACHE_DIR"]
            else:
                os.environ["COREWISE_CACHE_DIR"] = saved
    from . import _evaluate
    cw.evaluate("sqrt(a*a+b*b)", small, out=y)
    f64 = np.dtype(np.float64)
    plan = _evaluate._plan(_evaluate.parse("sqrt(a*a+b*b)"), ((f64, False), (f64, False)))
    gffi, glib = plan.module(f64, ("c", "c"))
    fb, drv, cost = gffi.from_buffer, _evaluate._DRIVER, plan.cost
    cases = [("bare generated call", lambda: glib.cw_eval(drv, cost, 100, fb(a), fb(b), fb(y))),
             ("evaluate out=", lambda: cw.evaluate("sqrt(a*a+b*b)", small, out=y)),
             ("evaluate alloc", lambda: cw.evaluate("sqrt(a*a+b*b)", small)),
             ("evaluate interp out=", bi.with_mode(
                 "interp", lambda: cw.evaluate("sqrt(a*a+b*b)", small, out=y))),
             ("numpy", lambda: np.sqrt(a * a + b * b))]
    if ne is not None:
        cases.append(("numexpr out=", lambda: ne.evaluate("sqrt(a*a+b*b)", small, out=y)))
    for (impl, _), t in zip(cases, paired_times([c[1] for c in cases], repeats, 0.05)):
        _row(rows, "eval call-100", impl, 1, t)

def bench_math(rows, tcounts, repeats, n_trans, n_large):
    """The math family: compute-bound transcendentals, memory-bound binary
    and unary ops against the copy roof, and the per-call cost."""
    import corewise as cw
    rng = np.random.default_rng(5)
    for name, lo, hi in (("exp", -50, 50), ("exp2", -50, 50), ("log", 1e-3, 1e3),
                         ("log2", 1e-3, 1e3), ("log10", 1e-3, 1e3), ("sin", -100, 100),
                         ("cos", -100, 100), ("tan", -1.5, 1.5), ("tanh", -5, 5)):
        for dt in (np.float64, np.float32):
            x = rng.uniform(lo, hi, n_trans).astype(dt)
            y = np.empty_like(x)
            npf, cwf = getattr(np, name), getattr(cw, name)
            size = f"{n_trans // 2**20}M" if n_trans % 2**20 == 0 else str(n_trans)
            _scaling(rows, f"{name}-{size}-{np.dtype(dt).name}", lambda: npf(x, out=y),
                     lambda: cwf(x, out=y), tcounts, max(3, repeats // 2), 0.05)
    x = rng.uniform(-1, 1, n_large)
    w = rng.uniform(-1, 1, n_large)
    z = np.empty_like(x)
    size = f"{n_large // 2**20}M" if n_large % 2**20 == 0 else str(n_large)
    for name, args in (("add", (x, w)), ("multiply", (x, w)), ("absolute", (x,))):
        npf, cwf = getattr(np, name), getattr(cw, name)
        moved = (len(args) + 1) * x.nbytes           # bytes read + written
        half = moved // 2                             # a copy of half moves as much
        src = np.ones(half // 8 + 1)  # real pages, not the shared zero page
        dst = np.empty_like(src)
        sb, db = ffi.from_buffer(src), ffi.from_buffer(dst)
        _scaling(rows, f"{name}-{size}", lambda: npf(*args, out=z), lambda: cwf(*args, out=z),
                 tcounts, max(3, repeats // 2), 0.05, nbytes=moved,
                 roof_fn=lambda: lib.cw_parallel_copy(half, sb, db))
        del src, dst


def format_rows(rows):
    cols = ["case", "impl", "threads", "busy", "median_us", "cpu_s", "speedup_vs_numpy", "speedup_vs_numexpr", "vs_jit",
            "speedup_vs_1thread", "vs_roof", "gbps", "speedup_vs_serial", "capped_calls",
            "follow_ms"]
    cols = [c for c in cols if any(c in r for r in rows)]
    def cell(v):
        if isinstance(v, float):
            return f"{v:.3f}" if v < 100 else f"{v:.1f}"
        return "" if v is None else str(v)
    table = [cols] + [[cell(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(cols))]
    lines = ["  ".join(v.rjust(w) if i > 1 else v.ljust(w) for i, (v, w) in
                       enumerate(zip(row, widths))) for row in table]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def run(args):
    global _clock
    _clock = _CLOCKS["cpu" if args.cpu_time else "wall"]
    tcounts = [1] if args.cpu_time else _thread_counts(args.threads)
    repeats = 3 if args.quick else args.repeats
    large = 2**16 if args.quick else args.large
    rows = []
    bench_sqrt600(rows, tcounts, repeats)
    bench_large(rows, tcounts, repeats, large)
    bench_call(rows, repeats)
    bench_call1000(rows, repeats)
    if args.threshold:
        bench_threshold(rows, repeats)
    if args.reduce:
        bench_reduce(rows, tcounts, repeats, large)
    if args.evaluate:
        bench_evaluate(rows, tcounts, repeats, 2**16 if args.quick else args.evaluate_size)
    if args.kernels:
        from ._bench_kernels import bench_kernels
        bench_kernels(rows, tcounts, repeats, 2**16 if args.quick else args.evaluate_size)
    if args.scan:
        from ._bench_scan import bench_scan
        bench_scan(rows, tcounts, repeats, large)
    if args.dask:
        from ._bench_dask import CHUNK, bench_dask
        sizes = [CHUNK * 2] if args.quick else [int(v) for v in args.dask_sizes.split(",")]
        bench_dask(rows, sizes, 1 if args.quick else 3)
    if args.out_of_core:
        from ._bench_dask import bench_out_of_core
        bench_out_of_core(rows, 2**26 if args.quick else args.ooc_bytes)
    if args.math:
        bench_math(rows, tcounts, repeats, 2**16 if args.quick else 4 * 2**20, large)
    if args.complex:
        from ._bench_complex import bench_complex
        bench_complex(rows, tcounts, repeats, 2**16 if args.quick else 4 * 2**20)
    if args.natives:
        from ._bench_natives import bench_natives
        bench_natives(rows, tcounts, repeats, 2**16 if args.quick else 4 * 2**20)
    if args.contention or args.plot:
        from . import _bench_contention
        _bench_contention.run(args, rows)
    if args.patch:
        from . import _bench_patch
        _bench_patch.run(args, rows)
    if args.json:
        print(json.dumps({"info": _info.info(), "clock": "cpu" if args.cpu_time else "wall",
                          "rows": rows}, indent=1))
    else:
        print(_info.format_info())
        if args.cpu_time:
            print("times: the calling thread's CPU time (--cpu-time), one thread")
        print()
        print(format_rows(rows))
        print("\nspeedup_* = other time / this time; vs_roof = this time / the roof row "
              "(copy-roof: parallel copy, read-roof: parallel read of the same bytes)")
    return 0
