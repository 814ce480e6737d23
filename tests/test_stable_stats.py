"""Normalization statistics: constant features, large offsets, one sample.

Every kernel that normalizes (batch norm, sequence norm full and causal, layer
norm, the running estimates, the seed-batched MLP) must map a feature that is
constant along its statistics axis to exactly beta, in float32 from 1e2 to
1e6 and in float64 up to 1e12 and beyond, and must keep float32 accuracy for
float32 data far from zero. Learning running statistics from one sample a
feature is refused.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlab.norm import RunningStats, batchnorm_forward, shifted_moments
from nnlab.p2_activations import batched as mlp_seeds
from nnlab.p4_seqnorm import leakage
from nnlab.p4_seqnorm.layernorm import layernorm_forward
from nnlab.p4_seqnorm.seqnorm import seqnorm_forward, seqnorm_running_forward

EPS32 = float(np.finfo(np.float32).eps)


def _normalized(x, beta, kernel):
    """Output of one kernel with statistics along axis 0 of x (N, D)."""
    dt = x.dtype
    D = x.shape[1]
    gamma = np.linspace(0.5, 2.0, D).astype(dt)
    if kernel == "batch":
        return batchnorm_forward(x, gamma, beta)[0]
    if kernel == "full":
        return seqnorm_forward(x, gamma, beta)[0]
    if kernel == "causal":
        return seqnorm_forward(x, gamma, beta, causal=True)[0]
    # layer norm runs over the last axis: give it the transpose
    N = x.shape[0]
    out = layernorm_forward(x.T.copy(), np.ones(N, dt), np.zeros(N, dt))[0]
    return gamma * out.T + beta


KERNELS = ("batch", "full", "causal", "layer")


def _constants(dt, exponent, mantissas, sign):
    """One constant a feature: sign * mantissa * 10**exponent, in dtype dt."""
    return (sign * np.asarray(mantissas) * 10.0**exponent).astype(dt)


def _check_constant(dt, exponent, N, mantissas, sign, kernel):
    c = _constants(dt, exponent, mantissas, sign)  # (D,)
    x = np.broadcast_to(c, (N, c.size)).copy()  # every feature constant over N
    beta = np.linspace(-1.0, 1.0, c.size).astype(dt)
    out = _normalized(x, beta, kernel)
    # exactly beta: xhat is 0 exactly, so gamma * 0 + beta is beta bit for bit
    assert np.array_equal(out, np.broadcast_to(beta, out.shape)), (
        dt.__name__,
        exponent,
        N,
        float(np.abs(out - beta).max()),
    )


MANTISSAS = st.lists(st.floats(1.0, 9.999), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(
    exponent=st.floats(2.0, 6.0),
    N=st.integers(2, 300),
    mantissas=MANTISSAS,
    sign=st.sampled_from([1.0, -1.0]),
    kernel=st.sampled_from(KERNELS),
)
def test_constant_feature_gives_exactly_beta_float32(
    exponent, N, mantissas, sign, kernel
):
    _check_constant(np.float32, exponent, N, mantissas, sign, kernel)


@settings(max_examples=60, deadline=None)
@given(
    exponent=st.floats(2.0, 12.0),
    N=st.integers(2, 300),
    mantissas=MANTISSAS,
    sign=st.sampled_from([1.0, -1.0]),
    kernel=st.sampled_from(KERNELS),
)
def test_constant_feature_gives_exactly_beta_float64(
    exponent, N, mantissas, sign, kernel
):
    _check_constant(np.float64, exponent, N, mantissas, sign, kernel)


# The reported case (256 rows of 999.9 in float32 gave -0.611 on main), the
# ends of the required ranges, and the extremes each dtype can hold.
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize(
    ("dt", "exponent", "N"),
    [
        (np.float32, np.log10(999.9), 256),
        (np.float32, 2, 2),
        (np.float32, 6, 300),
        (np.float32, 38, 7),
        (np.float32, -30, 9),
        (np.float64, 10, 256),
        (np.float64, 12, 300),
        (np.float64, 300, 3),
    ],
)
def test_constant_feature_at_fixed_magnitudes(dt, exponent, N, kernel):
    _check_constant(dt, exponent, N, [1.0, 3.0, 2.5], 1.0, kernel)


def _reference_xhat(x64, kernel):
    """xhat in float64 from numpy's two-pass mean and var, prefix by prefix
    for the causal kernel (independent of `shifted_moments`)."""
    if kernel != "causal":
        return (x64 - x64.mean(0)) / np.sqrt(x64.var(0) + 1e-5)
    ref = np.empty_like(x64)
    for t in range(len(x64)):
        p = x64[: t + 1]
        ref[t] = (x64[t] - p.mean(0)) / np.sqrt(p.var(0) + 1e-5)
    return ref


@settings(max_examples=40, deadline=None)
@given(
    offset=st.sampled_from([1e2, 1e3, 1e4, -1e4, 1e5, 1e6]),
    N=st.integers(2, 300),
    kernel=st.sampled_from(("batch", "full", "causal")),
    seed=st.integers(0, 2**16),
)
def test_float32_with_a_large_offset_keeps_float32_accuracy(offset, N, kernel, seed):
    # spread scaled with the offset so that the float32 inputs are not mere
    # multiples of their ulp (at 1e6 the ulp is 0.06)
    spread = max(1.0, abs(offset) * 1e-4)
    x = (offset + spread * np.random.default_rng(seed).standard_normal((N, 3))).astype(
        np.float32
    )
    out = _normalized(x, np.zeros(3, np.float32), kernel)
    gamma = np.linspace(0.5, 2.0, 3)
    # The reference sees the same float32 inputs, so input rounding is shared;
    # float64 two-pass statistics at these offsets are exact to ~1e-12 of the
    # spread, far below float32 eps. The float32 kernel rounds the shifted mean
    # (u |mean - x0| / sigma, at most ~4u with u = eps/2), then xc, the
    # variance, sqrt and division (about 6u |xhat| together), and gamma * xhat
    # (u): |error| <= 4 eps (1 + |xhat|) * gamma leaves a margin of about 2.
    # Batch norm on main (no shift) was off by 4.5e4 of these units at 1e4.
    ref = _reference_xhat(x.astype(np.float64), kernel)
    err = np.abs(out - gamma * ref)
    bound = 4 * EPS32 * (1 + np.abs(ref)) * gamma
    assert np.all(err <= bound), float((err / bound).max())


def test_shifted_moments_against_two_pass_float64():
    x = np.random.default_rng(3).standard_normal((5, 7, 3)) + 1e3
    mean, xc, var = shifted_moments(x, axis=1)
    np.testing.assert_allclose(mean, x.mean(1, keepdims=True), rtol=1e-15)
    # the centred values and the variance are of size 1 beside an offset 1e3:
    # rounding of x itself limits them to ~1e3 * 2**-52 = 2e-13
    np.testing.assert_allclose(xc, x - x.mean(1, keepdims=True), atol=1e-12)
    np.testing.assert_allclose(var, x.var(1, keepdims=True), atol=1e-12)
    # integer input is taken as float64
    m, _, v = shifted_moments(np.array([[1, 2], [3, 6]]), axis=0)
    np.testing.assert_array_equal(m, [[2.0, 4.0]])
    np.testing.assert_array_equal(v, [[1.0, 4.0]])


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_running_estimates_of_a_constant_evaluate_to_exactly_beta(dt):
    c = np.array([999.9, -3e5, 1e6], dtype=dt)
    gamma, beta = np.full(3, 2.0, dt), np.array([0.25, -1.0, 0.0], dt)
    x = np.broadcast_to(c, (16, 8, 3)).copy()  # 16 sequences of 8 steps
    running = None
    for _ in range(5):
        _, _, running = seqnorm_running_forward(x, gamma, beta, running=running)
    assert np.array_equal(running.mean, c) and np.array_equal(running.var, 0 * c)
    y = seqnorm_running_forward(x, gamma, beta, running=running, train=False)[0]
    assert np.array_equal(y, np.broadcast_to(beta, y.shape))
    # batch norm with momentum 0 keeps exactly the batch statistics
    xb = x[0]  # (8, 3)
    _, _, bn = batchnorm_forward(xb, gamma, beta, momentum=0.0)
    assert np.array_equal(bn.mean, c) and np.array_equal(bn.var, 0 * c)
    y = batchnorm_forward(xb, gamma, beta, running=bn, train=False)[0]
    assert np.array_equal(y, np.broadcast_to(beta, y.shape))
    # and an estimate already equal to the statistics stays bit for bit
    _, _, again = batchnorm_forward(xb, gamma, beta, momentum=0.9, running=bn)
    assert np.array_equal(again.mean, c) and np.array_equal(again.var, 0 * c)


def test_seed_batched_mlp_normalizes_a_constant_feature_to_zero():
    hidden = {
        "W": np.zeros((2, 3)),  # pre-activations are the bias, constant over N
        "b": np.array([1e6, -999.9, 3.0]),
        "gamma": np.ones(3),
        "beta": np.zeros(3),
    }
    out = {"W": np.ones((3, 2)), "b": np.zeros(2)}
    params = mlp_seeds.stack_params([[hidden, out]] * 2)
    X = np.random.default_rng(0).standard_normal((2, 37, 2))
    _, cache, stats = mlp_seeds.forward_seeds(X, params, "relu")
    xhat = cache.layers[0].bn[0]
    assert np.array_equal(xhat, np.zeros_like(xhat))
    assert np.array_equal(stats[0][1], np.zeros((2, 3)))


def test_one_sample_a_feature_is_refused_in_training():
    ones = np.ones(3)
    x = np.ones((5, 1, 3))  # five sequences of one step
    with pytest.raises(
        ValueError,
        match=r"x must have T >= 2 steps in training, got T=1 \(x of shape "
        r"\(5, 1, 3\)\).*variance 0",
    ):
        seqnorm_running_forward(x, ones, ones)
    with pytest.raises(ValueError, match=r"x must have T >= 2 steps.*got T=1"):
        seqnorm_running_forward(x[0], ones, ones, running=RunningStats(ones, ones))
    # evaluation of one step with given estimates is fine: (1 - 1) / sqrt(1 + eps)
    y = seqnorm_running_forward(
        x, ones, 0 * ones, running=RunningStats(ones, ones), train=False
    )[0]
    assert np.array_equal(y, np.zeros_like(y))
    with pytest.raises(
        ValueError,
        match=r"x must have N >= 2 samples in training, got N=1 \(x of shape "
        r"\(1, 3\)\).*variance 0",
    ):
        batchnorm_forward(np.ones((1, 3)), ones, ones)
    params = mlp_seeds.init_bn_mlp_seeds(1, 4, (0, 1))
    with pytest.raises(
        ValueError,
        match=r"X must have N >= 2 samples in training, got N=1 \(X of shape "
        r"\(2, 1, 2\)\)",
    ):
        mlp_seeds.forward_seeds(np.ones((2, 1, 2)), params, "relu")


@pytest.mark.parametrize("T", [0, 1])
def test_running_gap_refuses_lengths_that_learn_from_one_step(T):
    with pytest.raises(
        ValueError,
        match=rf"T must be an integer >= 2, got {T}: running statistics learned "
        "from one step a sequence have variance 0",
    ):
        leakage.running_gap(T)
    with pytest.raises(TypeError, match=r"T must be an integer, got float 2.0"):
        leakage.running_gap(2.0)
