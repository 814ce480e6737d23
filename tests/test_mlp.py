"""The MLP: end-to-end gradients, the loss, and malformed networks."""

import numpy as np
import pytest

from mlp_cases import GRAD_TOL, NAMES, H, check_entries, small_net
from nnlab.gradcheck import check_gradient, numerical_gradient, rel_error
from nnlab.mlp import init_mlp, mlp_backward, mlp_forward, softmax_cross_entropy


@pytest.mark.parametrize("batchnorm", [True, False], ids=["bn", "plain"])
@pytest.mark.parametrize("activation", NAMES)
def test_end_to_end_gradients_match_finite_differences(activation, batchnorm):
    params, X, y = small_net(batchnorm)
    if activation == "shifted_relu":
        # shift the pre-activations across 10 so that some units are alive
        for layer in params[:-1]:
            layer["beta" if batchnorm else "b"] = layer["b"] + 10.0

    def loss():
        scores, _, _ = mlp_forward(X, params, activation)
        return softmax_cross_entropy(scores, y)[0]

    scores, cache, _ = mlp_forward(X, params, activation)
    dX, grads = mlp_backward(softmax_cross_entropy(scores, y)[1], cache)
    for layer, grad in zip(params, grads, strict=True):
        assert sorted(layer) == sorted(grad)
        for k in layer:
            num = numerical_gradient(lambda v: loss(), layer[k], h=H)
            check_entries(grad[k], num)
    assert check_gradient(lambda v: loss(), X, dX, h=H) < GRAD_TOL


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


def test_an_mlp_needs_an_input_and_an_output_size():
    with pytest.raises(ValueError, match=r"input and an output"):
        init_mlp([3], np.random.default_rng(0))


def _bn_net():
    """Two batch-norm hidden layers of width 4 on 2 inputs."""
    return init_mlp([2, 4, 4, 2], np.random.default_rng(0), batchnorm=True)


def test_a_wrong_gamma_shape_is_named():
    params = _bn_net()
    params[0]["gamma"] = np.ones(5)
    with pytest.raises(ValueError, match=r"gamma must have shape \(D,\) = \(4,\)"):
        mlp_forward(np.ones((3, 2)), params, "relu")


def test_mismatched_layers_are_named():
    params = _bn_net()
    params[1]["W"] = np.ones((3, 4))
    with pytest.raises(ValueError, match=r"layer 1 takes 3 inputs but layer 0 gives 4"):
        mlp_forward(np.ones((3, 2)), params, "relu")
