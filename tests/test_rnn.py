"""Tests for nnlab.rnn: the tanh RNN step against finite differences."""

import numpy as np
import pytest

from nnlab.gradcheck import check_pair
from nnlab.rnn import (
    RNNStepCache,
    UncheckedStepCache,
    rnn_step_backward,
    rnn_step_forward,
)

# Centred differences with h = 1e-6 in float64 agree with a correct
# backward pass to ~1e-9; a wrong term gives errors of order 1.
GRAD_TOL = 1e-7

SHAPES = [(1, 1, 1), (2, 3, 4), (4, 5, 3)]  # (N, D, Hd), batch of one first


def make_step(N, D, Hd, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D))
    h_prev = rng.standard_normal((N, Hd))
    Wx = rng.standard_normal((D, Hd)) * 0.5
    Wh = rng.standard_normal((Hd, Hd)) * 0.5
    b = rng.standard_normal(Hd) * 0.5
    return [x, h_prev, Wx, Wh, b]


def test_forward_matches_the_equation():
    x, h_prev, Wx, Wh, b = make_step(2, 3, 4)
    h, cache = rnn_step_forward(x, h_prev, Wx, Wh, b)
    expected = np.tanh(
        np.einsum("nd,dk->nk", x, Wx) + np.einsum("nj,jk->nk", h_prev, Wh) + b
    )
    np.testing.assert_allclose(h, expected, rtol=1e-14, atol=1e-15)
    assert cache[1] is h_prev and cache[4] is h


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("which", range(5), ids=["x", "h_prev", "Wx", "Wh", "b"])
def test_backward_matches_finite_differences(shape, which):
    names = ["x", "h_prev", "Wx", "Wh", "b"]
    inputs = dict(zip(names, make_step(*shape, seed=which), strict=True))
    # seed=7: dh is default_rng(7).standard_normal(h.shape)
    errs = check_pair(
        rnn_step_forward, rnn_step_backward, inputs, seed=7, wrt=[names[which]]
    )
    assert errs[names[which]] < GRAD_TOL, f"d{names[which]}: {errs}"


def test_backward_shapes_follow_forward_inputs():
    inputs = make_step(3, 5, 2)
    h, cache = rnn_step_forward(*inputs)
    grads = rnn_step_backward(np.ones_like(h), cache)
    assert [g.shape for g in grads] == [a.shape for a in inputs]


@pytest.mark.parametrize(
    "which, bad, match",
    [
        (0, np.zeros(3), r"x must be 2-D \(N, D\), got 1-D shape \(3,\)"),
        (1, np.zeros((3, 4)), r"h_prev must be \(2, 4\), got \(3, 4\)"),
        (2, np.zeros((4, 4)), r"Wx must be \(3, 4\), got \(4, 4\)"),
        (3, np.zeros((4, 5)), r"Wh must be \(4, 4\), got \(4, 5\)"),
        (4, np.zeros(3), r"b must be \(4,\), got \(3,\)"),
        (4, np.zeros((1, 4)), r"b must be 1-D \(Hd,\), got 2-D shape \(1, 4\)"),
    ],
)
def test_forward_rejects_bad_shapes(which, bad, match):
    inputs = make_step(2, 3, 4)
    inputs[which] = bad
    with pytest.raises(ValueError, match=match):
        rnn_step_forward(*inputs)


def test_forward_rejects_non_arrays():
    inputs = make_step(2, 3, 4)
    inputs[2] = inputs[2].tolist()
    with pytest.raises(
        TypeError, match=r"Wx must be a numpy array \(D, Hd\), got list"
    ):
        rnn_step_forward(*inputs)


def test_backward_rejects_dout_of_wrong_shape():
    h, cache = rnn_step_forward(*make_step(2, 3, 4))
    with pytest.raises(
        ValueError, match=r"dout must have the forward output's shape \(2, 4\), got"
    ):
        rnn_step_backward(np.zeros((4, 2)), cache)


def test_unchecked_step_gives_the_same_result_and_skips_the_checks():
    inputs = make_step(2, 3, 4)
    h, cache = rnn_step_forward(*inputs)
    h2, cache2 = rnn_step_forward(*inputs, check=False)
    np.testing.assert_array_equal(h, h2)
    dout = np.ones_like(h)
    for g, g2 in zip(
        rnn_step_backward(dout, cache), rnn_step_backward(dout, cache2), strict=True
    ):
        np.testing.assert_array_equal(g, g2)
    # a loop that validated its inputs once asks for no check per step
    assert type(cache) is RNNStepCache and isinstance(cache2, UncheckedStepCache)
    # the same fields: a loop keeps one cache per step, no more memory
    assert len(cache2) == len(cache) == 5
