"""The seed-batched trainer: each seed's slice is one single run."""

import numpy as np
import pytest

from mlp_cases import NAMES, H, check_entries, small_net
from nnlab.data import spirals
from nnlab.gradcheck import numerical_gradient
from nnlab.mlp import mlp_backward, mlp_forward, softmax_cross_entropy
from nnlab.norm import shifted_moments
from nnlab.p2_activations.batched import (
    _batch_moments,
    _batch_sum,
    backward_seeds,
    cross_entropy_seeds,
    fit_seeds,
    forward_seeds,
    init_bn_mlp_seeds,
    stack_params,
    stack_splits,
    unstack_params,
)
from nnlab.p2_activations.bn_mlp import init_bn_mlp
from nnlab.training import fit

SEEDS = (0, 1)


def _seed_net(activation, batch=6, sizes=(3, 5, 4, 3)):
    nets, Xs, ys = [], [], []
    for s in SEEDS:
        params, X, y = small_net(True, seed=s, sizes=sizes)
        if activation == "shifted_relu":
            for layer in params[:-1]:
                layer["beta"] = layer["beta"] + 10.0
        nets.append(params)
        Xs.append(X)
        ys.append(y)
    return stack_params(nets), np.stack(Xs), np.stack(ys)


@pytest.mark.parametrize("activation", NAMES)
def test_seed_batched_gradients_match_finite_differences(activation):
    params, X, y = _seed_net(activation)

    def loss():
        scores, _, _ = forward_seeds(X, params, activation)
        return cross_entropy_seeds(scores, y)[0].sum()  # runs do not interact

    scores, cache, _ = forward_seeds(X, params, activation)
    _, grads = backward_seeds(cross_entropy_seeds(scores, y)[1], cache)
    for layer, grad in zip(params, grads, strict=True):
        assert sorted(layer) == sorted(grad)
        for k in layer:
            check_entries(grad[k], numerical_gradient(lambda v: loss(), layer[k], h=H))


@pytest.mark.parametrize("activation", NAMES)
def test_each_seed_slice_is_the_single_run(activation):
    params, X, y = _seed_net(activation)
    scores, cache, _ = forward_seeds(X, params, activation)
    loss, dscores = cross_entropy_seeds(scores, y)
    _, grads = backward_seeds(dscores, cache)
    for s in range(len(SEEDS)):
        one = unstack_params(params, s)
        ref, ref_cache, _ = mlp_forward(X[s], one, activation)
        ref_loss, ref_d = softmax_cross_entropy(ref, y[s])
        _, ref_grads = mlp_backward(ref_d, ref_cache)
        # same formulas, but a batched product and a reduction over axis 1
        # may sum in another order: agreement to a few ulps of O(1) values
        np.testing.assert_allclose(scores[s], ref, rtol=1e-13, atol=1e-14)
        assert loss[s] == pytest.approx(ref_loss, rel=1e-13)
        for g, r in zip(grads, ref_grads, strict=True):
            for k in r:
                np.testing.assert_allclose(g[k][s], r[k], rtol=1e-11, atol=1e-13)


def test_fit_seeds_follows_each_single_run():
    # ReLU, depth 3, lr 0.03, momentum 0.9: a regime whose measured
    # amplification of a 1e-15 perturbation over 150 steps is below 1e3, so
    # rounding differences between the two code paths stay below ~1e-12
    data = [spirals(60, 0.05, s) for s in SEEDS]
    batched = fit_seeds(
        init_bn_mlp_seeds(3, 8, SEEDS),
        stack_splits(data),
        activation="relu",
        steps=40,
        lr=0.03,
        momentum=0.9,
    )
    for s in SEEDS:
        one = fit(init_bn_mlp(3, 8, s), data[s], steps=40, lr=0.03, momentum=0.9)
        np.testing.assert_allclose(batched.loss[:, s], one.loss, rtol=1e-10)
        assert batched.test_acc[s] == one.final_test_acc
        assert batched.train_acc[s] == one.final_train_acc


def _every_step_in_full(params, data, activation, steps, lr, momentum):
    """fit_seeds's loop by the public kernels: no layer reused or skipped."""
    params = [{k: v.copy() for k, v in layer.items()} for layer in params]
    velocity = [{k: np.zeros_like(v) for k, v in layer.items()} for layer in params]
    loss, norms = [], []
    for _ in range(steps):
        scores, cache, _ = forward_seeds(data.X, params, activation)
        step_loss, dscores = cross_entropy_seeds(scores, data.y)
        _, grads = backward_seeds(dscores, cache)
        loss.append(step_loss)
        norms.append([np.sqrt((g["W"] ** 2).sum(axis=(1, 2))) for g in grads])
        velocity = [
            {k: momentum * v[k] + g[k] for k in v}
            for v, g in zip(velocity, grads, strict=True)
        ]
        params = [
            {k: p[k] - lr * v[k] for k in p}
            for p, v in zip(params, velocity, strict=True)
        ]
    return np.array(loss), np.array(norms).transpose(0, 2, 1), params


@pytest.mark.parametrize("activation", ["shifted_relu", "sign", "relu", "sigmoid"])
def test_fit_seeds_is_every_step_in_full_to_the_bit(activation):
    # fit_seeds skips the layers below an activation that passes no gradient
    # (shifted_relu, sign: every gradient there exactly 0) and reuses the
    # outputs of the layers that therefore never change; the loss, the
    # gradient norms and the parameters must be those of the full steps
    data = stack_splits([spirals(40, 0.05, s) for s in SEEDS])
    start = init_bn_mlp_seeds(4, 8, SEEDS)
    h = fit_seeds(start, data, activation=activation, steps=12, lr=0.03, momentum=0.9)
    loss, norms, params = _every_step_in_full(start, data, activation, 12, 0.03, 0.9)
    assert np.array_equal(h.loss, loss)
    assert np.array_equal(h.grad_norms, norms)
    for got, want in zip(h.params, params, strict=True):
        for k in want:
            assert np.array_equal(got[k], want[k]), k
    if activation in ("shifted_relu", "sign"):  # the skipped gradients are 0
        assert np.all(h.grad_norms[:, :, :-1] == 0)
        for k, v in start[0].items():  # layer 0 never moved
            assert np.array_equal(h.params[0][k], v), k


@pytest.mark.parametrize(
    "shape", [(1, 1, 1), (3, 7, 1), (2, 5, 2), (5, 200, 32), (4, 513, 17)]
)
def test_batch_sum_is_numpys_sum_to_the_bit(shape):
    rng = np.random.default_rng(sum(shape))
    a, b = rng.standard_normal(shape), rng.standard_normal(shape)
    assert np.array_equal(_batch_sum(a), a.sum(axis=1))
    assert np.array_equal(_batch_sum(a, b), (a * b).sum(axis=1))


@pytest.mark.parametrize(
    "shape", [(1, 2, 1), (3, 7, 1), (2, 5, 2), (5, 200, 32), (4, 513, 17)]
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_batch_moments_are_shifted_moments_to_the_bit(shape, dtype):
    rng = np.random.default_rng(sum(shape))
    # an offset far above the spread, where an unshifted mean would round
    z = (1e4 + rng.standard_normal(shape)).astype(dtype)
    mean, zc, var = _batch_moments(z)
    want_mean, want_zc, want_var = shifted_moments(z, axis=1)
    assert mean.dtype == zc.dtype == var.dtype == dtype
    assert np.array_equal(mean, want_mean[:, 0])
    assert np.array_equal(zc, want_zc)
    assert np.array_equal(var, want_var[:, 0])


def test_seed_runs_in_a_non_chaotic_regime_print_the_same_after_a_few_ulps():
    # portability guard: another BLAS kernel changes products in the last
    # bits; a run that amplifies that little must print the same statistics
    data = stack_splits([spirals(100, 0.05, s) for s in SEEDS])
    start = init_bn_mlp_seeds(3, 16, SEEDS)
    rng = np.random.default_rng(1)
    eps = np.finfo(float).eps
    moved = [
        {k: v * (1 + 3 * eps * rng.choice([-1, 1], v.shape)) for k, v in layer.items()}
        for layer in start
    ]
    printed = []
    for params in (start, moved):
        h = fit_seeds(params, data, activation="relu", steps=80, lr=0.03, momentum=0.9)
        printed.append(
            f"{h.test_acc.mean():.3f} {h.test_acc.std(ddof=1):.3f} "
            f"{h.loss[-1].mean():.4f}"
        )
    assert printed[0] == printed[1]


def test_fit_seeds_names_bad_input():
    data = stack_splits([spirals(10, 0.05, s) for s in SEEDS])
    with pytest.raises(ValueError, match=r"steps must be an integer >= 1, got 0"):
        fit_seeds(
            init_bn_mlp_seeds(1, 4, SEEDS),
            data,
            activation="relu",
            steps=0,
            lr=0.1,
            momentum=0.9,
        )
    with pytest.raises(ValueError, match=r"X must be 3-D \(S, N, D_in\), got 2-D"):
        forward_seeds(data.X[0], init_bn_mlp_seeds(1, 4, SEEDS), "relu")
