"""Layer specs, their validation, the strided-pool variants, output shapes
and exact receptive fields, checked on hand-worked cases."""

import numpy as np
import pytest

from nnlab.p1_cnn.specs import (
    Conv,
    MaxPool,
    field_masks,
    output_shapes,
    problem1_layers,
    replace_pools,
)


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
