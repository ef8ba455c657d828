"""Build glue: the package lives in pkg/ and installs as ``corewise``; the C
extension corewise._core is built by cffi from build_ffi.py.  Metadata is in
pyproject.toml.

The C headers of csrc/ (the operation table ops.def, the scalar element
functions cw_scalar.h, ...) are also installed, as corewise/include/, with
the build's compiler flags in corewise/include/build.json: corewise.evaluate
compiles generated C against them at run time."""
import glob
import json
import os
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


class build_py_with_headers(build_py):
    def run(self):
        super().run()
        sys.path.insert(0, HERE)
        import build_ffi
        dst = os.path.join(self.build_lib, "corewise", "include")
        self.mkpath(dst)
        for pattern in ("*.h", "*.def"):
            for src in sorted(glob.glob(os.path.join(HERE, "csrc", pattern))):
                self.copy_file(src, os.path.join(dst, os.path.basename(src)))
        cfg = {"extra_compile_args": list(build_ffi.compile_args),
               "extra_link_args": list(build_ffi.link_args),
               "libraries": list(build_ffi.libraries),
               "define_macros": list(build_ffi.macros)}
        with open(os.path.join(dst, "build.json"), "w", encoding="utf-8") as f:
            json.dump(cfg, f, indent=1)


class build_ext_always(build_ext):
    """Always compile and link the extension.  setuptools skips an extension
    whose file in build/lib is newer than its sources, whatever flags built
    it: a plain `make install` after `make asan-build` installed the
    ASan-instrumented extension (an import error: the ASan runtime is not
    loaded)."""

    def finalize_options(self):
        super().finalize_options()
        self.force = True

    def build_extension(self, ext):
        """The extension's C files compiled at once, one compiler process per
        core (COREWISE_BUILD_JOBS to choose): distutils compiles them one by
        one, and the build (~1 min serial, kernels.c alone ~20 s) runs five
        times in CI."""
        jobs = int(os.environ.get("COREWISE_BUILD_JOBS") or os.cpu_count() or 1)
        compile_one = self.compiler.compile
        if jobs > 1 and len(ext.sources) > 1:
            from concurrent.futures import ThreadPoolExecutor

            def compile_all(sources, *args, **kw):
                with ThreadPoolExecutor(min(jobs, len(sources))) as pool:
                    parts = list(pool.map(lambda s: compile_one([s], *args, **kw), sources))
                return [obj for objs in parts for obj in objs]

            self.compiler.compile = compile_all
        try:
            super().build_extension(ext)
        finally:
            self.compiler.compile = compile_one


setup(
    package_dir={"corewise": "pkg"},
    packages=["corewise"],
    cffi_modules=["build_ffi.py:ffibuilder"],
    cmdclass={"build_py": build_py_with_headers, "build_ext": build_ext_always},
)
