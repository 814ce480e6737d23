"""Parts of Problem 5's figures: a schedule's timeline and the trade-off curves.

A timeline reads top to bottom. The horizontal axis is the position in the
sequence (state h_i at x = i, step t between t - 1 and t); time runs down,
one tick per forward step call or backward step. Everything drawn comes from
`nnlab.p5_bptt.plans.make_plan`, the plan that `nnlab.p5_bptt.driver.bptt`
executes.

Each part is made of a few artists created empty (``*_artists``) and then
filled for one setting (``show_*``): the static figures of
`nnlab.p5_bptt.figures` do both once, the widget creates them once and fills
them again on every redraw, so that both draw the same thing by one route.
"""

from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgba_array
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import AutoLocator

from nnlab.p5_bptt import adjacent, costs, plans
from nnlab.records import freeze_arrays
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
STEP_KINDS = ("advance", "tape", "rerun", "backward")  # drawn in this order
#: The schedules drawn as single points on the trade-off plot.
POINT_SCHEDULES = tuple(s for s in costs.SCHEDULES if s not in costs.MEMORY_SCHEDULES)
BAR_WIDTH = 0.45  # of a stored state's bar, in positions


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
    segments = {k: [] for k in STEP_KINDS}
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


@lru_cache(maxsize=512)
def _timeline_arrays(T: int, schedule: str, slots: int | None):
    """Return a timeline as the arrays its two collections take (cached, read-only)."""
    tl = timeline(T, schedule, slots)
    i, y0, y1 = np.array(tl.held, float).reshape(-1, 3).T  # (n,) each
    left, right = i - BAR_WIDTH / 2, i + BAR_WIDTH / 2
    # the corners in the order of a bar's Rectangle: (0, 0), (1, 0), (1, 1), (0, 1)
    bars = np.stack([(left, y0), (right, y0), (right, y1), (left, y1)])  # (4, 2, n)
    bars = bars.transpose(2, 0, 1)  # (n, 4, 2)
    segments = [s for k in STEP_KINDS for s in tl.segments[k]]
    segments = np.array(segments, float).reshape(-1, 2, 2)  # (m, 2, 2)
    colors = to_rgba_array([COLORS[k] for k in STEP_KINDS for _ in tl.segments[k]])
    return freeze_arrays((bars, segments, colors))


def timeline_title(T: int, schedule: str, slots: int | None = None) -> str:
    """Title a timeline: schedule and memory, forward calls, states held at once."""
    name = SCHEDULE_TITLES[schedule]
    if schedule == "binomial":
        name += f", {slots} slot" + ("s" if slots > 1 else "")
    elif schedule == "adjacent":
        name += f", budget {slots}"
    held = costs.held_states(T, schedule, slots)
    calls = timeline(T, schedule, slots).stats.step_calls
    return f"{name}\n{calls} calls, {held} held at once"


def timeline_artists(ax) -> dict:
    """Add a timeline's artists to `ax`, empty: the stored states' bars, the steps.

    The bars are one `PolyCollection` and the steps one `LineCollection`
    coloured segment by segment (a plan of T = 40 has up to 860 steps): two
    artists whatever the schedule, which `show_timeline` fills.
    """
    bars = PolyCollection([], facecolors=COLORS["held"], edgecolors="none", zorder=1)
    steps = LineCollection([], zorder=2)
    ax.add_collection(bars, autolim=False)
    ax.add_collection(steps, autolim=False)
    ax.set_xlabel("position i (state $h_i$)")
    return {"ax": ax, "bars": bars, "steps": steps}


def show_timeline(parts: dict, T: int, schedule: str, slots: int | None = None):
    """Fill the artists of `timeline_artists` with one schedule's timeline."""
    bars, segments, colors = _timeline_arrays(T, schedule, slots)
    parts["bars"].set_verts(bars)
    parts["steps"].set_segments(segments)
    parts["steps"].set_color(colors)
    parts["steps"].set_linewidth(2.2 if T <= 20 else 1.4)
    ax = parts["ax"]
    ax.set_xlim(-0.6, T + 0.6)
    ax.set_ylim(timeline(T, schedule, slots).ticks + 0.5, -0.5)  # time runs down
    if T <= 24:
        ax.set_xticks(range(0, T + 1, 1 if T <= 12 else 2))
    else:
        ax.xaxis.set_major_locator(AutoLocator())
    ax.title.set_text(timeline_title(T, schedule, slots))


def draw_timeline(ax, T: int, schedule: str, slots: int | None = None) -> None:
    """Draw one schedule's timeline on `ax`, its cost in the title."""
    show_timeline(timeline_artists(ax), T, schedule, slots)
    ax.title.set_fontsize(10)


def legend_handles() -> list:
    """Legend entries of a timeline: a stored state, then each kind of step."""
    handles = [Patch(color=COLORS["held"], label=LABELS["held"])]
    handles += [
        Line2D([], [], color=COLORS[k], lw=2.2, label=LABELS[k]) for k in STEP_KINDS
    ]
    return handles


@lru_cache(maxsize=64)
def other_points(T: int):
    """``{schedule: costs.report(T, schedule)}`` for `POINT_SCHEDULES` (read-only)."""
    return MappingProxyType({s: costs.report(T, s) for s in POINT_SCHEDULES})


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


@lru_cache(maxsize=4096)
def optima(T: int, budget: int) -> tuple[int, int]:
    """Forward calls of revolve's optimum and of the adjacent one at `budget` states."""
    revolve = costs.revolve_at_budget(T, budget).step_calls
    return revolve, adjacent.adjacent_cost(T, budget)


def tradeoff_artists(ax, labels: tuple[str, str] = (REVOLVE_LABEL, ADJACENT_LABEL)):
    """Add the trade-off plot's lines to `ax`, empty, on log-log axes.

    Both frontiers (their legend `labels`), the dotted continuation of the
    adjacent one, a point a schedule of `POINT_SCHEDULES` and two stars at a
    chosen budget, which `show_tradeoff` fills. Returns them in a dict.
    """
    lines = {
        "revolve": ax.plot([], [], color="k", lw=1.8, label=labels[0])[0],
        "adjacent": ax.plot([], [], color="C3", lw=1.8, label=labels[1])[0],
        "beyond": ax.plot([], [], color="C3", lw=1, ls=":")[0],
    }
    for n, name in enumerate(POINT_SCHEDULES):
        lines[name] = ax.plot([], [], "o", ms=8, color=f"C{n + 4}", label=name)[0]
    lines["revolve_star"] = ax.plot([], [], "*", ms=15, color="k", zorder=5)[0]
    lines["adjacent_star"] = ax.plot([], [], "*", ms=15, color="C3")[0]
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log_ticks(ax, subs=(1, 2, 5))
    ax.set_xlabel("hidden states held at once (working state and tapes included)")
    ax.set_ylabel("forward step calls / T")
    ax.grid(True, alpha=0.25)
    return {"ax": ax, **lines}


def show_tradeoff(lines: dict, T: int, mark: int | None = None) -> None:
    """Fill `tradeoff_artists`'s lines for `T`, stars at budget `mark` if given."""
    (rx, ry), (ax_, ay) = frontiers(T)
    lines["revolve"].set_data(rx, ry / T)
    lines["adjacent"].set_data(ax_, ay / T)
    if ax_[-1] < T + 1:  # beyond the computed budgets, up to store_all
        lines["beyond"].set_data([ax_[-1], T + 1], [ay[-1] / T, 1])
    else:
        lines["beyond"].set_data([], [])
    for name, r in other_points(T).items():
        lines[name].set_data([r.held], [r.step_calls / T])
    stars = {"revolve_star": ([], []), "adjacent_star": ([], [])}
    if mark is not None:
        rev, adj = optima(T, mark)
        stars = {
            "revolve_star": ([mark], [rev / T]),
            "adjacent_star": ([mark], [adj / T]),
        }
    for name, (x, y) in stars.items():
        lines[name].set_data(x, y)
    ax = lines["ax"]
    ax.relim()
    ax.autoscale_view()
