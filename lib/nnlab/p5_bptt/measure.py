"""Measured memory and wall time of the BPTT schedules.

Both run `nnlab.p5_bptt.driver.bptt` on seeded inputs (`random_problem`)
and compare with the counts of `nnlab.p5_bptt.costs`.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from typing import NamedTuple

import numpy as np

from nnlab.p5_bptt.costs import check_memory, cost
from nnlab.p5_bptt.driver import bptt
from nnlab.rnn import rnn_step_forward
from nnlab.validate import check_int


def _check_sizes(T, N, D, Hd) -> None:
    for name, value in (("T", T), ("N", N), ("D", D), ("Hd", Hd)):
        check_int(name, value, 1)


def random_problem(T: int, N: int, D: int, Hd: int, seed: int = 0):
    """Seeded float64 inputs for `bptt`: ``(xs, h0, params, dout)``.

    Parameters
    ----------
    T, N, D, Hd : int
        Time steps, batch, input features and hidden size, each >= 1.
    seed : int, default 0
        Seed of `numpy.random.default_rng`, >= 0.

    Returns
    -------
    tuple
        ``xs`` (T, N, D), ``h0`` (N, Hd), ``params`` ``(Wx (D, Hd),
        Wh (Hd, Hd), b (Hd,))`` and the upstream gradient ``dout``
        (T, N, Hd). Wh is scaled to spectral size about 0.9 so that the
        states neither blow up nor vanish over long sequences.

    Raises
    ------
    TypeError
        If a size or the seed is not an integer (bools refused).
    ValueError
        If a size is less than 1 or the seed is negative.
    """
    _check_sizes(T, N, D, Hd)
    rng = np.random.default_rng(check_int("seed", seed, 0))
    xs = rng.standard_normal((T, N, D))
    h0 = rng.standard_normal((N, Hd)) * 0.5
    params = (
        rng.standard_normal((D, Hd)) / np.sqrt(D),
        rng.standard_normal((Hd, Hd)) * (0.9 / np.sqrt(Hd)),
        rng.standard_normal(Hd) * 0.1,
    )
    dout = rng.standard_normal((T, N, Hd))
    return xs, h0, params, dout


def traced_peak_states(
    T: int, N: int, D: int, Hd: int, schedule: str, memory: int | None = None
) -> float:
    """Peak memory of `bptt` measured by tracemalloc, in units of one state.

    The returned gradients, which every schedule must allocate, are
    subtracted and h0 (allocated before tracing) is added, so the result
    is comparable to `nnlab.p5_bptt.costs.held_states` (every state held
    at once, the working ones included) plus a constant number of working
    arrays (`working_states`: one step's temporaries and its weight-gradient
    terms), and for schedules that keep tapes their Python records.

    Raises
    ------
    TypeError, ValueError
        As `random_problem` for the sizes and as `bptt` for the schedule.
    """
    # The plan's own tables (the adjacent program's O(budget T) integers) are
    # bookkeeping, not hidden states: built and cached before tracing.
    cost(T, schedule, memory)
    problem = random_problem(T, N, D, Hd)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        grads, _ = bptt(*problem, schedule, memory)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    state_bytes = problem[1].nbytes
    out_bytes = sum(g.nbytes for g in grads)
    return (peak - out_bytes + state_bytes) / state_bytes


TAPE_BYTES = 1024  # upper bound on one kept tape's Python record and dict entry


def working_states(N: int, D: int, Hd: int) -> float:
    """Working arrays besides the held states, in units of one (N, Hd) state.

    Five state-sized temporaries of a step (x Wx, h Wh and their sum or
    tanh going forward; dout + dh, 1 - h**2 and delta going back, at most
    five alive at once) and one step's weight-gradient terms x^T delta
    (D, Hd) and h_{t-1}^T delta (Hd, Hd): 5 + (D + Hd) / N.
    """
    _check_sizes(1, N, D, Hd)
    return 5 + (D + Hd) / N


class TimingRow(NamedTuple):
    """Wall time of a schedule over store_all's, beside what counting predicts.

    ``call_ratio`` = step_calls / T. ``model_ratio`` = (store_all's time +
    (step_calls - T) t_f) / store_all's time, with t_f the measured time of
    one forward step: the extra calls at their measured price, all else as
    in store_all. Every schedule does the same T backward steps, so the wall
    ratio is expected below the call ratio, and ``wall_ratio / model_ratio
    - 1`` is the bookkeeping a schedule adds beyond store_all's.
    """

    schedule: str
    memory: int | None
    T: int
    call_ratio: float
    wall_ratio: float
    model_ratio: float


def time_ratios(
    T: int, N: int, D: int, Hd: int, runs, repeats: int = 5
) -> list[TimingRow]:
    """Median wall time of each (schedule, memory) in `runs` over store_all's.

    Each repeat times store_all, T bare forward steps, then every run, so
    that load from other processes falls on all sides of each ratio.

    Parameters
    ----------
    T, N, D, Hd : int
        Sizes of the problem, as `random_problem`.
    runs : sequence of (str, int or None)
        ``(schedule, memory)`` pairs, as `bptt` takes them.
    repeats : int, default 5
        Timings per run, >= 1; the median is kept.

    Returns
    -------
    list of TimingRow
        One per run, in order.

    Raises
    ------
    TypeError
        If `runs` is not a sequence of pairs, or as `random_problem` and
        `nnlab.p5_bptt.costs.check_memory`.
    ValueError
        As `random_problem` and `nnlab.p5_bptt.costs.check_memory`.
    """
    _check_sizes(T, N, D, Hd)
    repeats = check_int("repeats", repeats, 1)
    if isinstance(runs, str) or not isinstance(runs, list | tuple):
        raise TypeError(
            "runs must be a list of (schedule, memory) pairs, "
            f"got {type(runs).__name__}"
        )
    for n, run in enumerate(runs):
        if not isinstance(run, list | tuple) or len(run) != 2:
            raise TypeError(f"runs[{n}] must be a (schedule, memory) pair, got {run!r}")
        check_memory(T, *run)
    runs = [tuple(run) for run in runs]
    problem = random_problem(T, N, D, Hd)
    xs, h0, (Wx, Wh, b), _ = problem

    def forward_steps():
        h = h0
        for t in range(T):
            h, _ = rnn_step_forward(xs[t], h, Wx, Wh, b, check=False)

    everything = [("store_all", None), ("forward", None), *runs]
    times: dict = {run: [] for run in everything}
    for _ in range(repeats):
        for run in everything:
            start = time.perf_counter()
            if run[0] == "forward":
                forward_steps()
            else:
                bptt(*problem, *run)
            times[run].append(time.perf_counter() - start)
    wall = {run: statistics.median(ts) for run, ts in times.items()}
    base, t_f = wall["store_all", None], wall["forward", None] / T
    rows = []
    for schedule, memory in runs:
        calls = cost(T, schedule, memory).step_calls
        rows.append(
            TimingRow(
                schedule,
                memory,
                T,
                calls / T,
                wall[schedule, memory] / base,
                (base + (calls - T) * t_f) / base,
            )
        )
    return rows
