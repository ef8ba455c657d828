import os

import pytest
from hypothesis import HealthCheck, settings

import corewise
from corewise._lib import lib

settings.register_profile(
    "default", deadline=None, max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture])
settings.register_profile(
    "ci", deadline=None, max_examples=300, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture])
# CI's second and third stages (PyPy; ASan): every test still runs, with
# fewer examples; the CPython stage runs the full 300
settings.register_profile(
    "light", deadline=None, max_examples=25,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture])
settings.register_profile(
    "sanitizer", deadline=None, max_examples=15,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def compiler_missing():
    """Why corewise.evaluate cannot compile here (no C compiler / headers),
    or None: the real check evaluate itself makes (_compiler._config)."""
    from corewise import _compiler
    try:
        _compiler._config()
    except _compiler._Unavailable as exc:
        return _compiler._unavailable(exc, "evaluate", "expression")
    return None


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_compiler: the test compiles C at run time; "
                            "skipped (and named) where no C compiler is found")
    # evaluate's once-per-process fallback warning (no compiler): tested in
    # subprocesses (test_interp.py), not an error for the rest of the suite
    config.addinivalue_line("filterwarnings",
                            "ignore::corewise._interp.EvaluateFallbackWarning")


def pytest_unconfigure(config):
    """Under `make asan` (ASan preloaded, detect_leaks=1): LeakSanitizer's
    leak check runs here, at the end of the session, instead of inside exit().
    Its stop-the-world tracer crashes intermittently at exit, while the
    threads of thread pools (OpenMP's, dask's, concurrent.futures') are torn
    down (google/sanitizers#1353); here they are all idle.  The check is the
    same one (an unreachable block is reported: a leaked reference, a lost
    malloc), made while every live object is still reachable; LSan then does
    not check again at exit."""
    if "detect_leaks=1" not in os.environ.get("ASAN_OPTIONS", ""):
        return
    import ctypes
    try:
        check = ctypes.CDLL(None)["__lsan_do_leak_check"]
    except AttributeError:  # not an ASan process
        return
    check()


def pytest_runtest_setup(item):
    if item.get_closest_marker("needs_compiler") is not None:
        why = compiler_missing()
        if why is not None:
            pytest.skip(f"needs a C compiler: {why}")


@pytest.fixture
def tiny_threshold():
    """Make every call with more than a couple of elements go parallel, so
    small hypothesis arrays exercise the block split across threads."""
    prev = lib.cw_set_min_parallel(4)
    try:
        yield
    finally:
        lib.cw_set_min_parallel(prev)


@pytest.fixture(scope="session", autouse=True)
def _evaluate_cache(tmp_path_factory):
    """One run-time compile cache for the whole session (corewise.evaluate):
    each expression compiles once (~0.3 s), then every test reuses it."""
    if "COREWISE_CACHE_DIR" not in os.environ:
        os.environ["COREWISE_CACHE_DIR"] = str(tmp_path_factory.mktemp("cwcache"))
    yield


@pytest.fixture(autouse=True)
def _reset_threads():
    """No test leaks a thread setting into the next."""
    yield
    corewise.set_num_threads(None)
    lib.cw_set_local_threads(0)


@pytest.fixture
def fast_path_buffers(monkeypatch):
    """Every buffer a fast path hands to C must be C-contiguous (and writable
    when asked for out=): patches the from_buffer of corewise._fast and
    corewise._general (its contiguous kernel call) to assert it, and
    returns the list of shapes seen.  Functions made after this (make_unary,
    make_binary) bind the checked version.  CPython's fast paths leave the
    check to NumPy's buffer export (from_buffer refuses the rest: verified at
    import); PyPy's check layouts themselves and never rely on it (its cpyext
    has been reported not to refuse)."""
    import corewise._fast as u
    import corewise._general as g
    assert u._PYPY or u._buffer_checks_layout()
    seen = []
    real = u._fb

    def checked(*args):
        a = args[0] if len(args) == 1 else args[1]
        c = a.c_contiguous if isinstance(a, memoryview) else a.flags.c_contiguous
        if u._PYPY:
            assert c, (a.shape, a.strides)
        b = real(*args)
        assert c, (a.shape, a.strides)
        if len(args) == 3 and args[2]:
            assert not a.readonly if isinstance(a, memoryview) else a.flags.writeable
        seen.append(a.shape)
        return b

    monkeypatch.setattr(u, "_fb", checked)
    monkeypatch.setattr(g, "_fb", checked)
    return seen
