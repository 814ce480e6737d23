"""Shared by the benchmarks: how a cost grows, as a ratio per doubling.

Not a benchmark itself (`make bench` runs only ``bench_*.py``). A quantity
that grows as ``n^e`` doubles its time ``2^e`` times when n doubles; the
table prints each doubling's ratio and the exponent it implies, log2(ratio),
against the expected e.
"""

from __future__ import annotations

import math
import time

import numpy as np


def median_time(fn, repeats: int) -> float:
    """Median wall seconds of `repeats` calls of `fn`, after one warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def doubling_table(
    title: str,
    name: str,
    sizes,
    times,
    exponent: float,
    slack: float,
    skip: int = 0,
    expected=None,
) -> bool:
    """Print time and ratio per doubling of a size; return whether it passes.

    Parameters
    ----------
    title : str
        First line of the table.
    name : str
        The size's name (column heading), for example ``"T"``.
    sizes, times : sequences
        Sizes, each twice the one before, and their times in seconds.
    exponent : float
        The expected exponent e (time ~ size^e), shown in the goal line.
    slack : float
        PASS when every measured exponent past the first `skip` doublings
        is at most its expected value + slack: growth no faster than the
        model (faster is the failure that matters; slower only means fixed
        costs still show).
    skip : int
        Leading doublings left out of the verdict (small sizes, where
        per-call overhead hides the growth), shown in brackets.
    expected : sequence of float, optional
        The expected exponent of each doubling, when the model is not a
        pure power (a count's own ratio, log2 of it); default `exponent`.

    Returns
    -------
    bool
    """
    expected = [exponent] * (len(sizes) - 1) if expected is None else list(expected)
    print(title)
    print(f"{name:>8} {'ms':>10} {'ratio':>7} {'exponent':>9} {'expected':>9}")
    worst = -math.inf
    for k, (n, t) in enumerate(zip(sizes, times, strict=True)):
        if k == 0:
            print(f"{n:>8} {1e3 * t:>10.2f}")
            continue
        ratio = t / times[k - 1]
        e = math.log2(ratio)
        shown = f"{e:.2f}" if k > skip else f"({e:.2f})"
        if k > skip:
            worst = max(worst, e - expected[k - 1])
        print(
            f"{n:>8} {1e3 * t:>10.2f} {ratio:>7.2f} {shown:>9} {expected[k - 1]:>9.2f}"
        )
    ok = worst <= slack
    print(
        f"goal: exponent per doubling <= expected + {slack} (expected ~{exponent}); "
        f"worst excess {worst:+.2f}: {'PASS' if ok else 'MISS'}"
    )
    return ok
