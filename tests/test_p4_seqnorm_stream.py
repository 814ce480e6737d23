"""Causal sequence normalization as a stream, and its moving-average variant."""

from __future__ import annotations

import numpy as np
import pytest

from nnlab.p4_seqnorm.seqnorm import seqnorm_forward
from nnlab.p4_seqnorm.stream import (
    EmaState,
    StreamState,
    drift_tradeoff,
    ema_step,
    stream_sequence,
    stream_step,
)

EPS = 1e-5
ONE, ZERO = np.ones(1), np.zeros(1)


@pytest.mark.parametrize("shape", [(1, 3), (7, 3), (2, 9, 4)])
@pytest.mark.parametrize("offset", [0.0, 1e4])
def test_stream_equals_the_causal_kernel(shape, offset):
    """Welford step by step against the vectorised shifted prefix sums."""
    rng = np.random.default_rng(0)
    x = offset + rng.standard_normal(shape)
    gamma, beta = rng.standard_normal(shape[-1]), rng.standard_normal(shape[-1])
    want = seqnorm_forward(x, gamma, beta, causal=True)[0]
    got = stream_sequence(x, gamma, beta)
    # two algorithms: rounding of the statistics, relative to |x| ~ offset,
    # enlarged by 1/std ~ 1 of the normalization
    assert np.abs(got - want).max() < 1e-13 * max(offset, 1.0)


def test_stream_by_hand():
    """x = 1, 3: mean 2, M2 = 2, variance 1, so xhat_1 = 1/sqrt(1 + eps)."""
    y0, s0 = stream_step(np.array([1.0]), ONE, ZERO)
    y1, s1 = stream_step(np.array([3.0]), ONE, ZERO, s0)
    assert y0[0] == 0.0 and s0 == StreamState(1, s0.mean, s0.m2)
    assert (s1.count, s1.mean[0], s1.m2[0]) == (2, 2.0, 2.0)
    assert y1[0] == pytest.approx(1 / np.sqrt(1 + EPS), rel=1e-15)


def test_stream_state_is_O_D_and_new():
    x = np.random.default_rng(1).standard_normal((5, 40, 3))  # N = 5 in parallel
    state = None
    for t in range(40):
        old = state
        _, state = stream_step(x[:, t], np.ones(3), np.zeros(3), state)
        if old is not None:
            assert old.count == t  # the record passed in is not touched
    assert state.count == 40 and state.mean.shape == state.m2.shape == (5, 3)


def test_stream_constant_feature_gives_beta_exactly():
    x = np.full((6, 2), 1e4 + 0.1)
    beta = np.array([0.3, -2.0])
    assert np.array_equal(stream_sequence(x, np.ones(2), beta), np.tile(beta, (6, 1)))


def test_ema_by_hand():
    """x = 0, 1: mean 1 - a, var a (1 - a), xhat_1 = a / sqrt(a (1 - a) + eps)."""
    a = 0.9
    y0, s0 = ema_step(np.array([0.0]), ONE, ZERO, momentum=a)
    y1, s1 = ema_step(np.array([1.0]), ONE, ZERO, s0, momentum=a)
    assert y0[0] == 0.0
    assert s1.mean[0] == pytest.approx(1 - a, rel=1e-15)
    assert s1.var[0] == pytest.approx(a * (1 - a), rel=1e-15)
    assert y1[0] == pytest.approx(a / np.sqrt(a * (1 - a) + EPS), rel=1e-14)


def test_ema_weights_are_geometric():
    """After the start, m_t = sum_s w_s x_s with w_s = (1-a) a^(t-s), w_0 = a^t."""
    a, T = 0.8, 12
    x = np.random.default_rng(2).standard_normal((T, 1))
    state = None
    for t in range(T):
        _, state = ema_step(x[t], ONE, ZERO, state, momentum=a)
    w = (1 - a) * a ** np.arange(T - 1, -1, -1.0)
    w[0] = a ** (T - 1)
    assert state.mean[0] == pytest.approx(w @ x[:, 0], rel=1e-13)
    assert isinstance(state, EmaState)


def test_ema_never_leaks_the_future():
    x = np.random.default_rng(3).standard_normal((10, 2))
    moved = x.copy()
    moved[6] += 1.0
    a, b = (stream_sequence(v, np.ones(2), np.zeros(2), 0.9) for v in (x, moved))
    assert np.array_equal(a[:6], b[:6]) and not np.array_equal(a[6:], b[6:])


def test_drift_tradeoff_goes_both_ways():
    """Exact prefix wins on stationary data, the moving average after a jump."""
    still = drift_tradeoff("stationary")
    jump = drift_tradeoff("jump")
    assert still["prefix"] < 0.5 * still["ema"]
    assert jump["ema"] < 0.5 * jump["prefix"]
    # a moving average remembers about (1 + a) / (1 - a) = 19 steps: its mean
    # alone has error sqrt(1/19) ~ 0.23 in units of the standard deviation
    assert 0.2 < still["ema"] < 0.4


def test_stream_state_of_another_shape_is_refused():
    _, state = stream_step(np.zeros(3), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="state.mean must have the shape of x_t"):
        stream_step(np.zeros(4), np.ones(4), np.zeros(4), state)
    with pytest.raises(TypeError, match="state must be a StreamState"):
        stream_step(np.zeros(3), np.ones(3), np.zeros(3), EmaState(*state[1:]))
