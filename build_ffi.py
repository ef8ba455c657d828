"""cffi out-of-line API-mode builder for corewise._core.

setup.py hooks this in with ``cffi_modules=["build_ffi.py:ffibuilder"]``.
The cdef is csrc/corewise.h read verbatim (the header is kept cdef-clean),
so the C API is declared in exactly one place.

Build flags: -O3 -fopenmp -fno-math-errno (sqrt vectorises only without
errno).  Never -ffast-math: it breaks NaN/inf semantics.  The default build
targets baseline x86-64 and picks AVX2/AVX-512 loops at run time; set
COREWISE_NATIVE=1 to build with -march=native instead (not portable).
"""
import json
import os
import re
import sys

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
CSRC = "csrc"  # relative: setuptools wants relative source paths


def _read(*parts):
    with open(os.path.join(HERE, *parts), encoding="utf-8") as f:
        return f.read()


def _version():
    m = re.search(r'__version__\s*=\s*"([^"]+)"', _read("pkg", "_version.py"))
    if not m:
        raise RuntimeError("pkg/_version.py has no __version__")
    return m.group(1)


def _flags():
    compile_args = ["-O3", "-fopenmp", "-fno-math-errno", "-std=gnu11",
                    "-Wall", "-Wextra", "-Wno-unused-parameter"]
    macros = []
    if os.environ.get("COREWISE_NATIVE", "") not in ("", "0"):
        compile_args.append("-march=native")
        macros.append(("CW_NATIVE", "1"))
    extra = os.environ.get("COREWISE_EXTRA_CFLAGS", "").split()
    compile_args += extra
    link_args = ["-fopenmp"] + os.environ.get("COREWISE_EXTRA_LDFLAGS", "").split()
    libraries = ["m"]
    if _have_libmvec():
        libraries.insert(0, "mvec")
    else:
        macros.append(("CW_NO_LIBMVEC", "1"))
    return compile_args, link_args, macros, libraries


def _have_libmvec():
    """glibc's vector math library (x86-64): the SIMD variants of exp, log,
    sin, ... that cw_scalar.h declares.  Without it, scalar libm."""
    if os.environ.get("COREWISE_NO_LIBMVEC", "") not in ("", "0"):
        return False
    import ctypes.util
    import platform
    return platform.machine() in ("x86_64", "AMD64") and bool(ctypes.util.find_library("mvec"))


# The build's flags, also read by setup.py (corewise/include/build.json, the
# flags corewise.evaluate compiles its generated C with).
compile_args, link_args, macros, libraries = _flags()
_flag_text = " ".join(compile_args + [f"-D{k}={v}" for k, v in macros])

ffibuilder = FFI()
ffibuilder.cdef(_read(CSRC, "corewise.h"))
ffibuilder.set_source(
    "corewise._core",
    "#include <stddef.h>\n"
    "#include <stdint.h>\n"
    '#include "corewise.h"\n'
    f"const char *cw_version(void) {{ return {json.dumps(_version())}; }}\n"
    f"const char *cw_build_flags(void) {{ return {json.dumps(_flag_text)}; }}\n",
    sources=[f"{CSRC}/kernels.c", f"{CSRC}/runtime.c", f"{CSRC}/adapt.c", f"{CSRC}/reduce.c", f"{CSRC}/vtanhf.c",
             f"{CSRC}/patch.c", f"{CSRC}/interp.c", f"{CSRC}/complex.c",
             f"{CSRC}/scan.c",
             *(f"{CSRC}/vmath/{n}.c" for n in ("vmath", "mp", "exp", "log", "expf", "logf", "trig"))],
    include_dirs=[CSRC],
    depends=[f"{CSRC}/{n}" for n in ("corewise.h", "cw_internal.h", "cw_iter.h", "cw_scalar.h", "cw_natives.h", "cw_tanhf.h", "cw_rtree.h",
                                     "cw_eval.h", "cw_loops.h", "cw_complex.h", "ops.def", "reduce.c", "vmath/vmath.h", "vmath/tables.h")],
    define_macros=macros,
    extra_compile_args=compile_args,
    extra_link_args=link_args,
    libraries=libraries,
)

if __name__ == "__main__":
    os.chdir(HERE)
    sys.exit(ffibuilder.compile(verbose=True) and 0)
