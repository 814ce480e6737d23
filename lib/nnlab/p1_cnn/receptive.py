"""Receptive fields measured with gradients.

Also the effective receptive field of Luo et al. (2016).

The theoretical field of an output location is the set of input pixels
that can change it (`nnlab.p1_cnn.specs.field_masks`). Here it is measured instead:
back-propagate a unit gradient from that location to the input and take the
support of dx. Two choices make the support equal the theoretical field:

* positive weights and linear activations, so every input-to-output path
  carries a positive product and no sum can cancel to zero;
* average-pool routing in place of max-pool: the max sends the gradient to
  the one arg-max of each window, so the support would show only the pixels
  this particular input routed through, a subset of the field, while the
  field is the union over all inputs, which the average reaches at once.

The effective receptive field is the same gradient, but through the real
network (random He weights, ReLU, max-pool) and averaged in magnitude over
random inputs: how strongly each pixel actually matters.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nnlab.p1_cnn.network import init_params, network_backward, network_forward
from nnlab.p1_cnn.specs import (
    Conv,
    ReLU,
    check_input_shape,
    field_masks,
    output_shapes,
)
from nnlab.validate import check_int


def _check_layer(layers, layer: int) -> None:
    layer = check_int("layer", layer)
    if not 0 <= layer < len(layers):
        raise ValueError(f"layer must be in [0, {len(layers) - 1}], got {layer}")


def geometric_field(
    layers, input_shape, layer: int, loc: tuple[int, int]
) -> np.ndarray:
    """(H, W) bool mask of the input pixels output `loc` of `layer` sees.

    `layer` is a 0-based index into `layers`; `loc` is ``(row, col)``.
    """
    _check_layer(layers, layer)
    rows, cols = field_masks(layers[: layer + 1], input_shape)[-1]
    i, j = loc
    if not (0 <= i < rows.shape[0] and 0 <= j < cols.shape[0]):
        raise ValueError(
            f"location {loc} is outside layer {layer}'s {rows.shape[0]}x"
            f"{cols.shape[0]} output"
        )
    return rows[i][:, None] & cols[j][None, :]


def gradient_fields(
    layers, input_shape, layer: int, locs, pool: str = "avg", seed: int = 0
) -> np.ndarray:
    """Support of the input gradient of a unit gradient at each location.

    Parameters
    ----------
    layers, input_shape : as in `nnlab.p1_cnn.summary.summarize`
    layer : int
        0-based index of the layer whose outputs are probed.
    locs : sequence of (row, col)
        One batch element per location.
    pool : {"avg", "max"}
        "avg" (the default) measures the receptive field; "max" shows where
        one random input's max-pool routing actually sends the gradient.
    seed : int
        Seeds the positive weights and, for "max", the input.

    Returns
    -------
    (len(locs), H, W) bool ndarray
        True where some channel of dx is non-zero.
    """
    _check_layer(layers, layer)
    net = layers[: layer + 1]
    H, W, C = check_input_shape(input_shape)
    params = init_params(net, input_shape, seed, positive=True)
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, (len(locs), H, W, C))
    outs, caches = network_forward(net, params, x, relu=False, pool=pool)
    dout = np.zeros_like(outs[-1])  # (n, H_l, W_l, C_l)
    r, c = np.asarray(locs).T
    dout[np.arange(len(locs)), r, c, 0] = 1.0
    dx = network_backward({layer: dout}, net, caches, pool=pool)
    return np.any(dx != 0, axis=-1)


class FieldCheck(NamedTuple):
    """Geometric versus gradient-measured fields at one layer."""

    layer: int
    locations: int
    pixels: int
    mismatches: int


def _diagonal(n_rows: int, n_cols: int) -> list[tuple[int, int]]:
    return [
        (min(k, n_rows - 1), min(k, n_cols - 1)) for k in range(max(n_rows, n_cols))
    ]


def check_fields(layers, input_shape, seed: int = 0) -> list[FieldCheck]:
    """Compare both fields at every layer, at locations (k, k) down the diagonal.

    The diagonal passes through every output row and every output column,
    and a field is a product of a row set and a column set (square kernels
    treat the two axes alike), so this tests every row and column field.

    Returns
    -------
    list of FieldCheck, one per layer
        ``pixels`` is the total size of the measured fields, ``mismatches``
        the pixels where measured and geometric fields differ.

    Notes
    -----
    Consecutive layers with the same number of diagonal locations share one
    forward pass (batch = that number); each layer then has its own backward
    sweep. Float32 suffices: with positive weights nothing can cancel.
    """
    shapes = output_shapes(layers, input_shape)
    masks = field_masks(layers, input_shape)
    H, W, C = check_input_shape(input_shape)
    params = init_params(layers, input_shape, seed, positive=True, dtype=np.float32)
    locs = [np.asarray(_diagonal(h, w)) for h, w, _ in shapes]
    checks, outs, caches = [], [], []
    for k, (loc, (rows, cols)) in enumerate(zip(locs, masks, strict=True)):
        n = len(loc)
        if k == 0 or n != len(locs[k - 1]):
            last = max(j for j in range(len(layers)) if len(locs[j]) == n)
            x = np.ones((n, H, W, C), dtype=np.float32)
            net, p = layers[: last + 1], params[: last + 1]
            outs, caches = network_forward(net, p, x, relu=False, pool="avg")
        dout = np.zeros_like(outs[k])
        dout[np.arange(n), loc[:, 0], loc[:, 1], 0] = 1.0
        dx = network_backward({k: dout}, layers, caches, pool="avg")
        measured = np.any(dx != 0, axis=-1)  # (n, H, W)
        geometric = rows[loc[:, 0]][:, :, None] & cols[loc[:, 1]][:, None, :]
        mismatches = int((measured != geometric).sum())
        checks.append(FieldCheck(k, n, int(measured.sum()), mismatches))
    return checks


def block_outputs(layers) -> list[int]:
    """Return the 0-based indices of the layers a block ends with.

    These are every ReLU and pool, and any conv not followed by a ReLU.
    """
    ends = []
    for k, spec in enumerate(layers):
        nxt = layers[k + 1] if k + 1 < len(layers) else None
        if not isinstance(spec, Conv) or not isinstance(nxt, ReLU):
            ends.append(k)
    return ends


def effective_fields(
    layers, input_shape, targets, n_images: int = 16, seed: int = 0
) -> np.ndarray:
    """Effective receptive fields at the centre output of each target layer.

    Parameters
    ----------
    layers, input_shape : as in `nnlab.p1_cnn.summary.summarize`
    targets : sequence of int
        0-based layer indices.
    n_images : int
        Random N(0, 1) inputs the gradient magnitude is averaged over.
    seed : int
        Seeds the He-normal weights and the inputs.

    Returns
    -------
    (len(targets), H, W) ndarray
        ``mean_n sum_c |dx|`` for a unit gradient on every channel of the
        centre location ``((H_l - 1) // 2, (W_l - 1) // 2)``, normalised to
        sum to 1.

    References
    ----------
    W. Luo, Y. Li, R. Urtasun, R. Zemel, "Understanding the effective
    receptive field in deep convolutional neural networks", NeurIPS 2016.
    """
    H, W, C = check_input_shape(input_shape)
    for t in targets:
        _check_layer(layers, t)
    # Float64: the maps feed statistics printed to two decimals, and in float32
    # a perturbation of 1e-5 (a few float32 roundings per layer) already moved
    # one of them (the sigma of layer 16, 8.0047) across a rounding boundary.
    params = init_params(layers, input_shape, seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_images, H, W, C))
    depth = max(targets) + 1
    outs, caches = network_forward(layers[:depth], params[:depth], x)
    maps = []
    for t in targets:
        # A sweep per target: one shared sweep over a batch with a block per
        # target does more arithmetic in total and measured several times
        # slower.
        dout = np.zeros_like(outs[t])
        H_l, W_l = dout.shape[1:3]
        dout[:, (H_l - 1) // 2, (W_l - 1) // 2, :] = 1.0
        dx = network_backward({t: dout}, layers, caches)
        m = np.abs(dx).sum(axis=-1).mean(axis=0)  # (H, W)
        maps.append(m / m.sum())
    return np.stack(maps)


class Spread(NamedTuple):
    """Size and shape of a normalised gradient map."""

    centre: tuple[float, float]
    sigma: float
    side95: int
    half_mass_pixels: int
    gaussian_r2: float


def spread(m: np.ndarray) -> Spread:
    """Centroid, RMS radius, 95%-mass square, half-mass area, Gaussian fit.

    Parameters
    ----------
    m : (H, W) ndarray
        Non-negative, summing to 1.

    Returns
    -------
    Spread
        ``sigma`` is ``sqrt((var_y + var_x) / 2)``; ``side95`` the side of
        the smallest square about the centroid's pixel holding 95% of the
        mass; ``gaussian_r2`` the R^2 of the isotropic Gaussian with that
        centroid and sigma (1 is a perfect fit).
    """
    H, W = m.shape
    y, x = np.mgrid[0:H, 0:W]
    cy, cx = float((m * y).sum()), float((m * x).sum())
    var = ((m * (y - cy) ** 2).sum() + (m * (x - cx) ** 2).sum()) / 2
    sigma = float(np.sqrt(var))
    d = np.maximum(np.abs(y - round(cy)), np.abs(x - round(cx)))  # Chebyshev
    order = np.argsort(d, axis=None, kind="stable")
    cum = np.cumsum(m.ravel()[order])
    radius = int(d.ravel()[order][np.searchsorted(cum, 0.95)])
    if var > 0:
        g = np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * var))
        g /= g.sum()
    else:  # all mass on one pixel: the zero-width limit of a Gaussian
        g = m
    r2 = 1.0 - ((m - g) ** 2).sum() / ((m - m.mean()) ** 2).sum()
    ranked = np.cumsum(np.sort(m, axis=None)[::-1])
    half = int(np.searchsorted(ranked, 0.5)) + 1
    return Spread((cy, cx), sigma, 2 * radius + 1, half, float(r2))
