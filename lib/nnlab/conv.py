"""Sliding-window layers: convolution and max-pooling, forward and backward.

Channels-last throughout: images are ``(N, H, W, C)``, convolution weights
``(K, K, C, F)``. The convolution is im2col: a strided view (`_windows`)
gathers every K x K x C window into one row of a matrix, and one matrix
product with the flattened weights does all the multiply-adds. The backward
pass is two more products (the input gradient's batched over the K*K kernel
offsets) and a scatter-add of the window gradients back onto the image, a
loop over the K*K offsets (never over pixels). `dilation` spaces the kernel
taps, as PyTorch's argument of that name does. Max-pooling reads the same
windows. `nnlab.layers` re-exports everything here.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from nnlab.validate import check_array, check_dout, check_int

# Below this many input channels the backward pass forms dcols as one wide
# product rather than K*K narrow ones (see `conv2d_backward`).
NARROW_C = 8


class ConvCache(NamedTuple):
    """What `conv2d_backward` needs; ``cols`` is im2col's ``(N H_out W_out, K K C)``."""

    x: np.ndarray
    w: np.ndarray
    b: np.ndarray
    stride: int
    pad: int
    dilation: int
    cols: np.ndarray


def _windows(xp: np.ndarray, K: int, stride: int, H_out: int, W_out: int, dilation=1):
    """Read-only strided view ``(N, H_out, W_out, K, K, C)`` of the windows.

    Window ``(i, j)`` starts at ``(stride i, stride j)``; its taps are
    `dilation` pixels apart.
    """
    sN, sH, sW, sC = xp.strides
    shape = (xp.shape[0], H_out, W_out, K, K, xp.shape[3])
    strides = (sN, stride * sH, stride * sW, dilation * sH, dilation * sW, sC)
    return as_strided(xp, shape=shape, strides=strides, writeable=False)


def conv_output_size(
    size: int, kernel: int, stride: int, pad: int, dilation: int = 1
) -> int:
    r"""Output length of a convolution or pool along one axis.

    A window spans ``dilation (kernel - 1) + 1`` input pixels; rows that do
    not fit a whole window at the end are dropped:

    .. math::
        \left\lfloor \frac{size + 2\,pad - dilation\,(kernel - 1) - 1}{stride}
        \right\rfloor + 1

    Raises
    ------
    TypeError, ValueError
        If an argument is not an integer, is below its minimum (1, or 0 for
        `pad`), or the window is longer than the padded input.
    """
    size = check_int("size", size, 1)
    kernel = check_int("kernel", kernel, 1)
    stride = check_int("stride", stride, 1)
    pad = check_int("pad", pad, 0)
    dilation = check_int("dilation", dilation, 1)
    span = dilation * (kernel - 1) + 1
    if span > size + 2 * pad:
        at = f" at dilation {dilation}" if dilation > 1 else ""
        raise ValueError(
            f"kernel {kernel}{at} is longer than the padded input "
            f"{size + 2 * pad} (size {size}, pad {pad})"
        )
    return (size + 2 * pad - span) // stride + 1


def conv2d_forward(x, w, b, stride: int = 1, pad: int | None = None, dilation: int = 1):
    r"""2-D convolution (cross-correlation) of a batch of images.

    Parameters
    ----------
    x : (N, H, W, C) ndarray
    w : (K, K, C, F) ndarray
        F filters of size K x K over C channels.
    b : (F,) ndarray
    stride : int
        Step between windows, >= 1, the same along H and W.
    pad : int or None
        Zeros added on every side; None means ``dilation (K - 1) // 2``
        ("same" for odd K at stride 1).
    dilation : int
        Spacing between kernel taps, >= 1 (PyTorch's ``dilation``): a
        window spans ``dilation (K - 1) + 1`` pixels.

    Returns
    -------
    out : (N, H_out, W_out, F) ndarray
        ``H_out = (H + 2 pad - dilation (K - 1) - 1) // stride + 1``,
        likewise W_out.
    cache : ConvCache
        ``(x, w, b, stride, pad, dilation, cols)``.

    Raises
    ------
    TypeError, ValueError
        As `nnlab.validate`, or if the shapes of x, w and b do not agree.

    Notes
    -----
    .. math::
        out[n, i, j, f] = b_f + \sum_{p, q < K} \sum_{c}
            x_{pad}[n, s i + d p, s j + d q, c] \; w[p, q, c, f]

    With ``cols`` the matrix whose rows are the flattened windows, this is
    ``cols @ w.reshape(K*K*C, F) + b``: 2 K^2 C F H_out W_out FLOPs per image
    (bias adds not counted).

    What the layout costs: ``cols`` is K^2 / stride^2 times the size of x
    (9 times for a 3x3 "same" layer), written once here and read again by
    the backward pass for dw. Its rows are channels-last windows, so each
    row is copied as K runs of K C contiguous numbers; with C = 3 those runs
    are short and the copy costs about as much as the product. For a 1x1
    kernel at stride 1 ``cols`` is x itself, no copy.

    References
    ----------
    K. Chellapilla, S. Puri, P. Simard, "High performance convolutional
    neural networks for document processing", IWFHR 2006 (im2col + GEMM).
    """
    check_array("x", x, 4, "(N, H, W, C)")
    check_array("w", w, 4, "(K, K, C, F)")
    check_array("b", b, 1, "(F,)")
    N, H, W, C = x.shape
    K, K2, Cw, F = w.shape
    if K != K2:
        raise ValueError(f"w must have a square kernel (K, K, C, F), got {w.shape}")
    if Cw != C:
        raise ValueError(
            f"x has {C} channels (shape {x.shape}) but w expects {Cw} "
            f"(shape {w.shape}); channels must agree"
        )
    if b.shape != (F,):
        raise ValueError(
            f"b must have shape ({F},) to match w {w.shape}, got {b.shape}"
        )
    stride = check_int("stride", stride, 1)
    dilation = check_int("dilation", dilation, 1)
    pad = dilation * (K - 1) // 2 if pad is None else check_int("pad", pad, 0)
    span = dilation * (K - 1) + 1
    if span > H + 2 * pad or span > W + 2 * pad:
        shown = f" at dilation {dilation}" if dilation > 1 else ""
        raise ValueError(
            f"kernel {K}x{K}{shown} (w {w.shape}) is larger than the padded input "
            f"{H + 2 * pad}x{W + 2 * pad} (x {x.shape}, pad {pad})"
        )
    H_out, W_out = (conv_output_size(n, K, stride, pad, dilation) for n in (H, W))
    dtype = np.result_type(x, w, b)

    x = x.astype(dtype, copy=False)
    if pad:
        xp = np.zeros((N, H + 2 * pad, W + 2 * pad, C), dtype=dtype)
        xp[:, pad : pad + H, pad : pad + W] = x
    else:
        xp = x
    # The reshape of the strided view is the one copy im2col makes (none for
    # a 1x1 kernel at stride 1, where the view is x itself).
    win = _windows(xp, K, stride, H_out, W_out, dilation)
    cols = win.reshape(-1, K * K * C)  # (M, KKC)
    out = cols @ w.astype(dtype, copy=False).reshape(-1, F)  # (M, F)
    out += b
    out = out.reshape(N, H_out, W_out, F)
    return out, ConvCache(x, w, b, stride, pad, dilation, cols)


def conv2d_backward(dout, cache: ConvCache):
    r"""Backward pass of `conv2d_forward`.

    Parameters
    ----------
    dout : (N, H_out, W_out, F) ndarray
        Gradient of the loss with respect to the convolution's output.
    cache : ConvCache
        From `conv2d_forward`.

    Returns
    -------
    dx : (N, H, W, C) ndarray
    dw : (K, K, C, F) ndarray
    db : (F,) ndarray

    Raises
    ------
    TypeError, ValueError
        If `dout` is not a finite floating array of the output's shape.

    Notes
    -----
    With ``out2d = cols @ W2d + b``: ``dW2d = cols^T dout2d``,
    ``db = sum_rows dout2d`` and ``dcols = dout2d W2d^T``. The input
    gradient is the adjoint of im2col applied to dcols (col2im):

    .. math::
        dx_{pad}[n, s i + d p, s j + d q, c] \mathrel{+}= dcols[n, i, j, p, q, c]

    summed over every window (i, j) and offset (p, q) < K, then the padding
    border is cut off. One strided add per kernel offset, K*K in all.

    What the layout costs: dcols is computed as one batched product,
    ``dout2d @ w[p, q].T`` for the K^2 offsets at once, so that it comes
    out as K^2 contiguous ``(N, H_out, W_out, C)`` slabs and each add of the
    scatter runs over whole ``W_out C`` rows (``dout2d @ W2d^T`` would
    interleave the offsets, leaving runs of C numbers to add: slow for
    small C). The price is K^2 products with only C columns each, which
    BLAS runs at lower speed when C is small (C = 3 on an RGB input). At
    stride 1 the scatter then moves about as many bytes as the product
    writes.
    """
    x, w, b, stride, pad, dilation, cols = cache
    N, H, W, C = x.shape
    K, _, _, F = w.shape
    H_out, W_out = (conv_output_size(n, K, stride, pad, dilation) for n in (H, W))
    check_dout(dout, (N, H_out, W_out, F))
    dtype = cols.dtype
    dout = dout.astype(dtype, copy=False)
    dout2d = dout.reshape(-1, F)  # (M, F)

    dw = (cols.T @ dout2d).reshape(K, K, C, F)
    # A product with ones: several times faster than .sum(axis=0) here.
    db = np.ones(dout2d.shape[0], dtype=dtype) @ dout2d  # (F,)

    Hp, Wp = H + 2 * pad, W + 2 * pad
    w2d = w.astype(dtype, copy=False).reshape(K * K, C, F)
    if C >= NARROW_C:
        # One (M, C) slab per offset: channels-last, the scatter adds W_out C
        # contiguous numbers at a time.
        w_t = np.ascontiguousarray(w2d.transpose(0, 2, 1))  # (KK, F, C)
        dcols = (dout2d @ w_t).reshape(K, K, N, H_out, W_out, C)
        dxp = np.zeros((N, Hp, Wp, C), dtype=dtype)
    else:
        # Few channels: (K K C, M) = one wide product, stored channels-first
        # (K, K, C, N, H_out, W_out) and viewed channels-last; the scatter
        # then runs along W_out in memory.
        dcols = w2d.reshape(-1, F) @ dout2d.T  # (KKC, M)
        dcols = dcols.reshape(K, K, C, N, H_out, W_out).transpose(0, 1, 3, 4, 5, 2)
        dxp = np.zeros((C, N, Hp, Wp), dtype=dtype).transpose(1, 2, 3, 0)
    h_span, w_span = stride * (H_out - 1) + 1, stride * (W_out - 1) + 1
    for p, q in np.ndindex(K, K):
        i, j = dilation * p, dilation * q
        dxp[:, i : i + h_span : stride, j : j + w_span : stride] += dcols[p, q]
    dx = dxp[:, pad : pad + H, pad : pad + W] if pad else dxp  # (N, H, W, C)
    return (
        np.ascontiguousarray(dx),
        dw.astype(w.dtype, copy=False),
        db.astype(b.dtype, copy=False),
    )


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
    win = _windows(x, size, stride, H_out, W_out).reshape(N, H_out, W_out, -1, C)
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
    # The adjoint of `_windows`: overlapping windows (size > stride) add up.
    dx = np.zeros(x.shape, dtype=dwin.dtype)
    h_span, w_span = stride * (H_out - 1) + 1, stride * (W_out - 1) + 1
    for i, j in np.ndindex(size, size):
        dx[:, i : i + h_span : stride, j : j + w_span : stride] += dwin[:, :, :, i, j]
    return dx
