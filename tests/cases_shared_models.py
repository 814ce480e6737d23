"""Valid calls of the shared model modules for the bad-input test.

`nnlab.mlp`, `nnlab.training`, `nnlab.activations`, `nnlab.init` and
`nnlab.data` (see test_bad_input). Sizes are the smallest that exercise
every layer kind: 2 inputs, a hidden layer of 3, 2 classes, 8 points.
"""

import numpy as np

from badinput import case
from nnlab import activations, data, init, mlp, training

FLAT = "a list of layer dicts or a list of ints, which the harness does not spoil"


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _net(batchnorm=True):
    return mlp.init_mlp([2, 3, 2], np.random.default_rng(0), batchnorm=batchnorm)


def _split():
    return tuple(data.spirals(8, 0.1, 0))


def _mlp_backward():
    scores, cache, _ = mlp.mlp_forward(_x((4, 2)), _net(), "relu")
    return {"dout": _x(scores.shape, 1), "cache": cache}


def _act_backward(forward, backward):
    def make():
        out, cache = forward(_x((2, 3)))
        return {"dout": _x(out.shape, 1), "cache": cache}

    return case(backward, make=make, spoil=("dout",))


def _sgd():
    params = _net()
    grads = [{k: _x(v.shape, 1) for k, v in layer.items()} for layer in params]
    return {
        "params": params,
        "grads": grads,
        "velocity": None,
        "lr": 0.1,
        "momentum": 0.9,
    }


PAIRS = [
    (activations.min0_forward, activations.min0_backward),
    (activations.scaled_linear_forward, activations.scaled_linear_backward),
    (activations.shifted_relu_forward, activations.shifted_relu_backward),
    (activations.sigmoid_forward, activations.sigmoid_backward),
    (activations.sign_forward, activations.sign_backward),
]

CASES = [
    *(
        case(f, x=_x((2, 3)))
        for f, _ in PAIRS
        if f is not activations.shifted_relu_forward
    ),
    case(activations.shifted_relu_forward, x=_x((2, 3)), shift=0.5),
    *(_act_backward(f, b) for f, b in PAIRS),
    case(activations.get_activation, aliases={"name": ("activation",)}, name="relu"),
    case(
        activations.evaluate, aliases={"name": ("activation",)}, name="sigmoid", x=_x(5)
    ),
    case(
        activations.derivative, aliases={"name": ("activation",)}, name="min0", x=_x(5)
    ),
    case(init.kaiming_normal, fan_in=3, fan_out=2, rng=np.random.default_rng(0)),
    case(data.spirals, n=8, noise=0.1, seed=0, turns=1.0),
    case(data.mahalanobis, X=_x((6, 2)), points=_x((3, 2), 1)),
    case(data.check_split, make=lambda: {"data": _split(), "d_in": 2, "classes": 2}),
    case(
        mlp.check_labels,
        spoil=("y", "classes"),
        y=np.array([0, 1, 1]),
        shape=(3,),
        classes=2,
    ),
    case(
        mlp.mlp_forward,
        make=lambda: {
            "X": _x((4, 2)),
            "params": _net(),
            "activation": "relu",
            "momentum": 0.9,
        },
    ),
    case(mlp.mlp_backward, make=_mlp_backward, spoil=("dout",)),
    case(
        mlp.predict_classes,
        make=lambda: {
            "X": _x((4, 2)),
            "params": _net(False),
            "activation": "sigmoid",
        },
    ),
    case(mlp.softmax_cross_entropy, scores=_x((4, 3)), y=np.array([0, 2, 1, 1])),
    case(training.check_momentum, momentum=0.9),
    case(training.sgd_momentum, make=_sgd),
    case(
        training.fit,
        make=lambda: {
            "params": _net(),
            "data": _split(),
            "activation": "relu",
            "steps": 2,
            "lr": 0.1,
            "momentum": 0.9,
            "eval_every": 1,
        },
    ),
]
EXEMPT = {
    "nnlab.init.zeros": "takes its shape as *args, which keyword cases cannot "
    "spoil; tests/test_init.py checks bools, floats and negative sizes",
    "nnlab.init.check_rng": "its one argument is a Generator, which the harness "
    "does not spoil; tests/test_init.py checks an int in its place",
    "nnlab.mlp.check_params": f"params is {FLAT}; called by every mlp entry point",
    "nnlab.mlp.init_mlp": f"sizes is {FLAT}; tests/test_mlp.py checks its refusals",
}
