"""corewise on Dask arrays: lazy results equal to corewise's (and so to
NumPy's), reductions as trees of corewise reductions, evaluate per block,
the oversubscription rule, and a real dask.distributed LocalCluster."""

import numpy as np
import pytest

import corewise as cw
from corewise import _dask
from corewise._optable import MATH_OPS as OPS  # the float rows (test_natives: the others)
from oracle import assert_same

da = pytest.importorskip(
    "dask.array", reason="dask is not installed (the dask extra is CPython-only: "
    "dask.array needs sys.getsizeof, which PyPy lacks)")
import dask  # noqa: E402

CORES = cw.info()["num_procs"]
UNARY = [op for op in OPS if op.nin == 1]
BINARY = [op for op in OPS if op.nin == 2]
REDUCTIONS = ["sum", "prod", "mean", "min", "max", "nansum", "nanmin", "nanmax",
              "argmin", "argmax", "count_nonzero"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    x = rng.uniform(-2, 50, size=(600, 900))
    x[3, 7] = np.nan
    return x, da.from_array(x, chunks=(250, 400))


@pytest.mark.parametrize("op", UNARY, ids=lambda op: op.name)
@pytest.mark.parametrize("scheduler", ["threads", "sync"])
def test_unary_lazy_and_equal(op, data, scheduler):
    x, dx = data
    r = getattr(cw, op.name)(dx)
    assert isinstance(r, da.Array) and r.chunks == dx.chunks
    with np.errstate(all="ignore"):
        assert r.dtype == op.ufunc(x[:1, :1]).dtype
        got = r.compute(scheduler=scheduler)
        # block by block, bitwise what corewise gives on the whole array
        # (results never depend on layout or threads; NumPy is the oracle of
        # those in test_unary/test_math)
        want = getattr(cw, op.name)(x)
    assert_same(got, want)


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.name)
def test_binary_broadcasting_with_numpy_and_scalars(op, data):
    x, dx = data
    row = np.linspace(0.5, 3, x.shape[1])
    with np.errstate(all="ignore"):
        for args, nargs in (((dx, row), (x, row)), ((2.5, dx), (2.5, x)),
                            ((dx, dx[::-1]), (x, x[::-1]))):
            r = getattr(cw, op.name)(*args)
            assert isinstance(r, da.Array)
            assert_same(r.compute(), getattr(cw, op.name)(*nargs))


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(name, axis, keepdims, data):
    x, dx = data
    if name == "prod":  # stay clear of overflow (warnings in dask's threads)
        x = 1 + (x - 24) / 1e4
        dx = da.from_array(x, chunks=dx.chunks)
    if name in ("argmin", "argmax") and keepdims and axis is None:
        keepdims = False
    kw = {} if name == "count_nonzero" and not keepdims else {"keepdims": keepdims}
    r = getattr(cw, name)(dx, axis=axis, **kw)
    assert isinstance(r, da.Array)
    got = r.compute()
    want = getattr(np, name)(x, axis=axis, **kw)
    assert np.asarray(got).dtype == np.asarray(want).dtype and np.shape(got) == np.shape(want)
    if name in ("argmin", "argmax", "count_nonzero", "min", "max", "nanmin", "nanmax"):
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-12)
    # bitwise deterministic for a given chunking, whatever the scheduler
    np.testing.assert_array_equal(r.compute(scheduler="sync"), got)


def test_reduction_tree_is_deterministic_across_workers(data):
    x, _ = data
    dx = da.from_array(x[:, 1:], chunks=(37, 101))
    r = cw.sum(dx, axis=0)
    first = r.compute(scheduler="threads", num_workers=4)
    for w in (1, 2, 3):
        assert_same(r.compute(scheduler="threads", num_workers=w), first)


def test_dot_and_evaluate(data):
    x, dx = data
    a, b = dx[0], dx[1]
    np.testing.assert_allclose(cw.dot(a, b).compute(), np.dot(x[0], x[1]), rtol=1e-13)
    r = cw.evaluate("sqrt(a*a + b*b) + 1.5", {"a": dx, "b": 2.0})
    assert isinstance(r, da.Array)
    assert_same(r.compute(), cw.evaluate("sqrt(a*a + b*b) + 1.5", {"a": x, "b": 2.0}))
    row = x[0]
    r2 = cw.evaluate("where(a > r, a, r)", {"a": dx, "r": row})
    assert_same(r2.compute(), np.where(x > row, x, row))


def test_strided_and_float32_blocks(data):
    x, _ = data
    x32 = x.astype(np.float32)[::-1, ::3]
    dx = da.from_array(x32, chunks=(100, 70))
    with np.errstate(all="ignore"):
        assert_same(cw.sqrt(dx).compute(), cw.sqrt(x32))


def test_out_is_refused_and_bad_dtypes_fail_eagerly(data):
    _, dx = data
    with pytest.raises(TypeError, match="out= is not supported with dask"):
        cw.sqrt(dx, out=np.empty(dx.shape))
    with pytest.raises(TypeError, match="out= is not supported with dask"):
        cw.sum(dx, out=np.empty(()))
    # complex blocks: corewise's complex loops, NumPy's bits
    dc = dx.astype(np.complex128) - 2
    assert_same(cw.sqrt(dc).compute(), np.sqrt(dc.compute()))
    with pytest.raises(np.exceptions.AxisError if hasattr(np, "exceptions") else np.AxisError):
        cw.sum(dx, axis=5)


def test_local_cluster_end_to_end(data):
    distributed = pytest.importorskip("distributed", reason="distributed is not installed")
    x, dx = data
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=50) as cluster, \
            distributed.Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        with np.errstate(all="ignore"):
            assert_same(client.compute(cw.sqrt(dx)).result(), cw.sqrt(x))
            assert_same(client.compute(cw.evaluate("a*a - 3*a", {"a": dx})).result(),
                        cw.evaluate("a*a - 3*a", {"a": x}))
            s = client.compute(cw.nansum(dx)).result()
            assert s == cw.nansum(dx).compute(scheduler="sync")  # same tree, same bits
            np.testing.assert_allclose(s, np.nansum(x), rtol=1e-12)
        # the workers ran corewise and are still healthy; processes do not
        # share a thread budget: the nanny starts workers with
        # OMP_NUM_THREADS=1, which corewise honours (2 workers x 1 thread)
        info = client.run(lambda: __import__("corewise").get_num_threads())
        assert list(info.values()) == [1, 1]
    # leaving the context managers closed the cluster without errors


def _concurrent_sqrt_peak(workers, enabled):
    """Peak threads working for corewise while `workers` dask tasks call it
    at the same moment (a barrier lines them up), with the rule on or off."""
    import threading
    from corewise._lib import lib
    barrier = threading.Barrier(workers)
    x = np.random.default_rng(3).uniform(size=(workers, 2**20))

    def block(b):
        barrier.wait(timeout=60)
        return cw.sqrt(b)

    dx = da.from_array(x, chunks=(1, 2**20)).map_blocks(block, dtype=np.float64,
                                                        meta=np.array((), np.float64))
    with _dask.rule(enabled):
        lib.cw_threads_peak(1)
        got = dx.compute(scheduler="threads", num_workers=workers)
        peak = lib.cw_threads_peak(1)
    assert_same(got, np.sqrt(x))
    return peak


@pytest.mark.skipif(CORES < 2, reason="needs 2 cores to oversubscribe")
def test_rule_dask_threads_times_openmp_threads_within_cores():
    """The rule measured: 4 dask threads calling corewise at once on the
    cores -- with the rule the threads working never exceed the cores;
    without it every task starts a full team (4 x cores threads)."""
    assert 1 <= _concurrent_sqrt_peak(4, True) <= CORES
    assert _concurrent_sqrt_peak(4, False) > CORES


def test_bench_dask_and_out_of_core_quick(tmp_path):
    import json
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-m", "corewise", "bench", "--quick", "--json",
                        "--threads", "1", "--dask", "--out-of-core"],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    rows = json.loads(r.stdout)["rows"]
    impls = {(row["case"].split()[0], row["impl"]) for row in rows}
    for need in [("dask", "dask+corewise"), ("dask", "dask+numpy"), ("dask", "corewise, rule off"),
                 ("out-of-core", "disk read roof"), ("out-of-core", "dask+corewise")]:
        assert need in impls, need
