"""Causal sequence normalization as a stream: one token in, one token out.

At generation a decoder sees one step at a time. The causal statistics of
`nnlab.p4_seqnorm.seqnorm` then need no history: Welford's update keeps the
count, the mean and the sum of squared deviations M2 of the prefix, O(D)
state per layer and O(D) work per token, and gives the same outputs as
``seqnorm_forward(x, ..., causal=True)`` up to rounding.

The exponential-moving-average variant replaces the exact prefix statistics
by averages that forget the distant past (`ema_step`): the same O(D) state,
but statistics that follow a drifting sequence, at the price of noisier
statistics on a stationary one and a momentum to choose. `drift_tradeoff`
measures both sides.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nnlab.norm import check_affine, check_momentum
from nnlab.validate import check_array, check_choice, check_int, check_positive

TOKEN = "(D,) or (N, D)"  # one step of one sequence, or of N in parallel


class StreamState(NamedTuple):
    """Welford state of the prefix seen so far: count, mean and M2."""

    count: int  # steps seen
    mean: np.ndarray  # (D,) or (N, D) prefix mean
    m2: np.ndarray  # (D,) or (N, D) sum of squared deviations from the mean


class EmaState(NamedTuple):
    """Exponential moving averages over time of the mean and the variance."""

    mean: np.ndarray  # (D,) or (N, D)
    var: np.ndarray  # (D,) or (N, D)


def _check_token(x_t, gamma, beta, eps) -> None:
    check_array("x_t", x_t, (1, 2), TOKEN)
    for name, p in (("gamma", gamma), ("beta", beta)):
        check_array(name, p, 1, "(D,)")
        if p.shape != x_t.shape[-1:]:
            raise ValueError(
                f"{name} must have one entry a feature of x_t: x_t has shape "
                f"{x_t.shape}, {name} {p.shape}"
            )
    check_positive("eps", eps)


def _check_state(state, kind: type, fields: tuple[str, ...], shape) -> None:
    if state is None:
        return
    if not isinstance(state, kind):
        raise TypeError(
            f"state must be a {kind.__name__} or None, got {type(state).__name__}"
        )
    for name in fields:
        a = check_array(f"state.{name}", getattr(state, name))
        if a.shape != shape:
            raise ValueError(
                f"state.{name} must have the shape of x_t, {shape}, got {a.shape}"
            )


def stream_step(x_t, gamma, beta, state: StreamState | None = None, eps=1e-5):
    r"""Normalize one step with the statistics of every step up to it.

    Parameters
    ----------
    x_t : (D,) or (N, D) ndarray
        Step t of one sequence, or of N sequences generated in parallel.
    gamma, beta : (D,) ndarray
    state : StreamState or None
        The statistics of steps 0..t-1; None before the first step.
    eps : float

    Returns
    -------
    y_t : ndarray shaped like x_t
    state : StreamState
        The statistics of steps 0..t, a new record (the one passed in is
        not touched).

    Raises
    ------
    TypeError
        If an array is not a floating ndarray, `state` not a StreamState.
    ValueError
        If x_t is not 1-D or 2-D or not finite, gamma or beta not (D,),
        eps not > 0, or the state's arrays not shaped like x_t.

    Notes
    -----
    Welford's update, with n = count + 1:

    .. math:: \delta = x_t - m_{t-1},\quad m_t = m_{t-1} + \delta / n,\quad
              M_t = M_{t-1} + \delta\,(x_t - m_t),\quad
              \hat x_t = \frac{x_t - m_t}{\sqrt{M_t / n + \epsilon}} .

    Each increment of M is :math:`\delta^2 (n-1)/n \ge 0`, so nothing cancels.

    References
    ----------
    B. P. Welford (1962), "Note on a method for calculating corrected sums
    of squares and products", Technometrics 4(3).
    """
    _check_token(x_t, gamma, beta, eps)
    _check_state(state, StreamState, ("mean", "m2"), x_t.shape)
    if state is not None:
        check_int("state.count", state.count, minimum=1)
    if state is None:
        count, mean, m2 = 1, x_t.copy(), np.zeros_like(x_t)  # xhat_0 = 0 exactly
    else:
        count = state.count + 1
        delta = x_t - state.mean  # (..., D)
        mean = state.mean + delta / count
        m2 = state.m2 + delta * (x_t - mean)
    xhat = (x_t - mean) / np.sqrt(m2 / count + eps)
    return gamma * xhat + beta, StreamState(count, mean, m2)


def ema_step(x_t, gamma, beta, state: EmaState | None = None, momentum=0.9, eps=1e-5):
    r"""Normalize one step with exponential moving averages over time.

    Parameters
    ----------
    x_t : (D,) or (N, D) ndarray
    gamma, beta : (D,) ndarray
    state : EmaState or None
        The averages after step t-1; None before the first step, which
        starts them at (x_0, 0), so that y_0 = beta as in the causal version.
    momentum : float in [0, 1)
        The weight of the past; the averages remember about
        ``1 / (1 - momentum)`` steps.
    eps : float

    Returns
    -------
    y_t : ndarray shaped like x_t
    state : EmaState
        A new record.

    Raises
    ------
    TypeError, ValueError
        As `stream_step`, and for momentum not in [0, 1).

    Notes
    -----
    With :math:`\alpha` the momentum and :math:`\delta = x_t - m_{t-1}`
    (the incremental form of Finch, 2009):

    .. math:: m_t = m_{t-1} + (1-\alpha)\,\delta,\quad
              v_t = \alpha\,\big(v_{t-1} + (1-\alpha)\,\delta^2\big).

    References
    ----------
    T. Finch (2009), "Incremental calculation of weighted mean and
    variance", University of Cambridge Computing Service.
    """
    _check_token(x_t, gamma, beta, eps)
    a = check_momentum(momentum, one_allowed=False)
    _check_state(state, EmaState, ("mean", "var"), x_t.shape)
    if state is not None and (state.var < 0).any():
        raise ValueError(f"state.var must be >= 0, got {state.var}")
    if state is None:
        mean, var = x_t.copy(), np.zeros_like(x_t)
    else:
        delta = x_t - state.mean
        mean = state.mean + (1 - a) * delta
        var = a * (state.var + (1 - a) * delta * delta)
    xhat = (x_t - mean) / np.sqrt(var + eps)
    return gamma * xhat + beta, EmaState(mean, var)


def stream_sequence(x, gamma, beta, momentum=None, eps=1e-5):
    """Run `stream_step` (or `ema_step`) over the time axis of x, step by step.

    Parameters
    ----------
    x : (T, D) or (N, T, D) ndarray
    gamma, beta : (D,) ndarray
    momentum : float in [0, 1) or None
        None for the exact prefix statistics (`stream_step`), a number for
        the moving averages (`ema_step`).
    eps : float

    Returns
    -------
    out : ndarray shaped like x
    """
    check_array("x", x, (2, 3), "(T, D) or (N, T, D)")
    check_affine(gamma, beta, x.shape[-1])
    if momentum is not None:
        check_momentum(momentum, one_allowed=False)
    out = np.empty_like(x)
    state = None
    for t in range(x.shape[-2]):
        x_t = np.ascontiguousarray(x[..., t, :])  # (..., D)
        if momentum is None:
            out[..., t, :], state = stream_step(x_t, gamma, beta, state, eps)
        else:
            out[..., t, :], state = ema_step(x_t, gamma, beta, state, momentum, eps)
    return out


def drift_tradeoff(
    data: str = "stationary",
    T: int = 256,
    n: int = 64,
    momentum: float = 0.9,
    jump: float = 5.0,
    seed: int = 0,
):
    """RMS error of xhat over the last quarter of the steps, exact prefix vs EMA.

    The data are n sequences of T i.i.d. N(mu_t, 1) steps, D = 1, with
    mu_t = 0 ("stationary") or mu_t jumping from 0 to `jump` at step T/2
    ("jump"). The error is measured against the normalization by the true
    mu_t and standard deviation 1.

    Returns
    -------
    dict
        ``{"prefix": rms, "ema": rms}``.
    """
    check_choice("data", data, ("stationary", "jump"))
    T = check_int("T", T, minimum=4)
    n = check_int("n", n, minimum=1)
    momentum = check_momentum(momentum, one_allowed=False)
    jump = check_positive("jump", jump)
    seed = check_int("seed", seed, minimum=0)
    rng = np.random.default_rng(seed)
    mu = np.zeros((T, 1))
    if data == "jump":
        mu[T // 2 :] = jump
    x = mu + rng.standard_normal((n, T, 1))  # (n, T, 1)
    ones, zeros = np.ones(1), np.zeros(1)
    truth = x - mu  # xhat with the true statistics
    late = slice(3 * T // 4, T)
    out = {}
    for name, m in (("prefix", None), ("ema", momentum)):
        err = stream_sequence(x, ones, zeros, m)[:, late] - truth[:, late]
        out[name] = float(np.sqrt(np.mean(err**2)))
    return out
