"""Valid calls of `nnlab.p6_rnn2d` for the bad-input test (see test_bad_input)."""

import numpy as np

from badinput import case
from nnlab.p6_rnn2d import costs, fields, rnn2d, timing


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _forward(four_way):
    # (N, H, W, C) = (2, 3, 4, 2) and Hd = 5: a transposed array is refused
    return {"x": _x((2, 3, 4, 2)), "params": rnn2d.init_rnn2d(2, 5, four_way, 1)}


def _backward(four_way):
    forward, _ = rnn2d.forward_backward_pair(four_way)
    out, cache = forward(**_forward(four_way))
    return {"dout": _x(out.shape, 2), "cache": cache}


def _gradient_map():
    return {
        "x": _x((1, 3, 4, 2)),
        "params": rnn2d.init_rnn2d(2, 3, rng=1),
        "i": 1,
        "j": 2,
    }


def _conv_stack_map():
    ws = [_x((3, 3, 2, 2), seed) for seed in (1, 2)]
    return {"x": _x((1, 4, 5, 2)), "weights": ws, "i": 1, "j": 3}


CASES = [
    case(costs.rnn2d_flops, N=1, H=3, W=4, C=2, Hd=3),
    case(costs.rnn2d_flops, N=1, H=3, W=4, C=2, Hd=1.5, id="rnn2d_flops(Hd=1.5)"),
    case(costs.rnn2d_nonzero_flops, N=1, H=3, W=4, C=2, Hd=3, four_way=True),
    case(costs.conv_flops, N=1, H=3, W=4, C=2, F=3, K=3),
    case(costs.conv_nonzero_flops, N=1, H=3, W=4, C=2, F=3, K=3),
    case(costs.flop_ratio, H=4, W=5, C=6, count="nonzero"),
    case(costs.equal_flop_conv_layers, H=4, W=5, C=6),
    case(costs.measured_flops, N=1, H=2, W=3, C=2, Hd=2, seed=0),
    case(fields.input_gradient_map, make=_gradient_map),
    case(fields.conv_stack_gradient_map, make=_conv_stack_map),
    case(rnn2d.param_shapes, C=3, Hd=4, four_way=True),
    case(rnn2d.init_rnn2d, C=3, Hd=4, rng=0),
    case(rnn2d.rnn2d_forward, make=lambda: _forward(False)),
    case(rnn2d.rnn2d_backward, make=lambda: _backward(False), spoil=("dout",)),
    case(rnn2d.renet_forward, make=lambda: _forward(True)),
    case(rnn2d.renet_backward, make=lambda: _backward(True), spoil=("dout",)),
    case(timing.time_forward_backward, N=1, H=2, W=2, C=1, repeats=1, seed=0),
]
EXEMPT = {
    "nnlab.p6_rnn2d.fields.cnn_full_field": (
        "takes only a layer-spec list and an (H, W, C) tuple, which the harness "
        "does not spoil; bad ones are fed to it in tests/test_p6_rnn2d.py"
    ),
    "nnlab.p6_rnn2d.rnn2d.forward_backward_pair": (
        "takes only the four_way flag, whose truthiness picks one of two "
        "function pairs; no value of it is invalid"
    ),
}
