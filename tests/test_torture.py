"""Concurrency torture and the nested-use rule (README, "Hardening").

8 Python threads x the OpenMP team call every corewise function -- and
every reduction, selection and evaluate expression -- on shared,
read-only inputs and private outputs, in several layouts and sizes (below
and above the serial threshold) and thread counts, CW_TORTURE_CALLS
(default 3000, about 3 s on 2 cores) calls per Python thread: every result
must be bitwise equal to the function's serial result (and to NumPy's for
0-ULP functions), the inputs unchanged."""
import contextlib
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import corewise as cw
from corewise._lib import ffi, lib
from hardening_util import FUNCS, child_env, family_calls, inputs, run_threads
from oracle import same

# calls per Python thread: 8 x 3000 take about 3 s on the project's 2-core machines
CALLS = int(os.environ.get("CW_TORTURE_CALLS", "3000"))
SHARE_CALLS = max(1, CALLS // 150)     # of a 1M-element sqrt, per thread (about 1.5 s)
NTHREADS = 8
PROCS = lib.cw_num_procs()


def _layouts(a):
    """Read-only views of one shared input, several layouts."""
    yield "contiguous", a
    yield "step-2", a[::2]
    yield "reversed", a[::-1]
    if a.ndim == 2:
        yield "transposed", a.T
        yield "sliced", a[1::3, ::-2]


def _cases():
    rng = np.random.default_rng(2024)
    cases = []
    for dtype in (np.float32, np.float64):
        for shape in ((100,), (5003,), (317, 129)):
            xs = inputs(rng, dtype, shape)
            for a in xs:
                a.flags.writeable = False     # shared and read-only
            for fn in FUNCS:
                for lay, _ in _layouts(xs[0]):
                    views = [dict(_layouts(x))[lay] for x in xs]
                    with np.errstate(all="ignore"), cw.threads(1):
                        want = fn(*views)
                    if fn.max_ulp == 0:
                        with np.errstate(all="ignore"):
                            assert same(want, fn.numpy(*views), types=False), (fn, lay, dtype)
                    cases.append((f"{fn}/{np.dtype(dtype)}/{shape}/{lay}", fn, views, want))
            # the other families (reductions, dot, selections, evaluate): one
            # input, compared with their own single-thread result
            for label, f in family_calls()[len(FUNCS):]:
                for lay, v in _layouts(xs[0]):
                    with np.errstate(all="ignore"), cw.threads(1):
                        want = f(v)
                    cases.append((f"{label}/{np.dtype(dtype)}/{shape}/{lay}", _Family(f), [v], want))
    return cases


class _Family:
    """A call of another family in the torture loop (always without out=)."""

    def __init__(self, f):
        self.f = f

    def __call__(self, x):
        return self.f(x)


def test_eight_threads_times_team_every_function():
    cases = _cases()
    calls = [0] * NTHREADS

    def work(i):
        rng = np.random.default_rng(i)
        with np.errstate(all="ignore"):
            for _ in range(CALLS):
                label, fn, views, want = cases[rng.integers(len(cases))]
                nt = int(rng.integers(1, 5))
                with cw.threads(nt):
                    if rng.integers(2) or isinstance(fn, _Family):
                        got = fn(*views)
                    else:
                        got = np.full_like(want, -7.0)       # private output
                        r = fn(*views, out=got)
                        assert r is got, label
                if not same(got, want):
                    raise AssertionError(f"{label} with {nt} threads: wrong result")
                calls[i] += 1

    run_threads(work, NTHREADS, timeout=600)
    assert calls == [CALLS] * NTHREADS, calls
    # the shared inputs were never written
    for _, _, views, _ in cases[:3]:
        assert not views[0].flags.writeable
    assert lib.cw_threads_busy() == 0
    print(f"torture: {NTHREADS} threads x {CALLS} calls = {sum(calls)} calls, "
          f"{len(cases)} cases, all bitwise correct")


# ---- the nested-use rule -----------------------------------------------------------

BIG = np.random.default_rng(5).uniform(size=1 << 20)


def test_a_lone_call_gets_the_full_team():
    for n in (2, max(PROCS, 2), PROCS + 3):   # asking for more than cores is honoured alone
        with cw.threads(n):
            cw.sqrt(BIG)
            assert lib.cw_last_team_size() == n
    cw.sqrt(BIG[:10])
    assert lib.cw_last_team_size() == 1       # below the threshold: serial


# the parallel driver (the one evaluate's compiled code receives)
_DRIVE = "int(*)(ptrdiff_t, int, void(*)(ptrdiff_t, ptrdiff_t, void *), void *)"


@contextlib.contextmanager
def _call_in_progress(nthreads):
    """A corewise parallel call held open in another Python thread: the
    package's parallel driver runs a block function whose first block waits
    until the with-block ends, so the call's team holds ``nthreads`` threads
    of the budget for exactly that long -- no timing involved."""
    drive = ffi.cast(_DRIVE, lib.cw_parallel_driver())
    entered, release = threading.Event(), threading.Event()
    teams = []

    @ffi.callback("void(ptrdiff_t, ptrdiff_t, void *)")
    def block(lo, hi, ctx):
        if lo == 0:
            entered.set()
            release.wait()

    def run():
        with cw.threads(nthreads):
            drive(BIG.size, 1, block, ffi.NULL)
            teams.append(lib.cw_last_team_size())

    t = threading.Thread(target=run)
    t.start()
    try:
        assert entered.wait(120), "the held call never started its first block"
        yield
    finally:
        release.set()
        t.join(120)
    assert not t.is_alive() and teams == [nthreads], teams


@pytest.mark.skipif(PROCS < 2, reason="needs 2 cores to have something to share")
def test_concurrent_callers_share_the_cores():
    """A call that arrives while the cores are taken runs with a smaller
    team (serially at worst): while a call holding 2 threads is in progress,
    one asking for every core gets what is left.  And 8 Python threads each
    asking for all cores: the threads working for corewise never exceed the
    core count."""
    lib.cw_threads_peak(1)
    want = np.sqrt(BIG)
    with _call_in_progress(2):
        assert lib.cw_threads_busy() == 2
        with cw.threads(PROCS):
            got = cw.sqrt(BIG)
            assert lib.cw_last_team_size() == max(1, PROCS - 2) < PROCS
        assert same(got, want)
        assert lib.cw_threads_busy() == 2
    assert lib.cw_threads_busy() == 0
    teams = []

    def work(i):
        with cw.threads(PROCS):
            for _ in range(SHARE_CALLS):
                got = cw.sqrt(BIG)
                teams.append(lib.cw_last_team_size())
                assert same(got, want)

    run_threads(work, NTHREADS)
    assert len(teams) == NTHREADS * SHARE_CALLS
    assert lib.cw_threads_peak(0) <= PROCS
    assert max(teams) <= PROCS
    assert lib.cw_threads_busy() == 0
    with cw.threads(PROCS):                    # and the budget is whole again
        cw.sqrt(BIG)
        assert lib.cw_last_team_size() == PROCS


def test_thread_pool_recipe():
    """A Python thread pool needs nothing: the budget divides the cores."""
    from concurrent.futures import ThreadPoolExecutor
    lib.cw_threads_peak(1)
    chunks = np.array_split(BIG, 16)
    with ThreadPoolExecutor(8) as ex:
        outs = list(ex.map(cw.sqrt, chunks))
    assert same(np.concatenate(outs), np.sqrt(BIG))
    assert lib.cw_threads_peak(0) <= max(PROCS, cw.get_num_threads())


POOL_SCRIPT = textwrap.dedent('''
    import multiprocessing as mp, os, sys
    import numpy as np, corewise as cw
    from corewise._lib import lib

    def init(n):
        cw.set_num_threads(n)

    def job(i):
        x = np.random.default_rng(i).uniform(size=1 << 18)
        ok = np.array_equal(cw.sqrt(x), np.sqrt(x))
        return ok, cw.get_num_threads(), lib.cw_last_team_size()

    if __name__ == "__main__":
        workers = int(sys.argv[2])
        per = max(1, os.cpu_count() // workers)      # the documented recipe
        ctx = mp.get_context(sys.argv[1])
        with ctx.Pool(workers, initializer=init, initargs=(per,)) as p:
            res = p.map(job, range(8))
        assert all(ok for ok, _, _ in res), res
        assert {n for _, n, _ in res} == {per}, res
        assert max(t for _, _, t in res) <= per, res
        print("ok", per)
''')


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_process_pool_recipe(method, tmp_path):
    """Processes do not share a budget: the README recipe gives each worker
    cores // workers threads with a Pool initializer."""
    script = tmp_path / "pool.py"
    script.write_text(POOL_SCRIPT)
    r = subprocess.run([sys.executable, str(script), method, "4"], capture_output=True,
                       text=True, timeout=180, env=child_env())
    assert r.returncode == 0 and r.stdout.startswith("ok"), r.stderr[-3000:]
