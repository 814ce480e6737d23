"""Convolution against a direct loop, finite differences and its own routes.

`conv2d_backward` forms the input gradient by one of three routes (few
channels; stride 1; larger strides) and the batch in chunks: every route
and a batch cut into many chunks are checked against the loop definition
and centred differences in float64.
"""

import numpy as np
import pytest

from nnlab import conv, im2col
from nnlab.gradcheck import check_pair, rel_error
from nnlab.layers import conv2d_backward, conv2d_forward
from test_layers import GRAD_TOL, H_STEP


def naive_conv(x, w, b, stride, pad, dilation=1):
    """Direct loop over output pixels: the definition, nothing clever."""
    N, H, W, C = x.shape
    K, _, _, F = w.shape
    span = dilation * (K - 1) + 1
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    H_out = (H + 2 * pad - span) // stride + 1
    W_out = (W + 2 * pad - span) // stride + 1
    out = np.zeros((N, H_out, W_out, F))
    for i in range(H_out):
        for j in range(W_out):
            r, c = i * stride, j * stride
            win = xp[:, r : r + span : dilation, c : c + span : dilation, :]
            out[:, i, j, :] = np.tensordot(win, w, axes=([1, 2, 3], [0, 1, 2])) + b
    return out


# (N, H, W, C, K, F, stride, pad): strides 1 and 2, pad 0 and "same" (None)
# and a larger pad, K = 1, 2, 3, 5, odd sizes, non-square images, N = 1.
CONV_CASES = [
    (2, 5, 5, 3, 3, 4, 1, None),
    (2, 5, 5, 3, 3, 4, 1, 0),
    (1, 7, 6, 2, 3, 3, 2, None),
    (2, 7, 7, 2, 3, 2, 2, 0),
    (1, 6, 5, 3, 1, 4, 1, None),
    (2, 5, 7, 2, 1, 3, 2, 0),
    (1, 6, 6, 2, 2, 3, 2, 0),
    (2, 5, 5, 2, 2, 2, 1, 1),
    (1, 7, 7, 2, 5, 2, 1, None),
    (1, 9, 8, 1, 5, 2, 2, 0),
    (1, 3, 3, 2, 3, 2, 1, 2),
]


def _conv_inputs(case, seed=0):
    N, H, W, C, K, F, stride, pad = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, H, W, C))
    w = rng.standard_normal((K, K, C, F))
    b = rng.standard_normal(F)
    return x, w, b, stride, pad


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_forward_matches_loops(case):
    x, w, b, stride, pad = _conv_inputs(case)
    K = w.shape[0]
    p = (K - 1) // 2 if pad is None else pad
    out, _ = conv2d_forward(x, w, b, stride=stride, pad=pad)
    ref = naive_conv(x, w, b, stride, p)
    assert out.shape == ref.shape
    assert rel_error(out, ref) < 1e-12


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_backward_gradcheck(case):
    x, w, b, stride, pad = _conv_inputs(case)

    def forward(x, w, b):
        return conv2d_forward(x, w, b, stride=stride, pad=pad)

    # seed=1: dout is default_rng(1).standard_normal(out.shape)
    inputs = {"x": x, "w": w, "b": b}
    errs = check_pair(forward, conv2d_backward, inputs, h=H_STEP, seed=1)
    assert max(errs.values()) < GRAD_TOL, errs


# (N, H, W, C, K, F, stride, pad, dilation): dilation 2 and 3, with "same"
# padding (None), none, stride 2, a 1x1 kernel (dilation has no effect), C
# below and above NARROW_C (the input gradient's routes, see ROUTE_CASES).
DILATED_CASES = [
    (2, 7, 7, 2, 3, 3, 1, None, 2),
    (1, 9, 8, 3, 3, 2, 1, 0, 3),
    (2, 9, 9, 2, 3, 2, 2, 1, 2),
    (1, 8, 7, 9, 2, 3, 1, 1, 2),
    (1, 5, 5, 10, 3, 4, 2, None, 2),
    (1, 4, 4, 2, 1, 3, 1, 0, 3),
]


@pytest.mark.parametrize("case", DILATED_CASES)
def test_dilated_conv_matches_loops_and_gradcheck(case):
    *rest, dilation = case
    x, w, b, stride, pad = _conv_inputs(tuple(rest))
    K = w.shape[0]
    p = dilation * (K - 1) // 2 if pad is None else pad
    out, _ = conv2d_forward(x, w, b, stride=stride, pad=pad, dilation=dilation)
    ref = naive_conv(x, w, b, stride, p, dilation)
    assert out.shape == ref.shape
    assert rel_error(out, ref) < 1e-12

    def forward(x, w, b):
        return conv2d_forward(x, w, b, stride=stride, pad=pad, dilation=dilation)

    inputs = {"x": x, "w": w, "b": b}
    errs = check_pair(forward, conv2d_backward, inputs, h=H_STEP, seed=1)
    assert max(errs.values()) < GRAD_TOL, errs


def test_dilation_one_is_the_plain_convolution_and_same_pad_keeps_the_size():
    x, w, b, _, _ = _conv_inputs((2, 6, 6, 3, 3, 4, 1, None))
    out, _ = conv2d_forward(x, w, b)
    out1, _ = conv2d_forward(x, w, b, dilation=1)
    np.testing.assert_array_equal(out, out1)
    out3, cache = conv2d_forward(x, w, b, dilation=3)  # pad None -> 3
    assert out3.shape == out.shape and cache.pad == 3


@pytest.mark.parametrize("C", [3, 12])
def test_conv_backward_layouts_agree_with_float64(C):
    # C = 3 and C = 12 take two routes of the input gradient (NARROW_C = 8).
    x, w, b, _, _ = _conv_inputs((2, 6, 5, C, 3, 4, 1, None))
    out, cache = conv2d_forward(x, w, b, stride=2)
    dout = np.random.default_rng(3).standard_normal(out.shape)
    dx, dw, db = conv2d_backward(dout, cache)
    assert dx.flags.c_contiguous and dx.shape == x.shape
    # dx from the definition: the adjoint of the loop forward, by linearity
    ref = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[idx] = 1.0
        ref[idx] = np.sum(naive_conv(e, w, 0 * b, 2, 1) * dout)
    assert rel_error(dx, ref) < 1e-12


# columns kept channels-first (C = 3), kept as built (small), or rebuilt
@pytest.mark.parametrize(("C", "chunk_bytes"), [(3, 1), (9, 1 << 20), (9, 1)])
def test_conv_im2col_matrix_has_the_gemm_shape_and_its_rows_are_the_windows(
    C, chunk_bytes, monkeypatch
):
    monkeypatch.setattr(im2col, "CHUNK_BYTES", chunk_bytes)
    x, w, b, stride, pad = _conv_inputs((2, 7, 6, C, 3, 5, 2, 1))
    out, cache = conv2d_forward(x, w, b, stride=stride, pad=pad)
    N, H_out, W_out, F = out.shape
    assert (H_out, W_out) == (4, 3)  # (7 + 2 - 3)//2 + 1, (6 + 2 - 3)//2 + 1
    assert cache.cols.shape == (N * H_out * W_out, 3 * 3 * C)
    # row (n=1, i=2, j=1) is the window at (2*2 - 1, 2*1 - 1) of x, zeros above
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    row = cache.cols[(1 * H_out + 2) * W_out + 1]
    np.testing.assert_array_equal(row, xp[1, 4:7, 2:5].ravel())
    np.testing.assert_allclose(cache.cols @ w.reshape(-1, F) + b, out.reshape(-1, F))
    assert (cache.cols_t is None) == (C >= conv.NARROW_C and chunk_bytes == 1)


def test_1x1_stride_1_columns_are_x_itself():
    # the im2col matrix of a 1x1 kernel at stride 1 is a reshape: no copy
    x, w, b, _, _ = _conv_inputs((2, 4, 5, 9, 1, 3, 1, 0))
    _, cache = conv2d_forward(x, w, b, pad=0)
    assert np.shares_memory(cache.cols, x) and cache.xp is x


def test_conv_float32_stays_float32_and_agrees_with_float64():
    x, w, b, stride, pad = _conv_inputs((2, 6, 6, 3, 3, 4, 1, None))
    x32, w32, b32 = (a.astype(np.float32) for a in (x, w, b))
    out32, cache = conv2d_forward(x32, w32, b32)
    out64, _ = conv2d_forward(x, w, b)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, out64, rtol=1e-4, atol=1e-4)
    dout = np.ones_like(out32)
    grads = conv2d_backward(dout, cache)
    assert [g.dtype for g in grads] == [np.float32] * 3


# (N, H, W, C, K, F, stride, pad, dilation), one group per route of the
# input gradient: C < NARROW_C (channels-first adds), C >= NARROW_C at
# stride 1 (full convolution: pad below, at and above d (K - 1), even K),
# and C >= NARROW_C at stride > 1 (scatter: overlapping windows g =
# ceil(K / stride) = 2 and 3, non-overlapping K <= stride with gaps, dilated;
# then windows that tile the padded input, 2x2/2 without and with pad, whose
# dx is assigned without a zero fill, a 1x1/2 that skips pixels, and few
# channels at stride 2 without dilation; last, few channels at stride 1:
# K = 5, dilated, even K without pad).
ROUTE_CASES = [
    (2, 6, 5, 3, 3, 2, 1, 1, 1),
    (1, 7, 7, 2, 3, 2, 2, 2, 2),
    (2, 5, 6, 8, 3, 3, 1, 0, 1),
    (1, 6, 5, 9, 3, 2, 1, 1, 1),
    (1, 5, 5, 8, 2, 2, 1, 1, 1),
    (1, 4, 5, 8, 3, 2, 1, 3, 1),
    (2, 4, 4, 8, 1, 3, 1, 1, 1),
    (1, 7, 6, 8, 3, 2, 1, 2, 2),
    (2, 7, 7, 8, 3, 2, 2, 1, 1),
    (1, 9, 8, 8, 5, 2, 2, 2, 1),
    (1, 7, 8, 8, 2, 3, 2, 0, 1),
    (1, 8, 7, 8, 2, 2, 3, 1, 1),
    (1, 9, 9, 8, 3, 2, 2, 2, 2),
    (2, 6, 8, 8, 2, 3, 2, 0, 1),
    (1, 6, 6, 8, 2, 2, 2, 1, 1),
    (1, 6, 5, 8, 1, 3, 2, 0, 1),
    (2, 7, 6, 3, 3, 2, 2, 1, 1),
    (1, 7, 6, 2, 5, 2, 1, 2, 1),
    (2, 8, 7, 3, 3, 2, 1, 2, 2),
    (1, 5, 6, 1, 2, 3, 1, 0, 1),
]


def _route_inputs(case):
    N, H, W, C, K, F, stride, pad, dilation = case
    x, w, b, _, _ = _conv_inputs((N, H, W, C, K, F, stride, pad))
    return x, w, b, {"stride": stride, "pad": pad, "dilation": dilation}


@pytest.mark.parametrize("case", ROUTE_CASES)
def test_every_route_matches_loops_and_gradcheck(case):
    x, w, b, cfg = _route_inputs(case)
    out, _ = conv2d_forward(x, w, b, **cfg)
    assert rel_error(out, naive_conv(x, w, b, **cfg)) < 1e-12

    def forward(x, w, b):
        return conv2d_forward(x, w, b, **cfg)

    inputs = {"x": x, "w": w, "b": b}
    errs = check_pair(forward, conv2d_backward, inputs, h=H_STEP, seed=1)
    assert max(errs.values()) < GRAD_TOL, errs


@pytest.mark.parametrize("case", [ROUTE_CASES[0], ROUTE_CASES[3], ROUTE_CASES[8]])
def test_a_batch_cut_into_one_image_chunks_gives_the_same_numbers(case, monkeypatch):
    # N = 5 images, one per chunk (CHUNK_BYTES = 1) against all in one chunk
    x, w, b, cfg = _route_inputs((5, *case[1:]))
    dout = np.random.default_rng(2).standard_normal(
        conv2d_forward(x, w, b, **cfg)[0].shape
    )
    whole = [conv2d_forward(x, w, b, **cfg)[0]]
    whole += conv2d_backward(dout, conv2d_forward(x, w, b, **cfg)[1])
    monkeypatch.setattr(im2col, "CHUNK_BYTES", 1)
    chunked = [conv2d_forward(x, w, b, **cfg)[0]]
    chunked += conv2d_backward(dout, conv2d_forward(x, w, b, **cfg)[1])
    assert rel_error(chunked[0], naive_conv(x, w, b, **cfg)) < 1e-12
    for name, a, c in zip(("out", "dx", "dw", "db"), whole, chunked, strict=True):
        assert rel_error(a, c) < 1e-12, name


@pytest.mark.parametrize("case", [ROUTE_CASES[0], ROUTE_CASES[3], ROUTE_CASES[8]])
def test_float32_routes_stay_float32(case):
    x, w, b, cfg = _route_inputs(case)
    x32, w32, b32 = (a.astype(np.float32) for a in (x, w, b))
    out32, cache = conv2d_forward(x32, w32, b32, **cfg)
    dout = np.ones_like(out32)
    dx, dw, db = conv2d_backward(dout, cache)
    assert [a.dtype for a in (out32, dx, dw, db)] == [np.float32] * 4
    assert dx.flags.c_contiguous and dx.shape == x.shape
    dx64, dw64, _ = conv2d_backward(
        dout.astype(np.float64), conv2d_forward(x, w, b, **cfg)[1]
    )
    np.testing.assert_allclose(dx, dx64, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dw, dw64, rtol=1e-4, atol=1e-4)


def test_route_cases_take_every_route(monkeypatch):
    taken = []
    for name in ("_dx_planes", "_dx_full_conv", "_dx_scatter"):
        route = getattr(conv, name)
        monkeypatch.setattr(
            conv,
            name,
            lambda *a, name=name, route=route: taken.append(name) or route(*a),
        )
    for case in ROUTE_CASES:
        x, w, b, cfg = _route_inputs(case)
        out, cache = conv2d_forward(x, w, b, **cfg)
        conv2d_backward(np.ones_like(out), cache)
    assert taken.count("_dx_planes") == 6
    assert taken.count("_dx_full_conv") == 6
    assert taken.count("_dx_scatter") == 8


def test_a_stride_past_the_input_takes_the_first_window_only():
    # 10**30 overflowed the strided views' int64 byte steps; any stride of
    # at least the padded size gives one output pixel, the top-left window
    rng = np.random.default_rng(3)
    x, w, b = (
        rng.standard_normal((2, 5, 7, 3)),
        rng.standard_normal((3, 3, 3, 4)),
        rng.standard_normal(4),
    )
    out, cache = conv2d_forward(x, w, b, stride=10**30, pad=1)
    expected = (
        np.einsum(
            "npqc,pqcf->nf", np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))[:, :3, :3], w
        )
        + b
    )
    np.testing.assert_allclose(out[:, 0, 0], expected, rtol=1e-12)
    assert out.shape == (2, 1, 1, 4)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv2d_backward(dout, cache)
    ref = conv2d_backward(dout, conv2d_forward(x, w, b, stride=9, pad=1)[1])
    for got, want in zip((dx, dw, db), ref, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)
