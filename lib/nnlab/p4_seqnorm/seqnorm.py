"""Sequence normalization: each feature normalized over time, full or causal.

For one sequence x of shape (T, D),

    mu_j = mean_t x[t, j],   var_j = mean_t (x[t, j] - mu_j)**2,
    y = gamma * (x - mu) / sqrt(var + eps) + beta.

With ``causal=True`` the statistics at step t cover x[0..t] only, so y[t]
never depends on a later step. Layer normalization (over D at each t),
the comparison that never mixes time steps, is in
`nnlab.p4_seqnorm.layernorm`.

The experiments of notebook 4 built on these kernels (how the statistics
leak the future into a model's predictions) are in `nnlab.p4_seqnorm.leakage`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nnlab.norm import (
    RunningStats,
    check_affine,
    check_momentum,
    check_running,
    shifted_moments,
    update_running,
)
from nnlab.validate import check_array, check_choice, check_dout, check_positive

SEQUENCE = "(T, D) or (N, T, D)"  # the layout of every x here


class SeqNormCache(NamedTuple):
    """What `seqnorm_backward` needs; `z` and `mz` are None unless causal."""

    xhat: np.ndarray  # (..., T, D) normalized input
    gamma: np.ndarray  # (D,)
    inv_std: np.ndarray  # (..., 1, D) full, (..., T, D) causal, (D,) eval
    z: np.ndarray | None  # (..., T, D) x - x[0], causal only
    mz: np.ndarray | None  # (..., T, D) prefix means of z, causal only
    mode: str  # "full", "causal" or "eval"


def _check_inputs(x, gamma, beta, eps) -> None:
    """Run the checks every kernel here starts with."""
    check_array("x", x, (2, 3), SEQUENCE)
    check_affine(gamma, beta, x.shape[-1])
    check_positive("eps", eps)


def _prefix_stats(x):
    """Shifted prefix moments along axis -2, vectorised Welford.

    Returns ``z = x - x[0]``, ``mz`` (prefix means of z) and ``var``
    (prefix variances), all shaped like x. Everything at step t is computed
    from steps 0..t only, so no later step can change it by a single bit.
    """
    T = x.shape[-2]
    acc = np.promote_types(x.dtype, np.float64)  # float32 sums in float64
    n = np.arange(1, T + 1, dtype=acc)[:, None]  # (T, 1)
    # Shifting by x[0] removes a large common offset before any sum, and a
    # constant feature gives z = 0, hence mz = 0 and var = 0, exactly.
    z = x - x[..., :1, :]  # (..., T, D)
    mz = (np.cumsum(z, axis=-2, dtype=acc) / n).astype(x.dtype, copy=False)
    # Welford: M2_t = M2_{t-1} + (z_t - mz_{t-1})**2 * t / (t + 1), a sum of
    # non-negative terms, so nothing cancels.
    delta = z.copy()
    delta[..., 1:, :] -= mz[..., :-1, :]
    m2 = np.cumsum(delta * delta * ((n - 1) / n), axis=-2)
    return z, mz, (m2 / n).astype(x.dtype, copy=False)


def prefix_moments(x, method: str = "welford"):
    """Mean and variance of every prefix x[0..t], for each feature.

    Parameters
    ----------
    x : (T, D) or (N, T, D) ndarray
    method : {"welford", "naive"}
        "welford" shifts by x[0] and accumulates non-negative Welford
        increments; "naive" takes ``cumsum(x**2)/n - (cumsum(x)/n)**2``,
        kept to show how it cancels catastrophically for large offsets.

    Returns
    -------
    mean, var : ndarrays shaped like x
        ``mean[..., t, :] = x[..., :t+1, :].mean(-2)``, ``var`` likewise
        (biased, divided by t + 1).

    Raises
    ------
    TypeError
        If x is not a floating ndarray, or `method` not a str.
    ValueError
        If x is not 2-D or 3-D, has an empty axis or NaN/inf, or `method`
        is not one of the two.

    Notes
    -----
    The naive variance is a difference of two numbers of size mean**2; its
    absolute rounding error is about ``T * 2**-53 * mean**2``, which for a
    mean of 1e4 is ~1e-8 * T: larger than a variance of 1e-6.

    References
    ----------
    B. P. Welford (1962), "Note on a method for calculating corrected sums
    of squares and products", Technometrics 4(3).
    T. F. Chan, G. H. Golub, R. J. LeVeque (1983), "Algorithms for computing
    the sample variance: analysis and recommendations", The American
    Statistician 37(3).
    """
    check_array("x", x, (2, 3), SEQUENCE)
    check_choice("method", method, ("welford", "naive"))
    if method == "welford":
        z, mz, var = _prefix_stats(x)
        return x[..., :1, :] + mz, var
    n = np.arange(1, x.shape[-2] + 1, dtype=x.dtype)[:, None]
    mean = np.cumsum(x, axis=-2) / n
    return mean, np.cumsum(x * x, axis=-2) / n - mean * mean


def seqnorm_forward(x, gamma, beta, eps: float = 1e-5, causal: bool = False):
    r"""Normalize every feature over the time axis of each sequence.

    Parameters
    ----------
    x : (T, D) or (N, T, D) ndarray
        One sequence, or N of them; statistics are per sequence.
    gamma, beta : (D,) ndarray
        Scale and shift per feature.
    eps : float
        Added to the variance; keeps ``1/sqrt(var + eps)`` finite.
    causal : bool
        If True, step t uses the statistics of x[0..t] only.

    Returns
    -------
    out : ndarray shaped like x
    cache : SeqNormCache
        ``(xhat, gamma, inv_std, z, mz, mode)``.

    Raises
    ------
    TypeError
        If x, gamma or beta is not a floating ndarray, or eps not a number.
    ValueError
        If x is not 2-D or 3-D, has an empty axis or NaN/inf; gamma or beta
        is not (D,) or not finite; eps is not > 0.

    Notes
    -----
    Full:

    .. math:: \mu = \frac1T\sum_t x_t,\quad
              \sigma^2 = \frac1T\sum_t (x_t-\mu)^2,\quad
              y_t = \gamma \frac{x_t-\mu}{\sqrt{\sigma^2+\epsilon}} + \beta

    Causal: the same with sums over s <= t and 1/(t+1), computed as
    prefix sums of values shifted by x[0] (Welford increments for the
    variance), O(T D). At t = 0 the variance is 0 and xhat is exactly 0.
    Both paths shift by x[0] before summing (`nnlab.norm.shifted_moments`),
    so a feature constant over time gives exactly beta at any magnitude.

    References
    ----------
    S. Ioffe, C. Szegedy (2015), "Batch normalization", ICML; the same
    equations with the batch axis in place of time.
    J. L. Ba, J. R. Kiros, G. E. Hinton (2016), "Layer normalization",
    arXiv:1607.06450; statistics over the features of one step, the
    comparison used here.
    """
    _check_inputs(x, gamma, beta, eps)
    if not isinstance(causal, (bool, np.bool_)):
        raise TypeError(f"causal must be a bool, got {type(causal).__name__}")
    if causal:
        z, mz, var = _prefix_stats(x)
        inv_std = 1.0 / np.sqrt(var + eps)  # (..., T, D)
        xhat = (z - mz) * inv_std
        cache = SeqNormCache(xhat, gamma, inv_std, z, mz, "causal")
    else:
        _, xc, var = shifted_moments(x, axis=-2)  # var (..., 1, D)
        inv_std = 1.0 / np.sqrt(var + eps)
        xhat = xc * inv_std
        cache = SeqNormCache(xhat, gamma, inv_std, None, None, "full")
    return gamma * xhat + beta, cache


def _reverse_cumsum(a):
    """``out[..., t, :] = a[..., t:, :].sum(-2)``."""
    return np.flip(np.cumsum(np.flip(a, axis=-2), axis=-2), axis=-2)


def seqnorm_backward(dout, cache: SeqNormCache):
    r"""Backward pass of `seqnorm_forward` (and of `seqnorm_running_forward`).

    Parameters
    ----------
    dout : ndarray shaped like the forward's output
    cache : SeqNormCache

    Returns
    -------
    dx : ndarray shaped like x
    dgamma, dbeta : (D,) ndarray

    Raises
    ------
    TypeError
        If `dout` is not a floating ndarray.
    ValueError
        If `dout` is not shaped like the forward's output or is not finite.

    Notes
    -----
    With g = gamma * dout, s = 1/inv_std and n = T (full):

    .. math:: \frac{\partial L}{\partial x_s} = \frac{1}{n s}
              \Big(n g_s - \sum_t g_t - \hat x_s \sum_t g_t \hat x_t\Big)

    Causal (n_t = t + 1, statistics of step t): every step t >= s adds

    .. math:: g_t\Big(\frac{\delta_{ts} - 1/n_t}{s_t}
              - \frac{\hat x_t (x_s - m_t)}{n_t s_t^2}\Big),

    collected for all s at once with reverse cumulative sums, O(T D).
    """
    xhat, gamma, inv_std, z, mz, mode = cache
    check_dout(dout, xhat.shape)
    lead = tuple(range(xhat.ndim - 1))
    dgamma = (dout * xhat).sum(axis=lead)  # (D,)
    dbeta = dout.sum(axis=lead)  # (D,)
    g = dout * gamma  # (..., T, D)
    if mode == "eval":
        return g * inv_std, dgamma, dbeta
    T = xhat.shape[-2]
    if mode == "full":
        dx = (
            T * g
            - g.sum(axis=-2, keepdims=True)
            - xhat * (g * xhat).sum(axis=-2, keepdims=True)
        ) * (inv_std / T)
        return dx, dgamma, dbeta
    n = np.arange(1, T + 1, dtype=xhat.dtype)[:, None]  # (T, 1)
    p = g * inv_std / n  # g_t / (n_t s_t)
    q = p * xhat * inv_std  # g_t xhat_t / (n_t s_t**2)
    later_p = np.zeros_like(p)  # sum over t > s of p_t
    later_p[..., :-1, :] = _reverse_cumsum(p[..., 1:, :])
    # x_s - m_t = z_s - mz_t: the shift by x[0] cancels, large offsets never
    # enter the sums.
    dx = (
        g * inv_std * ((n - 1) / n)  # t = s term, exactly 0 at s = 0
        - later_p
        - (z * _reverse_cumsum(q) - _reverse_cumsum(q * mz))
    )
    return dx, dgamma, dbeta


def seqnorm_running_forward(
    x,
    gamma,
    beta,
    eps: float = 1e-5,
    momentum: float = 0.9,
    running: RunningStats | None = None,
    train: bool = True,
):
    """Sequence normalization with running estimates for evaluation.

    Training normalizes with each sequence's own statistics and returns
    updated running estimates; evaluation normalizes with the running
    estimates and returns them unchanged. Nothing is modified in place.

    Parameters
    ----------
    x : (T, D) or (N, T, D) ndarray
    gamma, beta : (D,) ndarray
    eps : float
    momentum : float in [0, 1)
        ``new = momentum * old + (1 - momentum) * batch``.
    running : RunningStats or None
        None starts the averages at this batch's statistics (train only),
        rather than at (0, 1), so that the first estimates are not biased
        towards an arbitrary start.
    train : bool

    Returns
    -------
    out : ndarray shaped like x
    cache : SeqNormCache
        For `seqnorm_backward`.
    running : RunningStats
        ``mean`` and ``var`` of shape (D,): momentum averages of the
        per-sequence means and (biased) variances used in training.

    Raises
    ------
    TypeError
        As `seqnorm_forward`; also if `momentum` is not a number or
        `running` neither None nor a `RunningStats`.
    ValueError
        As `seqnorm_forward`; also for momentum outside [0, 1), running
        estimates not of shape (D,), finite and >= 0, running=None in
        evaluation, and in training for T = 1: one step gives variance 0,
        and evaluation would then divide by ``sqrt(eps)``.
    """
    _check_inputs(x, gamma, beta, eps)
    D = x.shape[-1]
    check_momentum(momentum, one_allowed=False)
    check_running(running, D)
    if train:
        T = x.shape[-2]
        if T < 2:
            raise ValueError(
                f"x must have T >= 2 steps in training, got T={T} (x of shape "
                f"{x.shape}): the statistics of one step are the step itself "
                "and variance 0, which the running estimates would learn"
            )
        out, cache = seqnorm_forward(x, gamma, beta, eps)
        mean, _, var = shifted_moments(x, axis=-2)  # (..., 1, D) per sequence
        # averaged over sequences, the means again shifted by the first one
        mean = shifted_moments(mean.reshape(-1, D), axis=0)[0][0]  # (D,)
        batch = RunningStats(mean, var.reshape(-1, D).mean(axis=0))
        if running is None:
            return out, cache, batch
        return out, cache, update_running(running, *batch, momentum)
    if running is None:
        raise ValueError("evaluation (train=False) needs running statistics, got None")
    inv_std = 1.0 / np.sqrt(running.var + eps)  # (D,)
    xhat = (x - running.mean) * inv_std
    cache = SeqNormCache(xhat, gamma, inv_std, None, None, "eval")
    return gamma * xhat + beta, cache, running
