"""Argument checks shared by every public entry point.

Each check returns the value in its canonical type or raises: a value of the
wrong type raises `TypeError`, a value of the right type outside what is
allowed raises `ValueError`. The message names the argument, what was
received and what is allowed.
"""

import numbers
from collections.abc import Iterable


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
