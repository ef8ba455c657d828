"""``bench --evaluate``: the block interpreter beside the JIT and numexpr.

corewise.evaluate has two paths: the JIT (generated C, compiled at run
time) and the block interpreter (csrc/interp.c, pkg/_interp.py) that runs
when no compiler is found.  The benchmark times both on the same
expressions, arrays and thread counts as numexpr, interleaved in one
process: :func:`with_mode` runs a call under ``COREWISE_EVAL=jit`` or
``interp`` (the evaluate plans of both paths stay cached side by side, so
switching costs a dictionary lookup, not a re-plan)."""
import os

from . import _compiler, _interp


def have_compiler():
    """Whether the JIT can run here (the check evaluate itself makes)."""
    try:
        _compiler._config()
    except _compiler._Unavailable:
        return False
    return True


def with_mode(mode, fn):
    """fn, run with COREWISE_EVAL=mode."""
    def run():
        old = os.environ.get("COREWISE_EVAL")
        os.environ["COREWISE_EVAL"] = mode
        _interp.mode.cache_clear()
        try:
            return fn()
        finally:
            if old is None:
                os.environ.pop("COREWISE_EVAL", None)
            else:
                os.environ["COREWISE_EVAL"] = old
            _interp.mode.cache_clear()
    return run


def rows_for(row, case, tcounts, t_in, t_jit, t_ne, t_np, t_roof, gb):
    """The interpreter's rows of one case: against numexpr, the JIT, NumPy
    and the copy roof at each thread count (``row``: _bench._row)."""
    for i, t in enumerate(tcounts):
        extra = {}
        if t_ne:
            extra["speedup_vs_numexpr"] = t_ne[i] / t_in[i]
        if t_jit:
            extra["vs_jit"] = t_in[i] / t_jit[i]
        row(case, "corewise-interp", t, t_in[i], speedup_vs_numpy=t_np / t_in[i],
            speedup_vs_1thread=t_in[0] / t_in[i], vs_roof=t_in[i] / t_roof[i], **extra,
            **gb(t_in[i]))
