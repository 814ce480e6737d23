"""Valid calls of `nnlab.layers` for the bad-input test (see test_bad_input)."""

import numpy as np

from badinput import case
from nnlab import layers


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _conv_backward():
    out, cache = layers.conv2d_forward(_x((2, 5, 5, 3)), _x((3, 3, 3, 4), 1), _x(4))
    return {"dout": _x(out.shape, 2), "cache": cache}


CASES = [
    case(layers.conv_output_size, size=32, kernel=3, stride=1, pad=1),
    case(
        layers.conv2d_forward,
        x=_x((2, 5, 5, 3)),
        w=_x((3, 3, 3, 4), 1),
        b=_x(4, 2),
        stride=1,
        pad=1,
    ),
    case(layers.conv2d_backward, make=_conv_backward, spoil=("dout",)),
]
EXEMPT = {}
