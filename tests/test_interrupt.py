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
    import os, signal, threading, time
    import numpy as np, corewise as cw
    from corewise._lib import lib

    x = np.random.default_rng(0).uniform(size=1 << 24)
    want = np.sqrt(x)
    views = [x, x[::-1]]                      # contiguous and strided kernels
    wants = [want, want[::-1]]

    def interrupt_when_a_kernel_runs():
        while lib.cw_threads_busy() == 0:     # a call is inside its parallel region
            time.sleep(0.0002)                # (a bare spin starved the caller of
                                              # the GIL on a loaded machine)
        os.kill(os.getpid(), signal.SIGINT)

    for round in range(4):
        cw.set_num_threads(1)
        k = round % 2
        killer = threading.Thread(target=interrupt_when_a_kernel_runs)
        killer.start()
        current = None
        try:
            with cw.threads(2):
                while True:
                    current = np.full_like(x, np.nan)
                    cw.sqrt(views[k], out=current)
        except KeyboardInterrupt:
            pass
        killer.join()
        # the call that was running when the signal came completed
        assert np.array_equal(current, wants[k]), "out= is incomplete"
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
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-3000:]
