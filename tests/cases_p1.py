"""Valid calls of `nnlab.p1_cnn` for the bad-input test (see test_bad_input).

The harness spoils arrays, integers and option strings; a list of layer
specs or an ``(H, W, C)`` tuple it leaves alone. The functions whose only
inputs are those are exempt here and fed bad lists and shapes, every one of
them, in tests/test_p1_cnn_specs.py instead.
"""

import numpy as np

from badinput import case
from nnlab.p1_cnn import network, receptive, specs, summary
from nnlab.p1_cnn.specs import Conv, MaxPool, ReLU

NET = [Conv(2, 3), ReLU(), MaxPool(), Conv(3, 1)]
SHAPE = (6, 6, 2)


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _forward():
    return {
        "x": _x((2, *SHAPE)),
        "layers": NET,
        "params": network.init_network(NET, SHAPE, seed=1),
        "relu": True,
        "pool": "max",
    }


def _backward():
    out, cache = network.network_forward(**_forward())
    return {"dout": _x(out.shape, 2), "cache": cache}


def _map():
    m = np.abs(_x((5, 6), 3))
    return {"m": m / m.sum()}


_NO_SPOILABLE = (
    "takes only a layer-spec list and/or an (H, W, C) tuple, which the "
    "harness does not spoil; bad lists and shapes are fed to it in "
    "tests/test_p1_cnn_specs.py"
)
_NO_ARGUMENTS = "takes no arguments: builds the fixed Problem 1 network(s)"

CASES = [
    case(specs.layer_window, spec=Conv(2, 3), position=0),
    case(specs.replace_pools, layers=NET, kernel=3, pad=1, in_channels=2),
    case(summary.layer_table, layers=NET, input_shape=SHAPE, pool_flops="output"),
    case(network.init_network, layers=NET, input_shape=SHAPE, seed=0),
    case(network.network_forward, make=_forward),
    case(network.network_backward, make=_backward, spoil=("dout",)),
    case(network.measure, layers=NET, input_shape=SHAPE, seed=0),
    case(
        receptive.geometric_field,
        layers=NET,
        input_shape=SHAPE,
        layer=3,
        loc=(1, 2),
    ),
    case(
        receptive.gradient_fields,
        layers=NET,
        input_shape=SHAPE,
        layer=2,
        locs=[(0, 0), (1, 2)],
        pool="avg",
        seed=0,
    ),
    case(receptive.check_fields, layers=NET, input_shape=SHAPE, seed=0),
    case(
        receptive.effective_fields,
        layers=NET,
        input_shape=SHAPE,
        targets=[1, 3],
        n_images=2,
        seed=0,
    ),
    case(receptive.spread, make=_map),
]
EXEMPT = {
    "nnlab.p1_cnn.specs.check_layers": _NO_SPOILABLE,
    "nnlab.p1_cnn.specs.check_input_shape": _NO_SPOILABLE,
    "nnlab.p1_cnn.specs.output_shapes": _NO_SPOILABLE,
    "nnlab.p1_cnn.specs.field_masks": _NO_SPOILABLE,
    "nnlab.p1_cnn.receptive.block_outputs": _NO_SPOILABLE,
    "nnlab.p1_cnn.specs.problem1_layers": _NO_ARGUMENTS,
    "nnlab.p1_cnn.specs.problem1_variants": _NO_ARGUMENTS,
}
