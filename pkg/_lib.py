"""Loads the compiled extension and checks that it matches this package."""
from ._version import __version__

try:
    from ._core import ffi, lib
except ImportError as exc:  # pragma: no cover - exercised only on broken installs
    raise ImportError(
        "corewise: the compiled extension corewise._core could not be loaded "
        f"({exc}). Build and install the package with `pip install .` "
        "(needs a C compiler with OpenMP)."
    ) from exc

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
