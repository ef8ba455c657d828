"""The README's sin/cos/tan speed table (corewise's own vector math): NumPy,
corewise default (libmvec, huge lanes from csrc/vmath/trig.c) and corewise own
(COREWISE_VMATH=own) side by side in one process, medians of 11, alternated
twice, out=; ordinary inputs, huge ones (2^19 <= |x| < 2^1000) and pi * k.

    python tools/bench_trig.py
"""
import numpy as np, corewise as cw, time, statistics, sys
rng = np.random.default_rng(5)
def med(f, r=11):
    ts = []
    for _ in range(r):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1e3
def row(label, x, name, threads=1):
    y = np.empty_like(x)
    npf, cwf = getattr(np, name), getattr(cw, name)
    res = {}
    with cw.threads(threads):
        for _ in range(2):   # alternate
            res.setdefault("numpy", []).append(med(lambda: npf(x, out=y)))
            cw.set_vmath("libmvec"); res.setdefault("default", []).append(med(lambda: cwf(x, out=y)))
            cw.set_vmath("own"); res.setdefault("own", []).append(med(lambda: cwf(x, out=y)))
    m = {k: min(v) for k, v in res.items()}
    print(f"| {label} | {threads} | {m['numpy']:.2f} | {m['default']:.2f} | {m['own']:.2f} | {m['numpy']/m['own']:.2f}x | {m['default']/m['own']:.2f} |", flush=True)
print("| case | threads | NumPy ms | corewise default ms | corewise own ms | own vs NumPy (speed) | own / default (time) |")
print("|---|---|---|---|---|---|---|")
n = 4 * 2**20
for name, lo, hi in (("sin", -100, 100), ("cos", -100, 100), ("tan", -1.5, 1.5)):
    for dt in (np.float64, np.float32):
        x = rng.uniform(lo, hi, n).astype(dt)
        row(f"{name} {np.dtype(dt).name} 4M [{lo}, {hi}]", x, name)
        if dt == np.float64:
            row(f"{name} {np.dtype(dt).name} 4M [{lo}, {hi}]", x, name, threads=2)
xh = np.exp2(rng.uniform(19, 1000, 2**20)) * rng.choice([-1, 1], 2**20)
for name in ("sin", "cos", "tan"):
    row(f"{name} float64 1M, 2^19 <= |x| < 2^1000", xh, name)
xp = np.pi * np.arange(1, 2**20 + 1)
row("sin float64 1M, pi * k", xp, "sin")
