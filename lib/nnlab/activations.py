r"""Elementwise activations as forward/backward pairs, and a registry by name.

Problem 2 asks which of these can follow batch normalization:

=============  ==========================  ==============================
name           forward                     derivative
=============  ==========================  ==============================
relu           max(0, x)                   1 if x > 0 else 0
min0           min(0, x)                   1 if x < 0 else 0
linear         x / sqrt(2)                 1 / sqrt(2)
shifted_relu   max(0, x - 10)              1 if x > 10 else 0
sigmoid        exp(x) / (exp(x) + 1)       s (1 - s)
sign           sign(x)                     0 (everywhere it is defined)
=============  ==========================  ==============================

At the kinks the derivative is taken as 0, as autograd frameworks do.
``sign`` jumps at 0 and is flat elsewhere, so its derivative is 0 wherever
it exists, and frameworks return 0 at the jump too: no gradient ever passes
through a sign unit.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from nnlab.layers import relu_backward, relu_forward
from nnlab.validate import check_array, check_choice, check_dout

SHIFT = 10.0
LINEAR_SCALE = 1.0 / np.sqrt(2.0)


def _check_x(x) -> None:
    # elementwise: any shape, empty included; NaN and inf propagate as
    # documented, and scanning for them would cost as much as the kernel
    check_array("x", x, finite=False, nonempty=False)


def min0_forward(x):
    r"""min(0, x), elementwise.

    Parameters
    ----------
    x : (...) ndarray

    Returns
    -------
    out : (...) ndarray
    cache : ndarray
        x.

    Notes
    -----
    :math:`\min(0, x) = -\max(0, -x)`: a ReLU with its input and output negated.
    """
    _check_x(x)
    return np.minimum(x, 0.0), x


def min0_backward(dout, cache):
    """Gradient of `min0_forward`: dout where x < 0, else 0."""
    x = cache
    check_dout(dout, x.shape)
    return dout * (x < 0)


def scaled_linear_forward(x):
    """Scale by 1/sqrt(2), elementwise: ``out = x / sqrt(2)``.

    Returns
    -------
    out : (...) ndarray
    cache : tuple
        The shape of x (the derivative is a constant).
    """
    _check_x(x)
    return x * LINEAR_SCALE, x.shape


def scaled_linear_backward(dout, cache):
    """Gradient of `scaled_linear_forward`: dout / sqrt(2)."""
    shape = cache
    check_dout(dout, shape)
    return dout * LINEAR_SCALE


def shifted_relu_forward(x, shift: float = SHIFT):
    """max(0, x - shift), elementwise; Problem 2 uses shift = 10.

    Returns
    -------
    out : (...) ndarray
    cache : tuple
        ``(x, shift)``.
    """
    _check_x(x)
    if isinstance(shift, bool) or not isinstance(shift, numbers.Real):
        raise TypeError(f"shift must be a real number, got {type(shift).__name__}")
    if not np.isfinite(shift):
        raise ValueError(f"shift must be finite, got {shift!r}")
    return np.maximum(x - shift, 0.0), (x, shift)


def shifted_relu_backward(dout, cache):
    """Gradient of `shifted_relu_forward`: dout where x > shift, else 0."""
    x, shift = cache
    check_dout(dout, x.shape)
    return dout * (x > shift)


def sigmoid_forward(x):
    r"""exp(x) / (exp(x) + 1) = 1 / (1 + exp(-x)), elementwise.

    Returns
    -------
    out : (...) ndarray
    cache : ndarray
        ``z = exp(-|x|)``, from which the derivative is computed.

    Notes
    -----
    With :math:`z = e^{-|x|} \in (0, 1]`, :math:`s = 1/(1+z)` for :math:`x \ge 0` and
    :math:`z/(1+z)` for :math:`x < 0`: no exponential overflows. The derivative
    :math:`s(1-s) = z/(1+z)^2` is computed from z, which keeps its relative
    accuracy in both tails (``1 - s`` would round to 0 for large x).
    """
    _check_x(x)
    z = np.abs(x, out=np.empty_like(x))  # an array even for 0-d x
    np.exp(np.negative(z, out=z), out=z)  # exp(-|x|) in one array
    # 1 / (1 + z) where x >= 0, z / (1 + z) elsewhere: one division
    s = np.where(x >= 0, 1.0, z)
    s /= 1.0 + z
    return s, z


def sigmoid_backward(dout, cache):
    """Gradient of `sigmoid_forward`: dout * s (1 - s) = dout * z / (1 + z)**2."""
    z = cache
    check_dout(dout, z.shape)
    t = 1.0 + z
    t *= t  # (1 + z)**2
    return dout * np.divide(z, t, out=t)


def sign_forward(x):
    """sign(x) in {-1, 0, 1}, elementwise.

    Returns
    -------
    out : (...) ndarray
    cache : tuple
        The shape of x.
    """
    _check_x(x)
    return np.sign(x), x.shape


def sign_backward(dout, cache):
    """Gradient of `sign_forward`: 0 everywhere.

    sign is constant on x < 0 and on x > 0, so its derivative there is 0;
    at x = 0 it jumps and has none, and autograd frameworks return 0 there
    as well. Whatever dout is, nothing flows back.
    """
    shape = cache
    check_dout(dout, shape)
    return np.zeros_like(dout)


class Activation(NamedTuple):
    """One registry entry."""

    name: str
    forward: Callable  # x -> (out, cache)
    backward: Callable  # (dout, cache) -> dx
    formula: str  # LaTeX, for plot labels


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("relu", relu_forward, relu_backward, r"$\max(0, x)$"),
        Activation("min0", min0_forward, min0_backward, r"$\min(0, x)$"),
        Activation(
            "linear", scaled_linear_forward, scaled_linear_backward, r"$x/\sqrt{2}$"
        ),
        Activation(
            "shifted_relu",
            shifted_relu_forward,
            shifted_relu_backward,
            r"$\max(0, x - 10)$",
        ),
        Activation("sigmoid", sigmoid_forward, sigmoid_backward, r"$e^x / (e^x + 1)$"),
        Activation("sign", sign_forward, sign_backward, r"$\mathrm{sign}(x)$"),
    )
}


def get_activation(name: str) -> Activation:
    """Return the registry entry called `name`.

    Raises
    ------
    TypeError
        If `name` is not a str.
    ValueError
        If it is not a key of `ACTIVATIONS`; the message lists them.
    """
    return ACTIVATIONS[check_choice("activation", name, ACTIVATIONS)]


def _as_points(x):
    a = np.asarray(x)
    if not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise TypeError(
            f"x must be numbers (an array, a list or a scalar), got "
            f"{type(x).__name__} of dtype {a.dtype}"
        )
    return a.astype(np.float64)


def evaluate(name: str, x):
    """Value of activation `name` at x, without a cache (for plots).

    Parameters
    ----------
    name : str
        A key of `ACTIVATIONS`.
    x : array_like
        Points, converted to float64.

    Returns
    -------
    ndarray
        Shaped like x.
    """
    act = get_activation(name)
    return act.forward(_as_points(x))[0]


def derivative(name: str, x):
    """Local derivative of activation `name` at x (0 at kinks and jumps).

    Parameters
    ----------
    name : str
        A key of `ACTIVATIONS`.
    x : array_like
        Points, converted to float64.

    Returns
    -------
    ndarray
        Shaped like x.
    """
    act = get_activation(name)
    out, cache = act.forward(_as_points(x))
    return act.backward(np.ones_like(out), cache)
