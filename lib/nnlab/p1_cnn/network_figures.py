"""How fields grow in the preset networks (the notebook's "your own network").

`network_widget` shows a preset's `layer_table` and its growth figure; the
widget redraws `network_growth_view`, one figure per preset built once.
`nnlab.p1_cnn.figures` re-exports these for the notebook and its registry.
"""

from __future__ import annotations

from functools import lru_cache

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from nnlab.p1_cnn.figure_parts import growth_steps, input_side_line
from nnlab.p1_cnn.presets import presets
from nnlab.p1_cnn.summary import layer_table
from nnlab.validate import check_choice
from nnlab.views import figure_png, live_figure, plain_log_ticks

OWN_DEFAULT = "ResNet-18"
GROWTH_SIZE = (8.5, 4.2)
#: Rows labelled (and the first full-field one): a tick label costs a redraw ~1.5 ms.
MAX_ROW_TICKS = 13


@lru_cache(maxsize=8)
def _preset_table(name: str):
    nets = presets()
    layers, shape = nets[check_choice("name", name, nets)]
    return layer_table(layers, shape)


def _draw_growth(fig, name: str) -> None:
    table = _preset_table(name)
    H, W, _ = table.input_shape
    ax = fig.add_subplot()
    growth_steps(ax, table, "receptive field (height)", "C0", lw=2.5)
    idx = [r.index for r in table.rows]
    if any(r.rf[0] != r.rf[1] for r in table.rows):
        ax.step(idx, [r.rf[1] for r in table.rows], where="mid", color="C2", lw=1.5)
        ax.lines[-1].set_label("receptive field (width)")
    ax.step(
        idx, [r.jump[0] for r in table.rows], where="mid", color="C1", ls="--", lw=2
    )
    ax.lines[-1].set_label("jump (product of strides)")
    input_side_line(ax, H)
    ax.set_yscale("log")
    plain_log_ticks(ax, "y", subs=(1, 2, 5))
    full = table.first_full
    step = -(-len(idx) // MAX_ROW_TICKS)  # ceil
    ax.set_xticks(sorted({*idx[::step], *([full.index] if full else [])}))
    ax.tick_params(labelsize=9)
    where = (
        f"every output sees the whole input from row {full.index} ({full.name})"
        if full
        else "no row's every output sees the whole input"
    )
    ax.set_title(f"{name} on {H}x{W}: {where}", fontsize=10)
    ax.set_xlabel("row of the table (input = row 0)")
    ax.set_ylabel("pixels")
    ax.legend(fontsize=9, loc="best")
    fig.tight_layout()


def network_growth_figure(name: str = OWN_DEFAULT):
    """Plot the field side and jump by row of a preset network.

    Solid: the receptive field side; dashed: the jump (input pixels between
    neighbouring outputs, the product of the strides so far); grey: the
    input side; dotted: the first row whose every output sees the whole
    input (none when no row does). A new pyplot figure;
    `network_growth_view` redraws one.
    """
    fig = plt.figure(figsize=GROWTH_SIZE)
    _draw_growth(fig, name)
    return fig


def network_growth_view(name: str = OWN_DEFAULT):
    """Widget view: `network_growth_figure`, one figure per preset, built once."""
    name = check_choice("name", name, presets())

    def build():
        fig = Figure(figsize=GROWTH_SIZE)
        _draw_growth(fig, name)
        return fig, None

    return live_figure(f"p1_cnn.own_network.{name}", build)[0]


def network_widget(name: str = OWN_DEFAULT):
    """Build a drop-down of the presets above their table and growth figure.

    Returns an ``ipywidgets.VBox`` laid out as `nnlab.views.interactive`'s:
    the control in a row, then the output, which shows `layer_table` (as
    HTML) and `network_growth_view` for the chosen preset.
    """
    import ipywidgets as widgets
    from IPython.display import Image, display

    choice = widgets.Dropdown(
        options=list(presets()), value=check_choice("name", name, presets())
    )
    choice.description = "network"

    def show(name):
        display(_preset_table(name))
        display(Image(data=figure_png(network_growth_view(name)), format="png"))

    out = widgets.interactive_output(show, {"name": choice})
    return widgets.VBox([widgets.HBox([choice]), out])


ALT = {
    "network_growth_figure": (
        "For the chosen preset network (ResNet-18 by default): the receptive "
        "field side (solid) and the jump, the product of the strides (dashed), "
        "against the row of its table on a log scale, with a grey line at the "
        "input side and a dotted line at the first row whose every output sees "
        "the whole input. In ResNet-18 the field passes the input side 224 "
        "several rows before that row, the global average pool: the corner "
        "outputs of the last blocks still miss part of the image."
    ),
}
ALT["network_growth_view"] = ALT["network_growth_figure"]
