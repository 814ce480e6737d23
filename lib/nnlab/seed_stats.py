r"""Statistics over seeds: summaries, differences and a verdict.

A conclusion that rests on training holds for the seed it was trained from
unless it is repeated. These helpers summarize one number a seed, take the
difference of two strategies (paired when the runs share their seeds, as
independent samples otherwise) and judge it against its standard error
with Student's t. General; Problem 3 (`nnlab.expansion_stats`) uses them.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

# Two-sided 95 % quantiles t_{0.975, df} of Student's t, from the standard
# table (e.g. NIST/SEMATECH e-Handbook of Statistical Methods, 1.3.6.7.2).
T975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365,
    8: 2.306, 9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145,
    15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086,
}  # fmt: skip


class Summary(NamedTuple):
    """Mean, sample standard deviation (ddof 1), standard error, count."""

    mean: float
    sd: float
    se: float
    n: int


def summarize(values) -> Summary:
    """The `Summary` of one number per seed (at least 2 of them)."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.size < 2:
        raise ValueError(
            f"values must be a 1-D array of at least 2 numbers (one a seed), got "
            f"shape {v.shape}"
        )
    sd = float(v.std(ddof=1))
    return Summary(float(v.mean()), sd, sd / math.sqrt(v.size), int(v.size))


def paired(a, b) -> Summary:
    """The `Summary` of ``a - b`` seed by seed: runs that share their seeds."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"a paired difference needs one value a seed on both sides, got shapes "
            f"{a.shape} and {b.shape}"
        )
    return summarize(a - b)


def independent(a, b) -> Summary:
    """Difference of the means of two independent samples.

    ``se = sqrt(se_a**2 + se_b**2)`` (the standard error of a difference);
    ``n`` is the smaller sample, whose ``n - 1`` degrees of freedom `compare`
    then uses (conservative). ``sd`` is NaN: no single sample has it.
    """
    sa, sb = summarize(a), summarize(b)
    se = math.sqrt(sa.se**2 + sb.se**2)
    return Summary(sa.mean - sb.mean, math.nan, se, min(sa.n, sb.n))


def t_critical(df: int) -> float:
    """t_{0.975, df}: half the width of a 95 % interval, in standard errors."""
    if isinstance(df, bool) or not isinstance(df, int) or df not in T975:
        raise ValueError(f"df must be an integer in [1, {max(T975)}], got {df!r}")
    return T975[df]


def interval(diff: Summary) -> tuple[float, float]:
    """The 95 % interval ``mean +- t_{0.975, n-1} se`` of a difference."""
    half = t_critical(diff.n - 1) * diff.se
    return diff.mean - half, diff.mean + half


def compare(diff: Summary) -> str:
    """ "ahead" or "behind" when the 95 % interval excludes 0, else "tied".

    "tied" means no difference the seeds can resolve, not equality.
    """
    lo, hi = interval(diff)
    if lo > 0:
        return "ahead"
    if hi < 0:
        return "behind"
    return "tied"
