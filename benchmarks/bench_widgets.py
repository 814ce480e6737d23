"""Widget latency: each notebook's widget callbacks at their default settings.

A widget feels responsive when it redraws within about 150 ms. Each callback
listed in the ``WIDGETS`` of a module in ``nnlab.views.WIDGET_MODULES`` is
called once to warm its
caches (training runs and sweeps are made once and reused, as in a live
session), then timed over repeated calls, including rendering the figure to
PNG exactly as `nnlab.views.interactive` does for the widget. Prints the
median latency per callback.
"""

import importlib
import statistics
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import nnlab.views  # noqa: E402
from nnlab.views import figure_png  # noqa: E402

GOAL_MS = 150.0
REPEATS = 7


def render(result) -> None:
    """What the widget's output does with a returned figure."""
    if isinstance(result, plt.Figure):
        figure_png(result)


def time_callback(fn, kwargs) -> float:
    render(fn(**kwargs))  # warm-up: fills the callback's caches
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        render(fn(**kwargs))
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e3


def main() -> int:
    rows = []
    for short, dotted in nnlab.views.WIDGET_MODULES.items():
        module = importlib.import_module(dotted)
        for name, (fn, kwargs) in module.WIDGETS.items():
            rows.append((f"{short}.{name}", time_callback(fn, kwargs)))
    print(f"{'widget callback':<44} {'median ms':>10}  goal < {GOAL_MS:.0f} ms")
    for name, ms in rows:
        verdict = "PASS" if ms < GOAL_MS else "MISS"
        print(f"{name:<44} {ms:>10.1f}  {verdict}")
    worst = max(ms for _, ms in rows)
    print(
        f"slowest {worst:.1f} ms; {sum(ms < GOAL_MS for _, ms in rows)}"
        f"/{len(rows)} under the goal"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
