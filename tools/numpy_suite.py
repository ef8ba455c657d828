"""NumPy's own tests against corewise: patched (outcomes must match) and
substituted (failures must be listed, with a reason, in one file).

    python tools/numpy_suite.py [-n JOBS] [--only patched|substituted]
                                [--write-differences] [--allow-stale]

Three pytest runs of NumPy's installed test modules (numpy/_core/tests),
NumPy's slow and huge-memory tests deselected the same way in each
(``-m "not slow"``, NPY_AVAILABLE_MEM=1GB):

1. the reference: FILES unpatched (shared by both comparisons);
2. patched: PATCH_FILES under tests/numpy_patched.py
   (corewise.patch_numpy(min_elements=1)) -- every test's outcome must be
   the reference's and none may fail;
3. substituted: FILES under tests/numpy_substituted.py (the test modules'
   ``np``/``ncu``/... globals resolve corewise's names first) -- every test
   that passes in the reference but not substituted must be matched by an
   entry of tests/numpy_differences.txt (the expected, documented
   differences: test ids or ``*`` patterns, each with a reason, grouped by
   cause).  Entries that match no such failure are stale: they fail the run
   too (the list stays exact; --allow-stale only reports them), and
   --write-differences rewrites the file: existing entries and reasons that
   still match are kept, stale ones dropped, new failures added under a
   cause derived from the failure (collapsed to a class or parametrised
   test pattern where all of it fails for one cause).

Exit 0 when both comparisons hold.  A categorised report (failures per
cause) is printed either way.  `make numpy-tests` runs it (CI does).
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

FILES = ("test_umath.py", "test_ufunc.py", "test_numeric.py", "test_multiarray.py",
         "test_umath_complex.py")
PATCH_FILES = ("test_umath.py", "test_ufunc.py", "test_umath_complex.py")
HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(os.path.dirname(HERE), "tests")
DIFFERENCES = os.path.join(TESTS, "numpy_differences.txt")
PASSING = ("passed",)

sys.path.insert(0, HERE)
from numpy_causes import DEFAULT_REASON, cause_of, coarse  # noqa: E402


# ---- running pytest --------------------------------------------------------

def test_id(classname, name):
    """JUnit (classname, name) -> 'test_umath.py::TestFoo::test_bar[x]'."""
    parts = classname.split(".")
    for i, p in enumerate(parts):
        if p + ".py" in FILES:
            return "::".join([p + ".py", *parts[i + 1:], name])
    return f"{classname}::{name}"


def outcomes(xml_path):
    """{test id: (kind, message, text)} from a JUnit report."""
    out = {}
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        kind, msg, text = "passed", "", ""
        for child in case:
            if child.tag in ("failure", "error"):
                kind, msg, text = child.tag, child.get("message") or "", child.text or ""
            elif child.tag == "skipped":
                kind = "xfailed" if child.get("type") == "pytest.xfail" else "skipped"
        out[test_id(case.get("classname"), case.get("name"))] = (kind, msg, text)
    return out


def run(label, files, jobs, xml_path, env_extra, plugins=()):
    import numpy as np
    tests = os.path.join(os.path.dirname(np.__file__), "_core", "tests")
    env = dict(os.environ, NPY_AVAILABLE_MEM="1GB", COREWISE_PATCH="0",
               PYTHONPATH=os.pathsep.join(filter(None, [TESTS, os.environ.get("PYTHONPATH")])))
    env.update(env_extra)  # (the patched run sets COREWISE_PATCH=1)
    cmd = [sys.executable, "-m", "pytest", "-q", "-c", os.path.join(TESTS, "numpy_pytest.ini"),
           "--rootdir", os.path.dirname(np.__file__), f"--junitxml={xml_path}",
           "-m", "not slow", "--tb=native", "-rN", "-W", "ignore::pytest.PytestRemovedIn10Warning",
           *[a for p in plugins for a in ("-p", p)],
           *[os.path.join(tests, f) for f in files]]
    if jobs != "0":
        cmd += ["-n", jobs]
    t0 = time.monotonic()
    r = subprocess.run(cmd, cwd=tempfile.gettempdir(), env=env, capture_output=True, text=True)
    tail = r.stdout.strip().splitlines()[-1:] or [r.stderr.strip()[-500:]]
    print(f"{label:11s}: {tail[0]} ({time.monotonic() - t0:.0f} s)", flush=True)
    if not os.path.exists(xml_path):
        print(r.stdout[-3000:], r.stderr[-3000:])
        return {}
    return outcomes(xml_path)


def in_files(ids, files):
    return {k: v for k, v in ids.items() if k.split("::")[0] in files}


# ---- the differences file ---------------------------------------------------

class Entry:
    __slots__ = ("pattern", "reason", "regex", "hits")

    def __init__(self, pattern, reason):
        self.pattern, self.reason = pattern, reason
        # only * is a wildcard: test ids are full of [ ] ? characters
        self.regex = re.compile("".join(".*" if c == "*" else re.escape(c) for c in pattern) + r"\Z")
        self.hits = 0


class Group:
    def __init__(self, cause, reason):
        self.cause, self.reason, self.entries = cause, reason, []


def read_differences(path):
    """Groups of the file:  '== cause' opens a group, 'reason: ...' lines
    give its reason, every other non-comment line is an entry: a test id or
    pattern, optionally followed by '  -- its own reason'."""
    groups = []
    if not os.path.exists(path):
        return groups
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            if s.startswith("== "):
                groups.append(Group(s[3:].strip(), ""))
            elif s.startswith("reason:"):
                if not groups:
                    raise SystemExit(f"{path}:{n}: a reason outside a group")
                groups[-1].reason = (groups[-1].reason + " " + s[7:].strip()).strip()
            else:
                if not groups:
                    raise SystemExit(f"{path}:{n}: an entry outside a group ('== cause' first)")
                pat, _, own = s.partition("  -- ")
                groups[-1].entries.append(Entry(pat.strip(), own.strip()))
    for g in groups:
        if not g.reason and any(not e.reason for e in g.entries):
            raise SystemExit(f"{path}: group '{g.cause}' has entries without a reason")
    return groups


HEADER = """\
# NumPy's own tests run with corewise substituted (tests/numpy_substituted.py):
# the expected, documented differences.  tools/numpy_suite.py (make numpy-tests)
# fails on a test that passes with NumPy and fails substituted unless an entry
# below matches it, and on a stale entry (one that matches no such failure).
#
# Format: '== <cause>' opens a group; 'reason: <text>' lines say why the
# difference is expected (the group's reason holds for each of its entries);
# each other line is a test id (file::Class::test[params]) or a pattern in
# which only '*' is a wildcard, optionally followed by '  -- <own reason>'.
#
# Regenerate with:  python tools/numpy_suite.py --write-differences
# (keeps the entries and reasons that still match, drops stale ones, adds new
# failures under a cause derived from the failure; edit the reasons after).
"""


def write_differences(path, groups):
    with open(path, "w") as f:
        f.write(HEADER)
        for g in sorted(groups, key=lambda g: (coarse(g.cause), g.cause)):
            if not g.entries:
                continue
            f.write(f"\n== {g.cause}\n")
            f.write(f"reason: {g.reason}\n")
            for e in sorted(g.entries, key=lambda e: e.pattern):
                f.write(f"{e.pattern}  -- {e.reason}\n" if e.reason else f"{e.pattern}\n")


def match(groups, failures):
    """{test id: entry} for the failures some entry matches (first wins)."""
    entries = [e for g in groups for e in g.entries]
    for e in entries:
        e.hits = 0
    got = {}
    for t in failures:
        for e in entries:
            if e.regex.match(t):
                e.hits += 1
                got[t] = e
                break
    return got


def collapse(new, ref_passing):
    """Patterns for the new failures {id: cause}: 'file::Class::*' where all
    of a class's reference-passing tests fail for one cause, 'test[*' where
    all the parameter sets of one test do, 'test[add-*' / 'test[*-add]'
    where all those with one leading / trailing parameter value do; else
    the ids."""
    out = {}
    left = dict(new)

    def prefix_groups(key):
        groups = collections.defaultdict(list)
        for t in ref_passing:
            k = key(t)
            if k:
                groups[k].append(t)
        return groups

    def cls(t):
        parts = t.split("::")
        return "::".join(parts[:-1]) + "::" if len(parts) > 2 else None

    def func(t):
        return t[:t.index("[") + 1] if "[" in t else None

    def take(pattern, members):
        if len(members) < 2 or any(m not in left for m in members):
            return
        causes = {left[m] for m in members}
        if len(causes) == 1:
            out[pattern] = causes.pop()
            for m in members:
                del left[m]

    for key in (cls, func):
        for k, members in prefix_groups(key).items():
            take(k + "*", members)
    # one parameter value of a test: 'test_f[add-*' / 'test_f[*-add]' where
    # every reference-passing parameter set with it fails for one cause
    by_func = collections.defaultdict(list)
    for t in ref_passing:
        if "[" in t:
            by_func[func(t)].append(t)
    for t in sorted(left):
        if t not in left or "[" not in t:
            continue
        f = func(t)
        params = t[len(f):-1]
        cuts = [i for i, c in enumerate(params) if c == "-"]
        for i in cuts:
            head, tail = params[:i + 1], params[i:] + "]"
            take(f + head + "*", [m for m in by_func[f] if m.startswith(f + head)])
            if t not in left:
                break
            take(f + "*" + tail, [m for m in by_func[f] if m.endswith(tail)])
            if t not in left:
                break
    out.update(left)
    return out


# ---- the comparisons ---------------------------------------------------------

def compare_patched(ref, got):
    diff = sorted(n for n in set(ref) | set(got) if ref.get(n, ("absent",))[0] != got.get(n, ("absent",))[0])
    for n in diff:
        print(f"  {n}: unpatched {ref.get(n, ('absent',))[0]}, patched {got.get(n, ('absent',))[0]}")
    failed = sorted(n for n, k in got.items() if k[0] in ("failure", "error"))
    print(f"patched    : {len(got)} tests, {len(diff)} outcomes differ, {len(failed)} failed patched")
    return not diff and not failed and bool(got)


def substituted_failures(ref, got):
    """{id: (kind, message, text)}: passing in the reference, not substituted."""
    out = {}
    for t, (kind, *_rest) in ref.items():
        if kind in PASSING:
            g = got.get(t, ("absent", "the test was not run substituted", ""))
            if g[0] not in PASSING:
                out[t] = g
    return out


def report(failures, causes):
    by_coarse = collections.Counter(coarse(c) for c in causes.values())
    by_cause = collections.Counter(causes.values())
    by_file = collections.Counter(t.split("::")[0] for t in failures)
    print(f"substituted: {len(failures)} tests pass with NumPy and not substituted "
          f"({', '.join(f'{f} {n}' for f, n in sorted(by_file.items()))})")
    for c, n in by_coarse.most_common():
        print(f"  {n:5d}  {c}")
        for fine, m in by_cause.most_common():
            if coarse(fine) == c:
                print(f"         {m:5d}  {fine}")


def compare_substituted(ref, got, args):
    failures = substituted_failures(ref, got)
    causes = {t: cause_of(*v) for t, v in failures.items()}
    report(failures, causes)
    groups = read_differences(args.differences)
    matched = match(groups, failures)
    unlisted = sorted(t for t in failures if t not in matched)
    stale = [e for g in groups for e in g.entries if not e.hits]
    if args.write_differences:
        ref_passing = [t for t, v in ref.items() if v[0] in PASSING]
        by_cause = {g.cause: g for g in groups}
        for g in groups:
            g.entries = [e for e in g.entries if e.hits]
        for pat, cause in collapse({t: causes[t] for t in unlisted}, ref_passing).items():
            g = by_cause.get(cause)
            if g is None:
                g = by_cause[cause] = Group(cause, DEFAULT_REASON(cause))
                groups.append(g)
            g.entries.append(Entry(pat, ""))
        write_differences(args.differences, groups)
        n = sum(len(g.entries) for g in groups)
        print(f"substituted: wrote {args.differences}: {n} entries in "
              f"{sum(1 for g in groups if g.entries)} causes ({len(unlisted)} new failures, "
              f"{len(stale)} stale entries dropped)")
        return True
    for t in unlisted:
        kind, msg, _ = failures[t]
        print(f"  NOT LISTED {t}: {causes[t]} ({kind}: {msg.splitlines()[0][:160] if msg else ''})")
    for e in stale:
        print(f"  STALE ENTRY {e.pattern} (matches no failing test)")
    print(f"substituted: {len(failures)} expected differences checked, {len(unlisted)} not "
          f"listed, {len(stale)} stale entries{' (allowed)' if args.allow_stale else ''}")
    return bool(got) and not unlisted and (args.allow_stale or not stale)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", default="auto", help="pytest-xdist workers (0: one process)")
    p.add_argument("--only", choices=("patched", "substituted"), help="one comparison only")
    p.add_argument("--write-differences", action="store_true",
                   help="rewrite the differences file from this run (see above)")
    p.add_argument("--allow-stale", action="store_true", help="stale entries only reported")
    p.add_argument("--differences", default=DIFFERENCES, help=argparse.SUPPRESS)
    args = p.parse_args()
    do_patch = args.only != "substituted" and not args.write_differences
    do_sub = args.only != "patched"
    ok = True
    with tempfile.TemporaryDirectory() as d:
        ref = run("reference", FILES if do_sub else PATCH_FILES, args.n,
                  os.path.join(d, "reference.xml"), {})
        if not ref:
            return 1
        if do_patch:
            got = run("patched", PATCH_FILES, args.n, os.path.join(d, "patched.xml"),
                      {"COREWISE_PATCH": "1"})
            ok &= compare_patched(in_files(ref, PATCH_FILES), got)
        if do_sub:
            got = run("substituted", FILES, args.n, os.path.join(d, "substituted.xml"),
                      {}, plugins=("numpy_substituted",))
            ok &= compare_substituted(ref, got, args)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
