"""The leakage mechanisms of notebook 4: which steps each output sees, the
gap between training and running statistics, and the next-step model's data
and predictions. Its training on many seeds is tested in test_p4_seqnorm_nextstep.py."""

import numpy as np
import pytest

from nnlab.gradcheck import numerical_gradient
from nnlab.p4_seqnorm.layernorm import layernorm_forward
from nnlab.p4_seqnorm.leakage import (
    next_step_data,
    predict_next,
    running_gap,
    stream_predict,
    time_jacobian,
)
from nnlab.p4_seqnorm.predictor import init_nextstep
from nnlab.p4_seqnorm.seqnorm import seqnorm_forward


def test_jacobian_support_full_causal_layer():
    x = np.random.default_rng(10).standard_normal((7, 3))
    above = np.triu(np.ones((7, 7), dtype=bool), k=1)
    assert np.all(time_jacobian(x, "causal")[above] == 0.0)
    assert np.all(time_jacobian(x, "full")[above] > 0.0)
    J = time_jacobian(x, "layer")
    assert np.all(J[~np.eye(7, dtype=bool)] == 0.0)


@pytest.mark.parametrize("norm", ["full", "causal", "layer"])
def test_jacobian_matches_finite_differences(norm):
    rng = np.random.default_rng(11)
    T, D = 5, 3
    x = rng.standard_normal((T, D))
    ones, zeros = np.ones(D), np.zeros(D)
    J = np.zeros((T, T))
    for t in range(T):
        for k in range(D):
            dout = np.zeros((T, D))
            dout[t, k] = 1.0
            if norm == "layer":
                f = lambda a: layernorm_forward(a, ones, zeros)[0]  # noqa: E731
            else:
                f = lambda a: seqnorm_forward(a, ones, zeros, causal=norm == "causal")[  # noqa: E731
                    0
                ]
            col = np.abs(numerical_gradient(f, x, dout)).max(axis=1)  # (T,)
            J[t] = np.maximum(J[t], col)
    # Entries go down to ~1e-5 (the causal t = 1 step is +-1 up to eps), where
    # the difference quotient's rounding (~1e-16 / h) is a 1e-5 relative
    # error: compare to 1e-5 of the entry plus an absolute 1e-8.
    assert np.allclose(time_jacobian(x, norm), J, rtol=1e-5, atol=1e-8)


def test_running_gap_shrinks_like_one_over_sqrt_T_for_stationary_data():
    # First order in 1/T: mean error 1/T plus std error 1/(2T), so the RMS
    # gap is ~sqrt(3 / (2T)); a Monte-Carlo estimate over 64 x 4 sequences.
    for T in (16, 64):
        assert abs(running_gap(T) / np.sqrt(1.5 / T) - 1) < 0.2
    # a random walk's statistics drift with T: the gap does not shrink
    assert running_gap(64, "walk") > 0.5 * running_gap(16, "walk")


def test_streaming_equals_whole_sequence_without_a_leak():
    rng = np.random.default_rng(15)
    x = rng.standard_normal((3, 6, 5))
    params = [
        rng.standard_normal((5, 4)),
        rng.standard_normal(4),
        rng.standard_normal(4),
        rng.standard_normal((4, 1)),
        rng.standard_normal(1),
    ]
    for norm in ("causal", "layer"):
        for eps in (1e-5, 1e-3):
            whole = predict_next(x, params, norm, eps)[0]
            stream = stream_predict(x, params, norm, eps)
            assert np.allclose(stream, whole, rtol=0, atol=1e-12)
    whole = predict_next(x, params, "full")[0]
    assert not np.allclose(stream_predict(x, params, "full"), whole)


def test_next_step_data_targets_are_the_next_increments():
    x, target = next_step_data(3, 6, seed=0)
    assert x.shape == (3, 6, 5) and target.shape == (3, 6, 1)
    # the walk's next step is this step plus the target: x[t+1] = x[t] + u[t+1]
    np.testing.assert_allclose(x[:, 1:, 0] - x[:, :-1, 0], target[:, :-1, 0])
    # the positional channels are the same for every sequence
    assert np.array_equal(x[0, :, 1:], x[2, :, 1:])
    np.testing.assert_allclose(x[0, :, 2], np.arange(6) / 6)


def test_bad_input_messages():
    x = np.zeros((4, 3))
    with pytest.raises(
        ValueError, match=r"norm must be one of 'full', 'causal', 'layer', got 'batch'"
    ):
        time_jacobian(x, norm="batch")
    with pytest.raises(
        ValueError, match=r"x must be 2-D \(T, D\), one sequence, got 3-D shape"
    ):
        time_jacobian(np.zeros((2, 4, 3)))
    with pytest.raises(ValueError, match=r"\(T, D\), one sequence, got 1-D"):
        time_jacobian(np.zeros(3))
    with pytest.raises(ValueError, match=r"T must be an integer >= 2, got 0"):
        running_gap(0)
    with pytest.raises(
        ValueError, match=r"data must be one of 'iid', 'walk', got 'trend'"
    ):
        running_gap(8, data="trend")


@pytest.mark.parametrize("function", [predict_next, stream_predict])
def test_unknown_norm_is_refused_naming_the_allowed_ones(function):
    # main treated any unknown string as "full"
    params = [p[0] for p in init_nextstep(1)]
    x, _ = next_step_data(2, 4, 0)
    with pytest.raises(
        ValueError, match=r"norm must be one of 'full', 'causal', 'layer', got 'batch'"
    ):
        function(x, params, "batch")
    out = function(x, params, "causal")
    pred = out[0] if function is predict_next else out  # predict_next adds its cache
    assert pred.shape == (2, 4, 1)
