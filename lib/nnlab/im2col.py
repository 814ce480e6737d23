"""im2col and col2im: the windows of a convolution as columns, and back.

The helpers of `nnlab.conv`: a strided view of every K x K x C window
(`_windows`), the zero border, the cut of the batch into chunks whose
columns stay in cache, and the three routes of the input gradient (the
adjoint of im2col), described in `nnlab.conv.conv2d_backward`.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

# Bytes of im2col matrix built per chunk of the batch: with the product's
# other operands this stays in a core's 2 MB L2 cache, where the products run
# up to 1.7 times as fast as on a matrix streamed from memory (measured on
# the Problem 1 layers, issue 18; 0.25 to 2 MB all do about as well).
CHUNK_BYTES = 1 << 20


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


def _zero_border(x: np.ndarray, top: int, bottom: int, dtype, cf=False) -> np.ndarray:
    """Copy of `x` with `top` zero rows and columns before, `bottom` after.

    With `cf` the copy is channels-first in memory, ``(C, N, H', W')``, and
    returned as its ``(N, H', W', C)`` view.
    """
    if top == bottom == 0 and x.dtype == dtype and not cf:
        return x
    N, H, W, C = x.shape
    Hp, Wp = H + top + bottom, W + top + bottom
    if cf:
        out = np.zeros((C, N, Hp, Wp), dtype=dtype).transpose(1, 2, 3, 0)
    else:
        out = np.zeros((N, Hp, Wp, C), dtype=dtype)
    out[:, top : top + H, top : top + W] = x
    return out


def _chunks(N: int, image_bytes: int) -> list[slice]:
    """Consecutive slices of the batch, each about `CHUNK_BYTES` of columns."""
    step = max(1, CHUNK_BYTES // image_bytes)
    return [slice(n, min(n + step, N)) for n in range(0, N, step)]


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
    # Dilation 1: windows g = ceil(K / stride) apart do not overlap, so one
    # add covers a kernel row of every g-th window, in runs of K C numbers;
    # with g = 1 an assignment, and no zero fill where the windows tile dxp.
    g = -(-K // stride) if dilation == 1 else 0
    tiled = g == 1 and (stride * H_out, stride * W_out, K) == (Hp, Wp, stride)
    dxp = (np.empty if tiled else np.zeros)(xp_shape, dtype=dout.dtype)
    sN, sH, sW, sC = dxp.strides
    w_t = w.reshape(-1, F).T  # (F, KKC), a view: BLAS reads it transposed
    views = [  # views[r][p] = kernel row p of windows g l + r, (N, H_out, l, KC)
        as_strided(
            dxp[:, :, stride * r :],
            (K, N, H_out, len(range(r, W_out, g)), K * C),
            (sH, sN, stride * sH, g * stride * sW, sC),
        )
        for r in range(g)
    ]
    dout2d = dout.reshape(-1, F)
    rows = H_out * W_out  # per image
    for n in _chunks(N, rows * K * K * C * dout.itemsize):
        dcols = dout2d[n.start * rows : n.stop * rows] @ w_t  # (rows, KKC)
        if g:
            dcols = dcols.reshape(-1, H_out, W_out, K, K * C)  # windows
            for p, r in np.ndindex(K, g):
                if g == 1:
                    views[r][p, n] = dcols[:, :, r::g, p]
                else:
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
