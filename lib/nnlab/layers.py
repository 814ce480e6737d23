"""Convolution, max-pooling, ReLU and affine layers, forward and backward.

The sliding-window layers live in `nnlab.conv` (convolution) and
`nnlab.pool` (max-pooling) and are re-exported here, so ``from nnlab import
layers`` gives every layer of the problem set. Channels-last throughout:
images are ``(N, H, W, C)``.
"""

from __future__ import annotations

import numpy as np

from nnlab.conv import NARROW_C as NARROW_C
from nnlab.conv import ConvCache as ConvCache
from nnlab.conv import conv2d_backward as conv2d_backward
from nnlab.conv import conv2d_forward as conv2d_forward
from nnlab.conv import conv_output_size as conv_output_size
from nnlab.pool import maxpool_backward as maxpool_backward
from nnlab.pool import maxpool_forward as maxpool_forward
from nnlab.validate import check_array, check_dout


def relu_forward(x):
    """Rectified linear unit ``max(x, 0)``, elementwise.

    Parameters
    ----------
    x : ndarray of any shape, floating

    Returns
    -------
    out : ndarray shaped like x
    cache : ndarray
        x itself.

    Raises
    ------
    TypeError, ValueError
        If `x` is not a floating array, or is empty.

    Notes
    -----
    NaN and inf are let through (a scan would cost as much as the layer):
    NaN stays NaN, inf stays inf, -inf gives 0.

    References
    ----------
    V. Nair, G. Hinton, "Rectified linear units improve restricted Boltzmann
    machines", ICML 2010.
    """
    check_array("x", x, finite=False)
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    """Backward pass of `relu_forward`.

    Returns
    -------
    dx : ndarray shaped like x
        ``dout * (x > 0)``: the gradient at x == 0 is taken as 0.

    Raises
    ------
    TypeError, ValueError
        If `dout` is not a finite floating array of x's shape.
    """
    x = cache
    check_dout(dout, x.shape)
    return dout * (x > 0)


def linear_forward(x, w, b):
    """Affine layer ``x @ w + b``.

    Parameters
    ----------
    x : (N, D) ndarray
    w : (D, M) ndarray
    b : (M,) ndarray

    Returns
    -------
    out : (N, M) ndarray
    cache : tuple
        ``(x, w, b)``.

    Raises
    ------
    TypeError, ValueError
        As `nnlab.validate.check_array`, or if the shapes do not chain.
    """
    check_array("x", x, 2, "(N, D)")
    check_array("w", w, 2, "(D, M)")
    check_array("b", b, 1, "(M,)")
    D, (Dw, M) = x.shape[1], w.shape
    if Dw != D:
        raise ValueError(
            f"x has D={D} features (shape {x.shape}) but w expects {Dw} "
            f"(shape {w.shape})"
        )
    if b.shape != (M,):
        raise ValueError(
            f"b must have shape ({M},) to match w {w.shape}, got {b.shape}"
        )
    return x @ w + b, (x, w, b)  # (N, M)


def linear_backward(dout, cache):
    """Backward pass of `linear_forward`.

    Parameters
    ----------
    dout : (N, M) ndarray
    cache : tuple
        From `linear_forward`.

    Returns
    -------
    dx : (N, D) ndarray
        ``dout @ w.T``
    dw : (D, M) ndarray
        ``x.T @ dout``
    db : (M,) ndarray
        ``dout.sum(axis=0)``

    Raises
    ------
    TypeError, ValueError
        If `dout` is not a finite floating array of the output's shape.
    """
    x, w, b = cache
    check_dout(dout, (x.shape[0], w.shape[1]))
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)
