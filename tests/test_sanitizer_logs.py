"""tools/sanitizers/check_logs.sh, `make asan-run`'s verdict on the
sanitizer logs: every report fails the run; only a log that is nothing but
LeakSanitizer's tracer crashing at exit (google/sanitizers#1353) does not."""
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent.parent / "tools" / "sanitizers" / "check_logs.sh"
CRASH = ("Tracer caught signal 11: addr=0x97c8 pc=0x7f10fc8e80f0 sp=0x7f10f6bffd10\n"
         "==11414==LeakSanitizer has encountered a fatal error.\n"
         "==11414==HINT: For debugging, try setting environment variable "
         "LSAN_OPTIONS=verbosity=1:log_threads=1\n"
         "==11414==HINT: LeakSanitizer does not work under ptrace (strace, gdb, etc)\n")
REPORT = "==7==ERROR: AddressSanitizer: heap-use-after-free on address 0x6020\n"
LEAK = "==8==ERROR: LeakSanitizer: detected memory leaks\n"


@pytest.mark.parametrize("logs, rc", [
    ({}, 0),
    ({"asan.11414": CRASH}, 0),
    ({"asan.7": REPORT}, 1),
    ({"asan.11414": CRASH, "asan.7": REPORT}, 1),
    ({"asan.8": CRASH + LEAK}, 1),          # a crash line beside a real report
    ({"ubsan.9": "x.c:1:2: runtime error: signed integer overflow\n"}, 1),
])
def test_verdict(tmp_path, logs, rc):
    for name, text in logs.items():
        (tmp_path / name).write_text(text)
    r = subprocess.run(["sh", str(SCRIPT), str(tmp_path)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == rc, r.stdout + r.stderr
    for text in logs.values():
        assert text.splitlines()[0] in r.stdout       # every log is shown
