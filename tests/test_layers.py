"""Conv, max-pool, ReLU and linear kernels against loop references and
centred finite differences."""

import numpy as np
import pytest

from nnlab.gradcheck import check_pair, rel_error
from nnlab.layers import (
    conv2d_backward,
    conv2d_forward,
    conv_output_size,
    linear_backward,
    linear_forward,
    maxpool_backward,
    maxpool_forward,
    relu_backward,
    relu_forward,
)

# Every layer here is affine (conv, linear) or piecewise affine (pool, ReLU)
# in each input, so centred differences have no truncation error as long as
# the step does not cross a kink; a larger step than the default 1e-6 then
# only shrinks roundoff, which otherwise reaches ~1e-6 relative on entries
# near zero. Test inputs keep kinks further than H_STEP away.
H_STEP = 1e-3
# With that step float64 agrees to ~1e-10; 1e-7 leaves room without hiding
# an indexing bug (those give O(1) errors).
GRAD_TOL = 1e-7


def naive_maxpool(x, size, stride):
    N, H, W, C = x.shape
    H_out = (H - size) // stride + 1
    W_out = (W - size) // stride + 1
    out = np.zeros((N, H_out, W_out, C))
    for i in range(H_out):
        for j in range(W_out):
            win = x[:, i * stride : i * stride + size, j * stride : j * stride + size]
            out[:, i, j, :] = win.max(axis=(1, 2))
    return out


def test_conv_rejects_bad_dilation_naming_it():
    x, w, b = _xwb()
    with pytest.raises(ValueError, match="dilation must be an integer >= 1, got 0"):
        conv2d_forward(x, w, b, dilation=0)
    with pytest.raises(TypeError, match="dilation must be an integer, got float 2.0"):
        conv2d_forward(x, w, b, dilation=2.0)
    with pytest.raises(
        ValueError,
        match=r"kernel 3x3 at dilation 4 \(w \(3, 3, 3, 4\)\) is larger than the "
        r"padded input 7x7",
    ):
        conv2d_forward(x, w, b, pad=1, dilation=4)  # spans 9 pixels
    with pytest.raises(
        ValueError, match="kernel 3 at dilation 3 is longer than the padded input 6"
    ):
        conv_output_size(4, 3, 1, 1, dilation=3)
    assert conv_output_size(9, 3, 1, 0, dilation=3) == 3  # span 7


# (N, H, W, C, size, stride): standard, odd sizes that drop a row,
# overlapping windows, stride 1, N = 1.
POOL_CASES = [
    (2, 4, 4, 3, 2, 2),
    (1, 5, 7, 2, 2, 2),
    (2, 5, 5, 2, 3, 2),
    (1, 4, 5, 2, 2, 1),
    (1, 6, 6, 1, 3, 3),
]


@pytest.mark.parametrize("case", POOL_CASES)
def test_maxpool_forward_matches_loops(case):
    N, H, W, C, size, stride = case
    x = np.random.default_rng(2).standard_normal((N, H, W, C))
    out, _ = maxpool_forward(x, size, stride)
    np.testing.assert_array_equal(out, naive_maxpool(x, size, stride))


@pytest.mark.parametrize("case", POOL_CASES)
def test_maxpool_backward_gradcheck(case):
    N, H, W, C, size, stride = case
    # Distinct, well-separated values: no tie is within h of flipping.
    rng = np.random.default_rng(3)
    x = rng.permutation(N * H * W * C).reshape(N, H, W, C) * 0.1
    out, _ = maxpool_forward(x, size, stride)
    dout = rng.standard_normal(out.shape)

    def forward(x):
        return maxpool_forward(x, size, stride)

    errs = check_pair(forward, maxpool_backward, {"x": x}, dout, h=H_STEP)
    assert errs["x"] < GRAD_TOL


def test_maxpool_ties_route_to_one_element():
    x = np.zeros((1, 4, 4, 2))
    out, cache = maxpool_forward(x)
    dx = maxpool_backward(np.ones_like(out), cache)
    # Each of the 2x2x2 windows sends its unit to exactly one input.
    assert dx.sum() == out.size
    assert np.count_nonzero(dx) == out.size


def test_relu_forward_backward():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 4, 5, 2))
    x[np.abs(x) < 1e-2] = 0.5  # keep the kink further than H_STEP away
    out, _ = relu_forward(x)
    np.testing.assert_array_equal(out, np.where(x > 0, x, 0.0))
    dout = rng.standard_normal(x.shape)
    errs = check_pair(relu_forward, relu_backward, {"x": x}, dout, h=H_STEP)
    assert errs["x"] < GRAD_TOL


@pytest.mark.parametrize("shape", [(1, 4, 3), (5, 7, 2)])
def test_linear_forward_backward(shape):
    N, D, M = shape
    rng = np.random.default_rng(5)
    x = rng.standard_normal((N, D))
    w = rng.standard_normal((D, M))
    b = rng.standard_normal(M)
    out, _ = linear_forward(x, w, b)
    ref = np.array([[x[n] @ w[:, m] + b[m] for m in range(M)] for n in range(N)])
    assert rel_error(out, ref) < 1e-12
    dout = rng.standard_normal(out.shape)
    inputs = {"x": x, "w": w, "b": b}
    errs = check_pair(linear_forward, linear_backward, inputs, dout, h=H_STEP)
    assert max(errs.values()) < GRAD_TOL, errs


def _xwb(x_shape=(1, 5, 5, 3), w_shape=(3, 3, 3, 4), F=4):
    return np.zeros(x_shape), np.zeros(w_shape), np.zeros(F)


def test_conv_rejects_channel_mismatch_naming_shapes():
    x, w, b = _xwb(w_shape=(3, 3, 2, 4))
    with pytest.raises(
        ValueError, match=r"x has 3 channels .*\(1, 5, 5, 3\).*w expects 2"
    ):
        conv2d_forward(x, w, b)


def test_conv_rejects_kernel_larger_than_padded_input():
    x, w, b = _xwb(x_shape=(1, 4, 4, 3), w_shape=(7, 7, 3, 4))
    with pytest.raises(
        ValueError, match=r"kernel 7x7 .* larger than the padded input 6x6"
    ):
        conv2d_forward(x, w, b, pad=1)


@pytest.mark.parametrize("stride", [0, -1])
def test_conv_rejects_stride_below_one(stride):
    x, w, b = _xwb()
    with pytest.raises(
        ValueError, match=f"stride must be an integer >= 1, got {stride}"
    ):
        conv2d_forward(x, w, b, stride=stride)


@pytest.mark.parametrize("kwargs", [{"stride": 1.5}, {"pad": 0.5}, {"stride": True}])
def test_conv_rejects_non_integer_sizes(kwargs):
    x, w, b = _xwb()
    name = next(iter(kwargs))
    value = kwargs[name]
    with pytest.raises(
        TypeError,
        match=f"{name} must be an integer, got {type(value).__name__} {value!r}",
    ):
        conv2d_forward(x, w, b, **kwargs)


def test_conv_rejects_bad_weight_and_bias_shapes():
    x, _, b = _xwb()
    with pytest.raises(ValueError, match=r"square kernel .* got \(3, 2, 3, 4\)"):
        conv2d_forward(x, np.zeros((3, 2, 3, 4)), b)
    with pytest.raises(ValueError, match=r"b must have shape \(4,\) .* got \(5,\)"):
        conv2d_forward(x, np.zeros((3, 3, 3, 4)), np.zeros(5))
    with pytest.raises(
        ValueError, match=r"x must be 4-D \(N, H, W, C\), got 3-D shape \(5, 5, 3\)"
    ):
        conv2d_forward(np.zeros((5, 5, 3)), np.zeros((3, 3, 3, 4)), b)


def test_conv_rejects_non_arrays_and_integer_dtypes():
    x, w, b = _xwb()
    with pytest.raises(TypeError, match="x must be a numpy array .* got list"):
        conv2d_forward(x.tolist(), w, b)
    with pytest.raises(TypeError, match="floating dtype .* got int64"):
        conv2d_forward(x.astype(np.int64), w, b)


def test_backward_rejects_dout_of_wrong_shape():
    x, w, b = _xwb()
    _, cache = conv2d_forward(x, w, b)
    with pytest.raises(
        ValueError, match=r"dout must have .* \(1, 5, 5, 4\), got \(1, 5, 5, 3\)"
    ):
        conv2d_backward(np.zeros((1, 5, 5, 3)), cache)
    _, cache = maxpool_forward(x)
    with pytest.raises(ValueError, match=r"\(1, 2, 2, 3\), got \(1, 2, 2\)"):
        maxpool_backward(np.zeros((1, 2, 2)), cache)


def test_maxpool_rejects_bad_sizes():
    x = np.zeros((1, 3, 3, 2))
    with pytest.raises(ValueError, match=r"pool size 4 is larger than the input 3x3"):
        maxpool_forward(x, size=4)
    with pytest.raises(ValueError, match="stride must be an integer >= 1, got 0"):
        maxpool_forward(x, stride=0)
    with pytest.raises(TypeError, match="size must be an integer, got float 2.0"):
        maxpool_forward(x, size=2.0)


def test_linear_rejects_feature_mismatch():
    with pytest.raises(ValueError, match=r"x has D=3 .* w expects 4"):
        linear_forward(np.zeros((2, 3)), np.zeros((4, 5)), np.zeros(5))


def test_conv_output_size_by_hand_and_its_refusals():
    assert conv_output_size(32, 3, 1, 1) == 32
    assert conv_output_size(7, 3, 2, 0) == 3  # (7 - 3) // 2 + 1
    with pytest.raises(ValueError, match="kernel 7 is longer than the padded input 6"):
        conv_output_size(4, 7, 1, 1)
    with pytest.raises(ValueError, match="pad must be an integer >= 0, got -1"):
        conv_output_size(4, 3, 1, -1)
    with pytest.raises(TypeError, match="stride must be an integer, got float 1.5"):
        conv_output_size(4, 3, 1.5, 0)


def test_kernels_refuse_nan_naming_the_argument_but_relu_lets_it_through():
    x, w, b = _xwb()
    x[0, 1, 2, 0] = np.nan
    with pytest.raises(ValueError, match=r"x must be finite, got nan at index"):
        conv2d_forward(x, w, b)
    with pytest.raises(ValueError, match=r"x must be finite"):
        maxpool_forward(x)
    out, cache = relu_forward(np.array([np.nan, np.inf, -np.inf, -1.0, 2.0]))
    np.testing.assert_array_equal(out, [np.nan, np.inf, 0.0, 0.0, 2.0])
    with pytest.raises(ValueError, match=r"dout must be finite, got inf"):
        relu_backward(np.array([np.inf, 0, 0, 0, 0]), cache)


def test_layers_re_exports_the_sliding_window_layers_of_conv():
    # one implementation, two import paths: nnlab.layers keeps its API
    from nnlab import conv, layers, pool

    for name in ("conv2d_forward", "conv2d_backward", "conv_output_size", "ConvCache"):
        assert getattr(layers, name) is getattr(conv, name), name
    for name in ("maxpool_forward", "maxpool_backward"):
        assert getattr(layers, name) is getattr(pool, name), name
