"""`python -m corewise eval` end to end on .npy files."""
import os
import subprocess
import sys

import numpy as np
import pytest

from corewise.__main__ import main

from conftest import compiler_missing


def cli(*args):
    return subprocess.run([sys.executable, "-m", "corewise", "eval", *args],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((37, 11))
    y = rng.standard_normal((37, 11))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    return tmp_path, x, y


def test_eval_subprocess(files):
    d, x, y = files
    r = cli("sqrt(a*a+b*b)", "--in", f"a={d / 'x.npy'}", "--in", f"b={d / 'y.npy'}",
            "--out", str(d / "r.npy"))
    assert r.returncode == 0, r.stderr
    # without a compiler: the interpreter's one warning (its line and the
    # source line Python prints under it), nothing else
    lines = r.stderr.splitlines()
    if compiler_missing() is not None:
        warn = [i for i, line in enumerate(lines) if "EvaluateFallbackWarning" in line]
        assert len(warn) == 1, r.stderr
        del lines[warn[0]:warn[0] + 2]
    assert lines == [] and r.stdout == "", r.stderr
    got = np.load(d / "r.npy")
    assert np.array_equal(got, np.sqrt(x * x + y * y))


@pytest.mark.parametrize("chunk", [1, 7, 40, 10**6])
def test_chunks_flat_and_by_rows(files, chunk, capsys):
    d, x, y = files
    np.save(d / "row.npy", y[0])                   # broadcasts: chunks by rows
    np.save(d / "f.npy", np.asfortranarray(x))     # Fortran order: by rows too
    out = d / "r.npy"
    for a, b, want in [("x.npy", "y.npy", x * 2 - y), ("f.npy", "row.npy", x * 2 - y[0])]:
        rc = main(["eval", "a*2 - b", "--in", f"a={d / a}", "--in", f"b={d / b}",
                   "--out", str(out), "--chunk", str(chunk)])
        assert rc == 0, capsys.readouterr().err
        assert np.array_equal(np.load(out), want)


def test_dtype_promotion_and_scalar_files(tmp_path, capsys):
    np.save(tmp_path / "i.npy", np.arange(10, dtype=np.int32))
    np.save(tmp_path / "s.npy", np.array(2.5, dtype=np.float32))
    assert main(["eval", "i / 2 + s", "--in", f"i={tmp_path / 'i.npy'}",
                 "--in", f"s={tmp_path / 's.npy'}", "--out", str(tmp_path / "r.npy")]) == 0
    r = np.load(tmp_path / "r.npy")
    assert r.dtype == np.float64 and np.array_equal(r, np.arange(10) / 2 + np.float32(2.5))
    assert main(["eval", "s * 2", "--in", f"s={tmp_path / 's.npy'}",
                 "--out", str(tmp_path / "z.npy")]) == 0
    z = np.load(tmp_path / "z.npy")
    assert z.shape == () and z.dtype == np.float32 and z == 5.0
    np.save(tmp_path / "e.npy", np.empty((0, 3)))
    assert main(["eval", "e + 1", "--in", f"e={tmp_path / 'e.npy'}",
                 "--out", str(tmp_path / "e2.npy")]) == 0
    assert np.load(tmp_path / "e2.npy").shape == (0, 3)


ERRORS = [
    (["a+", "--in", "a={x}"], "invalid syntax"),
    (["a.b", "--in", "a={x}"], "attribute"),
    (["a+b", "--in", "a={x}"], "no --in b"),
    (["a", "--in", "a={d}/missing.npy"], "no such file"),
    (["a", "--in", "a={d}/bad.npy"], "cannot read"),
    (["a", "--in", "a={d}"], "directory"),
    (["a", "--in", "a"], "expected NAME=FILE.npy"),
    (["a", "--in", "a={x}", "--in", "a={x}"], "given twice"),
    (["a+b", "--in", "a={x}", "--in", "b={d}/short.npy"], "broadcast"),
    (["a", "--in", "a={d}/str.npy"], "not supported"),
    (["a", "--in", "a={x}", "--chunk", "0"], "--chunk"),
]


@pytest.mark.parametrize("args,msg", ERRORS, ids=[e[1] for e in ERRORS])
def test_errors_one_line_no_partial_output(files, args, msg):
    d, x, y = files
    (d / "bad.npy").write_bytes(b"not a numpy file at all")
    np.save(d / "short.npy", np.ones(5))
    np.save(d / "str.npy", np.array(["a", "b"]))
    out = d / "out" / "r.npy"
    out.parent.mkdir()
    args = [a.format(x=d / "x.npy", d=d) for a in args]
    r = cli(*args, "--out", str(out))
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("corewise eval: error: ")
    assert msg in r.stderr, r.stderr
    assert os.listdir(out.parent) == []


def test_missing_output_dir(files):
    d, x, y = files
    r = cli("a", "--in", f"a={d / 'x.npy'}", "--out", str(d / "nope" / "r.npy"))
    assert r.returncode == 1 and "does not exist" in r.stderr


def test_failure_midway_leaves_old_output_untouched(files, capsys):
    d, x, y = files
    out = d / "r.npy"
    np.save(out, np.array([1, 2, 3]))
    i = np.array([0, 1, 2, 3, -1, 2], dtype=np.int64)
    np.save(d / "i.npy", i)
    # The integer power fails in the third chunk (a negative exponent).
    rc = main(["eval", "a ** a", "--in", f"a={d / 'i.npy'}", "--out", str(out),
               "--chunk", "2"])
    assert rc == 1
    assert "negative integer powers" in capsys.readouterr().err
    assert np.array_equal(np.load(out), [1, 2, 3])
    assert sorted(os.listdir(d)) == ["i.npy", "r.npy", "x.npy", "y.npy"]


def test_output_may_replace_an_input(files, capsys):
    d, x, y = files
    assert main(["eval", "a + 1", "--in", f"a={d / 'x.npy'}", "--out", str(d / "x.npy")]) == 0
    assert np.array_equal(np.load(d / "x.npy"), x + 1)


def test_usage_error_exit_2():
    r = subprocess.run([sys.executable, "-m", "corewise", "eval", "a"], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 2 and "--out" in r.stderr


@pytest.mark.needs_compiler
def test_bench_evaluate_quick_json():
    import json
    r = subprocess.run([sys.executable, "-m", "corewise", "bench", "--quick", "--json",
                        "--threads", "1", "--evaluate"], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)["rows"]
    impls = {(row["case"].split(" ")[0] + " " + row["case"].split(" ")[1], row["impl"])
             for row in rows if row["case"].startswith("eval")}
    assert ("eval sqrt(a*a+b*b)", "corewise") in impls
    assert ("eval sqrt(a*a+b*b)", "copy-roof") in impls
    assert ("eval first", "corewise") in impls
    assert any(row["case"] == "eval call-100" and row["impl"] == "evaluate out="
               for row in rows)
