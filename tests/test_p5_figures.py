"""Problem 5's widget redraws one figure in place: it must draw what a new one draws.

`timeline_and_cost` keeps one figure (`nnlab.views.live_figure`) and only
updates its artists; its legends are frozen to pixels (`nnlab.views.freeze`).
A redraw after another setting must give the pixels of a figure built for
that setting alone, and every setting must show its own plan.
"""

import io
import itertools
import random

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from nnlab import views
from nnlab.p5_bptt import adjacent, costs, figure_parts, figures

KEY = "p5.timeline_and_cost"
RANGES = figures.WIDGET_RANGES["timeline_and_cost"]


def _pixels(fig) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(views.figure_png(fig))))


def _fresh(**setting) -> np.ndarray:
    """Pixels of the widget's figure built anew for `setting` alone."""
    views._LIVE.pop(KEY, None)
    return _pixels(figures.timeline_and_cost(**setting))


# Each pair changes every control, across the switches of the drawing: the
# x ticks (every position up to T = 12, every other to 24, automatic above),
# the line width (T <= 20), budgets clipped to T + 1 ("asked"), T = 2.
PAIRS = [
    (
        {"T": 40, "budget": 24, "schedule": "constant"},
        {"T": 3, "budget": 3, "schedule": "binomial"},
    ),
    (
        {"T": 2, "budget": 3, "schedule": "store_all"},
        {"T": 24, "budget": 10, "schedule": "adjacent"},
    ),
    (
        {"T": 17, "budget": 7, "schedule": "sqrt_taped"},
        {"T": 12, "budget": 5, "schedule": "bisect"},
    ),
    (
        {"T": 12, "budget": 5, "schedule": "adjacent"},
        {"T": 33, "budget": 4, "schedule": "sqrt_untaped"},
    ),
]


@pytest.mark.parametrize("first, then", PAIRS)
def test_a_redraw_after_another_setting_draws_the_pixels_of_a_new_figure(first, then):
    expected = _fresh(**then)
    views._LIVE.pop(KEY, None)
    _pixels(figures.timeline_and_cost(**first))
    redrawn = _pixels(figures.timeline_and_cost(**then))
    assert redrawn.shape == expected.shape
    differ = np.argwhere((redrawn != expected).any(axis=-1))
    assert differ.size == 0, (
        f"{len(differ)} pixels differ, first at (row, col) {differ[0]}"
    )


def _sweep():
    """Both ends of every control, then settings drawn at random from the widget's."""
    ends = [(v[0], v[-1]) for v in RANGES.values()]
    chosen = [
        dict(zip(RANGES, values, strict=True)) for values in itertools.product(*ends)
    ]
    rng = random.Random(18)
    chosen += [{k: rng.choice(v) for k, v in RANGES.items()} for _ in range(12)]
    return chosen


@pytest.mark.parametrize(
    "setting", _sweep(), ids=lambda s: "-".join(map(str, s.values()))
)
def test_every_setting_draws_its_own_plan(setting):
    T, budget, schedule = setting["T"], setting["budget"], setting["schedule"]
    fig = figures.timeline_and_cost(**setting)
    assert isinstance(fig, Figure)
    _, parts = views.live_figure(KEY, lambda: pytest.fail("the figure was not kept"))
    # The memory the widget gives the schedule, by the rule its docstring states
    used = max(adjacent.min_budget(T), min(budget, T + 1))
    memory = {"binomial": max(1, min(used - 2, T - 1)), "adjacent": used}.get(schedule)
    # Counted independently, by the closed forms: one segment per forward
    # call and one per backward step; the title gives the same count.
    stats = costs.cost(T, schedule, memory)
    steps = parts["timeline"]["steps"]
    assert len(steps.get_segments()) == stats.step_calls + T
    assert len(parts["timeline"]["bars"].get_paths()) == len(
        figure_parts.timeline(T, schedule, memory).held
    )
    assert f"\n{stats.step_calls} calls, " in parts["timeline"]["ax"].get_title()
    assert parts["timeline"]["ax"].get_xlim() == (-0.6, T + 0.6)
    # Stars at the budget used, on both optima
    rev = costs.revolve_at_budget(T, used).step_calls
    adj = adjacent.adjacent_cost(T, used)
    lines = parts["tradeoff"]
    assert lines["revolve_star"].get_xydata().tolist() == [[used, rev / T]]
    assert lines["adjacent_star"].get_xydata().tolist() == [[used, adj / T]]
    assert (
        lines["ax"]
        .get_title()
        .endswith(f"revolve {rev} calls, adjacent optimum {adj} calls")
    )
    # both frontiers inside the limits (autoscaled again, not left from before)
    (rx, ry), (ax_, ay) = figure_parts.frontiers(T)
    (x0, x1), (y0, y1) = lines["ax"].get_xlim(), lines["ax"].get_ylim()
    assert x0 <= min(rx.min(), ax_.min()) and x1 >= max(rx.max(), ax_.max())
    assert y0 <= min(ry.min(), ay.min()) / T and y1 >= max(ry.max(), ay.max()) / T
    _pixels(fig)  # and it renders


def test_freeze_keeps_a_legend_s_pixels():
    fig = Figure(figsize=(4, 3))  # narrower than the legend: freeze clips it
    ax = fig.add_axes((0.15, 0.35, 0.8, 0.6))
    ax.plot([0, 1], [0, 1], label="a line")
    fig.legend(handles=figure_parts.legend_handles(), loc="lower center", ncol=2)
    drawn = _pixels(fig)
    views.freeze(fig.legends[0])
    assert not fig.legends and len(fig.images) == 1  # the legend is now a picture
    np.testing.assert_array_equal(_pixels(fig), drawn)
