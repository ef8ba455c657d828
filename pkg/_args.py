"""Argument normalisation shared by every corewise function: an argument as
an ndarray (as_input), out= validated as NumPy validates it (check_out),
the refusal of ndarray subclasses and array-likes whose own ufunc semantics
would be lost, and error messages that name the function (fail,
KIND_NAMES)."""
import numpy as np

_ndarray = np.ndarray


def fail(op, msg, exc=TypeError):
    """Raise ``exc`` with a message naming corewise.<op.name>."""
    raise exc(f"corewise.{op.name}: {msg}")


#: Why an input dtype is refused, by dtype kind ({dt}: the dtype, {name}: the function).
KIND_NAMES = {
    "O": "object arrays are not supported (dtype object); convert to a numeric dtype",
    "c": "complex input (dtype {dt}) is not supported yet; use numpy.{name}",
    "U": "string input (dtype {dt}) is not supported",
    "S": "bytes input (dtype {dt}) is not supported",
    "V": "structured/void input (dtype {dt}) is not supported",
    "M": "datetime input (dtype {dt}) is not supported",
    "m": "timedelta input (dtype {dt}) is not supported",
}

_HOOKS = ("__array_ufunc__", "__array_function__", "__array_wrap__", "__array_finalize__")


def _plain_view(op, a, what):
    """An ndarray subclass as a plain ndarray view -- allowed for np.memmap
    and for subclasses that override none of NumPy's hooks (whose results
    could not differ from a plain array's); refused otherwise (a masked
    array's mask, say, would be silently dropped)."""
    t = type(a)
    if t is np.memmap or all(getattr(t, h, None) is getattr(_ndarray, h) for h in _HOOKS):
        return a.view(_ndarray)
    fail(op, f"{what} of ndarray subclass {t.__name__} is not supported; "
             "pass np.asarray(...) if only its data matters")


# types NumPy converts to plain arrays (never "foreign")
_PLAIN = frozenset((_ndarray, np.memmap, float, int, bool, complex, list, tuple, type(None)))
_WRAP_HOOKS = ("__array_ufunc__", "__array_wrap__", "__array_priority__", "__array_function__")


def foreign(v):
    """Does NumPy treat ``v`` as more than its data -- an ndarray subclass
    (np.memmap aside: its __array_wrap__ returns plain arrays) or an object
    with NumPy's override or wrapping hooks (pandas, xarray, pint, ...)?
    Then only NumPy's own ufunc gives NumPy's answer (pkg/_ufuncobj.py
    calls it with the caller's arguments)."""
    t = type(v)
    if t in _PLAIN or issubclass(t, np.generic):
        return False
    if issubclass(t, _ndarray):
        return True
    return any(hasattr(t, h) for h in _WRAP_HOOKS)


def as_input(op, x):
    """The one conversion of an argument to an ndarray (never copies an
    ndarray; refuses objects whose own ufunc semantics would be lost)."""
    if type(x) is _ndarray:
        return x
    if isinstance(x, _ndarray):
        return _plain_view(op, x, "input")
    if isinstance(x, np.generic):
        return np.asarray(x)
    t = type(x)
    if getattr(t, "__array_ufunc__", None) is not None or hasattr(t, "__array_function__"):
        fail(op, f"{t.__module__}.{t.__qualname__} objects are not supported; "
                 "convert with np.asarray() first")
    try:
        return np.asarray(x)
    except (TypeError, ValueError) as exc:
        # the base class: subclasses such as UnicodeDecodeError take other arguments
        cls = TypeError if isinstance(exc, TypeError) else ValueError
        raise cls(f"corewise.{op.name}: cannot convert the input to an array: {exc}") from exc


def check_out(op, out, shape, res_dt):
    """Validate out= as NumPy does; returns (object to return, ndarray view)."""
    if type(out) is tuple:
        if len(out) != 1:
            fail(op, f"out must be an array or a 1-tuple, got a tuple of length {len(out)}", ValueError)
        out = out[0]
    if not isinstance(out, _ndarray):
        fail(op, f"out must be a numpy.ndarray, not {type(out).__name__}")
    arr = out if type(out) is _ndarray else _plain_view(op, out, "out")
    if not arr.flags.writeable:
        fail(op, "out is read-only", ValueError)
    if arr.shape != shape:
        try:
            ok = np.broadcast_shapes(shape, arr.shape) == arr.shape
        except ValueError:
            ok = False
        if not ok:
            fail(op, f"out has shape {arr.shape}, but the result has shape {shape}", ValueError)
    if not np.can_cast(res_dt, arr.dtype, "same_kind"):
        fail(op, f"cannot cast the result from dtype {res_dt} to out's dtype "
                 f"{arr.dtype} with casting rule 'same_kind'")
    return out, arr
