"""Concurrency torture and the nested-use rule (README, "Hardening").

8 Python threads x the OpenMP team call every corewise function -- and
every reduction, selection and evaluate expression -- on shared,
read-only inputs and private outputs, in several layouts and sizes (below
and above the serial threshold) and thread counts, for CW_TORTURE_SECONDS
(default 3) seconds: every result must be bitwise equal to the function's
serial result (and to NumPy's for 0-ULP functions), the inputs unchanged."""
import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import corewise as cw
from corewise._lib import lib
from hardening_util import FUNCS, bits_equal, child_env, family_calls, inputs

SECONDS = float(os.environ.get("CW_TORTURE_SECONDS", "3"))
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
                            assert bits_equal(want, fn.numpy(*views)), (fn, lay, dtype)
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


def _same_bits(got, want):
    if isinstance(want, tuple):
        return len(got) == len(want) and all(map(_same_bits, got, want))
    return type(got) is type(want) and bits_equal(got, want)


def test_eight_threads_times_team_every_function():
    cases = _cases()
    stop_at = time.monotonic() + SECONDS
    calls = [0] * NTHREADS
    errors = []
    barrier = threading.Barrier(NTHREADS)

    def work(i):
        rng = np.random.default_rng(i)
        try:
            barrier.wait()
            with np.errstate(all="ignore"):
                while time.monotonic() < stop_at:
                    label, fn, views, want = cases[rng.integers(len(cases))]
                    nt = int(rng.integers(1, 5))
                    with cw.threads(nt):
                        if rng.integers(2) or isinstance(fn, _Family):
                            got = fn(*views)
                        else:
                            got = np.full_like(want, -7.0)       # private output
                            r = fn(*views, out=got)
                            assert r is got, label
                    if not _same_bits(got, want):
                        raise AssertionError(f"{label} with {nt} threads: wrong result")
                    calls[i] += 1
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    ts = [threading.Thread(target=work, args=(i,)) for i in range(NTHREADS)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(SECONDS + 120)
    assert not any(t.is_alive() for t in ts), "a thread hung"
    assert not errors, errors[0]
    assert min(calls) > 0, calls
    # the shared inputs were never written
    for _, _, views, _ in cases[:3]:
        assert not views[0].flags.writeable
    assert lib.cw_threads_busy() == 0
    print(f"torture: {NTHREADS} threads x {SECONDS:g} s = {NTHREADS * SECONDS:g} "
          f"thread-seconds, {sum(calls)} calls, {len(cases)} cases, all bitwise correct")


# ---- the nested-use rule -----------------------------------------------------------

BIG = np.random.default_rng(5).uniform(size=1 << 20)


def test_a_lone_call_gets_the_full_team():
    for n in (2, max(PROCS, 2), PROCS + 3):   # asking for more than cores is honoured alone
        with cw.threads(n):
            cw.sqrt(BIG)
            assert lib.cw_last_team_size() == n
    cw.sqrt(BIG[:10])
    assert lib.cw_last_team_size() == 1       # below the threshold: serial


@pytest.mark.skipif(PROCS < 2, reason="needs 2 cores to have something to share")
def test_concurrent_callers_share_the_cores():
    """8 Python threads each asking for all cores: the threads working for
    corewise never exceed the core count, and calls that arrive while the
    cores are taken run with smaller teams (serially at worst)."""
    lib.cw_threads_peak(1)
    teams, errors = [], []
    want = np.sqrt(BIG)
    stop_at = time.monotonic() + min(SECONDS, 1.5)
    barrier = threading.Barrier(NTHREADS)

    def work():
        try:
            barrier.wait()
            with cw.threads(PROCS):
                while time.monotonic() < stop_at:
                    got = cw.sqrt(BIG)
                    teams.append(lib.cw_last_team_size())
                    assert bits_equal(got, want)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    ts = [threading.Thread(target=work) for _ in range(NTHREADS)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert not errors, errors[0]
    assert lib.cw_threads_peak(0) <= PROCS
    assert min(teams) < PROCS, "no call was ever capped: callers did not overlap?"
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
    assert bits_equal(np.concatenate(outs), np.sqrt(BIG))
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
