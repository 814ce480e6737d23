r"""Seed statistics: mean, spread and whether two settings differ.

A conclusion that rests on training is a statement about the distribution
of outcomes over seeds, so it is made from several runs (at least 5, with
the initialization and the data both varied) and a test that accounts for
their spread:

- one setting: mean, sample standard deviation (ddof 1) and the standard
  error of the mean, ``sd / sqrt(n)``;
- two settings run independently: the standard error of the difference of
  the means, ``sqrt(se_a**2 + se_b**2)``;
- two settings run on the same seeds (same data, same starting weights):
  the per-seed differences, their mean and standard error (a paired test,
  which removes the seed-to-seed variation the two share).

`compare` calls a difference real when it exceeds `z` standard errors.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

Z = 2.0  # about 95% two-sided under a normal approximation


class Summary(NamedTuple):
    """Mean, sample standard deviation and standard error of n values."""

    mean: float
    sd: float
    se: float
    n: int


class Difference(NamedTuple):
    """``a - b``: its mean, standard error, and the verdict at z errors.

    sign : +1 if a is larger by more than ``z * se``, -1 if smaller, else 0.
    """

    mean: float
    se: float
    sign: int
    paired: bool


def _values(x, name: str) -> np.ndarray:
    v = np.asarray(x, dtype=np.float64)
    if v.ndim != 1 or v.size < 2:
        raise ValueError(
            f"{name} must be a 1-D sequence of at least 2 values (one a seed), "
            f"got shape {v.shape}"
        )
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite, got {v}")
    return v


def summarize(x) -> Summary:
    """Mean, sample standard deviation (ddof 1) and standard error of x."""
    v = _values(x, "x")
    sd = float(v.std(ddof=1))
    return Summary(float(v.mean()), sd, sd / math.sqrt(v.size), v.size)


def compare(a, b, paired: bool, z: float = Z) -> Difference:
    """Whether the mean of `a` differs from that of `b` by more than z errors.

    Parameters
    ----------
    a, b : sequences of floats, one value a seed
    paired : bool
        True when ``a[i]`` and ``b[i]`` come from the same seed: the test is
        then on the differences ``a - b`` (same lengths needed). False
        treats the runs as independent, with the standard error of a
        difference ``sqrt(se_a**2 + se_b**2)``.
    z : float
        How many standard errors make a difference real.

    Returns
    -------
    Difference
    """
    a, b = _values(a, "a"), _values(b, "b")
    if paired:
        if a.shape != b.shape:
            raise ValueError(
                f"paired runs need one value a seed in both, got {a.size} and {b.size}"
            )
        d = summarize(a - b)
        mean, se = d.mean, d.se
    else:
        sa, sb = summarize(a), summarize(b)
        mean, se = sa.mean - sb.mean, math.hypot(sa.se, sb.se)
    sign = 0 if abs(mean) <= z * se else (1 if mean > 0 else -1)
    return Difference(mean, se, sign, paired)
