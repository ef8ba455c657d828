"""Every public family (element-wise, reductions, dot, selections,
evaluate) on unaligned arrays: a view at an odd byte offset must give the
same bits as an aligned copy -- results never depend on memory layout --
and must not be read with typed (vector) loads, which is undefined
behaviour that UBSan reports under `make asan` (README, "Hardening")."""
import numpy as np
import pytest

import corewise as cw
from hardening_util import family_calls
from oracle import same

CALLS = family_calls()


def _unaligned(a, offset):
    buf = bytearray(a.nbytes + 16)
    u = np.ndarray(a.shape, a.dtype, buffer=buf, offset=offset)
    u[...] = a
    return u


@pytest.mark.parametrize("label,f", CALLS, ids=[c[0] for c in CALLS])
@pytest.mark.parametrize("dt", ["<f4", "<f8"])
def test_unaligned_equals_aligned(label, f, dt, tiny_threshold):
    rng = np.random.default_rng(3)
    a = rng.uniform(0, 1, size=(12, 101)).astype(dt)
    a[::5, ::7] = 0.0
    for offset in (1, 3, 4):
        for x in (a, a[:, 1:], a[3]):
            u = _unaligned(np.ascontiguousarray(x), offset)
            assert not u.flags.aligned or offset % np.dtype(dt).itemsize == 0
            with np.errstate(all="ignore"):
                for nt in (1, 2):
                    with cw.threads(nt):
                        assert same(f(u), f(np.ascontiguousarray(x)), types=False), \
                            (label, offset, nt)


OUT_CALLS = [(fn.name, lambda x, out, fn=fn: fn(*(x,) * fn.nin, out=out))
             for fn in __import__("hardening_util").FUNCS]
if hasattr(cw, "evaluate"):
    OUT_CALLS.append(("evaluate", lambda x, out: cw.evaluate("sqrt(a * a + 1) * 2 - a",
                                                             {"a": x}, out=out)))


@pytest.mark.parametrize("label,f", OUT_CALLS, ids=[c[0] for c in OUT_CALLS])
@pytest.mark.parametrize("dt", ["<f4", "<f8"])
def test_unaligned_out(label, f, dt, tiny_threshold):
    a = np.random.default_rng(4).uniform(0, 1, size=(7, 301)).astype(dt)
    with np.errstate(all="ignore"):
        want = f(a, np.empty_like(a))
        for offset in (1, 2, 5):
            for x in (a, _unaligned(a, 8 - offset)):
                out = _unaligned(np.zeros_like(a), offset)
                assert f(x, out) is out
                assert same(out, want), (label, offset)
