"""The finite-difference checker against derivatives known in closed form."""

import numpy as np
import pytest

from nnlab.gradcheck import check_gradient, numerical_gradient, rel_error


def test_rel_error_is_zero_for_equal_arrays_and_scale_free():
    a = np.array([1.0, -2.0, 3.0])
    assert rel_error(a, a) == 0.0
    # |1 - 1.1| / (1 + 1.1) = 0.1 / 2.1, whatever the common scale.
    assert rel_error([1.0], [1.1]) == pytest.approx(0.1 / 2.1)
    assert rel_error([1e6], [1.1e6]) == pytest.approx(0.1 / 2.1)


def test_rel_error_floor_keeps_two_zeros_at_zero():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(np.zeros(0), np.zeros(0)) == 0.0


def test_rel_error_rejects_shape_mismatch():
    with pytest.raises(ValueError, match=r"got \(3,\) and \(2,\)"):
        rel_error(np.zeros(3), np.zeros(2))


def test_numerical_gradient_of_a_cubic_matches_3x2():
    x = np.linspace(-2.0, 2.0, 7)
    grad = numerical_gradient(lambda v: np.sum(v**3), x)
    assert rel_error(grad, 3 * x**2) < 1e-8


def test_numerical_gradient_weights_by_dout_and_restores_x():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    x0 = x.copy()
    dout = rng.standard_normal((3, 4))
    # d/dx sum(sin(x) * dout) = cos(x) * dout
    grad = numerical_gradient(np.sin, x, dout)
    assert rel_error(grad, np.cos(x) * dout) < 1e-8
    np.testing.assert_array_equal(x, x0)


def test_numerical_gradient_of_a_matrix_product():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 3))
    b = rng.standard_normal((3, 4))
    dout = rng.standard_normal((2, 4))
    # d/da sum((a @ b) * dout) = dout @ b.T
    assert check_gradient(lambda v: v @ b, a, dout @ b.T, dout) < 1e-8


def test_check_gradient_detects_a_wrong_gradient():
    x = np.linspace(0.1, 1.0, 5)
    assert check_gradient(lambda v: np.sum(v**2), x, 2 * x) < 1e-8
    assert check_gradient(lambda v: np.sum(v**2), x, 2.01 * x) > 1e-3


def test_numerical_gradient_needs_float64():
    with pytest.raises(TypeError, match="float64 input, got dtype float32"):
        numerical_gradient(np.sum, np.ones(3, dtype=np.float32))
    with pytest.raises(TypeError, match="numpy array, got list"):
        numerical_gradient(np.sum, [1.0, 2.0])


def test_check_gradient_rejects_analytic_of_wrong_shape():
    with pytest.raises(ValueError, match=r"shape \(2,\), expected .* \(3,\)"):
        check_gradient(np.sum, np.ones(3), np.ones(2))
