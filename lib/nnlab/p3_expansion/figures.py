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

from nnlab.p3_expansion.experiments import (
    ADDED,
    COMPARED_STRATEGIES,
    DEEPEN_STRATEGIES,
    LABELS,
    NARROW,
    T1,
    T2,
    Grown,
    grow,
    narrow_continued,
    narrow_run,
    scratch_run,
)
from nnlab.views import plain_log_ticks

COLORS = dict(zip(COMPARED_STRATEGIES, ("C3", "C1", "C0", "C2", "C4"), strict=True))


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
    """Draw small multiples, one column a strategy.

    Each column shows the strategy's loss across the expansion (top) and the
    norms of its new weights (bottom).
    """
    names = COMPARED_STRATEGIES if kind == "widen" else DEEPEN_STRATEGIES
    fig, axes = plt.subplots(
        2, len(names), figsize=(2.6 * len(names) + 1, 5.6), sharey="row"
    )
    for col, strategy in zip(axes.T, names, strict=True):
        g = grow(kind, strategy, layer, added)
        _draw_baselines(col[0], kind, layer, added)
        _draw_loss(col[0], g, COLORS[strategy], "expanded")
        plain_log_ticks(col[0], "y", subs=(1, 2, 5))  # after the last semilogy
        col[0].set_title(_panel_title(g, strategy), fontsize=9)
        _draw_norms(col[1], g, COLORS[strategy])
    for ax in axes.ravel()[1:]:
        ax.set_ylabel("")
    axes[0, 0].legend(fontsize=7, loc="lower left")
    axes[1, 0].legend(fontsize=7, loc="center left")
    where = (
        f"hidden layer {layer} widened by {added} units"
        if kind == "widen"
        else f"a layer inserted after hidden layer {layer}"
    )
    fig.suptitle(f"{where} at step {T1}")
    fig.tight_layout()
    return fig


def widen_figure(strategy: str = "preserve", layer: int = 0, added: int = 24):
    """Widget view: one widening, its loss and its new weights."""
    return _single_figure("widen", strategy, layer, added)


def deepen_figure(strategy: str = "preserve", layer: int = 0):
    """Widget view: one inserted layer, its loss and its new weights."""
    return _single_figure("deepen", strategy, layer, 0)


def _single_figure(kind: str, strategy: str, layer: int, added: int):
    g = grow(kind, strategy, layer, added)
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 3.8))
    _draw_baselines(ax0, kind, layer, added)
    _draw_loss(ax0, g, COLORS[strategy], f"{LABELS[strategy]}, expanded")
    plain_log_ticks(ax0, "y", subs=(1, 2, 5))  # after the last semilogy
    ax0.legend(fontsize=8, loc="lower left")
    ax0.set_title(_panel_title(g, strategy), fontsize=10)
    _draw_norms(ax1, g, COLORS[strategy])
    ax1.legend(fontsize=8)
    ax1.set_title(
        f"largest new-parameter gradient: {g.history.watched['grad'].max():.1e}",
        fontsize=10,
    )
    # Fixed margins: tight_layout draws the figure once more on every redraw.
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.88, wspace=0.22)
    return fig


def symmetry_figure(layer: int = 0, added: int = 24):
    """How far net2net's copies move from their sources, without and with noise."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    steps = np.arange(T1, T1 + T2)
    for strategy in ("net2net", "net2net_noise"):
        gap = grow("widen", strategy, layer, added).history.watched["copy_gap"]
        ax.plot(
            steps,
            gap,
            color=COLORS[strategy],
            label=f"{LABELS[strategy]} (last: {gap[-1]:.2e})",
        )
    ax.set_xlabel("step")
    ax.set_ylabel("max |W_in[:, copy] - W_in[:, source]|")
    ax.set_title(
        "Copies made by net2net: identical forever, unless the split is uneven"
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def added_sweep_figure(layer: int = 0, added=ADDED):
    """Plot final test accuracy against the number of added units.

    The static companion of the widen widget: one line a strategy, with the
    same architecture trained from scratch and the narrow network continued
    for reference.
    """
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    for strategy in COMPARED_STRATEGIES:
        acc = [grow("widen", strategy, layer, a).history.final_test_acc for a in added]
        ax.plot(added, acc, "o-", color=COLORS[strategy], label=LABELS[strategy])
    scratch = [scratch_run("widen", layer, a).final_test_acc for a in added]
    ax.plot(added, scratch, "s--", color="0.55", label="from scratch")
    ax.axhline(
        narrow_continued().final_test_acc, color="k", ls=":", label="narrow, continued"
    )
    ax.set_xticks(list(added))
    ax.set_xlabel(f"units added to hidden layer {layer} (it had {NARROW})")
    ax.set_ylabel(f"test accuracy after {T1} + {T2} steps")
    ax.set_title("Widening by each strategy: where training ends")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return fig


WIDGETS = {
    "widen": (widen_figure, {"strategy": "preserve", "layer": 0, "added": 24}),
    "deepen": (deepen_figure, {"strategy": "preserve", "layer": 0}),
}
