"""Ctrl-C (SIGINT) during a long call on a large array (README, "Hardening").

The GIL is released while a kernel runs and Python's SIGINT handler only
sets a flag, so the kernel runs to completion; KeyboardInterrupt is raised
as soon as control is back in Python (inside corewise, before the function
returns).  Afterwards: out= holds the complete result, the thread settings
and the thread budget are restored, the next call is correct and gets its
full team.  Runs in a child interpreter (its own signal handling)."""
import subprocess
import sys
import textwrap

from hardening_util import child_env

SCRIPT = textwrap.dedent('''
    import faulthandler, os, random, subprocess, time
    import numpy as np, corewise as cw
    from corewise._lib import lib

    faulthandler.dump_traceback_later(120, exit=True)   # a hang: every thread's stack

    x = np.random.default_rng(0).uniform(size=1 << 24)
    # call j computes sqrt(x * 4**(j % 2)) = sqrt(x) * 2**(j % 2), exactly:
    # out= holds one call's whole result, or a mix if a call was cut short
    ins = [x, x * 4.0]
    wants = [np.sqrt(x), 2.0 * np.sqrt(x)]
    views = [lambda a: a, lambda a: a[::-1]]   # contiguous and strided kernels

    # Ctrl-C comes from outside, as from a terminal: a separate process sends
    # SIGINT after a random delay.  Nearly all of the loop's time is inside
    # kernels; a round counts when the signal came during one: the thread
    # budget's peak, reset before each call, is nonzero once that call's team
    # formed.  Other rounds are run again, up to 40 times.
    pid, rng = os.getpid(), random.Random(1)
    rounds = attempts = 0
    while rounds < 4:
        attempts += 1
        assert attempts <= 40, "the signal never landed during a kernel"
        cw.set_num_threads(1)
        k = rounds % 2
        xs = [views[k](a) for a in ins]
        current = np.empty_like(xs[0])
        sender = subprocess.Popen(
            ["sh", "-c", f"sleep {rng.uniform(0.05, 0.3):.3f}; kill -INT {pid}"])
        j, after = -1, 0
        try:
            with cw.threads(2):
                while True:
                    # the signal comes back as KeyboardInterrupt at once:
                    # at most the call it interrupted completes
                    after += sender.poll() is not None
                    assert after < 3, "SIGINT sent, but no KeyboardInterrupt came"
                    j += 1
                    lib.cw_threads_peak(1)
                    cw.sqrt(xs[j % 2], out=current)
        except KeyboardInterrupt:
            pass
        sender.wait()
        if j >= 0 and lib.cw_threads_peak(0) > 0:
            # the call that was running when the signal came completed
            assert np.array_equal(current, views[k](wants[j % 2])), "out= is incomplete"
            rounds += 1
        # nothing corrupted: settings, budget, team, results
        assert cw.get_num_threads() == 1 and lib.cw_get_local_threads() == 0
        assert lib.cw_threads_busy() == 0
        with cw.threads(2):
            assert np.array_equal(cw.sqrt(xs[0]), views[k](wants[0]))
            assert lib.cw_last_team_size() == 2
    print("ok")
''')


def test_keyboard_interrupt_during_a_long_call(tmp_path):
    script = tmp_path / "ctrlc.py"
    script.write_text(SCRIPT)
    # Without NumPy's BLAS threads: OpenBLAS starts a pool at import whose
    # threads do not block signals, and a SIGINT handled on one of them is
    # missed by CPython 3.11's main thread just as on an OpenMP helper (see
    # test_team_helpers_block_asynchronous_signals); they are NumPy's, not
    # corewise's, and no corewise call uses them.
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                       timeout=300, env=child_env(OPENBLAS_NUM_THREADS="1"))
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-6000:]


MASK_SCRIPT = textwrap.dedent('''
    import os, signal
    import numpy as np, corewise as cw
    x = np.ones(1 << 22)
    others = {int(t) for t in os.listdir("/proc/self/task")}   # NumPy's BLAS threads...
    with cw.threads(2):
        cw.sqrt(x)                       # a 2-thread element-wise call
        cw.sum(x)                        # and a reduction (task driver)
    def blocked(tid):
        with open(f"/proc/self/task/{tid}/status") as f:
            mask = int(next(l for l in f if l.startswith("SigBlk:")).split()[1], 16)
        return bool(mask >> (signal.SIGINT - 1) & 1)
    tids = [int(t) for t in os.listdir("/proc/self/task")]
    helpers = [t for t in tids if t not in others]              # the team's helpers
    print(len(helpers), blocked(os.getpid()), all(blocked(t) for t in helpers))
''')


def test_team_helpers_block_asynchronous_signals(tmp_path):
    """Signals go to the caller's thread, never to a team helper: CPython
    notices a signal whose handler ran on another thread only when its main
    thread recomputes its eval breaker (the Ctrl-C above was lost so)."""
    script = tmp_path / "mask.py"
    script.write_text(MASK_SCRIPT)
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                       timeout=120, env=child_env())
    assert r.returncode == 0, r.stderr[-3000:]
    n, main_blocked, helpers_blocked = r.stdout.split()
    assert int(n) >= 1 and main_blocked == "False" and helpers_blocked == "True", r.stdout
