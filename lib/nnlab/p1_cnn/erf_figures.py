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
from matplotlib.patches import Rectangle

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
from nnlab.views import plain_log_ticks

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
    layer = min(layer, len(variant_table(variant).rows))  # networks differ in rows
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
