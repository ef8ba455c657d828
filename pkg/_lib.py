"""Loads the compiled extension and checks that it matches this package."""
import os

from ._version import __version__

# GNU libgomp's idle threads spin 300,000 times before sleeping.  When the
# cores are busy with other work (another process, Dask workers), a team
# member that lost its core makes the rest spin at the barrier for a whole
# scheduler time slice, so a small call takes a time slice instead of
# microseconds.  10,000 spins still keep back-to-back calls on hot threads.
# libgomp reads the variable once, when it is loaded (with _core below); it
# is only a default -- GOMP_SPINCOUNT or OMP_WAIT_POLICY set by the user
# win -- and it is removed again so that child processes do not inherit it.
SPINCOUNT = "10000"
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
