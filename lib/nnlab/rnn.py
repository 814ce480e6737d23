"""A vanilla tanh RNN step, forward and backward.

    h = tanh(x @ Wx + h_prev @ Wh + b)

The step is the unit that `nnlab.p5_bptt.driver` schedules and that
`nnlab.p6_rnn2d.rnn2d` sweeps along rows and columns.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class RNNStepCache(NamedTuple):
    """What `rnn_step_backward` needs from `rnn_step_forward`."""

    x: np.ndarray  # (N, D) input of the step
    h_prev: np.ndarray  # (N, Hd) previous hidden state
    Wx: np.ndarray  # (D, Hd)
    Wh: np.ndarray  # (Hd, Hd)
    h: np.ndarray  # (N, Hd) output; tanh' = 1 - h**2 needs nothing else


def _check_step_shapes(x, h_prev, Wx, Wh, b):
    for name, a in (("x", x), ("h_prev", h_prev), ("Wx", Wx), ("Wh", Wh), ("b", b)):
        if not isinstance(a, np.ndarray):
            raise TypeError(f"{name} must be a numpy array, got {type(a).__name__}")
    if x.ndim != 2 or h_prev.ndim != 2:
        raise ValueError(
            f"x and h_prev must be 2-D, (N, D) and (N, Hd), got {x.shape} and "
            f"{h_prev.shape}"
        )
    (N, D), Hd = x.shape, h_prev.shape[1]
    expected = {"h_prev": (N, Hd), "Wx": (D, Hd), "Wh": (Hd, Hd), "b": (Hd,)}
    got = {"h_prev": h_prev.shape, "Wx": Wx.shape, "Wh": Wh.shape, "b": b.shape}
    bad = [k for k in expected if got[k] != expected[k]]
    if bad:
        raise ValueError(
            f"with x {x.shape} and h_prev {h_prev.shape} (N={N}, D={D}, Hd={Hd}) "
            + ", ".join(f"{k} must be {expected[k]}, got {got[k]}" for k in bad)
        )


def rnn_step_forward(x, h_prev, Wx, Wh, b):
    """One step of a tanh RNN.

    Parameters
    ----------
    x : (N, D) ndarray
        Input at this step.
    h_prev : (N, Hd) ndarray
        Hidden state of the previous step.
    Wx : (D, Hd) ndarray
    Wh : (Hd, Hd) ndarray
    b : (Hd,) ndarray

    Returns
    -------
    h : (N, Hd) ndarray
        ``tanh(x @ Wx + h_prev @ Wh + b)``.
    cache : RNNStepCache
        ``(x, h_prev, Wx, Wh, h)``, what `rnn_step_backward` needs.
    """
    _check_step_shapes(x, h_prev, Wx, Wh, b)
    h = np.tanh(x @ Wx + h_prev @ Wh + b)  # (N, Hd)
    return h, RNNStepCache(x, h_prev, Wx, Wh, h)


def rnn_step_backward(dh, cache):
    """Backward pass of `rnn_step_forward`.

    Parameters
    ----------
    dh : (N, Hd) ndarray
        Gradient of the loss with respect to this step's output h.
    cache : RNNStepCache
        From `rnn_step_forward`.

    Returns
    -------
    dx : (N, D), dh_prev : (N, Hd), dWx : (D, Hd), dWh : (Hd, Hd), db : (Hd,)

    Notes
    -----
    With a = x Wx + h_prev Wh + b and h = tanh(a), da = dh * (1 - h**2),
    since tanh' = 1 - tanh**2 lets the backward pass reuse h instead of a.
    """
    x, h_prev, Wx, Wh, h = cache
    if dh.shape != h.shape:
        raise ValueError(f"dh must have the shape of h {h.shape}, got {dh.shape}")
    da = dh * (1.0 - h * h)  # (N, Hd)
    dx = da @ Wx.T  # (N, D)
    dh_prev = da @ Wh.T  # (N, Hd)
    dWx = x.T @ da  # (D, Hd)
    dWh = h_prev.T @ da  # (Hd, Hd)
    db = da.sum(axis=0)  # (Hd,)
    return dx, dh_prev, dWx, dWh, db
