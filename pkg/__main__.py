"""``python -m corewise info|bench|eval|run``."""
import argparse
import json
import sys


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["run"]:  # the program's own arguments are not ours to parse
        from ._run import main as run_main
        return run_main(argv[1:])
    p = argparse.ArgumentParser(prog="python -m corewise",
                                description="corewise command line")
    sub = p.add_subparsers(dest="cmd", required=True)
    pi = sub.add_parser("info", help="version, OpenMP runtime, threads, compiler, flags, SIMD level")
    pi.add_argument("--json", action="store_true", help="print JSON")
    pb = sub.add_parser("bench", help="benchmarks against NumPy and the memory roof")
    from ._bench import add_arguments
    add_arguments(pb)
    sub.add_parser("run", help="run a script (or -m module) with NumPy patched: "
                              "python -m corewise run script.py [args...]")
    pe = sub.add_parser("eval", help="evaluate an expression over .npy files (memory-mapped, chunked)",
                        description="Evaluate an element-wise expression (corewise.evaluate's "
                                    "syntax) over .npy files, e.g. "
                                    "eval 'sqrt(a*a+b*b)' --in a=x.npy --in b=y.npy --out r.npy")
    from ._cli_eval import add_arguments as add_eval_arguments
    add_eval_arguments(pe)
    args = p.parse_args(argv)
    if args.cmd == "eval":
        from ._cli_eval import run as run_eval
        return run_eval(args)
    if args.cmd == "info":
        from ._info import format_info, info
        print(json.dumps(info(), indent=2) if args.json else format_info())
        return 0
    from ._bench import run
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
