"""`python -m corewise bench --scan`: the scans (cumsum, cumprod,
maximum.accumulate; csrc/scan.c) against NumPy's serial ones and the copy
roof, float64 and float32, at 256K and --large elements (default 32M), at
each thread count.  A scan reads and writes the same bytes as a copy of the
array, so the roof is the parallel copy of x into y (cw_parallel_copy);
the reduce-then-scan reads x twice (block totals, then the scan), hence
vs_roof >= 1.5 where memory bounds it.  Results are checked against NumPy
(bitwise for max; within the README's bound for sums) before timing; times
are medians of interleaved repeats (_bench.paired_times)."""
import numpy as np

from ._lib import ffi, lib


def bench_scan(rows, tcounts, repeats, large):
    import corewise as cw
    from ._bench import _scaling
    from ._scan import accumulate
    rng = np.random.default_rng(17)
    for n in (2**18, large):
        size = f"{n // 2**20}M" if n % 2**20 == 0 else f"{n // 2**10}K"
        for dt in (np.float64, np.float32):
            x = rng.uniform(0.9999, 1.0001, n).astype(dt)
            y = np.empty_like(x)
            xb, yb = ffi.from_buffer(x), ffi.from_buffer(y)
            cases = (("cumsum", lambda: np.cumsum(x, out=y), lambda: cw.cumsum(x, out=y)),
                     ("cumprod", lambda: np.cumprod(x, out=y), lambda: cw.cumprod(x, out=y)),
                     ("maximum.accumulate", lambda: np.maximum.accumulate(x, out=y),
                      lambda: accumulate("maximum", x, 0, None, y)))
            assert np.array_equal(accumulate("maximum", x), np.maximum.accumulate(x))
            s = cw.cumsum(x).astype(np.float64)
            assert np.allclose(s, np.cumsum(x, dtype=np.float64), rtol=1e-3 if dt == np.float32 else 1e-9)
            for name, np_fn, cw_fn in cases:
                _scaling(rows, f"{name}-{size}-{np.dtype(dt).name}", np_fn, cw_fn, tcounts,
                         max(3, repeats // 2), 0.05, nbytes=2 * x.nbytes,
                         roof_fn=lambda: lib.cw_parallel_copy(x.nbytes, xb, yb))
            del xb, yb
