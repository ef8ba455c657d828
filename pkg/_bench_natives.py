"""bench --natives: NumPy's other element-wise names (issue 16) on 4M
elements (--natives-size), corewise at each thread count against NumPy in
the same run, interleaved.  Compute-bound rows (integer division, gcd,
fmod-based floor_divide/remainder and divmod, hypot) are judged by the
speed-up over NumPy; memory-bound ones (bitwise, shifts, truth values,
heaviside, and the bit-level nextafter, spacing, modf, frexp, ldexp) also
get the parallel copy of the bytes they move (copy-roof).  The CW_MULTI
rows: divmod, modf, frexp (two outputs, out= a tuple), ldexp with an int32
and an int64 exponent; float64 frexp and int32-exponent ldexp have no
native loop (csrc/ops.def), so their rows time NumPy's twin: what the
fallback costs."""
import numpy as np

from ._lib import ffi, lib


def _cases(rng, n):
    i64 = rng.integers(-2**62, 2**62, n)
    j64 = rng.integers(1, 2**20, n) * rng.choice([-1, 1], n)
    sh = rng.integers(0, 64, n)
    f = rng.standard_normal(n) * 1e3
    g = rng.standard_normal(n)
    f32, g32 = f.astype(np.float32), g.astype(np.float32)
    e64 = rng.integers(-200, 200, n)
    # (name, args, memory-bound?)
    return [("bitwise_and", (i64, j64), True), ("left_shift", (i64, sh), True),
            ("right_shift", (i64, sh), True), ("invert", (i64,), True),
            ("logical_and", (f, g), True), ("heaviside", (f, g), True),
            ("floor_divide", (i64, j64), False), ("gcd", (i64, j64), False),
            ("floor_divide", (f, g), False), ("remainder", (f, g), False),
            ("hypot", (f, g), False), ("hypot", (f32, g32), False),
            ("nextafter", (f, g), True), ("spacing", (f,), True),
            ("divmod", (f, g), False), ("divmod", (i64, j64), False), ("modf", (f,), True),
            ("frexp", (f,), True), ("ldexp", (g, e64.astype(np.int32)), True),
            ("ldexp", (g32, e64), True)]


def _outputs(r):
    """The results of a call as a tuple (one array for a one-output row)."""
    return r if isinstance(r, tuple) else (r,)


def bench_natives(rows, tcounts, repeats, n):
    import corewise as cw
    from ._bench import _scaling
    rng = np.random.default_rng(16)
    size = f"{n // 2**20}M" if n % 2**20 == 0 else str(n)
    for name, args, membound in _cases(rng, n):
        npf, cwf = getattr(np, name), getattr(cw, name)
        with np.errstate(all="ignore"):
            want = _outputs(npf(*args))
            zs = tuple(np.empty_like(w) for w in want)
            z = zs if len(zs) > 1 else zs[0]
            assert all(np.array_equal(g, w, equal_nan=True)
                       for g, w in zip(_outputs(cwf(*args)), want)), name
        case = f"{name}-{size}-{'-'.join(a.dtype.name for a in args)}" \
            if name == "ldexp" else f"{name}-{size}-{args[0].dtype.name}"
        kw = {}
        if membound:
            moved = sum(a.nbytes for a in args) + sum(o.nbytes for o in zs)
            half = moved // 2
            src = np.ones(half // 8 + 1)
            dst = np.empty_like(src)
            sb, db = ffi.from_buffer(src), ffi.from_buffer(dst)
            kw = dict(nbytes=moved, roof_fn=lambda: lib.cw_parallel_copy(half, sb, db))

        def np_call():
            with np.errstate(all="ignore"):
                npf(*args, out=z)

        def cw_call():
            with np.errstate(all="ignore"):
                cwf(*args, out=z)
        _scaling(rows, case, np_call, cw_call, tcounts, max(3, repeats // 2), 0.05, **kw)
