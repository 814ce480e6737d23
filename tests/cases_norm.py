"""Valid calls of `nnlab.norm` for the bad-input test (see test_bad_input).

A `RunningStats` argument is never spoilt: the harness would build an empty
one with ``type(value)()``, which a NamedTuple refuses before the call.
"""

import numpy as np

from badinput import case
from nnlab import norm
from nnlab.norm import RunningStats


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _running():
    return RunningStats(_x(3, 5), 0.5 + _x(3, 6) ** 2)


def _bn_backward():
    _, cache, _ = norm.batchnorm_forward(_x((4, 3)), _x(3, 1), _x(3, 2))
    return {"dout": _x((4, 3), 3), "cache": cache}


def _bn_eval():
    return {
        "x": _x((4, 3)),
        "gamma": _x(3, 1),
        "beta": _x(3, 2),
        "eps": 1e-5,
        "momentum": 0.9,
        "running": _running(),
        "train": False,
    }


def _update():
    return {
        "running": _running(),
        "mean": _x(3, 7),
        "var": _x(3, 8) ** 2,
        "momentum": 0.9,
    }


CASES = [
    case(norm.shifted_moments, x=_x((5, 3)), axis=0),
    case(norm.update_running, make=_update, spoil=("mean", "var", "momentum")),
    case(norm.check_affine, gamma=_x(3, 1), beta=_x(3, 2), D=3),
    case(norm.check_momentum, momentum=0.9),
    case(
        norm.check_running, make=lambda: {"running": _running(), "D": 3}, spoil=("D",)
    ),
    case(
        norm.batchnorm_forward,
        x=_x((4, 3)),
        gamma=_x(3, 1),
        beta=_x(3, 2),
        eps=1e-5,
        momentum=0.9,
        running=None,
        train=True,
    ),
    case(
        norm.batchnorm_forward,
        make=_bn_eval,
        spoil=("x", "gamma", "beta", "eps", "momentum"),
        id="nnlab.norm.batchnorm_forward (eval)",
    ),
    case(norm.batchnorm_backward, make=_bn_backward, spoil=("dout",)),
]
EXEMPT = {}
