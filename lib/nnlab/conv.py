"""2-D convolution, forward and backward, as im2col and matrix products.

Channels-last throughout: images are ``(N, H, W, C)``, convolution weights
``(K, K, C, F)``. A strided view (`_windows`) gathers every K x K x C window
into one row of a matrix (im2col), and one matrix product with the
flattened weights does all the multiply-adds. The batch is cut into chunks
of a few images so that each chunk's matrix stays in the core's cache
between the copy that builds it and the product that reads it. The input
gradient is a "full" convolution of the zero-bordered output gradient with
the flipped kernel at stride 1 (im2col again, no scatter), otherwise a
scatter-add of the window gradients (col2im: a few strided adds per kernel
offset, never a loop over pixels). `dilation` spaces the kernel taps, as
PyTorch's argument of that name does. Max-pooling is in `nnlab.pool`;
`nnlab.layers` re-exports both.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from nnlab.validate import check_array, check_dout, check_int

# Bytes of im2col matrix built per chunk of the batch: with the product's
# other operands this stays in a core's 2 MB L2 cache, where the products run
# up to 1.7 times as fast as on a matrix streamed from memory (measured on
# the Problem 1 layers, issue 18; 0.25 to 2 MB all do about as well).
CHUNK_BYTES = 1 << 20
# Below this many input channels the input gradient is built from
# channels-first window gradients (see `conv2d_backward`).
NARROW_C = 8


class ConvCache(NamedTuple):
    """What `conv2d_backward` needs: the zero-bordered input and the settings."""

    xp: np.ndarray
    w: np.ndarray
    b: np.ndarray
    stride: int
    pad: int
    dilation: int

    @property
    def cols(self) -> np.ndarray:
        """The im2col matrix ``(N H_out W_out, K K C)``, rebuilt on each access.

        The kernels gather it a chunk at a time and never hold it whole.
        """
        K = self.w.shape[0]
        H_out, W_out = _out_size(self.xp.shape[1:3], K, self.stride, self.dilation)
        win = _windows(self.xp, K, self.stride, H_out, W_out, self.dilation)
        return win.reshape(-1, K * K * self.xp.shape[3])


def _windows(xp: np.ndarray, K: int, stride: int, H_out: int, W_out: int, dilation=1):
    """Read-only strided view ``(N, H_out, W_out, K, K, C)`` of the windows.

    Window ``(i, j)`` starts at ``(stride i, stride j)``; its taps are
    `dilation` pixels apart.
    """
    sN, sH, sW, sC = xp.strides
    shape = (xp.shape[0], H_out, W_out, K, K, xp.shape[3])
    strides = (sN, stride * sH, stride * sW, dilation * sH, dilation * sW, sC)
    return as_strided(xp, shape=shape, strides=strides, writeable=False)


def _out_size(padded_hw, K: int, stride: int, dilation: int) -> tuple[int, int]:
    """``(H_out, W_out)`` from the already padded height and width."""
    return tuple((n - dilation * (K - 1) - 1) // stride + 1 for n in padded_hw)


def _zero_border(x: np.ndarray, top: int, bottom: int, dtype) -> np.ndarray:
    """Copy of `x` with `top` zero rows and columns before, `bottom` after."""
    if top == bottom == 0 and x.dtype == dtype:
        return x
    N, H, W, C = x.shape
    out = np.zeros((N, H + top + bottom, W + top + bottom, C), dtype=dtype)
    out[:, top : top + H, top : top + W] = x
    return out


def _chunks(N: int, image_bytes: int) -> list[slice]:
    """Consecutive slices of the batch, each about `CHUNK_BYTES` of columns."""
    step = max(1, CHUNK_BYTES // image_bytes)
    return [slice(n, min(n + step, N)) for n in range(0, N, step)]


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
        ``(xp, w, b, stride, pad, dilation)``; xp is x with its zero border.

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

    What the layout costs. Memory: the zero-bordered copy of x, kept in the
    cache (x itself when pad = 0); ``cols`` is K^2 / stride^2 times the size
    of x (9 times for a 3x3 "same" layer) but only one chunk of images,
    about `CHUNK_BYTES`, exists at a time, and the backward pass builds it
    again rather than keep it. Copies: x once into the border, then each
    window row as K runs of K C contiguous numbers (dilation 1; runs of C
    otherwise). With C = 3 the runs are short and the copy costs about as
    much as the product. A 1x1 kernel at stride 1 copies nothing: ``cols``
    is a reshape of x.

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
    dtype = np.result_type(x, w, b)
    xp = _zero_border(x, pad, pad, dtype)  # (N, H + 2 pad, W + 2 pad, C)
    H_out, W_out = _out_size(xp.shape[1:3], K, stride, dilation)
    w2d = w.astype(dtype, copy=False).reshape(-1, F)  # (KKC, F)
    b_d = b.astype(dtype, copy=False)
    win = _windows(xp, K, stride, H_out, W_out, dilation)
    out = np.empty((N, H_out, W_out, F), dtype=dtype)
    for n in _chunks(N, win[:1].size * out.itemsize):
        cols = win[n].reshape(-1, K * K * C)  # (rows, KKC), the one copy
        out_n = out[n].reshape(-1, F)  # (rows, F), a view into out
        np.matmul(cols, w2d, out=out_n)
        out_n += b_d  # while the chunk is in cache
    return out, ConvCache(xp, w, b, stride, pad, dilation)


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
    With ``out2d = cols @ W2d + b``: ``dW2d = cols^T dout2d`` (summed over
    chunks whose ``cols`` are gathered again from the cached input) and
    ``db = sum_rows dout2d``. The input gradient is the adjoint of im2col
    applied to ``dcols = dout2d W2d^T`` (col2im):

    .. math::
        dx_{pad}[n, s i + d p, s j + d q, c] \mathrel{+}= dcols[n, i, j, p, q, c]

    It is formed in one of three ways, each one product per chunk of images:

    - C < `NARROW_C` (an RGB input): dcols channels-first, ``W2d @ dout2d^T``
      (``(K K C, rows)``), added onto a channels-first padded dx, one add per
      kernel offset, each running along whole output rows (W_out numbers;
      channels-last they would be runs of C = 3). Costs a padded dx and a
      transposing copy back to channels-last, both the size of x.
    - stride 1, C >= `NARROW_C`: the sum over the windows that hold a pixel
      is a "full" convolution of dout (zero border ``d (K - 1)``, less pad)
      with the kernel flipped and its channel axes swapped,
      ``dx[n, h, v, c] = sum_{p,q,f} dout_e[n, h + d p, v + d q, f]
      w[K-1-p, K-1-q, c, f]``: im2col of dout_e, then ``(rows, K K F) @
      (K K F, C)``, the same FLOPs as dcols. No scatter, no padded dx; costs
      a zero-bordered copy of dout and its columns (K^2 F numbers per pixel,
      copied in runs of K F, one chunk at a time). With few channels that
      product would have only C output columns, which BLAS runs slowly.
    - stride > 1, C >= `NARROW_C` (a full convolution would multiply mostly
      inserted zeros): dcols channels-last and a scatter-add onto a padded
      dx. Windows ``g = ceil(K / stride)`` apart do not overlap, so one add
      covers a kernel row of every g-th window, in runs of K C numbers
      (runs of C when dilated): K g adds per chunk.
    """
    xp, w, b, stride, pad, dilation = cache
    N, Hp, Wp, C = xp.shape
    K, _, _, F = w.shape
    H_out, W_out = _out_size((Hp, Wp), K, stride, dilation)
    check_dout(dout, (N, H_out, W_out, F))
    dtype = xp.dtype
    dout = dout.astype(dtype, copy=False)
    dout2d = dout.reshape(-1, F)  # (M, F)
    wd = w.astype(dtype, copy=False)
    # A product with ones: several times faster than .sum(axis=0) here.
    db = np.ones(dout2d.shape[0], dtype=dtype) @ dout2d  # (F,)
    win = _windows(xp, K, stride, H_out, W_out, dilation)
    dw = np.zeros((K * K * C, F), dtype=dtype)
    rows = H_out * W_out  # per image
    for n in _chunks(N, win[:1].size * dtype.itemsize):
        dw += win[n].reshape(-1, K * K * C).T @ dout2d[n.start * rows : n.stop * rows]
    if C < NARROW_C:
        dx = _dx_planes(dout, wd, xp.shape, stride, pad, dilation)
    elif stride == 1:
        dx = _dx_full_conv(dout, wd, xp.shape, pad, dilation)
    else:
        dx = _dx_scatter(dout, wd, xp.shape, stride, pad, dilation)
    dw = dw.reshape(K, K, C, F).astype(w.dtype, copy=False)
    return dx, dw, db.astype(b.dtype, copy=False)


def _dx_full_conv(dout, w, xp_shape, pad: int, dilation: int):
    """Input gradient at stride 1 as a full convolution of dout."""
    N, Hp, Wp, C = xp_shape
    H, W = Hp - 2 * pad, Wp - 2 * pad
    K, _, _, F = w.shape
    e = dilation * (K - 1)
    # dout_e[:, r] = dout[:, r + pad - e]: a border of e, then a crop of pad
    dout_e = _zero_border(dout, e, e, dout.dtype)[
        :, pad : pad + H + e, pad : pad + W + e
    ]
    dwin = _windows(dout_e, K, 1, H, W, dilation)  # (N, H, W, K, K, F)
    w_flip = w[::-1, ::-1].transpose(0, 1, 3, 2).reshape(-1, C)  # (KKF, C)
    dx = np.empty((N, H, W, C), dtype=dout.dtype)
    for n in _chunks(N, dwin[:1].size * dout.itemsize):
        np.matmul(dwin[n].reshape(-1, K * K * F), w_flip, out=dx[n].reshape(-1, C))
    return dx


def _dx_planes(dout, w, xp_shape, stride: int, pad: int, dilation: int):
    """Input gradient for few channels: dcols channels-first, K*K plane adds."""
    N, Hp, Wp, C = xp_shape
    _, H_out, W_out, F = dout.shape
    K = w.shape[0]
    dxp = np.zeros((C, N, Hp, Wp), dtype=dout.dtype)  # channels-first
    sC, sN, sH, sW = dxp.strides
    # dst[p, q, c, n, i, j] = dxp[c, n, s i + d p, s j + d q]: each add runs
    # along whole output rows, W_out numbers, not along C = 3 channels.
    strides = (dilation * sH, dilation * sW, sC, sN, stride * sH, stride * sW)
    dst = as_strided(dxp, (K, K, C, N, H_out, W_out), strides)
    w2d = w.reshape(-1, F)  # (KKC, F)
    dout2d = dout.reshape(-1, F)
    rows = H_out * W_out  # per image
    for n in _chunks(N, K * K * C * rows * dout.itemsize):
        dcols_t = w2d @ dout2d[n.start * rows : n.stop * rows].T  # (KKC, rows)
        dcols_t = dcols_t.reshape(K, K, C, -1, H_out, W_out)
        for p, q in np.ndindex(K, K):
            dst[p, q, :, n] += dcols_t[p, q]
    return np.ascontiguousarray(
        dxp[:, :, pad : Hp - pad, pad : Wp - pad].transpose(1, 2, 3, 0)
    )


def _dx_scatter(dout, w, xp_shape, stride: int, pad: int, dilation: int):
    """Input gradient at stride > 1: dcols, then strided adds (col2im)."""
    N, Hp, Wp, C = xp_shape
    _, H_out, W_out, F = dout.shape
    K = w.shape[0]
    dxp = np.zeros(xp_shape, dtype=dout.dtype)
    sN, sH, sW, sC = dxp.strides
    w_t = w.reshape(-1, F).T  # (F, KKC), a view: BLAS reads it transposed
    # Dilation 1: windows j = g m + r (g = ceil(K / stride)) do not overlap,
    # so one add covers a kernel row p of all of them, in runs of K C numbers.
    g, run = (-(-K // stride), K * C) if dilation == 1 else (1, C)
    views = [
        as_strided(
            dxp[:, :, stride * r :],
            (K, N, H_out, len(range(r, W_out, g)), run),
            (dilation * sH, sN, stride * sH, g * stride * sW, sC),
        )
        for r in range(g)
    ]
    dout2d = dout.reshape(-1, F)
    for n in _chunks(N, H_out * W_out * K * K * C * dout.itemsize):
        dcols = dout2d[n.start * H_out * W_out : n.stop * H_out * W_out] @ w_t
        dcols = dcols.reshape(-1, H_out, W_out, K, K * C)  # (rows, KKC) as windows
        if dilation == 1:
            for p, r in np.ndindex(K, g):
                views[r][p, n] += dcols[:, :, r::g, p]
        else:
            h_span, w_span = stride * (H_out - 1) + 1, stride * (W_out - 1) + 1
            dcols = dcols.reshape(-1, H_out, W_out, K, K, C)
            for p, q in np.ndindex(K, K):
                i, j = dilation * p, dilation * q
                dxp[n, i : i + h_span : stride, j : j + w_span : stride] += dcols[
                    :, :, :, p, q
                ]
    return np.ascontiguousarray(dxp[:, pad : Hp - pad, pad : Wp - pad]) if pad else dxp
