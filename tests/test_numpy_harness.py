"""The harness that runs NumPy's own tests with corewise substituted
(tests/numpy_substituted.py, tools/numpy_suite.py, tools/numpy_causes.py):
its substitution, its differences file, its pattern collapse and its cause
categories -- tested on small inputs, without running NumPy's suite."""
import os
import sys
import types

import numpy as np
import pytest

import corewise as cw

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tools"))

import numpy_substituted as ns  # noqa: E402
import numpy_suite as suite  # noqa: E402
from numpy_causes import cause_of, coarse  # noqa: E402


@pytest.fixture(scope="module")
def sub():
    return ns.Substitution(ns.substituted_names())


def test_substituted_names_are_numpy_compatible():
    names = ns.substituted_names()
    assert names["sqrt"] is cw.sqrt and names["sum"] is cw.sum and names["dot"] is cw.dot
    for n in ("info", "threads", "evaluate", "set_num_threads", "patch_numpy", "functions"):
        assert n not in names
    assert all(callable(getattr(np, n)) for n in names)


def test_proxy_resolves_corewise_first(sub):
    p = sub.proxy(np)
    assert p.sqrt is cw.sqrt and p.add is cw.add and p.sum is cw.sum
    assert p.float64 is np.float64 and p.ndarray is np.ndarray and p.testing is np.testing
    assert p.__name__ == "numpy" and "sqrt" in dir(p) and "float64" in dir(p)
    with pytest.raises(AttributeError):
        p.no_such_name
    assert np.sqrt is not cw.sqrt and sys.modules["numpy"] is np  # NumPy untouched
    import numpy._core.umath as ncu
    q = sub.proxy(ncu)
    assert q.sqrt is cw.sqrt and q.maximum is cw.maximum and not hasattr(q, "sum")
    assert sub.proxy(np) is p  # one proxy a module


def test_module_swap(sub):
    import numpy._core.umath as ncu
    from numpy._core.multiarray import dot
    mod = types.ModuleType("fake_test_module")
    table = {np.sqrt: 1, "x": np.exp}

    class TestX:
        ufuncs = table
        plain = 3

    TestX.__module__ = mod.__name__
    mod.__dict__.update(np=np, ncu=ncu, dot=dot, lst=[np.sqrt, 2], tup=(np.exp,), TestX=TestX,
                        os=os, sqrt=np.sqrt)
    assert sub.module(mod) >= 7
    assert mod.np.sqrt is cw.sqrt and mod.ncu.exp is cw.exp and mod.dot is cw.dot
    assert mod.lst == [cw.sqrt, 2] and mod.tup == (cw.exp,) and mod.sqrt is cw.sqrt
    assert TestX.ufuncs == {cw.sqrt: 1, "x": cw.exp} and TestX.plain == 3
    assert table == {np.sqrt: 1, "x": np.exp}  # a new dict, NumPy's object kept
    assert mod.os is os
    assert sub.module(mod) == 0  # idempotent


def test_entry_pattern_only_star_is_special():
    e = suite.Entry("test_umath.py::TestA::test_b[*", "")
    assert e.regex.match("test_umath.py::TestA::test_b[x-1]")
    assert not e.regex.match("test_umath.py::TestA::test_bc")
    e = suite.Entry("test_umath.py::TestA::test_b[f?]", "")
    assert e.regex.match("test_umath.py::TestA::test_b[f?]")
    assert not e.regex.match("test_umath.py::TestA::test_b[fx]")


def test_differences_file_roundtrip(tmp_path):
    p = tmp_path / "d.txt"
    p.write_text("# c\n== dtypes refused: complex\nreason: not yet\nreason: (issue 16)\n"
                 "a.py::T::*\na.py::t[*  -- its own reason\n")
    g = suite.read_differences(str(p))
    assert [(x.cause, x.reason) for x in g] == [("dtypes refused: complex", "not yet (issue 16)")]
    assert [(e.pattern, e.reason) for e in g[0].entries] == [("a.py::T::*", ""),
                                                            ("a.py::t[*", "its own reason")]
    suite.write_differences(str(p), g)
    g2 = suite.read_differences(str(p))
    assert [(e.pattern, e.reason) for e in g2[0].entries] == \
        [(e.pattern, e.reason) for e in g[0].entries] and g2[0].reason == g[0].reason


def test_differences_file_needs_reasons(tmp_path):
    p = tmp_path / "d.txt"
    p.write_text("== other: x\na.py::t\n")
    with pytest.raises(SystemExit, match="without a reason"):
        suite.read_differences(str(p))
    p.write_text("a.py::t\n")
    with pytest.raises(SystemExit, match="outside a group"):
        suite.read_differences(str(p))


def test_match_counts_hits_and_stale():
    g = suite.Group("c", "r")
    g.entries = [suite.Entry("a.py::T::*", ""), suite.Entry("a.py::u", "")]
    got = suite.match([g], ["a.py::T::x", "a.py::T::y", "b.py::z"])
    assert set(got) == {"a.py::T::x", "a.py::T::y"}
    assert [e.hits for e in g.entries] == [2, 0]


def test_collapse():
    ref = ["a.py::T::x", "a.py::T::y", "a.py::U::p[1]", "a.py::U::p[2]", "a.py::U::q",
           "a.py::t[1]", "a.py::t[2]", "a.py::s"]
    new = {"a.py::T::x": "c1", "a.py::T::y": "c1", "a.py::U::p[1]": "c2",
           "a.py::U::p[2]": "c2", "a.py::t[1]": "c1", "a.py::t[2]": "c3"}
    assert suite.collapse(new, ref) == {"a.py::T::*": "c1", "a.py::U::p[*": "c2",
                                        "a.py::t[1]": "c1", "a.py::t[2]": "c3"}


def test_test_id():
    assert suite.test_id("_core.tests.test_umath.TestA.TestB", "test_c[x.y]") == \
        "test_umath.py::TestA::TestB::test_c[x.y]"
    assert suite.test_id("_core.tests.test_ufunc", "test_d") == "test_ufunc.py::test_d"


@pytest.mark.parametrize("message, cause", [
    ("AttributeError: 'function' object has no attribute 'reduce'",
     "ufunc attributes and methods missing: .reduce"),
    ("TypeError: add() got an unexpected keyword argument 'where'", "keywords missing: where="),
    ("TypeError: add() takes from 2 to 3 positional arguments but 4 were given",
     "keywords missing: positional out"),
    ("TypeError: corewise.log: complex input (dtype complex64) is not supported yet; use "
     "numpy.log", "dtypes refused: complex"),
    ("TypeError: corewise.sqrt: dtype float128 is not supported: corewise computes in "
     "float32/float64 only", "dtypes refused: longdouble"),
    ("TypeError: corewise.floor: object arrays are not supported (dtype object)",
     "dtypes refused: object"),
    ("KeyError: <function fmod at 0x7f7f0ce87240>",
     "NumPy object identity: a np.ufunc expected (isinstance, dict key, C API)"),
    ("AssertionError: Got warnings: [<warnings.WarningMessage object at 0x7f62>]",
     "warnings differ: unexpected warning"),
    ("AssertionError: RuntimeError not raised by maximum",
     "wrong or missing errors: RuntimeError not raised"),
    ("Failed: DID NOT RAISE <class 'numpy.exceptions.AxisError'>",
     "wrong or missing errors: AxisError not raised"),
    ("AssertionError: \nArrays are not equal\n\nMismatched elements: 1 / 1",
     "wrong results: values/dtype/shape differ (assert_*)"),
    ("numpy.exceptions.AxisError: axis 0 is out of bounds",
     "wrong or missing errors: AxisError raised (axis 0 is out of bounds)"),
    ("TypeError: corewise.sum: dtype complex128 is not supported (float16/32/64, integer",
     "dtypes refused: complex"),
    ("TypeError: corewise.add: dtype datetime64[s] is not supported", "dtypes refused: datetime"),
    ("Failed: DID NOT WARN. No warnings of type (<class 'RuntimeWarning'>,) were emitted.",
     "warnings differ: RuntimeWarning missing"),
    ("Failed: DID NOT RAISE (<class 'ValueError'>, <class 'TypeError'>)",
     "wrong or missing errors: ValueError not raised"),
])
def test_cause_of(message, cause):
    assert cause_of("failure", message, "") == cause
    assert coarse(cause) == cause.partition(":")[0]


def test_cause_of_not_run():
    assert cause_of("absent", "", "") == "other: the test is absent substituted"



def test_collapse_by_parameter_value():
    ref = [f"a.py::t[{u}-{d}]" for u in ("add", "sub", "mul") for d in "fd"] + ["a.py::s[x-add]",
                                                                                "a.py::s[y-add]",
                                                                                "a.py::s[y-mul]"]
    new = {f"a.py::t[{u}-{d}]": "c" for u in ("add", "sub") for d in "fd"}
    new.update({"a.py::s[x-add]": "c", "a.py::s[y-add]": "c"})
    got = suite.collapse(new, ref)
    assert got == {"a.py::t[add-*": "c", "a.py::t[sub-*": "c", "a.py::s[*-add]": "c"}
    assert not any(suite.Entry(p, "").regex.match(t) for p in got for t in ref if t not in new)


def test_comparisons_on_outcomes(tmp_path, capsys):
    ref = {"a.py::x": ("passed", "", ""), "a.py::y": ("passed", "", ""),
           "a.py::z": ("skipped", "", "")}
    assert suite.compare_patched(ref, dict(ref))
    assert not suite.compare_patched(ref, {**ref, "a.py::y": ("failure", "m", "")})
    got = {**ref, "a.py::y": ("failure", "AttributeError: 'function' object has no "
                                         "attribute 'outer'", "")}
    assert suite.substituted_failures(ref, got) == {"a.py::y": got["a.py::y"]}
    p = tmp_path / "d.txt"
    import argparse
    args = argparse.Namespace(differences=str(p), write_differences=False, allow_stale=False)
    assert not suite.compare_substituted(ref, got, args)  # not listed
    args.write_differences = True
    assert suite.compare_substituted(ref, got, args)
    assert "== ufunc attributes and methods missing: .outer\n" in p.read_text()
    args.write_differences = False
    assert suite.compare_substituted(ref, got, args)
    assert not suite.compare_substituted(ref, dict(ref), args)  # the entry is stale
    args.allow_stale = True
    assert suite.compare_substituted(ref, dict(ref), args)
    assert "STALE ENTRY a.py::y" in capsys.readouterr().out
