"""corewise.ElementwiseKernel and corewise.ReductionKernel (pkg/_kernels.py).

NumPy is the oracle: each kernel's C body is also written as the NumPy
expression it computes; reductions are checked against math.fsum and are
bitwise the same for any thread count, layout and cw.sum.  CuPy's
documented examples (the kernel tutorial) are ported as they are.
Compiles share the session cache (conftest's COREWISE_CACHE_DIR)."""
import math
import multiprocessing
import os
import subprocess
import sys
import uuid

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import corewise as cw
from corewise import _compiler
from corewise._lib import lib

from hardening_util import run_threads
from oracle import assert_same, elements, in_layout

SQ = cw.ElementwiseKernel("T x, T y", "T z", "z = (x - y) * (x - y)", "squared_diff")
AXPY = cw.ElementwiseKernel("T x, T y", "T z", "z = x * y + x", "axpy")
RSUM = cw.ReductionKernel("T x", "T y", "x", "a + b", "y = a", "0", "rsum")
L2 = cw.ReductionKernel("T x", "T y", "x * x", "a + b", "y = sqrt(a)", "0", "l2norm")


@pytest.fixture
def small_blocks():
    """Reduce blocks of 16 elements: small arrays already have many tasks."""
    prev = lib.cw_set_reduce_block(16)
    try:
        yield
    finally:
        lib.cw_set_reduce_block(prev)


# ---- CuPy's documented examples ------------------------------------------------

@pytest.mark.needs_compiler
def test_cupy_squared_diff():
    k = cw.ElementwiseKernel("float32 x, float32 y", "float32 z", "z = (x - y) * (x - y)",
                             "squared_diff")
    x = np.arange(10, dtype=np.float32).reshape(2, 5)
    y = np.arange(5, dtype=np.float32)
    want = (x - y) ** 2
    assert_same(k(x, y), want)
    assert_same(k(x, 5), (x - 5) ** 2)
    z = np.empty((2, 5), dtype=np.float32)
    assert k(x, y, z) is z
    assert_same(z, want)


@pytest.mark.needs_compiler
def test_cupy_generic_type_placeholders():
    for dt in (np.float32, np.float64, np.int32, np.uint8):
        x = np.arange(10, dtype=dt).reshape(2, 5)
        y = np.arange(5, dtype=dt)
        assert_same(SQ(x, y), (x - y) * (x - y))
    with pytest.raises(TypeError, match="placeholder T"):
        SQ(np.ones(3, np.float32), np.ones(3))


@pytest.mark.needs_compiler
def test_cupy_several_placeholders():
    k = cw.ElementwiseKernel("T x, U y", "T z", "z = x + (T)y", "mixed")
    x, y = np.arange(4.0), np.arange(4, dtype=np.int8)
    assert_same(k(x, y), x + y.astype(np.float64))


@pytest.mark.needs_compiler
def test_cupy_raw_reverse():
    add_reverse = cw.ElementwiseKernel("T x, raw T y", "T z", "z = x + y[n - i - 1]",
                                       "add_reverse")
    x = np.arange(5, dtype=np.float32)
    y = np.arange(5, dtype=np.float32) * 10
    assert_same(add_reverse(x, y), x + y[::-1])
    # a raw array is whole: a non-contiguous one is indexed in C order
    y2 = np.arange(10, dtype=np.float32)[::2]
    assert_same(add_reverse(x, y2), x + y2[::-1])


@pytest.mark.needs_compiler
def test_cupy_l2norm():
    x = np.arange(10, dtype=np.float32).reshape(2, 5)
    assert_same(L2(x, axis=1), np.sqrt((x * x).sum(axis=1)))
    assert_same(L2(x, axis=1, keepdims=True), np.sqrt((x * x).sum(axis=1, keepdims=True)))
    assert_same(L2(x), np.float32(np.sqrt((x * x).sum())))


# ---- element-wise: calls -----------------------------------------------------------

@pytest.mark.needs_compiler
def test_several_outputs_and_out():
    k = cw.ElementwiseKernel("T x", "T s, T d", "s = x + 1; d = x - 1", "sd")
    x = np.arange(6.0).reshape(2, 3)
    s, d = k(x)
    assert_same(s, x + 1)
    assert_same(d, x - 1)
    so, do = np.empty_like(x), np.empty_like(x)
    r = k(x, out=(so, do))
    assert r[0] is so and r[1] is do
    assert_same(so, x + 1)
    r = k(x, None, do)        # None: allocated
    assert_same(r[0], x + 1)
    with pytest.raises(TypeError, match="both positionally and by out="):
        k(x, so, do, out=(so, do))


@pytest.mark.needs_compiler
def test_outputs_are_references():
    """CuPy's outputs are references: the body reads a given output."""
    k = cw.ElementwiseKernel("T x", "T z", "z += x", "acc")
    z = np.ones(4)
    k(np.arange(4.0), z)
    assert_same(z, 1 + np.arange(4.0))


@pytest.mark.needs_compiler
def test_index_is_c_order_in_any_layout():
    k = cw.ElementwiseKernel("T x", "int64 z", "z = i + 0 * (int64_t)x", "index")
    x = np.ones((3, 4))
    want = np.arange(12).reshape(3, 4)
    assert_same(k(x), want)
    assert_same(k(x.T), want.reshape(4, 3))
    z = np.zeros((3, 4), order="F", dtype=np.int64)
    k(x, z)
    assert_same(z, want)
    zt = np.zeros((4, 3), dtype=np.int64).T     # a transposed output
    k(x[:, ::-1], zt)
    assert_same(zt, want)


@pytest.mark.needs_compiler
def test_bool_and_integer_outputs():
    k = cw.ElementwiseKernel("T x", "bool pos, int8 s", "pos = x > 0; s = (x > 0) - (x < 0)",
                             "signs")
    x = np.linspace(-2, 2, 9)
    for v in (x, x[::-1], x.reshape(3, 3).T):
        pos, s = k(v)
        assert_same(pos, v > 0)
        assert_same(s, np.sign(v).astype(np.int8))


@pytest.mark.needs_compiler
def test_loop_size_n():
    k = cw.ElementwiseKernel("T x", "int64 z", "z = n", "size_n")
    assert_same(k(np.ones((2, 3))), np.full((2, 3), 6))


@pytest.mark.needs_compiler
def test_raw_output_and_size():
    k = cw.ElementwiseKernel("raw T x", "raw T y", "y[i] = 2 * x[n - 1 - i]", "raw_out")
    x = np.arange(5.0)
    y = np.zeros(5)
    k(x, y, size=5)
    assert_same(y, 2 * x[::-1])
    yv = np.zeros(10)[::2]                  # non-contiguous raw output: written back
    k(x, yv, size=5)
    assert_same(yv, 2 * x[::-1])
    with pytest.raises(ValueError, match="size="):
        k(x, y)
    with pytest.raises(ValueError, match="raw output 'y' must be given"):
        k(x, size=5)
    with pytest.raises(ValueError, match="only be used when every array operand is raw"):
        SQ(np.ones(3), np.ones(3), size=3)
    with pytest.raises(TypeError, match="raw parameter 'x' needs an array"):
        k(1.0, y, size=5)


@pytest.mark.needs_compiler
def test_zero_d_and_empty():
    assert SQ(np.float64(3.0), 1.0) == 4.0
    assert isinstance(SQ(np.array(3.0), 1.0), np.float64)
    r = SQ(np.ones((0, 3)), np.ones(3))
    assert r.shape == (0, 3) and r.dtype == np.float64
    z = np.array(0.0)
    assert SQ(np.array(3.0), 1.0, z) is z and z == 4.0
    assert_same(SQ(np.ones((4, 1)), np.arange(3.0)), (1 - np.arange(3.0)) ** 2 * np.ones((4, 1)))


@pytest.mark.needs_compiler
def test_broadcast_views_read_in_place_and_inputs_untouched():
    x = np.arange(12.0).reshape(3, 4)
    b = np.broadcast_to(np.arange(4.0), (3, 4))     # zero strides, read-only
    xc, bc = x.copy(), b.copy()
    assert_same(SQ(x, b), (x - b) ** 2)
    assert_same(x, xc)
    assert_same(b, bc)


@pytest.mark.needs_compiler
def test_in_place_and_overlap():
    x = np.arange(10.0)
    want = (x - 1) ** 2
    SQ(x, 1.0, x)                        # exact overlap: in place
    assert_same(x, want)
    x = np.arange(10.0)
    want = (x[:-1] - x[1:]) ** 2
    SQ(x[:-1], x[1:], x[1:])             # partial overlap: read first, as NumPy
    assert_same(x[1:], want)


@pytest.mark.needs_compiler
def test_unaligned_and_byteswapped_operands():
    buf = np.zeros(8 * 101 + 1, np.uint8)
    x = buf[1:].view(np.float64)          # C-contiguous, not aligned
    x[...] = np.arange(101.0)
    assert not x.flags.aligned
    want = (np.arange(101.0) - 1) ** 2
    assert_same(SQ(x, 1.0), want)
    assert_same(SQ(x, np.ones(101)), want)
    assert_same(RSUM(x), cw.sum(np.arange(101.0)))
    xs = np.arange(101.0).astype(">f8")
    assert_same(SQ(xs, 1.0), want)
    assert_same(RSUM(xs, axis=0), cw.sum(np.arange(101.0)))
    o = np.empty(101, ">f8")
    SQ(np.arange(101.0), 1.0, o)
    assert_same(o, want.astype(">f8"))
    ou = buf[1:].view(np.float64)         # an unaligned output
    SQ(np.arange(101.0), 1.0, ou)
    assert_same(ou, want)


@pytest.mark.needs_compiler
def test_out_cast_same_kind():
    x = np.arange(4.0)
    z = np.empty(4, np.float32)
    SQ(x, 1.0, z)                       # float64 -> float32 out: same_kind
    assert_same(z, ((x - 1) ** 2).astype(np.float32))
    with pytest.raises(TypeError, match="output 'z'"):
        SQ(x, 1.0, np.empty(4, np.int64))
    with pytest.raises(ValueError, match="output 'z' has shape"):
        SQ(x, 1.0, np.empty(5))
    with pytest.raises(ValueError, match="read-only"):
        SQ(x, 1.0, np.broadcast_to(np.empty(1), (4,)))
    with pytest.raises(TypeError, match="MaskedArray"):
        SQ(x, 1.0, np.ma.masked_array(np.empty(4)))
    with pytest.raises(TypeError, match="MaskedArray"):
        SQ(np.ma.masked_array(x), 1.0)


@pytest.mark.needs_compiler
def test_type_rules():
    k = cw.ElementwiseKernel("int64 x, float64 y", "float64 z", "z = x * y", "typed")
    xi = np.arange(4, dtype=np.int32)
    assert_same(k(xi, np.ones(4)), xi.astype(np.float64))     # int32 -> int64: cast
    assert_same(k(2, 1.5), np.float64(3.0))                   # Python scalars
    with pytest.raises(TypeError, match="parameter 'x'"):
        k(np.ones(4), np.ones(4))                              # float64 -> int64: no
    with pytest.raises(TypeError, match="parameter 'x'"):
        k(1.5, np.ones(4))
    with pytest.raises(OverflowError, match="parameter 'x'"):
        k(2**70, np.ones(4))
    with pytest.raises(TypeError, match="cannot determine the type"):
        cw.ElementwiseKernel("float64 x", "T z", "z = x", "undetermined")(np.ones(2))
    # a placeholder bound only by Python scalars takes NumPy's default dtype
    assert SQ(3, 1).dtype == np.int64
    assert SQ(3.0, 1).dtype == np.float64
    with pytest.raises(TypeError, match="'y'"):
        SQ(np.arange(3), 0.5)                                  # float -> int placeholder
    with pytest.raises(TypeError, match="takes 2 input"):
        SQ(np.ones(2))
    with pytest.raises(ValueError, match="could not be broadcast"):
        SQ(np.ones(2), np.ones(3))
    with pytest.raises(TypeError, match="complex"):
        SQ(np.ones(2, complex), np.ones(2, complex))


@pytest.mark.parametrize("params", [
    "T x,", "T", "T 1x", "T x y z", "T int", "T i", "T n", "T cw_x", "float128 x",
    "complex128 x", "foo x", "T x; system", "T x, T x", "T x\n#define", "object x",
    "raw x", "T a"])
def test_malformed_signatures(params):
    with pytest.raises(ValueError):
        cw.ElementwiseKernel(params, "T z_out", "z_out = 0", "bad_sig")


def test_malformed_kernel_arguments():
    with pytest.raises(ValueError, match="name"):
        cw.ElementwiseKernel("T x", "T z", "z = x", "not an identifier")
    with pytest.raises(ValueError, match="duplicate"):
        cw.ElementwiseKernel("T x", "T x", "x = x", "dup")
    with pytest.raises(ValueError, match="empty"):
        cw.ElementwiseKernel("T x", "T z", "  ", "empty")
    with pytest.raises(TypeError):
        cw.ElementwiseKernel(["T x"], "T z", "z = x", "listy")
    with pytest.raises(ValueError, match="output parameter"):
        cw.ElementwiseKernel("T x", "", "x;", "noout")


@pytest.mark.needs_compiler
def test_table_functions_are_type_generic():
    k = cw.ElementwiseKernel("T x", "int32 s", "s = (int32_t)sizeof(sqrt(x))", "sizes")
    assert k(np.ones(1, np.float32))[0] == 4
    assert k(np.ones(1))[0] == 8
    # correctly rounded rows: bitwise cw.<name>; libm rows within their ULP bound
    # (cw's own contiguous loops may call the vector variants of libmvec)
    k = cw.ElementwiseKernel("T x, T y", "T z", "z = sqrt(x) * cw_square(y) + fmax(x, y)",
                             "cr_fns")
    f = cw.ElementwiseKernel("T x, T y", "T z", "z = cw_logaddexp(x, y) + hypot(x, tanh(y))",
                             "libm_fns")
    for dt in (np.float32, np.float64):
        x = np.linspace(0.1, 9, 301).astype(dt)
        y = x[::-1]
        assert_same(k(x, y), cw.add(cw.multiply(cw.sqrt(x), cw.square(y)), cw.fmax(x, y)))
        want = cw.add(cw.logaddexp(x, y), cw.hypot(x, cw.tanh(y)))
        assert_same(f(x, y), want, "ulp", ulp=4)


@pytest.mark.needs_compiler
def test_preamble():
    k = cw.ElementwiseKernel("T x", "T z", "z = twice(x) + 1", "pre",
                             preamble="static inline double twice(double v) { return 2 * v; }")
    assert_same(k(np.arange(3.0)), 2 * np.arange(3.0) + 1)


@pytest.mark.needs_compiler
def test_floating_point_errors_follow_errstate():
    k = cw.ElementwiseKernel("T x, T y", "T z", "z = x / y", "fdiv")
    with np.errstate(divide="raise"):
        with pytest.raises(FloatingPointError, match="divide by zero encountered in fdiv"):
            k(np.ones(3), np.zeros(3))
    with np.errstate(divide="ignore"):
        assert np.isinf(k(np.ones(3), np.zeros(3))).all()


# ---- element-wise: hypothesis against NumPy ----------------------------------------

DTYPES = (np.float32, np.float64, np.int8, np.int32, np.int64, np.uint16, np.uint64)


@st.composite
def _pair(draw):
    dt = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = tuple(draw(st.lists(st.integers(0, 5), max_size=4)))
    tail = shape[len(shape) - draw(st.integers(0, len(shape))):]
    yshape = draw(st.tuples(*[st.sampled_from((1, n)) for n in tail]))
    xv = draw(hnp.arrays(dt, shape, elements=elements(dt)))
    yv = draw(hnp.arrays(dt, yshape, elements=elements(dt)))
    return draw(in_layout(xv)), draw(in_layout(yv)), draw(st.sampled_from((1, 2, 3)))


@pytest.mark.needs_compiler
@given(_pair())
def test_elementwise_matches_numpy(tiny_threshold, case):
    x, y, nt = case
    with np.errstate(all="ignore"):
        want = x * y + x
        with cw.threads(nt):
            got = AXPY(x, y)
    assert_same(got, want)


@pytest.mark.needs_compiler
@given(_pair())
def test_index_kernel_any_layout(tiny_threshold, case):
    x, y, nt = case
    k = cw.ElementwiseKernel("T x, T y", "int64 z", "z = i", "flat_index")
    shape = np.broadcast_shapes(x.shape, y.shape)
    with cw.threads(nt):
        want = np.arange(math.prod(shape), dtype=np.int64).reshape(shape)
        assert_same(k(x, y), want[()] if want.ndim == 0 else want)


# ---- reductions ------------------------------------------------------------------

@st.composite
def _reduction_case(draw):
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=0, max_size=4)))
    v = draw(hnp.arrays(np.float64, shape, elements=st.floats(-1e6, 1e6)))
    nd = len(shape)
    axis = draw(st.one_of(st.none(), st.integers(-nd, nd - 1) if nd else st.none(),
                          st.lists(st.integers(0, max(nd - 1, 0)), unique=True, max_size=nd)
                          .map(tuple)))
    return v, draw(in_layout(v)), axis, draw(st.booleans())


@pytest.mark.needs_compiler
@given(_reduction_case())
def test_reduction_bitwise_for_any_thread_count_and_layout(tiny_threshold, small_blocks,
                                                           case):
    v, view, axis, keepdims = case
    got = []
    for nt in (1, 2, 3):
        with cw.threads(nt):
            got.append(RSUM(view, axis=axis, keepdims=keepdims))
            got.append(RSUM(v, axis=axis, keepdims=keepdims))
    for g in got[1:]:
        assert_same(g, got[0])
    want = np.sum(v, axis=axis, keepdims=keepdims)
    assert np.shape(got[0]) == np.shape(want)
    # against math.fsum: the error bound of cw.sum's tree
    ax = tuple(range(v.ndim)) if axis is None else (axis if type(axis) is tuple else (axis,))
    moved = np.moveaxis(v, [a % v.ndim for a in ax] if v.ndim else [],
                        list(range(v.ndim - len(ax), v.ndim)) if v.ndim else [])
    flat = moved.reshape(moved.shape[:moved.ndim - len(ax)] + (-1,))
    exact = np.array([math.fsum(r) for r in flat.reshape(-1, flat.shape[-1])])
    absum = np.abs(flat).sum(axis=-1).ravel()
    n = flat.shape[-1]
    bound = (12 + math.ceil(math.log2(max(n / 256, 1))) + 2) * 2.0**-52 * absum
    assert (np.abs(np.ravel(got[0]) - exact) <= bound).all()


@pytest.mark.needs_compiler
def test_reduction_is_cw_sum_bitwise():
    """The tree of cw.sum, element for element: the same float64 bits."""
    rng = np.random.default_rng(1)
    for n in (1, 31, 256, 257, 8193, 100_003, 1 << 20):
        x = rng.standard_normal(n) * 10.0 ** rng.integers(-8, 8, n)
        for nt in (1, 2):
            with cw.threads(nt):
                assert_same(RSUM(x), cw.sum(x))
        m = x[: n - n % 7].reshape(-1, 7) if n >= 7 else x.reshape(1, -1)
        assert_same(RSUM(m, axis=1), cw.sum(m, axis=1))


@pytest.mark.needs_compiler
def test_reduction_large_against_fsum():
    x = np.random.default_rng(2).standard_normal(3_000_001)
    got = RSUM(x)
    assert abs(got - math.fsum(x)) <= 40 * 2.0**-52 * np.abs(x).sum()
    with cw.threads(1):
        assert_same(RSUM(x), got)


@pytest.mark.needs_compiler
def test_reduction_kinds():
    x = np.random.default_rng(3).standard_normal((50, 40))
    rmax = cw.ReductionKernel("T x", "T y", "x", "a > b ? a : b", "y = a", "-INFINITY", "rmax")
    assert_same(rmax(x, axis=0), x.max(axis=0))
    dot = cw.ReductionKernel("T x, T y", "T z", "x * y", "a + b", "z = a", "0", "rdot")
    y = x[::-1].copy()
    assert np.allclose(dot(x, y, axis=1), (x * y).sum(axis=1), rtol=1e-13, atol=1e-12)
    icount = cw.ReductionKernel("T x", "int64 c", "x > 0", "a + b", "c = a", "0", "npos")
    assert_same(icount(x, axis=(0, 1)), np.int64((x > 0).sum()))
    # reduce_type: float32 data accumulated in double, the result rounded once
    f = np.full(1 << 20, 0.1, np.float32)
    s32 = cw.ReductionKernel("T x", "T y", "x", "a + b", "y = (T)a", "0", "s32d",
                             reduce_type="double")
    assert s32(f) == np.float32(math.fsum(f.astype(np.float64)))


@pytest.mark.needs_compiler
def test_reduction_broadcast_scalars_and_fpe():
    x = np.arange(12.0).reshape(3, 4)
    dot = cw.ReductionKernel("T x, T y", "T z", "x * y", "a + b", "z = a", "0", "rdot2")
    assert_same(dot(x, 2.0, axis=1), (2 * x).sum(axis=1))
    assert_same(dot(x, np.arange(4.0), axis=0), (x * np.arange(4.0)).sum(axis=0))
    big = np.full(4, 1e308)
    with np.errstate(over="raise"):
        with pytest.raises(FloatingPointError, match="overflow encountered in rsum"):
            RSUM(big)
    with np.errstate(over="ignore"):
        assert RSUM(big) == np.inf


@pytest.mark.needs_compiler
def test_reduction_empty_and_out():
    assert RSUM(np.ones((0, 3))) == 0.0
    assert_same(RSUM(np.ones((0, 3)), axis=0), np.zeros(3))
    assert RSUM(np.ones((3, 0)), axis=0).shape == (0,)
    x = np.arange(12.0).reshape(3, 4)
    o = np.empty(3)
    assert RSUM(x, axis=1, out=o) is o
    assert_same(o, x.sum(axis=1))
    o2 = np.empty((3, 1), np.float32)
    RSUM(x, o2, axis=1, keepdims=True)         # positional output, same_kind cast
    assert_same(o2, x.sum(axis=1, keepdims=True).astype(np.float32))
    with pytest.raises(ValueError, match="shape"):
        RSUM(x, axis=1, out=np.empty(4))
    with pytest.raises(np.exceptions.AxisError):
        RSUM(x, axis=2)
    with pytest.raises(ValueError, match="duplicate"):
        RSUM(x, axis=(1, 1))
    assert_same(RSUM(x, axis=()), x)


def test_reduction_signature_errors():
    with pytest.raises(ValueError, match="raw"):
        cw.ReductionKernel("raw T x", "T y", "x", "a + b", "y = a", "0", "r")
    with pytest.raises(ValueError, match="reserved"):
        cw.ReductionKernel("T a", "T y", "a", "a + b", "y = a", "0", "r")
    with pytest.raises(ValueError, match="identity is empty"):
        cw.ReductionKernel("T x", "T y", "x", "a + b", "y = a", "", "r")
    with pytest.raises(ValueError, match="unknown type"):
        cw.ReductionKernel("T x", "T y", "x", "a + b", "y = a", "0", "r", reduce_type="quad")


# ---- compile errors, the cache, concurrency ---------------------------------------------

@pytest.mark.needs_compiler
def test_compile_error_maps_lines_to_the_body():
    k = cw.ElementwiseKernel("T x", "T z", "double t = x;\nz = t +* ;", "broken")
    with pytest.raises(cw.CompileError) as ei:
        k(np.ones(2))
    e = ei.value
    assert isinstance(e, RuntimeError)
    assert e.kernel == "broken"
    assert "'broken'" in str(e)
    assert "broken.operation:2:" in str(e)
    assert "z = t +* ;" in str(e)
    assert "broken.operation:2:" in e.diagnostic
    r = cw.ReductionKernel("T x", "T y", "x", "a + + ", "y = a", "0", "rbroken")
    with pytest.raises(cw.CompileError, match=r"rbroken\.reduce_expr:1:"):
        r(np.ones(2))
    p = cw.ElementwiseKernel("T x", "T z", "z = x", "pbroken", preamble="int f( {")
    with pytest.raises(cw.CompileError, match=r"pbroken\.preamble:1:"):
        p(np.ones(2))


def _unique_kernel():
    k = uuid.uuid4().int % 10**9
    return cw.ElementwiseKernel("T x", "T z", f"z = x * {k}", "uniq"), k


def _so_files(d):
    return [n for n in os.listdir(d) if n.endswith(".so")]


def test_no_compiler_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("COREWISE_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CC", "/nonexistent/cc")
    _compiler._config.cache_clear()
    try:
        k, _ = _unique_kernel()
        with pytest.raises(cw.CompileError, match="no C compiler"):
            k(np.ones(2))
    finally:
        monkeypatch.undo()
        _compiler._config.cache_clear()


@pytest.mark.needs_compiler
def test_cache_memory_and_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("COREWISE_CACHE_DIR", str(tmp_path))
    k, c = _unique_kernel()
    x = np.arange(5.0)
    assert_same(k(x), x * c)
    assert len(_so_files(tmp_path)) == 1
    assert_same(k(x.astype(np.float32)), x.astype(np.float32) * np.float32(c))    # new dtypes
    assert len(_so_files(tmp_path)) == 2
    assert_same(k(x[::2]), x[::2] * c)                                  # new layout class
    assert len(_so_files(tmp_path)) == 3
    k2 = cw.ElementwiseKernel("T x", "T z", f"z = x * {c}", "uniq")     # same source
    assert_same(k2(x), x * c)
    assert len(_so_files(tmp_path)) == 3
    st0 = {n: os.stat(tmp_path / n).st_mtime_ns for n in _so_files(tmp_path)}
    code = ("import numpy as np, corewise as cw\n"
            f"k = cw.ElementwiseKernel('T x', 'T z', 'z = x * {c}', 'uniq')\n"
            f"assert np.array_equal(k(np.arange(5.0)), np.arange(5.0) * {c})\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=300, env=dict(os.environ, COREWISE_CACHE_DIR=str(tmp_path)))
    assert r.returncode == 0, r.stderr
    assert {n: os.stat(tmp_path / n).st_mtime_ns for n in _so_files(tmp_path)} == st0


@pytest.mark.needs_compiler
def test_concurrent_first_calls_threads(tmp_path, monkeypatch):
    monkeypatch.setenv("COREWISE_CACHE_DIR", str(tmp_path))
    k, c = _unique_kernel()
    x = np.arange(100_000.0)
    results = []
    run_threads(lambda i: results.append(k(x)), 6)
    assert len(results) == 6
    for r in results:
        assert_same(r, x * c)
    assert sorted(os.listdir(tmp_path)) == _so_files(tmp_path) and len(_so_files(tmp_path)) == 1


def _fork_worker(n):
    x = np.arange(float(n))
    return bool(np.array_equal(SQ(x, 1.0), (x - 1) ** 2)) and bool(
        RSUM(x) == cw.sum(x))


@pytest.mark.needs_compiler
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_after_parallel_kernels():
    x = np.arange(1 << 20, dtype=np.float64)
    cw.set_num_threads(2)
    assert_same(SQ(x, 1.0), (x - 1) ** 2)      # the parent ran parallel regions
    RSUM(x)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        assert all(pool.map(_fork_worker, [1 << 20] * 4, chunksize=1))
