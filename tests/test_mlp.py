"""The MLP: end-to-end gradients, training behaviour, the min0/ReLU identity."""

import numpy as np
import pytest

from nnlab.data import spirals
from nnlab.gradcheck import check_gradient, numerical_gradient, rel_error
from nnlab.mlp import (
    as_affine,
    fit,
    init_bn_mlp,
    init_mlp,
    min0_to_relu,
    mlp_backward,
    mlp_forward,
    predict,
    sgd_momentum,
    softmax_cross_entropy,
    train_bn_mlp,
    train_linear_classifier,
)
from nnlab.p2_activations.batched import (
    backward_seeds,
    cross_entropy_seeds,
    fit_seeds,
    forward_seeds,
    init_bn_mlp_seeds,
    stack_params,
    stack_splits,
    unstack_params,
)

NAMES = ["relu", "min0", "linear", "shifted_relu", "sigmoid", "sign"]
GRAD_TOL = 1e-6  # whole network in float64, centred differences with step H
# The loss is O(1): rounding noise in a centred difference is ~1e-16 / H and
# truncation ~H^2, so H = 1e-5 keeps both near 1e-11 (1e-6 gives ~1e-10).
H = 1e-5


def _small_net(batchnorm, seed=0, sizes=(3, 5, 4, 3)):
    rng = np.random.default_rng(seed)
    params = init_mlp(list(sizes), rng, batchnorm=batchnorm)
    for layer in params:  # move away from the init so every term matters
        for k in layer:
            layer[k] = layer[k] + 0.3 * rng.standard_normal(layer[k].shape)
    X = rng.standard_normal((6, sizes[0]))
    y = rng.integers(0, sizes[-1], 6)
    return params, X, y


@pytest.mark.parametrize("batchnorm", [True, False], ids=["bn", "plain"])
@pytest.mark.parametrize("activation", NAMES)
def test_end_to_end_gradients_match_finite_differences(activation, batchnorm):
    params, X, y = _small_net(batchnorm)
    if activation == "shifted_relu":
        # shift the pre-activations across 10 so that some units are alive
        for layer in params[:-1]:
            layer["beta" if batchnorm else "b"] = layer["b"] + 10.0

    def loss():
        scores, _, _ = mlp_forward(params, X, activation)
        return softmax_cross_entropy(scores, y)[0]

    scores, cache, _ = mlp_forward(params, X, activation)
    grads, dX = mlp_backward(softmax_cross_entropy(scores, y)[1], cache)
    for layer, grad in zip(params, grads, strict=True):
        assert sorted(layer) == sorted(grad)
        for k in layer:
            num = numerical_gradient(lambda v: loss(), layer[k], h=H)
            _check_entries(grad[k], num)
    assert check_gradient(lambda v: loss(), X, dX, h=H) < GRAD_TOL


def _check_entries(analytic, numerical):
    """rel_error where the gradient is not 0; an absolute check where it is.

    Some gradients are 0 in exact arithmetic: a bias before batch norm (the
    batch mean is subtracted), beta before linear -> batch norm, units that
    no sample activates, sign. There the analytic value is ~1e-17 and the
    centred difference is rounding noise of ~|loss| * 1e-16 / H ~ 1e-11,
    which rel_error would divide by its 1e-8 floor.
    """
    zero = np.abs(analytic) < 1e-12
    assert np.abs(numerical[zero]).max(initial=0.0) < 1e-8
    assert rel_error(analytic[~zero], numerical[~zero]) < GRAD_TOL


def test_softmax_cross_entropy_closed_forms():
    loss, dscores = softmax_cross_entropy(np.zeros((4, 5)), np.array([0, 1, 2, 3]))
    assert loss == pytest.approx(np.log(5), rel=1e-15)
    expected = np.full((4, 5), 0.2)
    expected[np.arange(4), [0, 1, 2, 3]] -= 1
    np.testing.assert_allclose(dscores, expected / 4, rtol=1e-14)
    # no overflow for huge scores; a confident right answer costs ~0
    loss, _ = softmax_cross_entropy(np.array([[1000.0, -1000.0]]), np.array([0]))
    assert loss == 0.0


def test_softmax_cross_entropy_gradient():
    rng = np.random.default_rng(0)
    scores, y = rng.standard_normal((5, 3)), np.array([0, 2, 1, 1, 0])
    _, dscores = softmax_cross_entropy(scores, y)
    num = numerical_gradient(lambda s: softmax_cross_entropy(s, y)[0], scores)
    assert rel_error(dscores, num) < 1e-8


def test_sgd_momentum_by_hand_and_without_mutation():
    p = [{"W": np.array([[1.0, 2.0]]), "b": np.array([0.5, 0.0])}]
    g1 = [{"W": np.array([[1.0, -1.0]]), "b": np.array([2.0, 0.0])}]
    g2 = [{"W": np.array([[0.0, 1.0]]), "b": np.array([1.0, 1.0])}]
    p1, v1 = sgd_momentum(p, g1, None, lr=0.1, momentum=0.5)
    p2, _ = sgd_momentum(p1, g2, v1, lr=0.1, momentum=0.5)
    np.testing.assert_allclose(p1[0]["W"], [[0.9, 2.1]])
    # v2 = 0.5 g1 + g2
    np.testing.assert_allclose(p2[0]["W"], [[0.9 - 0.05, 2.1 - 0.1 * 0.5]])
    np.testing.assert_allclose(p2[0]["b"], [0.3 - 0.1 * 2.0, -0.1])
    np.testing.assert_array_equal(p[0]["W"], [[1.0, 2.0]])


def test_relu_network_learns_the_spirals():
    hist = train_bn_mlp("relu", depth=3)
    assert hist.final_test_acc >= 0.95
    assert hist.loss[-1] < 0.1 * hist.loss[0]


def test_linear_network_stays_at_the_linear_classifier_level():
    data = spirals(200, 0.05, 0)
    hist = train_bn_mlp("linear", depth=3, data=data)
    lin = train_linear_classifier(data)
    assert abs(hist.final_test_acc - lin.final_test_acc) <= 0.03
    assert abs(hist.final_train_acc - lin.final_train_acc) <= 0.03
    assert hist.final_test_acc < 0.75


def test_linear_network_in_evaluation_is_one_affine_map():
    hist = train_bn_mlp("linear", depth=4, steps=20)

    def net(X, activation="linear"):
        return mlp_forward(hist.params, X, activation, hist.running, train=False)[0]

    A, c = as_affine(net, 2)
    X = np.random.default_rng(0).uniform(-3, 3, (50, 2))
    assert np.abs(net(X) - (X @ A + c)).max() < 1e-10 * np.abs(net(X)).max()
    A, c = as_affine(lambda X: net(X, "relu"), 2)
    assert np.abs(net(X, "relu") - (X @ A + c)).max() > 0.1


def test_unit_statistics_by_hand():
    # relu after batch norm: about half the inputs are positive; x / sqrt(2)
    # has a slope everywhere; sign nowhere
    relu = train_bn_mlp("relu", depth=3, steps=1)
    assert np.all((relu.active > 0.3) & (relu.active < 0.7))
    np.testing.assert_array_equal(relu.live_units, 1.0)
    np.testing.assert_array_equal(train_bn_mlp("linear", 3, steps=1).active, 1.0)
    sign = fit(init_bn_mlp(3), spirals(), activation="sign", steps=21, eval_every=10)
    np.testing.assert_array_equal(sign.stat_steps, [0, 10, 20])
    np.testing.assert_array_equal(sign.active, 0.0)


def test_shifted_relu_units_are_dead_from_the_start():
    hist = train_bn_mlp("shifted_relu", depth=3, steps=30)
    np.testing.assert_array_equal(hist.live_units, 0.0)
    np.testing.assert_array_equal(hist.active, 0.0)
    # nothing below the output layer ever gets a gradient, nor its W
    np.testing.assert_array_equal(hist.grad_norms, 0.0)
    assert hist.final_test_acc == 0.5


def test_sign_network_trains_only_its_output_layer():
    hist = train_bn_mlp("sign", depth=3, steps=30)
    np.testing.assert_array_equal(hist.grad_norms[:, :-1], 0.0)
    assert np.all(hist.grad_norms[:, -1] > 0)
    start = init_bn_mlp(3)
    for old, new in zip(start[:-1], hist.params[:-1], strict=True):
        for k in old:
            np.testing.assert_array_equal(old[k], new[k])


@pytest.mark.parametrize("batchnorm", [True, False], ids=["bn", "plain"])
def test_a_min0_network_is_a_relu_network_with_flipped_signs(batchnorm):
    params, X, _ = _small_net(batchnorm, sizes=(2, 6, 6, 6, 3))
    a, _, _ = mlp_forward(params, X, "min0")
    b, _, _ = mlp_forward(min0_to_relu(params), X, "relu")
    np.testing.assert_array_equal(a, b)


def test_min0_and_flipped_relu_train_identically():
    data = spirals(200, 0.05, 0)
    start = init_bn_mlp(3)
    m = fit(start, data, activation="min0", steps=40)
    r = fit(min0_to_relu(start), data, activation="relu", steps=40)
    np.testing.assert_allclose(m.loss, r.loss, rtol=1e-12)
    np.testing.assert_array_equal(m.test_acc, r.test_acc)
    for u, v in zip(min0_to_relu(m.params), r.params, strict=True):
        for k in u:
            np.testing.assert_allclose(u[k], v[k], rtol=1e-9, atol=1e-12)


def test_predict_uses_the_given_statistics():
    hist = train_bn_mlp("relu", depth=2, steps=20)
    X = spirals(200, 0.05, 0).X
    scores, _, _ = mlp_forward(hist.params, X, "relu")
    np.testing.assert_array_equal(
        predict(hist.params, X, "relu", hist.running), scores.argmax(1)
    )


def test_equal_seeds_give_equal_starts_whatever_the_activation():
    a, b = train_bn_mlp("relu", 2, steps=1), train_bn_mlp("sign", 2, steps=1)
    assert a.loss[0] != b.loss[0]  # different functions ...
    start = init_bn_mlp(2)
    np.testing.assert_array_equal(start[0]["W"], init_bn_mlp(2)[0]["W"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: train_bn_mlp("tanh", 3), r"unknown activation 'tanh'; choose one of"),
        (lambda: train_bn_mlp("relu", 0), r"depth must be an integer >= 1, got 0"),
        (lambda: init_mlp([3], np.random.default_rng(0)), r"input and an output"),
        (lambda: fit(init_bn_mlp(1), spirals(10), steps=0), r"steps must be .* got 0"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_wrong_gamma_shape_is_named():
    params = init_bn_mlp(2, width=4)
    params[0]["gamma"] = np.ones(5)
    with pytest.raises(ValueError, match=r"gamma must have shape \(D,\) = \(4,\)"):
        mlp_forward(params, np.ones((3, 2)), "relu")


def test_mismatched_layers_are_named():
    params = init_bn_mlp(2, width=4)
    params[1]["W"] = np.ones((3, 4))
    with pytest.raises(ValueError, match=r"layer 1 takes 3 inputs but layer 0 gives 4"):
        mlp_forward(params, np.ones((3, 2)), "relu")


# The seed-batched trainer (nnlab.p2_activations.batched): each slice is one
# run of the above.

SEEDS = (0, 1)


def _seed_net(activation, batch=6, sizes=(3, 5, 4, 3)):
    nets, Xs, ys = [], [], []
    for s in SEEDS:
        params, X, y = _small_net(True, seed=s, sizes=sizes)
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
        scores, _, _ = forward_seeds(params, X, activation)
        return cross_entropy_seeds(scores, y)[0].sum()  # runs do not interact

    scores, cache, _ = forward_seeds(params, X, activation)
    grads = backward_seeds(cross_entropy_seeds(scores, y)[1], cache, activation)
    for layer, grad in zip(params, grads, strict=True):
        assert sorted(layer) == sorted(grad)
        for k in layer:
            _check_entries(grad[k], numerical_gradient(lambda v: loss(), layer[k], h=H))


@pytest.mark.parametrize("activation", NAMES)
def test_each_seed_slice_is_the_single_run(activation):
    params, X, y = _seed_net(activation)
    scores, cache, _ = forward_seeds(params, X, activation)
    loss, dscores = cross_entropy_seeds(scores, y)
    grads = backward_seeds(dscores, cache, activation)
    for s in range(len(SEEDS)):
        one = unstack_params(params, s)
        ref, ref_cache, _ = mlp_forward(one, X[s], activation)
        ref_loss, ref_d = softmax_cross_entropy(ref, y[s])
        ref_grads, _ = mlp_backward(ref_d, ref_cache)
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
    with pytest.raises(ValueError, match=r"X must be \(S, N, D_in\) with S = 2 seeds"):
        forward_seeds(init_bn_mlp_seeds(1, 4, SEEDS), data.X[0], "relu")
