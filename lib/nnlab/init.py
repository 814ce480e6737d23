r"""Weight initialization: `kaiming_normal` and `zeros` start a layer.

Growing a trained network (`widen`, `deepen`) is Problem 3's, in
`nnlab.p3_expansion.grow`.
"""

from __future__ import annotations

import numpy as np

from nnlab.validate import check_int


def check_rng(rng) -> None:
    """Raise `TypeError` unless `rng` is a numpy ``Generator``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "rng must be a numpy Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )


def kaiming_normal(fan_in: int, fan_out: int, rng: np.random.Generator):
    r"""Weights drawn from :math:`\mathcal N(0, 2/\mathrm{fan\_in})`.

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
    :math:`\mathrm{Var}(W) = 2/\mathrm{fan\_in}` makes up for it and keeps
    :math:`E[z^2]` of the pre-activations the same from layer to layer.

    References
    ----------
    K. He, X. Zhang, S. Ren, J. Sun, "Delving Deep into Rectifiers:
    Surpassing Human-Level Performance on ImageNet Classification",
    ICCV 2015.
    """
    fan_in = check_int("fan_in", fan_in, 1)
    fan_out = check_int("fan_out", fan_out, 1)
    check_rng(rng)
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)


def zeros(*shape: int):
    """Return an all-zero float64 array of the given shape."""
    shape = tuple(check_int(f"shape[{i}]", s, 0) for i, s in enumerate(shape))
    return np.zeros(shape)
