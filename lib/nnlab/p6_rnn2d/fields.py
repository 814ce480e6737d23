"""Receptive fields from gradients: where one output of the module or a conv looks.

An input with no path to the output gets a gradient of exactly 0.0, so the
support of |d out / dx| is the receptive field. `cnn_full_field` reads the
exact fields of a downsampling CNN (Problem 1's) from its layer specs, for
comparison.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nnlab.layers import conv2d_backward, conv2d_forward
from nnlab.p1_cnn.geometry import check_layers, field_masks
from nnlab.p1_cnn.specs import Conv, MaxPool
from nnlab.p6_rnn2d.rnn2d import forward_backward_pair
from nnlab.validate import check_array, check_int


def _check_image_and_location(x, i, j) -> tuple[int, int]:
    check_array("x", x, 4, "(1, H, W, C)")
    if x.shape[0] != 1:
        raise ValueError(f"x must be one image (1, H, W, C), got shape {x.shape}")
    i, j = check_int("i", i, 0), check_int("j", j, 0)
    H, W = x.shape[1:3]
    if not (i < H and j < W):
        raise ValueError(f"(i, j) must lie in the {H}x{W} image, got ({i}, {j})")
    return H, W


def input_gradient_map(x, params, i: int, j: int, four_way: bool = False):
    """|d out[0, i, j, :] / dx[0]| summed over channels: where (i, j) looks.

    Parameters
    ----------
    x : (1, H, W, C) ndarray
    params : dict
        For `rnn2d_forward` (or `renet_forward` if `four_way`).
    i, j : int
        Output location, 0 <= i < H, 0 <= j < W.
    four_way : bool

    Returns
    -------
    (H, W) ndarray
        Sum over c, c' of |d out[0, i, j, c'] / d x[0, :, :, c]|, one
        backward pass per output channel c'. Its support (entries > 0) is
        the receptive field: an input outside it has no path to (i, j), so
        its gradient is an exact 0.0, not merely small.

    Raises
    ------
    TypeError
        If `x` is not a floating ndarray or `i`, `j` are not integers.
    ValueError
        If `x` is not one finite (1, H, W, C) image, (i, j) lies outside it,
        or `params` does not fit (as `rnn2d_forward`).
    """
    H, W = _check_image_and_location(x, i, j)
    fwd, bwd = forward_backward_pair(four_way)
    out, cache = fwd(x, params)
    total = np.zeros((H, W))
    for c in range(out.shape[3]):
        dout = np.zeros_like(out)
        dout[0, i, j, c] = 1.0
        dx, _ = bwd(dout, cache)
        total += np.abs(dx[0]).sum(axis=-1)  # (H, W)
    return total


def conv_stack_gradient_map(x, weights, i: int, j: int):
    """Like `input_gradient_map` for a stack of 'same' convolutions.

    Parameters
    ----------
    x : (1, H, W, C) ndarray
    weights : list of (K, K, C, C) ndarrays
        One per layer, applied in order with zero bias and no nonlinearity
        (an elementwise nonlinearity with a nonzero slope, tanh say, would
        change the magnitudes but not the support).
    i, j : int

    Returns
    -------
    (H, W) ndarray
        Its support is the square of side 1 + (K - 1) L around (i, j),
        clipped to the image.

    Raises
    ------
    TypeError
        As `input_gradient_map`, or if `weights` is not a list of floating
        ndarrays.
    ValueError
        As `input_gradient_map`, or if a weight is not a finite square
        (K, K, C, C) kernel with odd K and the channels of `x`.
    """
    _check_image_and_location(x, i, j)
    if not isinstance(weights, list | tuple):
        raise TypeError(
            "weights must be a list of (K, K, C, C) arrays, "
            f"got {type(weights).__name__}"
        )
    C = x.shape[3]
    for n, w in enumerate(weights):
        check_array(f"weights[{n}]", w, 4, "(K, K, C, C)")
        K = w.shape[0]
        if w.shape != (K, K, C, C) or K % 2 == 0:
            raise ValueError(
                f"weights[{n}] must be (K, K, C, C) with odd K and C={C} from x, "
                f"got {w.shape}"
            )
    caches = []
    h = x
    for w in weights:
        h, cache = conv2d_forward(h, w, np.zeros(w.shape[3]))
        caches.append(cache)
    total = np.zeros(x.shape[1:3])
    for c in range(h.shape[3]):
        d = np.zeros_like(h)
        d[0, i, j, c] = 1.0
        for cache in reversed(caches):
            d, _, _ = conv2d_backward(d, cache)
        total += np.abs(d[0]).sum(axis=-1)  # (H, W)
    return total


class FullField(NamedTuple):
    """Where a CNN's outputs first all see the whole input (`cnn_full_field`)."""

    row: int  # row of the layer table (input = row 0, as in nnlab.p1_cnn)
    convs: int  # convolutions up to and including `layer`
    pools: int  # max-pools up to and including `layer`


def cnn_full_field(layers, input_shape) -> FullField | None:
    """Find the first layer of a CNN whose every output sees the whole input.

    Parameters
    ----------
    layers : list of nnlab.p1_cnn.specs layer specs
    input_shape : (H, W, C) tuple of int

    Returns
    -------
    FullField or None
        The layer's row (the input is row 0, the first layer row 1, as in
        `nnlab.p1_cnn.summary.layer_table`) and how many convolutions and
        pools lead to it (itself included); None if no layer gets there.

    Raises
    ------
    TypeError, ValueError
        As `nnlab.p1_cnn.geometry.field_masks`.
    """
    layers = check_layers(layers)
    for k, (rows, cols) in enumerate(field_masks(layers, input_shape)):
        if rows.all() and cols.all():
            head = layers[: k + 1]
            return FullField(
                k + 1,
                sum(isinstance(s, Conv) for s in head),
                sum(isinstance(s, MaxPool) for s in head),
            )
    return None
