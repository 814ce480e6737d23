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

from nnlab.p1_cnn.network import (
    POOLS,
    init_network,
    network_backward,
    network_forward,
)
from nnlab.p1_cnn.specs import (
    Conv,
    ReLU,
    check_input_shape,
    check_layers,
    field_masks,
    output_shapes,
)
from nnlab.validate import check_array, check_choice, check_int


def _check_layer(layers, layer: int, name: str = "layer") -> int:
    layer = check_int(name, layer)
    if not 0 <= layer < len(layers):
        raise ValueError(f"{name} must be in [0, {len(layers) - 1}], got {layer}")
    return layer


def _check_loc(name: str, loc, shape, layer: int) -> tuple[int, int]:
    """`loc` as (row, col) after checking it lies in the (H_l, W_l) `shape`."""
    if not (isinstance(loc, tuple | list | np.ndarray) and len(loc) == 2):
        raise TypeError(f"{name} must be a pair (row, col), got {loc!r}")
    i, j = (check_int(name, v) for v in loc)
    if not (0 <= i < shape[0] and 0 <= j < shape[1]):
        raise ValueError(
            f"{name}: location {(i, j)} is outside layer {layer}'s "
            f"{shape[0]}x{shape[1]} output"
        )
    return i, j


def geometric_field(
    layers, input_shape, layer: int, loc: tuple[int, int]
) -> np.ndarray:
    """(H, W) bool mask of the input pixels output `loc` of `layer` sees.

    Parameters
    ----------
    layers : list of Conv, ReLU, MaxPool
    input_shape : (H, W, C) tuple of int
    layer : int
        0-based index into `layers`.
    loc : (row, col) pair of int
        A location of that layer's output.

    Returns
    -------
    (H, W) bool ndarray

    Raises
    ------
    TypeError, ValueError
        As `nnlab.p1_cnn.specs.field_masks`, or if `layer` or `loc` is out of
        range.
    """
    layer = _check_layer(check_layers(layers), layer)
    rows, cols = field_masks(layers[: layer + 1], input_shape)[-1]
    i, j = _check_loc("loc", loc, (rows.shape[0], cols.shape[0]), layer)
    return rows[i][:, None] & cols[j][None, :]


def gradient_fields(
    layers, input_shape, layer: int, locs, pool: str = "avg", seed: int = 0
) -> np.ndarray:
    """Support of the input gradient of a unit gradient at each location.

    Parameters
    ----------
    layers, input_shape : as in `nnlab.p1_cnn.summary.layer_table`
    layer : int
        0-based index of the layer whose outputs are probed.
    locs : non-empty sequence of (row, col)
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

    Raises
    ------
    TypeError, ValueError
        As `geometric_field`, for an unknown `pool`, an empty `locs` or a
        bad `seed`.
    """
    layer = _check_layer(check_layers(layers), layer)
    pool = check_choice("pool", pool, POOLS)
    seed = check_int("seed", seed, 0)
    net = layers[: layer + 1]
    H, W, C = check_input_shape(input_shape)
    shape = output_shapes(net, input_shape)[-1]
    if not isinstance(locs, list | tuple | np.ndarray) or len(locs) == 0:
        raise ValueError(f"locs must be a non-empty list of (row, col), got {locs!r}")
    r, c = np.array([_check_loc("locs", loc, shape, layer) for loc in locs]).T
    params = init_network(net, input_shape, seed, positive=True)
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, (len(locs), H, W, C))
    out, cache = network_forward(x, net, params, relu=False, pool=pool)
    dout = np.zeros_like(out)  # (n, H_l, W_l, C_l)
    dout[np.arange(len(locs)), r, c, 0] = 1.0
    dx, _ = network_backward(dout, cache)
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

    Parameters
    ----------
    layers, input_shape : as in `nnlab.p1_cnn.summary.layer_table`
    seed : int
        Seeds the positive weights, >= 0.

    Returns
    -------
    list of FieldCheck, one per layer
        ``pixels`` is the total size of the measured fields, ``mismatches``
        the pixels where measured and geometric fields differ.

    Raises
    ------
    TypeError, ValueError
        As `nnlab.p1_cnn.specs.field_masks`, or for a bad `seed`.

    Notes
    -----
    Consecutive layers with the same number of diagonal locations share one
    forward pass (batch = that number); each layer then has its own backward
    sweep. Float32 suffices: with positive weights nothing can cancel.
    """
    shapes = output_shapes(layers, input_shape)
    masks = field_masks(layers, input_shape)
    H, W, C = check_input_shape(input_shape)
    params = init_network(layers, input_shape, seed, positive=True, dtype=np.float32)
    locs = [np.asarray(_diagonal(h, w)) for h, w, _ in shapes]
    checks, cache = [], None
    for k, (loc, (rows, cols)) in enumerate(zip(locs, masks, strict=True)):
        n = len(loc)
        if k == 0 or n != len(locs[k - 1]):
            last = max(j for j in range(len(layers)) if len(locs[j]) == n)
            x = np.ones((n, H, W, C), dtype=np.float32)
            net, p = layers[: last + 1], params[: last + 1]
            _, cache = network_forward(x, net, p, relu=False, pool="avg")
        dout = np.zeros_like(cache.outs[k])
        dout[np.arange(n), loc[:, 0], loc[:, 1], 0] = 1.0
        dx, _ = network_backward(dout, cache.upto(k))
        measured = np.any(dx != 0, axis=-1)  # (n, H, W)
        geometric = rows[loc[:, 0]][:, :, None] & cols[loc[:, 1]][:, None, :]
        mismatches = int((measured != geometric).sum())
        checks.append(FieldCheck(k, n, int(measured.sum()), mismatches))
    return checks


def block_outputs(layers) -> list[int]:
    """Return the 0-based indices of the layers a block ends with.

    These are every ReLU and pool, and any conv not followed by a ReLU.

    Raises
    ------
    TypeError, ValueError
        As `nnlab.p1_cnn.specs.check_layers`.
    """
    layers = check_layers(layers)
    ends = []
    for k, spec in enumerate(layers):
        nxt = layers[k + 1] if k + 1 < len(layers) else None
        if not isinstance(spec, Conv) or not isinstance(nxt, ReLU):
            ends.append(k)
    return ends


def effective_fields(
    layers, input_shape, targets, n_images: int = 16, seed: int = 0
) -> np.ndarray:
    r"""Effective receptive fields at the centre output of each target layer.

    Parameters
    ----------
    layers, input_shape : as in `nnlab.p1_cnn.summary.layer_table`
    targets : non-empty sequence of int
        0-based layer indices.
    n_images : int
        Random N(0, 1) inputs the gradient magnitude is averaged over, >= 1.
    seed : int
        Seeds the He-normal weights and the inputs, >= 0.

    Returns
    -------
    (len(targets), H, W) ndarray
        For a unit gradient on every channel of the centre location
        ``((H_l - 1) // 2, (W_l - 1) // 2)`` of layer t, normalised to sum
        to 1:

        .. math::
            m_t[i, j] \propto \frac{1}{N} \sum_n \sum_c |dx[n, i, j, c]|

    Raises
    ------
    TypeError, ValueError
        As `nnlab.p1_cnn.specs.output_shapes`, for a target out of range, a
        bad `n_images` or `seed`, or when no gradient reaches the input from
        a target (every path through a dead ReLU for all `n_images` inputs).

    References
    ----------
    W. Luo, Y. Li, R. Urtasun, R. Zemel, "Understanding the effective
    receptive field in deep convolutional neural networks", NeurIPS 2016.
    """
    H, W, C = check_input_shape(input_shape)
    layers = check_layers(layers)
    if not isinstance(targets, list | tuple | np.ndarray) or len(targets) == 0:
        raise ValueError(f"targets must be a non-empty list of layers, got {targets!r}")
    targets = [_check_layer(layers, t, "targets") for t in targets]
    n_images = check_int("n_images", n_images, 1)
    seed = check_int("seed", seed, 0)
    # Float64: the maps feed statistics printed to two decimals, and in float32
    # a perturbation of 1e-5 (a few float32 roundings per layer) already moved
    # one of them (the sigma of layer 16, 8.0047) across a rounding boundary.
    params = init_network(layers, input_shape, seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_images, H, W, C))
    depth = max(targets) + 1
    _, cache = network_forward(x, layers[:depth], params[:depth])
    maps = []
    for t in targets:
        # A sweep per target: one shared sweep over a batch with a block per
        # target does more arithmetic in total and measured several times
        # slower.
        dout = np.zeros_like(cache.outs[t])
        H_l, W_l = dout.shape[1:3]
        dout[:, (H_l - 1) // 2, (W_l - 1) // 2, :] = 1.0
        dx, _ = network_backward(dout, cache.upto(t))
        m = np.abs(dx).sum(axis=-1).mean(axis=0)  # (H, W)
        if not m.sum() > 0:
            raise ValueError(
                f"no gradient reaches the input from layer {t} for any of the "
                f"n_images={n_images} inputs (seed {seed}): every path is cut "
                "by a ReLU; take more n_images or another seed"
            )
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
    r"""Centroid, RMS radius, 95%-mass square, half-mass area, Gaussian fit.

    Parameters
    ----------
    m : (H, W) ndarray
        Non-negative, summing to 1 (within 1e-6).

    Returns
    -------
    Spread
        ``side95`` is the side of the smallest square about the centroid's
        pixel holding 95% of the mass; ``gaussian_r2`` the R^2 of the
        isotropic Gaussian with the same centroid and sigma (1 is a perfect
        fit; for a constant map, which has no variance to explain, 1 if the
        Gaussian equals it and 0 otherwise), with

        .. math::
            \sigma = \sqrt{\frac{\mathrm{var}_y + \mathrm{var}_x}{2}}

    Raises
    ------
    TypeError, ValueError
        As `nnlab.validate.check_array`, or if `m` has a negative entry or
        does not sum to 1.
    """
    check_array("m", m, 2, "(H, W)")
    if (m < 0).any():
        raise ValueError(f"m must be non-negative, got minimum {m.min()}")
    if not abs(m.sum() - 1.0) <= 1e-6:
        raise ValueError(f"m must sum to 1 (a normalised map), got sum {m.sum()}")
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
        # A tail below the smallest double is 0: no need to hear about it.
        with np.errstate(under="ignore"):
            g = np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * var))
        g /= g.sum()
    else:  # all mass on one pixel: the zero-width limit of a Gaussian
        g = m
    ss_res, ss_tot = ((m - g) ** 2).sum(), ((m - m.mean()) ** 2).sum()
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else float(ss_res == 0)
    ranked = np.cumsum(np.sort(m, axis=None)[::-1])
    half = int(np.searchsorted(ranked, 0.5)) + 1
    return Spread((cy, cx), sigma, 2 * radius + 1, half, float(r2))
