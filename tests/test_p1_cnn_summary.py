"""The per-layer table: shapes, parameters, FLOPs and receptive fields,
checked against hand counts and against the exact fields."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlab.p1_cnn.specs import (
    PROBLEM1_INPUT,
    Conv,
    MaxPool,
    ReLU,
    field_masks,
    problem1_layers,
)
from nnlab.p1_cnn.summary import layer_table

# The problem statement, read by hand: (filters, kernel) of each conv, and
# whether a pool follows its ReLU.
PROBLEM = [
    (16, 5, False),
    (24, 3, True),
    (32, 3, False),
    (48, 3, True),
    (64, 3, False),
    (64, 1, True),
    (96, 3, True),
    (128, 3, True),
]


def test_problem1_layers_follow_the_statement():
    expected = []
    for f, k, pool in PROBLEM:
        expected += [Conv(f, k), ReLU()] + [MaxPool(2, 2)] * pool
    assert problem1_layers() == expected


def test_problem1_layer_table_matches_hand_counts():
    rows = layer_table(problem1_layers(), PROBLEM1_INPUT).rows
    side, C, k = 32, 3, 0
    for f, K, pool in PROBLEM:
        conv, relu = rows[k], rows[k + 1]
        # "same" padding keeps the side; F filters give F channels.
        assert conv.shape == relu.shape == (side, side, f)
        assert conv.params == K * K * C * f + f
        assert conv.flops == 2 * (K * K * C) * f * side * side
        assert relu.params == 0 and relu.flops == side * side * f
        k += 2
        if pool:
            side //= 2
            assert rows[k].shape == (side, side, f)
            assert rows[k].params == 0 and rows[k].flops == side * side * f
            k += 1
        C = f
    assert k == len(rows) and rows[-1].shape == (1, 1, 128)


def test_flop_conventions_bias_and_comparisons():
    net = [Conv(4, 3), MaxPool(3, 2)]
    base = layer_table(net, (9, 9, 2)).rows
    with_bias = layer_table(net, (9, 9, 2), count_bias=True).rows
    comparisons = layer_table(net, (9, 9, 2), pool_flops="comparisons").rows
    assert with_bias[0].flops - base[0].flops == 9 * 9 * 4
    assert base[1].shape == (4, 4, 4)  # (9 - 3) // 2 + 1
    assert comparisons[1].flops == 8 * base[1].flops  # 3 * 3 - 1 per output


def test_rf_recursion_agrees_with_exact_fields_away_from_borders():
    # On a large input the centre output's field is not clipped, so its exact
    # extent must be the recursion's size, and its centre start + i * jump.
    layers = problem1_layers()
    input_shape = (256, 256, 3)
    rows = layer_table(layers, input_shape).rows
    for row, (rmask, _) in zip(rows, field_masks(layers, input_shape), strict=True):
        i = rmask.shape[0] // 2
        seen = np.flatnonzero(rmask[i])
        assert seen.size == seen[-1] - seen[0] + 1 == row.rf
        assert (seen[0] + seen[-1]) / 2 == row.start + i * row.jump


def test_full_field_by_hand_on_a_3x3_input():
    # One 3x3 "same" conv: corner (0, 0) sees rows 0-1 only.
    assert not layer_table([Conv(1, 3)], (3, 3, 1)).rows[0].full
    # A second one: corner now sees rows 0-2, and so does every location.
    assert layer_table([Conv(1, 3), Conv(1, 3)], (3, 3, 1)).rows[1].full
    # 3x3 without padding: one output that sees everything.
    assert layer_table([Conv(1, 3, pad=0)], (3, 3, 1)).rows[0].full


def test_padding_is_connected_to_nothing():
    # A 2x2 pool on 5 rows drops row 4. The padded conv after it puts a zero
    # where pool row 2 would be; the interval recursion would give output 1
    # the field [0, 5] clipped to [0, 4], but row 4 is never seen.
    rows, _ = field_masks([MaxPool(2, 2), Conv(1, 3)], (5, 5, 1))[1]
    np.testing.assert_array_equal(rows[1], [True, True, True, True, False])
    assert not layer_table([MaxPool(2, 2), Conv(1, 3)], (5, 5, 1)).rows[1].full


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["conv", "pool", "relu"]),
            st.integers(1, 3),
            st.integers(1, 2),
        ),
        min_size=1,
        max_size=4,
    ),
    st.integers(6, 12),
)
def test_full_flag_is_every_location_seeing_every_pixel(spec_list, side):
    layers = []
    for kind, k, s in spec_list:
        if kind == "conv":
            layers.append(Conv(1, k, stride=s))
        elif kind == "pool":
            layers.append(MaxPool(k, s))
        else:
            layers.append(ReLU())
    try:
        table = layer_table(layers, (side, side, 1))
    except ValueError:
        return  # a window larger than its input: rejected, tested elsewhere
    for row, (rm, cm) in zip(
        table.rows, field_masks(layers, (side, side, 1)), strict=True
    ):
        fields = rm[:, None, :, None] & cm[None, :, None, :]  # (Ho, Wo, H, W)
        assert row.full == bool(fields.all())


def test_rendering_text_and_html():
    summary = layer_table(problem1_layers(), PROBLEM1_INPUT)
    text = summary.to_text()
    assert len(text.splitlines()) == 2 + 1 + 21 + 1  # head, rule, input, rows, total
    assert f"{summary.params:,}" in text.splitlines()[-1]
    assert repr(summary) == str(summary) == text
    page = summary._repr_html_()
    assert page.count("<tr") == 1 + 1 + 21 + 1
    assert page.count('style="font-weight:bold"') == 1  # the first full-field row


def test_layer_table_rejects_an_unknown_pool_flops_convention():
    with pytest.raises(
        ValueError,
        match=r"pool_flops must be one of 'output', 'comparisons', got 'max'",
    ):
        layer_table([Conv(2, 3)], (8, 8, 1), pool_flops="max")
