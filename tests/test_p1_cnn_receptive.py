"""Receptive fields measured by back-propagation against the geometry, and
the effective receptive field's basic properties."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnlab.p1_cnn.erf as receptive_module
from nnlab.p1_cnn.erf import effective_fields, spread
from nnlab.p1_cnn.geometry import field_masks
from nnlab.p1_cnn.presets import PROBLEM1_INPUT, problem1_layers, problem1_variants
from nnlab.p1_cnn.receptive import (
    block_outputs,
    check_fields,
    geometric_field,
    gradient_fields,
)
from nnlab.p1_cnn.specs import Conv, MaxPool, ReLU


@pytest.mark.parametrize("name", list(problem1_variants()))
def test_gradient_fields_equal_geometry_on_problem1_and_variants(name):
    layers = problem1_variants()[name]
    checks = check_fields(layers, PROBLEM1_INPUT)
    assert len(checks) == len(layers)
    assert all(c.pixels > 0 for c in checks)
    assert [c.mismatches for c in checks] == [0] * len(layers)


@settings(max_examples=20, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["conv", "pool"]),
            st.integers(1, 3),
            st.integers(1, 3),
            st.integers(0, 2),
        ),
        min_size=1,
        max_size=3,
    ),
    st.integers(5, 10),
)
def test_gradient_support_is_the_geometric_field_at_every_location(spec_list, side):
    layers = []
    for kind, k, s, p in spec_list:
        layers.append(Conv(2, k, stride=s, pad=p) if kind == "conv" else MaxPool(k, s))
    try:
        masks = field_masks(layers, (side, side, 2))
    except ValueError:
        return  # a window that does not fit: rejected, tested in test_p1_cnn_specs
    rows, cols = masks[-1]
    locs = [(i, j) for i in range(rows.shape[0]) for j in range(cols.shape[0])]
    measured = gradient_fields(layers, (side, side, 2), len(layers), locs)
    geometric = np.stack(
        [geometric_field(layers, (side, side, 2), len(layers), loc) for loc in locs]
    )
    np.testing.assert_array_equal(measured, geometric)


def test_max_pool_routing_sees_only_part_of_the_field():
    # The reason the measurement uses average-pool routing: with max-pool the
    # gradient of one input reaches one pixel per window.
    layers = [Conv(2, 3, pad=1), MaxPool(2, 2), MaxPool(2, 2)]
    field = geometric_field(layers, (8, 8, 1), 3, (0, 0))
    routed = gradient_fields(layers, (8, 8, 1), 3, [(0, 0)], pool="max")[0]
    assert np.all(field[routed])  # inside the field ...
    assert routed.sum() < field.sum()  # ... but only part of it


def test_effective_field_lies_inside_the_theoretical_field_and_sums_to_one():
    layers = problem1_layers()
    targets = [4, 10]  # rows of the table: a ReLU and a pool
    maps = effective_fields(layers, PROBLEM1_INPUT, targets, n_images=4)
    for t, m in zip(targets, maps, strict=True):
        H_l = field_masks(layers[:t], PROBLEM1_INPUT)[-1][0].shape[0]
        centre = ((H_l - 1) // 2, (H_l - 1) // 2)
        field = geometric_field(layers, PROBLEM1_INPUT, t, centre)
        assert np.isclose(m.sum(), 1.0)
        assert np.all(m >= 0) and np.all(m[~field] == 0)


def test_block_outputs_of_problem1():
    ends = block_outputs(problem1_layers())
    # Every ReLU and pool, no conv (each is followed by a ReLU).
    assert [type(problem1_layers()[k - 1]) for k in ends] == [
        type(s) for s in problem1_layers() if not isinstance(s, Conv)
    ]
    assert block_outputs([Conv(2, 3, pad=1), Conv(2, 3, pad=1), ReLU()]) == [1, 3]


def test_spread_of_a_point_a_box_and_a_gaussian():
    point = np.zeros((9, 9))
    point[4, 4] = 1.0
    s = spread(point)
    assert s.centre == (4.0, 4.0) and s.sigma == 0.0 and s.side95 == 1

    box = np.zeros((11, 11))
    box[3:8, 3:8] = 1 / 25  # 5x5 uniform: variance (5^2 - 1) / 12 per axis
    s = spread(box)
    assert np.isclose(s.sigma, np.sqrt(2.0)) and s.side95 == 5
    assert s.half_mass_pixels == 13  # 12/25 < 1/2 <= 13/25

    y, x = np.mgrid[0:41, 0:41]
    g = np.exp(-((y - 20.0) ** 2 + (x - 20.0) ** 2) / (2 * 3.0**2))
    s = spread(g / g.sum())
    assert np.isclose(s.sigma, 3.0, rtol=1e-3) and s.gaussian_r2 > 0.999
    # Half the mass of a 2-D Gaussian lies within radius sigma sqrt(2 ln 2):
    # a disc of 2 pi ln(2) sigma^2 pixels.
    assert np.isclose(s.half_mass_pixels, 2 * np.pi * np.log(2) * 9, rtol=0.05)
    assert s.gaussian_r2 > spread(box).gaussian_r2


def test_bad_layer_and_location_are_rejected():
    layers = [Conv(2, 3, pad=1), MaxPool(2)]
    with pytest.raises(
        ValueError, match=r"row must be a row in \[1, 2\] \(row 0 is the input\), got 3"
    ):
        geometric_field(layers, (8, 8, 1), 3, (0, 0))
    with pytest.raises(ValueError, match=r"row must be a row in \[1, 2\].*got 0"):
        gradient_fields(layers, (8, 8, 1), 0, [(0, 0)])
    with pytest.raises(
        ValueError, match=r"loc: location \(4, 0\) is outside row 2's 4x4"
    ):
        geometric_field(layers, (8, 8, 1), 2, (4, 0))
    with pytest.raises(
        ValueError, match="pool must be one of 'max', 'avg', got 'mean'"
    ):
        gradient_fields(layers, (8, 8, 1), 2, [(0, 0)], pool="mean")
    # Out of range: refused by name, not an IndexError from the fancy index.
    with pytest.raises(ValueError, match=r"locs: location \(0, 5\) is outside"):
        gradient_fields(layers, (8, 8, 1), 2, [(0, 0), (0, 5)])
    with pytest.raises(ValueError, match=r"locs must be a non-empty list"):
        gradient_fields(layers, (8, 8, 1), 2, [])
    with pytest.raises(ValueError, match=r"targets must be a row in \[1, 2\].*got 3"):
        effective_fields(layers, (8, 8, 1), [1, 3])
    with pytest.raises(ValueError, match=r"targets must be a non-empty list"):
        effective_fields(layers, (8, 8, 1), [])


def test_spread_refuses_maps_that_are_not_distributions_and_handles_flat_ones():
    with pytest.raises(ValueError, match=r"m must sum to 1 .* got sum 0.0"):
        spread(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"m must be non-negative, got minimum -0.5"):
        spread(np.array([[1.5, -0.5]]))
    # A flat map has no variance for a Gaussian to explain: R^2 is not 0/0.
    flat = spread(np.full((4, 4), 1 / 16))
    assert np.isfinite(flat.gaussian_r2) and flat.sigma > 0
    assert spread(np.ones((1, 1))).gaussian_r2 == 1.0


def test_effective_fields_refuses_a_network_with_every_path_cut():
    # One 1x1 filter, one image: with seed 0 the centre output is negative,
    # the ReLU passes no gradient back, and the map would be 0 / 0.
    with pytest.raises(
        ValueError, match="no gradient reaches the input from row 2 for any of the"
    ):
        effective_fields(
            [Conv(1, 1, pad=0), ReLU()], (3, 3, 1), [2], n_images=1, seed=0
        )


def test_effective_field_statistics_survive_a_perturbation_of_the_weights(
    monkeypatch,
):
    # Another BLAS kernel rounds each product differently, ~1e-16 relative in
    # float64. Perturbing every weight by 1e-10 (some 4e5 such roundings)
    # must not move the statistics the notebook prints to two decimals. In
    # float32 (a former version) a perturbation of 1e-5 moved layer 16's sigma.
    layers = problem1_layers()
    targets = [3, 11, 16, 19]  # rows of the table
    original = receptive_module.init_network

    def printed(maps):
        stats = [spread(m) for m in maps]
        return [
            f"{s.sigma:.2f} {s.gaussian_r2:.2f} {s.half_mass_pixels} {s.side95}"
            for s in stats
        ]

    maps = effective_fields(layers, PROBLEM1_INPUT, targets, 8)
    assert maps.dtype == np.float64
    reference = printed(maps)
    rng = np.random.default_rng(1)

    def perturbed(*args, **kwargs):
        return [
            p
            if p is None
            else (p[0] * (1 + 1e-10 * rng.standard_normal(p[0].shape)), p[1])
            for p in original(*args, **kwargs)
        ]

    monkeypatch.setattr(receptive_module, "init_network", perturbed)
    assert printed(effective_fields(layers, PROBLEM1_INPUT, targets, 8)) == reference


def test_check_fields_in_chunks_equals_one_batch_and_refuses_over_the_cap():
    from nnlab.p1_cnn.presets import IMAGENET_INPUT, vgg16
    from nnlab.p1_cnn.receptive import probe_bytes

    net = problem1_layers()
    per_loc = probe_bytes(net, PROBLEM1_INPUT)
    whole = check_fields(net, PROBLEM1_INPUT, max_bytes=64 * per_loc)
    # Chunks of 3 locations: the last chunk of most rows is partly empty.
    chunked = check_fields(net, PROBLEM1_INPUT, max_bytes=3 * per_loc)
    assert chunked == whole and sum(c.mismatches for c in whole) == 0
    # VGG-16 at 224: one location needs ~19 MiB (one channel); a 1 MiB cap
    # is refused with what to shrink, before any array is allocated.
    with pytest.raises(
        ValueError,
        match=r"checking one location of a 224x224 input needs about 19 MiB, more "
        r"than max_bytes=1,048,576 \(1 MiB\): shrink the input \(H, W\) or raise "
        r"max_bytes",
    ):
        check_fields(vgg16()[:31], IMAGENET_INPUT, max_bytes=1 << 20)
