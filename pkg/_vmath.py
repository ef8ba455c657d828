"""Which vector math computes float64 and float32 exp, exp2, log, log2, log10, sin, cos and tan.

``"libmvec"`` (the default): glibc's vector math, as every other
transcendental row -- fast, within 4 ULP, but its bits depend on the CPU's
ISA.  ``"own"``: corewise's own code (csrc/vmath/): correctly rounded and
bitwise the same on every ISA and thread count, but today about 2-3x (float64)
and 2-8x (float32) slower than libmvec (README, "Accuracy contract").  Chosen by COREWISE_VMATH=own|libmvec
in the environment at import, or by ``set_vmath``.  The element-wise
functions (``cw.exp`` ...) switch, and so does ``evaluate``: with "own", an
expression calling one of these functions runs on its block interpreter,
whose ops for them are the same own loops (pkg/_evaluate.py); user kernels
compile libmvec's.
"""
import os

from ._lib import lib

MODES = ("libmvec", "own")

_env = os.environ.get("COREWISE_VMATH", "").strip()
if _env and _env not in MODES:
    raise ValueError(f"corewise: COREWISE_VMATH must be 'own' or 'libmvec', not {_env!r}")


def get_vmath():
    """``"own"`` or ``"libmvec"``: which code computes float64 and float32 exp/exp2/log/log2/log10/sin/cos/tan."""
    return MODES[lib.cw_get_vmath()]


def set_vmath(mode):
    """Switch float64 and float32 exp/exp2/log/log2/log10/sin/cos/tan to ``"own"`` (correctly rounded,
    ISA-independent) or ``"libmvec"``; returns the previous mode.  Process-wide;
    calls running in other threads finish with the mode they started with
    per block."""
    if mode not in MODES:
        raise ValueError(f"corewise.set_vmath: mode must be 'own' or 'libmvec', not {mode!r}")
    return MODES[lib.cw_set_vmath(MODES.index(mode))]
