"""Problem 2's mechanism table: each row against closed forms and a direct check."""

import numpy as np
import pytest

from nnlab.data import mahalanobis
from nnlab.p2_activations import study
from nnlab.p2_activations.bn_mlp import init_bn_mlp
from nnlab.p2_activations.mechanism import profile

SEEDS = (0, 1)


@pytest.fixture(scope="module")
def rows():
    return {a: profile(a, 3, SEEDS, width=8) for a in study.NAMES}


def test_linear_row_has_the_constant_slope_one_over_root_two(rows):
    p = rows["linear"]
    assert p.slope_min == p.slope_max == pytest.approx(2**-0.5, rel=1e-15)
    assert p.out_zero == 0 and p.slope_zero == 0
    assert p.out_max == pytest.approx(p.x_max / np.sqrt(2), rel=1e-15)


def test_shifted_relu_row_is_dead_below_the_mahalanobis_bound(rows):
    p = rows["shifted_relu"]
    bound = max(mahalanobis(sp.X).max() for sp in study.seed_spirals(SEEDS))
    assert p.first_max < bound < 10  # Cauchy-Schwarz: x <= distance, any weights
    assert p.x_max == p.first_max  # deeper layers get a constant: exactly 0
    assert p.sd_dev == 1.0  # ... whose standard deviation is 0, not 1
    assert p.out_min == p.out_max == 0 and p.out_zero == 1
    assert p.slope_max == 0 and p.slope_zero == 1


def test_sign_row_outputs_plus_minus_one_and_no_derivative(rows):
    p = rows["sign"]
    assert (p.out_min, p.out_max, p.out_zero) == (-1.0, 1.0, 0.0)
    assert p.slope_min == p.slope_max == 0 and p.slope_zero == 1


def test_sigmoid_slope_is_positive_and_at_most_a_quarter(rows):
    p = rows["sigmoid"]
    assert 0 < p.slope_min < p.slope_mean < p.slope_max <= 0.25
    assert 0 < p.out_min < 0.5 < p.out_max < 1
    widest = max(abs(p.x_min), abs(p.x_max))  # the smallest slope sits there
    s = 1 / (1 + np.exp(-widest))
    assert p.slope_min == pytest.approx(s * (1 - s), rel=1e-12)


def test_relu_row_counts_match_a_direct_batch_norm_of_the_first_layer():
    # depth 1: the only hidden layer, standardized by hand
    p = profile("relu", 1, SEEDS, width=8)
    xs, sd_dev = [], 0.0
    for s, sp in zip(SEEDS, study.seed_spirals(SEEDS), strict=True):
        layer = init_bn_mlp(1, 8, s)[0]
        z = sp.X @ layer["W"] + layer["b"]  # (N, 8)
        x = (z - z.mean(0)) / np.sqrt(z.var(0) + 1e-5)  # eps of batchnorm_forward
        sd_dev = max(sd_dev, np.abs(x.std(0) - 1).max())  # eps: std a bit below 1
        xs.append(x.ravel())
    x = np.concatenate(xs)
    assert p.x_min == pytest.approx(x.min(), rel=1e-12)
    assert p.x_max == pytest.approx(x.max(), rel=1e-12)
    assert p.out_zero == np.mean(x <= 0)
    assert p.slope_mean == np.mean(x > 0)
    assert p.mean_dev < 1e-12
    assert p.sd_dev == pytest.approx(sd_dev, rel=1e-9)


def test_min0_and_relu_zero_complementary_halves_of_the_same_inputs():
    relu, min0 = (profile(a, 1, SEEDS, width=8) for a in ("relu", "min0"))
    assert (relu.x_min, relu.x_max) == (min0.x_min, min0.x_max)
    assert relu.out_zero + min0.out_zero == pytest.approx(1, abs=1e-15)  # no x == 0
    assert min0.out_min == relu.x_min and relu.out_max == relu.x_max


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"name": "tanh"}, "name"),
        ({"depth": 0}, "depth"),
        ({"seeds": "01"}, "seeds"),
        ({"width": 0}, "width"),
    ],
)
def test_profile_names_the_bad_argument(kwargs, match):
    args = {"name": "relu", "depth": 1, "seeds": SEEDS, "width": 4} | kwargs
    with pytest.raises((ValueError, TypeError), match=match):
        profile(**args)
