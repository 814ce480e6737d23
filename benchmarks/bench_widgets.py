"""Widget latency: each notebook's widget callbacks over their range of settings.

A widget feels responsive when it redraws within about 100 ms. Each callback
listed in the ``WIDGETS`` of a module in ``nnlab.views.WIDGET_MODULES`` is
called at its default setting and at up to `SETTINGS` - 1 more drawn at
random (seeded) from the module's ``WIDGET_RANGES``, every value each control
of the notebook offers; a module without ``WIDGET_RANGES`` is timed at its
defaults only, and the table says so. Each call includes rendering the
figure to PNG exactly as `nnlab.views.interactive` does for the widget.

Two numbers a setting: the first visit (the callback fills its caches:
training runs and sweeps are made once and reused, as in a live session)
and a redraw of a setting already visited (the median of `REPEATS` calls).
The goal is on redraws: the 90th percentile over the settings under
`GOAL_MS`. Wall-clock times; on a machine shared with other work, compare
medians of several runs.
"""

import importlib
import itertools
import random
import statistics
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import nnlab.views  # noqa: E402
from nnlab.views import figure_png  # noqa: E402

GOAL_MS = 100.0
SETTINGS = 24  # settings timed a callback, its default included
REPEATS = 3  # redraws timed a setting


def render(result) -> None:
    """What the widget's output does with a returned figure."""
    if isinstance(result, plt.Figure):
        figure_png(result)


def settings(defaults: dict, ranges: dict | None, n: int = SETTINGS) -> list[dict]:
    """The defaults, then up to n - 1 other settings drawn from `ranges`."""
    if not ranges:
        return [defaults]
    names = list(ranges)
    size = int(np.prod([len(ranges[k]) for k in names]))
    if size <= n:
        grid = itertools.product(*(ranges[k] for k in names))
    else:
        rng = random.Random(0)
        grid = (tuple(rng.choice(ranges[k]) for k in names) for _ in range(50 * n))
    chosen = [defaults]
    for values in grid:
        setting = {**defaults, **dict(zip(names, values, strict=True))}
        if setting not in chosen:
            chosen.append(setting)
        if len(chosen) == n:
            break
    return chosen


def elapsed_ms(fn, kwargs) -> float:
    start = time.perf_counter()
    render(fn(**kwargs))
    return (time.perf_counter() - start) * 1e3


def time_callback(fn, defaults, ranges):
    """(first-visit times, redraw times) in ms, one each a setting."""
    first, again = [], []
    for kwargs in settings(defaults, ranges):
        first.append(elapsed_ms(fn, kwargs))
        again.append(statistics.median(elapsed_ms(fn, kwargs) for _ in range(REPEATS)))
    return first, again


def p90(samples) -> float:
    return float(np.percentile(samples, 90))


def main() -> int:
    rows = []
    for short, dotted in nnlab.views.WIDGET_MODULES.items():
        module = importlib.import_module(dotted)
        ranges = getattr(module, "WIDGET_RANGES", {})
        for name, (fn, defaults) in module.WIDGETS.items():
            first, again = time_callback(fn, defaults, ranges.get(name))
            rows.append((f"{short}.{name}", len(again), name in ranges, first, again))
    print(
        f"{'widget callback':<30} {'settings':>8}  {'first visit ms':>15}  "
        f"{'redraw ms':>15}  goal: redraw p90 < {GOAL_MS:.0f} ms"
    )
    print(f"{'':<30} {'':>8}  {'median':>7} {'p90':>7}  {'median':>7} {'p90':>7}")
    for name, n, swept, first, again in rows:
        verdict = "PASS" if p90(again) < GOAL_MS else "MISS"
        note = "" if swept else "  (defaults only: no WIDGET_RANGES)"
        print(
            f"{name:<30} {n:>8}  {statistics.median(first):>7.1f} {p90(first):>7.1f}"
            f"  {statistics.median(again):>7.1f} {p90(again):>7.1f}  {verdict}{note}"
        )
    passed = sum(p90(again) < GOAL_MS for *_, again in rows)
    print(f"{passed}/{len(rows)} callbacks redraw under the goal (p90)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
