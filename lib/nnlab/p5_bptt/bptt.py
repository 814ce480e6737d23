"""Back-propagation through time under a memory budget.

A schedule decides which hidden states h_0..h_T are kept and which are
recomputed. Each schedule is written as a *plan*, a stream of `Action`s
(`iter_plan`); `bptt` executes it with `nnlab.rnn` and `plan_stats`
replays the same plan without arithmetic, so the figures in
`nnlab.p5_bptt.figures` draw exactly what `bptt` runs and counts.

Cost model (that of Griewank and Walther's revolve): a backward step t
needs the tape of step t, ``(x_t, h_{t-1}, h_t)``. Every schedule except
``store_all`` keeps no tape: it brings h_{t-1} into the working register
and re-runs step t with tape just before reversing it, so T of its step
calls are these re-runs. ``step_calls`` counts every call of the forward
step; ``peak_states`` counts the states stored at once (h0, checkpoints,
states inside kept tapes), not the one working state that every schedule
needs besides.
"""

from __future__ import annotations

import math
import statistics
import time
import tracemalloc
from functools import cache, lru_cache
from typing import NamedTuple

import numpy as np

from nnlab.rnn import rnn_step_backward, rnn_step_forward

SCHEDULES = ("store_all", "constant", "sqrt", "bisect", "binomial")


class Action(NamedTuple):
    """One instruction of a plan.

    kind : str
        ``"advance"``: run steps i+1..j from the working state h_i without
        tape (j - i step calls); the working state becomes h_j.
        ``"snapshot"``: store the working state h_i. ``"free"``: drop the
        stored h_i. ``"restore"``: the stored h_i becomes the working state.
        ``"tape"``: run step i from the working h_{i-1} and keep its tape;
        the working state becomes h_i (1 call). ``"backward"``: re-run step
        i with tape from the working h_{i-1} and reverse it at once (1
        call). ``"reverse"``: reverse step i from its kept tape (0 calls).
    i : int
        State index, or step number for tape/backward/reverse.
    j : int
        Target state of an advance; equal to `i` for the other kinds.
    """

    kind: str
    i: int
    j: int


class Stats(NamedTuple):
    """Forward step calls and the most hidden states stored at once."""

    step_calls: int
    peak_states: int


def _max_slots(T: int) -> int:
    # With T - 1 slots every input h_0..h_{T-2} is stored and h_{T-1} is the
    # working state; revolve cannot use more.
    return max(1, T - 1)


def _check_T(T) -> int:
    if isinstance(T, bool) or not isinstance(T, int | np.integer):
        raise TypeError(f"T must be an int, got {type(T).__name__}")
    if T < 1:
        raise ValueError(f"T must be at least 1, got {T}")
    return int(T)


def _check_schedule(T: int, schedule: str, slots) -> int | None:
    if schedule not in SCHEDULES:
        valid = ", ".join(repr(s) for s in SCHEDULES)
        raise ValueError(f"unknown schedule {schedule!r}; valid schedules: {valid}")
    if schedule != "binomial":
        if slots is not None:
            raise ValueError(
                f"slots is only used by 'binomial', got slots={slots!r} with "
                f"schedule {schedule!r}; pass slots=None"
            )
        return None
    if isinstance(slots, bool) or not isinstance(slots, int | np.integer):
        raise ValueError(
            f"'binomial' needs slots, an int from 1 to {_max_slots(T)} for "
            f"T = {T}, got {slots!r}"
        )
    if not 1 <= slots <= _max_slots(T):
        raise ValueError(
            f"slots must be from 1 to {_max_slots(T)} for T = {T} (h0 counted; "
            f"more than T - 1 slots cannot lower the cost), got {slots}"
        )
    return int(slots)


# ---------------------------------------------------------------- costs


def store_all_cost(T: int) -> Stats:
    """Standard BPTT: T taped calls, all of h_0..h_T stored."""
    T = _check_T(T)
    return Stats(T, T + 1)


def constant_cost(T: int) -> Stats:
    """Only h0 stored: step t is reached by t - 1 advances and one re-run."""
    T = _check_T(T)
    return Stats(T * (T + 1) // 2, 1)


def sqrt_cost(T: int) -> Stats:
    """Checkpoints every k = ceil(sqrt T) steps, each segment re-run once.

    Notes
    -----
    With n = ceil(T / k) segments and the last starting at c = k (n - 1):
    the first sweep advances c steps, each segment of length L re-runs
    L - 1 advances storing its states, and each of the T steps is re-run
    once with tape, so step_calls = c + (T - n) + T. While segment j
    (0-based) is reversed, checkpoints 0..j and L_j - 1 segment states are
    stored: peak = max_j (j + L_j).
    """
    T = _check_T(T)
    k = math.isqrt(T - 1) + 1  # ceil(sqrt(T))
    n = -(-T // k)
    last_start = k * (n - 1)
    peak = n - 1 + (T - last_start)
    if n >= 2:
        peak = max(peak, n - 2 + k)
    return Stats(last_start + (T - n) + T, peak)


@cache
def _bisect_counts(n: int) -> tuple[int, int]:
    if n == 1:
        return 1, 1
    m = n // 2  # advance to the midpoint, reverse the right half first
    right_calls, right_peak = _bisect_counts(n - m)
    left_calls, left_peak = _bisect_counts(m)
    return m + right_calls + left_calls, max(1 + right_peak, left_peak)


def bisect_cost(T: int) -> Stats:
    """Recursive midpoint splitting.

    Notes
    -----
    C(1) = 1 and C(n) = m + C(n - m) + C(m) with m = floor(n / 2): advance
    to the midpoint, store it, reverse the right part, then the left. This
    equals T + sum_{k<T} popcount(k) and the recursion is ceil(log2 T)
    midpoints deep, so ceil(log2 T) + 1 states are stored with h0.
    """
    T = _check_T(T)
    return Stats(*_bisect_counts(T))


def _repetitions(T: int, s: int) -> tuple[int, int, int]:
    """Smallest r with C(s + r, s) >= T, with C(s+r, s) and C(s+r-1, s)."""
    r, beta, beta_prev = 0, 1, 0
    while beta < T:
        r += 1
        beta_prev, beta = beta, beta * (s + r) // r
    return r, beta, beta_prev


def binomial_cost(T: int, slots: int) -> Stats:
    """Fewest step calls possible with `slots` stored states (h0 counted).

    Notes
    -----
    With r the smallest integer such that C(s + r, s) >= T,

    .. math:: \\mathrm{calls} = T + rT - \\binom{s + r}{s + 1},

    T re-runs with tape plus the advances of Griewank's binomial
    schedule; s = 1 gives T (T + 1) / 2. The schedule uses all s slots.

    References
    ----------
    A. Griewank, "Achieving logarithmic growth of temporal and spatial
    complexity in reverse automatic differentiation", Optim. Methods Softw.
    1 (1992). A. Griewank and A. Walther, "Algorithm 799: revolve", ACM
    TOMS 26 (2000).
    """
    T = _check_T(T)
    s = _check_schedule(T, "binomial", slots)
    r, beta, _ = _repetitions(T, s)
    # C(s + r, s + 1) = C(s + r, s) * r / (s + 1)
    return Stats(T + r * T - beta * r // (s + 1), s)


def cost(T: int, schedule: str, slots: int | None = None) -> Stats:
    """The exact `Stats` of a schedule, from its closed form."""
    T = _check_T(T)
    slots = _check_schedule(T, schedule, slots)
    if schedule == "binomial":
        return binomial_cost(T, slots)
    return {
        "store_all": store_all_cost,
        "constant": constant_cost,
        "sqrt": sqrt_cost,
        "bisect": bisect_cost,
    }[schedule](T)


# ---------------------------------------------------------------- plans


# Plans are generators: `bptt` consumes one action at a time, so its
# bookkeeping holds no more than the recursion stack (O(log T) for bisect),
# never a list of all O(T) actions.


def _plan_store_all(T: int):
    for t in range(1, T + 1):
        yield Action("tape", t, t)
    for t in range(T, 0, -1):
        yield Action("reverse", t, t)


def _plan_constant(lo: int, hi: int):
    """Reverse steps lo+1..hi with only h_lo stored (the working state)."""
    for t in range(hi, lo, -1):
        if t < hi:
            yield Action("restore", lo, lo)
        if t - 1 > lo:
            yield Action("advance", lo, t - 1)
        yield Action("backward", t, t)


def _plan_sqrt(T: int):
    k = math.isqrt(T - 1) + 1
    last = k * ((T - 1) // k)  # start of the last segment
    for a in range(0, last, k):
        yield Action("advance", a, a + k)
        yield Action("snapshot", a + k, a + k)
    for a in range(last, -1, -k):
        b = min(a + k, T)
        if a != last:
            yield Action("restore", a, a)
        for i in range(a + 1, b):  # re-run the segment, storing its states
            yield Action("advance", i - 1, i)
            yield Action("snapshot", i, i)
        for t in range(b, a, -1):
            if t < b:
                yield Action("restore", t - 1, t - 1)
            yield Action("backward", t, t)
            if t - 1 > a:
                yield Action("free", t - 1, t - 1)
        if a > 0:
            yield Action("free", a, a)


def _plan_bisect(lo: int, hi: int):
    n = hi - lo
    if n == 1:
        yield Action("backward", hi, hi)
        return
    mid = lo + n // 2
    yield Action("advance", lo, mid)
    yield Action("snapshot", mid, mid)
    yield from _plan_bisect(mid, hi)
    yield Action("free", mid, mid)
    yield Action("restore", lo, lo)
    yield from _plan_bisect(lo, mid)


def _binomial_split(n: int, s: int) -> int:
    """Advance length m that makes m + F(n-m, s-1) + F(m, s) = F(n, s).

    With r the repetition number of (n, s) and beta(s, r) = C(s + r, s),
    any m with beta(s, r-2) <= m <= beta(s, r-1) and beta(s-1, r-1) <=
    n - m <= beta(s-1, r) is optimal: on those ranges the costs of both
    parts are linear in their lengths and add up to the closed form by
    Pascal's rule. The largest such m is taken.
    """
    r, _, beta_s_rm1 = _repetitions(n, s)
    beta_sm1_rm1 = math.comb(s - 1 + r - 1, s - 1)
    return max(1, min(beta_s_rm1, n - beta_sm1_rm1, n - 1))


def _plan_binomial(T: int, slots: int):
    """Griewank's binomial schedule for T steps with `slots` stored states.

    A task reverses steps lo+1..hi with h_lo stored and s slots in all
    (h_lo's included). An explicit stack replaces recursion: with many
    slots the right parts nest about T deep.
    """
    tasks: list = [(0, T, slots)]
    while tasks:
        task = tasks.pop()
        if isinstance(task, Action):
            yield task
            continue
        lo, hi, s = task
        if hi - lo == 1:
            yield Action("backward", hi, hi)
        elif s == 1:
            yield from _plan_constant(lo, hi)
        else:
            mid = lo + _binomial_split(hi - lo, s)
            yield Action("advance", lo, mid)
            yield Action("snapshot", mid, mid)
            # Pushed in reverse: right part, free/restore, then left part.
            tasks += [
                (lo, mid, s),
                Action("restore", lo, lo),
                Action("free", mid, mid),
                (mid, hi, s - 1),
            ]


def iter_plan(T: int, schedule: str, slots: int | None = None):
    """The actions a schedule takes to back-propagate through T steps.

    Parameters
    ----------
    T : int
        Number of time steps, at least 1.
    schedule : str
        One of `SCHEDULES`.
    slots : int, optional
        For ``"binomial"`` only: states that may be stored at once, h0
        included, from 1 to max(1, T - 1).

    Returns
    -------
    iterator of Action
        Starts with h0 stored and as the working state; reverses steps T,
        T-1, ..., 1 in that order. Arguments are checked at the call.
    """
    T = _check_T(T)
    slots = _check_schedule(T, schedule, slots)
    if schedule == "store_all":
        return _plan_store_all(T)
    if schedule == "constant":
        return _plan_constant(0, T)
    if schedule == "sqrt":
        return _plan_sqrt(T)
    if schedule == "bisect":
        return _plan_bisect(0, T)
    return _plan_binomial(T, slots)


@lru_cache(maxsize=64)
def make_plan(T: int, schedule: str, slots: int | None = None) -> tuple[Action, ...]:
    """`iter_plan` as a tuple, cached: what the figures and tests inspect."""
    return tuple(iter_plan(T, schedule, slots))


def plan_stats(plan) -> Stats:
    """Replay a plan's bookkeeping (no arithmetic) and count its cost.

    `plan` is a sequence or iterator of `Action`.

    Raises
    ------
    ValueError
        If the plan uses a state it does not hold or reverses the steps out
        of order.
    """
    plan = tuple(plan)
    stored, tapes = {0}, set()
    work, calls, peak = 0, 0, 1
    T = sum(a.kind in ("backward", "reverse") for a in plan)
    next_back = T
    for kind, i, j in plan:
        if kind == "advance":
            if work != i or j <= i:
                raise ValueError(f"advance {i}->{j} with working state {work}")
            calls += j - i
            work = j
        elif kind == "snapshot":
            if work != i:
                raise ValueError(f"snapshot of h_{i} with working state {work}")
            stored.add(i)
        elif kind in ("free", "restore"):
            if i not in stored:
                raise ValueError(f"{kind} of h_{i}, which is not stored")
            if kind == "free":
                stored.remove(i)
            else:
                work = i
        elif kind in ("tape", "backward"):
            if work != i - 1:
                raise ValueError(f"{kind} of step {i} with working state {work}")
            calls += 1
            if kind == "tape":
                tapes.add(i)
                work = i
            else:
                work = None
        if kind in ("backward", "reverse"):
            if i != next_back or (kind == "reverse" and i not in tapes):
                raise ValueError(f"{kind} of step {i}, expected step {next_back}")
            tapes.discard(i)
            next_back -= 1
        peak = max(peak, len(stored | tapes))
    return Stats(calls, peak)


# ---------------------------------------------------------------- driver


def _check_bptt_inputs(xs, h0, params, dhs):
    if not isinstance(params, tuple | list) or len(params) != 3:
        raise ValueError(f"params must be (Wx, Wh, b), got {params!r:.60}")
    names = ("xs", "h0", "Wx", "Wh", "b", "dhs")
    for name, a in zip(names, (xs, h0, *params, dhs), strict=True):
        if not isinstance(a, np.ndarray):
            raise TypeError(f"{name} must be a numpy array, got {type(a).__name__}")
    if xs.ndim != 3 or h0.ndim != 2:
        raise ValueError(
            f"xs must be (T, N, D) and h0 (N, Hd), got {xs.shape} and {h0.shape}"
        )
    (T, N, D), Hd = xs.shape, h0.shape[1]
    Wx, Wh, b = params
    expected = {
        "h0": (N, Hd),
        "Wx": (D, Hd),
        "Wh": (Hd, Hd),
        "b": (Hd,),
        "dhs": (T, N, Hd),
    }
    got = {"h0": h0.shape, "Wx": Wx.shape, "Wh": Wh.shape, "b": b.shape}
    got["dhs"] = dhs.shape
    bad = [k for k in expected if got[k] != expected[k]]
    if bad:
        raise ValueError(
            f"with xs {xs.shape} and h0 {h0.shape} (T={T}, N={N}, D={D}, Hd={Hd}) "
            + ", ".join(f"{k} must be {expected[k]}, got {got[k]}" for k in bad)
        )
    if T < 1:
        raise ValueError(f"xs must hold at least one time step, got T = {T}")
    return T


def bptt(xs, h0, params, dhs, schedule: str, slots: int | None = None):
    """Gradients of a tanh RNN over T steps, by a memory-saving schedule.

    Parameters
    ----------
    xs : (T, N, D) ndarray
        Inputs x_1..x_T.
    h0 : (N, Hd) ndarray
        Initial hidden state.
    params : tuple
        ``(Wx, Wh, b)`` with shapes (D, Hd), (Hd, Hd), (Hd,).
    dhs : (T, N, Hd) ndarray
        Upstream gradient of the loss on h_1..h_T.
    schedule : str
        One of `SCHEDULES`: ``"store_all"``, ``"constant"``, ``"sqrt"``,
        ``"bisect"``, ``"binomial"``.
    slots : int, optional
        ``"binomial"`` only: stored states allowed at once, h0 included,
        from 1 to max(1, T - 1).

    Returns
    -------
    grads : tuple
        ``(dxs (T, N, D), dh0 (N, Hd), dWx (D, Hd), dWh (Hd, Hd), db (Hd,))``.
    stats : Stats
        ``step_calls`` (every call of `rnn_step_forward`) and
        ``peak_states`` (most states stored at once, h0 included).

    Notes
    -----
    Step t computes h_t = tanh(x_t Wx + h_{t-1} Wh + b). Walking back,
    the gradient reaching h_t is dhs_t plus dh_t from step t + 1. Every
    schedule reverses steps T..1 in the same order with the same kernel, so
    their gradients agree to rounding. The plan is consumed lazily, so the
    bookkeeping holds only the schedule's recursion stack besides the
    stored states.
    """
    T = _check_bptt_inputs(xs, h0, params, dhs)
    plan = iter_plan(T, schedule, slots)
    Wx, Wh, b = params
    dxs = np.empty_like(xs)  # (T, N, D)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dh = np.zeros_like(h0)  # gradient into h_t from step t + 1
    stored, tapes = {0: h0}, {}
    work, calls, peak = h0, 0, 1

    def reverse(t, cache):
        nonlocal dh
        dx, dh, dWx_t, dWh_t, db_t = rnn_step_backward(dhs[t - 1] + dh, cache)
        dxs[t - 1] = dx
        np.add(dWx, dWx_t, out=dWx)
        np.add(dWh, dWh_t, out=dWh)
        np.add(db, db_t, out=db)

    for kind, i, j in plan:
        if kind == "advance":
            for t in range(i + 1, j + 1):
                work, _ = rnn_step_forward(xs[t - 1], work, Wx, Wh, b)
            calls += j - i
        elif kind == "snapshot":
            stored[i] = work
            peak = max(peak, len(stored) + len(tapes))
        elif kind == "free":
            del stored[i]
        elif kind == "restore":
            work = stored[i]
        elif kind == "tape":
            work, tapes[i] = rnn_step_forward(xs[i - 1], work, Wx, Wh, b)
            calls += 1
            peak = max(peak, len(stored) + len(tapes))
        elif kind == "backward":
            # Re-running the step rebuilds its tape; the output h_i is not kept.
            _, cache = rnn_step_forward(xs[i - 1], work, Wx, Wh, b)
            calls += 1
            reverse(i, cache)
            work = None
        else:  # "reverse"
            reverse(i, tapes.pop(i))
    return (dxs, dh, dWx, dWh, db), Stats(calls, peak)


# ---------------------------------------------------------------- measuring


def random_problem(T: int, N: int, D: int, Hd: int, seed: int = 0):
    """Seeded float64 inputs for `bptt`: ``(xs, h0, params, dhs)``."""
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((T, N, D))
    h0 = rng.standard_normal((N, Hd)) * 0.5
    params = (
        rng.standard_normal((D, Hd)) / np.sqrt(D),
        rng.standard_normal((Hd, Hd)) * (0.9 / np.sqrt(Hd)),
        rng.standard_normal(Hd) * 0.1,
    )
    dhs = rng.standard_normal((T, N, Hd))
    return xs, h0, params, dhs


def traced_peak_states(
    T: int, N: int, D: int, Hd: int, schedule: str, slots: int | None = None
) -> float:
    """Peak memory of `bptt` measured by tracemalloc, in units of one state.

    The returned gradients, which every schedule must allocate, are
    subtracted and h0 (allocated before tracing) is added, so the result
    is comparable to ``peak_states`` plus a constant number of working
    arrays (the working state, one step's temporaries, the (Hd, Hd)
    weight-gradient term).
    """
    problem = random_problem(T, N, D, Hd)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        grads, _ = bptt(*problem, schedule, slots)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    state_bytes = problem[1].nbytes
    out_bytes = sum(g.nbytes for g in grads)
    return (peak - out_bytes + state_bytes) / state_bytes


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
    slots: int | None
    T: int
    call_ratio: float
    wall_ratio: float
    model_ratio: float


def time_ratios(
    T: int, N: int, D: int, Hd: int, runs, repeats: int = 5
) -> list[TimingRow]:
    """Median wall time of each (schedule, slots) in `runs` over store_all's.

    Each repeat times store_all, T bare forward steps, then every run, so
    that load from other processes falls on all sides of each ratio.
    """
    problem = random_problem(T, N, D, Hd)
    xs, h0, (Wx, Wh, b), _ = problem

    def forward_steps():
        h = h0
        for t in range(T):
            h, _ = rnn_step_forward(xs[t], h, Wx, Wh, b)

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
    for schedule, slots in runs:
        calls = cost(T, schedule, slots).step_calls
        rows.append(
            TimingRow(
                schedule,
                slots,
                T,
                calls / T,
                wall[schedule, slots] / base,
                (base + (calls - T) * t_f) / base,
            )
        )
    return rows
