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
    import faulthandler, os, random, signal, threading, time
    import numpy as np, corewise as cw
    from corewise._lib import lib

    faulthandler.dump_traceback_later(120, exit=True)   # a hang: every thread's stack
    # Python's own Ctrl-C handler, whatever this process inherited: a job
    # started in the background by a non-interactive shell (`make test &`)
    # ignores SIGINT, and Python then installs no handler -- which made this
    # test hang, and later fail, in such runs
    signal.signal(signal.SIGINT, signal.default_int_handler)

    x = np.random.default_rng(0).uniform(size=1 << 24)
    # call j computes sqrt(x * 4**(j % 2)) = sqrt(x) * 2**(j % 2), exactly:
    # out= holds one call's whole result, or a mix if a call was cut short
    ins = [x, x * 4.0]
    wants = [np.sqrt(x), 2.0 * np.sqrt(x)]
    views = [lambda a: a, lambda a: a[::-1]]   # contiguous and strided kernels

    # Ctrl-C comes as from a terminal: SIGINT to the process after a random
    # delay.  Nearly all of the loop's time is inside
    # kernels; a round counts when the signal came during one: the thread
    # budget's peak, reset before each call, is nonzero once that call's team
    # formed.  Other rounds are run again, up to 40 times.
    pid, rng = os.getpid(), random.Random(1)

    def send_sigint(delay, sent):
        time.sleep(delay)
        sent.set()
        os.kill(pid, signal.SIGINT)

    rounds = attempts = 0
    while rounds < 4:
        attempts += 1
        assert attempts <= 40, "the signal never landed during a kernel"
        cw.set_num_threads(1)
        k = rounds % 2
        xs = [views[k](a) for a in ins]
        current = np.empty_like(xs[0])
        # (a thread that sleeps, then kill()s the process: a process-directed
        # SIGINT like a terminal's.  It was a `sh -c "sleep; kill"` child,
        # polled in the loop below, until a KeyboardInterrupt that landed
        # inside Popen.poll() -- between its lock's acquire and release --
        # left the lock held, and sender.wait() hung (PyPy CI, 2026-12-03).
        # Event.is_set() takes no lock.)
        sent = threading.Event()
        sender = threading.Thread(target=send_sigint, args=(rng.uniform(0.05, 0.3), sent))
        sender.start()
        j, after = -1, 0
        try:
            with cw.threads(2):
                while True:
                    # the signal comes back as KeyboardInterrupt at once:
                    # at most the call it interrupted completes
                    after += sent.is_set()
                    assert after < 3, "SIGINT sent, but no KeyboardInterrupt came"
                    j += 1
                    lib.cw_threads_peak(1)
                    cw.sqrt(xs[j % 2], out=current)
        except KeyboardInterrupt:
            pass
        sender.join()
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
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                       timeout=300, env=child_env())
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-6000:]
