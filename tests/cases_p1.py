"""Valid calls of `nnlab.p1_cnn` for the bad-input test (see test_bad_input).

The harness spoils arrays, integers and option strings; a list of layer
specs or an ``(H, W, C)`` tuple it leaves alone. The functions whose only
inputs are those are exempt here and fed bad lists and shapes, every one of
them, in tests/test_p1_cnn_specs.py instead.
"""

import numpy as np

from badinput import case
from nnlab.p1_cnn import erf, network, presets, receptive, summary
from nnlab.p1_cnn.specs import Conv, MaxPool, ReLU

NET = [Conv(2, 3, pad=1), ReLU(), MaxPool(2), Conv(3, 1, pad=0)]
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
    case(presets.replace_pools, layers=NET, kernel=3, pad=1, in_channels=2),
    case(presets.preset, name="VGG-16"),
    case(
        summary.layer_cost,
        spec=Conv(2, 3, pad=1),
        shape_in=SHAPE,
        row=1,
        pool_flops="output",
    ),
    case(receptive.check_row, layers=NET, row=2, name="row"),
    case(summary.layer_table, layers=NET, input_shape=SHAPE, pool_flops="output"),
    case(network.init_network, layers=NET, input_shape=SHAPE, seed=0),
    case(network.network_forward, make=_forward),
    case(network.network_backward, make=_backward, spoil=("dout",)),
    case(network.measure, layers=NET, input_shape=SHAPE, seed=0),
    case(
        receptive.geometric_field,
        layers=NET,
        input_shape=SHAPE,
        row=4,
        loc=(1, 2),
    ),
    case(
        receptive.gradient_fields,
        layers=NET,
        input_shape=SHAPE,
        row=3,
        locs=[(0, 0), (1, 2)],
        pool="avg",
        seed=0,
    ),
    case(
        receptive.check_fields, layers=NET, input_shape=SHAPE, seed=0, max_bytes=1 << 20
    ),
    case(
        erf.effective_fields,
        layers=NET,
        input_shape=SHAPE,
        targets=[2, 4],
        n_images=2,
        seed=0,
    ),
    case(erf.spread, make=_map),
]
_SPEC_ARGS = (
    "takes specs, validated when built (tests/test_p1_cnn_specs.py, "
    "test_specs_validate_at_construction), or ints and pairs checked there"
)
EXEMPT = {
    "nnlab.p1_cnn.geometry.check_layers": _NO_SPOILABLE,
    "nnlab.p1_cnn.geometry.check_input_shape": _NO_SPOILABLE,
    "nnlab.p1_cnn.geometry.output_shapes": _NO_SPOILABLE,
    "nnlab.p1_cnn.geometry.field_masks": _NO_SPOILABLE,
    "nnlab.p1_cnn.geometry.fields": _NO_SPOILABLE,
    "nnlab.p1_cnn.geometry.steps": _NO_SPOILABLE,
    "nnlab.p1_cnn.geometry.step": _SPEC_ARGS,
    "nnlab.p1_cnn.geometry.windows": _SPEC_ARGS,
    "nnlab.p1_cnn.specs.pair": _SPEC_ARGS,
    "nnlab.p1_cnn.specs.padding": _SPEC_ARGS,
    "nnlab.p1_cnn.network.check_runnable": _NO_SPOILABLE,
    "nnlab.p1_cnn.receptive.block_outputs": _NO_SPOILABLE,
    "nnlab.p1_cnn.receptive.one_channel": _NO_SPOILABLE,
    "nnlab.p1_cnn.receptive.probe_bytes": _NO_SPOILABLE,
    "nnlab.p1_cnn.presets.strided_convs": _NO_SPOILABLE,
    "nnlab.p1_cnn.summary.read_shares": _NO_SPOILABLE,
    "nnlab.p1_cnn.presets.basic_block": _SPEC_ARGS,
    "nnlab.p1_cnn.presets.problem1_layers": _NO_ARGUMENTS,
    "nnlab.p1_cnn.presets.problem1_variants": _NO_ARGUMENTS,
    "nnlab.p1_cnn.presets.presets": _NO_ARGUMENTS,
    "nnlab.p1_cnn.presets.vgg16": _NO_ARGUMENTS,
    "nnlab.p1_cnn.presets.alexnet": _NO_ARGUMENTS,
    "nnlab.p1_cnn.presets.alexnet_v2_features": _NO_ARGUMENTS,
    "nnlab.p1_cnn.presets.resnet18": _NO_ARGUMENTS,
    "nnlab.p1_cnn.presets.dilated_stack": _NO_ARGUMENTS,
}
