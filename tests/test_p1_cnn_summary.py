"""The per-layer table: shapes, parameters, FLOPs and receptive fields,
checked against hand counts and against the exact fields."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlab.p1_cnn.geometry import field_masks
from nnlab.p1_cnn.presets import PROBLEM1_INPUT, problem1_layers
from nnlab.p1_cnn.specs import Conv, MaxPool, ReLU, Residual
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
        # "stride 1 and zero padding (K-1)/2", stated explicitly.
        expected += [Conv(f, k, stride=1, pad=(k - 1) // 2), ReLU()]
        expected += [MaxPool(2, 2)] * pool
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
    net = [Conv(4, 3, pad=1), MaxPool(3, 2)]
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
        assert seen.size == seen[-1] - seen[0] + 1 == row.rf[0]
        assert (seen[0] + seen[-1]) / 2 == row.start[0] + i * row.jump[0]
        assert seen[0] == i * row.jump[0] - row.pad[0]  # effective padding


def test_full_field_by_hand_on_a_3x3_input():
    # One 3x3 "same" conv: corner (0, 0) sees rows 0-1 only.
    assert not layer_table([Conv(1, 3, pad=1)], (3, 3, 1)).rows[0].full
    # A second one: corner now sees rows 0-2, and so does every location.
    assert layer_table([Conv(1, 3, pad=1), Conv(1, 3, pad=1)], (3, 3, 1)).rows[1].full
    # 3x3 without padding: one output that sees everything.
    assert layer_table([Conv(1, 3, pad=0)], (3, 3, 1)).rows[0].full


def test_padding_is_connected_to_nothing():
    # A 2x2 pool on 5 rows drops row 4. The padded conv after it puts a zero
    # where pool row 2 would be; the interval recursion would give output 1
    # the field [0, 5] clipped to [0, 4], but row 4 is never seen.
    rows, _ = field_masks([MaxPool(2, 2), Conv(1, 3, pad=1)], (5, 5, 1))[1]
    np.testing.assert_array_equal(rows[1], [True, True, True, True, False])
    assert not layer_table([MaxPool(2, 2), Conv(1, 3, pad=1)], (5, 5, 1)).rows[1].full


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
            layers.append(Conv(1, k, stride=s, pad=(k - 1) // 2))
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
    costs, fields = text.split("\n\n")
    assert len(costs.splitlines()) == 2 + 1 + 21 + 1  # head, rule, input, rows, total
    assert len(fields.splitlines()) == 2 + 1 + 21
    assert f"{summary.params:,}" in costs.splitlines()[-1]
    assert max(len(line) for line in text.splitlines()) <= 100
    assert repr(summary) == str(summary) == text
    page = summary._repr_html_()
    assert page.count("<tr") == 1 + 1 + 21 + 1
    assert page.count('style="font-weight:bold"') == 1  # the first full-field row


def test_layer_table_rejects_an_unknown_pool_flops_convention():
    with pytest.raises(
        ValueError,
        match=r"pool_flops must be one of 'output', 'comparisons', got 'max'",
    ):
        layer_table([Conv(2, 3, pad=1)], (8, 8, 1), pool_flops="max")


def _seen_1d(n, layers, axis):
    """Input positions each output sees along one axis, by enumeration.

    An independent reading of the window rule: output o of a layer with
    kernel k, stride s, dilation d and padding lo reads positions
    o*s - lo + t*d, t = 0..k-1, of which those inside the input are real;
    a residual block is the union of its two paths' sets.
    """
    sets = [{u} for u in range(n)]
    for spec in layers:
        sets = _apply_1d(spec, sets, axis)
    return sets


def _apply_1d(spec, sets, axis):
    if isinstance(spec, Residual):
        body, short = sets, sets
        for s in spec.body:
            body = _apply_1d(s, body, axis)
        for s in spec.shortcut or ():
            short = _apply_1d(s, short, axis)
        return [a | b for a, b in zip(body, short, strict=True)]
    if not isinstance(spec, Conv | MaxPool):
        return sets
    k, s = spec.kernel_hw[axis], spec.stride_hw[axis]
    d = spec.dilation_hw[axis] if isinstance(spec, Conv) else 1
    lo, hi = spec.pads[2 * axis : 2 * axis + 2]
    n = len(sets)
    n_out = (n + lo + hi - d * (k - 1) - 1) // s + 1
    out = []
    for o in range(n_out):
        taps = [o * s - lo + t * d for t in range(k)]
        out.append(set().union(*(sets[u] for u in taps if 0 <= u < n)))
    return out


def _random_spec(draw_kind, k, s, d, pads):
    if draw_kind == "conv":
        return Conv(1, k, stride=s, pad=pads, dilation=d)
    if draw_kind == "pool":
        return MaxPool(k, s)
    # A body that keeps the size: total padding d (k - 1), split unevenly.
    span = d * (k - 1)
    top, left = min(pads[0], span), min(pads[2], span)
    body = [Conv(1, k, pad=(top, span - top, left, span - left), dilation=d)]
    return Residual(body, [MaxPool(1)] if pads[1] % 2 else None)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["conv", "pool", "residual"]),
            st.integers(1, 3),
            st.integers(1, 2),
            st.integers(1, 2),
            st.tuples(*[st.integers(0, 2)] * 4),
        ),
        min_size=1,
        max_size=4,
    ),
    st.integers(5, 12),
    st.integers(5, 12),
)
def test_exact_fields_equal_an_enumeration(spec_list, H, W):
    # Dilation, asymmetric padding, strides and residual blocks, against the
    # set enumeration above; the full flag is every output seeing every pixel.
    layers = [_random_spec(*spec) for spec in spec_list]
    try:
        table = layer_table(layers, (H, W, 1))
    except ValueError:
        return  # a window that does not fit or paths that disagree: refused
    rows, cols = field_masks(layers, (H, W, 1))[-1]
    for axis, (mask, n) in enumerate(((rows, H), (cols, W))):
        sets = _seen_1d(n, layers, axis)
        assert [set(np.flatnonzero(m)) for m in mask] == sets
    full = all(len(s) == H for s in _seen_1d(H, layers, 0)) and all(
        len(s) == W for s in _seen_1d(W, layers, 1)
    )
    assert table.rows[-1].full == full


def test_the_three_readings_of_part_b():
    # By hand: row 16 (Conv F=96) has field 46, jump 8 and effective padding
    # 19, so output 0 covers pixels -19..26 and output 3 (centre 3.5 + 3 * 8)
    # covers 5..50: clipped, 0-26 and 5-31. The pool after it (row 18) merges
    # outputs 0-1 and 2-3, which together see 0-31; the first convolution
    # that sees everything is the next one, row 19 (Conv F=128).
    net = problem1_layers()
    table = layer_table(net, PROBLEM1_INPUT)
    row16 = table.row(16)
    assert (row16.rf[0], row16.jump[0], row16.pad[0], row16.full) == (46, 8, 19, False)
    rows, _ = field_masks(net, PROBLEM1_INPUT)[15]
    spans = [(np.flatnonzero(r)[0], np.flatnonzero(r)[-1]) for r in rows]
    assert spans == [(0, 26), (0, 31), (0, 31), (5, 31)]
    assert table.first_full.index == 18 and isinstance(net[17], MaxPool)
    first_conv = next(r for r in table.rows if r.full and r.name.startswith("Conv"))
    assert first_conv.index == 19 and first_conv.name == "Conv F=128, 3x3"


def test_count_bias_must_be_a_bool():
    # a truthy string would silently add the bias FLOPs (found in review)
    from nnlab.p1_cnn import specs, summary

    with pytest.raises(TypeError, match="count_bias must be True or False, got str"):
        summary.layer_table([specs.Conv(8, 3)], (32, 32, 3), count_bias="no")
