"""Figures for Problem 2: activations after batch normalization, by training.

Every run is `nnlab.mlp.train_bn_mlp` on the same spirals with the same
seed, cached by its settings, so the notebook trains each one once and the
widget redraws from the cache.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.ticker import MaxNLocator

from nnlab.activations import ACTIVATIONS, evaluate
from nnlab.data import spirals
from nnlab.mlp import (
    DEFAULT_DATA,
    init_bn_mlp,
    mlp_forward,
    preactivations,
    train_bn_mlp,
    train_linear_classifier,
)

DEPTHS = (5, 20)
WIDTH = 32
STEPS = 150
LR = 0.1
LRS = (0.03, 0.1, 0.3)
SEED = 0
NAMES = tuple(ACTIVATIONS)
LABELS = {
    "relu": "ReLU",
    "min0": "min(0, x)",
    "linear": "x / sqrt(2)",
    "shifted_relu": "ReLU(x - 10)",
    "sigmoid": "sigmoid",
    "sign": "sign",
}
COLORS = dict(zip(NAMES, ("C0", "C1", "C2", "C3", "C4", "C5"), strict=True))
STYLES = {"min0": "--"}  # min0 retraces ReLU-like curves; dash it to see both
CLASS_COLORS = ("#3b75af", "#e1812c")
REGION_CMAP = ListedColormap(["#cdd9e8", "#f6dcc4"])  # the class colours, light
EXTENT = 1.3


@lru_cache(maxsize=1)
def data():
    """The spirals every run trains on: ``spirals(**DEFAULT_DATA)``."""
    return spirals(**DEFAULT_DATA)


def run(activation: str, depth: int, lr: float = LR):
    """`train_bn_mlp` at the notebook's settings; cached, do not mutate."""
    # one cache key per setting, however the arguments were spelled
    return _run(activation, int(depth), float(lr))


@lru_cache(maxsize=64)
def _run(activation: str, depth: int, lr: float):
    return train_bn_mlp(
        activation, depth, width=WIDTH, steps=STEPS, lr=lr, seed=SEED, data=data()
    )


@lru_cache(maxsize=1)
def linear_classifier():
    """Softmax regression on the same data: the linear baseline."""
    return train_linear_classifier(data())


@lru_cache(maxsize=64)
def _grid(activation: str, depth: int, lr: float, n: int = 80):
    """P(class 1) of the trained network at the centres of n x n pixels."""
    h = run(activation, depth, lr)
    half = EXTENT / n  # half a pixel
    ticks = np.linspace(-EXTENT + half, EXTENT - half, n)
    xx, yy = np.meshgrid(ticks, ticks)
    grid = np.c_[xx.ravel(), yy.ravel()]  # (n*n, 2)
    scores, _, _ = mlp_forward(h.params, grid, activation, h.running, train=False)
    scores = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(scores[:, 1]) / np.exp(scores).sum(axis=1)
    return p.reshape(n, n)  # rows go up in y, columns along x


def _draw_boundary(ax, activation: str, depth: int, lr: float, title: str):
    p = _grid(activation, depth, lr)
    # an image of the predicted class draws much faster than filled contours
    ax.imshow(
        p > 0.5,
        cmap=REGION_CMAP,
        vmin=0,
        vmax=1,
        origin="lower",
        extent=(-EXTENT, EXTENT, -EXTENT, EXTENT),
        interpolation="nearest",
    )
    X, y = data().X, data().y
    for c in (0, 1):
        ax.scatter(*X[y == c].T, s=4, color=CLASS_COLORS[c], lw=0)
    ax.set_xlim(-EXTENT, EXTENT)
    ax.set_ylim(-EXTENT, EXTENT)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=9)


def _draw_loss(ax, activation: str, depth: int, lr: float, **kw):
    h = run(activation, depth, lr)
    ax.semilogy(h.loss, color=COLORS[activation], ls=STYLES.get(activation, "-"), **kw)


def init_preactivation_figure(depth: int = 5, layer: int = 2):
    """Batch-norm outputs at initialization, with the six activations over them.

    The histogram is of every unit of hidden layer `layer` (0-based) over the
    training set, for the starting weights every run shares; at gamma = 1,
    beta = 0 each unit's values have mean 0 and variance 1.
    """
    X = data().X
    pre = preactivations(init_bn_mlp(depth, WIDTH, SEED), X, "relu")[layer].ravel()
    x = np.linspace(-4, 12, 400)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    ax.hist(
        pre,
        bins=60,
        range=(-4, 12),
        density=True,
        color="0.8",
        label=f"BN output, layer {layer}",
    )
    ax.set_xlabel("activation input x (batch-norm output)")
    ax.set_ylabel("density of x")
    ax.set_ylim(0, 0.5)
    ax2 = ax.twinx()
    for name in NAMES:
        ax2.plot(
            x,
            evaluate(name, x),
            color=COLORS[name],
            lw=2,
            ls=STYLES.get(name, "-"),
            label=LABELS[name],
        )
    ax2.axvline(10, color=COLORS["shifted_relu"], lw=0.8, ls=":")
    ax2.set_ylim(-2.5, 4)
    ax2.set_ylabel("act(x)")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax2.legend(h1 + h2, l1 + l2, loc="upper right", fontsize=8, ncol=2)
    ax.set_title(
        f"What batch norm hands each activation at initialization "
        f"(max x = {pre.max():.2f}, min x = {pre.min():.2f})"
    )
    fig.tight_layout()
    return fig


def loss_curves_figure(depths=DEPTHS, lr: float = LR):
    """Training loss per step for every activation, one panel a depth."""
    fig, axes = plt.subplots(1, len(depths), figsize=(11, 3.8), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, depth in zip(axes, depths, strict=True):
        for name in NAMES:
            _draw_loss(ax, name, depth, lr, label=LABELS[name])
        ax.axhline(np.log(2), color="0.5", lw=0.8, ls=":")
        ax.set_title(f"depth {depth} (Linear-BN-act x {depth}, then Linear)")
        ax.set_xlabel("step")
    axes[0].set_ylabel("training cross-entropy (log scale)")
    axes[0].plot([], [], color="0.5", lw=0.8, ls=":", label="chance, log 2")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="center right", fontsize=8)
    fig.tight_layout(rect=(0, 0, 0.85, 1))
    return fig


def grad_norms_figure(depth: int = 20, lr: float = LR):
    """Per-layer weight-gradient norms at the first step, one line an activation.

    Exact zeros cannot sit on a log axis: they are drawn as crosses on the
    bottom edge.
    """
    fig, ax = plt.subplots(figsize=(9.5, 3.8))
    layers = np.arange(depth + 1)
    floor = np.inf
    norms = {name: run(name, depth, lr).grad_norms[0] for name in NAMES}
    for g in norms.values():
        if np.any(g > 0):
            floor = min(floor, g[g > 0].min())
    bottom = floor / 10
    for i, name in enumerate(NAMES):
        g = norms[name]
        pos = g > 0
        ax.semilogy(
            layers[pos],
            g[pos],
            marker="o",
            color=COLORS[name],
            ms=4,
            ls=STYLES.get(name, "-"),
            label=LABELS[name],
        )
        ax.plot(
            layers[~pos],
            np.full((~pos).sum(), bottom * (1 + 0.25 * i)),
            "x",
            color=COLORS[name],
            ms=6,
        )
    ax.set_ylim(bottom * 0.7, None)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"layer (0 = first hidden, {depth} = output)")
    ax.set_ylabel("||dL/dW|| at step 0")
    ax.set_title(
        f"Gradient norms per layer at initialization, depth {depth} "
        "(x on the bottom edge: exactly 0)"
    )
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return fig


def boundaries_figure(depths=DEPTHS, lr: float = LR):
    """Small multiples: the decision regions of every activation at each depth."""
    fig, axes = plt.subplots(len(depths), len(NAMES), figsize=(12, 2.3 * len(depths)))
    axes = np.atleast_2d(axes)
    for row, depth in zip(axes, depths, strict=True):
        for ax, name in zip(row, NAMES, strict=True):
            acc = run(name, depth, lr).final_test_acc
            _draw_boundary(ax, name, depth, lr, f"{LABELS[name]}, test {acc:.0%}")
        row[0].set_ylabel(f"depth {depth}")
    fig.suptitle(f"Decision regions after {STEPS} steps (training points shown)")
    fig.tight_layout()
    return fig


def training_figure(activation: str = "relu", depth: int = 5, lr: float = LR):
    """Widget view: the loss curve and the decision regions of one run."""
    h = run(activation, depth, lr)
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9, 3.8))
    _draw_loss(ax0, activation, depth, lr, label="training loss")
    ax0.axhline(np.log(2), color="0.5", lw=0.8, ls=":", label="chance (log 2)")
    ax0.set_xlabel("step")
    ax0.set_ylabel("cross-entropy (log scale)")
    ax0.legend(fontsize=8)
    ax0.set_title(f"{LABELS[activation]}, depth {depth}, lr {lr}")
    _draw_boundary(
        ax1,
        activation,
        depth,
        lr,
        f"train {h.final_train_acc:.0%}, test {h.final_test_acc:.0%}",
    )
    fig.tight_layout()
    return fig


def lr_sweep_figure(names=("relu", "sigmoid"), depth: int = 5, lrs=LRS):
    """Static companion of the widget: loss curves over learning rates.

    One panel an activation, one curve a learning rate, the final test
    accuracy in the legend.
    """
    fig, axes = plt.subplots(1, len(names), figsize=(10, 3.6), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, name in zip(axes, names, strict=True):
        for i, lr in enumerate(lrs):
            h = run(name, depth, lr)
            ax.semilogy(
                h.loss,
                color=plt.cm.viridis(i / max(len(lrs) - 1, 1)),
                label=f"lr {lr}: test {h.final_test_acc:.0%}",
            )
        ax.axhline(np.log(2), color="0.5", lw=0.8, ls=":")
        ax.set_title(f"{LABELS[name]}, depth {depth}")
        ax.set_xlabel("step")
        ax.legend(fontsize=8, loc="lower left")
    axes[0].set_ylabel("training cross-entropy (log scale)")
    fig.tight_layout()
    return fig


class Rank(NamedTuple):
    group: int  # 1 = best; activations in one group are tied on test accuracy
    name: str
    test_acc: float  # mean over the depths
    mean_loss: float  # training loss averaged over steps and depths


def rank_activations(depths=DEPTHS, lr: float = LR) -> list[Rank]:
    """Order the activations by what their runs reached.

    Mean test accuracy over the depths decides, but two accuracies closer
    than two standard errors of their difference (binomial, over the
    n_test * len(depths) test predictions) count as tied; tied activations
    share a group and are ordered by how low their training loss stayed on
    average over the run, i.e. by how fast they learned.
    """
    n = len(data().y_test) * len(depths)
    acc = {a: np.mean([run(a, d, lr).final_test_acc for d in depths]) for a in NAMES}
    loss = {a: np.mean([run(a, d, lr).loss.mean() for d in depths]) for a in NAMES}
    order = sorted(NAMES, key=lambda a: -acc[a])
    groups, leader = [], None
    for a in order:
        p, q = acc[a], acc[leader] if leader else 0.0
        se = np.sqrt((p * (1 - p) + q * (1 - q)) / n)
        if leader is None or q - p > 2 * se:
            groups.append([])
            leader = a
        groups[-1].append(a)
    return [
        Rank(g, a, float(acc[a]), float(loss[a]))
        for g, members in enumerate(groups, start=1)
        for a in sorted(members, key=lambda a: loss[a])
    ]


WIDGETS = {
    "training": (training_figure, {"activation": "relu", "depth": 5, "lr": LR}),
}
