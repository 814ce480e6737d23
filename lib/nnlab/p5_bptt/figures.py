"""Figures for Problem 5: BPTT schedules as timelines and their trade-off.

A timeline reads top to bottom. The horizontal axis is the position in the
sequence (state h_i at x = i, step t between t - 1 and t); time runs down,
one tick per forward step call or backward step. Everything drawn comes from
`nnlab.p5_bptt.plans.make_plan`, the plan that `nnlab.p5_bptt.driver.bptt` executes.
The parts (a timeline, the trade-off curves) are in `nnlab.p5_bptt.figure_parts`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from nnlab.p5_bptt import adjacent, costs
from nnlab.p5_bptt.figure_parts import (
    FRONTIER_CAP,
    draw_timeline,
    legend_handles,
    optima,
    other_points,
    show_timeline,
    show_tradeoff,
    timeline_artists,
    tradeoff_artists,
)
from nnlab.validate import check_choice
from nnlab.views import freeze, live_figure

REVOLVE_ROW = ("constant", "sqrt_untaped", "bisect", "binomial")
ADJACENT_ROW = ("store_all", "sqrt_taped", "adjacent")


def timelines_figure(T: int = 16, budget: int | None = None) -> plt.Figure:
    """Small multiples: every schedule's timeline for the same T, by model.

    Top row, revolve's model (a step is re-run with tape before its backward
    step); bottom row, the schedules that keep tapes or reverse a step from
    its stored states. Binomial gets budget - 2 slots and the adjacent
    optimum the budget itself, so both hold `budget` states at once; by
    default bisect's.
    """
    if budget is None:
        budget = costs.held_states(T, "bisect")
    budget = max(budget, 3)
    memory = {"binomial": max(1, min(budget - 2, T - 1)), "adjacent": budget}
    fig = plt.figure(figsize=(13, 12.5), layout="constrained")
    top, bottom = fig.subfigures(2, 1, hspace=0.04)
    rows = (
        (
            top,
            REVOLVE_ROW,
            "revolve's model: each step re-run with tape before its backward step",
        ),
        (
            bottom,
            ADJACENT_ROW,
            "kept tapes, or a step reversed from its two stored states",
        ),
    )
    for sub, names, title in rows:
        axes = sub.subplots(1, 4)
        for ax, schedule in zip(axes, names, strict=False):
            draw_timeline(ax, T, schedule, memory.get(schedule))
        axes[0].set_ylabel("time (one tick per forward call or backward step)")
        sub.suptitle(title, fontsize=12, weight="bold")
    axes[3].axis("off")
    axes[3].legend(handles=legend_handles(), loc="center", fontsize=10)
    fig.suptitle(
        f"BPTT schedules for T = {T} (equal memory for binomial and adjacent): "
        "what is stored, recomputed, reversed",
        fontsize=12,
    )
    return fig


def equal_memory_figure(T: int = 16, budgets=(3, 4, 5, 7, 10)) -> plt.Figure:
    """Revolve's optimum (top) and the adjacent optimum (bottom) at equal memory.

    Each column holds the same number of states at once: binomial with
    budget - 2 slots, the adjacent optimum with the budget.
    """
    fig, axes = plt.subplots(2, len(budgets), figsize=(2.6 * len(budgets), 11))
    for col, m in enumerate(budgets):
        draw_timeline(axes[0, col], T, "binomial", max(1, min(m - 2, T - 1)))
        draw_timeline(axes[1, col], T, "adjacent", m)
    for ax in axes[:, 0]:
        ax.set_ylabel("time (ticks)")
    fig.legend(handles=legend_handles(), loc="lower center", ncol=3, fontsize=10)
    fig.suptitle(f"Equal memory, T = {T}: revolve (top) against the adjacent optimum")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def tradeoff_figure(T: int = 1000) -> plt.Figure:
    """Step calls against states held at once: both frontiers, every schedule."""
    fig, ax = plt.subplots(figsize=(9, 6))
    show_tradeoff(tradeoff_artists(ax), T)
    for name, r in other_points(T).items():
        ax.annotate(
            f"{name}\n({r.step_calls} calls, {r.held} held)",
            (r.held, r.step_calls / T),
            textcoords="offset points",
            xytext=(8, 6) if name != "store_all" else (-30, 12),
            fontsize=9,
            ha="left" if name != "store_all" else "right",
        )
    ax.set_xlim(2.5, T * 2.5)
    ax.legend(loc="upper right", fontsize=9)
    ax.set_title(
        f"Memory against recomputation for T = {T}\n(adjacent optimum computed "
        f"up to {min(T + 1, FRONTIER_CAP)} states; dotted: on to store_all)",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


def timeline_and_cost(
    T: int = 12, budget: int = 5, schedule: str = "adjacent"
) -> plt.Figure:
    """Widget: one schedule's timeline beside both trade-off curves.

    `budget` is the states held at once: the adjacent optimum gets it,
    binomial gets budget - 2 slots (the same memory); the stars mark both
    optima at that budget.
    """
    check_choice("schedule", schedule, costs.SCHEDULES)
    used = max(adjacent.min_budget(T), min(budget, T + 1))
    memory = {"binomial": max(1, min(used - 2, T - 1)), "adjacent": used}
    fig, parts = live_figure("p5.timeline_and_cost", _build_timeline_and_cost)
    show_timeline(parts["timeline"], T, schedule, memory.get(schedule))
    show_tradeoff(parts["tradeoff"], T, mark=used)
    rev, adj = optima(T, used)
    note = f" (asked {budget})" if used != budget else ""
    parts["tradeoff"]["ax"].title.set_text(
        f"T = {T}, {used} states held at once{note}\n"
        f"revolve {rev} calls, adjacent optimum {adj} calls"
    )
    return fig


def _build_timeline_and_cost():
    """Build the widget's figure, its artists empty, for `timeline_and_cost` to fill.

    Built once without pyplot (`nnlab.views.live_figure`): a redraw only
    changes data, limits and text.
    """
    fig = Figure(figsize=(11, 6.2))
    ax0, ax1 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.4]})
    # A fixed layout: tight_layout would measure every label on each redraw.
    fig.subplots_adjust(left=0.07, right=0.98, top=0.88, bottom=0.2, wspace=0.22)
    # Drawing text costs about 0.15 ms a character, a third of a redraw: the
    # curves' labels and the x label are the short forms; the trade-off
    # figure above the widget in notebook 05 spells out both models.
    curves = ("revolve's optimum", "adjacent optimum")
    parts = {
        "timeline": timeline_artists(ax0),
        "tradeoff": tradeoff_artists(ax1, labels=curves),
    }
    ax0.set_ylabel("time (ticks)")
    ax1.set_xlabel("hidden states held at once")
    # The legends never change: drawn once and kept as pixels (`freeze`), the
    # curves' legend with an opaque frame so that nothing drawn under it shows.
    freeze(ax1.legend(loc="upper right", fontsize=8, framealpha=1))
    freeze(fig.legend(handles=legend_handles(), loc="lower center", ncol=3, fontsize=9))
    # Titles and axis labels at fixed places (axes fractions): placed after
    # the tick labels, they measured every tick label again on each redraw.
    # These are matplotlib's places for the widest tick labels over the
    # widget's settings (3-digit ticks on the timeline at T = 40).
    for ax, ylabel_x in ((ax0, -0.123), (ax1, -0.063)):
        ax.set_title(" ", fontsize=10, y=1.0)
        ax.xaxis.set_label_coords(0.5, -0.069)
        ax.yaxis.set_label_coords(ylabel_x, 0.5)
    return fig, parts


WIDGETS = {
    "timeline_and_cost": (
        timeline_and_cost,
        {"T": 12, "budget": 5, "schedule": "adjacent"},
    ),
}

#: Every value each widget control offers, as notebook 05 builds it.
WIDGET_RANGES = {
    "timeline_and_cost": {
        "T": tuple(range(2, 41)),
        "budget": tuple(range(3, 25)),
        "schedule": costs.SCHEDULES,
    },
}

ALT = {
    "timelines_figure": (
        "Two rows of timelines for T = 16, time running down, position across. "
        "Top row, revolve's model: constant, untaped sqrt, bisect and binomial "
        "re-run every step (orange) just before its backward step (red), after "
        "blue recomputation from grey stored states. Bottom row: store_all "
        "keeps every tape, taped sqrt re-runs each segment once with tapes, and "
        "the adjacent optimum reverses steps from two stored states with no "
        "re-run. Titles give each schedule's calls and states held at once."
    ),
    "equal_memory_figure": (
        "Pairs of timelines for T = 16 at equal memory (3, 4, 5, 7, 10 states "
        "held at once): revolve's binomial schedule on top, the adjacent "
        "optimum below. At each budget the bottom one makes fewer forward "
        "calls, most visibly with more memory, where it needs no re-runs at all."
    ),
    "tradeoff_figure": (
        "Log-log plot for T = 1000 of forward step calls over T against hidden "
        "states held at once. A black curve is revolve's optimum, a red curve "
        "below it the adjacent optimum; at equal memory the red curve needs "
        "about T fewer calls. Points mark store_all, constant, both sqrt "
        "schedules and bisect; taped sqrt lies close to the red curve, untaped "
        "sqrt and bisect above the black one."
    ),
    "timeline_and_cost": (
        "Widget: on the left the timeline of the chosen schedule for the "
        "chosen T and budget; on the right both trade-off curves, revolve's "
        "(black) and the adjacent optimum's (red), with stars at the chosen "
        "budget and both call counts in the title."
    ),
}
