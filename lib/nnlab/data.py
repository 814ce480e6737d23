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
