r"""A vanilla tanh RNN step, forward and backward.

.. math:: h = \tanh(x W_x + h_{prev} W_h + b)

The step is the unit that `nnlab.p5_bptt.driver` schedules and that
`nnlab.p6_rnn2d.rnn2d` sweeps along rows and columns. Hd is the hidden size.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nnlab.validate import check_array, check_dout

_LAYOUTS = {
    "x": (2, "(N, D)"),
    "h_prev": (2, "(N, Hd)"),
    "Wx": (2, "(D, Hd)"),
    "Wh": (2, "(Hd, Hd)"),
    "b": (1, "(Hd,)"),
}


class RNNStepCache(NamedTuple):
    """What `rnn_step_backward` needs from `rnn_step_forward`."""

    x: np.ndarray  # (N, D) input of the step
    h_prev: np.ndarray  # (N, Hd) previous hidden state
    Wx: np.ndarray  # (D, Hd)
    Wh: np.ndarray  # (Hd, Hd)
    h: np.ndarray  # (N, Hd) output; tanh' = 1 - h**2 needs nothing else


class UncheckedStepCache(RNNStepCache):
    """The cache of a step run with ``check=False``: its backward skips checks too.

    A subclass rather than a sixth field: a loop may keep one cache per step
    (T of them in store_all BPTT), and its memory is measured in notebook 05.
    """

    __slots__ = ()


def _check_step(x, h_prev, Wx, Wh, b) -> None:
    arrays = {"x": x, "h_prev": h_prev, "Wx": Wx, "Wh": Wh, "b": b}
    for name, (ndim, layout) in _LAYOUTS.items():
        check_array(name, arrays[name], ndim, layout)
    (N, D), Hd = x.shape, h_prev.shape[1]
    expected = {"h_prev": (N, Hd), "Wx": (D, Hd), "Wh": (Hd, Hd), "b": (Hd,)}
    bad = [k for k in expected if arrays[k].shape != expected[k]]
    if bad:
        raise ValueError(
            f"with x {x.shape} and h_prev {h_prev.shape} (N={N}, D={D}, Hd={Hd}) "
            + ", ".join(
                f"{k} must be {expected[k]}, got {arrays[k].shape}" for k in bad
            )
        )


def rnn_step_forward(x, h_prev, Wx, Wh, b, *, check: bool = True):
    r"""One step of a tanh RNN.

    Parameters
    ----------
    x : (N, D) ndarray
        Input at this step.
    h_prev : (N, Hd) ndarray
        Hidden state of the previous step.
    Wx : (D, Hd) ndarray
    Wh : (Hd, Hd) ndarray
    b : (Hd,) ndarray
    check : bool, default True
        Validate the arguments (and, in `rnn_step_backward`, ``dout``).
        A loop that validated its whole sequence once (`nnlab.p5_bptt.driver.bptt`,
        `nnlab.p6_rnn2d.rnn2d`) passes False: on small states the checks
        cost more than the step itself.

    Returns
    -------
    h : (N, Hd) ndarray
        The new hidden state.
    cache : RNNStepCache
        ``(x, h_prev, Wx, Wh, h)``, what `rnn_step_backward` needs; an
        `UncheckedStepCache` if `check` is False.

    Raises
    ------
    TypeError
        If an argument is not a floating ndarray.
    ValueError
        If an array has the wrong rank, is empty or holds NaN or inf, or if
        the shapes do not agree (the message names each wrong one).

    Notes
    -----
    .. math:: h = \tanh(x W_x + h_{prev} W_h + b)
    """
    if not check:
        h = np.tanh(x @ Wx + h_prev @ Wh + b)  # (N, Hd)
        return h, UncheckedStepCache(x, h_prev, Wx, Wh, h)
    _check_step(x, h_prev, Wx, Wh, b)
    h = np.tanh(x @ Wx + h_prev @ Wh + b)  # (N, Hd)
    return h, RNNStepCache(x, h_prev, Wx, Wh, h)


def rnn_step_backward(dout, cache):
    r"""Backward pass of `rnn_step_forward`.

    Parameters
    ----------
    dout : (N, Hd) ndarray
        Gradient of the loss with respect to this step's output h.
    cache : RNNStepCache
        From `rnn_step_forward`; `dout` is not checked if the forward pass
        ran with ``check=False``.

    Returns
    -------
    dx : (N, D), dh_prev : (N, Hd), dWx : (D, Hd), dWh : (Hd, Hd), db : (Hd,)
        In the order of the forward pass's inputs.

    Raises
    ------
    TypeError
        If `dout` is not a floating ndarray.
    ValueError
        If `dout` does not have the shape of h or holds NaN or inf.

    Notes
    -----
    With :math:`a = x W_x + h_{prev} W_h + b` and :math:`h = \tanh(a)`,

    .. math:: da = dout \odot (1 - h^2),

    since :math:`\tanh' = 1 - \tanh^2` lets the backward pass reuse h
    instead of a.
    """
    x, h_prev, Wx, Wh, h = cache
    if not isinstance(cache, UncheckedStepCache):
        check_dout(dout, h.shape)
    da = dout * (1.0 - h * h)  # (N, Hd)
    dx = da @ Wx.T  # (N, D)
    dh_prev = da @ Wh.T  # (N, Hd)
    dWx = x.T @ da  # (D, Hd)
    dWh = h_prev.T @ da  # (Hd, Hd)
    db = da.sum(axis=0)  # (Hd,)
    return dx, dh_prev, dWx, dWh, db
