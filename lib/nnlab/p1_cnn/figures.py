"""Figures for Problem 1.

What each output location sees, how fields grow, and the effective
receptive field.

Layers are numbered from 1 as in the `nnlab.p1_cnn.summary.layer_table` table (0 is
the input). Expensive results (the effective fields) are computed once per
network and cached.

Each ``*_figure`` function draws a new pyplot figure; the widget callbacks
(``*_view``, listed in `WIDGETS`) draw the same artists into one figure kept
by `nnlab.views.live_figure` and update them in place, which halves a redraw.
"""

from __future__ import annotations

from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from nnlab.p1_cnn import erf_figures, network_figures

# Re-exported: the notebook draws them as `view.erf_*`, and the handout
# builder finds figures (and their ALT text) through this module.
from nnlab.p1_cnn.erf_figures import ERF_IMAGES as ERF_IMAGES
from nnlab.p1_cnn.erf_figures import erf_figure as erf_figure
from nnlab.p1_cnn.erf_figures import erf_growth_figure as erf_growth_figure
from nnlab.p1_cnn.erf_figures import erf_maps as erf_maps
from nnlab.p1_cnn.erf_figures import erf_sweep_figure as erf_sweep_figure
from nnlab.p1_cnn.erf_figures import erf_view as erf_view
from nnlab.p1_cnn.figure_parts import (
    VARIANTS,
    growth_steps,
    input_side_line,
    variant_masks,
    variant_network,
    variant_row,
    variant_table,
)
from nnlab.p1_cnn.network_figures import OWN_DEFAULT as OWN_DEFAULT
from nnlab.p1_cnn.network_figures import (
    network_growth_figure as network_growth_figure,
)
from nnlab.p1_cnn.network_figures import network_growth_view as network_growth_view
from nnlab.p1_cnn.network_figures import network_widget as network_widget
from nnlab.p1_cnn.presets import PROBLEM1_INPUT, presets
from nnlab.p1_cnn.receptive import gradient_fields
from nnlab.p1_cnn.specs import MaxPool
from nnlab.views import live_figure, plain_log_ticks


@lru_cache(maxsize=64)
def _measured(variant: str, layer: int, i: int, j: int) -> np.ndarray:
    net = variant_network(variant)
    return gradient_fields(net, PROBLEM1_INPUT, layer, [(i, j)])[0]


def _unclipped(row, i: int, j: int) -> tuple[float, float]:
    """Top-left corner (row, col) of output (i, j)'s unclipped field."""
    top = row.start[0] - (row.rf[0] - 1) / 2
    left = row.start[1] - (row.rf[1] - 1) / 2
    return top + i * row.jump[0], left + j * row.jump[1]


def _field_artists(ax, colours, measured: bool) -> dict:
    """Draw the input on `ax` and, per colour, empty artists of one field."""
    H, W, _ = PROBLEM1_INPUT
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
    parts = {"ax": ax, "images": [], "boxes": [], "centres": [], "dots": None}
    for colour in colours:
        extent = (-0.5, W - 0.5, H - 0.5, -0.5)
        image = ax.imshow(np.zeros((H, W, 4)), extent=extent, interpolation="nearest")
        box = Rectangle((0, 0), 1, 1, fill=False, edgecolor=colour, ls="--", lw=1.5)
        parts["images"].append((image, colour))
        parts["boxes"].append(ax.add_patch(box))
        parts["centres"].append(ax.plot([], [], "*", color=colour, ms=10)[0])
        if measured:
            parts["dots"] = ax.plot([], [], ".", color="k", ms=1.5, alpha=0.6)[0]
    ax.set_aspect("equal")
    return parts


def _set_fields(parts: dict, variant: str, layer: int, locs) -> None:
    """Show the fields of output locations `locs` of a layer, zoomed to fit."""
    H, W, _ = PROBLEM1_INPUT
    row = variant_row(variant, layer)
    rows, cols = variant_masks(variant)[layer - 1]
    lims = [-0.5, W - 0.5]
    for (i, j), (image, colour), box, centre in zip(
        locs, parts["images"], parts["boxes"], parts["centres"], strict=True
    ):
        field = rows[i][:, None] & cols[j][None, :]
        rgba = np.zeros((H, W, 4))
        rgba[field] = (*to_rgb(colour), 0.35)
        image.set_data(rgba)
        top, left = _unclipped(row, i, j)
        box.set_bounds(left - 0.5, top - 0.5, row.rf[1], row.rf[0])
        centre.set_data(
            [row.start[1] + j * row.jump[1]], [row.start[0] + i * row.jump[0]]
        )
        lims = [
            min(lims[0], left - 0.5, top - 0.5),
            max(lims[1], left + row.rf[1], top + row.rf[0]),
        ]
        if parts["dots"] is not None:
            yy, xx = np.nonzero(_measured(variant, layer, i, j))
            parts["dots"].set_data(xx, yy)
    pad = 1.5
    parts["ax"].set_xlim(lims[0] - pad, lims[1] + pad)
    parts["ax"].set_ylim(lims[1] + pad, lims[0] - pad)


def _field_parts(fig) -> dict:
    """Build `field_figure`'s axes and artists in `fig`, for `_field_update`."""
    ax = fig.add_subplot()
    parts = _field_artists(ax, ["C0"], measured=True)
    # About 5 ticks an axis, not 8: each label costs a redraw about 1.5 ms.
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.set_xlabel("input column (hatched: zero padding)")
    ax.set_ylabel("input row")
    handles = [
        Rectangle(
            (0, 0), 1, 1, facecolor="C0", alpha=0.35, label="field inside the input"
        ),
        Rectangle(
            (0, 0), 1, 1, fill=False, edgecolor="C0", ls="--", label="unclipped field"
        ),
        Line2D([], [], ls="", marker=".", color="k", label="gradient support"),
    ]
    ax.legend(handles=handles, loc="lower right", fontsize=8, framealpha=0.9)
    parts["title"] = ax.set_title("\n\n", fontsize=10)
    return parts


def _field_update(parts: dict, layer: int, row: int, col: int, variant: str) -> None:
    layer = min(layer, len(variant_table(variant).rows))  # networks differ in rows
    r = variant_row(variant, layer)
    i, j = min(row, r.shape[0] - 1), min(col, r.shape[1] - 1)
    _set_fields(parts, variant, layer, [(i, j)])
    rows, cols = variant_masks(variant)[layer - 1]
    rr, cc = np.flatnonzero(rows[i]), np.flatnonzero(cols[j])
    whole = rows[i].all() and cols[j].all()
    parts["title"].set_text(
        f"{variant}: layer {layer} ({r.name})\n"
        f"output ({i}, {j}) of {r.shape[0]}x{r.shape[1]}: field {r.rf[0]}x{r.rf[1]}, "
        f"sees rows {rr[0]}-{rr[-1]}, cols {cc[0]}-{cc[-1]}\n"
        + ("the whole input" if whole else "not the whole input")
    )


FIELD_SIZE = (5.6, 5.8)
FIELD_MARGINS = {"left": 0.12, "right": 0.97, "bottom": 0.09, "top": 0.87}


def field_figure(
    layer: int = 18, row: int = 0, col: int = 0, variant: str = VARIANTS[0]
):
    """Draw the input pixels one output location sees, on the 32x32 input.

    Shaded: the field inside the input (from the geometry). Dashed: the
    unclipped field, whose part outside the input falls on zero padding
    (hatched). Black dots: the support of the back-propagated unit gradient.
    The layer is clamped to the network's rows, the row and column to the
    layer's output size. A new pyplot figure; `field_view` redraws one.
    """
    fig = plt.figure(figsize=FIELD_SIZE)
    _field_update(_field_parts(fig), layer, row, col, variant)
    fig.tight_layout()
    return fig


def field_view(layer: int = 18, row: int = 0, col: int = 0, variant: str = VARIANTS[0]):
    """Widget view: `field_figure`, its one figure updated in place."""

    def build():
        fig = Figure(figsize=FIELD_SIZE)
        fig.subplots_adjust(**FIELD_MARGINS)
        return fig, _field_parts(fig)

    fig, parts = live_figure("p1_cnn.field", build)
    _field_update(parts, layer, row, col, variant)
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
        parts = _field_artists(ax, ["C0", "C1"], measured=False)
        _set_fields(parts, variant, layer, [(0, 0), last])
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


WIDGETS = {
    "field": (field_view, {"layer": 18, "row": 0, "col": 0, "variant": VARIANTS[0]}),
    "erf": (erf_view, {"layer": 15, "variant": VARIANTS[0]}),
    "own_network": (network_growth_view, {"name": OWN_DEFAULT}),
}

_ROWS = len(variant_table(VARIANTS[0]).rows)  # the notebook's sliders: 1 .. len(net)
#: Every value each widget control offers, as notebook 01 builds it (the
#: preset drop-down is `network_widget`'s).
WIDGET_RANGES = {
    "field": {
        "layer": tuple(range(1, _ROWS + 1)),
        "row": tuple(range(PROBLEM1_INPUT[0])),
        "col": tuple(range(PROBLEM1_INPUT[1])),
        "variant": VARIANTS,
    },
    "erf": {"layer": tuple(range(1, _ROWS + 1)), "variant": VARIANTS},
    "own_network": {"name": tuple(presets())},
}

ALT = {
    **erf_figures.ALT,
    **network_figures.ALT,
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
}
ALT["field_view"] = ALT["field_figure"]
