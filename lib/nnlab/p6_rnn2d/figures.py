"""Figures for Problem 6.

Receptive fields, FLOP ratios and wall times of the 2D RNN module against a
3x3 convolution.
"""

from __future__ import annotations

from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Normalize
from matplotlib.patches import Rectangle
from matplotlib.ticker import (
    FuncFormatter,
    LogLocator,
    NullFormatter,
    NullLocator,
)

from nnlab.p6_rnn2d import costs, fields, rnn2d

FIELD_SHAPE = (12, 16, 4)  # H, W, C of the receptive-field examples
_PANELS = ("one-way (A rows, B columns)", "four-way (ReNet)", "3x3 conv stack")


@lru_cache(maxsize=64)
def field_maps(i: int, j: int, seed: int = 0):
    """Gradient maps of out[i, j] for the two modules and an equal-FLOP conv stack.

    On a random (1, H, W, C) input of `FIELD_SHAPE`, with C output channels
    each (Hd = C one-way, C / 2 per direction four-way) and a stack of
    `costs.equal_flop_conv_layers` 3x3 convolutions.

    Returns
    -------
    tuple
        ``(one_way, four_way, conv, n_conv_layers)``, each map (H, W).
    """
    H, W, C = FIELD_SHAPE
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, H, W, C))
    one = fields.input_gradient_map(x, rnn2d.init_rnn2d(C, C, rng=rng), i, j)
    p4 = rnn2d.init_rnn2d(C, C // 2, four_way=True, rng=rng)
    four = fields.input_gradient_map(x, p4, i, j, four_way=True)
    L = costs.equal_flop_conv_layers(H, W, C)
    ws = [rng.standard_normal((3, 3, C, C)) / np.sqrt(9 * C) for _ in range(L)]
    conv = fields.conv_stack_gradient_map(x, ws, i, j)
    return one, four, conv, L


_FIELD_CMAP = plt.get_cmap("viridis").with_extremes(bad="0.92")


def _draw_field(ax, grad, i: int, j: int, title: str, norm):
    """log10 |gradient| with exact zeros left blank, (i, j) marked."""
    H, W = grad.shape
    with np.errstate(divide="ignore"):
        img = np.where(grad > 0, np.log10(np.where(grad > 0, grad, 1.0)), np.nan)
    im = ax.imshow(img, cmap=_FIELD_CMAP, norm=norm, interpolation="nearest")
    rows, cols = np.nonzero(grad > 0)
    ax.add_patch(
        Rectangle(
            (cols.min() - 0.5, rows.min() - 0.5),
            cols.max() - cols.min() + 1,
            rows.max() - rows.min() + 1,
            fill=False,
            ec="C3",
            lw=1.5,
        )
    )
    ax.plot(j, i, marker="x", color="C3", ms=9, mew=2.5)
    ax.set_title(f"{title}\n{rows.size} of {H * W} inputs reach ({i}, {j})", fontsize=9)
    ax.set_xticks(range(0, W, 3))
    ax.set_yticks(range(0, H, 3))
    ax.set_xlabel("column j'")
    ax.set_ylabel("row i'")
    return im


def _field_row(axes, i: int, j: int):
    one, four, conv, L = field_maps(i, j)
    maps = (one, four, conv)
    positive = np.concatenate([m[m > 0] for m in maps])
    norm = Normalize(np.log10(positive.min()), np.log10(positive.max()))
    # the cheapest whole stack with at least the module's FLOPs
    titles = (*_PANELS[:2], f"{_PANELS[2]}, {L} layer{'s' * (L > 1)} (>= its FLOPs)")
    for ax, m, t in zip(axes, maps, titles, strict=True):
        im = _draw_field(ax, m, i, j, t, norm)
    return im


def receptive_field_figure(i: int = 6, j: int = 9):
    """Where output (i, j) looks: |d out[i, j] / dx| for the three modules.

    Colour is log10 of the gradient magnitude summed over channels; grey
    cells have an exact zero gradient (outside the receptive field). The
    red box bounds the support.
    """
    H, W, _ = FIELD_SHAPE
    i, j = int(np.clip(i, 0, H - 1)), int(np.clip(j, 0, W - 1))
    # Fixed margins: a layout engine would double the time to draw.
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.7))
    fig.subplots_adjust(left=0.05, right=0.9, bottom=0.14, top=0.78, wspace=0.3)
    im = _field_row(axes, i, j)
    cax = fig.add_axes((0.92, 0.2, 0.012, 0.52))
    fig.colorbar(im, cax=cax, label="log10 |d out[i, j] / dx|")
    fig.suptitle(f"Receptive field of output ({i}, {j}) on a {H}x{W} image")
    return fig


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
        _PANELS[0],
        _PANELS[1],
        f"{_PANELS[2]}, {n_conv_layers} layer{'s' * (n_conv_layers > 1)}",
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


_COUNTS = {
    "matmul": ("products performed", "-"),
    "nonzero": ("without zero state / padding", "--"),
    "all": ("plus adds, bias, tanh", ":"),
}


_SWEEPS = {
    "C": ("C (channels)", tuple(np.unique(np.geomspace(1, 512, 30).astype(int)))),
    "H": ("H (rows)", tuple(range(1, 129, 3))),
    "W": ("W (columns)", tuple(range(1, 129, 3))),
}


@lru_cache(maxsize=256)
def _ratio_curve(H: int, W: int, C: int, name: str, four_way: bool, count: str):
    """flop_ratio along the sweep of `name`, the other two held."""
    point = {"H": H, "W": W, "C": C}
    return tuple(
        costs.flop_ratio(**{**point, name: v}, four_way=four_way, count=count)
        for v in _SWEEPS[name][1]
    )


def flop_ratio_figure(H: int = 32, W: int = 32, C: int = 64):
    """Forward FLOPs of the module / a 3x3 conv C -> C, against C, H and W.

    Each panel varies one of the three and holds the other two at the
    chosen values (marked). Lines: one-way and four-way, three ways of
    counting (see `costs.flop_ratio`).
    """
    point = {"H": H, "W": W, "C": C}
    top = 1.0
    fig, axes = plt.subplots(1, 3, figsize=(11, 4.2), sharey=True)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.27, top=0.86, wspace=0.08)
    for ax, (name, (label, values)) in zip(axes, _SWEEPS.items(), strict=True):
        # C is drawn against log2 C on a linear axis: a log-scaled axis takes
        # a third of the drawing time.
        xs = np.log2(values) if name == "C" else values
        x_here = np.log2(point[name]) if name == "C" else point[name]
        for four_way, color in ((False, "C0"), (True, "C1")):
            kind = "four-way" if four_way else "one-way"
            for count, (what, ls) in _COUNTS.items():
                ratios = _ratio_curve(H, W, C, name, four_way, count)
                top = max(top, max(ratios))
                ax.plot(xs, ratios, ls, color=color, label=f"{kind}, {what}")
            here = costs.flop_ratio(H, W, C, four_way=four_way)
            ax.plot(x_here, here, "o", color=color, ms=7)
        ax.axhline(1.0, color="0.5", lw=1)
        if name == "C":
            ax.set_xticks(range(0, 9, 2), [str(2**k) for k in range(0, 9, 2)])
        ax.set_xlabel(label)
        ax.set_title(f"vary {name}, the others as chosen", fontsize=9)
    axes[0].set_ylabel("module FLOPs / 3x3 conv FLOPs")
    axes[0].set_ylim(0, 1.1 * top)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    one = costs.flop_ratio(H, W, C)
    four = costs.flop_ratio(H, W, C, four_way=True)
    fig.suptitle(
        f"H={H}, W={W}, C={C}: forward matmul FLOPs one-way {one:.3f}, "
        f"four-way {four:.3f} of the 3x3 convolution's"
    )
    return fig


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
    "receptive_field": (receptive_field_figure, {"i": 11, "j": 15}),
    "flop_ratio": (flop_ratio_figure, {"H": 32, "W": 32, "C": 64}),
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
