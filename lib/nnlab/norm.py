"""Batch normalization over the batch axis of (N, D) activations.

    out = gamma * (x - mean) / sqrt(var + eps) + beta

In training the mean and variance are those of the batch and the running
estimates are updated; in evaluation the running estimates are used. The
running estimates are returned, never written into what was passed in.

`shifted_moments` computes the statistics of every normalization in the
package (shifted by the first sample, so a constant feature gives exactly
beta) and `update_running` their running averages.

Sequence normalization (statistics over time) and layer normalization are
Problem 4's, in `nnlab.p4_seqnorm.seqnorm`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class RunningStats(NamedTuple):
    """Exponential moving averages of the batch mean and variance, each (D,)."""

    mean: np.ndarray
    var: np.ndarray


def shifted_moments(x, axis: int):
    r"""Mean, centred values and biased variance along `axis`, shifted first.

    Parameters
    ----------
    x : ndarray
        Any shape; a non-floating array is taken as float64.
    axis : int
        The axis the statistics run over.

    Returns
    -------
    mean : ndarray
        ``x.mean(axis, keepdims=True)``.
    xc : ndarray shaped like x
        ``x - mean``.
    var : ndarray
        ``(xc**2).mean(axis, keepdims=True)``, biased.

    Notes
    -----
    The shifted-data algorithm: with K the first sample along `axis`,

    .. math:: d = x - K,\quad \bar d = \tfrac1n \sum d,\quad
              x - \mu = d - \bar d,\quad
              \sigma^2 = \tfrac1n \sum (d - \bar d)^2 .

    Computing the mean of x directly rounds it to a value that is not exactly
    a constant feature's constant, and normalizing then divides that residual
    by its own tiny standard deviation: a float32 feature of 256 equal values
    near 1e3 came out near +-1 instead of beta. With the shift a constant
    feature has d = 0 exactly, so xc = 0 and var = 0 exactly, at any
    magnitude; a large common offset never enters a sum, so float32 data at
    1e4 keeps float32 accuracy relative to its spread. Sums of float16 and
    float32 data are accumulated in float64 and rounded once to x's dtype.

    References
    ----------
    T. F. Chan, G. H. Golub, R. J. LeVeque (1983), "Algorithms for computing
    the sample variance: analysis and recommendations", The American
    Statistician 37(3), 242-247 (the shifted data algorithm, section 3).
    """
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    acc = np.promote_types(x.dtype, np.float64)
    shift = np.take(x, [0], axis=axis)
    d = x - shift
    md = d.mean(axis=axis, keepdims=True, dtype=acc).astype(x.dtype, copy=False)
    xc = d - md
    var = (xc * xc).mean(axis=axis, keepdims=True, dtype=acc)
    return shift + md, xc, var.astype(x.dtype, copy=False)


def update_running(running: RunningStats, mean, var, momentum: float):
    """``momentum * old + (1 - momentum) * new`` for the mean and the variance.

    An estimate already equal to the new statistic is kept bit for bit, so
    the running mean of a constant feature stays that constant and
    evaluation maps the feature to exactly beta; rounding of the weighted
    sum alone could move it by an ulp, which the zero variance would then
    magnify by ``1 / sqrt(eps)``.
    """

    def ema(old, new):
        return np.where(old == new, old, momentum * old + (1 - momentum) * new)

    return RunningStats(ema(running.mean, mean), ema(running.var, var))


class BatchNormCache(NamedTuple):
    """What `batchnorm_backward` needs from `batchnorm_forward`."""

    xhat: np.ndarray  # (N, D) normalized input
    gamma: np.ndarray  # (D,)
    inv_std: np.ndarray  # (D,) 1 / sqrt(var + eps) of the statistics used
    train: bool  # batch statistics (True) or running ones (False)


def _check_bn_args(x, gamma, beta, eps, momentum, running):
    for name, a in (("x", x), ("gamma", gamma), ("beta", beta)):
        if not isinstance(a, np.ndarray):
            raise TypeError(f"{name} must be a numpy array, got {type(a).__name__}")
    if x.ndim != 2:
        raise ValueError(f"x must be 2-D (N, D), got shape {x.shape}")
    N, D = x.shape
    for name, a in (("gamma", gamma), ("beta", beta)):
        if a.shape != (D,):
            raise ValueError(
                f"{name} must have shape (D,) = ({D},) for x of shape {x.shape}, "
                f"got {a.shape}"
            )
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"momentum must be in [0, 1], got {momentum!r}")
    if running is not None:
        if not isinstance(running, RunningStats):
            raise TypeError(
                "running must be a nnlab.norm.RunningStats or None, "
                f"got {type(running).__name__}"
            )
        if running.mean.shape != (D,) or running.var.shape != (D,):
            raise ValueError(
                f"running mean and var must have shape ({D},), got "
                f"{running.mean.shape} and {running.var.shape}"
            )


def batchnorm_forward(
    x,
    gamma,
    beta,
    eps: float = 1e-5,
    momentum: float = 0.9,
    running: RunningStats | None = None,
    train: bool = True,
):
    r"""Batch normalization of (N, D) activations, forward.

    Parameters
    ----------
    x : (N, D) ndarray
    gamma, beta : (D,) ndarray
        Scale and shift applied after normalizing.
    eps : float
        Added to the variance before the square root.
    momentum : float
        Weight of the old running estimate in the update.
    running : RunningStats or None
        Running mean and variance. None starts them at mean 0, variance 1.
    train : bool
        True normalizes with the batch statistics and updates `running`;
        False normalizes with `running` (which must then be given) and
        returns it unchanged.

    Returns
    -------
    out : (N, D) ndarray
    cache : BatchNormCache
        ``(xhat, gamma, inv_std, train)``.
    running : RunningStats
        The updated running estimates (new arrays).

    Notes
    -----
    The statistics come from `shifted_moments`, so a feature constant over
    the batch gives xhat = 0 and out = beta exactly, at any magnitude.

    In training, with batch mean $\mu$ and biased variance $\sigma^2$,

    $$\hat x = (x - \mu) / \sqrt{\sigma^2 + \epsilon}, \quad
    y = \gamma \hat x + \beta,$$
    $$\mu_{run} \leftarrow m \mu_{run} + (1 - m) \mu, \quad
    \sigma^2_{run} \leftarrow m \sigma^2_{run} + (1 - m) \sigma^2 .$$

    The running variance is the biased batch variance, the one used to
    normalize; frameworks that store the unbiased one differ by N/(N-1).

    References
    ----------
    S. Ioffe, C. Szegedy, "Batch Normalization: Accelerating Deep Network
    Training by Reducing Internal Covariate Shift", ICML 2015.
    """
    _check_bn_args(x, gamma, beta, eps, momentum, running)
    N, D = x.shape
    if train:
        if N < 2:
            raise ValueError(
                f"x must have N >= 2 samples in training, got N={N} (x of shape "
                f"{x.shape}): the statistics of one sample are the sample "
                "itself and variance 0"
            )
        mean, xc, var = shifted_moments(x, axis=0)  # (1, D), (N, D), (1, D)
        mean, var = mean[0], var[0]  # (D,), var biased
        if running is None:
            running = RunningStats(np.zeros(D), np.ones(D))
        running = update_running(running, mean, var, momentum)
    else:
        if running is None:
            raise ValueError(
                "evaluation (train=False) normalizes with running statistics; "
                "got running=None"
            )
        mean, var = running
        xc = x - mean  # (N, D)
    inv_std = 1.0 / np.sqrt(var + eps)  # (D,)
    xhat = xc * inv_std  # (N, D)
    out = gamma * xhat + beta
    return out, BatchNormCache(xhat, gamma, inv_std, bool(train)), running


def batchnorm_backward(dout, cache: BatchNormCache):
    r"""Batch normalization, backward.

    Parameters
    ----------
    dout : (N, D) ndarray
        Gradient of the loss with respect to `out`.
    cache : BatchNormCache
        From `batchnorm_forward`.

    Returns
    -------
    dx : (N, D), dgamma : (D,), dbeta : (D,) ndarray

    Notes
    -----
    With $g = \partial L / \partial \hat x = \gamma \, dout$, in training
    the mean and variance depend on x, which gives

    $$\frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2+\epsilon}}
    \left(g - \overline{g} - \hat x \, \overline{g \hat x}\right),$$

    bars being means over the batch; $\overline{g} = \gamma\, d\beta / N$
    and $\overline{g \hat x} = \gamma\, d\gamma / N$. In evaluation the
    statistics are constants and
    $\partial L / \partial x = g / \sqrt{\sigma^2+\epsilon}$.
    """
    xhat, gamma, inv_std, train = cache
    if dout.shape != xhat.shape:
        raise ValueError(
            f"dout must have the shape of x {xhat.shape}, got {dout.shape}"
        )
    N = dout.shape[0]
    dgamma = (dout * xhat).sum(axis=0)  # (D,)
    dbeta = dout.sum(axis=0)  # (D,)
    if train:
        # the batch means of g and g * xhat are gamma * dbeta / N and
        # gamma * dgamma / N: reuse them instead of reducing twice more
        dx = (gamma * inv_std) * (dout - (dbeta + xhat * dgamma) / N)
    else:
        dx = (gamma * inv_std) * dout
    return dx, dgamma, dbeta
