"""Batch normalization: closed forms, running statistics, gradient checks."""

import numpy as np
import pytest

from nnlab.gradcheck import check_pair
from nnlab.norm import RunningStats, batchnorm_backward, batchnorm_forward

GRAD_TOL = 1e-7  # centred differences in float64, h = 1e-6


def _inputs(N, D, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(1.5, 2.0, (N, D))
    gamma = rng.uniform(0.5, 2.0, D)
    beta = rng.normal(0.0, 1.0, D)
    return x, gamma, beta


def test_training_output_has_mean_beta_and_std_gamma():
    x, gamma, beta = _inputs(50, 4)
    out, _, _ = batchnorm_forward(x, gamma, beta, eps=1e-5)
    var = x.var(axis=0)
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), gamma * np.sqrt(var / (var + 1e-5)))


def test_evaluation_uses_the_running_statistics_by_hand():
    x, gamma, beta = _inputs(3, 2)
    running = RunningStats(np.array([1.0, -2.0]), np.array([4.0, 0.25]))
    out, _, new = batchnorm_forward(
        x, gamma, beta, eps=0.0 + 1e-12, running=running, train=False
    )
    expected = gamma * (x - running.mean) / np.sqrt(running.var + 1e-12) + beta
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    assert new is running


def test_running_statistics_are_updated_and_returned_not_mutated():
    x, gamma, beta = _inputs(8, 3)
    old = RunningStats(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 0.5]))
    before = (old.mean.copy(), old.var.copy())
    _, _, new = batchnorm_forward(x, gamma, beta, momentum=0.75, running=old)
    np.testing.assert_allclose(new.mean, 0.75 * before[0] + 0.25 * x.mean(axis=0))
    np.testing.assert_allclose(new.var, 0.75 * before[1] + 0.25 * x.var(axis=0))
    np.testing.assert_array_equal(old.mean, before[0])
    np.testing.assert_array_equal(old.var, before[1])


def test_running_statistics_start_at_mean_zero_variance_one():
    x, gamma, beta = _inputs(6, 2)
    _, _, new = batchnorm_forward(x, gamma, beta, momentum=0.9)
    np.testing.assert_allclose(new.mean, 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(new.var, 0.9 + 0.1 * x.var(axis=0))


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("shape", [(3, 2), (5, 4), (7, 1)], ids=str)
def test_gradients_match_finite_differences(shape, train):
    x, gamma, beta = _inputs(*shape, seed=shape[0])
    running = RunningStats(x.mean(axis=0) + 0.3, x.var(axis=0) + 0.5)
    dout = np.random.default_rng(1).standard_normal(shape)

    def forward(x, gamma, beta):  # the third output, running statistics, is ignored
        return batchnorm_forward(x, gamma, beta, running=running, train=train)

    inputs = {"x": x, "gamma": gamma, "beta": beta}
    errs = check_pair(forward, batchnorm_backward, inputs, dout)
    assert max(errs.values()) < GRAD_TOL, errs


def test_a_batch_of_two_normalizes_to_plus_minus_one_and_passes_no_gradient():
    # (x - mean) / std is +-1 whatever x is, so only eps leaves a gradient
    x, gamma, beta = _inputs(2, 3)
    out, cache, _ = batchnorm_forward(x, gamma, beta, eps=1e-5)
    var = x.var(axis=0)
    expected = gamma * np.sqrt(var / (var + 1e-5))
    np.testing.assert_allclose(np.abs(out - beta), np.broadcast_to(expected, (2, 3)))
    dout = np.random.default_rng(3).standard_normal((2, 3))
    dx, _, _ = batchnorm_backward(dout, cache)
    # out_1 = gamma s(d) + beta = 2 beta - out_2 with d = x_1 - x_2 and
    # s(d) = (d / 2) / sqrt(d^2 / 4 + eps), s'(d) = eps / (2 (var + eps)^1.5)
    slope = gamma * 1e-5 / (2 * (var + 1e-5) ** 1.5)
    np.testing.assert_allclose(dx[0], (dout[0] - dout[1]) * slope, rtol=1e-6)
    np.testing.assert_allclose(dx[1], -dx[0], rtol=0, atol=1e-14)


def test_training_gradient_is_orthogonal_to_shifts_and_scalings():
    # out does not change when x moves by a constant per feature, so dx sums
    # to 0 over the batch; with eps -> 0 the same holds for scalings of x.
    x, gamma, beta = _inputs(9, 3)
    dout = np.random.default_rng(2).standard_normal(x.shape)
    _, cache, _ = batchnorm_forward(x, gamma, beta, eps=1e-12)
    dx, _, _ = batchnorm_backward(dout, cache)
    np.testing.assert_allclose(dx.sum(axis=0), 0.0, atol=1e-12)
    xc = x - x.mean(axis=0)
    np.testing.assert_allclose((dx * xc).sum(axis=0), 0.0, atol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"gamma": np.ones(4)}, r"gamma must have shape \(D,\) = \(3,\).*got \(4,\)"),
        ({"beta": np.ones((1, 3))}, r"beta must have shape \(D,\) = \(3,\)"),
        ({"x": np.ones(3)}, r"x must be 2-D \(N, D\), got 1-D shape \(3,\)"),
        ({"x": np.ones((1, 3))}, r"N >= 2 samples in training, got N=1"),
        ({"train": False}, r"running statistics; got running=None"),
        ({"momentum": 1.5}, r"momentum must be in \[0, 1\], got 1.5"),
        (
            {"running": RunningStats(np.zeros(2), np.ones(2))},
            r"running.mean must have shape \(D,\) = \(3,\), got \(2,\)",
        ),
    ],
)
def test_bad_input_is_named(kwargs, message):
    args = {"x": np.ones((4, 3)), "gamma": np.ones(3), "beta": np.zeros(3)} | kwargs
    with pytest.raises(ValueError, match=message):
        batchnorm_forward(**args)


def test_backward_rejects_a_dout_of_the_wrong_shape():
    x, gamma, beta = _inputs(4, 3)
    _, cache, _ = batchnorm_forward(x, gamma, beta)
    with pytest.raises(
        ValueError, match=r"dout must have the forward output's shape \(4, 3\), got"
    ):
        batchnorm_backward(np.ones((3, 4)), cache)
