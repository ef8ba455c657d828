"""Loads the compiled extension and checks that it matches this package."""
import os

from ._version import __version__

# GNU libgomp's idle threads spin 300,000 times before sleeping.  A spinning
# helper is a CPU hog to the OS: beside a busy process it is preempted for
# a whole time slice, and the next call's team waits for it.  A helper that
# sleeps is woken with priority and starts at once.  1,000 spins (tens of
# us) still keep back-to-back calls on hot threads; together with the
# adaptive team size (csrc/adapt.c) they brought every contended case of
# `bench --contention` to its 1-thread time, where 10,000 left sqrt 600x600
# and exp 1M at 0.89-0.92x (README, "Threading contract").
# libgomp reads the variable once, when it is loaded (with _core below); it
# is only a default -- GOMP_SPINCOUNT or OMP_WAIT_POLICY set by the user
# win -- and it is removed again so that child processes do not inherit it.
SPINCOUNT = "1000"
_set_spin = "GOMP_SPINCOUNT" not in os.environ and "OMP_WAIT_POLICY" not in os.environ
if _set_spin:
    os.environ["GOMP_SPINCOUNT"] = SPINCOUNT
try:
    from ._core import ffi, lib
except ImportError as exc:  # pragma: no cover - exercised only on broken installs
    raise ImportError(
        "corewise: the compiled extension corewise._core could not be loaded "
        f"({exc}). Build and install the package with `pip install .` "
        "(needs a C compiler with OpenMP)."
    ) from exc
finally:
    if _set_spin:
        os.environ.pop("GOMP_SPINCOUNT", None)

_built = ffi.string(lib.cw_version()).decode()
if _built != __version__:
    raise ImportError(
        f"corewise: stale build -- the compiled extension corewise._core is "
        f"version {_built} but the Python package is version {__version__}. "
        "Rebuild it: `pip install .` (or `make install`)."
    )


def cstr(p):
    """A C string returned by the library, as str."""
    return ffi.string(p).decode()
