"""Figures for Problem 5: BPTT schedules as timelines and their trade-off.

A timeline reads top to bottom. The horizontal axis is the position in the
sequence (state h_i at x = i, step t between t - 1 and t); time runs down,
one tick per forward step call or backward step. Everything drawn comes from
`nnlab.p5_bptt.plans.make_plan`, the plan that `nnlab.p5_bptt.driver.bptt` executes.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from nnlab.p5_bptt import costs, plans
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
    "sqrt": "sqrt checkpoints",
    "bisect": "bisect",
    "binomial": "binomial",
}


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
    st = tl.stats
    plural = "s" if st.peak_states > 1 else ""
    ax.set_title(
        f"{name}\n{st.step_calls} step calls, {st.peak_states} state{plural} stored",
        fontsize=9,
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


def timelines_figure(T: int = 16, slots: int | None = None) -> plt.Figure:
    """Small multiples: every schedule's timeline for the same T.

    Binomial gets `slots`, by default as many as bisect stores.
    """
    if slots is None:
        slots = min(costs.bisect_cost(T).peak_states, max(1, T - 1))
    runs = [(s, None) for s in costs.SCHEDULES if s != "binomial"]
    runs.append(("binomial", slots))
    fig, axes = plt.subplots(1, len(runs), figsize=(13, 6.2))
    for ax, (schedule, k) in zip(axes, runs, strict=True):
        draw_timeline(ax, T, schedule, k)
    axes[0].set_ylabel("time (one tick per forward call or backward step)")
    fig.legend(handles=_legend_handles(), loc="lower center", ncol=5, fontsize=9)
    fig.suptitle(f"BPTT schedules for T = {T}: what is stored, recomputed, reversed")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def binomial_sweep_figure(T: int = 16, slots=(1, 2, 3, 5, 8)) -> plt.Figure:
    """Small multiples: the binomial schedule for T with more and more slots."""
    fig, axes = plt.subplots(1, len(slots), figsize=(2.6 * len(slots), 6.2))
    for ax, k in zip(np.atleast_1d(axes), slots, strict=True):
        draw_timeline(ax, T, "binomial", k)
    np.atleast_1d(axes)[0].set_ylabel("time (ticks)")
    fig.legend(handles=_legend_handles(), loc="lower center", ncol=5, fontsize=9)
    fig.suptitle(f"Binomial (revolve) schedule, T = {T}, as the slots grow")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def _other_points(T: int):
    return {s: costs.cost(T, s) for s in costs.SCHEDULES if s != "binomial"}


def _draw_tradeoff(ax, T: int, mark: int | None = None) -> None:
    top = max(1, T - 1)
    s = np.arange(1, top + 1)
    calls = np.array([costs.binomial_cost(T, int(k)).step_calls for k in s])
    ax.plot(s, calls / T, color="k", lw=1.8, label="binomial: fewest calls per slots")
    for n, (name, st) in enumerate(_other_points(T).items()):
        ax.plot(
            st.peak_states, st.step_calls / T, "o", ms=8, color=f"C{n + 4}", label=name
        )
    if mark is not None:
        st = costs.binomial_cost(T, mark)
        ax.plot(mark, st.step_calls / T, "*", ms=15, color="C3", zorder=5)
    ax.axhline((2 * T - 1) / T, color="0.5", ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log_ticks(ax, subs=(1, 2, 5))
    ax.set_xlabel("states stored at once (slots, h0 included)")
    ax.set_ylabel("forward step calls / T")
    ax.grid(True, alpha=0.25)


def tradeoff_figure(T: int = 1000) -> plt.Figure:
    """Step calls against stored states for every schedule; binomial as frontier."""
    fig, ax = plt.subplots(figsize=(8, 5))
    _draw_tradeoff(ax, T)
    for name, st in _other_points(T).items():
        ax.annotate(
            f"{name}\n({st.step_calls} calls, {st.peak_states} stored)",
            (st.peak_states, st.step_calls / T),
            textcoords="offset points",
            xytext=(8, 6) if name != "store_all" else (-30, 12),
            fontsize=8,
            ha="left" if name != "store_all" else "right",
        )
    ax.text(
        1.2,
        (2 * T - 1) / T * 1.08,
        "2T - 1: every step re-run once before its backward",
        fontsize=8,
        color="0.35",
    )
    ax.set_xlim(0.8, T * 2.5)
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(f"Memory against recomputation for T = {T}")
    fig.tight_layout()
    return fig


def timeline_and_cost(
    T: int = 12, slots: int = 3, schedule: str = "binomial"
) -> plt.Figure:
    """Widget: one schedule's timeline beside the step-calls/slots trade-off."""
    check_choice("schedule", schedule, costs.SCHEDULES)
    top = max(1, T - 1)
    used = min(max(1, slots), top)
    # A fixed layout: tight_layout would measure every label on each redraw.
    fig, (ax0, ax1) = plt.subplots(
        1, 2, figsize=(10, 5.6), gridspec_kw={"width_ratios": [1, 1.3]}
    )
    fig.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.2, wspace=0.25)
    draw_timeline(ax0, T, schedule, used if schedule == "binomial" else None)
    ax0.set_ylabel("time (ticks)")
    _draw_tradeoff(ax1, T, mark=used)
    ax1.legend(loc="upper right", fontsize=8)
    st = costs.binomial_cost(T, used)
    note = f" (asked {slots}; at most {top} help)" if used != slots else ""
    ax1.set_title(
        f"T = {T}: binomial with {used} slots{note}\n"
        f"{st.step_calls} calls = {st.step_calls / T:.2f} T",
        fontsize=9,
    )
    fig.legend(handles=_legend_handles(), loc="lower center", ncol=5, fontsize=8)
    return fig


WIDGETS = {
    "timeline_and_cost": (
        timeline_and_cost,
        {"T": 12, "slots": 3, "schedule": "binomial"},
    ),
}
