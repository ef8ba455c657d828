"""corewise.patch_numpy(): NumPy's own ufuncs through corewise's replacement
loops (csrc/patch.c, pkg/_patch.py).

The oracle is NumPy itself, unpatched, on the same inputs: every result is
compared bit for bit (longdouble: its 80 value bits, not the padding), and
so are the warnings and exceptions of np.errstate.  ``min_elements=1`` sends
every inner-loop call through the parallel path; thread counts 1 and 2.
CPython only: elsewhere patch_numpy must refuse with a clear error (the
last test).
"""
import os
import subprocess
import sys
import textwrap
import threading
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import corewise as cw
from corewise._lib import lib
from corewise._patch import _loops, _numpy_ufuncs
from hardening_util import child_env
from oracle import significant_bytes

CPYTHON = sys.implementation.name == "cpython"
cpython_only = pytest.mark.skipif(not CPYTHON, reason="patch_numpy needs CPython")


@pytest.fixture(autouse=True)
def _unpatched():
    """Every test starts and ends with NumPy unpatched."""
    if CPYTHON:
        cw.unpatch_numpy()
    yield
    if CPYTHON:
        cw.unpatch_numpy()


def bits(x):
    x = np.asarray(x)
    return x.dtype.str.encode() + repr(x.shape).encode() + significant_bytes(x)


def outcome(fn):
    """fn()'s results as bits, or its exception's type and message, and the
    warnings it gave."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            r = fn()
        except Exception as exc:  # noqa: BLE001 -- the oracle's own errors are compared
            res = (type(exc), str(exc))
        else:
            res = tuple(bits(x) for x in (r if isinstance(r, tuple) else (r,)))
    return res, [(type(m.message), str(m.message)) for m in w]


def same_as_numpy(fn, threads=2, min_elements=1, prepare=None):
    """fn() patched (threads, min_elements) gives NumPy's bits and warnings.
    prepare() makes fresh inputs for each run (for in-place calls)."""
    args = prepare() if prepare else ()
    want = outcome(lambda: fn(*args))
    args = prepare() if prepare else ()
    with cw.patched_numpy(min_elements=min_elements), cw.threads(threads):
        got = outcome(lambda: fn(*args))
    assert got == want


RNG = np.random.default_rng(7)


def sample(dt, n):
    dt = np.dtype(dt)
    if dt.kind == "b":
        return RNG.integers(0, 2, n).astype(dt)
    if dt.kind in "iu":
        lo = -100 if dt.kind == "i" else 0
        return RNG.integers(lo, 100, n, endpoint=True).astype(dt)
    if dt.kind == "f":
        v = (RNG.standard_normal(n) * 4).astype(dt)
        v[::89] = np.nan
        v[3::97] = np.inf
        v[5::101] = -np.inf
        v[7::103] = -0.0
        v[11::107] = 0.0
        return v
    v = (RNG.standard_normal(n) + 1j * RNG.standard_normal(n)).astype(dt)
    v[::91] = complex(np.nan, 1)
    v[2::93] = complex(np.inf, -np.inf)
    return v


UFUNCS = _numpy_ufuncs() if CPYTHON else []


@cpython_only
@pytest.mark.parametrize("u", UFUNCS, ids=[u.__name__ for u in UFUNCS])
def test_every_loop_bitwise(u):
    """Each patched loop of each NumPy ufunc, forced through the team,
    against NumPy: values with NaN/inf/-0.0, lengths around the chunk edges."""
    types = [t for t in u.types if not set(t) & set("OSUVaMm")]
    assert types or not _loops(u)
    for t in types:
        ins = t.partition("->")[0]
        for n in (1, 33, 20011):
            args = [sample(c, n) for c in ins]
            with np.errstate(all="ignore"):
                same_as_numpy(lambda: u(*args, signature=t))


@cpython_only
@pytest.mark.parametrize("threads", [1, 2])
def test_parallel_path_taken(threads):
    """The calls above did go through the replacement: the counter moves,
    and with 2 threads a team of 2 ran."""
    x = np.linspace(0, 1, 100_000)
    with cw.patched_numpy(min_elements=1), cw.threads(threads):
        before = lib.cw_patch_parallel_calls(0)
        np.sqrt(x)
        assert lib.cw_patch_parallel_calls(0) > before
        assert lib.cw_last_team_size() == threads


@cpython_only
def test_threadpoolctl_limits_the_team():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    x = np.linspace(0, 1, 100_000)
    with cw.patched_numpy(min_elements=1):
        with threadpoolctl.threadpool_limits(1, user_api="openmp"):
            np.sqrt(x)
            assert lib.cw_last_team_size() == 1
        cw.set_num_threads(2)
        np.sqrt(x)
        assert lib.cw_last_team_size() == 2


LAYOUT_FUNCS = [
    ("sqrt", lambda a, b: np.sqrt(a)),
    ("add", lambda a, b: a + b),
    ("fma", lambda a, b: a * b + a),
    ("exp", lambda a, b: np.exp(a)),
    ("arctan2", lambda a, b: np.arctan2(a, b)),
    ("maximum", lambda a, b: np.maximum(a, b)),
    ("divmod", lambda a, b: np.divmod(a, b)),
    ("frexp", lambda a, b: np.frexp(a)),
    ("less", lambda a, b: a < b),
    ("abs", lambda a, b: np.abs(a)),
]
DTYPES = ["float64", "float32", "float16", "complex128", "int64", "int8", "uint16", "bool",
          "longdouble"]


def view(base, kind):
    if kind == "C":
        return base
    if kind == "F":
        return np.asfortranarray(base)
    if kind == "T":
        return base.T
    if kind == "step":
        return base[::2, ::3]
    if kind == "neg":
        return base[::-1, ::-2]
    if kind == "bcast":
        return np.broadcast_to(base[:1], base.shape)
    raise ValueError(kind)


@cpython_only
@given(f=st.sampled_from(LAYOUT_FUNCS), dt=st.sampled_from(DTYPES),
       rows=st.integers(0, 70), cols=st.integers(0, 300),
       ka=st.sampled_from(["C", "F", "T", "step", "neg", "bcast"]),
       kb=st.sampled_from(["C", "F", "T", "step", "neg", "bcast"]),
       threads=st.sampled_from([1, 2]))
def test_layouts_bitwise(f, dt, rows, cols, ka, kb, threads):
    """Any layout of either operand (C, F, transposed, strided, reversed,
    broadcast, empty) and any dtype: NumPy's bits and warnings."""
    a = view(sample(dt, rows * cols).reshape(rows, cols), ka)
    b = view(sample(dt, rows * cols).reshape(rows, cols), kb)
    if a.shape != b.shape:
        b = b.T if b.T.shape == a.shape else np.resize(b, a.shape)
    same_as_numpy(lambda: f[1](a, b), threads=threads)


@cpython_only
@pytest.mark.parametrize("case", [
    "zero_d", "scalar", "out", "where", "dtype", "casting", "inplace", "shifted_overlap",
    "reversed_overlap", "out_f32_from_f64"])
def test_keywords_and_aliasing(case):
    n = 30_000
    a0 = sample("float64", n)
    b0 = sample("float64", n)

    def prepare():
        return a0.copy(), b0.copy()

    calls = {
        "zero_d": lambda a, b: np.sqrt(np.float64(2.0)) + np.add(a[0:1].reshape(()), 1.0),
        "scalar": lambda a, b: np.multiply(a, 3.0),
        "out": lambda a, b: (np.add(a, b, out=b), b),
        "where": lambda a, b: np.sqrt(a, out=b, where=a > 0),
        "dtype": lambda a, b: np.add(a, b, dtype=np.float32),
        "casting": lambda a, b: np.add(a.astype(np.int32), b, casting="same_kind"),
        "inplace": lambda a, b: (np.add(a, b, out=a), a),
        "shifted_overlap": lambda a, b: (np.add(a[1:], a[:-1], out=a[1:]), a),
        "reversed_overlap": lambda a, b: (np.negative(a[::-1], out=a), a),
        "out_f32_from_f64": lambda a, b: (np.subtract(a, 0, out=b.astype(np.float32)),),
    }
    with np.errstate(all="ignore"):
        same_as_numpy(calls[case], prepare=prepare)


@cpython_only
@pytest.mark.parametrize("dt", ["int64", "int32", "uint8", "bool", "float64", "float32"])
@pytest.mark.parametrize("threads", [1, 2])
def test_reductions_accumulations(dt, threads):
    """Reductions and accumulations reach the same inner loops: an output
    aliasing an input (step 0, shifted) keeps NumPy's order; the exact
    integer reductions that are split give the same bits."""
    x = sample(dt, 100_003)
    m = x.reshape(-1, 7) if x.size % 7 == 0 else x[:100_002].reshape(-1, 6)
    idx = np.array([0, 5, 5, 70_000, 99_999, 3])
    cases = [lambda: np.add.reduce(x), lambda: np.sum(x), lambda: np.sum(m, axis=0),
             lambda: np.sum(m, axis=1), lambda: np.prod(x[:50]), lambda: np.cumsum(x),
             lambda: np.maximum.accumulate(x), lambda: np.maximum.reduce(x),
             lambda: np.minimum.reduce(m, axis=0), lambda: np.add.reduceat(x, idx),
             lambda: np.multiply.reduce(x), lambda: np.bitwise_xor.reduce(x)
             if x.dtype.kind in "biu" else np.fmax.reduce(x),
             lambda: np.logical_or.reduce(x), lambda: np.add.reduce(x[::-3])]

    def at():
        y = np.zeros(10, dtype=x.dtype)
        np.add.at(y, np.arange(x.size) % 10, x)
        return y
    for c in cases + [at]:
        with np.errstate(all="ignore"):
            same_as_numpy(c, threads=threads)


@cpython_only
def test_integer_reduction_is_split():
    x = np.arange(200_000, dtype=np.int64)
    with cw.patched_numpy(min_elements=1), cw.threads(2):
        before = lib.cw_patch_parallel_calls(0)
        s = np.add.reduce(x)
        assert lib.cw_patch_parallel_calls(0) > before
    assert s == x.size * (x.size - 1) // 2
    # a float sum is never split: NumPy's pairwise bits
    y = np.linspace(-1, 3, 200_000)
    with cw.patched_numpy(min_elements=1), cw.threads(2):
        before = lib.cw_patch_parallel_calls(0)
        np.add.reduce(y)
        assert lib.cw_patch_parallel_calls(0) == before


@cpython_only
@pytest.mark.parametrize("mode", ["warn", "raise", "ignore", "call", "print"])
@pytest.mark.parametrize("case", ["log0", "sqrtneg", "expover", "intdiv0", "under", "none"])
def test_fp_errors_as_numpy(mode, case, capfd):
    """Flags raised in helper threads (the bad element is near the end: a
    helper's block) reach np.errstate on the calling thread exactly as
    unpatched: warnings, exceptions, the call handler, printed messages."""
    n = 50_000
    f, dt, value = {"log0": (np.log, "f8", 0.0), "sqrtneg": (np.sqrt, "f8", -1.0),
                    "expover": (np.exp, "f8", 1e5), "intdiv0": (lambda v: 7 // v, "i8", 0),
                    "under": (lambda v: v * 1e-300, "f8", 1e-300),
                    "none": (np.sqrt, "f8", 4.0)}[case]
    arg = np.full(n, 2, dtype=dt)
    arg[n - 10] = value
    seen = []

    def run():
        old = np.seterrcall(lambda kind, flag: seen.append(kind))
        try:
            with np.errstate(all=mode):
                return f(arg)
        finally:
            np.seterrcall(old)
    want = outcome(run)
    want_seen, seen[:] = list(seen), []
    want_out = capfd.readouterr()
    with cw.patched_numpy(min_elements=1), cw.threads(2):
        got = outcome(run)
    assert got == want
    assert seen == want_seen
    assert capfd.readouterr() == want_out
    if case != "none":
        assert want != ((bits(f(np.full(n, 2, dtype=dt))),), [])  # the case does raise a flag


@cpython_only
def test_small_calls_call_numpy_directly():
    """Below the threshold the replacement calls NumPy's loop at once."""
    x = np.ones(100)
    with cw.patched_numpy(min_elements=1000):
        before = lib.cw_patch_parallel_calls(0)
        np.sqrt(x)
        x + x
        assert lib.cw_patch_parallel_calls(0) == before
        np.sqrt(np.ones(5000))
        assert lib.cw_patch_parallel_calls(0) == before + 1


@cpython_only
def test_patch_unpatch_idempotent():
    n = cw.patch_numpy()
    assert n > 500 and cw.is_numpy_patched()
    assert cw.patch_numpy() == n
    cw.unpatch_numpy()
    assert not cw.is_numpy_patched()
    cw.unpatch_numpy()
    # NumPy's own loops again: the replacement is no longer called
    before = lib.cw_patch_parallel_calls(0)
    np.sqrt(np.ones(1 << 20))
    assert lib.cw_patch_parallel_calls(0) == before
    for _ in range(3):
        cw.patch_numpy(min_elements=1)
        cw.unpatch_numpy()
    x = sample("float32", 10_000)
    with np.errstate(all="ignore"):
        same_as_numpy(lambda: np.exp(x))


@cpython_only
def test_context_manager_restores():
    x = np.ones(5000)
    with cw.patched_numpy():
        assert cw.is_numpy_patched()
        with cw.patched_numpy(min_elements=1):
            before = lib.cw_patch_parallel_calls(0)
            np.sqrt(x)
            assert lib.cw_patch_parallel_calls(0) == before + 1
        assert cw.is_numpy_patched()
        before = lib.cw_patch_parallel_calls(0)
        np.sqrt(x)  # the outer threshold (32768) is back
        assert lib.cw_patch_parallel_calls(0) == before
    assert not cw.is_numpy_patched()
    with pytest.raises(KeyError):
        with cw.patched_numpy():
            raise KeyError("body")
    assert not cw.is_numpy_patched()


@cpython_only
def test_python_threads_concurrently():
    """8 Python threads calling patched NumPy at once, and a thread patching
    and unpatching meanwhile: every result is NumPy's."""
    xs = [np.abs(sample("float64", 40_000 + k)) for k in range(8)]
    want = [(np.sqrt(x).tobytes(), (x * x + x).tobytes()) for x in xs]
    errors = []
    stop = threading.Event()

    def worker(k):
        for _ in range(30):
            with np.errstate(all="ignore"):
                got = (np.sqrt(xs[k]).tobytes(), (xs[k] * xs[k] + xs[k]).tobytes())
            if got != want[k]:
                errors.append(k)

    def toggler():
        while not stop.is_set():
            cw.patch_numpy(min_elements=1)
            cw.unpatch_numpy()
    cw.patch_numpy(min_elements=1)
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    tg = threading.Thread(target=toggler)
    for t in ts + [tg]:
        t.start()
    for t in ts:
        t.join()
    stop.set()
    tg.join()
    assert errors == []


CHILD = textwrap.dedent('''
    import multiprocessing as mp, os, sys
    import numpy as np, corewise as cw
    from corewise._lib import lib

    X = np.random.default_rng(0).uniform(-1, 1, size=1 << 18)
    WANT = np.exp(X).tobytes()

    def work(patched):
        """NumPy's bits; patched (and through the replacement) iff expected."""
        before = lib.cw_patch_parallel_calls(0)
        ok = np.exp(X).tobytes() == WANT and cw.is_numpy_patched() == patched
        return ok and (lib.cw_patch_parallel_calls(0) > before) == patched

    if __name__ == "__main__":
        method = sys.argv[1]
        cw.patch_numpy(min_elements=1)
        cw.set_num_threads(2)
        assert work(True)   # the parent's team exists before the fork
        if method == "os.fork":
            pid = os.fork()
            if pid == 0:
                os._exit(0 if work(True) else 3)
            _, status = os.waitpid(pid, 0)
            sys.exit(os.waitstatus_to_exitcode(status))
        with mp.get_context(method).Pool(2) as pool:
            # spawn/forkserver children import NumPy afresh: unpatched
            ok = pool.map(work, [method == "fork"] * 4)
        sys.exit(0 if all(ok) and work(True) else 4)
''')


@cpython_only
@pytest.mark.parametrize("method", ["os.fork", "fork", "forkserver", "spawn"])
def test_children(method, tmp_path):
    """A patched process that forks stays patched and correct in the child;
    spawn/forkserver children are plain NumPy."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    r = subprocess.run([sys.executable, str(script), method], capture_output=True, text=True,
                       timeout=120, env=child_env())
    assert r.returncode == 0, r.stderr


@cpython_only
def test_other_ufuncs_scipy():
    """patch_numpy(ufuncs=[...]) takes other legacy-loop ufuncs (SciPy's)."""
    special = pytest.importorskip("scipy.special", reason="scipy is in the test extra")
    x = sample("float64", 30_000)
    want = [special.erf(x).tobytes(), special.gammaln(x).tobytes()]
    n = cw.patch_numpy(ufuncs=[special.erf, special.gammaln], min_elements=1)
    assert n >= 4
    before = lib.cw_patch_parallel_calls(0)
    with cw.threads(2):
        got = [special.erf(x).tobytes(), special.gammaln(x).tobytes()]
    assert lib.cw_patch_parallel_calls(0) >= before + 2
    assert got == want
    before = lib.cw_patch_parallel_calls(0)
    np.sqrt(np.ones(1000))  # only the ufuncs named
    assert lib.cw_patch_parallel_calls(0) == before


@cpython_only
def test_bad_arguments():
    with pytest.raises(TypeError, match="not a numpy.ufunc"):
        cw.patch_numpy(ufuncs=[np.sum])
    with pytest.raises(TypeError, match="list of numpy.ufunc"):
        cw.patch_numpy(ufuncs=3)
    with pytest.raises(ValueError, match="generalized ufunc"):
        cw.patch_numpy(ufuncs=[np.matmul])
    with pytest.raises(ValueError, match="no loop that can run"):
        cw.patch_numpy(ufuncs=[np.frompyfunc(lambda v: v, 1, 1)])
    with pytest.raises(ValueError, match="min_elements must be >= 1"):
        cw.patch_numpy(min_elements=0)
    with pytest.raises(TypeError, match="min_elements must be an int"):
        cw.patch_numpy(min_elements=2.5)
    assert not cw.is_numpy_patched()


@cpython_only
def test_never_threaded_loops():
    """Loops that set Python exceptions from inside (integer power with a
    negative exponent, datetime overflow) and object loops keep NumPy's
    errors: they are not replaced."""
    a = np.arange(50_000, dtype=np.int64)
    b = np.ones(50_000, dtype=np.int64)
    b[-3] = -1
    same_as_numpy(lambda: np.power(a, b))
    o = np.arange(10, dtype=object)
    same_as_numpy(lambda: np.add(o, o))
    t = np.arange(50_000).astype("datetime64[s]")
    same_as_numpy(lambda: t + np.timedelta64(5, "s"))


def _run_cli(args, cwd):
    return subprocess.run([sys.executable, "-m", "corewise", "run", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=child_env())


@cpython_only
def test_run_script_and_module(tmp_path):
    prog = textwrap.dedent('''
        import sys, numpy as np, corewise
        print(__name__, sys.argv[1:], corewise.is_numpy_patched(), float(np.sqrt(16.0)))
        sys.exit(int(sys.argv[-1]))
    ''')
    (tmp_path / "prog.py").write_text(prog)
    r = _run_cli(["prog.py", "a", "--x", "7"], tmp_path)
    assert (r.returncode, r.stdout) == (7, "__main__ ['a', '--x', '7'] True 4.0\n")
    r = _run_cli(["-m", "prog", "b", "0"], tmp_path)
    assert (r.returncode, r.stdout) == (0, "__main__ ['b', '0'] True 4.0\n")
    (tmp_path / "boom.py").write_text("raise ValueError('boom')\n")
    r = _run_cli(["boom.py"], tmp_path)
    assert r.returncode == 1 and "ValueError: boom" in r.stderr
    r = _run_cli(["missing.py"], tmp_path)
    assert r.returncode == 2 and "can't open file" in r.stderr


def test_refused_clearly_elsewhere(monkeypatch):
    """Where NumPy's C API cannot be reached (PyPy's cpyext) patch_numpy
    raises, naming the reason; on CPython the same check is made to fail."""
    import types
    from corewise import _patch
    if CPYTHON:
        monkeypatch.setattr(_patch, "sys", types.SimpleNamespace(
            implementation=types.SimpleNamespace(name="pypy")))
        monkeypatch.setattr(_patch, "_api", {})
    with pytest.raises(RuntimeError, match="needs CPython; on pypy"):
        cw.patch_numpy()
    assert not cw.is_numpy_patched()


@cpython_only
def test_bench_patch_quick():
    """`bench --patch` runs every case patched and unpatched."""
    import json
    r = subprocess.run([sys.executable, "-m", "corewise", "bench", "--patch", "--quick", "--json",
                        "--threads", "1"], capture_output=True, text=True, timeout=300,
                       env=child_env())
    assert r.returncode == 0, r.stderr
    rows = [row for row in json.loads(r.stdout)["rows"] if row["case"].startswith("patch ")]
    cases = {row["case"] for row in rows if "median_us" in row}
    for need in ("patch np.sqrt 16384-float64", "patch np.tanh 16384-float32",
                 "patch a + b 65536 out=", "patch np.abs 16384 complex128",
                 "patch f32 + f64 -> f64", "patch np.sqrt 100"):
        assert need in cases
    for case in cases:
        impls = {row["impl"] for row in rows if row["case"] == case}
        assert {"numpy", "numpy patched"} <= impls
    assert all(row["speedup_vs_numpy"] > 0 for row in rows if row["impl"] == "numpy patched")
    roofed = {row["case"] for row in rows if row["impl"] == "copy-roof"}
    for need in ("patch np.sqrt 16384-float64", "patch np.sin 16384-float32",
                 "patch a + b 65536 out=", "patch np.abs 16384 complex128",
                 "patch f32 + f64 -> f64"):
        assert need in roofed
    assert all(row["vs_roof"] > 0 for row in rows if row["case"] in roofed
               and row["impl"] == "numpy patched")


@cpython_only
@pytest.mark.parametrize("header", [None, "/* no such declaration */\n"])
def test_refused_without_numpy_header(header, tmp_path, monkeypatch):
    """A NumPy whose __ufunc_api.h is missing or lacks the known
    PyUFunc_ReplaceLoopBySignature: RuntimeError naming it, nothing patched."""
    from corewise import _patch
    (tmp_path / "numpy").mkdir()
    if header is not None:
        (tmp_path / "numpy" / "__ufunc_api.h").write_text(header)
    monkeypatch.setattr(_patch, "_api", {})
    monkeypatch.setattr(np, "get_include", lambda: str(tmp_path))
    match = "cannot read NumPy's" if header is None else "declares no PyUFunc_ReplaceLoopBySignature"
    with pytest.raises(RuntimeError, match=match):
        cw.patch_numpy()
    assert not cw.is_numpy_patched()
