"""Problem 1's effective receptive field figures (the notebook's appendix).

The effective field (Luo et al., 2016) is the mean |input gradient| for a
unit gradient at one output, over random inputs and He-initialised weights
(`nnlab.p1_cnn.erf`); these figures set it beside the theoretical field.
`nnlab.p1_cnn.figures` re-exports them for the notebook and its registry.
"""

from __future__ import annotations

from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator, MultipleLocator

from nnlab.p1_cnn.erf import effective_fields, spread
from nnlab.p1_cnn.figure_parts import (
    VARIANTS,
    growth_steps,
    input_side_line,
    variant_masks,
    variant_network,
    variant_row,
    variant_table,
)
from nnlab.p1_cnn.presets import PROBLEM1_INPUT
from nnlab.views import live_figure, plain_log_ticks

ERF_IMAGES = 32


@lru_cache(maxsize=4)
def erf_maps(variant: str = VARIANTS[0], n_images: int = ERF_IMAGES, seed: int = 0):
    """(n_layers, 32, 32) effective fields at every layer's centre output."""
    net = variant_network(variant)
    rows = list(range(1, len(net) + 1))
    return effective_fields(net, PROBLEM1_INPUT, rows, n_images, seed)


def _centre_field(variant: str, layer: int):
    r = variant_row(variant, layer)
    i, j = (r.shape[0] - 1) // 2, (r.shape[1] - 1) // 2
    rows, cols = variant_masks(variant)[layer - 1]
    return r, (i, j), np.flatnonzero(rows[i]), np.flatnonzero(cols[j])


def _erf_artists(ax):
    """Put an empty effective-field image and theoretical square on `ax`."""
    H, W, _ = PROBLEM1_INPUT
    image = ax.imshow(np.zeros((H, W)), cmap="magma", interpolation="nearest")
    square = Rectangle((0, 0), 1, 1, fill=False, edgecolor="C2", lw=2)
    ax.add_patch(square)
    ax.set_xlim(-0.5, W - 0.5)
    ax.set_ylim(H - 0.5, -0.5)
    return image, square


def _set_erf(image, square, m, rr, cc) -> None:
    image.set_data(m)
    image.set_clim(m.min(), m.max())
    square.set_bounds(cc[0] - 0.5, rr[0] - 0.5, cc[-1] - cc[0] + 1, rr[-1] - rr[0] + 1)


def _draw_erf(ax, variant: str, layer: int) -> None:
    _, _, rr, cc = _centre_field(variant, layer)
    _set_erf(*_erf_artists(ax), erf_maps(variant)[layer - 1], rr, cc)


@lru_cache(maxsize=128)
def _erf_curves(variant: str, layer: int):
    """Compute once what `erf_figure` draws at one setting."""
    m = erf_maps(variant)[layer - 1]
    r, _, rr, cc = _centre_field(variant, layer)
    s = spread(m)
    x = np.arange(m.shape[1])
    gauss = np.exp(-((x - s.centre[1]) ** 2) / (2 * s.sigma**2)) if s.sigma else x == 0
    box = ((x >= cc[0]) & (x <= cc[-1])).astype(float)
    return m, r, rr, cc, s, x, m.sum(axis=0), gauss / gauss.sum(), box / box.sum()


def _erf_parts(fig) -> dict:
    """Build `erf_figure`'s axes and artists in `fig`, for `_erf_update`."""
    ax0, ax1 = fig.subplots(1, 2)
    image, square = _erf_artists(ax0)
    parts = {"ax1": ax1, "image": image, "square": square}
    parts["title0"] = ax0.set_title(" ", fontsize=10)
    ax0.set_xlabel("input column")
    ax0.set_ylabel("input row")
    parts["profile"] = ax1.plot([], [], "o-", ms=3, color="k", label="effective field")
    parts["gauss"] = ax1.plot([], [], color="C3", label="Gaussian")
    uniform = "theoretical (uniform)"
    parts["box"] = ax1.step([], [], where="mid", color="C2", label=uniform)
    ax1.set_xlabel("input column")
    ax1.set_ylabel("share of gradient mass")
    parts["title1"] = ax1.set_title(" ", fontsize=10)
    parts["legend"] = ax1.legend(fontsize=8)
    return parts


def _erf_update(parts: dict, layer: int, variant: str) -> None:
    layer = min(layer, len(variant_table(variant).rows))  # networks differ in rows
    m, r, rr, cc, s, x, profile, gauss, box = _erf_curves(variant, layer)
    _set_erf(parts["image"], parts["square"], m, rr, cc)
    parts["title0"].set_text(f"layer {layer} ({r.name}): |gradient| map")
    for name, y in (("profile", profile), ("gauss", gauss), ("box", box)):
        parts[name][0].set_data(x, y)
    parts["legend"].get_texts()[1].set_text(f"Gaussian, sigma {s.sigma:.1f}")
    parts["ax1"].relim()
    parts["ax1"].autoscale_view()
    parts["title1"].set_text(
        f"95% of the mass in {s.side95}x{s.side95}; field {r.rf[0]}x{r.rf[1]} "
        f"({rr.size}x{cc.size} inside)"
    )


ERF_SIZE = (9.5, 4.2)
ERF_MARGINS = {"left": 0.06, "right": 0.98, "bottom": 0.12, "top": 0.92, "wspace": 0.3}


def erf_figure(layer: int = 15, variant: str = VARIANTS[0]):
    """Effective receptive field beside the theoretical square, and profiles.

    Left: mean |d input| for a unit gradient at the centre output (random
    He weights, ReLU, max-pool, averaged over random inputs), with the
    theoretical field inside the input (green). Right: the
    column profile against a Gaussian of the same spread and the uniform
    profile the theoretical square would give. A new pyplot figure;
    `erf_view` redraws one.
    """
    fig = plt.figure(figsize=ERF_SIZE)
    _erf_update(_erf_parts(fig), layer, variant)
    fig.tight_layout()
    return fig


def erf_view(layer: int = 15, variant: str = VARIANTS[0]):
    """Widget view: `erf_figure`, its one figure updated in place."""

    def build():
        fig = Figure(figsize=ERF_SIZE)
        fig.subplots_adjust(**ERF_MARGINS)
        parts = _erf_parts(fig)
        # A pixel tick every 10, not 5, and about 4 ticks of mass, not 8: each
        # label costs a redraw about 1.5 ms.
        for axis in (fig.axes[0].xaxis, fig.axes[0].yaxis, fig.axes[1].xaxis):
            axis.set_major_locator(MultipleLocator(10))
        fig.axes[1].yaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 5, 10]))
        return fig, parts

    fig, parts = live_figure("p1_cnn.erf", build)
    _erf_update(parts, layer, variant)
    return fig


def erf_sweep_figure(variant: str = VARIANTS[0], layers=(3, 8, 11, 15, 16, 21)):
    """Small multiples of the effective field with the theoretical square."""
    fig, axes = plt.subplots(1, len(layers), figsize=(2.5 * len(layers), 3.0))
    for ax, layer in zip(np.atleast_1d(axes), layers, strict=True):
        _draw_erf(ax, variant, layer)
        s = spread(erf_maps(variant)[layer - 1])
        r = variant_row(variant, layer)
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


def erf_growth_figure(variant: str = VARIANTS[0]):
    """Plot the theoretical field side by row beside the effective field's."""
    fig, ax = plt.subplots(figsize=(8.5, 4.0))
    table = variant_table(variant)
    growth_steps(ax, table, "theoretical field", "C0", lw=3)
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
    input_side_line(ax, PROBLEM1_INPUT[0])
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


ALT = {
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
}
ALT["erf_view"] = ALT["erf_figure"]
