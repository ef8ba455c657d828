"""NumPy's own ufunc tests, patched and unpatched: the outcomes must match.

    python tools/numpy_suite.py [-n JOBS]

Runs NumPy's installed numpy/_core/tests/test_umath.py, test_ufunc.py and
test_umath_complex.py twice with pytest -- once unpatched (COREWISE_PATCH=0),
once under tests/numpy_patched.py (corewise.patch_numpy(min_elements=1):
every inner-loop call of NumPy's element-wise ufuncs through corewise's
replacement loops) -- and compares every test's outcome (passed, failed,
skipped, xfailed, error) from the two JUnit reports.  Exit 0 when they are
the same test for test and the patched run has no failure; else the
differing tests are listed.  `make numpy-tests` runs it (CI does).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

FILES = ("test_umath.py", "test_ufunc.py", "test_umath_complex.py")
HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(os.path.dirname(HERE), "tests")


def outcomes(xml_path):
    out = {}
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        kind = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                kind = child.tag
            elif child.tag == "skipped":
                kind = "xfailed" if child.get("type") == "pytest.xfail" else "skipped"
        out[name] = kind
    return out


def run(patched, jobs, xml_path):
    import numpy as np
    tests = os.path.join(os.path.dirname(np.__file__), "_core", "tests")
    env = dict(os.environ, COREWISE_PATCH="1" if patched else "0",
               PYTHONPATH=os.pathsep.join(filter(None, [TESTS, os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, "-m", "pytest", "-q", "-c", os.path.join(TESTS, "numpy_pytest.ini"),
           "--rootdir", os.path.dirname(np.__file__), f"--junitxml={xml_path}",
           *[os.path.join(tests, f) for f in FILES]]
    if jobs != "0":
        cmd += ["-n", jobs]
    r = subprocess.run(cmd, cwd=tempfile.gettempdir(), env=env, capture_output=True, text=True)
    tail = r.stdout.strip().splitlines()[-1:] or [r.stderr.strip()[-500:]]
    print(f"{'patched  ' if patched else 'unpatched'}: {tail[0]}")
    return outcomes(xml_path)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", default="auto", help="pytest-xdist workers (0: one process)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as d:
        ref = run(False, args.n, os.path.join(d, "unpatched.xml"))
        got = run(True, args.n, os.path.join(d, "patched.xml"))
    diff = sorted(n for n in set(ref) | set(got) if ref.get(n) != got.get(n))
    for n in diff:
        print(f"  {n}: unpatched {ref.get(n, 'absent')}, patched {got.get(n, 'absent')}")
    failed = sorted(n for n, k in got.items() if k in ("failure", "error"))
    print(f"numpy-tests: {len(got)} tests, {len(diff)} outcomes differ, "
          f"{len(failed)} failed patched")
    return 1 if diff or failed or not got else 0


if __name__ == "__main__":
    sys.exit(main())
