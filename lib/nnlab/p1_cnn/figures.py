"""Figures for Problem 1.

What each output location sees, how fields grow, and the effective
receptive field.

Layers are numbered from 1 as in the `nnlab.p1_cnn.summary.layer_table` table (0 is
the input). Expensive results (the effective fields) are computed once per
network and cached.
"""

from __future__ import annotations

from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from nnlab.p1_cnn import erf_figures

# Re-exported: the notebook draws them as `view.erf_*`, and the handout
# builder finds figures (and their ALT text) through this module.
from nnlab.p1_cnn.erf_figures import ERF_IMAGES as ERF_IMAGES
from nnlab.p1_cnn.erf_figures import erf_figure as erf_figure
from nnlab.p1_cnn.erf_figures import erf_growth_figure as erf_growth_figure
from nnlab.p1_cnn.erf_figures import erf_maps as erf_maps
from nnlab.p1_cnn.erf_figures import erf_sweep_figure as erf_sweep_figure
from nnlab.p1_cnn.figure_parts import (
    VARIANTS,
    growth_steps,
    input_side_line,
    variant_masks,
    variant_network,
    variant_row,
    variant_table,
)
from nnlab.p1_cnn.presets import PROBLEM1_INPUT, presets
from nnlab.p1_cnn.receptive import gradient_fields
from nnlab.p1_cnn.specs import MaxPool
from nnlab.p1_cnn.summary import layer_table
from nnlab.validate import check_choice
from nnlab.views import figure_png, plain_log_ticks


@lru_cache(maxsize=64)
def _measured(variant: str, layer: int, i: int, j: int) -> np.ndarray:
    net = variant_network(variant)
    return gradient_fields(net, PROBLEM1_INPUT, layer, [(i, j)])[0]


def _unclipped(row, i: int, j: int) -> tuple[float, float]:
    """Top-left corner (row, col) of output (i, j)'s unclipped field."""
    top = row.start[0] - (row.rf[0] - 1) / 2
    left = row.start[1] - (row.rf[1] - 1) / 2
    return top + i * row.jump[0], left + j * row.jump[1]


def _draw_field(ax, variant: str, layer: int, locs, colours, measured: bool):
    H, W, _ = PROBLEM1_INPUT
    row = variant_row(variant, layer)
    rows, cols = variant_masks(variant)[layer - 1]
    ax.add_patch(
        Rectangle(
            (-200, -200),
            400,
            400,
            facecolor="0.93",
            hatch="//",
            edgecolor="0.8",
            zorder=-2,
        )
    )
    ax.add_patch(
        Rectangle((-0.5, -0.5), W, H, facecolor="white", edgecolor="k", zorder=-1)
    )
    lims = [-0.5, W - 0.5]
    for (i, j), colour in zip(locs, colours, strict=True):
        field = rows[i][:, None] & cols[j][None, :]
        rgba = np.zeros((H, W, 4))
        rgba[field] = (*plt.matplotlib.colors.to_rgb(colour), 0.35)
        ax.imshow(rgba, extent=(-0.5, W - 0.5, H - 0.5, -0.5), interpolation="nearest")
        top, left = _unclipped(row, i, j)
        ax.add_patch(
            Rectangle(
                (left - 0.5, top - 0.5),
                row.rf[1],
                row.rf[0],
                fill=False,
                edgecolor=colour,
                ls="--",
                lw=1.5,
            )
        )
        ax.plot(
            row.start[1] + j * row.jump[1],
            row.start[0] + i * row.jump[0],
            "*",
            color=colour,
            ms=10,
        )
        lims = [
            min(lims[0], left - 0.5, top - 0.5),
            max(lims[1], left + row.rf[1], top + row.rf[0]),
        ]
        if measured:
            yy, xx = np.nonzero(_measured(variant, layer, i, j))
            ax.plot(xx, yy, ".", color="k", ms=1.5, alpha=0.6)
    pad = 1.5
    ax.set_xlim(lims[0] - pad, lims[1] + pad)
    ax.set_ylim(lims[1] + pad, lims[0] - pad)
    ax.set_aspect("equal")


def field_figure(
    layer: int = 18, row: int = 0, col: int = 0, variant: str = VARIANTS[0]
):
    """Draw the input pixels one output location sees, on the 32x32 input.

    Shaded: the field inside the input (from the geometry). Dashed: the
    unclipped field, whose part outside the input falls on zero padding
    (hatched). Black dots: the support of the back-propagated unit gradient.
    The layer is clamped to the network's rows, the row and column to the
    layer's output size.
    """
    layer = min(layer, len(variant_table(variant).rows))  # networks differ in rows
    r = variant_row(variant, layer)
    i, j = min(row, r.shape[0] - 1), min(col, r.shape[1] - 1)
    fig, ax = plt.subplots(figsize=(5.6, 5.8))
    _draw_field(ax, variant, layer, [(i, j)], ["C0"], measured=True)
    rows, cols = variant_masks(variant)[layer - 1]
    rr, cc = np.flatnonzero(rows[i]), np.flatnonzero(cols[j])
    whole = rows[i].all() and cols[j].all()
    ax.set_title(
        f"{variant}: layer {layer} ({r.name})\n"
        f"output ({i}, {j}) of {r.shape[0]}x{r.shape[1]}: field {r.rf[0]}x{r.rf[1]}, "
        f"sees rows {rr[0]}-{rr[-1]}, cols {cc[0]}-{cc[-1]}\n"
        + ("the whole input" if whole else "not the whole input"),
        fontsize=10,
    )
    ax.set_xlabel("input column (hatched: zero padding)")
    ax.set_ylabel("input row")
    handles = [
        Rectangle(
            (0, 0), 1, 1, facecolor="C0", alpha=0.35, label="field inside the input"
        ),
        Rectangle(
            (0, 0), 1, 1, fill=False, edgecolor="C0", ls="--", label="unclipped field"
        ),
        plt.Line2D([], [], ls="", marker=".", color="k", label="gradient support"),
    ]
    ax.legend(handles=handles, loc="lower right", fontsize=8, framealpha=0.9)
    fig.tight_layout()
    return fig


def corner_fields_figure(variant: str = VARIANTS[0], layers=(3, 8, 11, 15, 16, 18)):
    """Small multiples: the fields of the two opposite corner outputs.

    Every location's field covers the input exactly when the extreme
    locations' fields do, so the first-corner (blue) and last-corner (orange)
    fields show where full coverage starts.
    """
    fig, axes = plt.subplots(1, len(layers), figsize=(2.6 * len(layers), 3.3))
    for ax, layer in zip(np.atleast_1d(axes), layers, strict=True):
        r = variant_row(variant, layer)
        last = (r.shape[0] - 1, r.shape[1] - 1)
        _draw_field(ax, variant, layer, [(0, 0), last], ["C0", "C1"], measured=False)
        ax.set_title(
            f"{layer}: {r.name}\nRF {r.rf[0]}, {'full' if r.full else 'not full'}",
            fontsize=9,
        )
        ax.set_xticks([0, 31])
        ax.set_yticks([0, 31])
    fig.suptitle(
        f"{variant}: fields of output (0, 0) (blue) and of the last output "
        "(orange); dashed = unclipped, hatched = zero padding",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def rf_growth_figure():
    """Plot the theoretical field side by row for the readings of part (c).

    The pooled network, the two inserted-convolution readings and the
    all-convolutional one (pools dropped, the stride moved into the
    convolution before); dotted, each network's first full-field row.
    """
    fig, ax = plt.subplots(figsize=(8.5, 4.4))
    pooled = variant_network(VARIANTS[0])
    first_rfs = [r.rf[0] for r in variant_table(VARIANTS[0]).rows]
    # A network without pool rows is drawn at the pooled network's rows of
    # the same layers, so that each convolution sits above its own row.
    kept = [i + 1 for i, spec in enumerate(pooled) if not isinstance(spec, MaxPool)]
    for k, variant in enumerate(VARIANTS):
        table = variant_table(variant)
        rfs = [r.rf[0] for r in table.rows]
        same = k > 0 and rfs == first_rfs
        x = None if len(rfs) == len(first_rfs) else kept
        full = table.first_full
        label = f"{variant}: full at its row {full.index}, {full.name}" + (
            " (same fields as the pools)" if same else ""
        )
        growth_steps(ax, table, label, f"C{k}", lw=(4.5, 2.0, 2.0, 2.0)[k], x=x)
    input_side_line(ax, PROBLEM1_INPUT[0])
    ax.set_yscale("log")
    plain_log_ticks(ax, "y", subs=(1, 2, 5))
    ax.set_xticks(range(1, len(first_rfs) + 1))
    ax.tick_params(labelsize=9)
    ax.set_xlabel(
        "row of the problem's table (no pool rows for 'strided'); dotted: first "
        "full-field row"
    )
    ax.set_ylabel("receptive field side (pixels)")
    ax.set_title("Receptive field growth: pools, inserted convolutions, strides")
    ax.legend(fontsize=9, loc="upper left")
    fig.tight_layout()
    return fig


OWN_DEFAULT = "ResNet-18"


@lru_cache(maxsize=8)
def _preset_table(name: str):
    nets = presets()
    layers, shape = nets[check_choice("name", name, nets)]
    return layer_table(layers, shape)


def network_growth_figure(name: str = OWN_DEFAULT):
    """Plot the field side and jump by row of a preset network.

    Solid: the receptive field side; dashed: the jump (input pixels between
    neighbouring outputs, the product of the strides so far); grey: the
    input side; dotted: the first row whose every output sees the whole
    input (none when no row does).
    """
    table = _preset_table(name)
    H, W, _ = table.input_shape
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
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
    step = max(1, len(idx) // 20)
    ax.set_xticks(idx[::step])
    ax.tick_params(labelsize=9)
    full = table.first_full
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
    return fig


def network_widget(name: str = OWN_DEFAULT):
    """Build a drop-down of the presets above their table and growth figure.

    Returns an ``ipywidgets.VBox`` laid out as `nnlab.views.interactive`'s:
    the control in a row, then the output, which shows `layer_table` (as
    HTML) and `network_growth_figure` for the chosen preset.
    """
    import ipywidgets as widgets
    from IPython.display import Image, display

    choice = widgets.Dropdown(
        options=list(presets()), value=check_choice("name", name, presets())
    )
    choice.description = "network"

    def show(name):
        display(_preset_table(name))
        display(Image(data=figure_png(network_growth_figure(name)), format="png"))

    out = widgets.interactive_output(show, {"name": choice})
    return widgets.VBox([widgets.HBox([choice]), out])


WIDGETS = {
    "field": (field_figure, {"layer": 18, "row": 0, "col": 0, "variant": VARIANTS[0]}),
    "erf": (erf_figure, {"layer": 15, "variant": VARIANTS[0]}),
    "own_network": (network_growth_figure, {"name": OWN_DEFAULT}),
}

ALT = {
    **erf_figures.ALT,
    "field_figure": (
        "The 32x32 input grid with the pixels one output location sees shaded, "
        "the unclipped receptive field as a dashed square that can reach past "
        "the image into hatched zero padding, and black dots where the "
        "back-propagated gradient is non-zero; the dots fill exactly the shaded "
        "part. The title gives the layer, the location, the field size and the "
        "input rows and columns it sees."
    ),
    "corner_fields_figure": (
        "Six small panels, one per layer from row 3 to row 18, each showing the "
        "fields of the top-left (blue) and bottom-right (orange) outputs on the "
        "32x32 input. The fields grow with depth; at row 16 (Conv F=96) the "
        "dashed unclipped squares are wider than the image but each corner's "
        "shaded field still misses the far rows and columns, and only at row 18, "
        "the pool after it, do both corners cover the whole input."
    ),
    "rf_growth_figure": (
        "Receptive field side on a log scale against the row of the problem's "
        "table for the four readings of part (c), with a grey line at the input "
        "side 32 and a dotted line at each network's first full-field row. The "
        "inserted 2x2 convolutions follow the pooled network's steps exactly, "
        "the inserted 3x3 convolutions grow faster, and both become full at row "
        "18; the all-convolutional network (pools dropped, strides moved into "
        "the convolutions) grows more slowly and first sees the whole input at "
        "its last convolution, Conv F=128."
    ),
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
