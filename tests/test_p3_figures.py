"""Problem 3's widgets redraw one figure each in place: as a new one would draw it.

`widen_figure` and `deepen_figure` keep a figure (`nnlab.views.live_figure`)
and only update data, colours and titles; the shared legend is frozen to
pixels but for the keys in the strategy's colour. A redraw after another
setting must give the pixels of a figure built for that setting alone, and
each setting must draw its own runs.
"""

import io

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from PIL import Image

from nnlab import views
from nnlab.p3_expansion import experiments
from nnlab.p3_expansion import figures as expand

CALLBACKS = {"widen": expand.widen_figure, "deepen": expand.deepen_figure}


def _pixels(fig) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(views.figure_png(fig))))


# Each pair changes every control; a few runs, each trained once (cached).
PAIRS = [
    (
        "widen",
        {"strategy": "kaiming", "layer": 1, "added": 56},
        {"strategy": "zero", "layer": 0, "added": 24},
    ),
    (
        "widen",
        {"strategy": "net2net", "layer": 0, "added": 24},
        {"strategy": "kaiming", "layer": 1, "added": 56},
    ),
    ("deepen", {"strategy": "kaiming", "layer": 1}, {"strategy": "zero", "layer": 0}),
    ("deepen", {"strategy": "zero", "layer": 0}, {"strategy": "preserve", "layer": 1}),
]


@pytest.mark.parametrize("kind, first, then", PAIRS)
def test_a_redraw_after_another_setting_draws_the_pixels_of_a_new_figure(
    kind, first, then
):
    callback, key = CALLBACKS[kind], f"p3.{kind}"
    views._LIVE.pop(key, None)
    expected = _pixels(callback(**then))
    views._LIVE.pop(key, None)
    _pixels(callback(**first))
    redrawn = _pixels(callback(**then))
    assert redrawn.shape == expected.shape
    differ = np.argwhere((redrawn != expected).any(axis=-1))
    assert differ.size == 0, (
        f"{len(differ)} pixels differ, first at (row, col) {differ[0]}"
    )


SETTINGS = sorted({(kind, tuple(s.items())) for kind, *pair in PAIRS for s in pair})


@pytest.mark.parametrize("kind, setting", SETTINGS)
def test_every_setting_draws_its_own_runs(kind, setting):
    setting = dict(setting)
    for name, values in setting.items():
        assert values in expand.WIDGET_RANGES[kind][name]
    fig = CALLBACKS[kind](**setting)
    assert isinstance(fig, Figure)
    strategy, layer = setting["strategy"], setting["layer"]
    added = setting.get("added", 0)
    g = experiments.grow(kind, strategy, layer, added)
    loss_ax, norm_ax = fig.axes
    drawn = {line.get_label(): line for line in loss_ax.get_lines()}
    # the runs' own arrays, bit for bit, and the strategy's colour
    np.testing.assert_array_equal(drawn["expanded"].get_ydata(), g.history.loss)
    scratch = experiments.scratch_run(kind, layer, added).loss
    np.testing.assert_array_equal(
        drawn["expanded size, from scratch"].get_ydata(), scratch
    )
    colour = to_rgba(expand.COLORS[strategy])
    assert to_rgba(drawn["expanded"].get_color()) == colour
    norms = [line.get_ydata() for line in norm_ax.get_lines()]
    watched = ("in", "out") if kind == "widen" else ("in",)
    assert len(norms) == len(watched)
    for y, name in zip(norms, watched, strict=True):
        np.testing.assert_array_equal(y, g.history.watched[name])
    # the limits cover the new curves (autoscaled again, not left from before)
    low, high = loss_ax.get_ylim()
    assert (
        low <= min(g.history.loss.min(), scratch.min()) and high >= g.history.loss.max()
    )
    low, high = norm_ax.get_ylim()
    assert low <= min(y.min() for y in norms) and high >= max(y.max() for y in norms)
    change = "function kept" if g.kept else f"output change {g.output_change:.2f}"
    acc = g.history.final_test_acc
    assert (
        loss_ax.get_title()
        == f"{experiments.LABELS[strategy]}: {change}\ntest acc {acc:.3f}"
    )
    grad = g.history.watched["grad"].max()
    assert norm_ax.get_title() == f"largest new-parameter gradient: {grad:.1e}"
    # the legend's keys of the expanded lines, kept live, in the same colour
    keys = [a for a in fig.artists if a.get_label() != "expanded size, from scratch"]
    assert len(keys) == 1 + len(watched)
    assert all(to_rgba(key.get_color()) == colour for key in keys)
    _pixels(fig)
