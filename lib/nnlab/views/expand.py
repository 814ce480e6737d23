"""Figures for Problem 3: growing a trained ReLU network, strategy by strategy.

A narrow network trains for `T1` steps; it is then widened or deepened with
one of the strategies of `nnlab.init` and trains `T2` more steps. Every run
is cached by its settings, so the notebook trains each once and the widgets
redraw from the cache.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np

from nnlab.data import spirals
from nnlab.init import Expansion, deepen, new_parameters, widen
from nnlab.mlp import History, fit, init_mlp, mlp_forward
from nnlab.views import plain_log_ticks

DATA = {"n": 300, "noise": 0.04, "seed": 0, "turns": 1.5}
NARROW = 8  # units in each of the two hidden layers before the expansion
T1, T2 = 200, 300  # steps before and after the expansion
LR = 0.05
SEED = 0
NOISE = 0.3  # net2net's split noise in the "net2net + noise" runs
ADDED = (8, 24, 56)  # units a widening adds
LAYERS = (0, 1)
STRATEGIES = ("zero", "kaiming", "preserve", "net2net", "net2net_noise")
DEEPEN_STRATEGIES = ("zero", "kaiming", "preserve")  # net2net deepens as preserve
LABELS = {
    "zero": "zero",
    "kaiming": "Kaiming",
    "preserve": "preserve",
    "net2net": "net2net",
    "net2net_noise": f"net2net + noise {NOISE}",
}
COLORS = dict(zip(STRATEGIES, ("C3", "C1", "C0", "C2", "C4"), strict=True))


class Grown(NamedTuple):
    """One expansion and the training after it."""

    expansion: Expansion
    start: list  # the expanded parameters at the moment of expansion
    output_change: float  # max |scores after - scores before| over all points
    history: History  # the T2 steps after; watched holds the new parameters'
    # norms ("in", "out"), their gradients' largest entry ("grad") and, for
    # net2net, the largest gap between a copy and its source ("copy_gap")
    sources: np.ndarray  # for each new unit, the old unit it copies (or -1)


@lru_cache(maxsize=1)
def data():
    """The spirals of this problem: ``spirals(**DATA)``, 1.5 turns."""
    return spirals(**DATA)


@lru_cache(maxsize=1)
def narrow_run() -> History:
    """The narrow network's first `T1` steps, from Kaiming initialization."""
    params = init_mlp([2, NARROW, NARROW, 2], np.random.default_rng(SEED))
    return fit(params, data(), steps=T1, lr=LR)


@lru_cache(maxsize=1)
def narrow_continued() -> History:
    """The narrow network's next `T2` steps, momentum restarted as for the rest."""
    return fit(narrow_run().params, data(), steps=T2, lr=LR)


def _sizes(kind: str, layer: int, added: int):
    if kind == "widen":
        sizes = [2, NARROW, NARROW, 2]
        sizes[layer + 1] += added
        return sizes
    return [2] + [NARROW] * 3 + [2]


@lru_cache(maxsize=16)
def scratch_run(kind: str, layer: int, added: int = 0) -> History:
    """The expanded architecture trained `T1 + T2` steps from Kaiming init."""
    params = init_mlp(_sizes(kind, layer, added), np.random.default_rng(SEED))
    return fit(params, data(), steps=T1 + T2, lr=LR)


def _copy_sources(params, expansion: Expansion) -> np.ndarray:
    """For each new unit, the old unit with identical incoming weights, or -1."""
    kind, layer, old = expansion
    if kind != "widen":
        return np.zeros(0, dtype=int)
    W, b = params[layer]["W"], params[layer]["b"]
    same = (W[:, old:, None] == W[:, None, :old]).all(axis=0)  # (k, old)
    same &= b[old:, None] == b[None, :old]
    return np.where(same.any(axis=1), same.argmax(axis=1), -1)


def _watch(expansion: Expansion, sources: np.ndarray):
    _, layer, old = expansion
    copied = np.flatnonzero(sources >= 0)

    def watch(params, grads):
        new, g = new_parameters(params, expansion), new_parameters(grads, expansion)
        incoming = "W_in" if "W_in" in new else "W"
        values = {
            "in": np.linalg.norm(new[incoming]),
            "out": np.linalg.norm(new["W_out"]) if "W_out" in new else np.nan,
            "grad": max(np.abs(a).max() for a in g.values()),
        }
        if copied.size:
            W = params[layer]["W"]
            values["copy_gap"] = np.abs(
                W[:, old + copied] - W[:, sources[copied]]
            ).max()
        return values

    return watch


def grow(kind: str, strategy: str, layer: int, added: int = 0) -> Grown:
    """The narrow network after `T1` steps, expanded, trained `T2` more.

    Parameters
    ----------
    kind : {"widen", "deepen"}
    strategy : one of STRATEGIES ("net2net_noise" is net2net with NOISE)
    layer : int
        The hidden layer widened, or the one after which a layer goes in.
    added : int
        Units added by a widening (ignored when deepening).
    """
    return _grow(kind, strategy, int(layer), int(added) if kind == "widen" else 0)


@lru_cache(maxsize=64)
def _grow(kind: str, strategy: str, layer: int, added: int) -> Grown:
    before = narrow_run().params
    rng = np.random.default_rng(SEED + 1)
    base = "net2net" if strategy == "net2net_noise" else strategy
    if kind == "widen":
        noise = NOISE if strategy == "net2net_noise" else 0.0
        start = widen(before, layer, NARROW + added, base, rng, noise=noise)
    else:
        start = deepen(before, layer, base, rng)
    expansion = Expansion(kind, layer, NARROW)
    X = np.vstack([data().X, data().X_test])
    change = np.abs(mlp_forward(start, X)[0] - mlp_forward(before, X)[0]).max()
    sources = _copy_sources(start, expansion)
    hist = fit(start, data(), steps=T2, lr=LR, watch=_watch(expansion, sources))
    return Grown(expansion, start, float(change), hist, sources)


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
    return (
        f"{LABELS[strategy]}: output change {g.output_change:.1e}\n"
        f"test acc {g.history.final_test_acc:.3f}"
    )


def strategies_figure(kind: str = "widen", layer: int = 0, added: int = 24):
    """Small multiples: every strategy's loss across the expansion (top) and
    the norms of its new weights (bottom)."""
    names = STRATEGIES if kind == "widen" else DEEPEN_STRATEGIES
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
    """Static companion of the widen widget: final test accuracy against the
    number of added units, one line a strategy, with the same architecture
    trained from scratch and the narrow network continued for reference."""
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    for strategy in STRATEGIES:
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
