"""Many networks trained side by side: gradients, and agreement with training.fit."""

import numpy as np
import pytest

from nnlab.gradcheck import numerical_gradient, rel_error
from nnlab.mlp import init_mlp, mlp_backward, mlp_forward, softmax_cross_entropy
from nnlab.p3_expansion import experiments as expansion
from nnlab.p3_expansion.batched import (
    batch_backward,
    batch_cross_entropy,
    batch_forward,
    fit_batch,
    stack,
    unstack,
)


def _nets(sizes, B, seed=0):
    rng = np.random.default_rng(seed)
    nets = [init_mlp(sizes, rng) for _ in range(B)]
    for net in nets:  # non-zero biases, so that their gradients are tested
        for layer in net:
            layer["b"] = 0.1 * rng.standard_normal(layer["b"].shape)
    return nets


def _batch(sizes, B, N, seed=0):
    rng = np.random.default_rng(seed + 100)
    X = rng.standard_normal((B, N, sizes[0]))
    y = rng.integers(0, sizes[-1], (B, N))
    return stack(_nets(sizes, B, seed)), X, y


@pytest.mark.parametrize("sizes", [[2, 3], [2, 4, 3], [3, 5, 1, 2], [2, 6, 6, 6, 2]])
def test_batch_backward_matches_centred_differences(sizes):
    params, X, y = _batch(sizes, B=3, N=7)

    def loss_sum():
        return batch_cross_entropy(batch_forward(X, params)[0], y)[0].sum()

    scores, cache = batch_forward(X, params)
    dX, grads = batch_backward(batch_cross_entropy(scores, y)[1], cache)
    num = numerical_gradient(lambda v: loss_sum(), X)
    assert rel_error(dX, num) < 1e-4, sizes
    assert np.abs(dX - num).max() < 1e-8, sizes
    for i, layer in enumerate(params):
        for k in ("W", "b"):
            num = numerical_gradient(lambda v: loss_sum(), layer[k])
            # Centred differences with h = 1e-6 of a loss of ~2 round to
            # ~2 * 1e-16 / 1e-6 = 2e-10 absolute, so entries down to 1e-5
            # agree to ~2e-5 relative; a wrong gradient is off by O(1)
            assert rel_error(grads[i][k], num) < 1e-4, (sizes, i, k)
            assert np.abs(grads[i][k] - num).max() < 1e-8, (sizes, i, k)


@pytest.mark.parametrize("C", [2, 3])
def test_batch_cross_entropy_is_the_direct_formula_to_the_bit(C):
    # class by class, the same operations as the formula over the class axis
    rng = np.random.default_rng(C)
    scores = 4 * rng.standard_normal((5, 11, C))
    y = rng.integers(0, C, (5, 11))
    shifted = scores - scores.max(axis=2, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=2)
    picked = np.take_along_axis(shifted, y[..., None], axis=2)[..., 0]
    want_d = (e / total[..., None] - (y[..., None] == np.arange(C))) / 11
    loss, dscores = batch_cross_entropy(scores, y)
    assert np.array_equal(loss, -(picked - np.log(total)).mean(axis=1))
    assert np.array_equal(dscores, want_d)


def test_each_network_of_a_batch_is_the_network_alone():
    sizes = [2, 5, 4, 3]
    params, X, y = _batch(sizes, B=4, N=9)
    scores, cache = batch_forward(X, params)
    loss, dscores = batch_cross_entropy(scores, y)
    _, grads = batch_backward(dscores, cache)
    for b in range(4):
        net = unstack(params, b)
        s, c, _ = mlp_forward(X[b], net)
        ref_loss, ref_d = softmax_cross_entropy(s, y[b])
        _, ref_grads = mlp_backward(ref_d, c)
        # the same sums, some in another order (the softmax class by class,
        # bias gradients as a product): agreement to a few ulps
        assert rel_error(scores[b], s) < 1e-14
        assert loss[b] == pytest.approx(ref_loss, rel=1e-14)
        for i in range(len(sizes) - 1):
            for k in ("W", "b"):
                assert rel_error(grads[i][k][b], ref_grads[i][k]) < 1e-13, (b, i, k)


def test_fit_batch_trains_as_mlp_fit_does():
    # the narrow networks of seeds 0 and 1, continued T2 steps, both ways
    seeds = (0, 1)
    start = stack([expansion.narrow_run(s).params for s in seeds])
    d = [expansion.expansion_spirals(s) for s in seeds]
    run = fit_batch(
        start,
        np.stack([x.X for x in d]),
        np.stack([x.y for x in d]),
        np.stack([x.X_test for x in d]),
        np.stack([x.y_test for x in d]),
        steps=expansion.T2,
        lr=expansion.LR,
    )
    for b, s in enumerate(seeds):
        ref = expansion.narrow_continued(s)
        # one algorithm, sums partly in another order; the training is
        # contractive (test_p3_expansion_experiments), so rounding differences
        # stay at ulps
        assert expansion.ulps_apart(run.loss[b], ref.loss) <= expansion.CURVE_ULPS
        assert run.test_acc[b] == ref.final_test_acc
        assert run.train_acc[b] == ref.final_train_acc
        end = unstack(run.params, b)
        for layer, ref_layer in zip(end, ref.params, strict=True):
            scale = np.abs(ref_layer["W"]).max()
            tol = expansion.CURVE_ULPS * np.spacing(scale)
            assert np.abs(layer["W"] - ref_layer["W"]).max() <= tol
    # the start is not modified
    np.testing.assert_array_equal(
        start[0]["W"][0], expansion.narrow_run(0).params[0]["W"]
    )


def test_unstack_inverts_stack():
    nets = _nets([2, 3, 2], B=3)
    back = [unstack(stack(nets), i) for i in range(3)]
    for a, b in zip(nets, back, strict=True):
        for la, lb in zip(a, b, strict=True):
            np.testing.assert_array_equal(la["W"], lb["W"])
            np.testing.assert_array_equal(la["b"], lb["b"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: stack([]), r"at least one network, got none"),
        (
            lambda: stack(_nets([2, 3, 2], 1) + _nets([2, 4, 2], 1)),
            r"one architecture: network 0 has W shapes \[\(2, 3\), \(3, 2\)\], "
            r"network 1 has \[\(2, 4\), \(4, 2\)\]",
        ),
        (
            lambda: stack([[{"W": np.ones((2, 2)), "b": np.ones(2), "gamma": 1}]]),
            r"params layer 0 'gamma' must be a numpy array, got int",
        ),
        (
            lambda: fit_batch(*_batch([2, 3, 2], 2, 5), *_batch([2, 3, 2], 2, 5)[1:],
                              steps=0, lr=0.1),
            r"steps must be an integer >= 1, got 0",
        ),
        (
            lambda: fit_batch(
                _batch([2, 3, 2], 2, 5)[0], np.ones((3, 5, 2)), np.ones((3, 5), int),
                np.ones((2, 5, 2)), np.ones((2, 5), int), steps=1, lr=0.1,
            ),
            r"data.X must be \(2, N, 2\), got shape \(3, 5, 2\)",
        ),
        (
            lambda: fit_batch(
                _batch([2, 3, 2], 2, 5)[0], np.ones((2, 5, 2)), np.ones((2, 5)),
                np.ones((2, 5, 2)), np.ones((2, 5), int), steps=1, lr=0.1,
            ),
            r"data.y must be an integer array of labels, got float64",
        ),
    ],
)  # fmt: skip
def test_bad_input_is_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
