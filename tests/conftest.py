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
# CI's second stages (PyPy, and ASan beside it): every test still runs, with
# fewer examples; the CPython stage runs the full 300
settings.register_profile(
    "light", deadline=None, max_examples=75,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture])
settings.register_profile(
    "sanitizer", deadline=None, max_examples=30,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


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
