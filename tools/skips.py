"""Counts and names the skipped tests of a pytest run (its --junitxml file):
the no-compiler CI stage (tools/wheel_stage.sh) reports which tests were
skipped because no C compiler was found, and fails if none were (then the
stage did not really run without a compiler) or if a test was skipped for a
reason the ordinary suite does not have.

    usage: python tools/skips.py JUNIT.xml
"""
import collections
import sys
import xml.etree.ElementTree as ET

COMPILER = "needs a C compiler"
# skips the ordinary suite has too (they depend on the machine, not on the compiler)
ORDINARY = ("set CW_SLOW=1", "needs 2 cores", "needs 13 GB", "this CPU lacks")


def main(path):
    groups = collections.defaultdict(list)
    total = 0
    for case in ET.parse(path).getroot().iter("testcase"):
        total += 1
        for sk in case.findall("skipped"):
            reason = (sk.get("message") or "").removeprefix("Skipped: ")
            kind = ("compiler" if reason.startswith(COMPILER) else
                    "ordinary" if reason.startswith(ORDINARY) else "other")
            groups[kind].append((f"{case.get('classname')}::{case.get('name')}", reason))
    for kind in ("compiler", "ordinary", "other"):
        rows = groups.get(kind, [])
        print(f"skipped ({kind}): {len(rows)}")
        for name, reason in rows:
            print(f"  {name}: {reason[:110]}")
    print(f"tests: {total}")
    if not groups.get("compiler"):
        print("skips: no test was skipped for want of a compiler -- was one on PATH?")
        return 1
    if groups.get("other"):
        print("skips: tests skipped for a reason outside the compiler (above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
