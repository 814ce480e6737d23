r"""Weight initialization: `kaiming_normal` and `zeros` start a layer.

Growing a trained network (`widen`, `deepen`) is Problem 3's, in
`nnlab.p3_expansion.grow`.
"""

from __future__ import annotations

import numbers

import numpy as np


def check_rng(rng) -> None:
    """Raise `TypeError` unless `rng` is a numpy ``Generator``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "rng must be a numpy Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )


def _check_size(name: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
    return int(v)


def kaiming_normal(fan_in: int, fan_out: int, rng: np.random.Generator):
    r"""Weights drawn from $\mathcal N(0, 2/\mathrm{fan\_in})$.

    Parameters
    ----------
    fan_in, fan_out : int
        Input and output sizes of the layer.
    rng : numpy Generator

    Returns
    -------
    W : (fan_in, fan_out) ndarray

    Notes
    -----
    A ReLU zeroes half of a symmetric input, so it halves the second moment;
    $\mathrm{Var}(W) = 2/\mathrm{fan\_in}$ makes up for it and keeps
    $E[z^2]$ of the pre-activations the same from layer to layer.

    References
    ----------
    K. He, X. Zhang, S. Ren, J. Sun, "Delving Deep into Rectifiers:
    Surpassing Human-Level Performance on ImageNet Classification",
    ICCV 2015.
    """
    fan_in = _check_size("fan_in", fan_in)
    fan_out = _check_size("fan_out", fan_out)
    check_rng(rng)
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)


def zeros(*shape: int):
    """Return an all-zero float64 array of the given shape."""
    for s in shape:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0:
            raise ValueError(f"shape entries must be integers >= 0, got {shape!r}")
    return np.zeros(shape)
