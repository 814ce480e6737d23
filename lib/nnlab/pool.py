"""Max-pooling over square windows, channel by channel, forward and backward.

Channels-last: images are ``(N, H, W, C)``. The windows are a strided view
of the input (`numpy.lib.stride_tricks.sliding_window_view`); the backward
pass routes each window's gradient to its arg-max and adds the windows back,
one strided add per offset within the window. `nnlab.layers` re-exports both.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from nnlab.conv import conv_output_size
from nnlab.validate import check_array, check_dout, check_int


def maxpool_forward(x, size: int = 2, stride: int = 2):
    r"""Max-pooling over size x size windows, channel by channel.

    Parameters
    ----------
    x : (N, H, W, C) ndarray
    size : int
        Window side, >= 1 and no larger than H or W.
    stride : int
        Step between windows, >= 1. No padding: trailing rows/columns that do
        not fill a window are dropped.

    Returns
    -------
    out : (N, H_out, W_out, C) ndarray
        ``H_out = (H - size) // stride + 1``.
    cache : tuple
        ``(x, argmax, size, stride)``; argmax ``(N, H_out, W_out, C)`` is the
        flat index within each window of its (first) largest entry.

    Raises
    ------
    TypeError, ValueError
        As `nnlab.validate`, or if the window is larger than the input.

    Notes
    -----
    .. math::
        out[n, i, j, c] = \max_{p, q < size} x[n, s i + p, s j + q, c]

    The gradient flows to the arg-max only; ties go to the first in
    row-major order, a valid subgradient.
    """
    check_array("x", x, 4, "(N, H, W, C)")
    size = check_int("size", size, 1)
    stride = check_int("stride", stride, 1)
    N, H, W, C = x.shape
    if size > H or size > W:
        raise ValueError(
            f"pool size {size} is larger than the input {H}x{W} (x {x.shape})"
        )
    H_out, W_out = (conv_output_size(n, size, stride, 0) for n in (H, W))
    win = sliding_window_view(x, (size, size), axis=(1, 2))[:, ::stride, ::stride]
    win = win.transpose(0, 1, 2, 4, 5, 3)  # (N, H_out, W_out, size, size, C)
    win = win.reshape(N, H_out, W_out, -1, C)
    argmax = win.argmax(axis=3)  # (N, H_out, W_out, C)
    out = np.take_along_axis(win, argmax[:, :, :, None, :], axis=3)[:, :, :, 0, :]
    return out, (x, argmax, size, stride)


def maxpool_backward(dout, cache):
    """Backward pass of `maxpool_forward`.

    Parameters
    ----------
    dout : (N, H_out, W_out, C) ndarray
    cache : tuple
        From `maxpool_forward`.

    Returns
    -------
    dx : (N, H, W, C) ndarray
        ``dout`` routed to the arg-max of each window (summed where windows
        overlap), zero elsewhere.

    Raises
    ------
    TypeError, ValueError
        If `dout` is not a finite floating array of the output's shape.
    """
    x, argmax, size, stride = cache
    check_dout(dout, argmax.shape)
    N, H_out, W_out, C = argmax.shape
    offsets = np.arange(size * size)[:, None]  # (size*size, 1)
    onehot = offsets == argmax[:, :, :, None, :]  # (N, H_out, W_out, size*size, C)
    dwin = (onehot * dout[:, :, :, None, :]).astype(x.dtype, copy=False)
    dwin = dwin.reshape(N, H_out, W_out, size, size, C)
    # The adjoint of the window view: overlapping windows (size > stride) add up.
    dx = np.zeros(x.shape, dtype=dwin.dtype)
    h_span, w_span = stride * (H_out - 1) + 1, stride * (W_out - 1) + 1
    for i, j in np.ndindex(size, size):
        dx[:, i : i + h_span : stride, j : j + w_span : stride] += dwin[:, :, :, i, j]
    return dx
