"""Figures for Problem 5: BPTT schedules as timelines and their trade-off.

A timeline reads top to bottom. The horizontal axis is the position in the
sequence (state h_i at x = i, step t between t - 1 and t); time runs down,
one tick per forward step call or backward step. Everything drawn comes from
`nnlab.p5_bptt.plans.make_plan`, the plan that `nnlab.p5_bptt.driver.bptt` executes.
"""

from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from nnlab.p5_bptt import adjacent, costs, plans
from nnlab.records import freeze_arrays
from nnlab.validate import check_choice
from nnlab.views import plain_log_ticks

COLORS = {
    "advance": "C0",
    "tape": "C2",
    "rerun": "C1",
    "backward": "C3",
    "held": "0.82",
}
LABELS = {
    "held": "state stored",
    "advance": "forward, no tape (recompute)",
    "tape": "forward, tape kept",
    "rerun": "re-run with tape",
    "backward": "backward step",
}
SCHEDULE_TITLES = {
    "store_all": "store_all",
    "constant": "constant (h0 only)",
    "sqrt_untaped": "sqrt, untaped",
    "sqrt_taped": "sqrt, taped",
    "bisect": "bisect",
    "binomial": "binomial (revolve)",
    "adjacent": "adjacent optimum",
}
REVOLVE_LABEL = (
    "revolve: fewest in revolve's model\n(a backward step needs a fresh taped forward)"
)
ADJACENT_LABEL = (
    "adjacent: fewest when a step's backward\nreads only the adjacent states"
)
FRONTIER_CAP = 128  # the adjacent program is O(T^2 budget): budgets drawn up to this


class Timeline(NamedTuple):
    """Drawable pieces of a plan: segments per kind and stored intervals."""

    segments: dict  # kind -> list of ((x0, y0), (x1, y1))
    held: list  # (state index, first tick, last tick)
    ticks: int
    stats: costs.Stats


@lru_cache(maxsize=128)
def timeline(T: int, schedule: str, slots: int | None = None) -> Timeline:
    """Lay out the plan of a schedule on a (position, tick) grid."""
    plan = plans.make_plan(T, schedule, slots)
    segments = {k: [] for k in ("advance", "tape", "rerun", "backward")}
    since = {0: 0}
    held = []
    y = 0
    for kind, i, j in plan:
        if kind == "advance":
            for t in range(i + 1, j + 1):
                segments["advance"].append(((t - 1, y), (t, y + 1)))
                y += 1
        elif kind == "tape":
            segments["tape"].append(((i - 1, y), (i, y + 1)))
            since[i] = y + 1
            y += 1
        elif kind == "backward":
            segments["rerun"].append(((i - 1, y), (i, y + 1)))
            segments["backward"].append(((i, y + 1), (i - 1, y + 2)))
            y += 2
        elif kind == "reverse":
            segments["backward"].append(((i, y), (i - 1, y + 1)))
            held.append((i, since.pop(i), y + 1))
            y += 1
        elif kind == "reverse_stored":
            segments["backward"].append(((i, y), (i - 1, y + 1)))
            y += 1
        elif kind == "snapshot":
            since[i] = y
        elif kind == "free":
            held.append((i, since.pop(i), y))
    held += [(i, y0, y) for i, y0 in since.items()]
    return Timeline(segments, held, y, plans.plan_stats(plan))


def draw_timeline(ax, T: int, schedule: str, slots: int | None = None) -> None:
    """Draw one schedule's timeline on `ax`, its cost in the title."""
    tl = timeline(T, schedule, slots)
    if tl.held:
        idx, y0, y1 = np.array(tl.held).T
        ax.bar(idx, y1 - y0, bottom=y0, width=0.45, color=COLORS["held"], zorder=1)
    width = 2.2 if T <= 20 else 1.4
    for kind, segs in tl.segments.items():
        if segs:
            ax.add_collection(
                LineCollection(segs, colors=COLORS[kind], linewidths=width, zorder=2)
            )
    ax.set_xlim(-0.6, T + 0.6)
    ax.set_ylim(tl.ticks + 0.5, -0.5)  # time runs down
    ax.set_xlabel("position i (state $h_i$)")
    name = SCHEDULE_TITLES[schedule]
    if schedule == "binomial":
        name += f", {slots} slot" + ("s" if slots > 1 else "")
    elif schedule == "adjacent":
        name += f", budget {slots}"
    st = tl.stats
    held = costs.held_states(T, schedule, slots)
    ax.set_title(
        f"{name}\n{st.step_calls} calls, {held} held at once",
        fontsize=10,
    )
    if T <= 24:
        ax.set_xticks(range(0, T + 1, 1 if T <= 12 else 2))


def _legend_handles():
    handles = [Patch(color=COLORS["held"], label=LABELS["held"])]
    handles += [
        Line2D([], [], color=COLORS[k], lw=2.2, label=LABELS[k])
        for k in ("advance", "tape", "rerun", "backward")
    ]
    return handles


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
    axes[3].legend(handles=_legend_handles(), loc="center", fontsize=10)
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
    fig.legend(handles=_legend_handles(), loc="lower center", ncol=3, fontsize=10)
    fig.suptitle(f"Equal memory, T = {T}: revolve (top) against the adjacent optimum")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


@lru_cache(maxsize=64)
def _other_points(T: int):
    return MappingProxyType(  # cached: read-only
        {
            s: costs.report(T, s)
            for s in costs.SCHEDULES
            if s not in costs.MEMORY_SCHEDULES
        }
    )


@lru_cache(maxsize=64)
def frontiers(T: int, cap: int = FRONTIER_CAP):
    """Both trade-off curves in the same units, as (held, calls) arrays.

    Revolve: binomial with s = 1 .. T - 1 slots holds s + 2 states. The
    adjacent optimum: every budget from 3 to min(T + 1, cap). Cached (a
    widget redraws them for every budget and schedule): read-only arrays.
    """
    s = np.arange(1, max(1, T - 1) + 1)
    rev = np.array([costs.binomial_cost(T, int(k)).step_calls for k in s])
    rev_held = s + (2 if T >= 2 else 1)
    top = min(T + 1, cap)
    adj = adjacent.adjacent_frontier(T, max(top, adjacent.min_budget(T)))
    curves = (rev_held, rev), (np.array(list(adj)), np.array(list(adj.values())))
    return freeze_arrays(curves)


def _draw_tradeoff(ax, T: int, mark: int | None = None) -> None:
    (rx, ry), (ax_, ay) = frontiers(T)
    ax.plot(rx, ry / T, color="k", lw=1.8, label=REVOLVE_LABEL)
    ax.plot(ax_, ay / T, color="C3", lw=1.8, label=ADJACENT_LABEL)
    if ax_[-1] < T + 1:  # beyond the computed budgets, up to store_all
        ax.plot([ax_[-1], T + 1], [ay[-1] / T, 1], color="C3", lw=1, ls=":")
    for n, (name, r) in enumerate(_other_points(T).items()):
        ax.plot(r.held, r.step_calls / T, "o", ms=8, color=f"C{n + 4}", label=name)
    if mark is not None:
        rev = costs.revolve_at_budget(T, mark).step_calls
        ax.plot(mark, rev / T, "*", ms=15, color="k", zorder=5)
        ax.plot(mark, adjacent.adjacent_cost(T, mark) / T, "*", ms=15, color="C3")
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log_ticks(ax, subs=(1, 2, 5))
    ax.set_xlabel("hidden states held at once (working state and tapes included)")
    ax.set_ylabel("forward step calls / T")
    ax.grid(True, alpha=0.25)


def tradeoff_figure(T: int = 1000) -> plt.Figure:
    """Step calls against states held at once: both frontiers, every schedule."""
    fig, ax = plt.subplots(figsize=(9, 6))
    _draw_tradeoff(ax, T)
    for name, r in _other_points(T).items():
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
    # A fixed layout: tight_layout would measure every label on each redraw.
    fig, (ax0, ax1) = plt.subplots(
        1, 2, figsize=(11, 6.2), gridspec_kw={"width_ratios": [1, 1.4]}
    )
    fig.subplots_adjust(left=0.07, right=0.98, top=0.88, bottom=0.2, wspace=0.22)
    draw_timeline(ax0, T, schedule, memory.get(schedule))
    ax0.set_ylabel("time (ticks)")
    _draw_tradeoff(ax1, T, mark=used)
    ax1.legend(loc="upper right", fontsize=8)
    rev = costs.revolve_at_budget(T, used).step_calls
    adj = adjacent.adjacent_cost(T, used)
    note = f" (asked {budget})" if used != budget else ""
    ax1.set_title(
        f"T = {T}, {used} states held at once{note}\n"
        f"revolve {rev} calls, adjacent optimum {adj} calls",
        fontsize=10,
    )
    fig.legend(handles=_legend_handles(), loc="lower center", ncol=3, fontsize=9)
    return fig


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
