"""Seed statistics against hand-computed values and the t distribution."""

import math

import numpy as np
import pytest

from nnlab.seed_stats import (
    T975,
    compare,
    independent,
    interval,
    paired,
    summarize,
    t_critical,
)


def test_summarize_matches_a_hand_computation():
    # mean 2.5; squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, / (4 - 1)
    s = summarize([1.0, 2.0, 3.0, 4.0])
    assert s.n == 4
    assert s.mean == 2.5
    assert s.sd == pytest.approx(math.sqrt(5 / 3), rel=1e-15)
    assert s.se == pytest.approx(math.sqrt(5 / 3) / 2, rel=1e-15)


def test_paired_difference_is_taken_seed_by_seed():
    # differences 2, 3, 1: mean 2, sd 1, se 1 / sqrt(3)
    d = paired([3.0, 5.0, 4.0], [1.0, 2.0, 3.0])
    assert (d.mean, d.sd, d.n) == (2.0, 1.0, 3)
    assert d.se == pytest.approx(1 / math.sqrt(3), rel=1e-15)
    # t_{0.975, 2} = 4.303: 2 +- 2.484, the interval holds 0
    lo, hi = interval(d)
    assert lo == pytest.approx(2 - 4.303 / math.sqrt(3), rel=1e-12)
    assert hi == pytest.approx(2 + 4.303 / math.sqrt(3), rel=1e-12)
    assert compare(d) == "tied"


def test_a_consistent_difference_is_ahead_or_behind():
    # differences 1.0, 1.2, 0.8, 1.1, 0.9: mean 1, sd sqrt(0.1 / 4), se sd / sqrt 5
    a = np.array([2.0, 2.2, 1.8, 2.1, 1.9])
    d = paired(a, np.ones(5))
    assert d.se == pytest.approx(math.sqrt(0.025 / 5), rel=1e-12)
    assert compare(d) == "ahead"  # 1 - 2.776 * 0.0707 = 0.80 > 0
    assert compare(paired(np.ones(5), a)) == "behind"


def test_independent_difference_uses_the_standard_error_of_a_difference():
    # se_a = 1 / sqrt(3), se_b = sqrt(5/3) / 2: se = sqrt(1/3 + 5/12) = sqrt(3/4)
    d = independent([1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0])
    assert d.mean == -3.5
    assert d.se == pytest.approx(math.sqrt(0.75), rel=1e-15)
    assert d.n == 3 and math.isnan(d.sd)
    # -3.5 + 4.303 * 0.866 = 0.23 > 0: two means 3.5 apart, not resolved
    assert compare(d) == "tied"


def _t_cdf(x: float, df: int) -> float:
    """P(T <= x) by Simpson's rule on the density of Student's t."""
    c = math.gamma((df + 1) / 2) / (math.sqrt(df * math.pi) * math.gamma(df / 2))
    t = np.linspace(0.0, x, 20001)
    f = c * (1 + t**2 / df) ** (-(df + 1) / 2)
    h = t[1] - t[0]
    simpson = h / 3 * (f[0] + f[-1] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum())
    return 0.5 + simpson


@pytest.mark.parametrize("df", sorted(T975))
def test_the_t_table_gives_the_975_quantile(df):
    # the table rounds to 3 decimals: the density there is < 0.4, so the
    # probability is off by at most 0.4 * 0.0005 = 2e-4
    assert abs(_t_cdf(t_critical(df), df) - 0.975) < 2e-4


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: summarize([1.0]), ValueError, r"at least 2 numbers .* shape \(1,\)"),
        (lambda: summarize(np.ones((2, 2))), ValueError, r"1-D .* shape \(2, 2\)"),
        (lambda: paired([1, 2], [1, 2, 3]), ValueError, r"shapes \(2,\) and \(3,\)"),
        (
            lambda: t_critical(0),
            ValueError,
            r"df must be an integer in \[1, 20\], got 0",
        ),
        (lambda: t_critical(2.0), ValueError, r"got 2.0"),
    ],
)
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
