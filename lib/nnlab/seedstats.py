"""Statistics over seeds: what a conclusion drawn from training runs rests on.

A training result is a random variable: another seed (initial weights,
data) gives another value. Notebook 4 trains every model on S seeds and
decides with these helpers:

- `summarize`: mean, standard deviation and standard error over the seeds;
- `difference`: the mean of ``a - b`` with its standard error, paired by
  seed (``se = sd(a - b) / sqrt(S)``) or from independent runs
  (``se = sqrt(se_a**2 + se_b**2)``);
- `t_critical`: the Student t quantile that turns a standard error of S
  runs into a confidence interval;
- `Summary.below` / `Summary.above`: is a mean significantly below (above)
  0, its whole confidence interval on one side?
- `pm`, `bounded`: printing at the precision a result supports.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


class Summary(NamedTuple):
    """Mean, spread and standard error of one quantity over S runs."""

    mean: float
    sd: float  # sample standard deviation (ddof = 1)
    se: float  # standard error of the mean, sd / sqrt(S)
    runs: int  # S

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Two-sided confidence interval ``mean -+ t * se`` (t with S - 1 df)."""
        half = t_critical(self.runs - 1, level) * self.se
        return self.mean - half, self.mean + half

    def below(self, level: float = 0.95) -> bool:
        """True if the whole confidence interval lies below 0."""
        return self.interval(level)[1] < 0.0

    def above(self, level: float = 0.95) -> bool:
        """True if the whole confidence interval lies above 0."""
        return self.interval(level)[0] > 0.0


def _values(values, name: str) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    if a.ndim != 1 or a.size < 2:
        raise ValueError(
            f"{name} must be a 1-D sequence of at least 2 runs, got shape {a.shape}"
        )
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite, got {a}")
    return a


def summarize(values) -> Summary:
    """Mean, sample standard deviation and standard error of S >= 2 values."""
    a = _values(values, "values")
    sd = float(a.std(ddof=1))
    return Summary(float(a.mean()), sd, sd / math.sqrt(a.size), a.size)


def difference(a, b, paired: bool = True) -> Summary:
    """The mean of ``a - b`` over runs, with its standard error.

    Parameters
    ----------
    a, b : (S,) array_like
        One value per run.
    paired : bool
        True when run s of ``a`` and of ``b`` share their seed (same data,
        same initial weights): the seed-to-seed variation common to both
        cancels in ``a[s] - b[s]``, and ``se = sd(a - b) / sqrt(S)``.
        False for independent runs: ``se = sqrt(se_a**2 + se_b**2)``.

    Returns
    -------
    Summary
        With ``paired=False``, ``sd`` is ``se * sqrt(S)`` and the degrees
        of freedom used by `Summary.interval` are those of one set, S - 1:
        fewer than Welch's, so the interval errs on the wide side.
    """
    a, b = _values(a, "a"), _values(b, "b")
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have the same runs, got {a.shape} and {b.shape}"
        )
    if paired:
        return summarize(a - b)
    sa, sb = summarize(a), summarize(b)
    se = math.hypot(sa.se, sb.se)
    return Summary(sa.mean - sb.mean, se * math.sqrt(a.size), se, a.size)


def _t_two_sided(t: float, df: int) -> float:
    """P(|T| < t) for Student's t with integer df (Abramowitz-Stegun 26.7.3-4)."""
    theta = math.atan(t / math.sqrt(df))
    s, c = math.sin(theta), math.cos(theta)
    if df % 2:  # odd: (2 / pi) (theta + sin cos (1 + 2/3 cos^2 + ...))
        term, total = 1.0, 1.0 if df > 1 else 0.0
        for k in range(1, (df - 1) // 2):
            term *= (2 * k) / (2 * k + 1) * c * c
            total += term
        return 2 / math.pi * (theta + s * c * total)
    term, total = 1.0, 1.0  # even: sin (1 + 1/2 cos^2 + 1.3/2.4 cos^4 + ...)
    for k in range(1, df // 2):
        term *= (2 * k - 1) / (2 * k) * c * c
        total += term
    return s * total


def t_critical(df: int, level: float = 0.95) -> float:
    """The t with ``P(|T| < t) = level`` for Student's t with df degrees of freedom.

    Bisection on the closed-form distribution function for integer df
    (Abramowitz and Stegun, Handbook of Mathematical Functions, 26.7.3-4);
    accurate to about 1e-12.
    """
    if not isinstance(df, (int, np.integer)) or df < 1:
        raise ValueError(f"df must be a positive int, got {df!r}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    lo, hi = 0.0, 1.0
    while _t_two_sided(hi, df) < level:
        hi *= 2.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _t_two_sided(mid, df) < level else (lo, mid)
        if hi - lo < 1e-13 * hi:
            break
    return 0.5 * (lo + hi)


def pm(s: Summary, digits: int = 2, spread: str = "sd", sign: bool = False) -> str:
    """``"mean ± spread"`` with the same number of decimals for both.

    ``spread`` is "sd" (how much one run varies) or "se" (how well the mean
    is known); ``sign`` prints the mean with its sign, for differences.
    """
    if spread not in ("sd", "se"):
        raise ValueError(f"spread must be 'sd' or 'se', got {spread!r}")
    plus = "+" if sign else ""
    return f"{s.mean:{plus}.{digits}f} ± {getattr(s, spread):.{digits}f}"


def bounded(value: float, bound: float) -> str:
    """Print a roundoff-sized ``value`` as ``"< bound"``, its portable form.

    Rounding errors of 1e-16..1e-14 change with the summation order of a
    BLAS kernel or a numpy version; that they stay below a bound justified
    by the computation does not. A value at or above the bound is printed
    in full with a warning, so a broken claim stays visible.
    """
    if not bound > 0:
        raise ValueError(f"bound must be positive, got {bound!r}")
    if abs(value) < bound:
        return f"< {bound:.0e}"
    return f"{value:.1e} (NOT below {bound:.0e})"
