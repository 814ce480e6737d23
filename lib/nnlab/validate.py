"""Argument checks shared by every public entry point.

Each check returns the value in its canonical type or raises: a value of the
wrong type raises `TypeError`, a value of the right type outside what is
allowed raises `ValueError`. The message names the argument, what was
received and what is allowed.
"""

import numbers
from collections.abc import Iterable

import numpy as np


def check_int(name: str, value, minimum: int | None = None) -> int:
    """Return `value` as an int after checking it is an integer >= `minimum`.

    Parameters
    ----------
    name : str
        How the message names the argument.
    value : object
        The value received. Any `numbers.Integral` (``int``, ``np.int64``, ...)
        is accepted except ``bool``: ``True`` as a layer count is a mistake.
    minimum : int, optional
        The smallest value allowed; None for no lower bound.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If `value` is not an integer, or is a bool.
    ValueError
        If `value` is less than `minimum`.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer, got {type(value).__name__} {value!r}"
        )
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_choice(name: str, value, options: Iterable[str]) -> str:
    """Return `value` after checking it is one of the strings `options`.

    Parameters
    ----------
    name : str
        How the message names the argument.
    value : object
        The value received.
    options : iterable of str
        The allowed values, listed in the message in this order.

    Returns
    -------
    str

    Raises
    ------
    TypeError
        If `value` is not a str.
    ValueError
        If `value` is not one of `options`.
    """
    options = tuple(options)
    allowed = ", ".join(repr(o) for o in options)
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be a str, one of {allowed}, "
            f"got {type(value).__name__} {value!r}"
        )
    if value not in options:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def check_array(
    name: str,
    value,
    ndim: int | tuple[int, ...] | None = None,
    layout: str = "",
    finite: bool = True,
    nonempty: bool = True,
):
    """Return `value` after checking it is a floating ndarray of the right rank.

    Parameters
    ----------
    name : str
        How the message names the argument.
    value : object
        The value received.
    ndim : int or tuple of int, optional
        The number of dimensions allowed (one or several); None for any.
    layout : str, optional
        The expected layout, shown in the message, for example
        ``"(N, H, W, C)"``. A channels-first array refused for its rank is
        then told what order is expected.
    finite : bool, default True
        Refuse NaN and inf: every kernel here documents finite input, and a
        NaN let through would come out as NaN with no word of where it began.
    nonempty : bool, default True
        Refuse an array with a zero-length axis: a mean over it is 0/0.

    Returns
    -------
    ndarray
        `value` itself, not a copy.

    Raises
    ------
    TypeError
        If `value` is not an ndarray or its dtype is not floating (an integer
        array would silently truncate updates and gradients). Every floating
        dtype passes, float16 and longdouble too; results keep the input's.
    ValueError
        If the rank is not `ndim`, an axis is empty, or (with `finite`) an
        entry is NaN or inf; the message gives the first such index.
    """
    shown = f" {layout}" if layout else ""
    if not isinstance(value, np.ndarray):
        raise TypeError(
            f"{name} must be a numpy array{shown}, got {type(value).__name__}"
        )
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if value.ndim not in allowed:
            ranks = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(
                f"{name} must be {ranks}{shown}, got {value.ndim}-D shape {value.shape}"
            )
    if value.dtype.kind != "f":  # np.issubdtype(dtype, np.floating), 5x faster
        raise TypeError(
            f"{name} must have a floating dtype (such as float32 or float64), "
            f"got {value.dtype}"
        )
    if nonempty and value.size == 0:
        raise ValueError(
            f"{name} must not have an empty axis{shown}, got shape {value.shape}"
        )
    if finite and not np.isfinite(value).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(value))[0])
        raise ValueError(f"{name} must be finite, got {value[bad]} at index {bad}")
    return value


def check_dout(value, expected: tuple, name: str = "dout"):
    """Return the upstream gradient after checking it matches the forward output.

    Parameters
    ----------
    value : object
        The gradient received.
    expected : tuple of int
        The shape of the forward pass's output.
    name : str, default "dout"
        How the message names the argument.

    Returns
    -------
    ndarray

    Raises
    ------
    TypeError
        If `value` is not a floating ndarray.
    ValueError
        If its shape is not `expected`, or it holds NaN or inf.
    """
    check_array(name, value, nonempty=False)
    if value.shape != tuple(expected):
        raise ValueError(
            f"{name} must have the forward output's shape {tuple(expected)}, "
            f"got {value.shape}"
        )
    return value


def check_positive(name: str, value) -> float:
    """Return `value` as a float after checking it is a finite number > 0.

    Used for step sizes, epsilons and learning rates.

    Raises
    ------
    TypeError
        If `value` is not a real number (bool included).
    ValueError
        If it is not finite or not > 0.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {type(value).__name__} {value!r}"
        )
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def as_floats(
    name: str,
    value,
    ndim: int | tuple[int, ...] | None = None,
    layout: str = "",
    finite: bool = True,
    nonempty: bool = True,
) -> np.ndarray:
    """Return array-like `value` as a float64 ndarray, checked as `check_array`.

    For functions that take numbers in any container (lists of losses,
    seeds' results), not for kernels, which take ndarrays as they are.

    Raises
    ------
    TypeError
        If `value` is None, a string, or holds something that is not a number.
    ValueError
        As `check_array`.
    """
    if value is None or isinstance(value, str | bytes):
        raise TypeError(
            f"{name} must be numbers (an array or a sequence), "
            f"got {type(value).__name__} {value!r}"
        )
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeError(
            f"{name} must be numbers (an array or a sequence), got "
            f"{type(value).__name__} that numpy cannot read as floats: {e}"
        ) from None
    return check_array(name, a, ndim, layout, finite, nonempty)


def check_real(
    name: str, value, low: float | None = None, high: float | None = None
) -> float:
    """Return `value` as a float after checking it is a finite real in (low, high).

    Bounds are open; None for no bound.

    Raises
    ------
    TypeError
        If `value` is not a real number (bool included).
    ValueError
        If it is NaN, infinite, or outside (low, high).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {type(value).__name__} {value!r}"
        )
    value = float(value)
    inside = (low is None or value > low) and (high is None or value < high)
    if not (np.isfinite(value) and inside):
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(
            f"{name} must be a finite number in ({lo}, {hi}), got {value!r}"
        )
    return value
