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

import numbers
from typing import NamedTuple

import numpy as np

from nnlab.validate import check_array, check_dout, check_int, check_positive


class RunningStats(NamedTuple):
    """Exponential moving averages of the batch mean and variance, each (D,)."""

    mean: np.ndarray
    var: np.ndarray


def shifted_moments(x, axis: int):
    r"""Mean, centred values and biased variance along `axis`, shifted first.

    Parameters
    ----------
    x : ndarray
        Any shape with no empty axis; a non-floating array is taken as
        float64. NaN and inf propagate, as NaN, with no warning (the
        kernels refuse them first).
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

    Raises
    ------
    TypeError
        If `x` is not an ndarray or `axis` not an integer.
    ValueError
        If `x` has an empty axis or `axis` is out of range.

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
    if isinstance(x, np.ndarray) and not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    check_array("x", x, finite=False)
    axis = check_int("axis", axis)
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(
            f"axis must be in [{-x.ndim}, {x.ndim}) for x of shape {x.shape}, "
            f"got {axis}"
        )
    acc = np.promote_types(x.dtype, np.float64)
    shift = np.take(x, [0], axis=axis)
    with np.errstate(invalid="ignore"):  # inf - inf: NaN propagates, as documented
        d = x - shift
        md = d.mean(axis=axis, keepdims=True, dtype=acc).astype(x.dtype, copy=False)
        xc = np.subtract(d, md, out=d)  # d - md, into d: one temporary fewer
        var = (xc * xc).mean(axis=axis, keepdims=True, dtype=acc)
    return shift + md, xc, var.astype(x.dtype, copy=False)


def update_running(running: RunningStats, mean, var, momentum: float):
    """``momentum * old + (1 - momentum) * new`` for the mean and the variance.

    Parameters
    ----------
    running : RunningStats
        The old estimates, mean and variance of shape (D,).
    mean, var : (D,) ndarray
        The new batch statistics; `var` biased, >= 0.
    momentum : float in [0, 1]
        Weight of the old estimate.

    Returns
    -------
    RunningStats
        New arrays; `running` is not modified.

    Raises
    ------
    TypeError
        If `running` is not a `RunningStats`, or an array is not floating.
    ValueError
        If a shape is not (D,), a value is not finite, or `momentum` is
        outside [0, 1].

    Notes
    -----
    An estimate already equal to the new statistic is kept bit for bit, so
    the running mean of a constant feature stays that constant and
    evaluation maps the feature to exactly beta; rounding of the weighted
    sum alone could move it by an ulp, which the zero variance would then
    magnify by ``1 / sqrt(eps)``.
    """
    if not isinstance(running, RunningStats):
        raise TypeError(
            f"running must be a nnlab.norm.RunningStats, got {type(running).__name__}"
        )
    D = check_array("running.mean", running.mean, 1, "(D,)", nonempty=False).size
    check_running(running, D)
    for name, a in (("mean", mean), ("var", var)):
        check_array(name, a, layout="(D,)", nonempty=False)
        if a.shape != (D,):
            raise ValueError(
                f"{name} must have the running estimates' shape ({D},), got {a.shape}"
            )
    check_momentum(momentum)

    def ema(old, new):
        return np.where(old == new, old, momentum * old + (1 - momentum) * new)

    return RunningStats(ema(running.mean, mean), ema(running.var, var))


class BatchNormCache(NamedTuple):
    """What `batchnorm_backward` needs from `batchnorm_forward`."""

    xhat: np.ndarray  # (N, D) normalized input
    gamma: np.ndarray  # (D,)
    inv_std: np.ndarray  # (D,) 1 / sqrt(var + eps) of the statistics used
    train: bool  # batch statistics (True) or running ones (False)


def check_affine(gamma, beta, D: int) -> None:
    """Raise unless `gamma` and `beta` are finite floating (D,) arrays.

    Parameters
    ----------
    gamma, beta : (D,) ndarray
        Scale and shift of a normalization, one entry a feature.
    D : int
        The number of features of the input.

    Raises
    ------
    TypeError
        If either is not a floating ndarray.
    ValueError
        If either is not of shape (D,) or holds NaN or inf.
    """
    for name, p in (("gamma", gamma), ("beta", beta)):
        check_array(name, p, layout="(D,)", nonempty=False)
        if p.shape != (D,):
            raise ValueError(
                f"{name} must have shape (D,) = ({D},), one entry a feature of x, "
                f"got {p.shape}"
            )


def check_momentum(momentum, one_allowed: bool = True) -> float:
    """Return `momentum` as a float after checking it is in [0, 1] (or [0, 1)).

    Raises
    ------
    TypeError
        If `momentum` is not a real number (bool included).
    ValueError
        If it is outside [0, 1], or equal to 1 when `one_allowed` is False.
    """
    if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real):
        raise TypeError(
            f"momentum must be a real number, got {type(momentum).__name__} "
            f"{momentum!r}"
        )
    top = "1]" if one_allowed else "1)"
    if not (0.0 <= momentum <= 1.0) or (momentum == 1.0 and not one_allowed):
        raise ValueError(f"momentum must be in [0, {top}, got {momentum!r}")
    return float(momentum)


def check_running(running, D: int) -> None:
    """Raise unless `running` is None or a `RunningStats` of finite (D,) arrays.

    Raises
    ------
    TypeError
        If `running` is neither None nor a `RunningStats`, or holds a
        non-floating array.
    ValueError
        If its mean or variance is not of shape (D,), is not finite, or a
        variance is negative.
    """
    if running is None:
        return
    if not isinstance(running, RunningStats):
        raise TypeError(
            "running must be a nnlab.norm.RunningStats or None, "
            f"got {type(running).__name__}"
        )
    for name in ("mean", "var"):
        a = check_array(f"running.{name}", getattr(running, name), nonempty=False)
        if a.shape != (D,):
            raise ValueError(
                f"running.{name} must have shape (D,) = ({D},), got {a.shape}"
            )
    if (running.var < 0).any():
        raise ValueError(f"running.var must be >= 0, got {running.var}")


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

    Raises
    ------
    TypeError
        If an array is not a floating ndarray, `eps` or `momentum` not a
        number, or `running` neither None nor a `RunningStats`.
    ValueError
        If x is not 2-D, has an empty axis or NaN/inf, gamma or beta is not
        (D,), eps <= 0, momentum outside [0, 1], N < 2 in training, or
        `running` is missing in evaluation or of the wrong shape.

    Notes
    -----
    The statistics come from `shifted_moments`, so a feature constant over
    the batch gives xhat = 0 and out = beta exactly, at any magnitude.

    In training, with batch mean :math:`\mu` and biased variance
    :math:`\sigma^2`,

    .. math::

        \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
        y = \gamma \hat x + \beta,

        \mu_{run} \leftarrow m \mu_{run} + (1 - m) \mu, \qquad
        \sigma^2_{run} \leftarrow m \sigma^2_{run} + (1 - m) \sigma^2 .

    The running variance is the biased batch variance, the one used to
    normalize; frameworks that store the unbiased one differ by N/(N-1).

    References
    ----------
    S. Ioffe, C. Szegedy, "Batch Normalization: Accelerating Deep Network
    Training by Reducing Internal Covariate Shift", ICML 2015.
    """
    check_array("x", x, 2, "(N, D)")
    N, D = x.shape
    check_affine(gamma, beta, D)
    check_positive("eps", eps)
    check_momentum(momentum)
    check_running(running, D)
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

    Raises
    ------
    TypeError
        If `dout` is not a floating ndarray.
    ValueError
        If `dout` is not shaped like the forward's output or is not finite.

    Notes
    -----
    With :math:`g = \partial L / \partial \hat x = \gamma \, dout`, in
    training the mean and variance depend on x, which gives

    .. math::

        \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2+\epsilon}}
        \left(g - \overline{g} - \hat x \, \overline{g \hat x}\right),

    bars being means over the batch; :math:`\overline{g} = \gamma\, d\beta / N`
    and :math:`\overline{g \hat x} = \gamma\, d\gamma / N`. In evaluation the
    statistics are constants and
    :math:`\partial L / \partial x = g / \sqrt{\sigma^2+\epsilon}`.
    """
    xhat, gamma, inv_std, train = cache
    check_dout(dout, xhat.shape)
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
