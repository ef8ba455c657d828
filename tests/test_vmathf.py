"""corewise's own float32 vector math (csrc/vmath/expf.c, logf.c, trig.c):
exp, exp2, log, log2, log10, sin, cos, tan of float32 correctly rounded, with NumPy's special values
and FP flags -- where the own vector math is switched on (opt-in:
COREWISE_VMATH=own or cw.set_vmath("own")).  The ISA levels are compared
bit for bit with the float64 ones (tests/test_vmath.py); all 2^32 inputs
by tools/vmathf_exhaustive.c outside CI, a sample of it here.

* random inputs per domain, subnormal results included, against mpmath
  (120 bits) rounded to the nearest float32 (ties to even);
* the same through the exact (fixed-point) path by itself;
* special values and FP flags element by element against NumPy's float32;
* tools/vmathf_exhaustive.c built and run over a sample of every 2^16-input
  chunk of the 2^32 (all ISA levels of this CPU, against the correctly
  rounded float64 path).
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest

import corewise as cw
from corewise._core import lib

sys.path.insert(0, str(Path(__file__).parent))
import test_vmath  # noqa: E402  (its helpers, by dtype)

ROOT = Path(__file__).resolve().parent.parent
FUNCS = {  # name: (index of cw_vmath_exact_f32, mpmath reference)
    "exp": (0, mpmath.exp),
    "exp2": (1, lambda t: mpmath.power(2, t)),
    "log": (2, mpmath.log),
    "log2": (3, lambda t: mpmath.log(t, 2)),
    "log10": (4, mpmath.log10),
    "sin": (5, mpmath.sin),
    "cos": (6, mpmath.cos),
    "tan": (7, mpmath.tan),
}


@pytest.fixture(autouse=True)
def _own_vmath():
    prev = cw.set_vmath("own")
    yield
    cw.set_vmath(prev)


def correctly_rounded(name, x):
    """the float32 nearest to f(x) (ties to even), f from mpmath at 120
    bits: the nearest of the float32 candidates around float(f(x)), with the
    exact midpoint decided by the even significand"""
    if x == 0 and name in ("sin", "tan"):   # odd: the sign of zero (mpmath has no -0)
        return np.float32(x)
    with mpmath.workprec(120 + (128 if name in test_vmath.TRIG else 0)):   # 2/pi to |x|'s bits
        v = FUNCS[name][1](mpmath.mpf(float(x)))
        c = np.float32(float(v))
        cands = {c, np.nextafter(c, np.float32(np.inf)), np.nextafter(c, np.float32(-np.inf))}
        cands = [f for f in cands if np.isfinite(f)]
        best = min(cands, key=lambda f: (abs(mpmath.mpf(float(f)) - v),
                                         int(np.array(f).view(np.uint32)) & 1))
        return best


def domain(name, n, seed):
    rng = np.random.default_rng(seed)
    if name in test_vmath.TRIG:
        parts = [rng.uniform(-10, 10, n), rng.uniform(-2 ** 19, 2 ** 19, n // 4),
                 rng.uniform(-1, 1, n // 4) * 2.0 ** rng.integers(-40, -1, n // 4),
                 np.exp2(rng.uniform(-30, 128, n // 4)) * rng.choice([-1, 1], n // 4)]
    elif name in ("exp", "exp2"):
        lo, hi = (-103.9, 88.72) if name == "exp" else (-149.9, 127.99)
        parts = [rng.uniform(lo, hi, n), rng.uniform(-1, 1, n // 4),
                 rng.uniform(lo, lo + 20, n // 4),                  # subnormal results
                 rng.uniform(-1, 1, n // 4) * 2.0 ** rng.integers(-40, -1, n // 4)]
    else:
        parts = [np.exp2(rng.uniform(-149, 128, n)),                # subnormal inputs too
                 1 + rng.uniform(-2 ** -8, 2 ** -8, n // 4),        # near 1
                 10.0 ** rng.integers(-30, 30, n // 8), 2.0 ** rng.integers(-149, 128, n // 8)]
    x = np.concatenate(parts).astype(np.float32)
    return x[np.isfinite(x) & ((x > 0) | (name in ("exp", "exp2") + test_vmath.TRIG))]


def check_exact(name, x, got):
    assert got.dtype == np.float32
    test_vmath.check_exact(name, x, got, reference=correctly_rounded)


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_random_correctly_rounded(name):
    x = domain(name, 1600, seed=sorted(FUNCS).index(name))
    with np.errstate(all="ignore"):
        check_exact(name, x, getattr(cw, name)(x))


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_exact_path_correctly_rounded(name):
    x = domain(name, 300, seed=5)
    fn = FUNCS[name][0]
    with np.errstate(all="ignore"):
        got = np.array([lib.cw_vmath_exact_f32(fn, float(v)) for v in x], dtype=np.float32)
    check_exact(name, x, got)


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_not_numpys_bits(name):
    """a test that can fail: NumPy's float32 loops are not correctly rounded
    everywhere (about 0.5-4 ULP), corewise's differ from them somewhere"""
    x = domain(name, 20000, seed=21)
    with np.errstate(all="ignore"):
        assert not np.array_equal(getattr(cw, name)(x), getattr(np, name)(x))


SPECIALS = [np.nan, np.inf, -np.inf, 0.0, -0.0, -1.0, -1e-30, 1e-45, 1e-40, 1.1754944e-38,
            1e-30, 0.5, 1.0, 2.0, 10.0, 86.9, 87.0, 88.72, 88.73, 89.0, 100.0, 125.9, 126.0,
            127.9, 128.0, 129.0, -86.9, -87.0, -87.4, -100.0, -103.9, -104.0, -104.5, -125.9,
            -126.0, -140.0, -149.0, -150.0, -151.0, -200.0, 3.4028235e38, -3.4028235e38]


# where NumPy's float32 flag (its AVX-512 loops, measured) is not IEEE 754's,
# corewise's is IEEE's, on every CPU: exp of a subnormal is 1, not tiny (NumPy
# raises underflow); 2^-140 and 2^-149 are exact subnormals (underflow is
# only for an inexact tiny result; NumPy raises it); 2^-150 is a tie that
# rounds to 0, inexact and tiny (NumPy raises nothing); sin of a tiny normal
# float is that float and cos of any tiny one 1, neither tiny (NumPy's loops
# raise underflow, from the x^3 and x^2 they compute)
IEEE_NOT_NUMPY = {("exp", 1e-45): [], ("exp", 1e-40): [], ("exp2", -140.0): [],
                  ("exp2", -149.0): [], ("exp2", -150.0): ["underflow"],
                  **{("sin", x): [] for x in (-1e-30, 1e-30, 1.1754944e-38)},
                  **{("cos", x): [] for x in (-1e-30, 1e-30, 1e-45, 1e-40, 1.1754944e-38)},
                  # tan of a subnormal: tiny and inexact, IEEE's underflow (NumPy's
                  # sin raises it too, its tan none)
                  **{("tan", x): ["underflow"] for x in (1e-45, 1e-40)}}


def _flags(f, x):
    return test_vmath._flags(f, x, np.float32)


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_special_values_and_flags(name):
    """results and FP warnings per element as NumPy's float32 loops (values
    NumPy rounds differently are left to the correctly rounded reference)"""
    for x in SPECIALS:
        got, gf = _flags(getattr(cw, name), x)
        want, wf = _flags(getattr(np, name), x)
        assert got.dtype == np.float32
        if np.isfinite(want) and want != 0 and np.isfinite(got):
            assert got == correctly_rounded(name, np.float32(x)), (name, x, got)
        else:
            assert (got == want or (np.isnan(got) and np.isnan(want))) and \
                np.signbit(got) == np.signbit(want) or np.isnan(want), (name, x, got, want)
        if (name, x) in IEEE_NOT_NUMPY:
            wf = IEEE_NOT_NUMPY[name, x]
        assert gf == wf, (name, x, gf, wf)


@pytest.mark.needs_compiler
def test_exhaustive_tool_sample(tmp_path):
    """tools/vmathf_exhaustive.c over every 4096th chunk of 2^16 bit patterns
    (2^20 inputs, all exponents and signs), every ISA level this CPU has"""
    cc = shutil.which("gcc") or shutil.which("cc")
    assert cc, "needs_compiler found a compiler, PATH has no gcc/cc"
    exe = tmp_path / "vmathf_exhaustive"
    v = ROOT / "csrc" / "vmath"
    # a plain build and run, outside the sanitizer stage's preloaded runtime
    env = {k: val for k, val in os.environ.items()
           if k != "LD_PRELOAD" and not k.endswith("SAN_OPTIONS")}
    subprocess.run([cc, "-O2", "-fopenmp", "-fno-math-errno", "-std=gnu11", f"-I{v}",
                    str(ROOT / "tools" / "vmathf_exhaustive.c"), str(v / "vmath.c"), str(v / "mp.c"),
                    "-lm", "-o", str(exe)], check=True, timeout=300, env=env)
    r = subprocess.run([str(exe), "all", "4096"], capture_output=True, text=True, timeout=600,
                       env=env)
    lines = [ln for ln in r.stdout.splitlines() if "float32" in ln]
    assert r.returncode == 0 and len(lines) == len(FUNCS), r.stdout + r.stderr
    assert all(": 0 / 0 / 0 differ" in ln for ln in lines), r.stdout
