"""Seed statistics against values worked out by hand."""

import math

import numpy as np
import pytest

from nnlab.stats import compare, summarize


def test_summary_by_hand():
    # mean 2.5; squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5 over n - 1 = 3
    s = summarize([1.0, 2.0, 3.0, 4.0])
    assert s.mean == 2.5 and s.n == 4
    assert s.sd == pytest.approx(math.sqrt(5 / 3), rel=1e-15)
    assert s.se == pytest.approx(math.sqrt(5 / 3) / 2, rel=1e-15)


def test_paired_differences_by_hand():
    # differences 1, 2, 3: mean 2, sd 1, se 1/sqrt(3) = 0.577 < 2 / 2
    d = compare([2.0, 4.0, 6.0], [1.0, 2.0, 3.0], paired=True)
    assert d.mean == 2.0 and d.se == pytest.approx(1 / math.sqrt(3), rel=1e-15)
    assert d.sign == 1 and d.paired
    assert compare([1.0, 2.0, 3.0], [2.0, 4.0, 6.0], paired=True).sign == -1


def test_pairing_removes_the_shared_seed_variation():
    # every seed is 1 higher in a: paired, the differences have sd 0; unpaired,
    # means 20 and 19 with se 10/sqrt(3) each cannot be told apart
    a, b = [10.0, 20.0, 30.0], [9.0, 19.0, 29.0]
    assert compare(a, b, paired=True).sign == 1
    d = compare(a, b, paired=False)
    assert d.mean == pytest.approx(1.0, rel=1e-14)
    assert d.se == pytest.approx(math.sqrt(2) * 10 / math.sqrt(3), rel=1e-14)
    assert d.sign == 0


def test_independent_difference_uses_the_standard_error_of_a_difference():
    # a: mean 2, sd sqrt(2), se 1; b: mean 0, se 1 -> se of the difference
    # sqrt(2); 2 <= 2 * sqrt(2), a tie; with z = 1 it is a difference
    d = compare([1.0, 3.0], [1.0, -1.0], paired=False)
    assert d.mean == 2.0 and d.se == pytest.approx(math.sqrt(2), rel=1e-15)
    assert d.sign == 0
    assert compare([1.0, 3.0], [1.0, -1.0], paired=False, z=1.0).sign == 1


def test_a_difference_exactly_at_the_threshold_is_a_tie():
    # differences 0 and 2: mean 1, sd sqrt(2), se 1 -> |1| <= 1 * 1 at z = 1
    assert compare([1.0, 3.0], [1.0, 1.0], paired=True, z=1.0).sign == 0


def test_formatted_statistics_survive_a_few_ulps():
    # accuracies on 200 test points are multiples of 0.005; a perturbation of
    # a few ulps (what another BLAS kernel can leave after a non-chaotic run)
    # must not change what is printed at 3 decimals, nor a verdict
    acc = np.array([0.985, 0.975, 0.975, 0.965, 0.96])
    other = np.array([0.96, 0.935, 0.96, 0.59, 0.94])
    moved = acc * (1 + 4 * np.finfo(float).eps * np.array([1, -1, 1, -1, 1]))
    for a in (acc, moved):
        s = summarize(a)
        assert f"{s.mean:.3f} +- {s.sd:.3f} (se {s.se:.3f})" == (
            "0.972 +- 0.010 (se 0.004)"
        )
    assert (
        compare(acc, other, paired=True).sign == compare(moved, other, paired=True).sign
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ([1.0],),
            r"x must be a 1-D sequence of at least 2 values .* got shape \(1,\)",
        ),
        (([1.0, np.nan],), r"x must be finite"),
    ],
)
def test_bad_input_is_named(args, message):
    with pytest.raises(ValueError, match=message):
        summarize(*args)


def test_paired_runs_need_equal_lengths():
    with pytest.raises(ValueError, match="paired runs need one value a seed in both"):
        compare([1.0, 2.0, 3.0], [1.0, 2.0], paired=True)
