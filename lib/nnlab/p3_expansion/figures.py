"""Figures for Problem 3: growing a trained ReLU network, strategy by strategy.

The runs come from `nnlab.p3_expansion.experiments` (the narrow network
trained `T1` steps, expanded by one of the strategies of
`nnlab.p3_expansion.grow`, trained `T2` more); they
are cached by their settings, so the notebook trains each once and the
widgets redraw from the cache.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from nnlab.p3_expansion.experiments import (
    ADDED,
    COMPARED_STRATEGIES,
    DEEPEN_STRATEGIES,
    LABELS,
    LAYERS,
    NARROW,
    T1,
    T2,
    Grown,
    grow,
    narrow_continued,
    narrow_run,
    scratch_run,
)
from nnlab.p3_expansion.study import added_sweep
from nnlab.views import freeze, live_figure, plain_log_ticks

COLORS = dict(
    zip(COMPARED_STRATEGIES, ("C3", "C1", "C5", "C0", "C2", "C4"), strict=True)
)


def _draw_loss(ax, g: Grown, color, label):
    steps = np.arange(T1, T1 + T2)
    ax.semilogy(steps, g.history.loss, color=color, label=label)


def _draw_baselines(ax, kind: str, layer: int, added: int):
    first = narrow_run().loss
    ax.semilogy(np.arange(T1), first, color="k", lw=1.5, label="narrow, before")
    ax.semilogy(
        np.arange(T1, T1 + T2),
        narrow_continued().loss,
        color="k",
        ls=":",
        lw=1.5,
        label="narrow, continued",
    )
    ax.semilogy(
        scratch_run(kind, layer, added).loss,
        color="0.55",
        ls="--",
        lw=1,
        label="expanded size, from scratch",
    )
    ax.axvline(T1, color="0.7", lw=0.8)
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (log scale)")


def _draw_norms(ax, g: Grown, color):
    steps = np.arange(T1, T1 + T2)
    w = g.history.watched
    wide = g.expansion.kind == "widen"
    label = "incoming ||W||" if wide else "||W|| of the new layer"
    ax.plot(steps, w["in"], color=color, label=label)
    if np.all(np.isfinite(w["out"])):
        ax.plot(steps, w["out"], color=color, ls="--", label="outgoing ||W||")
    ax.set_xlabel("step")
    ax.set_ylabel("norm of the new weights")


def _panel_title(g: Grown, strategy: str) -> str:
    # "kept" rather than a rounding-sized change, whose digits vary by CPU
    change = "function kept" if g.kept else f"output change {g.output_change:.2f}"
    return f"{LABELS[strategy]}: {change}\ntest acc {g.history.final_test_acc:.3f}"


def strategies_figure(kind: str = "widen", layer: int = 0, added: int = 24):
    """Draw one row a strategy: its loss across the expansion, its new weights.

    Left, the training loss of seed 0's run with the two baselines; right,
    the norms of the new weights after the expansion. One row a strategy,
    two columns, so that the labels stay legible when a narrow screen
    shrinks the figure.
    """
    names = COMPARED_STRATEGIES if kind == "widen" else DEEPEN_STRATEGIES
    rows = len(names)
    fig, axes = plt.subplots(
        rows,
        2,
        figsize=(6.4, 1.7 * rows + 1.6),
        sharex="col",
        sharey="col",
        squeeze=False,
        layout="constrained",
        gridspec_kw={"width_ratios": (3, 2)},
    )
    for (ax_loss, ax_norm), strategy in zip(axes, names, strict=True):
        g = grow(kind, strategy, layer, added)
        _draw_baselines(ax_loss, kind, layer, added)
        _draw_loss(ax_loss, g, COLORS[strategy], "expanded")
        plain_log_ticks(ax_loss, "y", subs=(1, 2, 3, 5))  # after the last semilogy
        ax_loss.set_ylabel("training loss", fontsize=10)
        ax_loss.set_title(_row_title(g, strategy), fontsize=10.5, loc="left")
        _draw_norms(ax_norm, g, COLORS[strategy])
        ax_norm.set_ylabel("norm", fontsize=10)
        for ax in (ax_loss, ax_norm):
            ax.set_xlabel("")
            ax.tick_params(labelsize=9.5)
    for ax in axes[-1]:
        ax.set_xlabel("step", fontsize=10)
    wide = kind == "widen"
    grey = "0.35"
    handles = [
        plt.Line2D([], [], color="k", lw=1.5, label="narrow, before"),
        plt.Line2D([], [], color="k", ls=":", lw=1.5, label="narrow, continued"),
        plt.Line2D([], [], color="0.55", ls="--", lw=1, label="expanded, from scratch"),
        plt.Line2D([], [], color=grey, lw=2.5, label="expanded (row colour)"),
        plt.Line2D(
            [], [], color=grey, label="incoming ||W||" if wide else "new layer ||W||"
        ),
    ]
    if wide:
        handles.append(plt.Line2D([], [], color=grey, ls="--", label="outgoing ||W||"))
    where = (
        f"hidden layer {layer} widened by {added} units"
        if kind == "widen"
        else f"a layer inserted after hidden layer {layer}"
    )
    fig.legend(
        handles=handles,
        loc="outside upper center",
        ncol=2,
        fontsize=9.5,
        frameon=False,
        title=f"Seed 0: {where} at step {T1}",
        title_fontsize=11,
    )
    return fig


def _row_title(g: Grown, strategy: str) -> str:
    change = "kept" if g.kept else f"changed by {g.output_change:.2f}"
    return (
        f"{LABELS[strategy]}: function {change}, "
        f"test acc {g.history.final_test_acc:.3f}"
    )


def widen_figure(strategy: str = "preserve", layer: int = 0, added: int = 24):
    """Widget view: one widening, its loss and its new weights."""
    return _single_figure("widen", strategy, layer, added)


def deepen_figure(strategy: str = "preserve", layer: int = 0):
    """Widget view: one inserted layer, its loss and its new weights."""
    return _single_figure("deepen", strategy, layer, 0)


def _single_figure(kind: str, strategy: str, layer: int, added: int):
    """Update the live figure of `kind`'s widget in place to one expansion."""
    fig, parts = live_figure(f"p3.{kind}", lambda: _build_single(kind))
    g = grow(kind, strategy, layer, added)
    parts["scratch"].set_ydata(scratch_run(kind, layer, added).loss)
    parts["loss"].set_ydata(g.history.loss)
    w = g.history.watched
    for name in parts["norms"]:
        parts[name].set_ydata(w[name])
    for line in parts["coloured"]:
        line.set_color(COLORS[strategy])
    for ax in fig.axes:
        ax.relim()
        ax.autoscale_view()
    parts["title0"].set_text(_panel_title(g, strategy))
    parts["title1"].set_text(f"largest new-parameter gradient: {w['grad'].max():.1e}")
    return fig


def _build_single(kind: str):
    """Build the widget's figure at strategy zero, layer 0; return it and its artists.

    Built without pyplot: the callback then only changes data, colours and
    text (`nnlab.views.live_figure`), which halves the cost of a redraw. One
    legend for both panels, below them, so that it never covers a curve: its
    entries never change, so it is drawn once and kept as pixels
    (`nnlab.views.freeze`), but for the keys of the expanded
    network's lines, whose colour is the strategy's (named in the title).
    """
    fig = Figure(figsize=(10, 4.4))
    ax0, ax1 = fig.subplots(1, 2)
    g = grow(kind, "zero", 0, ADDED[0] if kind == "widen" else 0)
    _draw_baselines(ax0, kind, 0, ADDED[0] if kind == "widen" else 0)
    _draw_loss(ax0, g, COLORS["zero"], "expanded")
    plain_log_ticks(ax0, "y", subs=(1, 2, 5))  # after the last semilogy
    _draw_norms(ax1, g, COLORS["zero"])
    lines = ax0.get_lines()
    # a widening has new incoming and outgoing weights, an inserted layer one
    norms = ("in", "out") if kind == "widen" else ("in",)
    parts = {"scratch": lines[2], "loss": lines[-1], "norms": norms}
    parts.update(zip(norms, ax1.get_lines(), strict=True))
    # Fixed margins: tight_layout draws the figure once more on every redraw.
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.25, top=0.895, wspace=0.22)
    # Fixed places for titles and axis labels (in axes fractions): placing
    # them after the tick labels measured every tick label again, a sixth of
    # a redraw. These are the places matplotlib chose for the widest tick
    # labels over the widgets' settings (the norms' "-0.04" of the zero rows).
    for n, (ax, ylabel_x) in enumerate(((ax0, -0.091), (ax1, -0.142))):
        parts[f"title{n}"] = ax.set_title(" ", fontsize=10, y=1.0)
        ax.xaxis.set_label_coords(0.5, -0.102)
        ax.yaxis.set_label_coords(ylabel_x, 0.5)
    coloured = [parts["loss"], *(parts[name] for name in norms)]
    handles = [*lines[:3], *coloured]
    legend = fig.legend(
        handles=handles, loc="lower center", ncol=3, fontsize=9.5, frameon=False
    )
    keys = freeze(legend, keep=legend.legend_handles[3:])
    parts["coloured"] = coloured + keys
    return fig, parts


def symmetry_figure(layer: int = 0, added: int = 24):
    """Plot how far net2net's copies move from their sources, even and uneven split."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    steps = np.arange(T1, T1 + T2)
    for strategy in ("net2net", "net2net_uneven"):
        gap = grow("widen", strategy, layer, added).history.watched["copy_gap"]
        ax.plot(
            steps,
            gap,
            color=COLORS[strategy],
            label=f"{LABELS[strategy]} (last: {gap[-1]:.2e})",
        )
    ax.set_xlabel("step")
    ax.set_ylabel("max |W_in[:, copy] - W_in[:, source]|", fontsize=10)
    ax.set_title("net2net's copies: identical forever, unless the split is uneven")
    ax.legend(fontsize=10)
    fig.tight_layout()
    return fig


def added_sweep_figure(layer: int = 0, added=ADDED):
    """Plot final test accuracy against the number of added units.

    The static companion of the widen widget: one line a strategy, with the
    same architecture trained from scratch and the narrow network continued
    for reference.
    """
    fig, ax = plt.subplots(figsize=(6.4, 5.2), layout="constrained")
    sweep = added_sweep(layer, tuple(added))
    for strategy in COMPARED_STRATEGIES:
        acc = sweep[strategy]
        ax.plot(added, acc, "o-", color=COLORS[strategy], label=LABELS[strategy])
    scratch = [scratch_run("widen", layer, a).final_test_acc for a in added]
    ax.plot(added, scratch, "s--", color="0.55", label="from scratch")
    ax.axhline(
        narrow_continued().final_test_acc, color="k", ls=":", label="narrow, continued"
    )
    ax.set_xticks(list(added))
    ax.set_xlabel(f"units added to hidden layer {layer} (it had {NARROW})")
    ax.set_ylabel(f"test accuracy after {T1} + {T2} steps")
    ax.set_title("Seed 0, widening by each strategy: where training ends")
    fig.legend(loc="outside lower center", ncol=3, fontsize=9.5, frameon=False)
    return fig


WIDGETS = {
    "widen": (widen_figure, {"strategy": "preserve", "layer": 0, "added": 24}),
    "deepen": (deepen_figure, {"strategy": "preserve", "layer": 0}),
}

#: Every value each widget control offers, as notebook 03 builds it.
WIDGET_RANGES = {
    "widen": {"strategy": COMPARED_STRATEGIES, "layer": LAYERS, "added": ADDED},
    "deepen": {"strategy": DEEPEN_STRATEGIES, "layer": LAYERS},
}

ALT = {
    "strategies_figure": (
        "One row a strategy. Left: seed 0's training loss on a log scale, the "
        "narrow network before the expansion at step 200, then the expanded "
        "network beside two baselines, the narrow network continued (dotted) "
        "and the expanded architecture trained from scratch (dashed). Right: "
        "the norms of the new weights. Notice that the zero rows' new weights "
        "stay at norm 0 and their loss follows the narrow network; Kaiming's "
        "loss jumps up at step 200; the preserving rows start exactly where "
        "the narrow network was; net2net's loss stays near the narrow one's."
    ),
    "widen_figure": (
        "Widget view of one widening: the training loss across the expansion "
        "with the narrow and from-scratch baselines, and the norms of the new "
        "incoming and outgoing weights; the title gives the largest gradient "
        "any new parameter received (0 for the zero strategy)."
    ),
    "deepen_figure": (
        "Widget view of one inserted layer: the training loss across the "
        "expansion with the narrow and from-scratch baselines, and the norm of "
        "the new layer's weights; the title gives the largest gradient any new "
        "parameter received."
    ),
    "symmetry_figure": (
        "The largest difference between a net2net copy's incoming weights and "
        "its source's, over the 300 steps after widening. With an even split "
        "it stays exactly 0, the copies never separate; with an uneven split "
        "it grows from 0 as the copies drift apart."
    ),
    "added_sweep_figure": (
        "Seed 0's final test accuracy against the number of units added to "
        "hidden layer 0 (8, 24, 56), one line a strategy, with the expanded "
        "architecture trained from scratch and the narrow network continued "
        "as references. Zero stays at the narrow network's accuracy and "
        "net2net near it for every width; Kaiming, small outgoing and preserve climb "
        "toward the from-scratch line."
    ),
}
