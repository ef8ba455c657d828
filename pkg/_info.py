"""Build and runtime information (``python -m corewise info``)."""
import os
import platform
import sys

import numpy as np

from ._lib import cstr, lib
from ._version import __version__

_OPENMP_SPECS = {200505: "2.5", 200805: "3.0", 201107: "3.1", 201307: "4.0",
                 201511: "4.5", 201811: "5.0", 202011: "5.1", 202111: "5.2"}


def _wait_policy():
    from ._lib import SPINCOUNT, _set_spin
    if _set_spin:
        return f"GOMP_SPINCOUNT={SPINCOUNT} (corewise default)"
    return ", ".join(f"{k}={os.environ[k]}" for k in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")
                     if k in os.environ) or "set by the environment at start-up"


def info():
    """A dict describing this build and the machine it runs on."""
    from . import _core
    omp = lib.cw_openmp_version()
    return {
        "corewise": __version__,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "numpy": np.__version__,
        "openmp_runtime": cstr(lib.cw_openmp_runtime()),
        "openmp_version": f"{omp} (OpenMP {_OPENMP_SPECS.get(omp, '?')})",
        "num_procs": lib.cw_num_procs(),
        "omp_max_threads": lib.cw_omp_max_threads(),
        "threads": lib.cw_get_num_threads(),
        "serial_threshold": lib.cw_get_min_parallel(),
        "omp_wait": _wait_policy(),
        "adaptive": "on (team sizes follow a busy machine)" if lib.cw_get_adaptive() else "off",
        "simd": cstr(lib.cw_simd_level()),
        "vmath": ("own (csrc/vmath/: float64 and float32 exp/exp2/log/log2/log10/sin/cos/tan correctly rounded)"
                  if lib.cw_get_vmath() else "libmvec (COREWISE_VMATH=own: corewise's own)"),
        "vmath_isa": cstr(lib.cw_vmath_isa()) + " (csrc/vmath/; COREWISE_ISA forces it)",
        "compiler": cstr(lib.cw_compiler()),
        "flags": cstr(lib.cw_build_flags()),
        "extension": getattr(_core, "__file__", "?"),
        "platform": f"{sys.platform} {platform.machine()}",
    }


def format_info(d=None):
    d = info() if d is None else d
    width = max(map(len, d))
    return "\n".join(f"{k:<{width}}  {v}" for k, v in d.items())
