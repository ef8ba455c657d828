"""``python -m corewise run script.py [args...]`` / ``run -m module [args...]``:
run a program with NumPy patched (corewise.patch_numpy()).

The program sees what ``python script.py`` / ``python -m module`` would
give it: ``sys.argv`` (the script path or the module's file first),
``__name__ == "__main__"``, the script's directory (or, for -m, the current
one) first on ``sys.path``, and its exit status (SystemExit passes through;
an uncaught exception prints its traceback and exits 1).
"""
import os
import runpy
import sys

USAGE = ("usage: python -m corewise run [--min-elements N] script.py [args...]\n"
         "       python -m corewise run [--min-elements N] -m module [args...]")


def main(argv):
    argv = list(argv)
    minimum = None
    if argv[:1] == ["--min-elements"] and len(argv) >= 2:
        try:
            minimum = int(argv[1])
        except ValueError:
            print(f"{USAGE}\ncorewise run: --min-elements needs an int, got {argv[1]!r}",
                  file=sys.stderr)
            return 2
        argv = argv[2:]
    if not argv or argv[0] in ("-h", "--help") or argv == ["-m"]:
        print(USAGE, file=sys.stderr if not argv or argv == ["-m"] else sys.stdout)
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    if argv[0] != "-m" and not os.path.exists(argv[0]):
        print(f"corewise run: can't open file {argv[0]!r}: no such file", file=sys.stderr)
        return 2
    import corewise
    corewise.patch_numpy(min_elements=minimum)
    if argv[0] == "-m":
        sys.argv = argv[1:]
        sys.path.insert(0, os.getcwd())
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = argv
        sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))
        runpy.run_path(argv[0], run_name="__main__")
    return 0
