"""Valid calls of `nnlab.layers` for the bad-input test (see test_bad_input)."""

import numpy as np

from badinput import case
from nnlab import layers


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _backward(forward, **inputs):
    """A `make` for a backward pass: run the forward, spoil only dout."""

    def make():
        fresh = {
            k: v.copy() if isinstance(v, np.ndarray) else v for k, v in inputs.items()
        }
        out, cache = forward(**fresh)
        return {"dout": _x(out.shape, 9), "cache": cache}

    return make


CASES = [
    case(layers.conv_output_size, size=32, kernel=3, stride=1, pad=1, dilation=1),
    case(
        layers.conv2d_forward,
        x=_x((2, 5, 5, 3)),
        w=_x((3, 3, 3, 4), 1),
        b=_x(4, 2),
        stride=1,
        pad=1,
        dilation=1,
    ),
    case(
        layers.conv2d_backward,
        make=_backward(
            layers.conv2d_forward, x=_x((2, 5, 5, 3)), w=_x((3, 3, 3, 4), 1), b=_x(4)
        ),
        spoil=("dout",),
    ),
    case(
        layers.conv2d_backward,
        make=_backward(
            layers.conv2d_forward,
            x=_x((1, 7, 6, 10)),
            w=_x((3, 3, 10, 2), 1),
            b=_x(2),
            dilation=2,
        ),
        spoil=("dout",),
        id="nnlab.layers.conv2d_backward (C = 10, dilation 2)",
    ),
    case(layers.maxpool_forward, x=_x((2, 6, 5, 3)), size=2, stride=2),
    case(
        layers.maxpool_backward,
        make=_backward(layers.maxpool_forward, x=_x((2, 6, 5, 3))),
        spoil=("dout",),
    ),
    case(layers.relu_forward, x=_x((2, 4, 4, 3))),
    case(
        layers.relu_backward,
        make=_backward(layers.relu_forward, x=_x((2, 4, 4, 3))),
        spoil=("dout",),
    ),
    case(layers.linear_forward, x=_x((3, 4)), w=_x((4, 5), 1), b=_x(5, 2)),
    case(
        layers.linear_backward,
        make=_backward(layers.linear_forward, x=_x((3, 4)), w=_x((4, 5)), b=_x(5)),
        spoil=("dout",),
    ),
]
EXEMPT = {}
