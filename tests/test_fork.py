"""Fork safety: processes forked after the parent ran OpenMP regions work.

GNU libgomp alone deadlocks in such a child; corewise releases the forking
thread's OpenMP pool before every fork (pthread_atfork).  Each scenario runs
in a subprocess under a timeout so that a regression fails, not hangs."""
import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent('''
    import multiprocessing as mp, os, sys, threading
    import numpy as np, corewise as cw
    from corewise._lib import lib

    X = np.random.default_rng(0).uniform(size=1 << 21)
    WANT = np.sqrt(X)

    def work(i):
        v = X[i::3]
        return bool(np.array_equal(cw.sqrt(v), np.sqrt(v))) and cw.get_num_threads() >= 1

    def parallel_in_parent():
        cw.set_num_threads(2)
        for _ in range(3):
            assert np.array_equal(cw.sqrt(X), WANT)

    def main(mode):
        parallel_in_parent()
        if mode == "os.fork":
            pid = os.fork()
            if pid == 0:
                ok = np.array_equal(cw.sqrt(X), WANT) and work(1)
                os._exit(0 if ok else 3)
            _, status = os.waitpid(pid, 0)
            assert os.WEXITSTATUS(status) == 0, status
        elif mode == "fork-while-running":
            stop = threading.Event()
            def busy():
                while not stop.is_set():
                    cw.sqrt(X)
            t = threading.Thread(target=busy); t.start()
            try:
                for _ in range(3):
                    with mp.get_context("fork").Pool(2) as p:
                        assert all(p.map(work, range(4)))
            finally:
                stop.set(); t.join()
        else:
            with mp.get_context(mode).Pool(2) as p:
                assert all(p.map(work, range(6)))
        # the parent keeps its thread team and its results
        parallel_in_parent()
        assert cw.get_num_threads() == 2
        if mode in ("fork", "os.fork", "fork-while-running"):
            assert lib.cw_fork_pauses() >= 1
        print("ok")

    if __name__ == "__main__":
        main(sys.argv[1])
''')


@pytest.mark.parametrize("mode", ["fork", "os.fork", "fork-while-running", "forkserver", "spawn"])
def test_children_work_after_parallel_parent(mode, tmp_path):
    script = tmp_path / "forky.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONWARNINGS="ignore::DeprecationWarning")
    r = subprocess.run([sys.executable, str(script), mode], capture_output=True,
                       text=True, timeout=180, env=env)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-3000:]
