"""The 2D RNN module: forward against a per-pixel loop, gradients against finite
differences, receptive fields from gradients, FLOP formulas against counted
matmuls (the counter itself is tested in test_flops.py), and the messages of
bad input."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from nnlab import flops, layers
from nnlab.gradcheck import check_pair
from nnlab.p6_rnn2d import costs, fields, rnn2d, timing

# (N, H, W, C, Hd): odd sizes, a batch of one, H != W both ways, Hd != C.
SHAPES = [(2, 3, 5, 3, 4), (1, 4, 2, 2, 3), (1, 1, 3, 2, 2), (3, 2, 1, 1, 2)]
VARIANTS = {
    False: (rnn2d.rnn2d_forward, rnn2d.rnn2d_backward),
    True: (rnn2d.renet_forward, rnn2d.renet_backward),
}


def random_params(C, Hd, four_way, rng):
    """init_rnn2d plus random biases, so that every gradient is exercised."""
    params = rnn2d.init_rnn2d(C, Hd, four_way, rng)
    for k, v in params.items():
        params[k] = v + 0.3 * rng.standard_normal(v.shape)
    return params


def loop_reference(x, params, four_way):
    """The module written pixel by pixel, straight from the recurrences."""
    N, H, W, _ = x.shape
    Hd = params["Wh_a"].shape[0]
    dirs = [("", False), ("_rev", True)] if four_way else [("", False)]
    k = len(dirs)
    ha = np.zeros((N, H, W, k * Hd))
    for n in range(N):
        for i in range(H):
            for d, (suffix, rev) in enumerate(dirs):
                Wx, Wh, b = (params[f"{p}_a{suffix}"] for p in ("Wx", "Wh", "b"))
                h = np.zeros(Hd)
                for j in reversed(range(W)) if rev else range(W):
                    h = np.tanh(x[n, i, j] @ Wx + h @ Wh + b)
                    ha[n, i, j, d * Hd : (d + 1) * Hd] = h
    hb = np.zeros((N, H, W, k * Hd))
    for n in range(N):
        for j in range(W):
            for d, (suffix, rev) in enumerate(dirs):
                Wx, Wh, b = (params[f"{p}_b{suffix}"] for p in ("Wx", "Wh", "b"))
                h = np.zeros(Hd)
                for i in reversed(range(H)) if rev else range(H):
                    h = np.tanh(ha[n, i, j] @ Wx + h @ Wh + b)
                    hb[n, i, j, d * Hd : (d + 1) * Hd] = h
    return hb


@pytest.mark.parametrize("four_way", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
def test_forward_matches_a_per_pixel_loop(shape, four_way):
    N, H, W, C, Hd = shape
    rng = np.random.default_rng(1)
    x = rng.standard_normal((N, H, W, C))
    params = random_params(C, Hd, four_way, rng)
    out, _ = VARIANTS[four_way][0](x, params)
    expected = loop_reference(x, params, four_way)
    assert out.shape == (N, H, W, Hd * (2 if four_way else 1))
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


# rel_error is relative entry by entry, and an entry of dWh of order 1e-4
# (the few products near a border) carries the difference's round-off,
# eps * |L| / h, in full. h = 1e-5, about eps ** (1/3) (the bottom of the
# error valley shown in the tour), keeps every entry here below ~1e-7.
FD_STEP = 1e-5
GRAD_TOL = 1e-6


@pytest.mark.parametrize("four_way", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
def test_backward_matches_finite_differences(shape, four_way):
    N, H, W, C, Hd = shape
    forward, backward = VARIANTS[four_way]
    rng = np.random.default_rng(2)
    x = rng.standard_normal((N, H, W, C))
    params = random_params(C, Hd, four_way, rng)
    out, _ = forward(x, params)
    dout = rng.standard_normal(out.shape)

    # the harness refuses a dparams whose keys differ from params'
    errs = check_pair(forward, backward, {"x": x, "params": params}, dout, h=FD_STEP)
    assert len(errs) == 1 + len(params)
    for name, err in errs.items():
        assert err < GRAD_TOL, f"d{name} rel error {err:.2e}"


@pytest.mark.parametrize("ij", [(0, 0), (2, 3), (4, 0), (0, 6), (4, 6)])
def test_receptive_field_one_way_is_the_top_left_rectangle(ij):
    i, j = ij
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 5, 7, 2))
    params = rnn2d.init_rnn2d(2, 3, rng=rng)
    support = fields.input_gradient_map(x, params, i, j) > 0
    expected = np.zeros((5, 7), dtype=bool)
    expected[: i + 1, : j + 1] = True
    np.testing.assert_array_equal(support, expected)


@pytest.mark.parametrize("ij", [(0, 0), (2, 3), (4, 6), (4, 0)])
def test_receptive_field_four_way_is_the_whole_image(ij):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 5, 7, 2))
    params = rnn2d.init_rnn2d(2, 3, four_way=True, rng=rng)
    support = fields.input_gradient_map(x, params, *ij, four_way=True) > 0
    assert support.all(), f"blind spots at {np.argwhere(~support).tolist()}"


@pytest.mark.parametrize("n_layers", [1, 2, 3])
def test_conv_stack_field_is_the_clipped_square(n_layers):
    i, j, H, W = 1, 5, 6, 8
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, H, W, 2))
    weights = [rng.standard_normal((3, 3, 2, 2)) for _ in range(n_layers)]
    support = fields.conv_stack_gradient_map(x, weights, i, j) > 0
    rows, cols = np.ogrid[:H, :W]
    expected = (abs(rows - i) <= n_layers) & (abs(cols - j) <= n_layers)
    np.testing.assert_array_equal(support, expected)


@pytest.mark.parametrize("four_way", [False, True])
@pytest.mark.parametrize("shape", [(2, 3, 5, 3, 4), (1, 4, 2, 2, 3), (3, 1, 6, 5, 2)])
def test_flop_formula_equals_the_counted_matmuls(shape, four_way):
    fwd, bwd = costs.measured_flops(*shape, four_way=four_way)
    formula = costs.rnn2d_flops(*shape, four_way=four_way)
    H, W = shape[1:3]
    k = 2 if four_way else 1
    # a sweep direction takes W (A) or H (B) steps; a step is two matmuls
    # forward and four backward
    assert fwd.calls == 2 * k * (W + H)
    assert bwd.calls == 4 * k * (W + H)
    assert fwd.performed == formula.forward
    assert bwd.performed == formula.backward
    assert fwd.nonzero == costs.rnn2d_nonzero_flops(*shape, four_way=four_way)
    assert fwd.nonzero < fwd.performed  # the zero initial states


def test_flop_formula_closed_forms():
    # one-way, Hd = C: four products of C x C per position -> 8 H W C^2,
    # against 2 * 9 * C * C per position for the 3x3 convolution
    assert costs.rnn2d_flops(1, 5, 7, 6, 6).forward == 8 * 5 * 7 * 36
    assert costs.flop_ratio(5, 7, 6) == pytest.approx(8 / 18)
    # ReNet, Hd = C / 2: A is 2 * (C Hd + Hd^2) = 1.5 C^2 per position and
    # direction pair, B the same -> 6 H W C^2 in all
    assert costs.rnn2d_flops(1, 5, 7, 6, 3, four_way=True).forward == 6 * 5 * 7 * 36
    assert costs.flop_ratio(5, 7, 6, four_way=True) == pytest.approx(6 / 18)
    # a 3x3 'same' conv on a 4x4 image: taps per axis 2 + 3 + 3 + 2 = 10
    assert costs.conv_nonzero_flops(1, 4, 4, 2, 5) == 2 * 10 * 10 * 2 * 5


def test_conv_flop_formula_equals_the_counted_matmuls():
    N, H, W, C, F = 2, 5, 6, 3, 4
    rng = np.random.default_rng(6)
    x = rng.standard_normal((N, H, W, C))
    w = rng.standard_normal((3, 3, C, F))
    (out, cache), fwd = flops.count_flops(layers.conv2d_forward, x, w, np.zeros(F))
    _, bwd = flops.count_flops(
        layers.conv2d_backward, rng.standard_normal(out.shape), cache
    )
    formula = costs.conv_flops(N, H, W, C, F)
    assert (fwd.performed, bwd.performed) == (formula.forward, formula.backward)
    assert fwd.nonzero == costs.conv_nonzero_flops(N, H, W, C, F)


def test_equal_flop_conv_stack_is_one_layer():
    # 24 H W C^2 (forward + backward) against 54 H W C^2 + 2 H W C: under one
    # layer's worth, so the cheapest stack spending as much is one layer
    assert costs.equal_flop_conv_layers(6, 6, 8) == 1
    assert costs.equal_flop_conv_layers(6, 6, 8, four_way=True) == 1


def test_params_helpers():
    shapes = rnn2d.param_shapes(3, 4, four_way=True)
    assert shapes["Wx_a_rev"] == (3, 4)
    assert shapes["Wx_b_rev"] == (8, 4)
    assert len(shapes) == 12
    p1 = rnn2d.init_rnn2d(3, 4, rng=7)
    p2 = rnn2d.init_rnn2d(3, 4, rng=7)
    assert {k: v.shape for k, v in p1.items()} == rnn2d.param_shapes(3, 4)
    assert all(np.array_equal(p1[k], p2[k]) for k in p1)


@pytest.mark.parametrize(
    "key, bad_shape, message",
    [
        ("Wh_a", (3, 4), r"params\['Wh_a'\] must have shape \(4, 4\), got \(3, 4\)"),
        ("b_b", (5,), r"params\['b_b'\] must have shape \(4,\), got \(5,\)"),
        ("Wx_b", (3, 4), r"params\['Wx_b'\] must have shape \(4, 4\), got \(3, 4\)"),
        ("Wx_a", (2, 4), r"params\['Wx_a'\] must have shape \(C, Hd\) with C=3"),
        ("Wx_a", (3, 4, 1), r"params\['Wx_a'\] must be 2-D \(C, Hd\), got 3-D"),
    ],
)
def test_wrong_parameter_shape_names_key_and_shape(key, bad_shape, message):
    x = np.zeros((1, 2, 2, 3))
    params = rnn2d.init_rnn2d(3, 4)
    params[key] = np.zeros(bad_shape)
    with pytest.raises(ValueError, match=message):
        rnn2d.rnn2d_forward(x, params)


def test_missing_keys_are_named_with_their_shape():
    x = np.zeros((1, 2, 2, 3))
    params = rnn2d.init_rnn2d(3, 4)
    del params["Wh_b"]
    with pytest.raises(
        ValueError, match=r"missing key 'Wh_b' \(expected shape \(4, 4\)\)"
    ):
        rnn2d.rnn2d_forward(x, params)
    # the one-way dict lacks all six reverse-direction keys of ReNet
    with pytest.raises(ValueError, match=r"'Wx_b_rev' \(expected shape \(8, 4\)\)"):
        rnn2d.renet_forward(x, rnn2d.init_rnn2d(3, 4))
    with pytest.raises(ValueError, match=r"params\['Wx_a'\] .* missing"):
        rnn2d.rnn2d_forward(x, {})


def test_other_bad_input():
    params = rnn2d.init_rnn2d(3, 4)
    with pytest.raises(
        ValueError, match=r"x must be 4-D \(N, H, W, C\), got 2-D shape \(2, 3\)"
    ):
        rnn2d.rnn2d_forward(np.zeros((2, 3)), params)
    with pytest.raises(TypeError, match="x must have a floating dtype .* got int64"):
        rnn2d.rnn2d_forward(np.zeros((1, 2, 2, 3), dtype=np.int64), params)
    with pytest.raises(TypeError, match="params must be a dict, got list"):
        rnn2d.rnn2d_forward(np.zeros((1, 2, 2, 3)), [])
    out, cache = rnn2d.rnn2d_forward(np.zeros((1, 2, 2, 3)), params)
    with pytest.raises(
        ValueError,
        match=r"dout must have the forward output's shape \(1, 2, 2, 4\), got",
    ):
        rnn2d.rnn2d_backward(np.zeros((1, 2, 2, 3)), cache)
    with pytest.raises(
        ValueError, match=r"\(i, j\) must lie in the 2x2 image, got \(2, 0\)"
    ):
        fields.input_gradient_map(np.zeros((1, 2, 2, 3)), params, 2, 0)
    with pytest.raises(
        ValueError, match="count must be one of 'matmul', 'nonzero', 'all', got 'both'"
    ):
        costs.flop_ratio(4, 4, 4, count="both")
    with pytest.raises(ValueError, match=r"i must be an integer >= 0, got -1"):
        fields.input_gradient_map(np.zeros((1, 2, 2, 3)), params, -1, 0)
    with pytest.raises(ValueError, match=r"x must be one image \(1, H, W, C\)"):
        fields.input_gradient_map(np.zeros((2, 2, 2, 3)), params, 0, 0)
    with pytest.raises(TypeError, match=r"weights must be a list"):
        fields.conv_stack_gradient_map(np.zeros((1, 2, 2, 3)), None, 0, 0)
    with pytest.raises(ValueError, match=r"weights\[0\] must be \(K, K, C, C\)"):
        fields.conv_stack_gradient_map(
            np.zeros((1, 2, 2, 3)), [np.ones((2, 2, 3, 3))], 0, 0
        )
    with pytest.raises(ValueError, match=r"K must be odd"):
        costs.conv_flops(1, 4, 4, 2, 2, K=2)
    with pytest.raises(TypeError, match=r"Hd must be a real number, got NoneType"):
        costs.rnn2d_flops(1, 4, 4, 2, None)
    with pytest.raises(ValueError, match=r"Hd must be an integer >= 1, got 0"):
        rnn2d.init_rnn2d(3, 0)
    with pytest.raises(TypeError, match=r"rng must be an integer, got str"):
        rnn2d.init_rnn2d(3, 4, rng="seed")


def test_timing_returns_both_medians():
    times = timing.time_forward_backward(1, 3, 4, 2, repeats=1)
    assert set(times) == {"rnn2d", "conv2d"}
    assert all(t > 0 for t in times.values())


def test_views_draw_labelled_figures():
    from nnlab.p6_rnn2d import figures as view

    for name, (fn, kwargs) in view.WIDGETS.items():
        fig = fn(**kwargs)
        assert isinstance(fig, plt.Figure), name
        assert all(ax.get_xlabel() for ax in fig.axes if ax.images or ax.lines)
        plt.close(fig)
    one, four, conv, L = view.field_maps(0, 0)
    assert (one > 0).sum() == 1  # output (0, 0) of the one-way module sees x[0, 0]
    assert (four > 0).all()
    assert (conv > 0).sum() == (L + 1) ** 2  # the square clipped at a corner
    sizes = [(1, 3, 4, 2)]
    fig = view.timing_figure(sizes, [{"rnn2d": 2e-3, "conv2d": 1e-3}])
    assert fig.axes[0].patches[0].get_height() == pytest.approx(2.0)
    plt.close(fig)


def test_problem1_network_sees_its_whole_input_after_seven_convs_and_four_pools():
    from nnlab.p1_cnn import presets, specs

    # Hand count on the Problem 1 table (issue 15): the field first covers the
    # 32x32 input at the pool after Conv F=96, row 18 of the layer list.
    full = fields.cnn_full_field(presets.problem1_layers(), presets.PROBLEM1_INPUT)
    assert full == fields.FullField(18, 7, 4)
    # one 3x3 convolution on 32x32 never sees the whole input
    assert fields.cnn_full_field([specs.Conv(4, 3)], (32, 32, 3)) is None
    # a padded 3x3 convolution on a 2x2 image does, at once (row 1)
    assert fields.cnn_full_field([specs.Conv(4, 3, pad=1)], (2, 2, 3)) == (1, 1, 0)
    with pytest.raises(TypeError, match=r"layers must be a list"):
        fields.cnn_full_field("conv", (32, 32, 3))
    with pytest.raises(ValueError, match=r"input_shape must be \(H, W, C\)"):
        fields.cnn_full_field([specs.Conv(4, 3)], (32, 32))
    with pytest.raises(TypeError, match=r"input_shape W must be an integer"):
        fields.cnn_full_field([specs.Conv(4, 3)], (32, 32.0, 3))


def test_field_size_figure_writes_every_count():
    from nnlab.p6_rnn2d import figures as view

    H, W = 3, 4
    ii, jj = np.indices((H, W))
    one = (ii + 1) * (jj + 1)  # the one-way field size, hand-derived
    fig = view.field_size_figure(one, np.full((H, W), H * W), np.full((H, W), 4), 1)
    numbers = [int(t.get_text()) for t in fig.axes[0].texts]
    assert numbers == one.ravel().tolist()
    plt.close(fig)


def test_timing_figure_ticks_are_plain_numbers_and_points_named_in_a_legend():
    from nnlab.p6_rnn2d import figures as view

    sizes = [(1, 64, 64, 4), (1, 16, 16, 16), (8, 16, 16, 64)]
    times = [{"rnn2d": r * 1e-3, "conv2d": 1e-3} for r in (6.0, 2.0, 0.4)]
    fig = view.timing_figure(sizes, times)
    fig.canvas.draw()
    ratio_ax, step_ax = fig.axes[:2]
    labels = [t.get_text() for t in ratio_ax.get_yticklabels()]
    assert labels and all(lab.replace(".", "").isdigit() for lab in labels), labels
    assert not step_ax.texts  # no labels beside the points to collide
    legend = [t.get_text() for t in step_ax.get_legend().get_texts()]
    assert legend == ["N=1, 64x64, C=4", "N=1, 16x16, C=16", "N=8, 16x16, C=64"]
    assert "illustrative" in fig._suptitle.get_text()
    plt.close(fig)


def test_every_figure_and_widget_has_alt_text():
    import inspect

    from nnlab.p6_rnn2d import figures as view

    names = {n for n, f in inspect.getmembers(view, inspect.isfunction)}
    figures = {n for n in names if n.endswith("_figure") and not n.startswith("_")}
    widgets = {fn.__name__ for fn, _ in view.WIDGETS.values()}
    assert figures | widgets <= set(view.ALT)
    assert all(len(view.ALT[n]) > 40 for n in figures | widgets)
