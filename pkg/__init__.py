"""corewise: NumPy's element-wise math on all CPU cores.

OpenMP-parallel C kernels, built by cffi, called zero-copy on NumPy memory.

>>> import numpy as np, corewise as cw
>>> cw.sqrt(np.array([4.0, 9.0]))
array([2., 3.])
"""
from ._version import __version__
from ._lib import lib as _clib  # noqa: F401  (checks the build at import)
from ._threads import get_adaptive, get_num_threads, set_adaptive, set_num_threads, threads
from ._info import info
from ._vmath import get_vmath, set_vmath
from ._ufunc import FUNCTIONS as _FUNCTIONS
from ._ufuncobj import ufunc
from ._reduce import FUNCTIONS as _REDUCTIONS
from ._reduce import compress, dot, extract, flatnonzero, nonzero
from ._evaluate import evaluate, functions as _evaluate_functions
from ._kernels import CompileError, ElementwiseKernel, ReductionKernel
from ._scan import cumprod, cumsum, nancumprod, nancumsum
from ._patch import is_numpy_patched, patch_numpy, patched_numpy, unpatch_numpy

globals().update(_FUNCTIONS)
globals().update(_REDUCTIONS)

#: Names of the element-wise functions, in table order (csrc/ops.def).
functions = tuple(_FUNCTIONS)

#: Function names corewise.evaluate accepts (where + the table's functions).
evaluate_functions = _evaluate_functions()

__all__ = ["__version__", "evaluate", "evaluate_functions", "functions", "get_adaptive",
           "get_num_threads", "get_vmath", "info", "set_vmath", "set_adaptive", "set_num_threads", "threads",
           # the element-wise functions: corewise.ufunc objects (pkg/_ufuncobj.py)
           "ufunc", *_FUNCTIONS,
           # reductions and selections (pkg/_reduce.py)
           *_REDUCTIONS, "dot", "nonzero", "flatnonzero", "extract", "compress",
           # scans (pkg/_scan.py)
           "cumsum", "cumprod", "nancumsum", "nancumprod",
           # NumPy itself parallel (pkg/_patch.py)
           "patch_numpy", "unpatch_numpy", "patched_numpy", "is_numpy_patched",
           # user kernels (pkg/_kernels.py)
           "CompileError", "ElementwiseKernel", "ReductionKernel"]
