"""Figures for the tour: how the finite-difference step trades two errors."""

from __future__ import annotations

from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np

from nnlab.gradcheck import check_gradient
from nnlab.rnn import rnn_step_backward, rnn_step_forward
from nnlab.views import plain_log_ticks

STEPS = tuple(-k / 2 for k in range(2, 27))  # log10 h from -1 to -13


def _problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4, 3))
    h_prev = rng.standard_normal((4, 5))
    Wx = rng.standard_normal((3, 5)) * 0.5
    Wh = rng.standard_normal((5, 5)) * 0.5
    b = rng.standard_normal(5)
    dout = rng.standard_normal((4, 5))
    return x, h_prev, Wx, Wh, b, dout


@lru_cache(maxsize=1)
def step_sweep() -> tuple[tuple[float, float], ...]:
    """(log10 h, relative error of dWh) for every step size in `STEPS`.

    The analytic dWh of one RNN step is compared with centred differences
    taken with step h.
    """
    x, h_prev, Wx, Wh, b, dout = _problem()
    _, cache = rnn_step_forward(x, h_prev, Wx, Wh, b)
    dWh = rnn_step_backward(dout, cache)[3]

    def f(w):
        return rnn_step_forward(x, h_prev, Wx, w, b)[0]

    return tuple((e, check_gradient(f, Wh.copy(), dWh, dout, h=10.0**e)) for e in STEPS)


def step_size_figure(log10_h: float = -6.0):
    """Relative error of a gradient check against the step h, with one h marked.

    Large h: the O(h**2) truncation error of the centred difference
    dominates. Small h: round-off, about machine epsilon / h, dominates.
    """
    sweep = np.array(step_sweep())
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    fig.subplots_adjust(left=0.13, right=0.97, bottom=0.15, top=0.9)
    ax.loglog(10.0 ** sweep[:, 0], sweep[:, 1], "o-", color="0.35", ms=4)
    nearest = int(np.argmin(np.abs(sweep[:, 0] - log10_h)))
    e, err = sweep[nearest]
    ax.loglog([10.0**e], [err], "o", color="C3", ms=10, label=f"h = 1e{e:g}")
    ax.axhline(1e-7, color="C0", ls="--", lw=1, label="pass threshold 1e-7")
    plain_log_ticks(ax)
    ax.invert_xaxis()
    ax.set_xlabel("finite-difference step h")
    ax.set_ylabel("relative error of dWh")
    ax.set_title(f"Gradient check of one RNN step: error {err:.0e} at h = 1e{e:g}")
    ax.legend(loc="upper center")
    return fig


WIDGETS = {"step_size": (step_size_figure, {"log10_h": -6.0})}
