"""Seed statistics against values worked out by hand and printed t tables."""

import math

import numpy as np
import pytest

from nnlab.stats import (
    Summary,
    _t_two_sided,
    bounded,
    compare,
    independent,
    paired,
    pm,
    summarize,
    t_critical,
)


def test_summarize_matches_a_hand_computation():
    # [1, 2, 3, 4]: mean 2.5; squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5,
    # sample variance 5 / 3, standard error sqrt(5/3) / sqrt(4).
    s = summarize([1.0, 2.0, 3.0, 4.0])
    assert s.mean == 2.5 and s.n == 4
    assert s.sd == pytest.approx(math.sqrt(5 / 3), rel=1e-15)
    assert s.se == pytest.approx(math.sqrt(5 / 3) / 2, rel=1e-15)


def test_paired_difference_by_hand():
    # a - b = [1, 2, 2], mean 5/3, deviations -2/3, 1/3, 1/3:
    # variance (4/9 + 1/9 + 1/9) / 2 = 1/3, se = sqrt(1/3) / sqrt(3) = 1/3
    d = paired([1.0, 2.0, 3.0], [0.0, 0.0, 1.0])
    assert d.mean == pytest.approx(5 / 3, rel=1e-15)
    assert d.sd == pytest.approx(math.sqrt(1 / 3), rel=1e-15)
    assert d.se == pytest.approx(1 / 3, rel=1e-15)
    # t(2) = 4.303 from the tables: 5/3 - 4.303/3 = 0.23 > 0
    assert d.sign() == 1 and compare(d) == "ahead"


def test_independent_difference_uses_the_standard_error_of_a_difference():
    # se_a = 1 / sqrt(3) (sd 1), se_b = sqrt(5/3) / 2: se = sqrt(1/3 + 5/12)
    d = independent([1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0])
    assert d.mean == -3.5
    assert d.se == pytest.approx(math.sqrt(0.75), rel=1e-15)
    # the smaller sample's n - 1 degrees of freedom; no single sd
    assert d.n == 3 and math.isnan(d.sd)
    # -3.5 + 4.303 * 0.866 = 0.23 > 0: two means 3.5 apart, not resolved
    assert compare(d) == "tied"
    # equal spreads: sqrt(2) times one mean's standard error, as the issue says
    same = independent([0.0, 1.0, 2.0], [5.0, 7.0, 6.0])
    assert same.se == pytest.approx(math.sqrt(2) * summarize([0.0, 1.0, 2.0]).se)


def test_pairing_removes_the_shared_seed_variation():
    # every seed is 1 higher in a: paired, the differences have sd 0; as
    # independent samples, means 20 and 19 with se 10/sqrt(3) each are tied
    a, b = [10.0, 20.0, 30.0], [9.0, 19.0, 29.0]
    assert paired(a, b).sign() == 1
    u = independent(a, b)
    assert u.se == pytest.approx(math.sqrt(2) * 10 / math.sqrt(3), rel=1e-14)
    assert u.sign() == 0


def test_a_consistent_difference_is_ahead_or_behind():
    # differences 1.0, 1.2, 0.8, 1.1, 0.9: mean 1, sd sqrt(0.1 / 4)
    a = np.array([2.0, 2.2, 1.8, 2.1, 1.9])
    d = paired(a, np.ones(5))
    assert d.se == pytest.approx(math.sqrt(0.025 / 5), rel=1e-12)
    assert compare(d) == "ahead"  # 1 - 2.776 * 0.0707 = 0.80 > 0
    assert compare(paired(np.ones(5), a)) == "behind"
    assert paired(np.ones(5), a).below() and not d.below()


@pytest.mark.parametrize(
    "df, level, table",
    # two-sided Student t quantiles from any statistics table
    [
        (1, 0.95, 12.706),
        (2, 0.95, 4.303),
        (4, 0.95, 2.776),
        (7, 0.95, 2.365),
        (9, 0.95, 2.262),
        (20, 0.95, 2.086),
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
    s = Summary(mean=-1.0, sd=1.0, se=0.25, n=5)
    lo, hi = s.interval()
    # t(4) = 2.776: -1 -+ 0.694
    assert (lo, hi) == pytest.approx((-1.694, -0.306), abs=1e-3)
    assert s.below() and not s.above() and s.sign() == -1
    wide = Summary(mean=-1.0, sd=1.0, se=0.5, n=5)  # -1 + 1.39 > 0
    assert not wide.below() and not wide.above() and wide.sign() == 0


def test_printing_helpers():
    assert pm(summarize([0.5, 0.7])) == "0.60 ± 0.14"
    assert pm(summarize([-0.5, -0.7]), 3, "se", sign=True) == "-0.600 ± 0.100"
    assert bounded(3e-16, 1e-14) == "< 1e-14"
    assert bounded(-3e-16, 1e-14) == "< 1e-14"
    assert bounded(2e-14, 1e-14) == "2.0e-14 (NOT below 1e-14)"


def test_formatted_statistics_survive_a_few_ulps():
    # accuracies on 200 test points are multiples of 0.005; a perturbation of
    # a few ulps (what another BLAS kernel can leave after a non-chaotic run)
    # must not change what is printed at 3 decimals, nor a verdict
    acc = np.array([0.985, 0.975, 0.975, 0.965, 0.96])
    other = np.array([0.96, 0.935, 0.96, 0.59, 0.94])
    moved = acc * (1 + 4 * np.finfo(float).eps * np.array([1, -1, 1, -1, 1]))
    for a in (acc, moved):
        s = summarize(a)
        assert f"{s.mean:.3f} ± {s.sd:.3f} (se {s.se:.3f})" == (
            "0.972 ± 0.010 (se 0.004)"
        )
    assert paired(acc, other).sign() == paired(moved, other).sign()


def test_bad_input_messages():
    with pytest.raises(ValueError, match=r"at least 2 runs .*got shape \(1,\)"):
        summarize([1.0])
    with pytest.raises(
        ValueError, match=r"^values must be 1-D, got 2-D shape \(2, 2\)"
    ):
        summarize(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"values must be finite"):
        summarize([1.0, np.nan])
    with pytest.raises(ValueError, match=r"one value a seed .* \(2,\) and \(3,\)"):
        paired([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"df must be an integer >= 1, got 0"):
        t_critical(0)
    with pytest.raises(TypeError, match=r"df must be an integer, got float 2.0"):
        t_critical(2.0)
    with pytest.raises(TypeError, match=r"df must be an integer, got bool True"):
        t_critical(True)
    with pytest.raises(
        ValueError, match=r"^level must be a finite number in \(0, 1\), got 1.5$"
    ):
        t_critical(3, 1.5)
    with pytest.raises(
        ValueError, match=r"^spread must be one of 'sd', 'se', got 'var'$"
    ):
        pm(summarize([1.0, 2.0]), spread="var")
    with pytest.raises(
        ValueError, match=r"^bound must be a finite number in \(0, inf\), got 0.0$"
    ):
        bounded(1.0, 0)
    with pytest.raises(TypeError, match=r"^values must be numbers .*got str 'abc'"):
        summarize("abc")
    with pytest.raises(TypeError, match=r"^diff must be a Summary .*got float"):
        compare(0.5)
    with pytest.raises(TypeError, match=r"^digits must be an integer, got NoneType"):
        pm(summarize([1.0, 2.0]), digits=None)
