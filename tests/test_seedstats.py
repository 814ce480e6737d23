"""Seed statistics against values computed by hand and against tables."""

import math

import numpy as np
import pytest

from nnlab.seedstats import (
    Summary,
    _t_two_sided,
    bounded,
    difference,
    pm,
    summarize,
    t_critical,
)


def test_summarize_matches_a_hand_computation():
    # [1, 2, 3, 4]: mean 2.5; squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5,
    # sample variance 5 / 3, standard error sqrt(5/3) / sqrt(4).
    s = summarize([1.0, 2.0, 3.0, 4.0])
    assert s.mean == 2.5 and s.runs == 4
    assert s.sd == pytest.approx(math.sqrt(5 / 3), rel=1e-15)
    assert s.se == pytest.approx(math.sqrt(5 / 3) / 2, rel=1e-15)


def test_paired_and_independent_differences_by_hand():
    a, b = [1.0, 2.0, 3.0], [0.0, 0.0, 1.0]
    # paired: a - b = [1, 2, 2], mean 5/3, deviations -2/3, 1/3, 1/3:
    # variance (4/9 + 1/9 + 1/9) / 2 = 1/3, se = sqrt(1/3) / sqrt(3) = 1/3
    d = difference(a, b)
    assert d.mean == pytest.approx(5 / 3, rel=1e-15)
    assert d.sd == pytest.approx(math.sqrt(1 / 3), rel=1e-15)
    assert d.se == pytest.approx(1 / 3, rel=1e-15)
    # independent: se_a = 1 / sqrt(3) (sd 1), se_b = 1 / 3 (sd sqrt(1/3)),
    # se of the difference sqrt(1/3 + 1/9) = 2/3: sqrt(2) times a single se
    # when the two are equal, as the issue says
    u = difference(a, b, paired=False)
    assert u.mean == pytest.approx(5 / 3, rel=1e-15)
    assert u.se == pytest.approx(2 / 3, rel=1e-15)
    same = difference([0.0, 1.0, 2.0], [5.0, 7.0, 6.0], paired=False)
    assert same.se == pytest.approx(math.sqrt(2) * summarize([0.0, 1.0, 2.0]).se)


@pytest.mark.parametrize(
    "df, level, table",
    # two-sided Student t quantiles from any statistics table
    [
        (1, 0.95, 12.706),
        (2, 0.95, 4.303),
        (4, 0.95, 2.776),
        (7, 0.95, 2.365),
        (9, 0.95, 2.262),
        (30, 0.95, 2.042),
        (4, 0.99, 4.604),
        (7, 0.99, 3.499),
    ],
)
def test_t_critical_matches_the_printed_tables(df, level, table):
    assert t_critical(df, level) == pytest.approx(table, abs=5e-4)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 8])
def test_t_distribution_function_matches_integrating_the_density(df):
    # Independent of the closed form: Simpson's rule on the density
    # Gamma((df+1)/2) / (sqrt(df pi) Gamma(df/2)) (1 + t**2/df)**(-(df+1)/2)
    # over [-1.7, 1.7] with 20000 intervals, error far below 1e-9.
    t = np.linspace(-1.7, 1.7, 20001)
    c = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2))
    f = c / math.sqrt(df * math.pi) * (1 + t * t / df) ** (-(df + 1) / 2)
    h = t[1] - t[0]
    simpson = h / 3 * (f[0] + f[-1] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum())
    assert _t_two_sided(1.7, df) == pytest.approx(simpson, abs=1e-9)


def test_interval_below_and_above():
    s = Summary(mean=-1.0, sd=1.0, se=0.25, runs=5)
    lo, hi = s.interval()
    # t(4) = 2.776: -1 -+ 0.694
    assert (lo, hi) == pytest.approx((-1.694, -0.306), abs=1e-3)
    assert s.below() and not s.above()
    wide = Summary(mean=-1.0, sd=1.0, se=0.5, runs=5)  # -1 + 1.39 > 0
    assert not wide.below() and not wide.above()


def test_printing_helpers():
    assert pm(summarize([0.5, 0.7])) == "0.60 ± 0.14"
    assert pm(summarize([-0.5, -0.7]), 3, "se", sign=True) == "-0.600 ± 0.100"
    assert bounded(3e-16, 1e-14) == "< 1e-14"
    assert bounded(-3e-16, 1e-14) == "< 1e-14"
    assert bounded(2e-14, 1e-14) == "2.0e-14 (NOT below 1e-14)"


def test_bad_input_messages():
    with pytest.raises(ValueError, match=r"at least 2 runs, got shape \(1,\)"):
        summarize([1.0])
    with pytest.raises(ValueError, match=r"values must be finite"):
        summarize([1.0, np.nan])
    with pytest.raises(ValueError, match=r"same runs, got \(2,\) and \(3,\)"):
        difference([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"df must be a positive int, got 0"):
        t_critical(0)
    with pytest.raises(ValueError, match=r"level must be in \(0, 1\), got 1.5"):
        t_critical(3, 1.5)
    with pytest.raises(ValueError, match=r"spread must be 'sd' or 'se', got 'var'"):
        pm(summarize([1.0, 2.0]), spread="var")
    with pytest.raises(ValueError, match=r"bound must be positive, got 0"):
        bounded(1.0, 0)
