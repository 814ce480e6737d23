"""Training: the momentum update by hand, the loop's statistics and checks."""

import dataclasses

import numpy as np
import pytest

from nnlab.data import spirals
from nnlab.mlp import init_mlp, mlp_forward, predict_classes
from nnlab.training import History, fit, sgd_momentum


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


def test_predict_uses_the_given_statistics():
    start = init_mlp([2, 32, 32, 2], np.random.default_rng(0), batchnorm=True)
    X = spirals(200, 0.05, 0).X
    hist = fit(start, spirals(200, 0.05, 0), steps=20)
    scores, _, _ = mlp_forward(X, hist.params, "relu")
    np.testing.assert_array_equal(
        predict_classes(X, hist.params, "relu", hist.running), scores.argmax(1)
    )


def test_fit_names_a_bad_step_count():
    start = init_mlp([2, 4, 2], np.random.default_rng(0), batchnorm=True)
    with pytest.raises(ValueError, match=r"steps must be .* got 0"):
        fit(start, spirals(10), steps=0)


def _run():
    start = init_mlp([2, 4, 2], np.random.default_rng(0))
    return fit(start, spirals(20, 0.05, 0), steps=3, config={"seed": 0})


def test_a_history_is_built_once_and_cannot_be_changed():
    hist = _run()
    assert hist.config == {
        "activation": "relu",
        "steps": 3,
        "lr": 0.1,
        "momentum": 0.9,
        "seed": 0,
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        hist.loss = np.zeros(3)
    with pytest.raises(TypeError, match="does not support item assignment"):
        hist.config["seed"] = 1
    for arr in (hist.loss, hist.test_acc, hist.grad_norms, hist.params[0]["W"]):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0.0


def test_a_history_keeps_no_link_to_the_dicts_it_was_built_from():
    config = {"seed": 0}
    hist = History(*([np.zeros(1)] * 8), [], [], {}, config)
    config["seed"] = 1
    assert hist.config["seed"] == 0


def test_fit_refuses_a_config_that_repeats_its_own_settings():
    start = init_mlp([2, 4, 2], np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"config must not repeat .* got \['lr'\]"):
        fit(start, spirals(10), steps=1, config={"lr": 1.0})
