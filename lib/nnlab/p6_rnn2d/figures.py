"""Figures for Problem 6.

Receptive fields, FLOP ratios and wall times of the 2D RNN module against a
3x3 convolution.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import (
    FuncFormatter,
    LogLocator,
    NullFormatter,
    NullLocator,
)

from nnlab import views
from nnlab.p6_rnn2d import costs, figure_parts
from nnlab.p6_rnn2d.figure_parts import FIELD_SHAPE, PANELS
from nnlab.p6_rnn2d.figure_parts import field_maps as field_maps  # notebook 06's


def receptive_field_figure(i: int = 6, j: int = 9):
    """Where output (i, j) looks: |d out[i, j] / dx| for the three modules.

    Colour is log10 of the gradient magnitude summed over channels; grey
    cells have an exact zero gradient (outside the receptive field). The
    red box bounds the support.
    """
    fig = plt.figure(figsize=figure_parts.FIELD_SIZE)
    figure_parts.update_fields(figure_parts.build_fields(fig), *_field_point(i, j))
    return fig


def receptive_field_widget(i: int = 6, j: int = 9):
    """Widget view: `receptive_field_figure`, one figure updated in place."""
    fig, parts = views.live_figure("p6.receptive_field", _new_lean_fields)
    figure_parts.update_fields(parts, *_field_point(i, j))
    return fig


def _field_point(i: int, j: int) -> tuple[int, int]:
    H, W, _ = FIELD_SHAPE
    return int(np.clip(i, 0, H - 1)), int(np.clip(j, 0, W - 1))


def _new_lean_fields():
    fig = Figure(figsize=figure_parts.FIELD_SIZE)  # not pyplot's: see live_figure
    return fig, figure_parts.build_fields(fig, lean=True)


def field_size_figure(one, four, conv, n_conv_layers: int):
    """How many inputs reach each output, at every (i, j), for the three modules.

    Parameters
    ----------
    one, four, conv : (H, W) int ndarrays
        The receptive-field size of every output location (the number of
        inputs with a nonzero gradient) of the one-way module, ReNet and
        the conv stack.
    n_conv_layers : int
        Layers of the conv stack, for its title.
    """
    H, W = one.shape
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    fig.subplots_adjust(left=0.05, right=0.9, bottom=0.16, top=0.8, wspace=0.25)
    titles = (
        PANELS[0],
        PANELS[1],
        f"{PANELS[2]}, {n_conv_layers} layer{'s' * (n_conv_layers > 1)}",
    )
    norm = Normalize(0, H * W)
    for ax, sizes, title in zip(axes, (one, four, conv), titles, strict=True):
        im = ax.imshow(sizes, cmap="viridis", norm=norm, interpolation="nearest")
        for (i, j), n in np.ndenumerate(sizes):
            ax.text(
                j,
                i,
                str(n),
                ha="center",
                va="center",
                fontsize=9,
                color="white" if n < 0.6 * H * W else "black",
            )
        ax.set_title(title, fontsize=10)
        ax.set_xticks(range(W))
        ax.set_yticks(range(H))
        ax.set_xlabel("output column j")
        ax.set_ylabel("output row i")
    cax = fig.add_axes((0.92, 0.2, 0.012, 0.55))
    fig.colorbar(im, cax=cax, label="inputs that reach (i, j)")
    fig.suptitle(f"Receptive-field size at every output of a {H}x{W} image")
    return fig


def flop_ratio_figure(H: int = 32, W: int = 32, C: int = 64):
    """Forward FLOPs of the module / a 3x3 conv C -> C, against C, H and W.

    Each panel varies one of the three and holds the other two at the
    chosen values (marked). Lines: one-way and four-way, three ways of
    counting (see `costs.flop_ratio`).
    """
    fig = plt.figure(figsize=figure_parts.RATIO_SIZE)
    figure_parts.update_ratios(figure_parts.build_ratios(fig), H, W, C)
    return fig


def flop_ratio_widget(H: int = 32, W: int = 32, C: int = 64):
    """Widget view: `flop_ratio_figure`, one figure updated in place."""
    fig, parts = views.live_figure("p6.flop_ratio", _new_lean_ratios)
    figure_parts.update_ratios(parts, H, W, C)
    return fig


def _new_lean_ratios():
    fig = Figure(figsize=figure_parts.RATIO_SIZE)
    return fig, figure_parts.build_ratios(fig, lean=True)


def timing_figure(sizes, times):
    """Measured time ratio of forward + backward against the FLOP ratio.

    Illustrative: the times are of one run on one machine.

    Parameters
    ----------
    sizes : list of (N, H, W, C)
    times : list of dict
        `timing.time_forward_backward` results, one per size.
    """
    labels = [f"N={n}, {h}x{w}, C={c}" for n, h, w, c in sizes]
    t_ratio = [t["rnn2d"] / t["conv2d"] for t in times]
    f_ratio = [
        sum(costs.rnn2d_flops(n, h, w, c, c)) / sum(costs.conv_flops(n, h, w, c, c))
        for n, h, w, c in sizes
    ]
    x = np.arange(len(sizes))
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    ax.bar(x - 0.2, t_ratio, 0.4, label="measured time ratio", color="C0")
    ax.bar(x + 0.2, f_ratio, 0.4, label="FLOP ratio", color="C2")
    ax.axhline(1.0, color="0.3", lw=1)
    ax.set_yscale("log", base=2)
    # whole powers of two, written as plain numbers (no 6x10^0 minor labels)
    lo = np.floor(np.log2(min(min(t_ratio), min(f_ratio)) / 1.2))
    hi = np.ceil(np.log2(max(max(t_ratio), max(f_ratio)) * 1.2))
    ticks = 2.0 ** np.arange(lo, hi + 1)
    ax.set_ylim(ticks[0], ticks[-1])
    ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xticks(x, [lab.replace(", C", "\nC") for lab in labels], fontsize=8)
    ax.set_ylabel("rnn2d / conv2d (forward + backward)")
    ax.set_title("Below 1: the 2D RNN is faster", fontsize=10)
    ax.legend(fontsize=8)
    steps = [2 * (h + w) for _, h, w, _ in sizes]  # forward and backward sweeps
    per_step = [1e6 * t["rnn2d"] / s for t, s in zip(times, steps, strict=True)]
    flops_per_step = [
        sum(costs.rnn2d_flops(n, h, w, c, c)) / s
        for (n, h, w, c), s in zip(sizes, steps, strict=True)
    ]
    # one marker a size, named in the legend: labels beside the points collide
    for k, (fx, py, lab) in enumerate(
        zip(flops_per_step, per_step, labels, strict=True)
    ):
        ax2.loglog(fx, py, _MARKERS[k % len(_MARKERS)], color=f"C{k}", ms=8, label=lab)
    ax2.set_xlabel("FLOPs per dependent step")
    ax2.set_ylabel("microseconds per dependent step")
    ax2.set_title("rnn2d: a floor per step, then time grows with FLOPs", fontsize=10)
    ax2.grid(alpha=0.3, which="major")
    # times labelled 1, 2, 5 a decade as plain numbers (no "6x10^2" minor labels)
    ax2.yaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
    ax2.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    for axis in (ax2.xaxis, ax2.yaxis):
        axis.set_minor_formatter(NullFormatter())
    ax2.legend(fontsize=8, loc="upper left")
    fig.suptitle("Wall times: illustrative, one run on this machine", fontsize=10)
    return fig


_MARKERS = ("o", "s", "^", "D", "v", "P")


ALT = {
    "receptive_field_figure": (
        "Three heatmaps of log10 |d out[i, j] / dx| on a 12x16 image for the "
        "one-way 2D RNN, ReNet and an equal-FLOP stack of 3x3 convolutions; "
        "grey cells are exact zeros and a red box bounds the support. The one-way "
        "field is the top-left rectangle ending at (i, j), ReNet's is the whole "
        "image, the conv stack's a small square around (i, j); the one-way "
        "gradient fades by orders of magnitude towards the far corner."
    ),
    "receptive_field_widget": (
        "The receptive-field figure for the output chosen with the sliders: "
        "three heatmaps of log10 |d out[i, j] / dx| on a 12x16 image (one-way "
        "2D RNN, ReNet, an equal-FLOP 3x3 conv stack), grey where the gradient "
        "is exactly zero, a red box around the support and a cross at (i, j); "
        "each title counts the inputs that reach (i, j). The one-way field is "
        "the rectangle from the top-left corner to (i, j), ReNet's the whole "
        "image, the conv stack's a small square around (i, j)."
    ),
    "field_size_figure": (
        "Three grids of numbers, one a module, giving how many input pixels "
        "reach each output of a 5x7 image. One-way: (i+1)(j+1), growing from 1 "
        "at the top-left corner to 35 at the bottom-right. ReNet: 35 everywhere. "
        "Conv stack: a small square, clipped at the borders."
    ),
    "flop_ratio_figure": (
        "Three panels of the module's forward FLOPs divided by a 3x3 "
        "convolution's, against channels C, rows H and columns W, for the "
        "one-way module and ReNet, counted three ways, with the chosen (H, W, C) "
        "marked. The matmul ratio is flat, 4/9 one-way and 1/3 for ReNet; "
        "the counts with elementwise work or without the products with zeros "
        "depart from it only with a few channels or a tiny image."
    ),
    "flop_ratio_widget": (
        "The FLOP-ratio figure at the sizes chosen with the sliders: the "
        "module's forward FLOPs over a 3x3 convolution's against C, H and W, "
        "each panel holding the other two as chosen (dots), for the one-way "
        "module (blue) and ReNet (orange), counted three ways (solid, dashed, "
        "dotted); the title gives the matmul ratio at the chosen sizes, 0.444 "
        "one-way and 0.333 four-way at any size."
    ),
    "timing_figure": (
        "Left: bars of measured time ratio (2D RNN over convolution, forward "
        "plus backward) next to the FLOP ratio for four sizes, on a log scale "
        "with a line at 1. Right: microseconds per dependent step against FLOPs "
        "per step, one marker a size: flat at small steps (a fixed cost per "
        "step), rising once the products dominate. Times are illustrative, "
        "from one run on one machine."
    ),
}


WIDGETS = {
    "receptive_field": (receptive_field_widget, {"i": 11, "j": 15}),
    "flop_ratio": (flop_ratio_widget, {"H": 32, "W": 32, "C": 64}),
}

#: Every value each widget control offers, as notebook 06 builds it.
WIDGET_RANGES = {
    "receptive_field": {
        "i": tuple(range(FIELD_SHAPE[0])),
        "j": tuple(range(FIELD_SHAPE[1])),
    },
    "flop_ratio": {
        "H": tuple(range(1, 129)),
        "W": tuple(range(1, 129)),
        "C": tuple(range(1, 513)),
    },
}
