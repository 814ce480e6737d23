"""The widget wiring shared by every notebook."""

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest

from nnlab.views import interactive


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
