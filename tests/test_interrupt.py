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
    import faulthandler, os, signal, threading, time
    import numpy as np, corewise as cw
    from corewise._lib import lib

    faulthandler.dump_traceback_later(120, exit=True)   # a hang: every thread's stack

    x = np.random.default_rng(0).uniform(size=1 << 24)
    want = np.sqrt(x)
    views = [x, x[::-1]]                      # contiguous and strided kernels
    wants = [want, want[::-1]]

    def interrupt_when_a_kernel_runs(sent):
        while lib.cw_threads_busy() == 0:     # a call is inside its parallel region
            time.sleep(0.0002)                # (a bare spin starved the caller of
                                              # the GIL on a loaded machine)
        os.kill(os.getpid(), signal.SIGINT)
        sent.set()

    # A round counts when the signal came during a kernel: the peak of the
    # thread budget, reset before each call, is nonzero once that call's team
    # formed.  (The killer may be descheduled between seeing the kernel and
    # sending, so the signal can land in full_like instead; such a round
    # proves nothing about kernels and is run again, up to 40 times.)
    rounds = attempts = 0
    while rounds < 4:
        attempts += 1
        assert attempts <= 40, "the signal never landed during a kernel"
        cw.set_num_threads(1)
        k = rounds % 2
        sent = threading.Event()
        killer = threading.Thread(target=interrupt_when_a_kernel_runs, args=(sent,))
        killer.start()
        current, after = None, 0
        try:
            with cw.threads(2):
                while True:
                    # the signal comes back as KeyboardInterrupt at once:
                    # at most the call it interrupted completes
                    after += sent.is_set()
                    assert after < 3, "SIGINT sent, but no KeyboardInterrupt came"
                    lib.cw_threads_peak(1)
                    current = np.full_like(x, np.nan)
                    cw.sqrt(views[k], out=current)
        except KeyboardInterrupt:
            pass
        killer.join()
        if lib.cw_threads_peak(0) > 0:
            # the call that was running when the signal came completed
            assert np.array_equal(current, wants[k]), "out= is incomplete"
            rounds += 1
        # nothing corrupted: settings, budget, team, results
        assert cw.get_num_threads() == 1 and lib.cw_get_local_threads() == 0
        assert lib.cw_threads_busy() == 0
        with cw.threads(2):
            assert np.array_equal(cw.sqrt(views[k]), wants[k])
            assert lib.cw_last_team_size() == 2
    print("ok")
''')


def test_keyboard_interrupt_during_a_long_call(tmp_path):
    script = tmp_path / "ctrlc.py"
    script.write_text(SCRIPT)
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                       timeout=300, env=child_env())
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-6000:]
