"""Make NumPy itself parallel: ``corewise.patch_numpy()``.

The Python half of the NumPy loop adaptor (the C half, and how it keeps
NumPy's bits, is csrc/patch.c).  This module finds NumPy's C API function
PyUFunc_ReplaceLoopBySignature (its address is slot N of the table in the
``_UFUNC_API`` capsule, N read from NumPy's installed ``__ufunc_api.h``),
lists the legacy inner loops of the ufuncs to patch (``ufunc.types``), and
gives each (ufunc, type signature) a slot of csrc/patch.c for good: a
re-patch reuses it, so that a call still running in a replacement loop
after ``unpatch_numpy()`` finishes with the right original.

Patching and unpatching hold one lock (they are serialised).  NumPy calls
running at the same time in other threads are safe: each inner-loop call
reads either the original or its replacement, and the replacement always
runs the original.
"""
import contextlib
import re
import sys
import threading

import numpy as np

from ._lib import ffi, lib

#: The default serial threshold (elements) of a loop; loops of the
#: functions in _HEAVY (transcendental: tens of cycles an element) use an
#: eighth of it.  Below it a replacement loop calls NumPy's loop directly.
DEFAULT_MIN_ELEMENTS = 32768
_HEAVY = frozenset("""exp exp2 expm1 log log2 log10 log1p sin cos tan arcsin arccos arctan
    arctan2 sinh cosh tanh arcsinh arccosh arctanh power float_power cbrt hypot logaddexp
    logaddexp2 deg2rad rad2deg""".split())
# Exact associative operations: their integer/bool reductions may be split
# (csrc/patch.c, CW_PATCH_REDUCIBLE); a float reduction never is.
_REDUCIBLE = frozenset("""add multiply maximum minimum fmax fmin bitwise_and bitwise_or
    bitwise_xor logical_and logical_or logical_xor""".split())
_EXACT_KINDS = "biu"   # bool, signed, unsigned integers
# Loops never replaced: object ones (they need the Python API), the flexible
# ones (no fixed item size), datetime/timedelta (NumPy's loops raise
# OverflowError through the Python API from inside the loop, a worker thread
# would lose it) ...
_SKIP_CHARS = set("OSUVaMm")
# ... and NumPy's integer power (ValueError for a negative exponent, set
# from inside the loop).
_PYAPI_INT_LOOPS = frozenset(["power"])

_lock = threading.RLock()
_slots = {}       # (id(ufunc), signature) -> slot, for the life of the process
_keep = {}        # id(ufunc) -> ufunc: keeps every slot's ufunc (its address) alive
_installed = {}   # slot -> (ufunc, signature, item sizes, reducible, min_elements)
_api = {}         # "replace": the address of PyUFunc_ReplaceLoopBySignature, "checked"


def _fail(reason):
    return RuntimeError(f"corewise.patch_numpy: {reason}")


def _replace_address():
    """The address of NumPy's PyUFunc_ReplaceLoopBySignature, or a
    RuntimeError naming why it cannot be had."""
    if "replace" in _api:
        return _api["replace"]
    if sys.implementation.name != "cpython":
        raise _fail(f"needs CPython; on {sys.implementation.name} NumPy's ufuncs are not "
                    "reachable through the C API (PyPy's cpyext emulates the objects)")
    try:
        from numpy._core import _multiarray_umath as mu
    except ImportError:
        try:
            from numpy.core import _multiarray_umath as mu
        except ImportError:
            raise _fail(f"NumPy {np.__version__} has no _multiarray_umath module") from None
    capsule = getattr(mu, "_UFUNC_API", None)
    if capsule is None or type(capsule).__name__ != "PyCapsule":
        raise _fail(f"NumPy {np.__version__} has no _UFUNC_API capsule")
    index = _replace_index()
    import ctypes
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype = ctypes.c_void_p
    get.argtypes = [ctypes.py_object, ctypes.c_char_p]
    table = get(capsule, None)
    if not table:
        raise _fail("NumPy's _UFUNC_API capsule holds no table")
    address = ctypes.cast(table, ctypes.POINTER(ctypes.c_void_p))[index]
    if not address:
        raise _fail(f"slot {index} of NumPy's ufunc API table is empty")
    # int (PyUFuncObject *, PyUFuncGenericFunction, const int *, PyUFuncGenericFunction *),
    # called with the GIL held (PYFUNCTYPE): NumPy main's version builds Python
    # objects, and reports a failure as a Python exception, which ctypes raises
    replace = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                                ctypes.POINTER(ctypes.c_int),
                                ctypes.POINTER(ctypes.c_void_p))(address)
    _api["replace"] = replace
    return replace


def _swap(replace, u, sig, new):
    """Puts loop address `new` in u's table entry for sig: (rc, displaced address)."""
    import ctypes
    old = ctypes.c_void_p()
    rc = replace(id(u), new, (ctypes.c_int * len(sig))(*sig), ctypes.byref(old))
    return rc, old.value


def _replace_index():
    """PyUFunc_ReplaceLoopBySignature's slot in the table, from NumPy's header."""
    import os
    path = os.path.join(np.get_include(), "numpy", "__ufunc_api.h")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise _fail(f"cannot read NumPy's {path} ({exc})") from None
    m = re.search(r"#define PyUFunc_ReplaceLoopBySignature\s*\\\s*\(\*\(int \(\*\)\("
                  r"PyUFuncObject \*, PyUFuncGenericFunction, const int \*, "
                  r"PyUFuncGenericFunction \*\)\)\s*\\\s*PyUFunc_API\[(\d+)\]\)", text)
    if not m:
        raise _fail(f"{path} declares no PyUFunc_ReplaceLoopBySignature of the known type")
    return int(m.group(1))


def _numpy_ufuncs():
    """NumPy's own element-wise ufuncs (no gufuncs), each once."""
    from numpy._core import umath
    seen = {}
    for name in sorted(dir(umath)):
        u = getattr(umath, name)
        if isinstance(u, np.ufunc) and u.signature is None:
            seen.setdefault(id(u), u)
    return list(seen.values())


def _loops(u):
    """(signature type numbers, item sizes, reducible) of each legacy loop of u
    a replacement may carry."""
    out = []
    if u.nout < 1 or u.nin + u.nout > lib.CW_PATCH_MAXARGS:
        return out
    for t in u.types:
        ins, _, outs = t.partition("->")
        chars = ins + outs
        if len(ins) != u.nin or len(outs) != u.nout or _SKIP_CHARS & set(chars):
            continue
        try:
            dts = [np.dtype(c) for c in chars]
        except TypeError:
            continue
        if (u.__name__ in _PYAPI_INT_LOOPS and u is getattr(np, u.__name__, None)
                and any(d.kind in _EXACT_KINDS for d in dts)):
            continue
        red = (u.__name__ in _REDUCIBLE and u.nin == 2 and u.nout == 1 and len(set(chars)) == 1
               and dts[0].kind in _EXACT_KINDS and u is getattr(np, u.__name__, None))
        out.append((tuple(d.num for d in dts), tuple(d.itemsize for d in dts), red))
    return out


def _targets(ufuncs):
    if ufuncs is None:
        return _numpy_ufuncs()
    if isinstance(ufuncs, np.ufunc):
        ufuncs = [ufuncs]
    try:
        ufuncs = list(ufuncs)
    except TypeError:
        raise TypeError("corewise.patch_numpy: ufuncs must be a list of numpy.ufunc objects, "
                        f"not {type(ufuncs).__name__}") from None
    for u in ufuncs:
        if not isinstance(u, np.ufunc):
            raise TypeError(f"corewise.patch_numpy: {u!r} is not a numpy.ufunc")
        if u.signature is not None:
            raise ValueError(f"corewise.patch_numpy: {u.__name__} is a generalized ufunc "
                             f"(signature {u.signature!r}); only element-wise ufuncs are patched")
        if u.nin + u.nout > lib.CW_PATCH_MAXARGS:
            raise ValueError(f"corewise.patch_numpy: {u.__name__} has {u.nin + u.nout} operands, "
                             f"more than the {lib.CW_PATCH_MAXARGS} a replacement loop carries")
        if not _loops(u):
            raise ValueError(f"corewise.patch_numpy: {u.__name__} has no loop that can run "
                             "in parallel (object or flexible dtypes only)")
    return ufuncs


def _min_elements(min_elements):
    if min_elements is None:
        return None
    if isinstance(min_elements, bool) or not isinstance(min_elements, (int, np.integer)):
        raise TypeError("corewise.patch_numpy: min_elements must be an int, "
                        f"not {type(min_elements).__name__}")
    if min_elements < 1:
        raise ValueError(f"corewise.patch_numpy: min_elements must be >= 1, got {min_elements}")
    return int(min_elements)


def _slot(u, sig):
    key = (id(u), sig)
    slot = _slots.get(key)
    if slot is None:
        if len(_slots) >= lib.CW_PATCH_SLOTS:
            raise _fail(f"more than {lib.CW_PATCH_SLOTS} loops patched in this process")
        slot = _slots[key] = len(_slots)
        _keep[id(u)] = u
    return slot


def _install(replace, u, sig, sizes, red, minimum):
    """Slot of (u, sig) described and put in u's table; False when u has no
    legacy loop for sig (no entry, or an empty one)."""
    slot = _slot(u, sig)
    rc = lib.cw_patch_prepare(slot, u.nin, u.nout, ffi.new("ptrdiff_t[]", sizes),
                              lib.CW_PATCH_REDUCIBLE if red else lib.CW_PATCH_ELEMENTWISE, minimum)
    if rc:
        raise _fail(f"internal error {rc} preparing a loop of {u.__name__}")
    mine = int(ffi.cast("uintptr_t", lib.cw_patch_loop(slot)))
    rc, old = _swap(replace, u, sig, mine)
    if rc < 0:
        return False
    if old is None:          # an entry without a legacy loop: leave it empty
        _swap(replace, u, sig, None)
        return False
    if old != mine:
        lib.cw_patch_set_original(slot, ffi.cast("void *", old))
    _installed[slot] = (u, sig, sizes, red, minimum)
    return True


def _remove(replace, slot):
    u, sig = _installed.pop(slot)[:2]
    orig = int(ffi.cast("uintptr_t", lib.cw_patch_original(slot)))
    rc, old = _swap(replace, u, sig, orig)
    if rc == 0 and old != int(ffi.cast("uintptr_t", lib.cw_patch_loop(slot))):
        _swap(replace, u, sig, old)   # replaced by someone else after us: theirs stays


def _self_check(replace):
    """Once a process: NumPy does call a replaced loop (else unpatch and say so)."""
    if "checked" in _api:
        return
    x = np.ones(2, dtype=np.float64)
    sig = (x.dtype.num, x.dtype.num)
    slot = _slots.get((id(np.negative), sig))
    if slot is None or slot not in _installed:
        return
    entry = _installed[slot]
    _install(replace, *entry[:4], 1)
    before = lib.cw_patch_parallel_calls(0)
    np.negative(x, out=x)
    reached = lib.cw_patch_parallel_calls(0) > before
    _install(replace, *entry)
    if not reached:
        _unpatch()
        raise _fail(f"NumPy {np.__version__} does not call the legacy inner loops it holds "
                    "(np.negative float64 ran without its replacement); nothing is patched")
    _api["checked"] = True


def patch_numpy(ufuncs=None, min_elements=None):
    """Run NumPy's element-wise ufuncs on all cores, from here on.

    ``ufuncs``: None (NumPy's own element-wise ufuncs: ``np.sqrt``,
    ``np.add`` -- so ``a + b`` --, ``np.exp``, ...) or a list of
    ``np.ufunc`` objects with legacy loops (``scipy.special.erf``, numba
    ufuncs, ...).  ``min_elements``: loop calls with fewer elements call
    NumPy's loop directly (default: 32768, 4096 for transcendental
    functions; 1 sends every call through the parallel path, for tests).
    Results are bitwise those of unpatched NumPy.  Idempotent; returns the
    number of loops now patched."""
    minimum = _min_elements(min_elements)
    with _lock:
        replace = _replace_address()
        for u in _targets(ufuncs):
            base = minimum or (DEFAULT_MIN_ELEMENTS // 8 if u.__name__ in _HEAVY
                               else DEFAULT_MIN_ELEMENTS)
            for sig, sizes, red in _loops(u):
                _install(replace, u, sig, sizes, red, base)
        _self_check(replace)
        return len(_installed)


def _unpatch():
    replace = _api.get("replace")
    for slot in list(_installed):
        _remove(replace, slot)


def unpatch_numpy():
    """Put every patched loop's original back (NumPy's own loops, exactly).
    Idempotent."""
    with _lock:
        _unpatch()


def is_numpy_patched():
    """True while some NumPy loop runs through corewise."""
    return bool(_installed)


@contextlib.contextmanager
def patched_numpy(ufuncs=None, min_elements=None):
    """``with corewise.patched_numpy(): ...`` -- patched inside the block only;
    on exit the patching in force before (none, or other thresholds) is
    back."""
    with _lock:
        before = dict(_installed)
        patch_numpy(ufuncs, min_elements)
    try:
        yield
    finally:
        with _lock:
            replace = _api["replace"]
            for slot in list(_installed):
                if slot not in before:
                    _remove(replace, slot)
            for slot, entry in before.items():
                if _installed.get(slot) != entry:
                    _install(replace, *entry)
