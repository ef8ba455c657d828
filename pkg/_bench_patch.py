"""``python -m corewise bench --patch``: unchanged NumPy code, patched
(corewise.patch_numpy()) against unpatched, in one run.

Each repeat times the case unpatched, patches NumPy, times it patched and
unpatches again (interleaved, so a drift of a shared machine's speed hits
both alike); the figure is the median over the repeats.  Cases:
  np.sqrt/exp/sin/tanh  4M float64 and float32 (out=: the compute, not the
                        page faults of a fresh result)
  a + b, a * b + c      --large float64 (default 32M): a + b with out=;
                        a * b + c as written (temporaries)
  np.abs complex128     4M
  f32 + f64             4M float32 + float64 -> float64 (NumPy casts in
                        buffered pieces of 8192: stays serial, see README)
  small                 np.sqrt and a + b on 100 float64 (per-call cost)
  sweep                 np.sqrt, a + b and np.exp (float64, out=) from 1K to
                        1M elements, by 4x: "never slower at any size", the
                        serial threshold's side of the table
  pandas                a 4M-row DataFrame: Series arithmetic (as pandas
                        runs it -- numexpr when installed -- and with
                        compute.use_numexpr off, so NumPy's ufuncs) and
                        np.log of a column (pandas from the bench extra;
                        skipped with a note when it is not installed)
With --busy K[,K...] every case runs beside K busy processes (those of
--contention, started and stopped here; the "busy" column), so the
threshold and the adaptive team are shown on a busy machine too.
Every out= case also gets a copy-roof row: the parallel copy of as many
bytes as the call reads and writes, the time a memory-bound loop cannot
beat (vs_roof = patched time / roof time).
"""
import statistics

import numpy as np

from ._bench import _calibrate, _once as _time
from ._lib import ffi, lib


def patched_vs_unpatched(fn, repeats, min_time=0.05):
    """(unpatched, patched) median seconds per call of fn, interleaved."""
    import corewise as cw
    number = _calibrate(fn, min_time)
    un, pa = [], []
    for _ in range(repeats):
        un.append(_time(fn, number))
        cw.patch_numpy()
        try:
            _time(fn, 1)  # the first patched call: the team wakes
            pa.append(_time(fn, number))
        finally:
            cw.unpatch_numpy()
    return statistics.median(un), statistics.median(pa)


def _cases(n, large, small, sweep):
    rng = np.random.default_rng(11)
    out = []
    for dt in (np.float64, np.float32):
        x = rng.uniform(-5, 5, n).astype(dt)
        y = np.empty_like(x)
        tag = f"{n // 2**20}M-{np.dtype(dt).name}" if n % 2**20 == 0 else f"{n}-{np.dtype(dt).name}"
        xp = np.abs(x)
        moved = x.nbytes + y.nbytes           # read x, write y
        out += [(f"np.sqrt {tag}", lambda xp=xp, y=y: np.sqrt(xp, out=y), moved),
                (f"np.exp {tag}", lambda x=x, y=y: np.exp(x, out=y), moved),
                (f"np.sin {tag}", lambda x=x, y=y: np.sin(x, out=y), moved),
                (f"np.tanh {tag}", lambda x=x, y=y: np.tanh(x, out=y), moved)]
    a, b, c = (rng.uniform(-1, 1, large) for _ in range(3))
    o = np.empty_like(a)
    ltag = f"{large // 2**20}M" if large % 2**20 == 0 else str(large)
    out += [(f"a + b {ltag} out=", lambda: np.add(a, b, out=o), 3 * a.nbytes),
            (f"a * b + c {ltag}", lambda: a * b + c, None)]
    z = (rng.uniform(-1, 1, n) + 1j * rng.uniform(-1, 1, n))
    zo = np.empty(n)
    f32, f64 = rng.uniform(-1, 1, n).astype(np.float32), rng.uniform(-1, 1, n)
    fo = np.empty(n)
    out += [(f"np.abs {n // 2**20 if n % 2**20 == 0 else n}{'M' if n % 2**20 == 0 else ''}"
             " complex128", lambda: np.abs(z, out=zo), z.nbytes + zo.nbytes),
            ("f32 + f64 -> f64", lambda: np.add(f32, f64, out=fo),
             f32.nbytes + f64.nbytes + fo.nbytes)]
    s, t = rng.uniform(0.5, 2, small), rng.uniform(0.5, 2, small)
    out += [(f"np.sqrt {small}", lambda: np.sqrt(s), None), (f"a + b {small}", lambda: s + t, None)]
    for m in sweep:
        u, v = rng.uniform(0.5, 2, m), rng.uniform(0.5, 2, m)
        w = np.empty_like(u)
        tag = f"{m // 1024}K" if m < 2**20 else f"{m // 2**20}M"
        out += [(f"sweep np.sqrt {tag} out=", lambda u=u, w=w: np.sqrt(u, out=w), None),
                (f"sweep a + b {tag} out=", lambda u=u, v=v, w=w: np.add(u, v, out=w), None),
                (f"sweep np.exp {tag} out=", lambda u=u, w=w: np.exp(u, out=w), None)]
    try:
        import pandas as pd
    except ImportError:
        pd = None
    if pd is not None:
        df = pd.DataFrame({"p": rng.uniform(1, 2, n), "q": rng.uniform(1, 2, n)})
        def arith():
            return (df.p * df.q + df.p) / df.q

        def arith_ufuncs():
            with pd.option_context("compute.use_numexpr", False):
                return arith()
        # With numexpr installed pandas hands large Series arithmetic to
        # numexpr (its own threads, no NumPy ufunc): the patch cannot change
        # that row; the ufuncs row turns numexpr off, so NumPy's loops run.
        out += [("pandas (p * q + p) / q", arith, None),
                ("pandas (p * q + p) / q, ufuncs", arith_ufuncs, None),
                ("pandas np.log(df.p)", lambda: np.log(df["p"]), None)]
    return out, pd is not None


def run(args, rows):
    repeats = 3 if args.quick else args.repeats
    n = 2**14 if args.quick else 4 * 2**20
    large = 2**16 if args.quick else args.large
    sweep = [2**10, 2**14] if args.quick else [2**k for k in range(10, 21, 2)]
    cases, have_pandas = _cases(n, large, 100, sweep)
    from ._bench_contention import busy
    ks = [0] if args.busy is None else [int(v) for v in args.busy.split(",")]
    for k in ks:
        with busy(k):                       # busy(0) starts nothing
            _run_cases(cases, args, repeats, rows, k)
    if not have_pandas:
        rows.append({"case": "patch pandas", "impl": "skipped: pandas not installed "
                     "(pip install corewise[bench])"})


def _run_cases(cases, args, repeats, rows, k):
    for case, fn, moved in cases:
        un, pa = patched_vs_unpatched(fn, repeats, 0.02 if args.quick else 0.1)
        rows.append({"case": f"patch {case}", "impl": "numpy", "threads": 1, "busy": k,
                     "median_us": un * 1e6})
        r = {"case": f"patch {case}", "impl": "numpy patched", "threads": lib.cw_get_num_threads(),
             "busy": k, "median_us": pa * 1e6, "speedup_vs_numpy": un / pa}
        if moved:
            half = moved // 2                 # a copy of half moves as many bytes
            src = np.ones(half // 8 + 1)
            dst = np.empty_like(src)
            sb, db = ffi.from_buffer(src), ffi.from_buffer(dst)
            roof = statistics.median(
                _time(lambda: lib.cw_parallel_copy(half, sb, db), 3) for _ in range(repeats))
            rows.append({"case": f"patch {case}", "impl": "copy-roof",
                         "threads": lib.cw_get_num_threads(), "busy": k,
                         "median_us": roof * 1e6})
            r["vs_roof"] = pa / roof     # the table's convention: this time / the roof
        rows.append(r)
