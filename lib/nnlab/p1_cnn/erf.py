"""The effective receptive field of Luo et al. (2016).

The gradient of `nnlab.p1_cnn.receptive`, but through the real network
(random He weights, ReLU, max-pool) and averaged in magnitude over random
inputs: how strongly each pixel actually matters, not only whether it can.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nnlab.p1_cnn.geometry import check_input_shape
from nnlab.p1_cnn.network import (
    check_runnable,
    init_network,
    network_backward,
    network_forward,
)
from nnlab.p1_cnn.receptive import check_row
from nnlab.validate import check_array, check_int


def effective_fields(
    layers, input_shape, targets, n_images: int = 16, seed: int = 0
) -> np.ndarray:
    r"""Effective receptive fields at the centre output of each target layer.

    Parameters
    ----------
    layers, input_shape : as in `nnlab.p1_cnn.summary.layer_table`
    targets : non-empty sequence of int
        Rows, 1 .. len(layers).
    n_images : int
        Random N(0, 1) inputs the gradient magnitude is averaged over, >= 1.
    seed : int
        Seeds the He-normal weights and the inputs, >= 0.

    Returns
    -------
    (len(targets), H, W) ndarray
        For a unit gradient on every channel of the centre location
        ``((H_l - 1) // 2, (W_l - 1) // 2)`` of row t, normalised to sum
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
    layers = check_runnable(layers)
    if not isinstance(targets, list | tuple | np.ndarray) or len(targets) == 0:
        raise ValueError(f"targets must be a non-empty list of rows, got {targets!r}")
    targets = [check_row(layers, t, "targets") for t in targets]
    n_images = check_int("n_images", n_images, 1)
    seed = check_int("seed", seed, 0)
    # Float64: the maps feed statistics printed to two decimals, and in float32
    # a perturbation of 1e-5 (a few float32 roundings per layer) already moved
    # one of them (the sigma of layer 16, 8.0047) across a rounding boundary.
    params = init_network(layers, input_shape, seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_images, H, W, C))
    depth = max(targets)
    _, cache = network_forward(x, layers[:depth], params[:depth])
    maps = []
    for t in targets:
        # A sweep per target: one shared sweep over a batch with a block per
        # target does more arithmetic in total and measured several times
        # slower.
        dout = np.zeros_like(cache.outs[t - 1])
        H_l, W_l = dout.shape[1:3]
        dout[:, (H_l - 1) // 2, (W_l - 1) // 2, :] = 1.0
        dx, _ = network_backward(dout, cache.upto(t))
        m = np.abs(dx).sum(axis=-1).mean(axis=0)  # (H, W)
        if not m.sum() > 0:
            raise ValueError(
                f"no gradient reaches the input from row {t} for any of the "
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
