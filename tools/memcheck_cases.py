"""The focused subset that `make valgrind` runs under memcheck (README,
"Hardening"): every corewise function on odd shapes (SIMD loop tails),
strided views (steps, negative, transposed, broadcast), out= views inside
larger buffers (with guard bytes around them that must stay untouched),
dtype conversion on the way in and out, then every other family
(reductions, dot, selections, evaluate) on the same layouts; 1 and 2 threads with a tiny serial
threshold so the block split runs.  memcheck reports any invalid read or
write; this script itself checks every result against NumPy and every
guard byte, and exits non-zero on a mismatch.

    python tools/memcheck_cases.py [--quick]
"""
import os
import sys
import warnings

import numpy as np

import corewise as cw
from corewise._lib import lib

# the test suite's helpers: the oracle's comparisons and the family list
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import oracle  # noqa: E402
from hardening_util import FUNCS, family_calls  # noqa: E402

# --quick (what CI runs): fewer sizes and one conversion dtype, so memcheck
# stays within a few minutes; still a size below, at, and past each SIMD
# width and a tail after full blocks.
QUICK = "--quick" in sys.argv
SIZES = (1, 3, 17, 257) if QUICK else (1, 2, 3, 5, 7, 9, 15, 16, 17, 31, 33, 63, 65, 255, 1023, 4097)
DTYPES = (np.float32, np.float64, np.int16) if QUICK else (np.float32, np.float64, np.float16,
                                                            np.int16)
GUARD = 16


def same(fn, got, want):
    """got within the function's documented ULP bound of the truth.  want is
    NumPy's answer for the same inputs, or (float32 results) NumPy's float64
    answer rounded to float32 -- the truth to within rounding; a float64
    NumPy answer carries NumPy's own error, so there the allowance is the
    bound twice (both within it of the truth).  0-ULP functions and
    non-float results: bitwise (the oracle's "ulp" policy)."""
    op = getattr(fn, "op", None)
    max_ulp = getattr(op, "max_ulp", 0)
    if max_ulp and np.asarray(got).dtype == np.float32:
        max_ulp = getattr(op, "max_ulp_f32", max_ulp) + 1
    else:
        max_ulp *= 2
    return oracle.same(got, want, "ulp", ulp=max_ulp, types=False)


def layouts(n, dt):
    base = np.linspace(0.25, 4.0, 3 * n + 5).astype(dt)
    yield "contiguous", base[:n]
    yield "offset", base[1:n + 1]                     # start off the SIMD alignment
    raw = bytearray(base.itemsize * (n + 1))
    odd = np.ndarray((n,), base.dtype, buffer=raw, offset=1)   # not even element-aligned
    odd[...] = base[:n]
    yield "unaligned", odd
    yield "step-2", base[: 2 * n: 2]
    yield "step-3-reversed", base[3 * n - 1:: -3][:n] if n else base[:0]
    yield "broadcast", np.broadcast_to(base[:1], (n,))
    m = base[: (n // 2) * 2].reshape(-1, 2) if n >= 2 else base[:0].reshape(0, 2)
    yield "transposed", m.T
    yield "2d-sliced", np.linspace(0.25, 4.0, 3 * n + 3).astype(dt).reshape(3, -1)[::-2, 1::2]


def out_views(shape, dt):
    """An out= view inside a guarded buffer: contiguous, strided, reversed."""
    n = int(np.prod(shape))
    for label, stride in (("out", 1), ("out-step-2", 2), ("out-reversed", -1)):
        buf = np.full(2 * GUARD + abs(stride) * n + 1, -9.0, dt)
        if stride > 0:
            view = buf[GUARD: GUARD + stride * n: stride]
        else:
            view = buf[GUARD + n - 1: GUARD - 1: -1] if n else buf[GUARD:GUARD]
        yield label, buf, view.reshape(shape)


def other_families(failures):
    """Reductions, dot, selections and evaluate (whatever the package has,
    tests/hardening_util.py lists them) on the same layouts: each result
    must equal the one on a contiguous copy."""
    calls = 0
    for label, f in family_calls()[len(FUNCS):]:
        for dt in (np.float32, np.float64):
            for n in SIZES[::4]:
                for lay, x in layouts(n, dt):
                    for nt in (2,):
                        with cw.threads(nt), np.errstate(all="ignore"), warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            try:
                                got, want = f(x), f(np.ascontiguousarray(x))
                            except (TypeError, ValueError) as e:    # e.g. 0-size argmax
                                got = want = type(e)
                        calls += 1
                        if repr(got) != repr(want):
                            failures.append((label, np.dtype(dt).name, n, lay, nt, "result"))
    return calls


def numpy_answers(ref, nin, dt):
    """Does NumPy's ufunc have a one-output loop for nin arrays of dtype dt?
    (bitwise_and has no float loop, ldexp none for two floats; divmod,
    frexp and modf have two outputs and are NumPy's own: nothing of
    corewise's C to check there.)"""
    if ref.nout != 1:
        return False
    try:
        with np.errstate(all="ignore"):
            ref(*(np.ones(2, dt),) * nin)
    except TypeError:
        return False
    return True


def main():
    failures, calls = [], 0
    lib.cw_set_min_parallel(4)
    for name in cw.functions:
        fn = getattr(cw, name)
        nin = getattr(getattr(fn, "op", None), "nin", 1)
        ref = getattr(np, name)
        for dt in DTYPES:
            if not numpy_answers(ref, nin, dt):
                continue
            for n in SIZES:
                for k, (lay, x) in enumerate(layouts(n, dt)):
                    args = (x,) * nin
                    with np.errstate(all="ignore"):
                        want = ref(*args)
                        if want.dtype == np.float32 and getattr(fn.op, "max_ulp", 0):
                            want = ref(*(a.astype(np.float64) for a in args)).astype(np.float32)
                    for nt in (1, 2):
                        with cw.threads(nt), np.errstate(all="ignore"):
                            got = fn(*args)
                            calls += 1
                            if not same(fn, got, want):
                                failures.append((name, np.dtype(dt).name, n, lay, nt, "result"))
                            # --quick: one out= view a layout, in turn (each
                            # view kind still meets several input layouts):
                            # half the calls of the full cross product
                            views = list(out_views(want.shape, want.dtype))
                            if QUICK:
                                views = [views[k % len(views)]]
                            for olabel, buf, view in views:
                                before = buf.copy()
                                r = fn(*args, out=view)
                                calls += 1
                                touched = np.zeros(buf.shape, bool)
                                if view.size:
                                    idx = (view.__array_interface__["data"][0]
                                           - buf.__array_interface__["data"][0]) // buf.itemsize
                                    step = view.strides[-1] // buf.itemsize if view.ndim else 1
                                    flat = idx + np.arange(view.size) * step
                                    touched[flat] = True
                                ok = r is view and same(fn, view, want) and \
                                    np.array_equal(buf[~touched].view(np.uint8),
                                                   before[~touched].view(np.uint8))
                                if not ok:
                                    failures.append((name, np.dtype(dt).name, n, lay, nt, olabel))
    calls += other_families(failures)
    lib.cw_set_min_parallel(0)
    for f in failures[:20]:
        print("MISMATCH", *f)
    print(f"memcheck cases: {calls} calls, {len(failures)} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
