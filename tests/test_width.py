"""Index width: more than 2**31 elements, and byte offsets beyond 2**31,
in every kernel path (README, "Hardening").

Counters past 2**31 are exercised without memory by zero-stride arrays;
byte offsets past 2**31 (i * stride, idx * stride in the n-d loop, negative
too) by views of a sparse anonymous mapping, whose untouched pages cost no
memory.  The C entry points are called directly where the facade would
need real memory for the output.  CW_SLOW=1 adds every function and one real
> 2**31-element float32 case through the facade (8.6 GB + a
2 GB mask)."""
import mmap
import os

import numpy as np
import pytest

import corewise as cw
from corewise._lib import ffi, lib
from corewise._ufunc import OPS
from hardening_util import FUNCS

BIG = 2**31 + 10
SLOW = bool(os.environ.get("CW_SLOW"))
slow = pytest.mark.skipif(not SLOW, reason="set CW_SLOW=1 (a minute, 13 GB)")
UNARY = [op for op in OPS if op.nin == 1]
# Without CW_SLOW, the counters are checked on the first op only: the drivers
# and the loop template are shared by every op of the table.
WIDE_OPS = UNARY if SLOW else UNARY[:1]
CODES = {np.dtype(np.float32): lib.CW_F32, np.dtype(np.float64): lib.CW_F64}


def _p(a):
    return ffi.cast("char *", a.__array_interface__["data"][0])


def _sparse(nbytes):
    """A private anonymous mapping: reading untouched pages maps the zero
    page, so only the pages actually touched cost memory."""
    mm = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    return mm, np.frombuffer(mm, np.uint8)


def _expected(op, dt, v):
    with np.errstate(all="ignore"):
        return op.ufunc(np.array([v], dt))[0]


@pytest.mark.parametrize("dt", list(CODES) if SLOW else [np.dtype(np.float32)], ids=str)
@pytest.mark.parametrize("op", WIDE_OPS, ids=lambda op: op.name)
def test_more_than_2_31_elements_strided_1d(op, dt):
    """One 1-D run of 2**31 + 10 elements, zero strides on both sides."""
    x = np.array([4.0], dt)
    y = np.array([-1.0], dt)
    with cw.threads(max(2, lib.cw_num_procs())):
        rc = lib.cw_unary_strided(op.id, CODES[dt], 1, ffi.new("ptrdiff_t[]", [BIG]), _p(x),
                                  ffi.new("ptrdiff_t[]", [0]), _p(y),
                                  ffi.new("ptrdiff_t[]", [0]))
    assert rc & lib.CW_STATUS_MASK == 0
    assert y[0] == _expected(op, dt, 4.0)


@pytest.mark.parametrize("inner", [2**30 + 8, 1000], ids=["2^31+16-elements", "2000-elements"])
@pytest.mark.parametrize("op", WIDE_OPS, ids=lambda op: op.name)
def test_more_than_2_31_elements_nd_with_offsets_past_2_31_bytes(op, inner):
    """2 x inner elements of which the outer index jumps 2**32 + 8 bytes
    (forwards; backwards with the short inner run, also every run under
    CW_SLOW) -- both the element count and idx * stride pass 2**31; the
    output is one zero-stride element."""
    dt = np.dtype(np.float64)
    mm, buf = _sparse(2**32 + 4096)
    base = buf[: 2**32 + 16].view(dt)       # 8-byte aligned: mmap is page aligned
    try:
        base[0], base[-1] = 9.0, 16.0
        shape = ffi.new("ptrdiff_t[]", [2, inner])
        zero = ffi.new("ptrdiff_t[]", [0, 0])
        runs = ((0, 2**32 + 8), (2**32 + 8, -(2**32 + 8)))
        for start, step in runs if (SLOW or inner < 2**30) else runs[:1]:
            y = np.array([-1.0])
            with cw.threads(max(2, lib.cw_num_procs())):
                rc = lib.cw_unary_strided(op.id, lib.CW_F64, 2, shape, _p(buf) + start,
                                          ffi.new("ptrdiff_t[]", [step, 0]), _p(y), zero)
            assert rc & lib.CW_STATUS_MASK == 0
            # the last element written is x[1, -1], 2**32 + 8 bytes from x[0]
            assert y[0] == _expected(op, dt, 16.0 if step > 0 else 9.0)
    finally:
        del base, buf
        mm.close()


@pytest.mark.parametrize("fn", FUNCS, ids=repr)
@pytest.mark.parametrize("dt", list(CODES), ids=str)
def test_facade_reads_views_spanning_more_than_2_31_bytes(fn, dt):
    """Through the facade: views whose strides are 2**32 bytes (positive and
    negative, several dims), read in place."""
    dt = np.dtype(dt)
    mm, buf = _sparse(3 * 2**32 + 4096)
    try:
        vals = np.array([0.25, 0.5, 2.0, 4.0], dt)
        offs = [0, 2**32, 2 * 2**32, 3 * 2**32]
        for v, o in zip(vals, offs):
            buf[o: o + dt.itemsize] = np.frombuffer(v.tobytes(), np.uint8)
        views = [
            np.ndarray((4,), dt, buffer=buf, offset=0, strides=(2**32,)),
            np.ndarray((4,), dt, buffer=buf, offset=3 * 2**32, strides=(-(2**32),)),
            np.ndarray((2, 2), dt, buffer=buf, offset=0, strides=(2 * 2**32, 2**32)),
            np.ndarray((2, 2), dt, buffer=buf, offset=0, strides=(2**32, 2 * 2**32)),
        ]
        for v in views:
            with np.errstate(all="ignore"):
                # exact functions: NumPy's bits; the others: corewise's own
                # bits on a contiguous copy (results never depend on layout)
                ref = fn.numpy if fn.max_ulp == 0 else fn
                want = ref(*(np.array(v),) * fn.nin)
                got = fn(*(v,) * fn.nin)
                out = np.empty_like(want)
                fn(*(v,) * fn.nin, out=out)
            assert got.tobytes() == want.tobytes() == out.tobytes()
        del views, v
    finally:
        del buf
        mm.close()


def _mem_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


@slow
def test_real_float32_array_of_more_than_2_31_elements():
    """The contiguous kernel (in place and not) and the strided one (a
    broadcast input) through the facade, on 2**31 + 16 real float32s -- for
    the first function, and corewise.evaluate's generated loop (about a minute on 2 cores, mostly page faults): the
    drivers are shared by the whole table, whose every op the zero-stride
    tests above run with CW_SLOW=1."""
    n = 2**31 + 16
    if _mem_available() < 3 * 4 * n // 2:          # the array + a bool mask of it
        pytest.skip("needs 13 GB of free memory")
    for fn in FUNCS[:1]:
        with np.errstate(all="ignore"):
            want = np.float32(fn.numpy(*(np.float32(4.0),) * fn.nin))
            y = np.full(n, 4.0, np.float32)
            assert fn(*(y,) * fn.nin, out=y) is y                     # contiguous, in place
            assert y[0] == y[2**31 + 3] == y[-1] == want and bool(np.all(y == want))
            y[:] = -1
            fn(*(np.broadcast_to(np.float32(4.0), (n,)),) * fn.nin, out=y)   # zero-stride in
            assert y[0] == y[2**31 + 3] == y[-1] == want and bool(np.all(y == want))
            del y
            if fn.nin == 1:
                z = fn(np.full(n, 4.0, np.float32))                   # fresh result
                assert z.size == n and z[-1] == want and bool(np.all(z == want))
                del z
    if hasattr(cw, "evaluate"):                     # the generated strided loop
        y = np.full(n, -1.0, np.float32)
        cw.evaluate("a * b + 1", {"a": np.broadcast_to(np.float32(2.0), (n,)),
                                  "b": np.float32(3.0)}, out=y)
        assert y[0] == y[2**31 + 3] == y[-1] == 7.0 and bool(np.all(y == 7.0))
