"""Figures for Problem 2: activations after batch normalization, by training.

The figures draw the seed-batched runs of `nnlab.p2_activations.study` (cached,
so the notebook trains each setting once). The widget trains one run on
demand with `nnlab.p2_activations.bn_mlp.train_bn_mlp`, on seed 0's data, at
any depth and learning rate, and caches it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from nnlab import views
from nnlab.activations import evaluate
from nnlab.mlp import mlp_backward, mlp_forward, softmax_cross_entropy
from nnlab.p2_activations import study
from nnlab.p2_activations.bn_mlp import init_bn_mlp, preactivations
from nnlab.p2_activations.figure_parts import EXTENT, run, run_grid, study_grid
from nnlab.p2_activations.figure_parts import widget_spirals as widget_spirals

NAMES = study.NAMES
DEPTHS = study.DEPTHS
WIDGET_DEPTHS = (5, 10, 20)
WIDGET_LRS = (0.01, 0.03, 0.1)
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


def _draw_regions(ax, p, X, y, title: str):
    """Draw the predicted class of `p` over the points; return the image."""
    # an image of the predicted class draws much faster than filled contours
    image = ax.imshow(
        p > 0.5,
        cmap=REGION_CMAP,
        vmin=0,
        vmax=1,
        origin="lower",
        extent=(-EXTENT, EXTENT, -EXTENT, EXTENT),
        interpolation="nearest",
    )
    for c in (0, 1):
        ax.scatter(*X[y == c].T, s=4, color=CLASS_COLORS[c], lw=0)
    ax.set_xlim(-EXTENT, EXTENT)
    ax.set_ylim(-EXTENT, EXTENT)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=11)
    return image


def init_preactivation_figure(depth: int = 5, layer: int = 2):
    """Batch-norm outputs at initialization, with the six activations over them.

    The histogram is of every unit of hidden layer `layer` (0-based) over
    seed 0's training set, for seed 0's starting weights; at gamma = 1,
    beta = 0 each unit's values have mean 0 and variance 1.
    """
    X = widget_spirals().X
    pre = preactivations(X, init_bn_mlp(depth, study.WIDTH, 0), "relu")[layer].ravel()
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
    ax2.legend(h1 + h2, l1 + l2, loc="upper right", fontsize=10, ncol=2)
    ax.set_title(
        f"What batch norm hands each activation at initialization "
        f"(max x = {pre.max():.2f}, min x = {pre.min():.2f})"
    )
    fig.tight_layout()
    return fig


def accuracy_figure():
    """Key figure: every seed's test accuracy, per activation and depth.

    One dot a run; the bar is the mean over seeds. The dashed line is the
    linear classifier's mean over the same seeds' data, the dotted one
    chance.
    """
    st = study.run_study()
    fig, ax = plt.subplots(figsize=(9.5, 4))
    offsets = np.linspace(-0.15, 0.15, len(DEPTHS))
    markers = ("o", "s", "^")
    for i, name in enumerate(NAMES):
        for j, depth in enumerate(DEPTHS):
            if (name, depth) not in st.runs:
                continue
            acc = st.runs[name, depth].test_acc
            x = i + offsets[j]
            ax.plot(
                np.full(acc.size, x),
                acc,
                markers[j],
                color=COLORS[name],
                ms=5,
                alpha=0.7,
                mfc="none" if j else COLORS[name],
                label=f"depth {depth}" if i == 0 else None,
            )
            ax.plot([x - 0.06, x + 0.06], [acc.mean()] * 2, color="k", lw=1.5)
    ax.axhline(st.linear_acc.mean(), color="0.4", ls="--", lw=1, label="linear clf.")
    ax.axhline(0.5, color="0.6", ls=":", lw=1, label="chance")
    ax.set_xticks(range(len(NAMES)), [LABELS[a] for a in NAMES])
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0.35, 1.02)
    ax.legend(fontsize=10, loc="center right")
    ax.set_title(
        f"Test accuracy of every run ({len(st.seeds)} seeds: initialization and "
        f"data; bar = mean); not trained at depth {DEPTHS[-1]}: no marker"
    )
    fig.tight_layout()
    return fig


def loss_curves_figure():
    """Training loss per step, every seed, one panel a depth."""
    st = study.run_study()
    fig, axes = plt.subplots(1, len(DEPTHS), figsize=(11, 3.8), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, depth in zip(axes, DEPTHS, strict=True):
        for name in NAMES:
            if (name, depth) not in st.runs:
                continue
            loss = st.runs[name, depth].loss  # (steps, S)
            lines = ax.semilogy(
                loss, color=COLORS[name], ls=STYLES.get(name, "-"), lw=0.8, alpha=0.8
            )
            lines[0].set_label(LABELS[name])
        ax.axhline(np.log(2), color="0.5", lw=0.8, ls=":")
        ax.set_title(f"depth {depth} (Linear-BN-act x {depth}, then Linear)")
        ax.set_xlabel("step")
    axes[0].set_ylabel("training cross-entropy (log scale)")
    axes[0].plot([], [], color="0.5", lw=0.8, ls=":", label="chance, log 2")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="center right", fontsize=10)
    fig.tight_layout(rect=(0, 0, 0.85, 1))
    return fig


def init_grad_norms(activation: str, depth: int, seed: int = 0) -> np.ndarray:
    """(depth + 1,) ||dL/dW|| per layer at initialization, on seed's data."""
    X, y, _, _ = study.seed_spirals((seed,))[0]
    params = init_bn_mlp(depth, study.WIDTH, seed)
    scores, cache, _ = mlp_forward(X, params, activation)
    _, grads = mlp_backward(softmax_cross_entropy(scores, y)[1], cache)
    return np.array([np.linalg.norm(g["W"]) for g in grads])


def grad_norms_figure(depth: int = 20):
    """Per-layer weight-gradient norms at initialization, one line an activation.

    No training is needed, so a depth beyond the trained ones is cheap. Exact
    zeros cannot sit on a log axis: they are drawn as crosses on the bottom
    edge.
    """
    fig, ax = plt.subplots(figsize=(9.5, 3.8))
    layers = np.arange(depth + 1)
    norms = {name: init_grad_norms(name, depth) for name in NAMES}
    floor = min(g[g > 0].min() for g in norms.values() if np.any(g > 0))
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
        f"Gradient norms per layer at initialization, depth {depth}, seed 0 "
        "(x on the bottom edge: exactly 0)"
    )
    ax.legend(fontsize=10, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return fig


def boundaries_figure(seed_index: int = 0):
    """Small multiples: the decision regions of one seed's runs, every setting."""
    st = study.run_study()
    X, y, _, _ = study.seed_spirals((st.seeds[seed_index],))[0]
    fig, axes = plt.subplots(len(DEPTHS), len(NAMES), figsize=(12, 2.6 * len(DEPTHS)))
    axes = np.atleast_2d(axes)
    for row, depth in zip(axes, DEPTHS, strict=True):
        for ax, name in zip(row, NAMES, strict=True):
            if (name, depth) not in st.runs:
                ax.set_axis_off()
                ax.text(
                    0.5, 0.5, f"{LABELS[name]}:\nnot trained", ha="center", fontsize=11
                )
                continue
            acc = st.runs[name, depth].test_acc[seed_index]
            p = study_grid(name, depth, seed_index)
            _draw_regions(ax, p, X, y, f"{LABELS[name]}, test {acc:.0%}")
        row[0].set_ylabel(f"depth {depth}", fontsize=11)
    fig.suptitle(
        f"Decision regions after {study.STEPS} steps, seed {st.seeds[seed_index]} "
        "(training points shown)"
    )
    fig.tight_layout()
    return fig


def training_figure(activation: str = "relu", depth: int = 5, lr: float = study.LR):
    """Widget view: the loss curve and the decision regions of one run."""
    fig = plt.figure(figsize=_TRAINING_SIZE)
    _update_training(_build_training(fig)[1], activation, depth, lr)
    return fig


def training_widget(activation: str = "relu", depth: int = 5, lr: float = study.LR):
    """Widget view: `training_figure`, one figure updated in place."""
    fig, parts = views.live_figure(
        "p2.training", lambda: _build_training(Figure(figsize=_TRAINING_SIZE))
    )
    _update_training(parts, activation, depth, lr)
    return fig


_TRAINING_SIZE = (9, 3.8)


def _build_training(fig):
    """`fig` and the artists of `training_figure` in it, for `_update_training`."""
    ax0, ax1 = fig.subplots(1, 2)
    ax0.set_yscale("log")
    (loss,) = ax0.plot([], [], label="loss")
    ax0.axhline(np.log(2), color="0.5", lw=0.8, ls=":", label="chance (log 2)")
    # plain labels, no minor ticks: mathtext labels took a fifth of the redraw
    views.plain_log_ticks(ax0, "y", subs=(1, 2, 5))
    ax0.set_xlabel("step")
    ax0.set_ylabel("cross-entropy (log scale)")
    legend = ax0.legend(fontsize=10)
    data = widget_spirals()
    blank = np.zeros((80, 80))
    regions = _draw_regions(ax1, blank, data.X, data.y, " ")
    # Fixed margins, those tight_layout chose: it would lay the text out twice.
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.15, top=0.9, wspace=0.05)
    key = legend.legend_handles[0]
    return fig, {"ax": ax0, "loss": loss, "key": key, "regions": regions,
                 "title": ax0.title, "score": ax1.title}  # fmt: skip


def _update_training(parts, activation: str, depth: int, lr: float) -> None:
    """Show the run of one setting: its loss, colour, regions and accuracies."""
    h = run(activation, depth, lr)
    style = {"color": COLORS[activation], "ls": STYLES.get(activation, "-")}
    steps = np.arange(len(h.loss))
    parts["loss"].set(xdata=steps, ydata=h.loss, **style)
    parts["key"].set(**style)  # the legend keeps its own copy of the line
    # The limits by hand, as axhline sets them: the loss's, widened to the
    # chance line only if it lies outside. Not relim(): it maps the chance
    # line through the log scale and back, an ulp off or not depending on
    # what was drawn before, so a flat loss at log 2 (a dead network) got a
    # decade of room or none.
    ax = parts["ax"]
    ax.ignore_existing_data_limits = True
    ax.update_datalim(np.column_stack([steps, h.loss]))
    ax.autoscale_view()
    lo, hi = ax.get_ylim()
    if not lo <= np.log(2) <= hi:
        ax.update_datalim([(0.0, np.log(2))], updatex=False)
        ax.autoscale_view()
    parts["title"].set_text(f"{LABELS[activation]}, depth {depth}, lr {lr}, seed 0")
    parts["regions"].set_data(run_grid(activation, int(depth), float(lr)) > 0.5)
    acc = f"train {h.final_train_acc:.0%}, test {h.final_test_acc:.0%}"
    parts["score"].set_text(acc)


WIDGETS = {
    "training": (training_widget, {"activation": "relu", "depth": 5, "lr": study.LR}),
}

#: Every value each widget control offers, as notebook 02 builds it.
WIDGET_RANGES = {
    "training": {"activation": NAMES, "depth": WIDGET_DEPTHS, "lr": WIDGET_LRS},
}

# What each figure shows and what to notice, for a reader who cannot see it;
# the handout builder (nnlab.book.prepare.library_alt) reads it by name.
ALT = {
    "init_preactivation_figure": (
        "Histogram of the batch-norm outputs of one hidden layer at "
        "initialization, bell-shaped around 0 and within about -4 to 4, with "
        "the six activations drawn over it: nothing comes near 10, where "
        "ReLU(x - 10) starts to rise, and the sigmoid is nearly a straight "
        "line over the bulk of the values."
    ),
    "accuracy_figure": (
        "Test accuracy of every seed's run, one column of dots per activation, "
        "depth 5 and depth 10 side by side, with the mean as a bar: ReLU and "
        "min(0, x) sit near 0.97, the sigmoid mostly near 0.95 with a few low "
        "runs, and x / sqrt(2), ReLU(x - 10) and sign at the linear "
        "classifier's level near 0.5."
    ),
    "loss_curves_figure": (
        "Training loss per step on a log scale, one line per run, one panel "
        "per depth: ReLU and min(0, x) fall fastest, the sigmoid falls more "
        "slowly, x / sqrt(2) and sign level off near the linear classifier's "
        "loss, and ReLU(x - 10) stays flat at log 2."
    ),
    "grad_norms_figure": (
        "Weight-gradient norm of every layer at initialization of a 20-layer "
        "network, one line per activation on a log scale: for ReLU, min(0, x), "
        "x / sqrt(2) and the sigmoid the norms grow rather than shrink toward "
        "the first layer, while ReLU(x - 10) has exactly zero gradient in every "
        "layer and sign in every hidden layer (crosses on the bottom edge)."
    ),
    "boundaries_figure": (
        "Decision regions of seed 0's trained networks over the two spirals, "
        "one panel per activation and depth: ReLU, min(0, x) and the sigmoid "
        "follow the spiral arms, x / sqrt(2) cuts the plane with one straight "
        "line, ReLU(x - 10) gives one class everywhere, and sign gives wedges "
        "unrelated to the arms."
    ),
    "training_widget": (
        "The training figure for the activation, depth and learning rate chosen "
        "in the menus: the run's training loss per step on a log scale with "
        "the chance level log 2 dotted, and its decision regions over seed "
        "0's spirals with the training points, titled with its training and "
        "test accuracy. ReLU and min(0, x) follow the spiral arms, "
        "ReLU(x - 10) stays flat at log 2 with one class everywhere."
    ),
    "training_figure": (
        "One training run of the chosen activation, depth and learning rate on "
        "seed 0's spirals: its training loss per step on a log scale, and its "
        "decision regions with the training points; at the default setting "
        "(ReLU, depth 5, lr 0.03) the loss falls below 0.1 and the regions "
        "follow the spiral arms."
    ),
}
