"""Sequence normalization: gradients, causality, prefix statistics, bad input.

The experiments built on these kernels are tested in test_p4_seqnorm_leakage.py and
test_p4_seqnorm_nextstep.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlab.gradcheck import check_pair, rel_error
from nnlab.p4_seqnorm.layernorm import layernorm_backward, layernorm_forward
from nnlab.p4_seqnorm.seqnorm import (
    RunningStats,
    prefix_moments,
    seqnorm_backward,
    seqnorm_forward,
    seqnorm_running_forward,
)

# Centred differences in float64 with h = 1e-6 agree with a correct analytic
# gradient to ~1e-9 here; 1e-7 leaves room without hiding a wrong term
# (a wrong term gives errors of order 1e-2 or more).
TOL = 1e-7


def _case(shape, seed, offset=0.0, constant_feature=False):
    rng = np.random.default_rng(seed)
    x = offset + rng.standard_normal(shape)
    if constant_feature:
        x[..., 1] = 2.5  # zero variance over time in feature 1
    D = shape[-1]
    return x, rng.standard_normal(D), rng.standard_normal(D), rng.standard_normal(shape)


def _grad_errors(x, gamma, beta, dout, causal, h=1e-6):
    def forward(x, gamma, beta):
        return seqnorm_forward(x, gamma, beta, causal=causal)

    inputs = {"x": x, "gamma": gamma, "beta": beta}
    return tuple(check_pair(forward, seqnorm_backward, inputs, dout, h).values())


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize(
    "shape", [(5, 3), (2, 4, 3), (1, 3), (1, 1, 2), (7, 1)], ids=str
)
def test_gradients(shape, causal):
    x, gamma, beta, dout = _case(shape, seed=sum(shape))
    errors = _grad_errors(x, gamma, beta, dout, causal)
    assert max(errors) < TOL, errors


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_gradient_constant_feature(causal):
    # Feature 1 has zero variance: 1/sqrt(var + eps) = 1/sqrt(eps) ~ 316, and
    # the truncation error of the centred difference grows like h**2 / eps
    # (~1e-7 relative), hence 1e-6 here.
    x, gamma, beta, dout = _case((7, 3), seed=3, constant_feature=True)
    errors = _grad_errors(x, gamma, beta, dout, causal)
    assert max(errors) < 1e-6, errors


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_gradient_offset_1e4(causal):
    # At x ~ 1e4 every forward value carries rounding of ~ulp(1e4) = 1.8e-12,
    # so a difference quotient has an error of ~1e-12 / h whatever the
    # analytic gradient. h = 2**-12 is exact to add to x and balances that
    # against the O(h**2) truncation; ~1e-7 expected, 1e-5 allowed.
    x, gamma, beta, dout = _case((6, 3), seed=4, offset=1e4)
    errors = _grad_errors(x, gamma, beta, dout, causal, h=2.0**-12)
    assert max(errors) < 1e-5, errors


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_analytic_gradient_is_shift_invariant(causal):
    # y does not change when a constant is added to x, so neither may the
    # analytic dx: at an offset of 1e4 it must match the gradient at 0 to
    # many more digits than finite differences can show.
    x, gamma, beta, dout = _case((50, 4), seed=5)
    d0 = seqnorm_backward(dout, seqnorm_forward(x, gamma, beta, causal=causal)[1])
    d1 = seqnorm_backward(dout, seqnorm_forward(x + 1e4, gamma, beta, causal=causal)[1])
    for a, b in zip(d0, d1, strict=True):
        assert rel_error(a, b) < 1e-9


def test_first_causal_step_is_exactly_beta():
    x, gamma, beta, dout = _case((2, 5, 3), seed=6, offset=1e4)
    out, cache = seqnorm_forward(x, gamma, beta, causal=True)
    assert np.all(cache.xhat[:, 0] == 0.0)
    assert np.array_equal(out[:, 0], np.broadcast_to(beta, (2, 3)))
    dx = seqnorm_backward(dout, cache)[0]
    single = seqnorm_backward(dout[:, :1], seqnorm_forward(x[:, :1], gamma, beta)[1])
    assert np.all(single[0] == 0.0)  # T = 1: y = beta whatever x is
    assert np.all(np.isfinite(dx))


@settings(max_examples=60, deadline=None)
@given(
    N=st.integers(0, 2),
    T=st.integers(1, 12),
    D=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
    offset=st.sampled_from([0.0, 1e4, -3e6]),
    data=st.data(),
)
def test_causal_output_never_sees_later_steps(N, T, D, seed, offset, data):
    s = data.draw(st.integers(0, T - 1), label="perturbed step")
    bump = data.draw(
        st.floats(-1e3, 1e3, allow_nan=False).filter(lambda v: v != 0), label="bump"
    )
    shape = (T, D) if N == 0 else (N, T, D)
    x, gamma, beta, _ = _case(shape, seed % 2**32, offset=offset)
    y = seqnorm_forward(x, gamma, beta, causal=True)[0]
    x2 = x.copy()
    x2[..., s, :] += bump
    y2 = seqnorm_forward(x2, gamma, beta, causal=True)[0]
    assert np.array_equal(y[..., :s, :], y2[..., :s, :])


def test_full_output_does_see_later_steps():
    x, gamma, beta, _ = _case((6, 2), seed=7)
    y = seqnorm_forward(x, gamma, beta)[0]
    x2 = x.copy()
    x2[5] += 1.0
    assert np.all(np.abs(y[:5] - seqnorm_forward(x2, gamma, beta)[0][:5]) > 1e-3)


@pytest.mark.parametrize(
    "offset, scale, T", [(0.0, 1.0, 40), (1e4, 1e-3, 300), (-5e5, 2.0, 64)]
)
def test_causal_statistics_equal_direct_prefix_computation(offset, scale, T):
    rng = np.random.default_rng(8)
    x = offset + scale * rng.standard_normal((2, T, 3))
    mean, var = prefix_moments(x)
    direct_mean = np.stack([x[:, : t + 1].mean(axis=1) for t in range(T)], axis=1)
    direct_var = np.stack([x[:, : t + 1].var(axis=1) for t in range(T)], axis=1)
    # Both sides round at the size of the offset: ulp(x) ~ 2.2e-16 |x|, so
    # means agree to some tens of ulps of the offset, variances to ~1e-10 of
    # the variance (not of offset**2), and xhat to ~1e-16 offset / scale.
    assert np.max(np.abs(mean - direct_mean)) < 1e-14 * abs(offset) + 1e-13 * scale
    assert np.max(np.abs(var - direct_var)) < 1e-10 * scale**2
    # and the causal output at t is the full normalization of x[:t+1], last row
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    y = seqnorm_forward(x, gamma, beta, causal=True)[0]
    direct_y = np.stack(
        [seqnorm_forward(x[:, : t + 1], gamma, beta)[0][:, -1] for t in range(T)], 1
    )
    assert np.max(np.abs(y - direct_y)) < 1e-15 * abs(offset) / scale + 1e-12


def test_naive_prefix_variance_cancels_catastrophically():
    rng = np.random.default_rng(9)
    T = 2000
    x = 1e4 + 1e-3 * rng.standard_normal((T, 2))  # variance 1e-6
    direct = np.stack([x[: t + 1].var(axis=0) for t in range(T)])
    naive = prefix_moments(x, method="naive")[1]
    stable = prefix_moments(x)[1]
    naive_err = np.abs(naive[1:] / direct[1:] - 1)  # t = 0 has variance 0
    stable_err = np.abs(stable[1:] / direct[1:] - 1)
    # cumsum(x**2) ~ 1e8 * t carries rounding of ~1e-8 * t: a typical prefix
    # variance is off by percents, the worst by tens of percents
    assert np.median(naive_err) > 1e-2 and np.max(naive_err) > 0.1
    assert np.max(stable_err) < 1e-9


@pytest.mark.parametrize("shape", [(5, 4), (3, 2, 6), (4, 1)], ids=str)
def test_layernorm_gradients(shape):
    x, gamma, beta, dout = _case(shape, seed=12)
    inputs = {"x": x, "gamma": gamma, "beta": beta}
    errs = check_pair(layernorm_forward, layernorm_backward, inputs, dout)
    assert max(errs.values()) < TOL, errs


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
def test_running_forward_gradients(train):
    x, gamma, beta, dout = _case((2, 5, 3), seed=13)
    running = RunningStats(np.array([0.1, -0.2, 0.3]), np.array([1.5, 0.5, 2.0]))

    def forward(x, gamma, beta):  # the running statistics it returns are ignored
        return seqnorm_running_forward(x, gamma, beta, running=running, train=train)

    inputs = {"x": x, "gamma": gamma, "beta": beta}
    errs = check_pair(forward, seqnorm_backward, inputs, dout)
    assert max(errs.values()) < TOL, errs


def test_running_statistics_are_returned_not_mutated():
    x, gamma, beta, _ = _case((3, 6, 2), seed=14, offset=2.0)
    old = RunningStats(np.array([1.0, -1.0]), np.array([4.0, 0.25]))
    kept = RunningStats(old.mean.copy(), old.var.copy())
    x_copy = x.copy()
    out, _, new = seqnorm_running_forward(x, gamma, beta, momentum=0.8, running=old)
    assert np.array_equal(old.mean, kept.mean) and np.array_equal(old.var, kept.var)
    assert np.array_equal(x, x_copy)
    # by hand: average over the 3 sequences of each sequence's own statistics
    seq_means = [x[i].mean(axis=0) for i in range(3)]
    seq_vars = [x[i].var(axis=0) for i in range(3)]
    assert np.allclose(new.mean, 0.8 * old.mean + 0.2 * sum(seq_means) / 3)
    assert np.allclose(new.var, 0.8 * old.var + 0.2 * sum(seq_vars) / 3)
    assert np.allclose(out, seqnorm_forward(x, gamma, beta)[0], rtol=0, atol=0)
    first = seqnorm_running_forward(x, gamma, beta)[2]
    assert np.allclose(first.mean, sum(seq_means) / 3)
    y_eval, _, same = seqnorm_running_forward(x, gamma, beta, running=new, train=False)
    assert same is new
    assert np.allclose(y_eval, gamma * (x - new.mean) / np.sqrt(new.var + 1e-5) + beta)


def test_bad_input_messages():
    x = np.zeros((4, 3))
    ok = np.ones(3)
    with pytest.raises(
        ValueError, match=r"gamma must have shape \(D,\) = \(3,\).*got \(4,\)"
    ):
        seqnorm_forward(x, np.ones(4), ok)
    with pytest.raises(
        ValueError, match=r"beta must have shape \(D,\) = \(3,\).*\(1, 3\)"
    ):
        seqnorm_forward(x, ok, np.ones((1, 3)))
    with pytest.raises(
        ValueError, match=r"x must not have an empty axis.*got shape \(0, 3\)"
    ):
        seqnorm_forward(np.zeros((0, 3)), ok, ok)
    with pytest.raises(ValueError, match=r"empty axis.*\(2, 0, 3\)"):
        seqnorm_forward(np.zeros((2, 0, 3)), ok, ok, causal=True)
    bad = np.zeros((4, 3))
    bad[2, 1] = np.nan
    with pytest.raises(
        ValueError, match=r"x must be finite, got nan at index \(2, 1\)"
    ):
        seqnorm_forward(bad, ok, ok)
    bad[2, 1] = np.inf
    with pytest.raises(ValueError, match=r"x must be finite, got inf"):
        seqnorm_forward(bad, ok, ok, causal=True)
    with pytest.raises(ValueError, match=r"\(T, D\) or \(N, T, D\), got 1-D"):
        seqnorm_forward(np.zeros(3), ok, ok)
    with pytest.raises(TypeError, match=r"x must have a floating dtype.*got int64"):
        seqnorm_forward(np.zeros((4, 3), dtype=np.int64), ok, ok)
    with pytest.raises(ValueError, match=r"eps must be a finite number > 0, got 0"):
        seqnorm_forward(x, ok, ok, eps=0)
    with pytest.raises(TypeError, match=r"causal must be a bool, got str"):
        seqnorm_forward(x, ok, ok, causal="yes")
    _, cache = seqnorm_forward(x, ok, ok)
    with pytest.raises(
        ValueError, match=r"dout must have the forward output's shape \(4, 3\)"
    ):
        seqnorm_backward(np.zeros((3, 4)), cache)
    with pytest.raises(ValueError, match=r"needs running statistics, got None"):
        seqnorm_running_forward(x, ok, ok, train=False)
    with pytest.raises(
        ValueError, match=r"running.mean must have shape \(D,\) = \(3,\)"
    ):
        seqnorm_running_forward(x, ok, ok, running=RunningStats(np.zeros(4), ok))
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\), got 1.5"):
        seqnorm_running_forward(x, ok, ok, momentum=1.5)
    with pytest.raises(
        ValueError, match=r"method must be one of 'welford', 'naive', got 'pairwise'"
    ):
        prefix_moments(x, method="pairwise")
    with pytest.raises(ValueError, match=r"gamma must have shape \(D,\) = \(3,\)"):
        layernorm_forward(x, np.ones(2), ok)
