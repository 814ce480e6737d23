"""The widget wiring shared by every notebook."""

import importlib
import pkgutil

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest

import nnlab.views
from nnlab.views import figure_png, interactive, plain_log_ticks, tour


def test_interactive_builds_controls_above_an_output():
    calls = []

    def draw(k):
        calls.append(k)
        fig, ax = plt.subplots()
        ax.plot([0, k])
        return fig

    slider = widgets.IntSlider(value=2, min=0, max=5)
    box = interactive(draw, k=slider)
    controls, out = box.children
    assert list(controls.children) == [slider]
    assert isinstance(out, widgets.Output)
    assert calls == [2]
    slider.value = 4
    assert calls == [2, 4]
    # the figure was handed to the output and closed, not left open
    assert plt.get_fignums() == []


def test_interactive_rejects_non_widgets_and_no_controls():
    with pytest.raises(TypeError, match="control 'k' must be an ipywidgets"):
        interactive(lambda k: None, k=3)
    with pytest.raises(ValueError, match="at least one control"):
        interactive(lambda: None)


VIEW_MODULES = [m.name for m in pkgutil.iter_modules(nnlab.views.__path__)]


@pytest.mark.parametrize("name", VIEW_MODULES)
def test_every_widget_callback_draws_at_its_default_settings(name):
    module = importlib.import_module(f"nnlab.views.{name}")
    assert module.WIDGETS, f"nnlab.views.{name} lists no widget callbacks"
    for key, (fn, kwargs) in module.WIDGETS.items():
        result = fn(**kwargs)
        assert isinstance(result, plt.Figure | str), (
            f"{name}.{key} returned {type(result).__name__}"
        )
        plt.close("all")


def test_tour_step_sweep_shows_truncation_then_round_off():
    sweep = dict(tour.step_sweep())
    # Centred differences: error ~ h**2, two decades per decade of h.
    slope = np.log10(sweep[-2.0] / sweep[-3.0])
    assert 1.9 < slope < 2.1
    best = min(sweep, key=sweep.get)
    # Round-off ~ eps / h balances h**2 near eps ** (1/3) ~ 6e-6.
    assert -7.0 <= best <= -4.0
    assert sweep[-12.0] > 100 * sweep[best]


def test_figure_png_renders_and_closes_the_figure():
    fig, ax = plt.subplots(figsize=(2, 1), dpi=50)
    ax.plot([0, 1])
    png = figure_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # width and height from the IHDR chunk: 2 x 1 inches at 50 dpi
    assert int.from_bytes(png[16:20], "big") == 100
    assert int.from_bytes(png[20:24], "big") == 50
    assert plt.get_fignums() == []


def test_plain_log_ticks_label_powers_of_ten_without_mathtext():
    fig, ax = plt.subplots()
    ax.loglog([1e-6, 1e2], [1e-6, 1e2])
    plain_log_ticks(ax)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert "1e-6" in labels and "0.01" in labels and "100" in labels
    ax.set_ylim(3e-3, 4e4)
    plain_log_ticks(ax, "y", subs=(1, 2, 5))
    fig.canvas.draw()
    ylabels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert {"5e-3", "0.01", "200", "2e4"} <= set(ylabels), ylabels
    assert not any("$" in label for label in labels)
    assert len(ax.xaxis.get_minorticklocs()) == 0
    plt.close(fig)
    with pytest.raises(ValueError, match="axis must be 'x', 'y' or 'both', got 'z'"):
        plain_log_ticks(ax, axis="z")
