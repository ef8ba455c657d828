"""The cause of a NumPy test that fails with corewise substituted, derived
from its JUnit failure (exception type, message, traceback): the categories
of tests/numpy_differences.txt and of tools/numpy_suite.py's report.

A cause is '<coarse category>: <detail>' (e.g. 'ufunc attributes and methods
missing: .reduce'); coarse() gives the category, DEFAULT_REASON a first
reason for a new group (to be edited into a conscious decision).
"""
import re

UFUNC_ATTRS = frozenset({
    "reduce", "accumulate", "reduceat", "outer", "at", "nin", "nout", "nargs", "ntypes",
    "types", "identity", "signature", "resolve_dtypes", "_resolve_dtypes_and_context",
    "_get_strided_loop", "__name__", "__qualname__"})

COARSE = ("ufunc attributes and methods missing", "dtypes refused", "keywords missing",
          "wrong or missing errors", "wrong results", "warnings differ",
          "NumPy object identity", "other")

_KINDS = (("complex input", "complex"), ("object arrays", "object"),
          ("float128", "longdouble"), ("longdouble", "longdouble"),
          ("complex256", "longdouble"), ("string input", "str"), ("bytes input", "bytes"),
          ("structured/void", "structured/void"), ("datetime input", "datetime"),
          ("timedelta input", "timedelta"))


_FAMILY = {"c": "complex", "M": "datetime", "m": "timedelta", "O": "object", "U": "str",
           "S": "bytes", "V": "structured/void"}


def _family(name):
    """'complex128' -> 'complex', 'datetime64[s]' -> 'datetime', ..."""
    try:
        import numpy as np
        dt = np.dtype(name)
    except (TypeError, ValueError):
        return name
    if dt.kind == "f" and dt.itemsize > 8:
        return "longdouble"
    return _FAMILY.get(dt.kind, name)


def _clean(s, n=90):
    s = re.sub(r"0x[0-9a-fA-F]+", "0x..", s)
    s = re.sub(r"\s+", " ", s).strip()
    return s[:n]


def cause_of(kind, message, text):
    """The cause of one failure (kind: 'failure', 'error', 'absent', 'skipped', ...)."""
    if kind not in ("failure", "error"):
        return f"other: the test is {kind} substituted"
    first = (message or "").strip().splitlines()[0] if message and message.strip() else ""
    exc, _, msg = first.partition(": ")
    if " " in exc or not exc:
        exc, msg = "", first
    exc = exc.rpartition(".")[2]
    m = re.search(r"object has no attribute '([^']+)'", msg)
    if exc == "AttributeError" and m:
        a = m.group(1)
        if a in UFUNC_ATTRS or re.search(r"'(function|corewise\.\w+)' object", msg):
            return f"ufunc attributes and methods missing: .{a}"
        return f"other: attribute .{a} missing"
    m = re.search(r"got an unexpected keyword argument '([^']+)'", msg)
    if m:
        return f"keywords missing: {m.group(1)}="
    if re.search(r"takes (from \d+ to )?\d+ positional arguments? but \d+ (were|was) given", msg):
        return "keywords missing: positional out"
    if exc == "TypeError" and msg.startswith("corewise."):
        if "ndarray subclass" in msg:
            return "dtypes refused: ndarray subclass"
        if "objects are not supported" in msg:
            return "dtypes refused: __array_ufunc__/__array_function__ object"
        if "only 1-D vectors" in msg:
            return "dtypes refused: dot on N-d operands"
        for key, name in _KINDS:
            if key in msg:
                return f"dtypes refused: {name}"
        if "not supported" in msg:
            m = re.search(r"dtype (\w+(\[\w+\])?)", msg)
            return f"dtypes refused: {_family(m.group(1)) if m else _clean(msg, 40)}"
    if "must be numpy.ufunc" in msg or "is not a ufunc" in msg or \
            (exc == "KeyError" and re.match(r"<(function|corewise)", msg)):
        return "NumPy object identity: a np.ufunc expected (isinstance, dict key, C API)"
    if exc == "KeyError" and msg.strip("'\"").startswith("__"):
        return f"NumPy object identity: {_clean(msg)} missing from __dict__"
    if msg.startswith("Got warnings"):
        return "warnings differ: unexpected warning"
    if "No warning" in msg or "DID NOT WARN" in msg:
        m = re.search(r"<class '([\w.]+)'>", msg)
        return f"warnings differ: {m.group(1).rpartition('.')[2] if m else 'a warning'} missing"
    if "DID NOT RAISE" in msg or re.search(r"\w+ not raised", msg):
        m = re.search(r"(\w+) not raised|DID NOT RAISE \(?<class '([\w.]+)'>", msg)
        name = (m.group(1) or m.group(2).rpartition(".")[2]) if m else "the error"
        return f"wrong or missing errors: {name} not raised"
    if "Regex pattern did not match" in msg or "does not match" in msg:
        return "wrong or missing errors: error message differs"
    if exc in ("AxisError", "ValueError", "TypeError", "RuntimeError", "OverflowError",
               "FloatingPointError", "IndexError", "ZeroDivisionError"):
        if msg.startswith("corewise."):
            return f"wrong or missing errors: corewise raises {exc}"
        return f"wrong or missing errors: {exc} raised ({_clean(msg, 60)})"
    if exc == "AssertionError" or not exc:
        body = message or ""
        if "Arrays are not" in body or "Mismatched elements" in body or \
                "Not equal to tolerance" in body or "Items are not equal" in body:
            return "wrong results: values/dtype/shape differ (assert_*)"
        return "wrong results: a check of the test fails (assert)"
    return f"other: {exc}: {_clean(msg, 60)}"


def coarse(cause):
    c = cause.partition(":")[0]
    return c if c in COARSE else "other"


_REASONS = {
    "ufunc attributes and methods missing":
        "corewise's functions are not NumPy ufuncs yet (issue 16: the ufunc-like class "
        "with NumPy's attributes and methods)",
    "dtypes refused": "corewise refuses this input where NumPy computes it (issue 16)",
    "keywords missing": "corewise's functions lack this NumPy keyword (issue 16)",
    "wrong or missing errors": "corewise's error differs from NumPy's (to check)",
    "wrong results": "corewise's result differs from NumPy's (to check)",
    "warnings differ": "corewise's warnings differ from NumPy's (to check)",
    "NumPy object identity": "the test needs NumPy's own ufunc object (isinstance, identity "
                             "or NumPy's C API): a corewise function cannot be one",
    "other": "to check",
}


def DEFAULT_REASON(cause):  # noqa: N802  (a table lookup, named as a constant)
    return _REASONS.get(coarse(cause), "to check")
