"""Build glue: the package lives in pkg/ and installs as ``corewise``; the C
extension corewise._core is built by cffi from build_ffi.py.  Metadata is in
pyproject.toml."""
from setuptools import setup

setup(
    package_dir={"corewise": "pkg"},
    packages=["corewise"],
    cffi_modules=["build_ffi.py:ffibuilder"],
)
