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

from nnlab.p1_cnn.erf import effective_fields, spread
from nnlab.p1_cnn.geometry import field_masks
from nnlab.p1_cnn.presets import PROBLEM1_INPUT, presets, problem1_variants
from nnlab.p1_cnn.receptive import gradient_fields
from nnlab.p1_cnn.specs import MaxPool
from nnlab.p1_cnn.summary import layer_table
from nnlab.validate import check_choice
from nnlab.views import figure_png, plain_log_ticks

VARIANTS = tuple(problem1_variants())
ERF_IMAGES = 32


def _network(variant: str):
    nets = problem1_variants()
    return nets[check_choice("variant", variant, nets)]


@lru_cache(maxsize=8)
def _summary(variant: str):
    return layer_table(_network(variant), PROBLEM1_INPUT)


@lru_cache(maxsize=8)
def _masks(variant: str):
    return field_masks(_network(variant), PROBLEM1_INPUT)


def _row(variant: str, layer: int):
    rows = _summary(variant).rows
    if not 1 <= layer <= len(rows):
        raise ValueError(f"layer must be in [1, {len(rows)}], got {layer}")
    return rows[layer - 1]


@lru_cache(maxsize=64)
def _measured(variant: str, layer: int, i: int, j: int) -> np.ndarray:
    net = _network(variant)
    return gradient_fields(net, PROBLEM1_INPUT, layer, [(i, j)])[0]


def _unclipped(row, i: int, j: int) -> tuple[float, float]:
    """Top-left corner (row, col) of output (i, j)'s unclipped field."""
    top = row.start[0] - (row.rf[0] - 1) / 2
    left = row.start[1] - (row.rf[1] - 1) / 2
    return top + i * row.jump[0], left + j * row.jump[1]


def _draw_field(ax, variant: str, layer: int, locs, colours, measured: bool):
    H, W, _ = PROBLEM1_INPUT
    row = _row(variant, layer)
    rows, cols = _masks(variant)[layer - 1]
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
    layer = min(layer, len(_summary(variant).rows))  # networks differ in rows
    r = _row(variant, layer)
    i, j = min(row, r.shape[0] - 1), min(col, r.shape[1] - 1)
    fig, ax = plt.subplots(figsize=(5.6, 5.8))
    _draw_field(ax, variant, layer, [(i, j)], ["C0"], measured=True)
    rows, cols = _masks(variant)[layer - 1]
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
        r = _row(variant, layer)
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


@lru_cache(maxsize=4)
def erf_maps(variant: str = VARIANTS[0], n_images: int = ERF_IMAGES, seed: int = 0):
    """(n_layers, 32, 32) effective fields at every layer's centre output."""
    net = _network(variant)
    rows = list(range(1, len(net) + 1))
    return effective_fields(net, PROBLEM1_INPUT, rows, n_images, seed)


def _centre_field(variant: str, layer: int):
    r = _row(variant, layer)
    i, j = (r.shape[0] - 1) // 2, (r.shape[1] - 1) // 2
    rows, cols = _masks(variant)[layer - 1]
    return r, (i, j), np.flatnonzero(rows[i]), np.flatnonzero(cols[j])


def _draw_erf(ax, variant: str, layer: int) -> None:
    m = erf_maps(variant)[layer - 1]
    _, _, rr, cc = _centre_field(variant, layer)
    ax.imshow(m, cmap="magma", interpolation="nearest")
    ax.add_patch(
        Rectangle(
            (cc[0] - 0.5, rr[0] - 0.5),
            cc[-1] - cc[0] + 1,
            rr[-1] - rr[0] + 1,
            fill=False,
            edgecolor="C2",
            lw=2,
        )
    )
    ax.set_xlim(-0.5, 31.5)
    ax.set_ylim(31.5, -0.5)


def erf_figure(layer: int = 15, variant: str = VARIANTS[0]):
    """Effective receptive field beside the theoretical square, and profiles.

    Left: mean |d input| for a unit gradient at the centre output (random
    He weights, ReLU, max-pool, averaged over random inputs), with the
    theoretical field inside the input (green). Right: the
    column profile against a Gaussian of the same spread and the uniform
    profile the theoretical square would give.
    """
    layer = min(layer, len(_summary(variant).rows))  # networks differ in rows
    m = erf_maps(variant)[layer - 1]
    r, _, rr, cc = _centre_field(variant, layer)
    s = spread(m)
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9.5, 4.2))
    _draw_erf(ax0, variant, layer)
    ax0.set_title(f"layer {layer} ({r.name}): |gradient| map", fontsize=10)
    ax0.set_xlabel("input column")
    ax0.set_ylabel("input row")
    x = np.arange(m.shape[1])
    profile = m.sum(axis=0)
    gauss = np.exp(-((x - s.centre[1]) ** 2) / (2 * s.sigma**2)) if s.sigma else x == 0
    box = ((x >= cc[0]) & (x <= cc[-1])).astype(float)
    ax1.plot(x, profile, "o-", ms=3, color="k", label="effective field")
    ax1.plot(x, gauss / gauss.sum(), color="C3", label=f"Gaussian, sigma {s.sigma:.1f}")
    ax1.step(x, box / box.sum(), where="mid", color="C2", label="theoretical (uniform)")
    ax1.set_xlabel("input column")
    ax1.set_ylabel("share of gradient mass")
    ax1.set_title(
        f"95% of the mass in {s.side95}x{s.side95}; field {r.rf[0]}x{r.rf[1]} "
        f"({rr.size}x{cc.size} inside)",
        fontsize=10,
    )
    ax1.legend(fontsize=8)
    fig.tight_layout()
    return fig


def erf_sweep_figure(variant: str = VARIANTS[0], layers=(3, 8, 11, 15, 16, 21)):
    """Small multiples of the effective field with the theoretical square."""
    fig, axes = plt.subplots(1, len(layers), figsize=(2.5 * len(layers), 3.0))
    for ax, layer in zip(np.atleast_1d(axes), layers, strict=True):
        _draw_erf(ax, variant, layer)
        s = spread(erf_maps(variant)[layer - 1])
        r = _row(variant, layer)
        ax.set_title(
            f"{layer}: RF {r.rf[0]}\nsigma {s.sigma:.1f}, 95% in {s.side95}", fontsize=9
        )
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(
        "Effective receptive field (|gradient|, bright = large) and the theoretical "
        "field inside the input (green)",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    return fig


def _growth(ax, table, label: str, colour: str, lw: float = 2.0, x=None) -> None:
    """Step plot of a table's field side by row, first full-field row dotted.

    `x` places the rows (default: their own numbers).
    """
    x = [r.index for r in table.rows] if x is None else list(x)
    ax.step(x, [r.rf[0] for r in table.rows], where="mid", color=colour, lw=lw)
    ax.lines[-1].set_label(label)
    if table.first_full is not None:
        ax.axvline(x[table.first_full.index - 1], color=colour, ls=":", lw=1.5)


def _input_line(ax, side: int) -> None:
    """Draw a grey line at the input side, labelled under its right end."""
    ax.axhline(side, color="0.5", lw=1)
    ax.text(
        0.99,
        side,
        f"input side {side}",
        transform=ax.get_yaxis_transform(),
        ha="right",
        va="top",
        color="0.3",
        fontsize=9,
    )


def rf_growth_figure():
    """Plot the theoretical field side by row for the readings of part (c).

    The pooled network, the two inserted-convolution readings and the
    all-convolutional one (pools dropped, the stride moved into the
    convolution before); dotted, each network's first full-field row.
    """
    fig, ax = plt.subplots(figsize=(8.5, 4.4))
    pooled = _network(VARIANTS[0])
    first_rfs = [r.rf[0] for r in _summary(VARIANTS[0]).rows]
    # A network without pool rows is drawn at the pooled network's rows of
    # the same layers, so that each convolution sits above its own row.
    kept = [i + 1 for i, spec in enumerate(pooled) if not isinstance(spec, MaxPool)]
    for k, variant in enumerate(VARIANTS):
        table = _summary(variant)
        rfs = [r.rf[0] for r in table.rows]
        same = k > 0 and rfs == first_rfs
        x = None if len(rfs) == len(first_rfs) else kept
        full = table.first_full
        label = f"{variant}: full at its row {full.index}, {full.name}" + (
            " (same fields as the pools)" if same else ""
        )
        _growth(ax, table, label, f"C{k}", lw=(4.5, 2.0, 2.0, 2.0)[k], x=x)
    _input_line(ax, PROBLEM1_INPUT[0])
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


def erf_growth_figure(variant: str = VARIANTS[0]):
    """Plot the theoretical field side by row beside the effective field's."""
    fig, ax = plt.subplots(figsize=(8.5, 4.0))
    table = _summary(variant)
    _growth(ax, table, "theoretical field", "C0", lw=3)
    spreads = [spread(m) for m in erf_maps(variant)]
    idx = np.arange(1, len(spreads) + 1)
    ax.plot(idx, [s.side95 for s in spreads], "k^-", ms=4, label="95% of |grad|")
    ax.plot(
        idx,
        [np.sqrt(s.half_mass_pixels) for s in spreads],
        "kv--",
        ms=4,
        label="50% of |grad| (side of an equal-area square)",
    )
    _input_line(ax, PROBLEM1_INPUT[0])
    ax.set_yscale("log")
    plain_log_ticks(ax, "y", subs=(1, 2, 5))
    ax.set_xticks(idx)
    ax.tick_params(labelsize=9)
    ax.set_xlabel("row of the table; dotted: first full-field row")
    ax.set_ylabel("field side (pixels)")
    ax.set_title(f"Theoretical and effective field, {variant} network")
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
    _growth(ax, table, "receptive field (height)", "C0", lw=2.5)
    idx = [r.index for r in table.rows]
    if any(r.rf[0] != r.rf[1] for r in table.rows):
        ax.step(idx, [r.rf[1] for r in table.rows], where="mid", color="C2", lw=1.5)
        ax.lines[-1].set_label("receptive field (width)")
    ax.step(
        idx, [r.jump[0] for r in table.rows], where="mid", color="C1", ls="--", lw=2
    )
    ax.lines[-1].set_label("jump (product of strides)")
    _input_line(ax, H)
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
    "erf_figure": (
        "Left: the effective receptive field of one layer's centre output as a "
        "heat map of mean absolute input gradient on the 32x32 input, bright in "
        "the middle and fading outward, with the theoretical field inside the "
        "image as a green square. Right: its column profile (black) beside a "
        "Gaussian of the same spread (red) and the flat profile of the "
        "theoretical square (green): the mass is concentrated well inside the "
        "square."
    ),
    "erf_sweep_figure": (
        "Six heat maps of the effective receptive field at rows 3 to 21, each "
        "with the theoretical field inside the image outlined in green: the "
        "bright bump widens with depth but stays inside the square, and once "
        "the theoretical field is wider than the image the bump spreads over "
        "most of the input."
    ),
    "erf_growth_figure": (
        "Field side on a log scale against the row: the theoretical field (blue "
        "steps) keeps growing past the input side 32, while the sides of the "
        "squares holding 95% and 50% of the gradient (black triangles) grow "
        "more slowly, stay below the theoretical field, and level off near 32 "
        "and 20 pixels once the field outgrows the image."
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
