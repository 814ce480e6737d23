"""Shared by the benchmarks: how a cost grows, as a ratio per doubling.

Not a benchmark itself (`make bench` runs only ``bench_*.py``). A quantity
that grows as ``n^e`` takes ``2^e`` times as long when n doubles; the table
prints each doubling's ratio and the exponent it implies, log2(ratio),
beside the expected one. The verdict rests on the least-squares slope of
log time over the doublings (minus the model's own), not on the worst
single doubling: on a shared machine one disturbed size moves two ratios.
"""

from __future__ import annotations

import math
import time

import numpy as np


def best_time(fn, repeats: int) -> float:
    """Fastest CPU seconds of `repeats` calls of `fn`, after one warm-up.

    CPU time of this process (`time.process_time`: user + system) leaves
    out the spells when another process holds the core; the fastest run is
    the one least disturbed by what remains (shared caches), which on a
    shared machine only ever adds time. The kernels timed here are
    single-threaded (one BLAS thread), so CPU time is their running time.
    """
    fn()
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


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
        PASS when the fitted growth beyond the model's, the slope of
        ``log2(time / model)`` against ``log2(size)`` over the doublings
        past the first `skip`, is at most `slack`: growth no faster than
        the model (slower only means fixed costs still show).
    skip : int
        Leading doublings left out of the verdict (small sizes, where
        per-call overhead hides the growth), their exponents in brackets.
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
    for k, (n, t) in enumerate(zip(sizes, times, strict=True)):
        if k == 0:
            print(f"{n:>8} {1e3 * t:>10.2f}")
            continue
        ratio = t / times[k - 1]
        e = math.log2(ratio)
        shown = f"{e:.2f}" if k > skip else f"({e:.2f})"
        print(
            f"{n:>8} {1e3 * t:>10.2f} {ratio:>7.2f} {shown:>9} {expected[k - 1]:>9.2f}"
        )
    # log2 of time over the model's cost, the model's cost accumulated
    # from its per-doubling exponents; the slope is the excess growth.
    model = np.concatenate([[0.0], np.cumsum(expected)])
    excess = np.log2(np.asarray(times)) - model
    steps = np.arange(len(sizes), dtype=float)
    slope = float(np.polyfit(steps[skip:], excess[skip:], 1)[0])
    ok = slope <= slack
    print(
        f"goal: fitted exponent <= expected + {slack} (expected ~{exponent}); "
        f"got {slope + exponent:.2f}, excess {slope:+.2f}: {'PASS' if ok else 'MISS'}"
    )
    return ok
