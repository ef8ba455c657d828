"""Dask benchmarks (``python -m corewise bench --dask`` / ``--out-of-core``).

--dask         Dask + corewise against Dask + NumPy on the same chunked
               workloads (32M and 1G float64 elements, generated per chunk):
               sum(sqrt(x)), sum(evaluate("sqrt(x*x+1)")) -- threaded
               scheduler and a dask.distributed LocalCluster; plus the
               oversubscription rule's effect (wall and CPU seconds with the
               rule and without it, where every task starts a full team).
--out-of-core  an on-disk .npy array larger than RAM (--ooc-bytes, default
               1.25 x RAM; created here and removed afterwards), reduced
               with evaluate over Dask, against Dask + NumPy on the same
               chunks and against the disk's read roof (plain chunked reads
               of the file), with a tqdm progress bar.
"""
import functools
import os
import tempfile
import time

import numpy as np

CHUNK = 4 * 2**20  # elements per chunk (32 MB of float64)


def _gen(block_info=None):
    """A chunk of deterministic data, made where the task runs."""
    loc = block_info[None]["array-location"][0]
    return np.linspace(loc[0], loc[1], loc[1] - loc[0], endpoint=False) % 97.0 + 0.5


def _load_chunk(path, block_info=None):
    """Read one chunk of a .npy file from disk."""
    lo, hi = block_info[None]["array-location"][0]
    return np.array(np.load(path, mmap_mode="r")[lo:hi])


def _lazy(n):
    import dask.array as da
    return da.map_blocks(_gen, chunks=((CHUNK,) * (n // CHUNK) + ((n % CHUNK,) if n % CHUNK else ()),),
                         dtype=np.float64)


def _workloads(x):
    import dask.array as da
    import corewise as cw
    return [
        ("sum(sqrt(x))", lambda: cw.sum(cw.sqrt(x)), lambda: da.sum(da.map_blocks(np.sqrt, x))),
        ("sum(sqrt(x*x+1))",
         lambda: cw.sum(cw.evaluate("sqrt(x*x+1)", {"x": x})),
         lambda: da.sum(da.map_blocks(lambda b: np.sqrt(b * b + 1), x))),
    ]


def _timed(fn, compute):
    t0, c0 = time.perf_counter(), time.process_time()
    compute(fn())
    return time.perf_counter() - t0, time.process_time() - c0


def bench_dask(rows, sizes=(32 * 2**20, 2**30), repeats=3):
    import dask
    from . import _dask
    from ._bench import _row
    cores = os.cpu_count()
    for n in sizes:
        x = _lazy(n)
        tag = f"{n // 2**20}M" if n < 2**30 else f"{n // 2**30}G"
        for label, cw_fn, np_fn in _workloads(x):
            def compute(r):
                return r.compute(scheduler="threads")
            for impl, fn in (("dask+numpy", np_fn), ("dask+corewise", cw_fn)):
                fn().compute(scheduler="threads") if n <= 2**25 else None
                ts = sorted(_timed(fn, compute) for _ in range(repeats))
                wall, cpu = ts[len(ts) // 2]
                _row(rows, f"dask threads {label} {tag}", impl, cores, wall,
                     cpu_s=cpu, gbps=8 * n / wall / 1e9)
        # the oversubscription rule: with it and without it
        label, cw_fn, _ = _workloads(x)[0]
        for impl, enabled in (("corewise, rule on", True), ("corewise, rule off", False)):
            with _dask.rule(enabled), dask.config.set(num_workers=cores):
                ts = sorted(_timed(cw_fn, lambda r: r.compute(scheduler="threads"))
                            for _ in range(repeats))
            wall, cpu = ts[len(ts) // 2]
            _row(rows, f"dask rule {label} {tag}", impl, cores, wall, cpu_s=cpu)
    _bench_cluster(rows, sizes, repeats)


def _bench_cluster(rows, sizes, repeats):
    try:
        import distributed
    except ImportError:
        return
    from ._bench import _row
    cores = os.cpu_count()
    with distributed.LocalCluster(n_workers=cores, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=50) as cluster, distributed.Client(cluster) as client:
        for n in sizes:
            x = _lazy(n)
            tag = f"{n // 2**20}M" if n < 2**30 else f"{n // 2**30}G"
            for label, cw_fn, np_fn in _workloads(x):
                for impl, fn in (("dask+numpy", np_fn), ("dask+corewise", cw_fn)):
                    client.compute(fn()).result()
                    ts = sorted(_timed(fn, lambda r: client.compute(r).result())
                                for _ in range(repeats))
                    wall, _ = ts[len(ts) // 2]
                    _row(rows, f"dask LocalCluster({cores}x1) {label} {tag}", impl, 1, wall,
                         gbps=8 * n / wall / 1e9)


class TqdmCallback:
    """A dask callback driving a tqdm bar: one tick per finished task."""

    def __new__(cls, desc):
        from dask.callbacks import Callback
        from tqdm import tqdm

        class _CB(Callback):
            def _start_state(self, dsk, state):
                self.bar = tqdm(total=sum(len(state[k]) for k in ("ready", "waiting")),
                                desc=desc, unit="task", leave=False)

            def _posttask(self, key, result, dsk, state, worker_id):
                self.bar.update(1)

            def _finish(self, dsk, state, errored):
                self.bar.close()
        return _CB()


def bench_out_of_core(rows, nbytes=None, directory=None):
    """A .npy file larger than RAM, reduced through Dask + evaluate."""
    import dask.array as da
    import corewise as cw
    from ._bench import _row
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    nbytes = int(nbytes or 1.25 * ram)
    n = nbytes // 8
    with tempfile.TemporaryDirectory(dir=directory) as d:
        path = os.path.join(d, "big.npy")
        m = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n,))
        t0 = time.perf_counter()
        for lo in range(0, n, CHUNK):
            hi = min(n, lo + CHUNK)
            m[lo:hi] = np.arange(lo, hi, dtype=np.float64) % 97.0
        m.flush()
        del m
        _row(rows, f"out-of-core {nbytes / 2**30:.1f} GiB (RAM {ram / 2**30:.1f} GiB)",
             "write file", 1, time.perf_counter() - t0, gbps=nbytes / (time.perf_counter() - t0) / 1e9)
        os.posix_fadvise(os.open(path, os.O_RDONLY), 0, 0, os.POSIX_FADV_DONTNEED) \
            if hasattr(os, "posix_fadvise") else None
        # roof: plain sequential chunked reads of the file
        buf = bytearray(CHUNK * 8)
        t0 = time.perf_counter()
        with open(path, "rb", buffering=0) as f:
            while f.readinto(buf):
                pass
        roof = time.perf_counter() - t0
        case = f"out-of-core sum(sqrt(x*x+1)) {nbytes / 2**30:.1f} GiB"
        _row(rows, case, "disk read roof", 1, roof, gbps=nbytes / roof / 1e9)
        # one task per chunk reads its slice of the file (da.from_array would
        # copy the whole memory map into RAM first)
        chunks = ((CHUNK,) * (n // CHUNK) + ((n % CHUNK,) if n % CHUNK else ()),)
        x = da.map_blocks(functools.partial(_load_chunk, path), chunks=chunks,
                          dtype=np.float64, meta=np.array((), np.float64))
        results = {}
        for impl, fn in (("dask+numpy", lambda: da.sum(da.map_blocks(lambda b: np.sqrt(b * b + 1), x))),
                         ("dask+corewise", lambda: cw.sum(cw.evaluate("sqrt(x*x+1)", {"x": x})))):
            t0 = time.perf_counter()
            with TqdmCallback(impl):
                results[impl] = fn().compute(scheduler="threads")
            t = time.perf_counter() - t0
            _row(rows, case, impl, os.cpu_count(), t, gbps=nbytes / t / 1e9, vs_roof=t / roof)
        assert np.isclose(results["dask+numpy"], results["dask+corewise"], rtol=1e-9)
