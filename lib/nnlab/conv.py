"""2-D convolution, forward and backward, as im2col and matrix products.

Channels-last throughout: images are ``(N, H, W, C)``, convolution weights
``(K, K, C, F)``. A strided view (`_windows`) gathers every K x K x C window
into one row of a matrix (im2col), and one matrix product with the
flattened weights does all the multiply-adds. The batch is cut into chunks
of a few images so that each chunk's matrix stays in the core's cache
between the copy that builds it and the product that reads it. The input
gradient takes one of three routes (see `conv2d_backward`), none a loop
over pixels. `dilation` spaces the kernel taps, as PyTorch's argument of
that name does. Max-pooling is in `nnlab.pool`; `nnlab.layers` re-exports
both.

How close this comes to the bare matrix products (``make bench``: forward +
backward against the three products on ready-made operands, batch 32,
float32, one BLAS thread): 0.9 over the Problem 1 network and 0.7-1.0 for
its layers from 8 channels up, where the copies are small beside the
products. The 3x3 layers at stride 2 sit at the line, 0.69-0.78 from run to
run: their col2im adds, in runs of K C numbers, take about 1 of 4.5 ms at
32x32x16. Three kinds of layer stay near 0.5-0.65, and the copies and
checks, not the code around them, set that floor:

- 3 input channels (the first layer): ``K K C`` is 27 or 75, so the
  products are thin and the im2col and col2im copies, K^2 times the input,
  cost as much as they do (3x3: the three products 1.5 ms; copying the
  columns, the col2im adds and the transposes 0.8 ms more, and the
  product of the input gradient 0.3 ms more in the orientation whose
  adds run along rows; the other orientation leaves adds in runs of 3);
- 2x2 at stride 2 on 32x32x24, where the columns are a permutation of x:
  three copies the size of x (im2col in the forward pass and again for dw,
  the input gradient back into place), 0.6 ms beside 1.6 ms of products;
- the smallest layers (1x1 and 3x3 at stride 2 on 8x8 or 2x2 maps, about
  0.01-0.03 GFLOP, 0.15-0.3 ms of products): the argument checks (the
  finiteness of x, w and dout), the zero-filled input gradient and the
  bias, 50-70 us a call, are then a quarter of the time; the bare
  products plus only those steps reach about 0.68 for the 1x1 layer.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nnlab import im2col
from nnlab.im2col import (
    _chunks,
    _dx_full_conv,
    _dx_planes,
    _dx_scatter,
    _out_size,
    _windows,
    _zero_border,
)
from nnlab.validate import check_array, check_dout, check_int

# Below this many input channels the columns are built channels-first and
# kept for the backward pass (see `conv2d_forward`, `conv2d_backward`).
NARROW_C = 8


class ConvCache(NamedTuple):
    """What `conv2d_backward` needs: the bordered input, settings, kept columns."""

    xp: np.ndarray
    w: np.ndarray
    b: np.ndarray
    stride: int
    pad: int
    dilation: int
    cols_t: np.ndarray | None = None  # (K K C, N H_out W_out) if kept, else None

    @property
    def cols(self) -> np.ndarray:
        """The im2col matrix ``(N H_out W_out, K K C)``: kept or rebuilt."""
        if self.cols_t is not None:
            return self.cols_t.T
        K = self.w.shape[0]
        H_out, W_out = _out_size(self.xp.shape[1:3], K, self.stride, self.dilation)
        win = _windows(self.xp, K, self.stride, H_out, W_out, self.dilation)
        return win.reshape(-1, K * K * self.xp.shape[3])


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
        ``(xp, w, b, stride, pad, dilation, cols_t)``; xp is x with its zero
        border, cols_t the transposed im2col matrix if kept (C < `NARROW_C`,
        or the batch's columns fit in two chunks), else None.

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
    about `nnlab.im2col.CHUNK_BYTES`, exists at a time, and the backward
    pass builds it again rather than keep it (unless the batch's columns fit
    in two chunks, as in the late small layers: kept, for dw). Copies: x
    once into the border, then each window row as K runs of K C contiguous
    numbers (dilation 1; runs of C otherwise). A 1x1 kernel at stride 1
    copies nothing: ``cols`` is a reshape of x. With C < `NARROW_C` (RGB)
    runs of K C = 9 would make the copy cost as much as the product, so x
    is bordered channels-first and ``cols^T`` ``(K K C, rows)`` is copied in
    runs of W_out (stride 1); BLAS reads its transpose in place (up to 1.4
    times the contiguous product's time) and it is kept for dw: K^2 times
    x, 10 MB for 5x5 on 32 RGB 32x32 images.

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
    # A stride past the padded input takes the first window only, as this
    # one does; it keeps the views' byte steps within int64 (10**30 did not).
    stride = min(stride, max(H, W) + 2 * pad)
    dtype = np.result_type(x, w, b)
    narrow = C < NARROW_C
    xp = _zero_border(x, pad, pad, dtype, cf=narrow)  # (N, H + 2 pad, W + 2 pad, C)
    H_out, W_out = _out_size(xp.shape[1:3], K, stride, dilation)
    w2d = w.astype(dtype, copy=False).reshape(-1, F)  # (KKC, F)
    # The bias tiled along an output row: adding it to rows of W_out F
    # numbers runs 3-4 times as fast as broadcasting it onto rows of F.
    b_row = np.tile(b.astype(dtype, copy=False), W_out)
    win = _windows(xp, K, stride, H_out, W_out, dilation)
    out = np.empty((N, H_out, W_out, F), dtype=dtype)
    chunks = _chunks(N, win[:1].size * out.itemsize)
    rows = H_out * W_out  # per image
    # Keep the columns for dw when rebuilding them costs more: few channels
    # (short runs), or up to two chunks (keeping the 3 MB of the 2x2/2 layer
    # on 32x32x24 ran slower than rebuilding in cache); not a 1x1 view of x.
    view = K == stride == 1
    small = win.size * out.itemsize <= 2 * im2col.CHUNK_BYTES
    keep = narrow or (small and not view)
    shape = (N * rows, K * K * C)
    kept = np.empty(shape[::-1] if narrow else shape, dtype) if keep else None
    for n in chunks:
        if narrow:  # copied along output rows; BLAS reads the transpose
            kept.reshape(K, K, C, N, H_out, W_out)[:, :, :, n] = win[n].transpose(
                3, 4, 5, 0, 1, 2
            )
            cols = kept[:, n.start * rows : n.stop * rows].T  # (rows, KKC)
        elif keep:  # the one copy, into the kept matrix
            cols = kept[n.start * rows : n.stop * rows]  # (rows, KKC)
            cols.reshape(win[n].shape)[...] = win[n]
        else:
            cols = win[n].reshape(-1, K * K * C)  # (rows, KKC), the one copy
        out_n = out[n].reshape(-1, F)  # (rows, F), a view into out
        np.matmul(cols, w2d, out=out_n)
        out_n.reshape(-1, W_out * F)[...] += b_row  # while the chunk is in cache
    cols_t = kept if narrow or not keep else kept.T  # (KKC, rows) or None
    return out, ConvCache(xp, w, b, stride, pad, dilation, cols_t)


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
    With ``out2d = cols @ W2d + b``: ``dW2d = cols^T dout2d`` (from the kept
    columns if any, else summed over chunks whose ``cols`` are gathered
    again from the cached input) and ``db = sum_rows dout2d``.
    The input gradient is the adjoint of im2col applied to ``dcols = dout2d
    W2d^T`` (col2im):

    .. math::
        dx_{pad}[n, s i + d p, s j + d q, c] \mathrel{+}= dcols[n, i, j, p, q, c]

    It is formed in one of three ways, each one product per chunk of images:

    - C < `NARROW_C` (an RGB input): dcols channels-first, ``W2d @ dout2d^T``
      (``(K K C, rows)``), added onto a channels-first padded dx, one add per
      kernel offset, each running along whole output rows (W_out numbers;
      channels-last they would be runs of C = 3). Costs a padded dx and a
      transposing copy back, both the size of x. dcols, K^2 times dx, is
      written then read by the adds: with C = 3, 2.5-3 times the product.
      Laying dout on the padded grid (Wp columns, the extra ones zero)
      would make each add one run of H_out Wp numbers and cut the 5x5
      layer's dx by a quarter, but the product would then do Wp / W_out
      times the FLOPs (the counted FLOPs are the formula's: tests).
    - stride 1, C >= `NARROW_C`: the sum over the windows that hold a pixel
      is a "full" convolution of dout (zero border ``d (K - 1)``, less pad)
      with the kernel flipped and its channel axes swapped,
      ``dx[n, h, v, c] = sum_{p,q,f} dout_e[n, h + d p, v + d q, f]
      w[K-1-p, K-1-q, c, f]``: im2col of dout_e, then ``(rows, K K F) @
      (K K F, C)``, the same FLOPs as dcols, no scatter; costs a bordered
      copy of dout and its columns (runs of K F, a chunk at a time). With
      few channels the product's C output columns would run slowly.
    - stride > 1, C >= `NARROW_C` (a full convolution would multiply mostly
      inserted zeros): dcols channels-last and a scatter-add onto a padded
      dx. Windows ``g = ceil(K / stride)`` apart do not overlap, so one add
      covers a kernel row of every g-th window, in runs of K C numbers: K g
      adds per chunk (K^2 in runs of C if dilated; grouping the rows too,
      g^2 adds, ran slower: inner loops over two axes). A polyphase
      gradient (each of the stride^2 phases of dx a small full convolution
      of dout with that phase's taps: no scatter, but stride^2 products of
      C columns and their im2col copies) ran 1.15-1.2 times as long at 3x3/2.
      With K <= stride (1x1, 2x2 at stride 2) windows share no pixel: one
      assignment, and no zero fill where they tile the padded input.
    """
    xp, w, b, stride, pad, dilation, cols_t = cache
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
    if cols_t is not None:  # kept by the forward pass
        dw = cols_t @ dout2d  # (KKC, F)
    else:
        win = _windows(xp, K, stride, H_out, W_out, dilation)
        dw = np.zeros((K * K * C, F), dtype=dtype)
        rows = H_out * W_out  # per image
        for n in _chunks(N, win[:1].size * dtype.itemsize):
            cols = win[n].reshape(-1, K * K * C)  # (rows, KKC)
            dw += cols.T @ dout2d[n.start * rows : n.stop * rows]
    if C < NARROW_C:
        dx = _dx_planes(dout, wd, xp.shape, stride, pad, dilation)
    elif stride == 1:
        dx = _dx_full_conv(dout, wd, xp.shape, pad, dilation)
    else:
        dx = _dx_scatter(dout, wd, xp.shape, stride, pad, dilation)
    dw = dw.reshape(K, K, C, F).astype(w.dtype, copy=False)
    return dx, dw, db.astype(b.dtype, copy=False)
