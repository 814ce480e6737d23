"""Running the kernels over a spec list: forward, backward from the output or
from an intermediate layer, average routing, and the measurements agreeing
with the layer table."""

import numpy as np
import pytest

from nnlab.gradcheck import check_gradient, check_pair, rel_error
from nnlab.p1_cnn.network import (
    init_network,
    measure,
    network_backward,
    network_forward,
)
from nnlab.p1_cnn.presets import problem1_variants
from nnlab.p1_cnn.specs import Conv, MaxPool, ReLU
from nnlab.p1_cnn.summary import layer_table

ARCHS = list(problem1_variants().values()) + [
    [Conv(3, 2, stride=2, pad=1), ReLU(), MaxPool(3, 2), Conv(5, 1, stride=2, pad=0)],
    [MaxPool(2, 1), Conv(2, 5, pad=0), Conv(2, 3, stride=3, pad=2)],
]


@pytest.mark.parametrize("layers", ARCHS)
def test_summary_agrees_with_running_the_kernels(layers):
    input_shape = (32, 32, 3) if len(layers) > 5 else (11, 13, 2)
    rows = layer_table(layers, input_shape).rows
    for row, got, spec in zip(rows, measure(layers, input_shape), layers, strict=True):
        assert row.shape == got.shape
        assert row.params == got.params
        if isinstance(spec, Conv):
            assert row.flops == got.gemm_flops


def test_network_backward_gradcheck_of_input_and_weights():
    layers = [Conv(2, 3, pad=1), ReLU(), MaxPool(2), Conv(3, 1, stride=2, pad=0)]
    rng = np.random.default_rng(7)
    params = init_network(layers, (6, 6, 2), seed=1)
    params[0] = (params[0][0], rng.standard_normal(2))  # biases exercised too
    x = rng.standard_normal((2, 6, 6, 2))

    def forward(x, w0, b0, w3, b3):
        p = [(w0, b0), None, None, (w3, b3)]
        return network_forward(x, layers, p)

    def backward(dout, cache):
        dx, dparams = network_backward(dout, cache)
        return dx, *dparams[0], *dparams[3]

    inputs = {"x": x, "w0": params[0][0], "b0": params[0][1]}
    inputs |= {"w3": params[3][0], "b3": params[3][1]}
    # Random inputs keep ReLU and max-pool kinks away from the default step.
    errs = check_pair(forward, backward, inputs, seed=2)
    assert max(errs.values()) < 1e-6, errs


def test_a_gradient_injected_at_an_intermediate_layer_through_upto():
    layers = [Conv(2, 3, pad=1), ReLU(), MaxPool(2), Conv(3, 1, pad=0)]
    rng = np.random.default_rng(7)
    params = init_network(layers, (6, 6, 2), seed=1)
    x = rng.standard_normal((2, 6, 6, 2))
    out, cache = network_forward(x, layers, params)
    assert out is cache.outs[-1] and len(cache.outs) == len(layers)
    d1, d3 = rng.standard_normal(cache.outs[1].shape), rng.standard_normal(out.shape)
    # outs[1] is row 2 (the ReLU): rows are numbered from 1, the input is 0.
    dx1, dparams1 = network_backward(d1, cache.upto(2))
    dx3, _ = network_backward(d3, cache)
    assert len(dparams1) == 2 and dparams1[1] is None

    def loss(v):
        c = network_forward(v, layers, params)[1]
        return np.sum(c.outs[1] * d1) + np.sum(c.outs[3] * d3)

    # A loss reading two layers: the sum of one sweep per layer.
    assert check_gradient(loss, x, dx1 + dx3) < 1e-6
    # The truncated cache gives what a forward pass of the first two layers does.
    _, short = network_forward(x, layers[:2], params[:2])
    assert rel_error(network_backward(d1, short)[0], dx1) == 0
    with pytest.raises(ValueError, match=r"row must be in \[1, 4\], got 5"):
        cache.upto(5)
    with pytest.raises(ValueError, match=r"row must be an integer >= 1, got 0"):
        cache.upto(0)
    with pytest.raises(ValueError, match=r"dout must have the forward output's shape"):
        network_backward(d1, cache)


def test_network_forward_refuses_what_does_not_fit():
    layers = [Conv(2, 3, pad=1), MaxPool(2)]
    params = init_network(layers, (6, 6, 1))
    x = np.zeros((1, 6, 6, 1))
    with pytest.raises(ValueError, match=r"params has 1 entries for 2 layers"):
        network_forward(x, layers, params[:1])
    with pytest.raises(TypeError, match=r"params\[0\] must be a pair \(w, b\)"):
        network_forward(x, layers, [None, None])
    with pytest.raises(
        ValueError, match="pool must be one of 'max', 'avg', got 'mean'"
    ):
        network_forward(x, layers, params, pool="mean")
    with pytest.raises(ValueError, match=r"layers must hold at least one"):
        network_forward(x, [], [])
    with pytest.raises(
        ValueError,
        match=r"row 1 \(Conv F=2, 3x3, pad 0, dil 2\): the numpy kernels run",
    ):
        init_network([Conv(2, 3, dilation=2)], (6, 6, 1))
    with pytest.raises(TypeError, match="dtype must be a floating numpy dtype"):
        init_network(layers, (6, 6, 1), dtype=np.int32)


def test_average_routing_averages_each_window():
    layers = [MaxPool(2, 2)]
    x = np.random.default_rng(8).standard_normal((1, 4, 6, 3))
    out, _ = network_forward(x, layers, [None], pool="avg")
    expected = x.reshape(1, 2, 2, 3, 2, 3).mean(axis=(2, 4))
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_measure_reports_the_im2col_product():
    got = measure([Conv(5, 3, stride=2, pad=1)], (7, 9, 2))[0]
    # 4 x 5 output pixels, 3 * 3 * 2 values per window, 5 filters.
    assert got.gemm == (4 * 5, 3 * 3 * 2, 5)
    assert got.gemm_flops == 2 * 20 * 18 * 5
