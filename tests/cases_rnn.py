"""Valid calls of `nnlab.rnn` for the bad-input test (see test_bad_input)."""

import numpy as np

from badinput import case
from nnlab import rnn


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _step():
    # (N, D, Hd) = (2, 3, 4): no two axes alike, so a swapped shape is refused
    return {
        "x": _x((2, 3)),
        "h_prev": _x((2, 4), 1),
        "Wx": _x((3, 4), 2),
        "Wh": _x((4, 4), 3),
        "b": _x(4, 4),
    }


def _step_backward():
    h, cache = rnn.rnn_step_forward(**_step())
    return {"dout": _x(h.shape, 5), "cache": cache}


CASES = [
    case(rnn.rnn_step_forward, make=_step),
    case(rnn.rnn_step_backward, make=_step_backward, spoil=("dout",)),
]
EXEMPT = {}
