"""``python -m corewise bench --contention`` and ``--plot FILE.png``: corewise
on a busy machine (the adaptive runtime, csrc/adapt.c).

--contention   for k = 0 .. cores busy processes (started here, bounded in
               time, killed on exit and on Ctrl-C), interleaved in this
               process: NumPy, corewise on 1 thread, corewise's default, on
               sqrt 600x600, exp 1M and 4M, sum 256K and 32M, add 32M (all
               float64, out= where there is one) and evaluate("sqrt(a*a+b*b)")
               on 10M; then the same with 8 Python threads calling at once
               (time per call of the whole process); then a timeline in which
               busy processes start and stop half-way, with how long the
               runtime took to follow each change.
--plot FILE    speed-up over NumPy against array size (2^10 .. 2^25 elements)
               for sqrt, exp, add and sum, one line per thread count and the
               default, on a quiet machine and beside one busy process
               (matplotlib: the ``plot`` extra).
"""
import os
import subprocess
import sys
import threading
import time

import numpy as np

from ._bench import _row, paired_times
from ._lib import ffi, lib

# A busy process: a plain loop, bounded in time, that also ends when its
# parent is gone (a killed benchmark leaves nothing running).
_BUSY = (
    "import os, sys, time\n"
    "end = time.monotonic() + float(sys.argv[1]); parent = os.getppid()\n"
    "os.write(1, b'.')\n"
    "while time.monotonic() < end and os.getppid() == parent:\n"
    "    for _ in range(20000): pass\n"
)
BUSY_LIMIT_S = 900


class busy:
    """``with busy(k):`` k busy processes for the duration of the block."""

    def __init__(self, k, limit=BUSY_LIMIT_S):
        self.k, self.limit, self.procs = k, limit, []

    def start(self, settle=0.2):
        """Returns once every process is in its loop (then waits `settle` s)."""
        for _ in range(self.k):
            self.procs.append(subprocess.Popen([sys.executable, "-c", _BUSY, str(self.limit)],
                                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE))
        for p in self.procs:
            p.stdout.read(1)
        if self.k and settle:
            time.sleep(settle)
        return self

    def stop(self):
        for p in self.procs:
            p.kill()
        for p in self.procs:
            p.wait()
            p.stdout.close()
        self.procs = []

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()
        return False


def _cases(small):
    """(name, numpy call, corewise call) with their operands made once."""
    import corewise as cw
    rng = np.random.default_rng(14)
    s = (lambda n: max(1024, n // 256)) if small else (lambda n: n)
    m = rng.uniform(size=(600, 600))
    mo = np.empty_like(m)
    e1, e4 = rng.uniform(-5, 5, s(2**20)), rng.uniform(-5, 5, s(4 * 2**20))
    e1o, e4o = np.empty_like(e1), np.empty_like(e4)
    s256, s32 = rng.uniform(size=s(2**18)), rng.uniform(size=s(32 * 2**20))
    a, b = rng.uniform(size=s(32 * 2**20)), rng.uniform(size=s(32 * 2**20))
    ao = np.empty_like(a)
    ea, eb = rng.uniform(size=s(10 * 10**6)), rng.uniform(size=s(10 * 10**6))
    eo = np.empty_like(ea)
    ev = {"a": ea, "b": eb}
    cw.evaluate("sqrt(a*a+b*b)", local_dict=ev, out=eo)   # compile outside the timing

    def tag(n):
        return f"{n // 2**20}M" if n % 2**20 == 0 else f"{n // 10**6}M" if n % 10**6 == 0 else str(n)

    return [
        ("sqrt 600x600", lambda: np.sqrt(m, out=mo), lambda: cw.sqrt(m, out=mo)),
        (f"exp {tag(e1.size)}", lambda: np.exp(e1, out=e1o), lambda: cw.exp(e1, out=e1o)),
        (f"exp {tag(e4.size)}", lambda: np.exp(e4, out=e4o), lambda: cw.exp(e4, out=e4o)),
        (f"sum {tag(s256.size)}", lambda: np.sum(s256), lambda: cw.sum(s256)),
        (f"sum {tag(s32.size)}", lambda: np.sum(s32), lambda: cw.sum(s32)),
        (f"add {tag(a.size)}", lambda: np.add(a, b, out=ao), lambda: cw.add(a, b, out=ao)),
        (f"evaluate sqrt(a*a+b*b) {tag(ea.size)}", lambda: np.sqrt(ea * ea + eb * eb, out=eo),
         lambda: cw.evaluate("sqrt(a*a+b*b)", local_dict=ev, out=eo)),
    ]


def _at(fn, t):
    """fn on exactly t threads, set for the calling thread around each call
    by the C setter itself: ``with corewise.threads(t)`` would add its own
    Python cost (~0.4 us) to every call, visible on small arrays."""
    set_local = lib.cw_set_local_threads

    def run():
        prev = set_local(t)
        try:
            fn()
        finally:
            set_local(prev)
    return run


def _one_thread(fn):
    return _at(fn, 1)


def _in_threads(fn, nthreads, calls):
    """fn called `calls` times by each of nthreads Python threads at once."""
    start = threading.Barrier(nthreads + 1)

    def work():
        start.wait()
        for _ in range(calls):
            fn()

    ts = [threading.Thread(target=work) for _ in range(nthreads)]
    for t in ts:
        t.start()
    start.wait()
    for t in ts:
        t.join()


def _threaded(fn, nthreads):
    """A callable timing one round of nthreads threads x a few calls, whose
    time divided by the calls is the process's time per call."""
    probe = time.perf_counter()
    fn()
    one = max(time.perf_counter() - probe, 1e-6)
    calls = max(1, int(0.01 / one))

    def run():
        _in_threads(fn, nthreads, calls)
    return run, calls * nthreads


def _adapt_stats():
    out = ffi.new("int64_t[6]")
    lib.cw_adapt_stats(out)
    return {"late": out[2], "probes": out[3], "capped": out[4]}


def bench_contention(rows, ks, repeats, small=False, pythreads=8):
    cases = _cases(small)
    for k in ks:
        with busy(k):
            for name, npf, cwf in cases:
                before = _adapt_stats()
                t_np, t_1, t_d = paired_times([npf, _one_thread(cwf), cwf], repeats, 0.05)
                after = _adapt_stats()
                _row(rows, name, "numpy", 1, t_np, busy=k)
                _row(rows, name, "corewise", 1, t_1, busy=k, speedup_vs_numpy=t_np / t_1)
                _row(rows, name, "corewise", "default", t_d, busy=k,
                     speedup_vs_numpy=t_np / t_d, speedup_vs_1thread=t_1 / t_d,
                     capped_calls=after["capped"] - before["capped"])
            for name, npf, cwf in cases:
                fns, per = zip(*(_threaded(f, pythreads) for f in (npf, _one_thread(cwf), cwf)))
                t = paired_times(list(fns), max(3, repeats // 2), 0.05)
                t_np, t_1, t_d = (x / n for x, n in zip(t, per))
                case = f"{name} x{pythreads} threads"
                _row(rows, case, "numpy", 1, t_np, busy=k)
                _row(rows, case, "corewise", 1, t_1, busy=k, speedup_vs_numpy=t_np / t_1)
                _row(rows, case, "corewise", "default", t_d, busy=k,
                     speedup_vs_numpy=t_np / t_d, speedup_vs_1thread=t_1 / t_d)


def switch_timeline(rows, k, phase_s=0.5):
    """sqrt 600x600 back to back for 3 phases of phase_s: quiet, k busy
    processes, quiet again.  Reports how long after each change the runtime
    followed it (first call with a capped team after the load starts, first
    full-team call after it stops) and each phase's median call time."""
    import corewise as cw
    m = np.random.default_rng(5).uniform(size=(600, 600))
    o = np.empty_like(m)
    full = cw.get_num_threads()
    lib.cw_adapt_reset()
    log = []
    load = busy(k)
    t0 = time.perf_counter()
    marks = {}
    try:
        phase = 0
        while True:
            now = time.perf_counter() - t0
            if phase == 0 and now >= phase_s:
                load.start(settle=0)
                marks["start"] = time.perf_counter() - t0
                phase = 1
            elif phase == 1 and now >= 2 * phase_s:
                load.stop()
                marks["stop"] = time.perf_counter() - t0
                phase = 2
            elif phase == 2 and now >= 3 * phase_s:
                break
            a = time.perf_counter()
            cw.sqrt(m, out=o)
            b = time.perf_counter()
            log.append((a - t0, b - a, lib.cw_last_team_size()))
    finally:
        load.stop()

    def first(after, pred):
        for t, _, team in log:
            if t >= after and pred(team):
                return (t - after) * 1e3
        return float("nan")

    def med(lo, hi):
        v = sorted(d for t, d, _ in log if lo <= t < hi)
        return v[len(v) // 2] if v else float("nan")

    follow_busy = first(marks["start"], lambda team: team < full)
    follow_quiet = first(marks["stop"], lambda team: team == full)
    _row(rows, f"switch: sqrt 600x600, {k} busy start", "corewise", "default",
         med(marks["start"], marks["stop"]), busy=k, follow_ms=follow_busy)
    _row(rows, f"switch: sqrt 600x600, {k} busy stop", "corewise", "default",
         med(marks["stop"], float("inf")), busy=0, follow_ms=follow_quiet)
    _row(rows, "switch: sqrt 600x600, quiet before", "corewise", "default",
         med(0, marks["start"]), busy=0)


PLOT_FUNCS = ("sqrt", "exp", "add", "sum")


def plot(path, tcounts, repeats, busy_k=1, lo=10, hi=25):
    """The speed-up picture (README): speed-up over NumPy against size."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("corewise bench --plot needs matplotlib: pip install 'corewise[plot]'")
    import corewise as cw
    rng = np.random.default_rng(9)
    sizes = [2**p for p in range(lo, hi + 1)]
    big = rng.uniform(0.1, 5, 2**hi)
    other = rng.uniform(0.1, 5, 2**hi)
    outb = np.empty_like(big)
    labels = [f"{t} thread{'s' if t > 1 else ''}" for t in tcounts] + ["default (adaptive)"]
    results = {}
    for k in (0, busy_k):
        with busy(k):
            for fname in PLOT_FUNCS:
                npf, cwf = getattr(np, fname), getattr(cw, fname)
                curves = [[] for _ in labels]
                for n in sizes:
                    x, y, o = big[:n], other[:n], outb[:n]
                    if fname == "sum":
                        np_call, cw_call = (lambda: npf(x)), (lambda: cwf(x))
                    elif fname == "add":
                        np_call, cw_call = (lambda: npf(x, y, out=o)), (lambda: cwf(x, y, out=o))
                    else:
                        np_call, cw_call = (lambda: npf(x, out=o)), (lambda: cwf(x, out=o))

                    fns = [np_call] + [_at(cw_call, t) for t in tcounts] + [cw_call]
                    times = paired_times(fns, repeats, 0.01)
                    for c, tt in zip(curves, times[1:]):
                        c.append(times[0] / tt)
                results[(k, fname)] = curves
    fig, axes = plt.subplots(2, len(PLOT_FUNCS), figsize=(4 * len(PLOT_FUNCS), 7), sharex=True)
    for row, k in enumerate((0, busy_k)):
        for col, fname in enumerate(PLOT_FUNCS):
            ax = axes[row][col]
            for label, c in zip(labels, results[(k, fname)]):
                ax.plot(sizes, c, marker=".", label=label,
                        linestyle="--" if label.startswith("default") else "-")
            ax.axhline(1.0, color="grey", linewidth=0.8)
            ax.set_xscale("log", base=2)
            ax.set_title(f"{fname} float64, " + ("quiet" if k == 0 else f"{k} busy process"))
            if col == 0:
                ax.set_ylabel("speed-up over NumPy")
            if row == 1:
                ax.set_xlabel("elements")
    axes[0][0].legend(fontsize=8)
    from . import _info
    inf = _info.info()
    fig.suptitle(f"corewise {inf['corewise']}, {lib.cw_num_procs()} cores, "
                 f"medians of {repeats} interleaved repeats (python -m corewise bench --plot)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    return results


def run(args, rows):
    cores = lib.cw_num_procs()
    ks = list(range(cores + 1)) if args.busy is None else [int(v) for v in args.busy.split(",")]
    repeats = 3 if args.quick else args.repeats
    if args.contention:
        bench_contention(rows, ks, repeats, small=args.quick, pythreads=args.pythreads)
        switch_timeline(rows, max(1, cores - 1) if cores > 1 else 1,
                        0.25 if args.quick else 0.5)
    if args.plot:
        from ._bench import _thread_counts
        plot(args.plot, _thread_counts(args.threads), 3 if args.quick else 5,
             hi=16 if args.quick else 25)
        print(f"plot written to {args.plot}", file=sys.stderr)
