r"""Small synthetic data sets for the training notebooks.

`spirals` is the two-class problem of Problems 2 and 3: two interleaved
spiral arms in the plane, which no linear classifier separates.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from nnlab.validate import check_array, check_int


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
    A point of class :math:`c` at position :math:`t \sim U(0, 1)` along its arm is

    .. math::

        x = t \,(\cos\theta, \sin\theta) + \varepsilon, \quad
        \theta = 2\pi \cdot \mathrm{turns} \cdot t + \pi c, \quad
        \varepsilon \sim \mathcal N(0, \mathrm{noise}^2 I).

    The arms are point reflections of each other through the origin, so
    along any ray from the origin the classes alternate every
    :math:`1/(2\,\mathrm{turns})` in radius; a line cannot follow that.
    """
    n = check_int("n", n)
    seed = check_int("seed", seed, 0)
    n_test = n if n_test is None else check_int("n_test", n_test)
    if n < 2 or n_test < 2:
        raise ValueError(
            f"need at least 2 training and 2 test points, got n={n}, n_test={n_test}"
        )
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real):
        raise TypeError(f"noise must be a real number, got {type(noise).__name__}")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    if isinstance(turns, bool) or not isinstance(turns, numbers.Real):
        raise TypeError(f"turns must be a real number, got {type(turns).__name__}")
    if not (np.isfinite(turns) and turns > 0):
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
        :math:`\sqrt{(p - \bar x)^\top \Sigma^{-1} (p - \bar x)}` for each point p.

    Notes
    -----
    It bounds what batch norm can make of a linear layer's output: for any
    weights :math:`w` and bias :math:`b`, unit :math:`z = x w + b` has batch
    mean :math:`\bar x w + b` and variance :math:`w^\top \Sigma w`, so by
    Cauchy-Schwarz (with :math:`\Sigma^{1/2} w`) its standardized value at p
    is at most the distance of p, whatever w is. With :math:`\gamma = 1`,
    :math:`\beta = 0` and :math:`\epsilon > 0` the batch-norm output stays
    strictly below it.
    """
    check_array("X", X, nonempty=False)
    if X.ndim != 2 or X.shape[0] < 2 or X.shape[1] < 1:
        raise ValueError(f"X must be (N, D) with N >= 2, got shape {X.shape}")
    check_array("X", X)
    X = X.astype(np.float64, copy=False)
    P = X if points is None else check_array("points", points, 2, "(M, D)")
    if P.shape[1] != X.shape[1]:
        raise ValueError(
            f"points must be (M, {X.shape[1]}) like X's rows, got shape {P.shape}"
        )
    P = P.astype(np.float64, copy=False)
    mean = X.mean(axis=0)
    centred = X - mean
    cov = centred.T @ centred / X.shape[0]  # (D, D), biased as in batch norm
    if np.linalg.matrix_rank(cov) < cov.shape[0]:
        raise ValueError(
            f"X must span its {X.shape[1]} dimensions (a covariance of full "
            f"rank), got rank {np.linalg.matrix_rank(cov)}"
        )
    diff = P - mean  # (M, D)
    d2 = np.einsum("md,md->m", diff, np.linalg.solve(cov, diff.T).T)
    # rounding can make a distance of 0 slightly negative
    return np.sqrt(np.maximum(d2, 0.0))


def check_split(data, d_in: int | None = None, classes: int | None = None, lead=()):
    """Return `data` as a `Split` after checking its arrays and labels.

    Parameters
    ----------
    data : Split or 4-tuple
        ``(X, y, X_test, y_test)``.
    d_in : int or None
        The number of features X must have; None for any.
    classes : int or None
        Labels must lie in [0, classes); None for any non-negative label.
    lead : tuple of int
        Leading axes every array has (a seed or network axis), e.g. ``(S,)``.

    Returns
    -------
    Split

    Raises
    ------
    TypeError
        If `data` is not a 4-tuple, an X is not a floating array or a y not
        an integer one.
    ValueError
        If a shape does not fit, an X is not finite, or a label is out of
        range.
    """
    if not isinstance(data, tuple) or len(data) != 4:
        raise TypeError(
            f"data must be a Split (X, y, X_test, y_test), got {data!r:.60}"
        )
    d_in = None if d_in is None else check_int("d_in", d_in, 1)
    classes = None if classes is None else check_int("classes", classes, 1)
    lead = tuple(check_int("lead", d, 1) for d in lead)
    k = len(lead)
    layout = "(" + "".join(f"{d}, " for d in lead) + "N, D)"
    out = []
    for xname, yname, X, y in (("X", "y", *data[:2]), ("X_test", "y_test", *data[2:])):
        check_array(f"data.{xname}", X, k + 2, layout)
        if X.shape[:k] != tuple(lead) or (d_in is not None and X.shape[-1] != d_in):
            want = layout if d_in is None else layout.replace("D)", f"{d_in})")
            raise ValueError(f"data.{xname} must be {want}, got shape {X.shape}")
        if not isinstance(y, np.ndarray) or not np.issubdtype(y.dtype, np.integer):
            got = y.dtype if isinstance(y, np.ndarray) else type(y).__name__
            raise TypeError(
                f"data.{yname} must be an integer array of labels, got {got}"
            )
        if y.shape != X.shape[:-1]:
            raise ValueError(
                f"data.{yname} must have shape {X.shape[:-1]} like data.{xname}'s "
                f"rows, got {y.shape}"
            )
        top = np.inf if classes is None else classes
        if y.min() < 0 or y.max() >= top:
            raise ValueError(
                f"data.{yname} must hold labels in [0, {top}), got values from "
                f"{y.min()} to {y.max()}"
            )
        out += [X, y]
    return Split(*out)
