"""Layer specs, their validation, the strided-pool variants, output shapes
and exact receptive fields, checked on hand-worked cases."""

import numpy as np
import pytest

from nnlab.p1_cnn.network import init_network, measure
from nnlab.p1_cnn.receptive import (
    block_outputs,
    check_fields,
    effective_fields,
    geometric_field,
    gradient_fields,
)
from nnlab.p1_cnn.specs import (
    Conv,
    MaxPool,
    check_input_shape,
    check_layers,
    field_masks,
    layer_window,
    output_shapes,
    problem1_layers,
    replace_pools,
)
from nnlab.p1_cnn.summary import layer_table


def test_strided_fields_have_gaps():
    rows, _ = field_masks([Conv(1, 1, stride=2), Conv(1, 3, pad=0)], (6, 6, 1))[1]
    np.testing.assert_array_equal(rows[0], [1, 0, 1, 0, 1, 0])


def test_replace_pools_keeps_channels_and_stride():
    net = replace_pools(problem1_layers(), kernel=3, pad=1, in_channels=3)
    pools = [s for s in problem1_layers() if isinstance(s, MaxPool)]
    convs = [s for s in net if isinstance(s, Conv) and s.stride == 2]
    assert len(convs) == len(pools) == 5
    assert [c.filters for c in convs] == [24, 48, 64, 96, 128]
    assert all(c.kernel == 3 and c.padding == 1 for c in convs)


def test_bad_specs_are_rejected_with_what_was_received():
    with pytest.raises(ValueError, match=r"unknown layer spec 'pool' at position 1"):
        output_shapes([Conv(2, 3), "pool"], (8, 8, 1))
    with pytest.raises(
        TypeError, match=r"Conv filters must be an integer, got float 2.5"
    ):
        Conv(2.5, 3)
    with pytest.raises(ValueError, match=r"Conv stride must be an integer >= 1, got 0"):
        Conv(2, 3, stride=0)
    with pytest.raises(
        TypeError, match=r"MaxPool size must be an integer, got str '2'"
    ):
        MaxPool("2")
    with pytest.raises(
        ValueError,
        match=r"layer 0 \(Conv F=2, 5x5, pad 0\): window 5x5 is larger than "
        r"its padded input 4x4 \(input \(4, 4, 1\)\)",
    ):
        output_shapes([Conv(2, 5, pad=0)], (4, 4, 1))
    with pytest.raises(
        ValueError, match=r"input_shape must be \(H, W, C\), got \(32, 32\)"
    ):
        output_shapes([Conv(2, 3)], (32, 32))


# The functions whose only inputs are a spec list and a shape tuple, which
# the bad-input harness cannot spoil (it draws bad arrays, ints and strings):
# fed bad lists and shapes here instead.
TAKES_LAYERS = [
    lambda layers: output_shapes(layers, (8, 8, 1)),
    lambda layers: field_masks(layers, (8, 8, 1)),
    lambda layers: layer_table(layers, (8, 8, 1)),
    lambda layers: init_network(layers, (8, 8, 1)),
    lambda layers: measure(layers, (8, 8, 1)),
    lambda layers: check_fields(layers, (8, 8, 1)),
    block_outputs,
    check_layers,
    lambda layers: replace_pools(layers, 3, 1, 1),
]
TAKES_SHAPE = [
    check_input_shape,
    lambda shape: output_shapes([Conv(2, 3)], shape),
    lambda shape: field_masks([Conv(2, 3)], shape),
    lambda shape: layer_table([Conv(2, 3)], shape),
    lambda shape: init_network([Conv(2, 3)], shape),
    lambda shape: measure([Conv(2, 3)], shape),
    lambda shape: check_fields([Conv(2, 3)], shape),
    lambda shape: geometric_field([Conv(2, 3)], shape, 0, (0, 0)),
    lambda shape: gradient_fields([Conv(2, 3)], shape, 0, [(0, 0)]),
    lambda shape: effective_fields([Conv(2, 3)], shape, [0], 2),
]


@pytest.mark.parametrize("func", TAKES_LAYERS)
@pytest.mark.parametrize(
    "layers, error, message",
    [
        (None, TypeError, "layers must be a list of Conv, ReLU and MaxPool specs"),
        (Conv(2, 3), TypeError, "layers must be a list .* got Conv"),
        ([Conv(2, 3), "pool"], ValueError, "unknown layer spec 'pool' at position 1"),
        ([np.zeros(3)], ValueError, "unknown layer spec .* at position 0"),
    ],
)
def test_every_function_taking_layers_refuses_a_bad_list(func, layers, error, message):
    with pytest.raises(error, match=message):
        func(layers)


@pytest.mark.parametrize("func", TAKES_SHAPE)
@pytest.mark.parametrize(
    "shape, error, message",
    [
        (None, TypeError, r"input_shape must be a tuple \(H, W, C\), got NoneType"),
        (np.array([8, 8, 1]), TypeError, "input_shape must be a tuple"),
        ((8, 8), ValueError, r"input_shape must be \(H, W, C\), got \(8, 8\)"),
        ((8, 8, 0), ValueError, "input_shape C must be an integer >= 1, got 0"),
        ((8, 8.0, 1), TypeError, "input_shape W must be an integer, got float"),
        ((8, True, 1), TypeError, "input_shape W must be an integer, got bool"),
    ],
)
def test_every_function_taking_a_shape_refuses_a_bad_one(func, shape, error, message):
    with pytest.raises(error, match=message):
        func(shape)


def test_layer_window_and_replace_pools_check_their_integers():
    assert layer_window(MaxPool(3, 2), 0) == (3, 2, 0)
    with pytest.raises(ValueError, match="position must be an integer >= 0, got -1"):
        layer_window(Conv(2, 3), -1)
    with pytest.raises(ValueError, match="in_channels must be an integer >= 1, got 0"):
        replace_pools([Conv(2, 3)], 3, 1, 0)
    with pytest.raises(TypeError, match="kernel must be an integer, got float 2.5"):
        replace_pools([MaxPool()], 2.5, 0, 3)
