"""Thread control, OpenMP/threadpoolctl interplay, and concurrent callers."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import corewise as cw
from corewise._lib import lib
from hardening_util import run_threads
from oracle import assert_same


def test_default_follows_openmp():
    assert cw.get_num_threads() == lib.cw_omp_max_threads() >= 1


def test_set_num_threads_and_restore():
    assert cw.set_num_threads(3) is None
    assert cw.get_num_threads() == 3
    assert cw.set_num_threads(1) == 3
    assert cw.get_num_threads() == 1
    assert cw.set_num_threads(None) == 1
    assert cw.get_num_threads() == lib.cw_omp_max_threads()


def test_threads_context_restores_on_exit_and_exception():
    cw.set_num_threads(2)
    with cw.threads(3) as t:
        assert cw.get_num_threads() == 3
        with t:  # re-entrant
            assert cw.get_num_threads() == 3
        with cw.threads(1):
            assert cw.get_num_threads() == 1
        assert cw.get_num_threads() == 3
    assert cw.get_num_threads() == 2
    with pytest.raises(KeyError):
        with cw.threads(4):
            raise KeyError("boom")
    assert cw.get_num_threads() == 2


def test_threads_context_is_per_python_thread():
    seen = {}
    inside, release = threading.Event(), threading.Event()

    def other():
        inside.wait()
        seen["other"] = cw.get_num_threads()
        release.set()

    t = threading.Thread(target=other)
    t.start()
    with cw.threads(3):
        inside.set()
        release.wait()
    t.join()
    assert seen["other"] == lib.cw_omp_max_threads()


@pytest.mark.parametrize("bad,exc", [(0, ValueError), (-1, ValueError), (10**6, ValueError),
                                     (1.5, TypeError), ("2", TypeError), (True, TypeError),
                                     (None, TypeError)])
def test_bad_thread_counts(bad, exc):
    with pytest.raises(exc, match="thread count"):
        cw.threads(bad)
    if bad is not None:
        with pytest.raises(exc, match="thread count"):
            cw.set_num_threads(bad)
    assert cw.get_num_threads() == lib.cw_omp_max_threads()


def test_numpy_integer_thread_count():
    with cw.threads(np.int64(2)):
        assert cw.get_num_threads() == 2


def _run(code, **env):
    e = dict(os.environ, **env)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env=e, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.mark.parametrize("n", ["1", "3"])
def test_omp_num_threads_env(n):
    assert _run("import corewise as cw; print(cw.get_num_threads())", OMP_NUM_THREADS=n) == n


def test_threadpoolctl_limits_apply():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    x = np.random.default_rng(0).uniform(size=1 << 20)
    want = np.sqrt(x)
    cw.sqrt(x)  # make sure libgomp is loaded and initialised
    libs = [m for m in threadpoolctl.threadpool_info() if m["user_api"] == "openmp"]
    assert libs, "threadpoolctl does not see corewise's OpenMP runtime"
    with threadpoolctl.threadpool_limits(1, user_api="openmp"):
        assert cw.get_num_threads() == 1
        assert_same(cw.sqrt(x), want)
    assert cw.get_num_threads() == lib.cw_omp_max_threads()
    with threadpoolctl.threadpool_limits(3, user_api="openmp"):
        assert cw.get_num_threads() == 3
        assert_same(cw.sqrt(x), want)


def test_corewise_setting_takes_precedence_over_openmp():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    cw.set_num_threads(2)
    with threadpoolctl.threadpool_limits(1, user_api="openmp"):
        assert cw.get_num_threads() == 2
        with cw.threads(3):
            assert cw.get_num_threads() == 3


def test_eight_python_threads_concurrently():
    """8 Python threads x the OpenMP team, different inputs and outputs."""
    rng = np.random.default_rng(7)
    inputs = [rng.uniform(0, 1e6, size=(300 + i, 700)) for i in range(8)]
    views = [a if i % 2 else a[::-1, ::3] for i, a in enumerate(inputs)]
    wants = [np.sqrt(v) for v in views]

    def work(i):
        with cw.threads(1 + i % 3):
            for _ in range(30):
                out = np.empty_like(wants[i])
                cw.sqrt(views[i], out=out)
                assert_same(out, wants[i])
                assert_same(cw.sqrt(views[i]), wants[i])

    run_threads(work, 8)


def test_gil_is_released_during_kernels():
    """While one Python thread is inside a kernel, another runs Python.
    Call i of the kernel thread computes sqrt(x * 4**i) = sqrt(x) * 2**i
    (exactly) into the same out=, serially, first element first; the main
    thread reads out[0] and then out[-1] with the GIL, and tells from each
    value which call wrote it.  out[0] from a later call than out[-1] means
    both reads happened inside that call -- impossible if the call held the
    GIL.  No timing is involved: the kernel thread repeats its call (a fixed
    number of times at most) until the main thread has seen that."""
    n = 1 << 21
    x = np.random.default_rng(1).uniform(1.0, 2.0, size=n)
    first, last = np.sqrt(x[0]), np.sqrt(x[-1])
    out, xs = np.zeros(n), np.empty(n)
    stop, calls, inside = threading.Event(), [], []

    def kernels():
        with cw.threads(1):
            for i in range(200):
                np.multiply(x, 4.0 ** i, out=xs)
                cw.sqrt(xs, out=out)
                calls.append(i)
                if stop.is_set():
                    break

    def writer(v, s):   # which call wrote v (-1: none yet)
        return int(np.log2(v / s)) if v else -1

    t = threading.Thread(target=kernels)
    t.start()
    try:
        while t.is_alive() and not inside:
            a = out[0]
            b = out[-1]
            if writer(a, first) > writer(b, last):
                inside.append(writer(a, first))
    finally:
        stop.set()
        t.join()
    assert out[0] == first * 2.0 ** calls[-1] and out[-1] == last * 2.0 ** calls[-1]
    assert inside, f"the main thread never ran Python inside any of {len(calls)} kernel calls"


def test_spin_count_default_is_not_inherited_and_user_settings_win():
    code = ("import os, corewise as cw; print(os.environ.get('GOMP_SPINCOUNT'), "
            "cw.info()['omp_wait'])")
    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    from corewise._lib import SPINCOUNT
    assert r.stdout.split() == ["None", f"GOMP_SPINCOUNT={SPINCOUNT}", "(corewise", "default)"]
    env["OMP_WAIT_POLICY"] = "active"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.stdout.split() == ["None", "OMP_WAIT_POLICY=active"]
