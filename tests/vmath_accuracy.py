"""The accuracy table of corewise's own vector math (csrc/vmath/), as in the
README: the maximum error in ULP, against mpmath at 300 bits, of corewise,
NumPy and glibc's libmvec (what corewise's default rows use; measured bare,
through a corewise.ElementwiseKernel calling it, without the default rows'
own huge arguments of sin, cos and tan) on the same inputs -- random inputs over
each domain (tests/test_vmath.py's `domain`) and, for log, exp2, sin and
cos, the hard-to-round inputs of tests/data/hard-cases; then the same for float32
(tests/test_vmathf.py's `domain`, ULPs of float32).  Run:

    python tests/vmath_accuracy.py [N [NAME ...]]   # N random inputs per function (default 20000)
"""
import sys
from pathlib import Path

import mpmath
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import corewise as cw  # noqa: E402

cw.set_vmath("own")   # corewise's own code (opt-in); libmvec: a user kernel's column
from test_vmath import FUNCS, HERE, TRIG, domain  # noqa: E402
import test_vmathf  # noqa: E402


def ulps(name, x, y):
    """|y - f(x)| / ulp(f(x)) per element, mpmath at 300 bits (plus |x|'s
    bits: sin and cos of a huge x)"""
    out = np.zeros(len(x))
    for i, (xi, yi) in enumerate(zip(x, y)):
        extra = int(abs(float(xi))).bit_length() if np.isfinite(xi) and name in TRIG else 0
        with mpmath.workprec(300 + extra):
            v = FUNCS[name][1](mpmath.mpf(float(xi)))
            if not mpmath.isfinite(v) or not np.isfinite(yi):
                continue
            sp = mpmath.mpf(float(np.spacing(np.abs(x.dtype.type(float(v))))))
            out[i] = float(abs(mpmath.mpf(float(yi)) - v) / sp)
    return out


def libmvec(name, x):
    """libmvec's own result: a user kernel's C calls cw_scalar.h's function,
    libmvec's vector variant in its vectorised loop"""
    k = cw.ElementwiseKernel("T x", "T z", f"z = {name}(x)", f"libmvec_{name}")
    return k(x)


def main(n, names=()):
    print("| function (float64) | inputs | corewise max ULP | NumPy max ULP | libmvec max ULP |")
    print("|---|---|---|---|---|")
    for name in names or FUNCS:
        x = domain(name, n, seed=1)
        label = f"{len(x)} random"
        hard = HERE / "data" / "hard-cases" / f"{name}.npy"
        if hard.exists():
            x = np.concatenate([x, np.load(hard)])
            label += " + 1500 hard cases"
        with np.errstate(all="ignore"):
            res = [getattr(cw, name)(x), getattr(np, name)(x), libmvec(name, x)]
        errs = [ulps(name, x, y).max() for y in res]
        print(f"| `{name}` | {label} | " + " | ".join(f"{e:.3f}" for e in errs) + " |")
    print()
    print("| function (float32) | inputs | corewise max ULP | NumPy max ULP | libmvec max ULP |")
    print("|---|---|---|---|---|")
    for name in names or FUNCS:
        x = test_vmathf.domain(name, n, seed=1)
        with np.errstate(all="ignore"):
            res = [getattr(cw, name)(x), getattr(np, name)(x), libmvec(name, x)]
        assert all(y.dtype == np.float32 for y in res)
        errs = [ulps(name, x, y).max() for y in res]
        print(f"| `{name}` | {len(x)} random | " + " | ".join(f"{e:.3f}" for e in errs) + " |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000, sys.argv[2:])
