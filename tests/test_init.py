"""Initializers: Kaiming normal and zeros."""

import numpy as np
import pytest

from nnlab.init import kaiming_normal, zeros

RNG = np.random.default_rng(0)


def test_kaiming_normal_has_the_he_variance():
    W = kaiming_normal(100, 2000, np.random.default_rng(0))
    assert W.shape == (100, 2000)
    # 200 000 draws: the sample std is within ~0.2 % of the true one
    assert abs(W.std() / np.sqrt(2 / 100) - 1) < 0.01
    assert abs(W.mean()) < 0.01 * np.sqrt(2 / 100)


def test_kaiming_keeps_the_second_moment_through_relu_layers():
    # E[z_{k+1}^2] = fan_in Var(W) E[relu(z_k)^2] = (2 / fan_in) fan_in E[z_k^2] / 2
    rng = np.random.default_rng(1)
    h = rng.standard_normal((4000, 256))
    moments = []
    for _ in range(6):
        z = h @ kaiming_normal(256, 256, rng)
        moments.append(np.mean(z**2))
        h = np.maximum(z, 0)
    ratios = np.array(moments[1:]) / moments[0]
    assert np.all(np.abs(ratios - 1) < 0.2), ratios
    # a std of 1/sqrt(fan_in) instead halves it at every layer
    z = rng.standard_normal((4000, 256))
    for _ in range(5):
        z = np.maximum(z, 0) @ (kaiming_normal(256, 256, rng) / np.sqrt(2))
    assert np.mean(z**2) < 0.1


def test_kaiming_is_seeded():
    a = kaiming_normal(3, 4, np.random.default_rng(5))
    b = kaiming_normal(3, 4, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)


def test_zeros():
    np.testing.assert_array_equal(zeros(2, 3), np.zeros((2, 3)))


def test_bad_input_is_named():
    with pytest.raises(ValueError, match=r"fan_in must be an integer >= 1, got 0"):
        kaiming_normal(0, 3, np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"numpy Generator.*got int"):
        kaiming_normal(2, 3, 0)
    with pytest.raises(ValueError, match=r"shape\[1\] must be an integer >= 0, got -1"):
        zeros(2, -1)
    with pytest.raises(
        TypeError, match=r"shape\[0\] must be an integer, got float 2.0"
    ):
        zeros(2.0, 3)
