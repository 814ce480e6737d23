r"""Statistics over seeds: what a conclusion drawn from training runs rests on.

A training result is a random variable: another seed (initial weights, data)
gives another value, and on another CPU a chaotic run gives another value
too. Notebooks 2, 3 and 4 train every setting on S seeds and decide with
these helpers, all at one confidence level (`LEVEL`, 95 %):

- `summarize`: mean, sample standard deviation and standard error;
- `paired`: the mean of ``a - b`` seed by seed, for runs that share their
  seed (``se = sd(a - b) / sqrt(S)``: the variation common to both cancels);
- `independent`: the difference of two means from independent runs, with
  the standard error of a difference ``sqrt(se_a**2 + se_b**2)``;
- `Summary.interval`, `Summary.sign`, `compare`: the two-sided Student t
  interval of a mean (S - 1 degrees of freedom), and whether it excludes 0;
- `pm`, `bounded`: printing at the precision a result supports.

References
----------
W. S. Gosset ("Student"), "The probable error of a mean", Biometrika 6
(1908). Abramowitz and Stegun, Handbook of Mathematical Functions (1964),
26.7.3-4, for the t distribution function of integer degrees of freedom.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from nnlab.validate import as_floats, check_choice, check_int, check_real

#: Confidence level of every interval and verdict in the notebooks.
LEVEL = 0.95


class Summary(NamedTuple):
    """Mean, spread and standard error of one quantity over n runs.

    For an `independent` difference ``sd`` is NaN (no single sample has it)
    and ``n`` is the smaller sample, whose n - 1 degrees of freedom the
    interval then uses: fewer than Welch's, so it errs on the wide side.
    """

    mean: float
    sd: float  # sample standard deviation (ddof = 1)
    se: float  # standard error of the mean
    n: int  # runs

    def interval(self, level: float = LEVEL) -> tuple[float, float]:
        """Two-sided confidence interval ``mean -+ t * se`` (t with n - 1 df)."""
        half = t_critical(self.n - 1, level) * self.se
        return self.mean - half, self.mean + half

    def sign(self, level: float = LEVEL) -> int:
        """+1 if the interval lies above 0, -1 if below, 0 if it holds 0."""
        lo, hi = self.interval(level)
        return 1 if lo > 0 else -1 if hi < 0 else 0

    def below(self, level: float = LEVEL) -> bool:
        """Return True if the whole confidence interval lies below 0."""
        return self.sign(level) == -1

    def above(self, level: float = LEVEL) -> bool:
        """Return True if the whole confidence interval lies above 0."""
        return self.sign(level) == 1


def _values(values, name: str) -> np.ndarray:
    a = as_floats(name, values, ndim=1, finite=False, nonempty=False)
    if a.size < 2:
        raise ValueError(
            f"{name} must be a 1-D sequence of at least 2 runs (one a seed), "
            f"got shape {a.shape}"
        )
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite, got {a}")
    return a


def summarize(values) -> Summary:
    """Mean, sample standard deviation and standard error of n >= 2 values.

    Raises
    ------
    ValueError
        If `values` is not 1-D with at least 2 finite entries.
    """
    a = _values(values, "values")
    sd = float(a.std(ddof=1))
    return Summary(float(a.mean()), sd, sd / math.sqrt(a.size), int(a.size))


def paired(a, b) -> Summary:
    """Summarize ``a - b`` seed by seed, for runs that share seeds.

    Raises
    ------
    ValueError
        If `a` and `b` do not hold one value a seed each, for the same seeds.
    """
    a, b = _values(a, "a"), _values(b, "b")
    if a.shape != b.shape:
        raise ValueError(
            f"a paired difference needs one value a seed on both sides, got "
            f"shapes {a.shape} and {b.shape}"
        )
    return summarize(a - b)


def independent(a, b) -> Summary:
    """Difference of the means of two independent samples (see `Summary`)."""
    sa, sb = summarize(_values(a, "a")), summarize(_values(b, "b"))
    se = math.hypot(sa.se, sb.se)
    return Summary(sa.mean - sb.mean, math.nan, se, min(sa.n, sb.n))


def _check_summary(name: str, s) -> Summary:
    if not isinstance(s, Summary):
        raise TypeError(
            f"{name} must be a Summary (from summarize, paired or independent), "
            f"got {type(s).__name__}"
        )
    return s


def compare(diff: Summary, level: float = LEVEL) -> str:
    """Return "ahead"/"behind" when the interval of `diff` excludes 0, else "tied".

    "tied" means no difference the runs can resolve, not equality.

    Raises
    ------
    TypeError
        If `diff` is not a `Summary` or `level` not a real number.
    ValueError
        If `level` is not in (0, 1).
    """
    _check_summary("diff", diff)
    check_real("level", level, 0.0, 1.0)
    return {1: "ahead", -1: "behind", 0: "tied"}[diff.sign(level)]


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


def t_critical(df: int, level: float = LEVEL) -> float:
    """Return t with ``P(|T| < t) = level``, T Student's t with `df` degrees of freedom.

    Bisection on the closed-form distribution function for integer df
    (Abramowitz and Stegun 26.7.3-4); accurate to about 1e-12.

    Raises
    ------
    TypeError
        If `df` is not an integer (bools refused).
    ValueError
        If `df` is less than 1 or `level` is not in (0, 1).
    """
    df = check_int("df", df, 1)
    level = check_real("level", level, 0.0, 1.0)
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

    `spread` is "sd" (how much one run varies) or "se" (how well the mean is
    known); `sign` prints the mean with its sign, for differences.

    Raises
    ------
    TypeError
        If `s` is not a `Summary`, `digits` not an integer or `spread` not a str.
    ValueError
        If `digits` is negative or `spread` is neither "sd" nor "se".
    """
    _check_summary("s", s)
    digits = check_int("digits", digits, 0)
    check_choice("spread", spread, ("sd", "se"))
    plus = "+" if sign else ""
    return f"{s.mean:{plus}.{digits}f} ± {getattr(s, spread):.{digits}f}"


def bounded(value: float, bound: float) -> str:
    """Print a roundoff-sized `value` as ``"< bound"``, its portable form.

    Rounding errors of 1e-16..1e-14 change with the summation order of a
    BLAS kernel or a numpy version; that they stay below a bound justified by
    the computation does not. A value at or above the bound is printed in
    full with a warning, so that a broken claim stays visible.

    Raises
    ------
    TypeError
        If `value` or `bound` is not a real number.
    ValueError
        If either is not finite, or `bound` is not > 0.
    """
    value = check_real("value", value)
    bound = check_real("bound", bound, 0.0)
    if abs(value) < bound:
        return f"< {bound:.0e}"
    return f"{value:.1e} (NOT below {bound:.0e})"
