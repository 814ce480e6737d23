"""Running the kernels over a spec list: forward, backward through several
layers, average routing, and the measurements agreeing with the summary."""

import numpy as np
import pytest

from nnlab.gradcheck import check_gradient, rel_error
from nnlab.p1_cnn.network import (
    init_params,
    measure,
    network_backward,
    network_forward,
)
from nnlab.p1_cnn.specs import Conv, MaxPool, ReLU, problem1_variants
from nnlab.p1_cnn.summary import summarize

ARCHS = list(problem1_variants().values()) + [
    [Conv(3, 2, stride=2, pad=1), ReLU(), MaxPool(3, 2), Conv(5, 1, stride=2)],
    [MaxPool(2, 1), Conv(2, 5, pad=0), Conv(2, 3, stride=3, pad=2)],
]


@pytest.mark.parametrize("layers", ARCHS)
def test_summary_agrees_with_running_the_kernels(layers):
    input_shape = (32, 32, 3) if len(layers) > 5 else (11, 13, 2)
    rows = summarize(layers, input_shape).rows
    for row, got, spec in zip(rows, measure(layers, input_shape), layers, strict=True):
        assert row.shape == got.shape
        assert row.params == got.params
        if isinstance(spec, Conv):
            assert row.flops == got.gemm_flops


def test_network_backward_serves_several_layers_in_one_sweep():
    layers = [Conv(2, 3), ReLU(), MaxPool(), Conv(3, 1)]
    rng = np.random.default_rng(7)
    params = init_params(layers, (6, 6, 2), seed=1)
    x = rng.standard_normal((2, 6, 6, 2))
    outs, caches = network_forward(layers, params, x)
    d1, d3 = rng.standard_normal(outs[1].shape), rng.standard_normal(outs[3].shape)
    both = network_backward({1: d1, 3: d3}, layers, caches)

    def loss(v):
        o = network_forward(layers, params, v)[0]
        return np.sum(o[1] * d1) + np.sum(o[3] * d3)

    # Gradient of a loss reading two layers, against centred differences
    # (random inputs keep ReLU and max-pool kinks away from the 1e-6 step).
    assert check_gradient(loss, x, both) < 1e-6
    with pytest.raises(ValueError, match="douts must name at least one layer, got"):
        network_backward({}, layers, caches)
    apart = network_backward({1: d1}, layers, caches)
    apart = apart + network_backward({3: d3}, layers, caches)
    assert rel_error(both, apart) < 1e-12


def test_average_routing_averages_each_window():
    layers = [MaxPool(2, 2)]
    x = np.random.default_rng(8).standard_normal((1, 4, 6, 3))
    outs, _ = network_forward(layers, [None], x, pool="avg")
    expected = x.reshape(1, 2, 2, 3, 2, 3).mean(axis=(2, 4))
    np.testing.assert_allclose(outs[0], expected, rtol=1e-12)


def test_measure_reports_the_im2col_product():
    got = measure([Conv(5, 3, stride=2)], (7, 9, 2))[0]
    # 4 x 5 output pixels, 3 * 3 * 2 values per window, 5 filters.
    assert got.gemm == (4 * 5, 3 * 3 * 2, 5)
    assert got.gemm_flops == 2 * 20 * 18 * 5
