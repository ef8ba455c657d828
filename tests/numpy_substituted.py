"""pytest plugin: run NumPy's own test modules with corewise substituted for NumPy.

``pytest -p numpy_substituted <numpy's test files>`` (tests/ on PYTHONPATH;
`make numpy-tests` runs it through tools/numpy_suite.py) tries corewise the
way a NumPy user would: after collection, before any test runs, the module
globals of every collected test module that refer to NumPy are swapped --

* a NumPy module (``np``, ``ncu`` = numpy._core.umath, numpy._core.
  _multiarray_umath, ...) for a proxy module whose attribute lookup gives
  corewise's function first, NumPy's attribute otherwise;
* a NumPy function imported by name (``from numpy._core.multiarray import
  dot``) for corewise's twin;
* a parametrised test's argument that is one of those NumPy functions
  (``@pytest.mark.parametrize("ufunc", [np.sqrt, ...])``) for its twin.

Only those globals change: NumPy itself (its modules, sys.modules, the
functions NumPy calls internally) is untouched.  The substituted names are
SUBSTITUTED: every name of ``corewise.__all__`` that NumPy also has as a
callable, minus corewise's own API (CW_ONLY) -- so a function another part
of corewise adds is substituted without editing this file.
COREWISE_SUBSTITUTE=0 loads the plugin inert (the reference run).
"""
import os
import sys
import types

import numpy as np
import pytest

#: corewise names that NumPy also has but that are not NumPy's function.
CW_ONLY = frozenset({"info", "threads", "functions", "evaluate", "evaluate_functions"})


def substituted_names():
    """{name: corewise's function} for every NumPy-compatible corewise name."""
    import corewise
    out = {}
    for name in corewise.__all__:
        if name.startswith("_") or name in CW_ONLY:
            continue
        theirs = getattr(np, name, None)
        if theirs is not None and callable(theirs) and not isinstance(theirs, type):
            out[name] = getattr(corewise, name)
    return out


class Substitution:
    """The NumPy objects to swap and their corewise twins."""

    def __init__(self, names):
        self.names = names
        # id(NumPy's function) -> corewise's (np.abs and np.absolute are one)
        self.twins = {id(getattr(np, n)): f for n, f in names.items()}
        self.keep = [getattr(np, n) for n in names]  # ids stay valid
        self.proxies = {}

    def proxy(self, mod):
        """A proxy for NumPy module ``mod``, or None where corewise replaces
        none of its attributes."""
        if mod.__name__ in self.proxies:
            return self.proxies[mod.__name__]
        over = {}
        for n, f in self.names.items():
            v = getattr(mod, n, None)
            if v is not None and id(v) in self.twins:
                over[n] = f
        p = None
        if over:
            p = types.ModuleType(mod.__name__, mod.__doc__)
            for k, v in vars(mod).items():
                if k.startswith("__") and k.endswith("__"):
                    setattr(p, k, v)
            p.__dict__.update(over)
            p.__getattr__ = lambda name, _m=mod: getattr(_m, name)
            p.__dir__ = lambda _m=mod: sorted(set(dir(_m)) | set(over))
            p.__corewise_substituted__ = tuple(sorted(over))
        self.proxies[mod.__name__] = p
        return p

    def swap(self, value):
        """The value a test module should see instead of ``value`` (or value)."""
        if isinstance(value, types.ModuleType):
            if value.__name__.split(".")[0] == "numpy" and \
                    not hasattr(value, "__corewise_substituted__"):
                return self.proxy(value) or value
            return value
        if callable(value):
            twin = self.twins.get(id(value))
            if twin is not None:
                return twin
        return value

    def swap_deep(self, value):
        """swap(), and inside a list, tuple, set or dict one level down (the
        tests' tables of ufuncs: ``INF_INVALID_ERR = [np.cos, ...]``,
        ``{np.fmod: ...}``) -- a new container where anything changed."""
        t = type(value)
        if t in (list, tuple, set, frozenset):
            new = [self.swap(v) for v in value]
            if any(a is not b for a, b in zip(new, value)):
                return t(new)
        elif t is dict:
            new = {self.swap(k): self.swap(v) for k, v in value.items()}
            if any(a is not b for a, b in zip(new, value)) or \
                    any(a is not b for a, b in zip(new.values(), value.values())):
                return new
        return self.swap(value)

    def namespace(self, ns, setter):
        changed = 0
        for k, v in list(ns.items()):
            if k.startswith("__"):
                continue
            w = self.swap_deep(v)
            if w is not v:
                setter(k, w)
                changed += 1
        return changed

    def module(self, mod):
        """Swap mod's globals in place, and the class attributes of the test
        classes defined in it; returns how many changed."""
        g = vars(mod)
        changed = self.namespace(g, g.__setitem__)
        for v in list(g.values()):
            if isinstance(v, type) and v.__module__ == mod.__name__:
                changed += self.namespace(dict(vars(v)), lambda k, w, c=v: setattr(c, k, w))
        return changed


def _active():
    return os.environ.get("COREWISE_SUBSTITUTE", "1") != "0"


def pytest_configure(config):
    if _active():
        config.corewise_substitution = Substitution(substituted_names())
        _no_shrinking()


def _no_shrinking():
    """NumPy's hypothesis profile without the shrink phase: a property test
    that fails substituted fails as fast as it passes (shrinking a failure
    of test_numeric's test_clip_property took over a minute), and whether
    it fails does not change."""
    try:
        import hypothesis
    except ImportError:
        return
    cur = hypothesis.settings.default
    phases = tuple(p for p in cur.phases if p is not hypothesis.Phase.shrink)
    hypothesis.settings.register_profile("corewise-substituted",
                                         hypothesis.settings(cur, phases=phases))
    hypothesis.settings.load_profile("corewise-substituted")


def pytest_report_header(config):
    s = getattr(config, "corewise_substitution", None)
    if s is None:
        return ["corewise: not substituted"]
    return [f"corewise: {len(s.names)} NumPy names substituted in the test modules' globals"]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    s = getattr(config, "corewise_substitution", None)
    if s is None:
        return
    done = set()
    for item in items:
        mod = getattr(item, "module", None)
        if mod is not None and id(mod) not in done:
            done.add(id(mod))
            s.module(mod)
        spec = getattr(item, "callspec", None)
        if spec is not None:
            for k, v in spec.params.items():
                w = s.swap_deep(v)
                if w is not v:
                    spec.params[k] = w
    if not items:
        print("numpy_substituted: no test collected", file=sys.stderr)
