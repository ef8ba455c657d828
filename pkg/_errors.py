"""The one place where C status codes become Python exceptions (and where
floating-point exceptions raised by a kernel are reported the way NumPy
reports them: per ``np.errstate`` / ``np.seterr``).

Entry points: check (element-wise kernels and corewise.evaluate),
check_fast (the element-wise fast paths' nonzero status, which may ask for
the general path instead), check_reduce (reductions and selections)."""
import sys
import warnings

import numpy as np

from ._lib import lib

_MESSAGES = {
    lib.CW_EOP: (ValueError, "unknown operation id"),
    lib.CW_EDTYPE: (TypeError, "dtype not supported by the C kernel"),
    lib.CW_ENDIM: (ValueError, "too many dimensions for the C kernel"),
    lib.CW_ESHAPE: (ValueError, "negative extent"),
    lib.CW_EOVERLAP: (ValueError, "input and output partially overlap"),
    lib.CW_ENULL: (ValueError, "NULL data pointer"),
    lib.CW_EINTPOW: (ValueError, "Integers to negative integer powers are not allowed"),
}
_MASK = lib.CW_STATUS_MASK
_EOVERLAP = lib.CW_EOVERLAP
# NumPy's order and wording ("invalid value encountered in sqrt").
_FPE = ((lib.CW_FPE_DIVBYZERO, "divide", "divide by zero"),
        (lib.CW_FPE_OVERFLOW, "over", "overflow"),
        (lib.CW_FPE_UNDERFLOW, "under", "underflow"),
        (lib.CW_FPE_INVALID, "invalid", "invalid value"))
_PKG = __name__.rpartition(".")[0]


def check(rc, name):
    """Act on a C return code of corewise.``name``: raise for an error
    status; report floating-point exceptions as NumPy would."""
    status = rc & _MASK
    if status:
        exc, msg = _MESSAGES.get(status, (RuntimeError, f"unknown status {status}"))
        raise exc(f"corewise.{name}: {msg} (C status {status})")
    if rc:
        _report_fpe(rc, name)


def check_fast(rc, name, has_out):
    """A fast path's nonzero status.  True: the kernel refused an out= that
    partially overlaps an input and wrote nothing -- the caller redoes the
    call the general way, which copies the input first.  Otherwise as
    check() (raise, or report floating-point exceptions), and False."""
    if rc == _EOVERLAP and has_out:
        return True
    check(rc, name)
    return False


def check_reduce(rc, name, fpe=True, where="reduce"):
    """A reduction's or selection's status: errors as check(); with ``fpe``
    its floating-point flags are reported as NumPy reports them for a
    reduction ("overflow encountered in reduce"; ``where``="dot": "... in
    dot", as np.dot says), else ignored."""
    check(rc & _MASK, name)
    if fpe and rc & ~_MASK:
        _report_fpe(rc & ~_MASK, where)


def _stacklevel():
    """Point warnings at the first frame outside corewise."""
    f, level = sys._getframe(2), 2
    while f is not None and f.f_globals.get("__name__", "").startswith(_PKG):
        f, level = f.f_back, level + 1
    return level


def _report_fpe(rc, name):
    err = np.geterr()
    for bit, key, text in _FPE:
        if not rc & bit:
            continue
        mode = err[key]
        if mode == "ignore":
            continue
        msg = f"{text} encountered in {name}"
        if mode == "raise":
            raise FloatingPointError(msg)
        if mode == "warn":
            warnings.warn(msg, RuntimeWarning, stacklevel=_stacklevel())
        elif mode == "call":
            np.geterrcall()(msg, bit)
        elif mode == "print":
            print(f"Warning: {msg}")
        elif mode == "log":
            np.geterrcall().write(f"Warning: {msg}\n")
