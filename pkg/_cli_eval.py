"""``python -m corewise eval EXPR --in a=x.npy [--in b=y.npy ...] --out r.npy``

Evaluates an element-wise expression (corewise.evaluate's syntax) over .npy
files.  Inputs are memory-mapped and processed in chunks, so files larger
than memory work; the output is written to a temporary file in the target
directory and renamed into place only when complete, so the target name
never holds a partial file.  A progress bar (tqdm) appears on runs longer
than a second when stderr is a terminal.  Any error: one line on stderr,
exit status 1 (2 for command-line usage errors).
"""
import os
import sys
import tempfile

import numpy as np

DEFAULT_CHUNK = 1 << 22  # elements per chunk (32 MiB of float64 per operand)


class CliError(Exception):
    pass


def add_arguments(p):
    p.add_argument("expr", help='the expression, e.g. "sqrt(a*a + b*b)"')
    p.add_argument("--in", dest="inputs", action="append", default=[], metavar="NAME=FILE.npy",
                   help="bind NAME to the array in FILE.npy (memory-mapped); repeatable")
    p.add_argument("--out", required=True, metavar="FILE.npy", help="where to write the result")
    p.add_argument("--chunk", type=int, default=DEFAULT_CHUNK,
                   help=f"elements per chunk (default {DEFAULT_CHUNK})")
    p.add_argument("--no-progress", action="store_true", help="never show a progress bar")


def _bindings(specs):
    out = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name.isidentifier() or not path:
            raise CliError(f"--in {spec!r}: expected NAME=FILE.npy")
        if name in out:
            raise CliError(f"--in {name}: given twice")
        try:
            arr = np.load(path, mmap_mode="r", allow_pickle=False)
        except FileNotFoundError:
            raise CliError(f"--in {name}: no such file: {path}") from None
        except IsADirectoryError:
            raise CliError(f"--in {name}: is a directory: {path}") from None
        except (OSError, ValueError, EOFError) as exc:
            raise CliError(f"--in {name}: cannot read {path} as .npy: {exc}") from None
        if not isinstance(arr, np.ndarray):
            raise CliError(f"--in {name}: {path} is not a .npy file (an .npz archive?)")
        out[name] = arr
    return out


def _chunks(shape, arrays, chunk):
    """(views of the operands, slice of the output) per chunk: along the
    flattened array when every operand is C-contiguous with the full
    shape, else along the first axis."""
    names = list(arrays)
    if not shape:
        yield dict(arrays), (), 1
        return
    flat = all(a.shape == shape and a.flags.c_contiguous for a in arrays.values())
    if flat:
        n = int(np.prod(shape))
        views = {k: a.reshape(-1) for k, a in arrays.items()}
        for lo in range(0, n, chunk):
            hi = min(n, lo + chunk)
            yield {k: views[k][lo:hi] for k in names}, slice(lo, hi), hi - lo
        return
    row = max(1, int(np.prod(shape[1:])))
    rows = max(1, chunk // row)
    full = {k: np.broadcast_to(a, shape) for k, a in arrays.items()}
    for lo in range(0, shape[0], rows):
        hi = min(shape[0], lo + rows)
        yield {k: full[k][lo:hi] for k in names}, (slice(lo, hi),), (hi - lo) * row


def run(args):
    try:
        return _run(args)
    except CliError as exc:
        msg = str(exc)
    except (ValueError, TypeError, NameError, OverflowError, FloatingPointError,
            RuntimeError, OSError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    print(f"corewise eval: error: {msg}", file=sys.stderr)
    return 1


def _run(args):
    from . import _evaluate
    if args.chunk <= 0:
        raise CliError(f"--chunk must be >= 1, got {args.chunk}")
    parsed = _evaluate.parse(args.expr)
    arrays = _bindings(args.inputs)
    missing = [n for n in parsed.names if n not in arrays]
    if missing:
        raise CliError(f"name {missing[0]!r} in the expression has no --in {missing[0]}=FILE.npy")
    arrays = {n: arrays[n] for n in parsed.names}
    for n, a in arrays.items():
        _evaluate.supported(a.dtype.newbyteorder("="), f"operand {n!r}")
    try:
        shape = np.broadcast_shapes(*[a.shape for a in arrays.values()])
    except ValueError:
        raise CliError("the inputs' shapes do not broadcast together: "
                       + ", ".join(f"{n} {a.shape}" for n, a in arrays.items())) from None
    sig = tuple((a.dtype.newbyteorder("="), a.size == 1) for a in arrays.values())
    res_dt = _evaluate._plan(parsed, sig).res_dt
    target = os.path.abspath(args.out)
    d = os.path.dirname(target)
    if not os.path.isdir(d):
        raise CliError(f"--out {args.out}: directory {d} does not exist")
    if os.path.isdir(target):
        raise CliError(f"--out {args.out}: is a directory")
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(target) + ".", suffix=".tmp", dir=d)
    os.close(fd)
    try:
        _write(args, parsed, arrays, shape, res_dt, tmp)
        os.replace(tmp, target)  # atomic: the target is the old file or the complete new one
    except BaseException:
        os.unlink(tmp)
        raise
    return 0


def _write(args, parsed, arrays, shape, res_dt, tmp):
    from . import _evaluate
    n = int(np.prod(shape))
    if n == 0 or not shape:
        local = {k: np.asarray(a) for k, a in arrays.items()}
        with open(tmp, "wb") as f:
            np.save(f, np.asarray(_evaluate.evaluate(args.expr, local)).astype(res_dt))
        return
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=res_dt, shape=shape)
    try:
        flat = out.reshape(-1) if out.flags.c_contiguous else out
        bar = _progress(n, args.no_progress)
        try:
            for local, sl, count in _chunks(shape, arrays, args.chunk):
                dest = flat[sl] if isinstance(sl, slice) else out[sl]
                _evaluate.evaluate(args.expr, local, out=dest)
                bar.update(count)
        finally:
            bar.close()
        out.flush()
    finally:
        del out


def _progress(total, disabled):
    from tqdm import tqdm
    return tqdm(total=total, unit="el", unit_scale=True, delay=1.0, leave=False,
                disable=True if disabled else None, file=sys.stderr, desc="corewise eval")
