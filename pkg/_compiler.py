"""The run-time C compiler: generated C + its cdef -> a loaded cffi module.

Callers (corewise.evaluate; code generated through _cgen) hand over a
complete C source and the cdef of its exported functions, and get back the
``(ffi, lib)`` of a cffi API-mode extension module built from them, through
two caches.  The caller names itself (``who``, what it compiles: ``unit``),
so errors read as that caller's: "corewise.evaluate: no C compiler found ...".

Building: cffi writes the C wrapper (``ffi.emit_c_code``, which never
changes the working directory), and the C compiler that built Python
compiles it with the flags corewise itself was built with
(``corewise/include/build.json``, written at install time) plus ``-fwrapv
-ffp-contract=off``, against the installed headers of csrc/
(``corewise/include``: the operation table, the scalar element functions,
the evaluate helpers).  The compiler runs in a subprocess with its own
working directory, so nothing process-global changes.

Caches: in memory (key -> loaded module), in front of a disk cache in
``$COREWISE_CACHE_DIR``, else ``$XDG_CACHE_HOME/corewise``, else
``~/.cache/corewise``.  The key is a hash of everything that affects the
binary: the source and its cdef, the installed headers, the flags, the
compiler (path, size, mtime), the corewise version and the Python
implementation/ABI.  Concurrency: a module is built in a private temporary
directory inside the cache directory and moved into place with an atomic
rename, so concurrent first calls from threads or processes never see a
partial file (two processes may both build it; the last rename wins, and
both files are complete and identical in behaviour); within a process a lock
makes racing threads build and load it once.
"""
import functools
import hashlib
import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading

from ._version import __version__

INCLUDE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "include")
_EXT = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
_lock = threading.Lock()
# On top of the package's own flags: signed integer arithmetic wraps as in
# NumPy; no FMA contraction, so a*b+c rounds twice, bitwise like NumPy.
_EXTRA_CFLAGS = ["-fwrapv", "-ffp-contract=off"]
_loaded = {}


class CompilerError(RuntimeError):
    """The run-time C build failed (no compiler, or it rejected the code)."""


class _Unavailable(Exception):
    """No usable tool chain (raised by the cached _config, which knows no
    caller); compiled() words it for its caller."""

    def __init__(self, missing, detail):
        super().__init__(missing, detail)
        self.missing, self.detail = missing, detail


def cache_dir():
    d = os.environ.get("COREWISE_CACHE_DIR")
    if d:
        return d
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "corewise")


@functools.lru_cache(maxsize=None)
def _config():
    try:
        with open(os.path.join(INCLUDE, "build.json"), encoding="utf-8") as f:
            cfg = json.load(f)
    except OSError as exc:
        raise _Unavailable("headers", exc) from None
    cc = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    exe = shutil.which(cc[0]) if cc else None
    if exe is None:
        raise _Unavailable("compiler", cc[0] if cc else "cc")
    real = os.path.realpath(exe)
    st = os.stat(real)
    headers = hashlib.sha256()
    for name in sorted(os.listdir(INCLUDE)):
        with open(os.path.join(INCLUDE, name), "rb") as f:
            headers.update(name.encode() + b"\0" + f.read() + b"\0")
    paths = sysconfig.get_paths()
    includes = [INCLUDE] + sorted({paths["include"], paths.get("platinclude", paths["include"])})
    cflags = (["-shared", "-fPIC"] + cfg["extra_compile_args"] + _EXTRA_CFLAGS
              + [f"-D{k}={v}" if v is not None else f"-D{k}" for k, v in cfg["define_macros"]]
              + [f"-I{p}" for p in includes])
    ldflags = cfg["extra_link_args"] + [f"-l{lib}" for lib in cfg["libraries"]]
    identity = json.dumps([cc, real, st.st_size, st.st_mtime_ns, cflags, ldflags,
                           headers.hexdigest(), __version__, sys.implementation.cache_tag,
                           _EXT, sys.version])
    return cc, cflags, ldflags, identity


def compiled(source, cdef, who, unit):
    """The (ffi, lib) of the module built from ``source`` with ``cdef``,
    from the in-memory cache, else the disk cache, else built now.

    ``who``: the public name that compiles ("evaluate": messages start
    "corewise.evaluate: "); ``unit``: what one module is built from
    ("expression").  Failures raise CompilerError."""
    key = hashlib.sha256(json.dumps([source, cdef]).encode()).hexdigest()
    mod = _loaded.get(key)
    if mod is not None:
        return mod
    try:
        cc, cflags, ldflags, identity = _config()
    except _Unavailable as exc:
        raise CompilerError(_unavailable(exc, who, unit)) from None
    full = hashlib.sha256((identity + key).encode()).hexdigest()[:40]
    name = f"_cw_jit_{full}"
    with _lock:
        mod = _loaded.get(key)
        if mod is None:
            d = cache_dir()
            path = os.path.join(d, name + _EXT)
            if not os.path.exists(path):
                _build(name, source, cdef, d, path, cc, cflags, ldflags, who)
            try:
                m = _import(name, path)
            except ImportError:
                # A damaged cache entry (e.g. an old file overwritten by hand):
                # build afresh under the same name, once.
                _build(name, source, cdef, d, path, cc, cflags, ldflags, who)
                m = _import(name, path)
            mod = _loaded[key] = (m.ffi, m.lib)
    return mod


def _unavailable(exc, who, unit):
    if exc.missing == "headers":
        return (f"corewise.{who}: the installed C headers are missing ({exc.detail}); "
                "reinstall corewise with `pip install .`")
    return (f"corewise.{who}: no C compiler found (looked for {exc.detail!r}; "
            f"set CC to choose one): {who} compiles each {unit} to C at run "
            "time and needs a C compiler with OpenMP, e.g. `apt-get install gcc`")


def _import(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def _build(name, source, cdef, d, path, cc, cflags, ldflags, who):
    from cffi import FFI
    try:
        os.makedirs(d, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=name + ".", suffix=".tmp", dir=d)
    except OSError as exc:
        raise CompilerError(f"corewise.{who}: cannot use the cache directory {d!r} "
                            f"({exc}); set COREWISE_CACHE_DIR to a writable directory") from None
    try:
        ffi = FFI()
        ffi.cdef(cdef)
        ffi.set_source(name, source, compiler_verbose=False)
        c_path = os.path.join(tmp, name + ".c")
        ffi.emit_c_code(c_path)
        so_tmp = os.path.join(tmp, name + _EXT)
        cmd = cc + cflags + [c_path, "-o", so_tmp] + ldflags
        try:
            r = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
        except OSError as exc:
            raise CompilerError(f"corewise.{who}: cannot run the C compiler {cc[0]!r} ({exc}); "
                                f"{who} needs a C compiler at run time") from None
        if r.returncode:
            diag = (r.stderr or r.stdout).strip()
            exc = CompilerError(f"corewise.{who}: the C compiler failed on the generated "
                                f"code (exit {r.returncode}):\n{diag[:2000]}")  # the first error
            exc.diagnostic = diag   # all of it, for callers that pick the lines they need
            raise exc
        os.replace(so_tmp, path)  # atomic: readers see the old file or the new one
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def clear_memory_cache():
    """Forget loaded modules (tests; the disk cache stays)."""
    _loaded.clear()
