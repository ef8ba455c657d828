"""``bench --complex``: the native complex loops against NumPy at 4M
elements (1 and 2 threads, the --threads counts): complex128 add and
multiply (memory-bound: against the copy roof of the same bytes),
absolute, and the compute-bound exp, sqrt, log and divide; prod of
complex128 and complex64 (the engine's fixed tree over the fused multiply)
against np.prod (NumPy's serial product), on unit-modulus values so that
4M factors neither overflow nor underflow."""
import numpy as np

from ._lib import ffi, lib


def bench_complex(rows, tcounts, repeats, n):
    import corewise as cw
    from ._bench import _scaling
    rng = np.random.default_rng(7)
    size = f"{n // 2**20}M" if n % 2**20 == 0 else str(n)
    x = rng.uniform(-2, 2, n) + 1j * rng.uniform(-2, 2, n)
    w = rng.uniform(-2, 2, n) + 1j * rng.uniform(-2, 2, n)
    for name, args, res in (("add", (x, w), x), ("multiply", (x, w), x),
                            ("divide", (x, w), x), ("absolute", (x,), x.real),
                            ("exp", (x,), x), ("sqrt", (x,), x), ("log", (x,), x)):
        z = np.empty_like(res)
        npf, cwf = getattr(np, name), getattr(cw, name)
        moved = sum(a.nbytes for a in args) + z.nbytes
        half = moved // 2                        # a copy of half moves as much
        src = np.ones(half // 8 + 1)
        dst = np.empty_like(src)
        sb, db = ffi.from_buffer(src), ffi.from_buffer(dst)
        _scaling(rows, f"{name}-{size}-complex128", lambda: npf(*args, out=z),
                 lambda: cwf(*args, out=z), tcounts, max(3, repeats // 2), 0.05,
                 nbytes=moved, roof_fn=lambda: lib.cw_parallel_copy(half, sb, db))
        del src, dst
    u = x / np.abs(x)
    for dt in (np.complex128, np.complex64):
        a = u.astype(dt)
        _scaling(rows, f"prod-{size}-{np.dtype(dt).name}", lambda: np.prod(a),
                 lambda: cw.prod(a), tcounts, max(3, repeats // 2), 0.05, nbytes=a.nbytes)
