"""Centred finite differences and the one error metric every check uses.

Every backward pass in nnlab is checked the same way: perturb one entry of
an input by +-h, evaluate a scalar function of the forward pass, and compare
the slope with the analytic gradient by `rel_error`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def rel_error(a, b, floor: float = 1e-8) -> float:
    """Largest elementwise relative error between two arrays.

    Parameters
    ----------
    a, b : ndarray of the same shape
    floor : float
        Added to the denominator so that entries that are both ~0 do not
        divide by zero.

    Returns
    -------
    float
        ``max |a - b| / max(|a| + |b|, floor)``, 0.0 for empty arrays.

    Notes
    -----
    This is the CS231n metric: below ~1e-7 in float64 the two agree to
    about seven significant digits wherever they are not tiny.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"rel_error needs arrays of one shape, got {a.shape} and {b.shape}"
        )
    if a.size == 0:
        return 0.0
    denom = np.maximum(np.abs(a) + np.abs(b), floor)
    return float(np.max(np.abs(a - b) / denom))


def numerical_gradient(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    dout: np.ndarray | None = None,
    h: float = 1e-6,
) -> np.ndarray:
    """Centred finite-difference gradient of ``sum(f(x) * dout)`` w.r.t. x.

    Parameters
    ----------
    f : callable
        Maps an array shaped like `x` to an array (or a scalar). It is
        called ``2 * x.size`` times; `x` is perturbed in place and restored
        after each entry, so `f` may close over `x` itself.
    x : float64 ndarray
        The point at which to differentiate.
    dout : ndarray shaped like ``f(x)``, optional
        Upstream gradient. Omitted, `f` must return a scalar (or its sum is
        taken with unit weights).
    h : float
        Step of the centred difference; the truncation error is O(h**2).

    Returns
    -------
    ndarray shaped like `x`
        ``(g(x + h e_i) - g(x - h e_i)) / (2 h)`` for every entry i, where
        ``g = sum(f(.) * dout)``.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a numpy array, got {type(x).__name__}")
    if x.dtype != np.float64:
        raise TypeError(
            f"finite differences need float64 input, got dtype {x.dtype}; "
            "cast with x.astype(np.float64)"
        )
    grad = np.zeros_like(x)
    flat_x = x.reshape(-1)  # a view: writes go into x
    flat_g = grad.reshape(-1)
    for i in range(flat_x.size):
        old = flat_x[i]
        flat_x[i] = old + h
        plus = np.asarray(f(x), dtype=np.float64)
        flat_x[i] = old - h
        minus = np.asarray(f(x), dtype=np.float64)
        flat_x[i] = old
        if dout is None:
            flat_g[i] = (plus.sum() - minus.sum()) / (2 * h)
        else:
            flat_g[i] = np.sum((plus - minus) * dout) / (2 * h)
    return grad


def check_gradient(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    analytic: np.ndarray,
    dout: np.ndarray | None = None,
    h: float = 1e-6,
) -> float:
    """Relative error between `analytic` and the numerical gradient at x.

    A convenience for tests and notebooks: ``rel_error(analytic,
    numerical_gradient(f, x, dout, h))``.
    """
    analytic = np.asarray(analytic)
    if analytic.shape != x.shape:
        raise ValueError(
            f"analytic gradient has shape {analytic.shape}, "
            f"expected the shape of x {x.shape}"
        )
    return rel_error(analytic, numerical_gradient(f, x, dout, h))
