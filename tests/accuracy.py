"""The accuracy contract, measured: error in ULP against mpmath.

Every row of the C table whose contract is not 0 ULP has an entry in
DOMAINS (the test asserts that), from which inputs are drawn: uniformly
over the domain, log-uniformly over its magnitudes, and the function's hard
regions.  ``python tests/accuracy.py`` prints the measured maxima next to
the table's values as a Markdown table (the README's accuracy table).
"""
import math
import sys

import mpmath
import numpy as np

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)

mpmath.mp.prec = 128
_mp = mpmath.mp
_LN2 = mpmath.log(2)

# name: (mpmath reference, {dtype: [(lo, hi), ...]} domains per input, hard points)
_BIG = {F32: 3e38, F64: 1.7e308}


def _dom(f32, f64):
    return {F32: f32, F64: f64}


REFERENCE = {
    "cbrt": lambda x: mpmath.sign(x) * mpmath.cbrt(abs(x)),
    "exp": mpmath.exp,
    "exp2": lambda x: mpmath.power(2, x),
    "expm1": mpmath.expm1,
    "log": mpmath.log,
    "log2": lambda x: mpmath.log(x, 2),
    "log10": mpmath.log10,
    "log1p": mpmath.log1p,
    "sin": mpmath.sin,
    "cos": mpmath.cos,
    "tan": mpmath.tan,
    "arcsin": mpmath.asin,
    "arccos": mpmath.acos,
    "arctan": mpmath.atan,
    "sinh": mpmath.sinh,
    "cosh": mpmath.cosh,
    "tanh": mpmath.tanh,
    "arcsinh": mpmath.asinh,
    "arccosh": mpmath.acosh,
    "arctanh": mpmath.atanh,
    "deg2rad": lambda x: x * mpmath.pi / 180,
    "rad2deg": lambda x: x * 180 / mpmath.pi,
    "power": mpmath.power,
    "hypot": mpmath.hypot,
    "arctan2": mpmath.atan2,
    "logaddexp": lambda x, y: mpmath.log(mpmath.exp(x) + mpmath.exp(y)),
    "float_power": mpmath.power,
    "logaddexp2": lambda x, y: mpmath.log(mpmath.power(2, x) + mpmath.power(2, y), 2),
    "degrees": lambda x: x * 180 / mpmath.pi,
    "radians": lambda x: x * mpmath.pi / 180,
}

# Domains (per input, per dtype) where results are finite and normal;
# the hard regions are added as extra (lo, hi) ranges.
DOMAINS = {
    "cbrt": _dom([(-3e38, 3e38), (-1e-30, 1e-30)], [(-1.7e308, 1.7e308), (-1e-300, 1e-300)]),
    "exp": _dom([(-87, 88), (-1e-6, 1e-6)], [(-708, 709), (-1e-12, 1e-12)]),
    "exp2": _dom([(-126, 127), (-1e-6, 1e-6)], [(-1022, 1023), (-1e-12, 1e-12)]),
    "expm1": _dom([(-20, 88), (-1e-6, 1e-6)], [(-40, 709), (-1e-12, 1e-12)]),
    "log": _dom([(1e-37, 3e38), (0.9, 1.1)], [(1e-307, 1.7e308), (0.9, 1.1)]),
    "log2": _dom([(1e-37, 3e38), (0.9, 1.1)], [(1e-307, 1.7e308), (0.9, 1.1)]),
    "log10": _dom([(1e-37, 3e38), (0.9, 1.1)], [(1e-307, 1.7e308), (0.9, 1.1)]),
    "log1p": _dom([(-0.999, 3e38), (-1e-6, 1e-6)], [(-0.999999, 1.7e308), (-1e-12, 1e-12)]),
    "sin": _dom([(-100, 100), (-3e38, 3e38), (-1e-4, 1e-4)],
                [(-100, 100), (-1e22, 1e22), (-1.7e308, 1.7e308), (-1e-8, 1e-8)]),
    "cos": _dom([(-100, 100), (-3e38, 3e38)],
                [(-100, 100), (-1e22, 1e22), (-1.7e308, 1.7e308)]),
    "tan": _dom([(-100, 100), (-3e38, 3e38), (-1e-4, 1e-4)],
                [(-100, 100), (-1e22, 1e22), (-1.7e308, 1.7e308), (-1e-8, 1e-8)]),
    "arcsin": _dom([(-1, 1), (-1e-4, 1e-4)], [(-1, 1), (-1e-8, 1e-8)]),
    "arccos": _dom([(-1, 1)], [(-1, 1)]),
    "arctan": _dom([(-3e38, 3e38), (-4, 4)], [(-1.7e308, 1.7e308), (-4, 4)]),
    "sinh": _dom([(-88, 88), (-1e-3, 1e-3)], [(-709, 709), (-1e-8, 1e-8)]),
    "cosh": _dom([(-88, 88)], [(-709, 709)]),
    "tanh": _dom([(-10, 10), (-1e-3, 1e-3)], [(-20, 20), (-1e-8, 1e-8)]),
    "arcsinh": _dom([(-3e38, 3e38), (-1e-3, 1e-3)], [(-1.7e308, 1.7e308), (-1e-8, 1e-8)]),
    "arccosh": _dom([(1, 3e38), (1, 1.01)], [(1, 1.7e308), (1, 1.0001)]),
    "arctanh": _dom([(-1, 1), (-1e-3, 1e-3)], [(-1, 1), (-1e-8, 1e-8)]),
    "deg2rad": _dom([(-3e38, 3e38)], [(-1.7e308, 1.7e308)]),
    "rad2deg": _dom([(-5e36, 5e36)], [(-3e306, 3e306)]),
    "power": (_dom([(1e-3, 100)], [(1e-3, 1e3)]), _dom([(-15, 15)], [(-100, 100)])),
    "hypot": (_dom([(-1e38, 1e38), (-1, 1)], [(-1e308, 1e308), (-1, 1)]),
              _dom([(-1e38, 1e38), (-1, 1)], [(-1e308, 1e308), (-1, 1)])),
    "arctan2": (_dom([(-1e38, 1e38), (-1, 1)], [(-1e308, 1e308), (-1, 1)]),
                _dom([(-1e38, 1e38), (-1, 1)], [(-1e308, 1e308), (-1, 1)])),
    "logaddexp": (_dom([(-80, 80)], [(-700, 700)]), _dom([(-80, 80)], [(-700, 700)])),
    "float_power": (_dom([(1e-3, 100)], [(1e-3, 1e3)]), _dom([(-15, 15)], [(-100, 100)])),
    "logaddexp2": (_dom([(-120, 120)], [(-1000, 1000)]), _dom([(-120, 120)], [(-1000, 1000)])),
    "degrees": _dom([(-5e36, 5e36)], [(-3e306, 3e306)]),
    "radians": _dom([(-3e38, 3e38)], [(-1.7e308, 1.7e308)]),
}


def sample(rng, ranges, dtype, n):
    """n values from the ranges: half uniform, half log-uniform in magnitude."""
    out = []
    per = max(1, n // len(ranges))
    for lo, hi in ranges:
        u = 2 * (lo / 2 + rng.uniform(0, 1, per // 2) * (hi / 2 - lo / 2))
        mag_lo = max(abs(lo), abs(hi)) * 1e-30 if lo < 0 < hi or lo == 0 else min(abs(lo), abs(hi))
        mag_lo = max(mag_lo, float(np.finfo(dtype).tiny))
        mag_hi = max(abs(lo), abs(hi))
        m = np.exp(rng.uniform(math.log(mag_lo), math.log(mag_hi), per - per // 2))
        s = np.where(rng.random(m.size) < 0.5, -1.0, 1.0) if lo < 0 else 1.0
        v = np.clip(m * s, lo, hi)
        out.append(u)
        out.append(v)
    return np.concatenate(out).astype(dtype)


# Rows whose error is measured in ULP of max(|exact|, floor): logaddexp is
# NumPy's formula m + log1p(exp(-|x - y|)), which cancels where the result
# is near 0 (max(x, y) in [-ln 2, 0]); there its error is absolute.
ABS_FLOOR = {"logaddexp": 1.0, "logaddexp2": 1.0}


def ulp_errors(name, dtype, got, *args):
    """Error of each finite result in ULP of the dtype at the exact value."""
    ref = REFERENCE[name]
    floor = ABS_FLOOR.get(name, 0.0)
    errs = []
    fi = np.finfo(dtype)
    for i, g in enumerate(got):
        if any(a[i] == 0 for a in args):
            continue  # mpmath has no signed zero; zeros are checked against NumPy
        exact = ref(*(mpmath.mpf(float(a[i])) for a in args))
        if not mpmath.isfinite(exact) or abs(exact) > fi.max:
            continue
        e = float(exact)
        e = max(abs(e), floor) if floor else e
        # the spacing of the dtype around the exact value (subnormals: tiny*eps)
        spacing = float(np.spacing(dtype.type(abs(e)))) if e != 0 else float(fi.smallest_subnormal)
        spacing = max(spacing, float(fi.smallest_subnormal))
        errs.append(float(abs(mpmath.mpf(float(g)) - exact) / spacing))
    return np.array(errs)


def measure(op, fn, dtype, n=400, seed=0):
    """Maximum ULP error of corewise's fn over n sampled inputs."""
    rng = np.random.default_rng(seed)
    dom = DOMAINS[op.name]
    if op.nin == 1:
        args = (sample(rng, dom[dtype], dtype, n),)
    else:
        args = tuple(sample(rng, d[dtype], dtype, n) for d in dom)
        m = min(a.size for a in args)
        args = tuple(a[:m] for a in args)
    with np.errstate(all="ignore"):
        got = fn(*args)
    errs = ulp_errors(op.name, dtype, got, *args)
    return float(errs.max()) if errs.size else 0.0


def readme_rows(ops, measured=None):
    """The README's accuracy table rows, from the C table (and measured
    maxima when given): | function | float64 | float32 | [measured] |."""
    rows = []
    for op in ops:
        note = " (exact, = NumPy)" if op.max_ulp == 0 and op.max_ulp_f32 == 0 else ""
        row = f"| `{op.name}` | {op.max_ulp:g}{note} | {op.max_ulp_f32:g}{note} |"
        if measured is not None:
            m = measured.get(op.name)
            row += f" {m[0]:.2f} / {m[1]:.2f} |" if m else " - |"
        rows.append(row)
    return rows


def main():
    import corewise as cw
    from corewise._optable import MATH_OPS as OPS  # the float rows (test_natives: the others)
    measured = {op.name: (measure(op, getattr(cw, op.name), F64, 2000),
                          measure(op, getattr(cw, op.name), F32, 2000))
                for op in OPS if op.name in DOMAINS}
    print("| function | float64 max ULP | float32 max ULP | measured (2000 samples, f64 / f32) |")
    print("|---|---|---|---|")
    print("\n".join(readme_rows(OPS, measured)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
