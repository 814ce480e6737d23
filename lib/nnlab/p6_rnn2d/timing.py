"""Wall time of the 2D RNN module against a 3x3 convolution."""

from __future__ import annotations

import time

import numpy as np

from nnlab import layers
from nnlab.p6_rnn2d.rnn2d import init_rnn2d, rnn2d_backward, rnn2d_forward
from nnlab.validate import check_int


def time_forward_backward(
    N: int, H: int, W: int, C: int, repeats: int = 5, seed: int = 0
) -> dict:
    """Median wall time of forward + backward, one-way module vs 3x3 conv.

    Both map (N, H, W, C) to (N, H, W, C) (Hd = C), in float64; each is run
    once to warm up, then `repeats` times.

    Returns
    -------
    dict
        ``{"rnn2d": seconds, "conv2d": seconds}``.

    Raises
    ------
    TypeError, ValueError
        For a size or `repeats` that is not an integer >= 1, or a seed that
        is not an integer >= 0 (bools refused).
    """
    for name, value in (("N", N), ("H", H), ("W", W), ("C", C), ("repeats", repeats)):
        check_int(name, value, 1)
    rng = np.random.default_rng(check_int("seed", seed, 0))
    x = rng.standard_normal((N, H, W, C))
    dout = rng.standard_normal((N, H, W, C))
    params = init_rnn2d(C, C, rng=rng)
    w = rng.standard_normal((3, 3, C, C)) / np.sqrt(9 * C)
    b = np.zeros(C)

    def rnn():
        rnn2d_backward(dout, rnn2d_forward(x, params)[1])

    def conv():
        layers.conv2d_backward(dout, layers.conv2d_forward(x, w, b)[1])

    times = {}
    for name, fn in (("rnn2d", rnn), ("conv2d", conv)):
        fn()
        runs = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - t0)
        times[name] = float(np.median(runs))
    return times
