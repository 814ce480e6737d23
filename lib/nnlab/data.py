r"""Small synthetic data sets for the training notebooks.

`spirals` is the two-class problem of Problems 2 and 3: two interleaved
spiral arms in the plane, which no linear classifier separates.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Split(NamedTuple):
    """A training set and a held-out test set drawn from one distribution.

    X : (N, 2) float64 ndarray, y : (N,) int64 ndarray of labels 0/1;
    X_test : (N_test, 2), y_test : (N_test,) likewise. Unpack it as
    ``X, y, X_test, y_test = spirals(...)``.
    """

    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def spirals(
    n: int = 300,
    noise: float = 0.1,
    seed: int = 0,
    n_test: int | None = None,
    turns: float = 1.0,
) -> Split:
    r"""Two interleaved spiral arms, labels 0 and 1, with a held-out split.

    Parameters
    ----------
    n : int
        Number of training points; labels alternate 0, 1, 0, ... so both
        sets are balanced to within one point.
    noise : float
        Standard deviation of the Gaussian noise added to each coordinate.
    seed : int
        Seed of the one generator that draws every point.
    n_test : int or None
        Number of held-out points; None means as many as `n`. They come from
        the same distribution, drawn after the training points.
    turns : float
        Number of turns of each arm.

    Returns
    -------
    Split
        ``(X, y, X_test, y_test)``: X (n, 2) float64, y (n,) int64,
        X_test (n_test, 2), y_test (n_test,).

    Notes
    -----
    A point of class $c$ at position $t \sim U(0, 1)$ along its arm is

    $$x = t \,(\cos\theta, \sin\theta) + \varepsilon, \quad
    \theta = 2\pi \cdot \mathrm{turns} \cdot t + \pi c, \quad
    \varepsilon \sim \mathcal N(0, \mathrm{noise}^2 I).$$

    The arms are point reflections of each other through the origin, so
    along any ray from the origin the classes alternate every
    $1/(2\,\mathrm{turns})$ in radius; a line cannot follow that.
    """
    for name, v in (("n", n), ("seed", seed)):
        if not isinstance(v, int | np.integer) or isinstance(v, bool):
            raise TypeError(f"{name} must be an int, got {type(v).__name__}")
    if n_test is None:
        n_test = n
    if not isinstance(n_test, int | np.integer) or isinstance(n_test, bool):
        raise TypeError(f"n_test must be an int or None, got {type(n_test).__name__}")
    if n < 2 or n_test < 2:
        raise ValueError(
            f"need at least 2 training and 2 test points, got n={n}, n_test={n_test}"
        )
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    if not turns > 0:
        raise ValueError(f"turns must be > 0, got {turns!r}")
    rng = np.random.default_rng(seed)
    total = n + n_test
    # alternating labels keep both sets balanced to within one point
    y = np.concatenate([np.arange(n) % 2, np.arange(n_test) % 2])  # (total,)
    t = rng.uniform(0.0, 1.0, size=total)  # (total,)
    theta = 2 * np.pi * turns * t + np.pi * y
    X = t[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1)  # (total, 2)
    X = X + noise * rng.standard_normal((total, 2))
    y = y.astype(np.int64)
    return Split(X[:n], y[:n], X[n:], y[n:])


def mahalanobis(X, points=None) -> np.ndarray:
    r"""Mahalanobis distance of each point from the mean of X, under X's covariance.

    Parameters
    ----------
    X : (N, D) ndarray
        The batch whose mean and biased covariance (divided by N, as batch
        norm's variance is) define the distance.
    points : (M, D) ndarray or None
        The points to measure; None means X itself.

    Returns
    -------
    (M,) ndarray
        $\sqrt{(p - \bar x)^\top \Sigma^{-1} (p - \bar x)}$ for each point p.

    Notes
    -----
    It bounds what batch norm can make of a linear layer's output: for any
    weights $w$ and bias $b$, unit $z = x w + b$ has batch mean
    $\bar x w + b$ and variance $w^\top \Sigma w$, so by Cauchy-Schwarz (with
    $\Sigma^{1/2} w$) its standardized value at p is at most the distance of
    p, whatever w is. With $\gamma = 1$, $\beta = 0$ and $\epsilon > 0$ the
    batch-norm output stays strictly below it.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"X must be (N, D) with N >= 2, got shape {X.shape}")
    P = X if points is None else np.asarray(points, dtype=np.float64)
    if P.ndim != 2 or P.shape[1] != X.shape[1]:
        raise ValueError(
            f"points must be (M, {X.shape[1]}) like X's rows, got shape {P.shape}"
        )
    centred = X - X.mean(axis=0)
    cov = centred.T @ centred / X.shape[0]  # (D, D), biased as in batch norm
    diff = P - X.mean(axis=0)  # (M, D)
    return np.sqrt(np.einsum("md,md->m", diff, np.linalg.solve(cov, diff.T).T))
