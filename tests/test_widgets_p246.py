"""Widgets of Problems 2, 4 and 6 redrawn in place (issue 18, item 1).

Each live callback keeps one figure (`nnlab.views.live_figure`) and only
updates its artists. A redraw must leave nothing of the setting before: drawn
after another setting, its pixels equal those of a figure built afresh for
the same setting. The counts and ratios the figures print are checked
against hand counts and `costs.flop_ratio`.
"""

import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from nnlab import views
from nnlab.p2_activations import figures as p2
from nnlab.p4_seqnorm import figures as p4
from nnlab.p6_rnn2d import costs
from nnlab.p6_rnn2d import figures as p6

# (live key, callback, setting drawn first, setting compared)
RF, FR, PT = p6.receptive_field_widget, p6.flop_ratio_widget, p4.perturbation_widget
TR, RELU = p2.training_widget, {"activation": "relu", "depth": 5, "lr": 0.03}
DEAD = {"activation": "shifted_relu", "depth": 20, "lr": 0.1}
SWITCHES = [
    ("p2.training", TR, RELU, DEAD),
    ("p2.training", TR, DEAD, {"activation": "sign", "depth": 10, "lr": 0.01}),
    ("p2.training", TR, DEAD, RELU),
    ("p6.receptive_field", RF, {"i": 11, "j": 15}, {"i": 0, "j": 0}),
    ("p6.receptive_field", RF, {"i": 0, "j": 0}, {"i": 6, "j": 9}),
    ("p6.flop_ratio", FR, {"H": 32, "W": 32, "C": 64}, {"H": 1, "W": 1, "C": 1}),
    ("p6.flop_ratio", FR, {"H": 1, "W": 1, "C": 1}, {"H": 128, "W": 128, "C": 512}),
    ("p6.flop_ratio", FR, {"H": 128, "W": 3, "C": 7}, {"H": 4, "W": 4, "C": 2}),
    ("p4.perturbation", PT, {"T": 48, "step": 47}, {"T": 2, "step": 0}),
    ("p4.perturbation", PT, {"T": 2, "step": 0}, {"T": 16, "step": 8}),
    ("p4.perturbation", PT, {"T": 5, "step": 30}, {"T": 48, "step": 0}),
]


def pixels(fig) -> np.ndarray:
    """(H, W, 4) uint8: the image the widget's output shows."""
    return np.asarray(Image.open(io.BytesIO(views.figure_png(fig))))


@pytest.mark.parametrize(("key", "callback", "first", "then"), SWITCHES)
def test_a_redraw_equals_a_fresh_figure(key, callback, first, then):
    views._LIVE.pop(key, None)
    fig = callback(**first)
    pixels(fig)
    assert callback(**then) is fig  # the same figure, updated in place
    redrawn = pixels(fig)
    views._LIVE.pop(key)  # the next call builds anew
    fresh_fig = callback(**then)
    assert fresh_fig is not fig
    fresh = pixels(fresh_fig)
    assert redrawn.shape == fresh.shape
    differ = (redrawn != fresh).any(axis=-1)
    assert not differ.any(), f"{differ.sum()} pixels differ from a fresh {key}"


def test_perturbation_widget_draws_the_notebook_figure():
    # one design: the widget's figure is perturbation_figure, pixel for pixel
    live = pixels(p4.perturbation_widget(T=30, step=29))
    np.testing.assert_array_equal(live, pixels(p4.perturbation_figure(T=30, step=29)))


@pytest.mark.parametrize(
    ("T", "step"), [(2, 0), (2, 1), (2, 47), (16, 8), (48, 0), (48, 47), (7, 20)]
)
def test_perturbation_widget_counts_the_outputs_that_move(T, step):
    fig = p4.perturbation_widget(T=T, step=step)
    assert isinstance(fig, Figure)
    s = min(step, T - 1)  # clipped, as the docstring says
    # by hand: full norm moves all T outputs, causal the nudged step and the
    # later ones except y[0], which is beta whatever x[0] (normalized by its
    # own mean), layer norm the nudged step only
    moved = {"full": T, "causal": T - max(s, 1), "layer": 1}
    for ax, norm in zip(fig.axes, p4.NORMS, strict=True):
        n = moved[norm]
        assert ax.get_title() == f"{p4.LABELS[norm]}: {n} of {T} outputs move"
        hit, still = ax.get_lines()[1:3]  # after the dotted line at the step
        assert len(hit.get_xdata()) == n and len(still.get_xdata()) == T - n
        assert ax.get_lines()[0].get_xdata()[0] == s
        # the bars rise from 0: the y range is [0, largest change] with
        # matplotlib's 5% margins, and the x range holds every step
        top = p4.output_change(T, s, norm).max()
        assert ax.get_ylim() == pytest.approx((-0.05 * top, 1.05 * top))
        assert ax.get_xlim() == (-0.8, T - 0.2)
    assert fig._suptitle.get_text().startswith(f"Nudging x[{s}, 0] by +1")


@pytest.mark.parametrize(
    ("H", "W", "C"),
    [(1, 1, 1), (128, 128, 512), (32, 32, 64), (1, 128, 3), (128, 1, 512), (5, 77, 1)],
)
def test_flop_ratio_widget_sweeps_the_slider_range(H, W, C):
    fig = p6.flop_ratio_widget(H=H, W=W, C=C)
    assert isinstance(fig, Figure)
    one = costs.flop_ratio(H, W, C)
    four = costs.flop_ratio(H, W, C, four_way=True)
    title = fig._suptitle.get_text()
    assert f"H={H}, W={W}, C={C}:" in title
    assert f"{one:.3f} one-way, {four:.3f} four-way" in title
    c_ax, h_ax, w_ax = fig.axes[:3]
    # the dots sit at the chosen sizes, on the matmul ratio of each module
    for ax, x in ((c_ax, np.log2(C)), (h_ax, H), (w_ax, W)):
        dots = [ln for ln in ax.get_lines() if ln.get_marker() == "o"]
        assert [d.get_xdata()[0] for d in dots] == [x, x]
        assert [d.get_ydata()[0] for d in dots] == [one, four]
        lo, hi = ax.get_xlim()
        assert lo < x < hi
    # every curve is inside the shared y range: up to 1.1 times the largest
    # ratio drawn (and the line at 1)
    curves = [ln.get_ydata() for ax in fig.axes[:3] for ln in ax.get_lines()]
    top = max(max(y) for y in curves if len(y) > 2)
    assert c_ax.get_ylim() == (0, pytest.approx(1.1 * max(top, 1.0)))
    # the C sweep is drawn with H and W held: its matmul line is one-way's
    # ratio at each swept C, computed again here
    swept = p6.figure_parts.SWEEPS["C"][1]
    curve = c_ax.get_lines()[0].get_ydata()
    expected = [costs.flop_ratio(H, W, int(c)) for c in swept]
    np.testing.assert_allclose(curve, expected, rtol=1e-12)
    views.figure_png(fig)


@pytest.mark.parametrize(
    ("i", "j"), [(0, 0), (11, 15), (0, 15), (11, 0), (6, 9), (-3, 99)]
)
def test_receptive_field_widget_counts_the_inputs_that_reach_the_output(i, j):
    fig = p6.receptive_field_widget(i=i, j=j)
    H, W, _ = p6.FIELD_SHAPE
    i, j = min(max(i, 0), H - 1), min(max(j, 0), W - 1)  # clipped like the sliders
    one, four, conv, _ = p6.field_maps(i, j)
    # by hand: the one-way field is the rectangle from (0, 0) to (i, j),
    # ReNet's the whole image
    counts = [(i + 1) * (j + 1), H * W, int((conv > 0).sum())]
    assert (one > 0).sum() == counts[0] and (four > 0).all()
    for ax, n, grad in zip(fig.axes[:3], counts, (one, four, conv), strict=True):
        assert ax.get_title().endswith(f"\n{n} of {H * W} inputs")
        shown = ax.images[0].get_array()
        # grey (NaN) exactly where the gradient is zero
        np.testing.assert_array_equal(np.isnan(shown), grad == 0)
        assert list(ax.get_lines()[0].get_xydata()[0]) == [j, i]
        box = ax.patches[0]
        rows, cols = np.nonzero(grad > 0)
        assert (box.get_x(), box.get_width()) == (cols.min() - 0.5, np.ptp(cols) + 1)
        assert (box.get_y(), box.get_height()) == (rows.min() - 0.5, np.ptp(rows) + 1)
    title = fig._suptitle.get_text()
    assert title == f"Receptive field of output ({i}, {j}) on a {H}x{W} image"
    views.figure_png(fig)


def test_training_widget_draws_the_run_chosen():
    p2.training_widget(**RELU)
    fig = p2.training_widget(**DEAD)
    loss_ax, regions_ax = fig.axes
    h = p2.run(**DEAD)
    line = loss_ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_ydata(), h.loss)
    key = loss_ax.get_legend().legend_handles[0]
    assert line.get_color() == key.get_color() == p2.COLORS["shifted_relu"]
    assert loss_ax.get_title() == "ReLU(x - 10), depth 20, lr 0.1, seed 0"
    # dead at initialization: the loss stays at log 2, so the log axis gets
    # one decade, 0.1 to 1, plus 5% margins (matplotlib's LogLocator rule),
    # whatever the run drawn before
    np.testing.assert_allclose(h.loss, np.log(2), rtol=1e-12)
    assert loss_ax.get_ylim() == pytest.approx((0.1 * 10**-0.05, 10**0.05))
    # one class everywhere: the regions image is uniform
    assert np.unique(regions_ax.images[0].get_array()).size == 1
    assert regions_ax.get_title().startswith("train ")


def test_static_figures_are_pyplot_figures_and_widgets_are_not():
    # the notebooks show the static ones with plt.show(); the widgets' figures
    # must never be shown or closed by pyplot
    plt.close("all")
    for draw in (
        p6.receptive_field_figure,
        p6.flop_ratio_figure,
        p4.perturbation_figure,
    ):
        fig = draw()
        assert plt.fignum_exists(fig.number)
    plt.close("all")
    for draw in (
        p6.receptive_field_widget,
        p6.flop_ratio_widget,
        p4.perturbation_widget,
    ):
        draw()
    assert plt.get_fignums() == []
