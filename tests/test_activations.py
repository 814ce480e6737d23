"""The six activations: closed forms, kinks, gradient checks, the registry."""

import warnings

import numpy as np
import pytest

from nnlab.activations import (
    ACTIVATIONS,
    derivative,
    evaluate,
    get_activation,
)
from nnlab.gradcheck import check_pair

NAMES = ["relu", "min0", "linear", "shifted_relu", "sigmoid", "sign"]
GRAD_TOL = 1e-7  # elementwise functions, centred differences, h = 1e-6
KINKS = (0.0, 10.0)


def _away_from_kinks(shape, seed=0, low=-4.0, high=14.0):
    """Points in [low, high] at least 0.01 from 0 and 10."""
    x = np.random.default_rng(seed).uniform(low, high, shape)
    for k in KINKS:
        near = np.abs(x - k) < 0.01
        x[near] = k + 0.5
    return x


def test_the_registry_holds_exactly_the_six_activations():
    assert sorted(ACTIVATIONS) == sorted(NAMES)
    for name, act in ACTIVATIONS.items():
        assert act.name == name


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 2, 3)], ids=str)
def test_gradients_match_finite_differences(name, shape):
    act = get_activation(name)
    # Where sigmoid is within 1e-3 of 0 or 1 its slope is below 1e-3 and a
    # difference of two values near 1 keeps too few digits; the saturated
    # tail is checked against the closed form below instead.
    high = 6.0 if name == "sigmoid" else 14.0
    x = _away_from_kinks(shape, seed=len(shape), low=-6.0, high=high)
    dout = np.random.default_rng(1).standard_normal(shape)
    errs = check_pair(lambda x: act.forward(x), act.backward, {"x": x}, dout)
    assert errs["x"] < GRAD_TOL


def test_closed_forms():
    x = np.array([-20.0, -3.0, -0.5, 0.0, 0.5, 3.0, 9.0, 11.0, 20.0])
    np.testing.assert_array_equal(evaluate("relu", x), np.maximum(x, 0))
    np.testing.assert_array_equal(evaluate("min0", x), -np.maximum(-x, 0))
    np.testing.assert_allclose(evaluate("linear", x), x / np.sqrt(2), rtol=1e-15)
    np.testing.assert_array_equal(
        evaluate("shifted_relu", x), [0, 0, 0, 0, 0, 0, 0, 1.0, 10.0]
    )
    np.testing.assert_allclose(evaluate("sigmoid", x), np.exp(x) / (np.exp(x) + 1))
    np.testing.assert_array_equal(evaluate("sign", x), [-1, -1, -1, 0, 1, 1, 1, 1, 1])


def test_derivatives_by_hand_including_the_kinks():
    x = np.array([-2.0, 0.0, 2.0, 10.0, 12.0])
    np.testing.assert_array_equal(derivative("relu", x), [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(derivative("min0", x), [1, 0, 0, 0, 0])
    np.testing.assert_allclose(derivative("linear", x), np.full(5, 0.5**0.5), 1e-15)
    np.testing.assert_array_equal(derivative("shifted_relu", x), [0, 0, 0, 0, 1])
    np.testing.assert_array_equal(derivative("sign", x), np.zeros(5))
    # s (1 - s) = e^-x / (1 + e^-x)^2, written without the cancelling 1 - s
    e = np.exp(-x)
    np.testing.assert_allclose(derivative("sigmoid", x), e / (1 + e) ** 2, 1e-14)
    assert derivative("sigmoid", np.array([0.0]))[0] == 0.25


def test_sign_passes_no_gradient_whatever_comes_back():
    act = get_activation("sign")
    x = np.array([-1.0, 0.0, 1e-300, 5.0])
    _, cache = act.forward(x)
    np.testing.assert_array_equal(act.backward(np.full(4, 1e6), cache), 0.0)


def test_sigmoid_is_symmetric_and_does_not_overflow():
    x = np.array([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = evaluate("sigmoid", x)
        ds = derivative("sigmoid", x)
    np.testing.assert_allclose(s + s[::-1], 1.0, rtol=1e-15)
    assert s[0] == 0.0 and s[-1] == 1.0
    assert ds[0] == 0.0 and ds[-1] == 0.0
    # in the tails s (1 - s) ~ e^-|x| with relative accuracy, not 0 or 1 - 1
    tail = np.array([-30.0, 30.0])
    e = np.exp(-30.0)
    np.testing.assert_allclose(derivative("sigmoid", tail), e / (1 + e) ** 2, 1e-12)


def test_min0_is_relu_with_input_and_output_negated():
    x = _away_from_kinks((50,))
    np.testing.assert_array_equal(evaluate("min0", x), -evaluate("relu", -x))


def test_unknown_name_lists_the_choices():
    with pytest.raises(ValueError, match=r"activation must be one of .*, got 'tanh'"):
        get_activation("tanh")
    with pytest.raises(
        ValueError, match=r"'relu', 'min0', 'linear', 'shifted_relu', 'sigmoid', 'sign'"
    ):
        get_activation("ReLU")
    with pytest.raises(TypeError, match=r"activation must be a str, .* got int 3"):
        get_activation(3)


@pytest.mark.parametrize("name", NAMES)
def test_backward_rejects_a_dout_of_the_wrong_shape(name):
    act = get_activation(name)
    _, cache = act.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"shape.*\(2, 3\), got \(3, 2\)"):
        act.backward(np.ones((3, 2)), cache)


@pytest.mark.parametrize("name", NAMES)
def test_forward_rejects_a_list(name):
    with pytest.raises(TypeError, match=r"x must be a numpy array, got list"):
        get_activation(name).forward([1.0, 2.0])
