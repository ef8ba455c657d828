"""pytest plugin: run a test suite with every NumPy ufunc loop patched.

``pytest -p numpy_patched --pyargs numpy._core.tests.test_umath`` (with
tests/ on PYTHONPATH; `make numpy-tests` does it) runs NumPy's own tests
with ``corewise.patch_numpy(min_elements=1)`` in force, so that every
inner-loop call of NumPy's element-wise ufuncs goes through corewise's
replacement loops (csrc/patch.c).  COREWISE_PATCH=0 runs the same command
unpatched (the reference outcome).
"""
import os


def pytest_configure(config):
    if os.environ.get("COREWISE_PATCH", "1") == "0":
        return
    import corewise
    n = corewise.patch_numpy(min_elements=1)
    config.corewise_patched = n


def pytest_report_header(config):
    n = getattr(config, "corewise_patched", None)
    return [f"corewise: {n} NumPy loops patched (min_elements=1)" if n
            else "corewise: NumPy unpatched"]


def pytest_unconfigure(config):
    if getattr(config, "corewise_patched", None):
        import corewise
        corewise.unpatch_numpy()
