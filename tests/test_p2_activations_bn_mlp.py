"""Problem 2's batch-norm MLP: training behaviour, the min0/ReLU identity."""

import numpy as np
import pytest

from mlp_cases import small_net
from nnlab.data import spirals
from nnlab.mlp import mlp_forward
from nnlab.p2_activations.bn_mlp import (
    as_affine,
    init_bn_mlp,
    min0_to_relu,
    train_bn_mlp,
    train_linear_classifier,
)
from nnlab.training import fit


def test_relu_network_learns_the_spirals():
    hist = train_bn_mlp("relu", depth=3)
    assert hist.final_test_acc >= 0.95
    assert hist.loss[-1] < 0.1 * hist.loss[0]


def test_train_bn_mlp_records_every_setting_at_construction():
    hist = train_bn_mlp("relu", depth=1, width=4, steps=2, seed=3)
    assert dict(hist.config) == {
        "activation": "relu",
        "steps": 2,
        "lr": 0.1,
        "momentum": 0.9,
        "depth": 1,
        "width": 4,
        "seed": 3,
    }


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
        return mlp_forward(X, hist.params, activation, hist.running, train=False)[0]

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
    params, X, _ = small_net(batchnorm, sizes=(2, 6, 6, 6, 3))
    a, _, _ = mlp_forward(X, params, "min0")
    b, _, _ = mlp_forward(X, min0_to_relu(params), "relu")
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


def test_equal_seeds_give_equal_starts_whatever_the_activation():
    a, b = train_bn_mlp("relu", 2, steps=1), train_bn_mlp("sign", 2, steps=1)
    assert a.loss[0] != b.loss[0]  # different functions ...
    start = init_bn_mlp(2)
    np.testing.assert_array_equal(start[0]["W"], init_bn_mlp(2)[0]["W"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: train_bn_mlp("tanh", 3), r"activation must be one of .*, got 'tanh'"),
        (lambda: train_bn_mlp("relu", 0), r"depth must be an integer >= 1, got 0"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
