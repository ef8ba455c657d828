"""`python -m corewise info|bench` and the build checks."""
import json
import subprocess
import sys

import corewise as cw


def run(*args, **kw):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          timeout=300, **kw)


def test_info_text_and_json():
    r = run("-m", "corewise", "info")
    assert r.returncode == 0, r.stderr
    for key in ("corewise", "openmp_runtime", "omp_max_threads", "compiler", "flags", "simd"):
        assert key in r.stdout
    d = json.loads(run("-m", "corewise", "info", "--json").stdout)
    assert d["corewise"] == cw.__version__
    assert "-fopenmp" in d["flags"] and "-fno-math-errno" in d["flags"]
    assert "-ffast-math" not in d["flags"]
    assert d["openmp_runtime"] and d["num_procs"] >= 1 and d["simd"]
    assert d == {**cw.info(), "threads": d["threads"]}


def test_bench_quick_json():
    r = run("-m", "corewise", "bench", "--quick", "--json", "--threads", "1,2", "--threshold")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    cases = {(row["case"], row["impl"], row["threads"]) for row in d["rows"]}
    for need in [("sqrt-600x600", "numpy", 1), ("sqrt-600x600", "corewise", 2),
                 ("call-100", "corewise out=", 1)]:
        assert need in cases
    assert any(c[1] == "copy-roof" for c in cases)
    assert all(row["median_us"] > 0 for row in d["rows"])


def test_bench_cpu_time():
    """--cpu-time times by the thread's CPU clock, one thread only."""
    r = run("-m", "corewise", "bench", "--quick", "--json", "--cpu-time", "--threads", "1,2")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["clock"] == "cpu"
    assert {row["threads"] for row in d["rows"]} == {1}
    assert all(row["median_us"] > 0 for row in d["rows"])


def test_bench_table():
    r = run("-m", "corewise", "bench", "--quick", "--threads", "1")
    assert r.returncode == 0, r.stderr
    assert "sqrt-600x600" in r.stdout and "speedup_vs_numpy" in r.stdout


def test_cli_usage_error():
    r = run("-m", "corewise", "frobnicate")
    assert r.returncode == 2 and "invalid choice" in r.stderr


def test_stale_build_is_reported():
    code = ("import sys, types; m = types.ModuleType('corewise._version'); "
            "m.__version__ = '0.0.0-stale'; sys.modules['corewise._version'] = m; "
            "import corewise")
    r = run("-c", code)
    assert r.returncode != 0
    assert "stale build" in r.stderr and "0.0.0-stale" in r.stderr and cw.__version__ in r.stderr


def test_package_metadata():
    from importlib.metadata import version
    assert version("corewise") == cw.__version__
