"""FLOPs of the 2D RNN module and of a 3x3 convolution, by formula and counted.

The formulas (`rnn2d_flops`, `conv_flops` and their variants without the
products with zeros) are checked against the matmuls numpy actually performs
(`measured_flops`, with `nnlab.flops.count_flops`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nnlab import flops
from nnlab.p6_rnn2d.rnn2d import forward_backward_pair, init_rnn2d
from nnlab.validate import check_choice, check_int, check_positive


def _check_sizes(**sizes) -> None:
    for name, value in sizes.items():
        check_int(name, value, 1)


def _check_conv(N, H, W, C, F, K) -> None:
    _check_sizes(N=N, H=H, W=W, C=C, F=F, K=K)
    if K % 2 == 0:
        raise ValueError(f"K must be odd for a 'same' convolution, got {K}")


class FlopCount(NamedTuple):
    """FLOPs of one forward and one backward pass (a multiply-add is 2)."""

    forward: float
    backward: float


def rnn2d_flops(
    N: int, H: int, W: int, C: int, Hd: float, four_way: bool = False
) -> FlopCount:
    r"""Matmul FLOPs the one-way module or ReNet performs, by formula.

    Parameters
    ----------
    N, H, W, C : int
        Input shape (N, H, W, C).
    Hd : float
        Hidden size of one direction (may be fractional in a formula).
    four_way : bool
        ReNet (two directions per sweep) instead of the one-way module.

    Returns
    -------
    FlopCount
        ``forward``, ``backward``.

    Notes
    -----
    Each of the k directions of a sweep (k = 1, or 2 for ReNet) does, at
    every one of the N H W positions, one product with W_x and one with W_h
    (also at the first step, whose state is zero). A reads C channels, B
    reads k Hd, so

    .. math::

        F_{fwd} = 2NHW\,k\,[(C\,H_d + H_d^2) + (k\,H_d\,H_d + H_d^2)].

    The backward pass multiplies each step's da by W_x^T and W_h^T and
    forms x^T da and h_prev^T da, two products of each size:
    F_bwd = 2 F_fwd. For k = 1, H_d = C this is 8NHWC^2 forward.

    Raises
    ------
    TypeError
        If N, H, W or C is not an integer or Hd not a real number (bools
        refused).
    ValueError
        If a size is less than 1 or Hd is not > 0.
    """
    _check_sizes(N=N, H=H, W=W, C=C)
    check_positive("Hd", Hd)
    k = 2 if four_way else 1
    a = 2 * N * H * W * k * (C * Hd + Hd * Hd)
    b = 2 * N * H * W * k * (k * Hd * Hd + Hd * Hd)
    return FlopCount(a + b, 2 * (a + b))


def rnn2d_nonzero_flops(
    N: int, H: int, W: int, C: int, Hd: float, four_way: bool = False
) -> float:
    """Forward matmul FLOPs whose two factors are both nonzero.

    `rnn2d_flops` minus the products with the zero initial state: the first
    step of each A direction (N H rows) and of each B direction (N W
    columns), 2 N (H + W) k Hd^2 in all. Raises as `rnn2d_flops`.
    """
    forward = rnn2d_flops(N, H, W, C, Hd, four_way).forward
    k = 2 if four_way else 1
    return forward - 2 * N * (H + W) * k * Hd * Hd  # minus the zero-state products


def conv_flops(N: int, H: int, W: int, C: int, F: int, K: int = 3) -> FlopCount:
    """Matmul FLOPs of `nnlab.layers.conv2d_*`, K x K 'same', C -> F, stride 1.

    Forward 2 N H W K^2 C F (every output reads K^2 C inputs, padding
    included). The backward pass forms dw and dx, each as large again, and
    db as a product of ones with dout (2 N H W F), as `nnlab.layers` does.

    Raises
    ------
    TypeError
        If a size is not an integer (bools refused).
    ValueError
        If a size is less than 1, or K is even (no 'same' padding).
    """
    _check_conv(N, H, W, C, F, K)
    f = flops.conv2d_flops(N, H, W, C, F, K)  # "same": the output is H x W
    return FlopCount(f, 2 * f + 2 * N * H * W * F)


def conv_nonzero_flops(N: int, H: int, W: int, C: int, F: int, K: int = 3):
    """Forward FLOPs of a 'same' K x K convolution that skip the zero padding.

    Along an axis of length L, the kernel tap at offset d (|d| <= p =
    (K - 1) // 2) lands inside the image for max(0, L - |d|) outputs; the
    taps of a 2-D output are the product of the two axes' counts. Raises
    as `conv_flops`.
    """
    _check_conv(N, H, W, C, F, K)
    d = np.abs(np.arange(-((K - 1) // 2), (K - 1) // 2 + 1))  # (K,)

    def taps(L):
        return int(np.maximum(0, L - d).sum())

    return 2 * N * taps(H) * taps(W) * C * F


def flop_ratio(
    H: int, W: int, C: int, four_way: bool = False, count: str = "matmul"
) -> float:
    """Forward FLOPs of the module over those of a 3x3 convolution C -> C.

    The module keeps C output channels: Hd = C one-way, Hd = C / 2 for
    ReNet (two directions concatenated).

    Parameters
    ----------
    H, W, C : int
        Image size and channels, each >= 1.
    four_way : bool
    count : {"matmul", "nonzero", "all"}
        ``"matmul"``: the products the kernels perform (the ratio of the
        backward passes is the same). ``"nonzero"``: without products with
        the zero initial state or the zero padding. ``"all"``: matmuls plus
        the elementwise work, one FLOP per add, bias add and tanh (3 Hd per
        position and direction; 1 bias add per conv output).

    Returns
    -------
    float

    Raises
    ------
    TypeError, ValueError
        For a size that is not an integer >= 1 (bools refused) or an
        unknown `count`.
    """
    _check_sizes(H=H, W=W, C=C)
    check_choice("count", count, ("matmul", "nonzero", "all"))
    k = 2 if four_way else 1
    Hd = C / k
    if count == "nonzero":
        return rnn2d_nonzero_flops(1, H, W, C, Hd, four_way) / conv_nonzero_flops(
            1, H, W, C, C
        )
    rnn = rnn2d_flops(1, H, W, C, Hd, four_way).forward
    conv = conv_flops(1, H, W, C, C).forward
    if count == "all":
        rnn += 2 * k * 3 * Hd * H * W  # two sweeps of k directions
        conv += C * H * W
    return rnn / conv


def equal_flop_conv_layers(H: int, W: int, C: int, four_way: bool = False) -> int:
    """Return the fewest 3x3 C -> C layers whose FLOPs reach the module's.

    ``ceil`` of the forward-plus-backward matmul FLOP ratio (C output
    channels, Hd as in `flop_ratio`): the cheapest whole conv stack that is
    not given less compute than the module. Raises as `flop_ratio`.
    """
    _check_sizes(H=H, W=W, C=C)
    k = 2 if four_way else 1
    rnn = sum(rnn2d_flops(1, H, W, C, C / k, four_way))
    conv = sum(conv_flops(1, H, W, C, C))
    return max(1, int(np.ceil(rnn / conv - 1e-12)))


def measured_flops(
    N: int, H: int, W: int, C: int, Hd: int, four_way: bool = False, seed: int = 0
) -> tuple[flops.FlopLog, flops.FlopLog]:
    """Count the matmuls of one forward and one backward pass on random data.

    Returns
    -------
    (FlopLog, FlopLog)
        Forward, backward, as `nnlab.flops.count_flops` saw them.

    Raises
    ------
    TypeError, ValueError
        For a size that is not an integer >= 1 or a seed that is not an
        integer >= 0 (bools refused).
    """
    _check_sizes(N=N, H=H, W=W, C=C, Hd=Hd)
    rng = np.random.default_rng(check_int("seed", seed, 0))
    x = rng.standard_normal((N, H, W, C))
    params = init_rnn2d(C, Hd, four_way, rng)
    fwd, bwd = forward_backward_pair(four_way)
    (out, cache), f = flops.count_flops(fwd, x, params)
    _, b = flops.count_flops(bwd, rng.standard_normal(out.shape), cache)
    return f, b
