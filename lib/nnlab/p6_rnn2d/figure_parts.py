"""Problem 6's two widget figures as parts: built once, then updated in place.

`nnlab.p6_rnn2d.figures` draws the receptive fields and the FLOP ratios
twice: as a notebook figure (built, updated once, shown) and as a widget
callback that keeps one figure (`nnlab.views.live_figure`) and only updates
it. Both go through the same ``build_*`` and ``update_*`` pair here, so the
widget's redraw is the notebook's figure, pixel for pixel; a redraw then
skips building axes, ticks and text, most of its cost.
"""

from __future__ import annotations

from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from nnlab.p6_rnn2d import costs, fields, rnn2d
from nnlab.views import freeze

FIELD_SHAPE = (12, 16, 4)  # H, W, C of the receptive-field examples
FIELD_SIZE = (11, 3.7)  # figsize of the receptive-field figure
RATIO_SIZE = (11, 4.2)  # figsize of the FLOP-ratio figure
PANELS = ("one-way (A rows, B columns)", "four-way (ReNet)", "3x3 conv stack")
_FIELD_CMAP = plt.get_cmap("viridis").with_extremes(bad="0.92")


@lru_cache(maxsize=256)  # every output of the 12x16 image: a slider only re-reads
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


@lru_cache(maxsize=256)
def _field_panels(i: int, j: int):
    """Return what the panels show for output (i, j): images, boxes, counts, limits.

    Each image is log10 |gradient| with exact zeros as NaN (drawn grey);
    each box ``(x0, y0, width, height)`` bounds the nonzero support.
    """
    maps = field_maps(i, j)[:3]
    positive = np.concatenate([m[m > 0] for m in maps])
    limits = (np.log10(positive.min()), np.log10(positive.max()))
    panels = []
    for grad in maps:
        with np.errstate(divide="ignore"):
            img = np.where(grad > 0, np.log10(np.where(grad > 0, grad, 1.0)), np.nan)
        rows, cols = np.nonzero(grad > 0)
        box = (
            cols.min() - 0.5,
            rows.min() - 0.5,
            cols.max() - cols.min() + 1,
            rows.max() - rows.min() + 1,
        )
        panels.append((img, box, rows.size))
    return panels, limits


def build_fields(fig, lean: bool = False) -> dict:
    """Make the receptive-field figure's axes and artists, for `update_fields`.

    ``lean=True`` (the widget's) says the same with fewer glyphs and ticks,
    which are most of a redraw's cost (about 0.1 ms a glyph, 0.4 ms a
    tick): the row axis labelled on the first panel only (the three images
    share their rows), ticks every 5 instead of every 3, and titles that
    leave "reach (i, j)" to the figure's title.
    """
    H, W, _ = FIELD_SHAPE
    L = field_maps(0, 0)[3]
    # Fixed margins: a layout engine would double the time to draw.
    axes = fig.subplots(1, 3)
    fig.subplots_adjust(left=0.05, right=0.9, bottom=0.14, top=0.78, wspace=0.3)
    norm = Normalize(0.0, 1.0)  # shared by the three images and the colorbar
    blank = np.full((H, W), np.nan)
    parts = {"images": [], "boxes": [], "marks": [], "titles": [], "names": []}
    parts["lean"] = lean
    step = 5 if lean else 3
    # the cheapest whole stack with at least the module's FLOPs
    names = (*PANELS[:2], f"{PANELS[2]}, {L} layer{'s' * (L > 1)} (>= its FLOPs)")
    for ax, name in zip(axes, names, strict=True):
        im = ax.imshow(blank, cmap=_FIELD_CMAP, norm=norm, interpolation="nearest")
        box = Rectangle((-0.5, -0.5), 1, 1, fill=False, ec="C3", lw=1.5)
        ax.add_patch(box)
        (mark,) = ax.plot(0, 0, marker="x", color="C3", ms=9, mew=2.5)
        parts["titles"].append(ax.set_title(name, fontsize=9))
        ax.set_xticks(range(0, W, step))
        ax.set_yticks(range(0, H, step))
        ax.set_xlabel("column j'")
        if lean and ax is not axes[0]:
            ax.tick_params(labelleft=False)
        else:
            ax.set_ylabel("row i'")
        parts["images"].append(im)
        parts["boxes"].append(box)
        parts["marks"].append(mark)
        parts["names"].append(name)
    cax = fig.add_axes((0.92, 0.2, 0.012, 0.52))
    fig.colorbar(im, cax=cax, label="log10 |d out[i, j] / dx|")
    parts["suptitle"] = fig.suptitle(" ")
    return parts


def update_fields(parts: dict, i: int, j: int) -> None:
    """Show output (i, j) in a figure from `build_fields`: data, box, mark, text."""
    H, W, _ = FIELD_SHAPE
    panels, limits = _field_panels(i, j)
    parts["images"][0].set_clim(*limits)  # the shared norm: all three and the bar
    for k, (img, box, n) in enumerate(panels):
        parts["images"][k].set_data(img)
        parts["boxes"][k].set_bounds(*box)
        parts["marks"][k].set_data([j], [i])
        name = parts["names"][k]
        reach = "" if parts["lean"] else f" reach ({i}, {j})"
        parts["titles"][k].set_text(f"{name}\n{n} of {H * W} inputs{reach}")
    title = f"Receptive field of output ({i}, {j}) on a {H}x{W} image"
    parts["suptitle"].set_text(title)


COUNTS = {
    "matmul": ("products performed", "-"),
    "nonzero": ("without zero state / padding", "--"),
    "all": ("plus adds, bias, tanh", ":"),
}

SWEEPS = {
    "C": ("C (channels)", tuple(np.unique(np.geomspace(1, 512, 30).astype(int)))),
    "H": ("H (rows)", tuple(range(1, 129, 3))),
    "W": ("W (columns)", tuple(range(1, 129, 3))),
}


@lru_cache(maxsize=1024)
def _ratio_curve(name: str, held: tuple, four_way: bool, count: str):
    """flop_ratio along the sweep of `name`, the other two at `held` (in H, W, C order).

    Keyed by the two held sizes only, so moving one slider reuses the curve
    drawn against that slider's size.
    """
    others = [k for k in "HWC" if k != name]
    point = dict(zip(others, held, strict=True))
    return np.array(
        [
            costs.flop_ratio(**{**point, name: v}, four_way=four_way, count=count)
            for v in SWEEPS[name][1]
        ]
    )


def build_ratios(fig, lean: bool = False) -> dict:
    """Make the FLOP-ratio figure's axes and artists, for `update_ratios`.

    ``lean=True`` (the widget's) says the same with fewer glyphs, whose
    rendering is most of a redraw (the six-entry legend alone took a fifth
    of it): a legend of five entries, colours and line styles, instead of
    their six combinations; "as chosen" in the x labels instead of panel
    titles; H and W ticked at multiples of 32, the ratio at three values;
    a shorter title.
    """
    axes = fig.subplots(1, 3, sharey=True)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.27, top=0.86, wspace=0.08)
    parts = {"axes": axes, "curves": [], "marks": [], "lean": lean}
    for ax, (name, (label, values)) in zip(axes, SWEEPS.items(), strict=True):
        # C is drawn against log2 C on a linear axis: a log-scaled axis takes
        # a third of the drawing time.
        xs = np.log2(values) if name == "C" else np.asarray(values)
        for four_way, color in ((False, "C0"), (True, "C1")):
            kind = "four-way" if four_way else "one-way"
            for count, (what, ls) in COUNTS.items():
                (line,) = ax.plot(xs, np.full(len(xs), np.nan), ls, color=color,
                                  label=f"{kind}, {what}")  # fmt: skip
                parts["curves"].append((line, name, four_way, count))
            (mark,) = ax.plot([], [], "o", color=color, ms=7)
            parts["marks"].append((mark, name, four_way))
        ax.axhline(1.0, color="0.5", lw=1)
        if name == "C":
            ax.set_xticks(range(0, 9, 2), [str(2**k) for k in range(0, 9, 2)])
        elif lean:
            ax.set_xticks(range(0, 129, 32))
        if lean:
            ax.set_xlabel(
                f"{label}; {' and '.join(k for k in SWEEPS if k != name)} as chosen"
            )
        else:
            ax.set_xlabel(label)
            ax.set_title(f"vary {name}, the others as chosen", fontsize=9)
    if lean:
        axes[0].yaxis.set_major_locator(MaxNLocator(3, steps=(1, 2, 5, 10)))
    axes[0].set_ylabel("module FLOPs / 3x3 conv FLOPs")
    handles, labels = axes[0].get_legend_handles_labels()
    if lean:
        handles = [Line2D([], [], color=c) for c in ("C0", "C1")] + [
            Line2D([], [], ls=ls, color="0.3") for _, ls in COUNTS.values()
        ]
        labels = ["one-way", "four-way", *(what for what, _ in COUNTS.values())]
    legend = fig.legend(
        handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False
    )
    if lean:  # no setting changes it: drawn once, then copied as pixels
        freeze(legend)
    parts["suptitle"] = fig.suptitle(" ")
    return parts


def update_ratios(parts: dict, H: int, W: int, C: int) -> None:
    """Show sizes (H, W, C) in a figure from `build_ratios`: curves, marks, limits."""
    point = {"H": H, "W": W, "C": C}
    top = 1.0
    for line, name, four_way, count in parts["curves"]:
        held = tuple(point[k] for k in "HWC" if k != name)
        ratios = _ratio_curve(name, held, four_way, count)
        top = max(top, ratios.max())
        line.set_ydata(ratios)
    for mark, name, four_way in parts["marks"]:
        x_here = np.log2(point[name]) if name == "C" else point[name]
        mark.set_data([x_here], [costs.flop_ratio(H, W, C, four_way=four_way)])
    for ax in parts["axes"]:
        # the marks may lie past a sweep's last value (H = 128): rescale x
        ax.relim()
        ax.autoscale_view(scaley=False)
    parts["axes"][0].set_ylim(0, 1.1 * top)
    one = costs.flop_ratio(H, W, C)
    four = costs.flop_ratio(H, W, C, four_way=True)
    if parts["lean"]:
        title = f"H={H}, W={W}, C={C}: matmul FLOP ratio {one:.3f} one-way, "
        title += f"{four:.3f} four-way"
    else:
        title = (
            f"H={H}, W={W}, C={C}: forward matmul FLOPs one-way {one:.3f}, "
            f"four-way {four:.3f} of the 3x3 convolution's"
        )
    parts["suptitle"].set_text(title)
