"""Layer specs (PyTorch names and defaults), their validation, output shapes
and exact receptive fields, checked on hand-worked cases."""

import numpy as np
import pytest

from nnlab.p1_cnn.erf import effective_fields
from nnlab.p1_cnn.geometry import (
    HWC,
    check_input_shape,
    check_layers,
    field_masks,
    output_shapes,
)
from nnlab.p1_cnn.network import init_network, measure
from nnlab.p1_cnn.presets import (
    problem1_layers,
    replace_pools,
    resnet18,
    strided_convs,
)
from nnlab.p1_cnn.receptive import (
    block_outputs,
    check_fields,
    geometric_field,
    gradient_fields,
)
from nnlab.p1_cnn.specs import (
    AvgPool,
    BatchNorm,
    Conv,
    Flatten,
    GlobalAvgPool,
    Linear,
    MaxPool,
    ReLU,
    Residual,
)
from nnlab.p1_cnn.summary import layer_table, read_shares


def test_defaults_are_pytorchs():
    # nn.Conv2d(3, 8, 3) on 32x32 gives 30x30 (no padding by default);
    # nn.MaxPool2d(3) has stride 3: 32 -> floor((32 - 3) / 3) + 1 = 10.
    assert output_shapes([Conv(8, 3)], (32, 32, 3)) == [(30, 30, 8)]
    assert output_shapes([MaxPool(3)], (32, 32, 3)) == [(10, 10, 3)]
    assert output_shapes([AvgPool(2)], (32, 32, 3)) == [(16, 16, 3)]


def test_resnet_stem_pool_with_padding_gives_56():
    # torchvision's stem: conv 7x7/2 pad 3 (224 -> 112), MaxPool2d(3, 2,
    # padding=1): floor((112 + 2 - 3) / 2) + 1 = 56, not 55.
    shapes = output_shapes(resnet18()[:4], (224, 224, 3))
    assert shapes[0] == (112, 112, 64) and shapes[3] == (56, 56, 64)
    assert output_shapes([MaxPool(3, 2)], (112, 112, 1)) == [(55, 55, 1)]


def test_ceil_mode_follows_torch():
    # torch: out = ceil((n + 2p - k) / s) + 1, minus one if the last window
    # would start in the right padding. n=6, k=2, s=2: 3 either way; n=5:
    # floor 2, ceil 3 (the last window holds only pixel 4).
    assert output_shapes([MaxPool(2, ceil_mode=True)], (5, 5, 1)) == [(3, 3, 1)]
    assert output_shapes([MaxPool(2)], (5, 5, 1)) == [(2, 2, 1)]
    rows, _ = field_masks([MaxPool(2, ceil_mode=True)], (5, 5, 1))[0]
    np.testing.assert_array_equal(rows[2], [0, 0, 0, 0, 1])
    # n=4, k=3, s=2, p=1: ceil gives 3, but window 2 starts at 4 + 1 - 1 = 4
    # >= n + p_left = 5? no: starts at 2*2 - 1 = 3 < 5, kept.
    assert output_shapes([MaxPool(3, 2, pad=1, ceil_mode=True)], (4, 4, 1))[0][0] == 3


def test_dilated_stack_field_is_13():
    # Fields of three 3x3 convolutions with dilation 1, 2, 3:
    # 1 + 2*1 + 2*2 + 2*3 = 13; each row's centre output sees a 13-wide span
    # with gaps filled (1 + 2 + 3 taps overlap to a solid interval).
    net = [Conv(1, 3, pad=d, dilation=d) for d in (1, 2, 3)]
    table = layer_table(net, (32, 32, 1))
    assert [r.rf for r in table.rows] == [(3, 3), (7, 7), (13, 13)]
    rows, _ = field_masks(net, (32, 32, 1))[2]
    assert np.flatnonzero(rows[16]).tolist() == list(range(10, 23))


def test_a_dilated_conv_alone_sees_every_other_pixel():
    rows, _ = field_masks([Conv(1, 3, dilation=2)], (7, 7, 1))[0]
    np.testing.assert_array_equal(rows[0], [1, 0, 1, 0, 1, 0, 0])


def test_non_square_kernel_and_asymmetric_padding():
    # 3x5 kernel, no padding: 10x10 -> 8x6; pad (top, bottom, left, right)
    # = (1, 0, 2, 1): H = 10 + 1 - 3 + 1 = 9, W = 10 + 3 - 5 + 1 = 9.
    assert output_shapes([Conv(2, (3, 5))], (10, 10, 1)) == [(8, 6, 2)]
    assert output_shapes([Conv(2, (3, 5), pad=(1, 0, 2, 1))], (10, 10, 1)) == [
        (9, 9, 2)
    ]
    table = layer_table([Conv(2, (3, 5), pad=(1, 0, 2, 1))], (10, 10, 1))
    assert table.rows[0].rf == (3, 5) and table.rows[0].pad == (1, 2)


def test_tensorflow_same_puts_the_extra_pixel_bottom_right():
    # n=224, k=2... TF "same" with k=4, s=2 on 9: out ceil(9/2) = 5, total
    # pad (5-1)*2 + 4 - 9 = 3: 1 before, 2 after.
    table = layer_table([Conv(1, 4, stride=2, pad="same")], (9, 9, 1))
    assert table.rows[0].shape == (5, 5, 1) and table.rows[0].pad == (1, 1)
    rows, _ = field_masks([Conv(1, 4, stride=2, pad="same")], (9, 9, 1))[0]
    np.testing.assert_array_equal(rows[4], [0, 0, 0, 0, 0, 0, 0, 1, 1])
    # stride 1, odd kernel: symmetric; "valid" is no padding.
    assert output_shapes([Conv(1, 3, pad="same")], (8, 8, 1)) == [(8, 8, 1)]
    assert output_shapes([Conv(1, 3, pad="valid")], (8, 8, 1)) == [(6, 6, 1)]


def test_grouped_and_depthwise_convolution_counts():
    # groups=4 on 8 channels, 8 filters, 3x3: each filter sees 2 channels:
    # (3*3*2 + 1) * 8 = 152 parameters; depthwise (groups = C = 8): 80.
    row = layer_table([Conv(8, 3, pad=1, groups=4)], (5, 5, 8)).rows[0]
    assert row.params == 152 and row.macs == 3 * 3 * 2 * 8 * 25
    assert layer_table([Conv(8, 3, groups=8)], (5, 5, 8)).rows[0].params == 80
    with pytest.raises(
        ValueError, match=r"input channels 6 are not divisible by groups 4"
    ):
        output_shapes([Conv(8, 3, groups=4)], (5, 5, 6))


def test_classifier_after_global_pooling_has_650_parameters():
    # conv 3x3 (16) -> BN -> ReLU -> GAP -> Linear(10) on 32x32x3:
    # (27 + 1) * 16 = 448, BN 2 * 16 = 32 (+ 32 running buffers),
    # (16 + 1) * 10 = 170; total 650 trainable.
    net = [Conv(16, 3, pad=1), BatchNorm(), ReLU(), GlobalAvgPool(), Linear(10)]
    table = layer_table(net, (32, 32, 3))
    assert [r.params for r in table.rows] == [448, 32, 0, 0, 170]
    assert table.params == 650 and table.buffers == 32
    assert table.rows[-1].shape == (1, 1, 10)
    assert table.rows[3].full  # every GAP output averages every position


def test_flatten_then_linear_counts_every_position():
    table = layer_table([Conv(4, 3), Flatten(), Linear(5)], (6, 6, 1))
    assert table.rows[1].shape == (1, 1, 64)
    assert table.rows[2].params == 64 * 5 + 5
    with pytest.raises(
        ValueError, match=r"row 2 \(Linear 5\) needs a 1x1 map, got 4x4"
    ):
        layer_table([Conv(4, 3), Linear(5)], (6, 6, 1))


def test_residual_field_is_the_union_of_its_paths():
    # Body: two 3x3 convs (field 5); identity shortcut (field 1): union 5.
    # On a 5-pixel input, body conv pad 0 would change the shape: refused.
    block = Residual([Conv(1, 3, pad=1), Conv(1, 3, pad=1)])
    table = layer_table([block], (9, 9, 1))
    assert table.rows[0].rf == (5, 5) and table.rows[0].shape == (9, 9, 1)
    rows, _ = field_masks([block], (9, 9, 1))[0]
    assert np.flatnonzero(rows[0]).tolist() == [0, 1, 2]
    # A shortcut that reaches further than the body widens the union.
    wide = Residual([Conv(1, 1)], [Conv(1, 5, pad=2)])
    assert layer_table([wide], (9, 9, 1)).rows[0].rf == (5, 5)
    with pytest.raises(
        ValueError, match=r"the body gives \(7, 7, 1\) but the shortcut"
    ):
        output_shapes([Residual([Conv(1, 3)])], (9, 9, 1))
    with pytest.raises(ValueError, match=r"body jump 2 and shortcut jump 1 differ"):
        output_shapes(
            [Residual([Conv(1, 1, stride=2)], [MaxPool(1, 1, ceil_mode=True)])],
            (1, 1, 1),
        )


def test_strided_convs_drop_pools_and_keep_parameters():
    # The all-convolutional reading of (c): 223,496 parameters as before,
    # 13,908,480 FLOPs (26,952,192 with pools), last conv the first full.
    net = strided_convs(problem1_layers())
    assert not any(isinstance(s, MaxPool) for s in net)
    table = layer_table(net, (32, 32, 3))
    assert table.params == 223_496 and table.flops == 13_908_480
    assert table.first_full is table.rows[-2]  # Conv F=128, then its ReLU
    with pytest.raises(
        ValueError, match=r"row 1 \(Pool 2x2, stride 2\) has no stride-1"
    ):
        strided_convs([MaxPool(2)])


def test_strided_fields_have_gaps():
    rows, _ = field_masks([Conv(1, 1, stride=2), Conv(1, 3)], (6, 6, 1))[1]
    np.testing.assert_array_equal(rows[0], [1, 0, 1, 0, 1, 0])


def test_read_shares_count_the_input_positions_a_window_reads():
    # Hand counts: a 1x1 window at stride 2 reads rows 0, 2, 4, 6 of 8 (1/4
    # of an 8x8 map); a 2-wide window at stride 3 reads 0, 1, 3, 4, 6, 7 of 8
    # per axis (36 of 64); on 7x7 a 1x1 at stride 2 reads 4 x 4 of 49.
    assert read_shares([Conv(1, 1, stride=2)], (8, 8, 1)) == [0.25]
    assert read_shares([MaxPool(2, 3)], (8, 8, 1)) == [36 / 64]
    assert read_shares([Conv(1, 1, stride=2)], (7, 7, 1)) == [16 / 49]
    assert read_shares([Conv(1, 3, stride=2, pad=1), ReLU()], (8, 8, 1)) == [1, 1]
    # The all-convolutional Problem 1 network: only its 1x1 conv (row 11)
    # skips inputs.
    shares = read_shares(strided_convs(problem1_layers()), (32, 32, 3))
    assert [i + 1 for i, s in enumerate(shares) if s < 1] == [11]
    assert shares[10] == 0.25


def test_replace_pools_keeps_channels_and_stride():
    net = replace_pools(problem1_layers(), kernel=3, pad=1, in_channels=3)
    convs = [s for s in net if isinstance(s, Conv) and s.stride_hw == (2, 2)]
    assert [c.filters for c in convs] == [24, 48, 64, 96, 128]
    assert all(c.kernel == 3 and c.pads == (1, 1, 1, 1) for c in convs)


def test_channels_first_shape_is_refused_unless_intended():
    with pytest.raises(
        ValueError,
        match=r"input_shape \(3, 32, 32\) looks channels-first \(C, H, W\); nnlab "
        r"takes \(H, W, C\), e\.g\. \(32, 32, 3\)\. .* pass HWC\(3, 32, 32\)",
    ):
        layer_table([Conv(8, 3)], (3, 32, 32))
    assert check_input_shape(HWC(3, 32, 32)) == (3, 32, 32)
    assert layer_table([Conv(8, 1)], HWC(3, 32, 32)).rows[0].shape == (3, 32, 8)
    assert check_input_shape((32, 32, 3)) == (32, 32, 3)
    assert check_input_shape((3, 3, 3)) == (3, 3, 3)  # not smaller than the rest


@pytest.mark.parametrize(
    "make, error, message",
    [
        (
            lambda: Conv(2.5, 3),
            TypeError,
            r"Conv filters must be an integer, got float",
        ),
        (lambda: Conv(2, 0), ValueError, r"Conv kernel must be an integer >= 1, got 0"),
        (
            lambda: Conv(2, (3, 3, 3)),
            ValueError,
            r"Conv kernel must be an int or a pair",
        ),
        (
            lambda: Conv(2, 3, stride=0),
            ValueError,
            r"Conv stride must be an integer >= 1",
        ),
        (
            lambda: Conv(2, 3, dilation=0),
            ValueError,
            r"Conv dilation must be an integer >= 1",
        ),
        (
            lambda: Conv(2, 3, groups=0),
            ValueError,
            r"Conv groups must be an integer >= 1",
        ),
        (
            lambda: Conv(6, 3, groups=4),
            ValueError,
            r"Conv filters \(6\) must be divisible by groups \(4\)",
        ),
        (
            lambda: Conv(2, 3, pad="full"),
            ValueError,
            r"Conv pad must be an int, a pair .* 'same' .* or 'valid'; got 'full'",
        ),
        (
            lambda: Conv(2, 3, pad=(1, 2, 3)),
            ValueError,
            r"Conv pad must be .*; got \(1, 2, 3\)",
        ),
        (
            lambda: Conv(2, 3, pad=-1),
            ValueError,
            r"Conv pad must be an integer >= 0, got -1",
        ),
        (lambda: Conv(2, 3, pad=1.5), TypeError, r"Conv pad must be an int, a pair"),
        (lambda: Conv(2, 3, bias=1), TypeError, r"Conv bias must be a bool, got 1"),
        (
            lambda: MaxPool("2"),
            TypeError,
            r"MaxPool kernel must be an integer, got str",
        ),
        (
            lambda: MaxPool(2, pad=2),
            ValueError,
            r"MaxPool pad must be at most half the kernel",
        ),
        (
            lambda: AvgPool(2, 0),
            ValueError,
            r"AvgPool stride must be an integer >= 1, got 0",
        ),
        (
            lambda: AvgPool(2, ceil_mode=None),
            TypeError,
            r"AvgPool ceil_mode must be a bool",
        ),
        (
            lambda: Linear(0),
            ValueError,
            r"Linear features must be an integer >= 1, got 0",
        ),
        (
            lambda: Residual([]),
            ValueError,
            r"Residual body must hold at least one layer spec",
        ),
        (
            lambda: Residual(Conv(1, 1)),
            TypeError,
            r"Residual body must be a list of layer specs",
        ),
        (
            lambda: Residual([Conv(1, 1)], ["relu"]),
            ValueError,
            r"Residual shortcut\[0\] is 'relu', not a layer spec",
        ),
    ],
)
def test_specs_validate_at_construction(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_an_impossible_geometry_names_the_row_window_and_padded_input():
    with pytest.raises(
        ValueError,
        match=r"row 2 \(Conv F=2, 5x5, pad 0\): window 5 \(kernel 5, dilation 1\) is "
        r"longer than its padded input 4 \(input 4x4, pad 0\+0\)",
    ):
        output_shapes([ReLU(), Conv(2, 5)], (4, 4, 1))
    with pytest.raises(ValueError, match=r"window 5 \(kernel 3, dilation 2\)"):
        output_shapes([Conv(2, 3, dilation=2)], (4, 4, 1))


# The functions whose only inputs are a spec list and a shape tuple, which
# the bad-input harness cannot spoil (it draws bad arrays, ints and strings):
# fed bad lists and shapes here instead.
TAKES_LAYERS = [
    lambda layers: output_shapes(layers, (8, 8, 1)),
    lambda layers: field_masks(layers, (8, 8, 1)),
    lambda layers: layer_table(layers, (8, 8, 1)),
    lambda layers: read_shares(layers, (8, 8, 1)),
    lambda layers: init_network(layers, (8, 8, 1)),
    lambda layers: measure(layers, (8, 8, 1)),
    lambda layers: check_fields(layers, (8, 8, 1)),
    block_outputs,
    check_layers,
    lambda layers: replace_pools(layers, 3, 1, 1),
    strided_convs,
]
TAKES_SHAPE = [
    check_input_shape,
    lambda shape: output_shapes([Conv(2, 3)], shape),
    lambda shape: field_masks([Conv(2, 3)], shape),
    lambda shape: layer_table([Conv(2, 3)], shape),
    lambda shape: read_shares([Conv(2, 3)], shape),
    lambda shape: init_network([Conv(2, 3)], shape),
    lambda shape: measure([Conv(2, 3)], shape),
    lambda shape: check_fields([Conv(2, 3)], shape),
    lambda shape: geometric_field([Conv(2, 3)], shape, 1, (0, 0)),
    lambda shape: gradient_fields([Conv(2, 3)], shape, 1, [(0, 0)]),
    lambda shape: effective_fields([Conv(2, 3)], shape, [1], 2),
]


@pytest.mark.parametrize("func", TAKES_LAYERS)
@pytest.mark.parametrize(
    "layers, error, message",
    [
        (None, TypeError, "layers must be a list of layer specs"),
        (Conv(2, 3), TypeError, "layers must be a list .* got Conv"),
        ([Conv(2, 3), "pool"], ValueError, "row 2 is 'pool', not a layer spec"),
        ([np.zeros(3)], ValueError, "row 1 is .*, not a layer spec"),
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
        ((3, 8, 8), ValueError, "looks channels-first"),
    ],
)
def test_every_function_taking_a_shape_refuses_a_bad_one(func, shape, error, message):
    with pytest.raises(error, match=message):
        func(shape)


def test_replace_pools_checks_its_integers():
    with pytest.raises(ValueError, match="in_channels must be an integer >= 1, got 0"):
        replace_pools([Conv(2, 3)], 3, 1, 0)
    with pytest.raises(TypeError, match="kernel must be an integer, got float 2.5"):
        replace_pools([MaxPool(2)], 2.5, 0, 3)
