"""BPTT schedules written as plans: streams of `Action`s.

Each schedule is a plan (`iter_plan`); `nnlab.p5_bptt.driver.bptt` executes
it with `nnlab.rnn`, and `plan_stats` replays the same plan without
arithmetic, so the figures in `nnlab.p5_bptt.figures` draw exactly what
`bptt` runs and counts. The closed forms in `nnlab.p5_bptt.costs` must agree
with `plan_stats`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from nnlab.p5_bptt import adjacent
from nnlab.p5_bptt.costs import Stats, check_memory, repetitions
from nnlab.validate import check_choice, check_int


class Action(NamedTuple):
    """One instruction of a plan.

    kind : str
        ``"advance"``: run steps i+1..j from the working state h_i without
        tape (j - i step calls); the working state becomes h_j.
        ``"snapshot"``: store the working state h_i. ``"free"``: drop the
        stored h_i (and the working state, if it is h_i). ``"restore"``:
        the stored h_i becomes the working state.
        ``"tape"``: run step i from the working h_{i-1} and keep its tape;
        the working state becomes h_i (1 call). ``"backward"``: re-run step
        i with tape from the working h_{i-1} and reverse it at once (1
        call). ``"reverse"``: reverse step i from its kept tape (0 calls).
        ``"reverse_stored"``: reverse step i from the stored h_{i-1} and h_i
        (0 calls): the RNN step's tape is (x_i, h_{i-1}, h_i), rebuilt
        from the states without a forward call (the adjacent model).
    i : int
        State index, or step number for tape/backward/reverse.
    j : int
        Target state of an advance; equal to `i` for the other kinds.
    """

    kind: str
    i: int
    j: int


KINDS = (
    "advance",
    "snapshot",
    "free",
    "restore",
    "tape",
    "backward",
    "reverse",
    "reverse_stored",
)
BACKWARD_KINDS = ("backward", "reverse", "reverse_stored")

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


def _plan_sqrt_untaped(T: int):
    """Checkpoints every k steps, untaped (about 3T calls).

    Each segment is re-run to store its states, then each step is re-run
    with tape before its backward step.
    """
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


def _plan_sqrt_taped(T: int):
    """Checkpoints every k steps, taped (about 2T calls, Chen et al.).

    Each segment is re-run once keeping its tapes, then reversed from them.
    """
    k = math.isqrt(T - 1) + 1
    last = k * ((T - 1) // k)  # start of the last segment
    for a in range(0, last, k):
        yield Action("advance", a, a + k)
        yield Action("snapshot", a + k, a + k)
    for a in range(last, -1, -k):
        b = min(a + k, T)
        if a != last:
            yield Action("restore", a, a)
        for t in range(a + 1, b + 1):
            yield Action("tape", t, t)
        for t in range(b, a, -1):
            yield Action("reverse", t, t)
        if a > 0:
            yield Action("free", a, a)


def _plan_adjacent(T: int, budget: int):
    """Yield the adjacent model's optimum; every held state is a stored one.

    Move "forward t" restores h_{t-1} if it is not the working state,
    advances one step and stores h_t; "drop t" frees h_t; "backward t"
    reverses step t from the stored h_{t-1} and h_t.
    """
    work = 0
    for kind, t in adjacent.iter_moves(T, budget):
        if kind == "forward":
            if work != t - 1:
                yield Action("restore", t - 1, t - 1)
            yield Action("advance", t - 1, t)
            yield Action("snapshot", t, t)
            work = t
        elif kind == "drop":
            yield Action("free", t, t)
            if work == t:
                work = None
        else:
            yield Action("reverse_stored", t, t)


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
    r, _, beta_s_rm1 = repetitions(n, s)
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


def iter_plan(T: int, schedule: str, memory: int | None = None):
    """Yield the actions a schedule takes to back-propagate through T steps.

    Parameters
    ----------
    T : int
        Number of time steps, at least 1.
    schedule : str
        One of `SCHEDULES`.
    memory : int, optional
        ``"binomial"``: slots, states stored at once (h0 included, the
        working state not), from 1 to max(1, T - 1). ``"adjacent"``: the
        budget, states held at once in the adjacent model (h0 and the
        working pair included), at least 3 for T >= 2.

    Returns
    -------
    iterator of Action
        Starts with h0 stored and as the working state; reverses steps T,
        T-1, ..., 1 in that order. Arguments are checked at the call.
    """
    T = check_int("T", T, 1)
    memory = check_memory(T, schedule, memory)
    if schedule == "store_all":
        return _plan_store_all(T)
    if schedule == "constant":
        return _plan_constant(0, T)
    if schedule == "sqrt_untaped":
        return _plan_sqrt_untaped(T)
    if schedule == "sqrt_taped":
        return _plan_sqrt_taped(T)
    if schedule == "bisect":
        return _plan_bisect(0, T)
    if schedule == "adjacent":
        return _plan_adjacent(T, memory)
    return _plan_binomial(T, memory)


@lru_cache(maxsize=64)
def make_plan(T: int, schedule: str, memory: int | None = None) -> tuple[Action, ...]:
    """`iter_plan` as a tuple, cached: what the figures and tests inspect."""
    return tuple(iter_plan(T, schedule, memory))


def plan_stats(plan) -> Stats:
    """Replay a plan's bookkeeping (no arithmetic) and count its cost.

    Parameters
    ----------
    plan : iterable of Action
        As `iter_plan` or `make_plan` give it.

    Returns
    -------
    Stats

    Raises
    ------
    TypeError
        If `plan` is not an iterable of `Action`.
    ValueError
        If an action has an unknown kind, or the plan uses a state it does
        not hold or reverses the steps out of order.
    """
    if isinstance(plan, str | bytes) or not isinstance(plan, Iterable):
        raise TypeError(
            f"plan must be an iterable of Action, got {type(plan).__name__}"
        )
    plan = tuple(plan)
    for n, action in enumerate(plan):
        if not isinstance(action, Action):
            raise TypeError(f"plan[{n}] must be an Action, got {type(action).__name__}")
        check_choice(f"plan[{n}].kind", action.kind, KINDS)
    stored, tapes = {0}, set()
    work, calls, peak = 0, 0, 1
    T = sum(a.kind in BACKWARD_KINDS for a in plan)
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
                if work == i:
                    work = None
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
        if kind == "reverse_stored" and not {i - 1, i} <= stored:
            raise ValueError(
                f"reverse_stored of step {i} needs h_{i - 1}, h_{i} stored"
            )
        if kind in BACKWARD_KINDS:
            if i != next_back or (kind == "reverse" and i not in tapes):
                raise ValueError(f"{kind} of step {i}, expected step {next_back}")
            tapes.discard(i)
            next_back -= 1
        peak = max(peak, len(stored | tapes))
    return Stats(calls, peak)


def plan_held(plan) -> int:
    """Most hidden-state-sized arrays a plan holds at once, every kind counted.

    The memory of the adjacent model, in which every schedule can be
    compared: stored states, the states inside kept tapes (a tape of step i
    holds h_{i-1} and h_i), the working state, and while a step runs both
    its input and its output. `plan_stats`'s peak_states leaves out the
    working state and the running step's output (revolve's slots).

    Parameters
    ----------
    plan : iterable of Action
        As `iter_plan` gives it; checked by `plan_stats` first.

    Returns
    -------
    int
    """
    plan = tuple(plan)
    plan_stats(plan)  # refuses what is not a consistent plan
    stored, tapes, work, peak = {0}, set(), 0, 1

    def held(*running):
        kept = {i - 1 for i in tapes} | tapes
        return len(stored | kept | {work, *running} - {None})

    for kind, i, j in plan:
        if kind == "advance":
            for t in range(i + 1, j + 1):
                peak = max(peak, held(t - 1, t))
                work = t
        elif kind == "snapshot":
            stored.add(i)
        elif kind == "free":
            stored.discard(i)
            work = None if work == i else work
        elif kind == "restore":
            work = i
        elif kind in ("tape", "backward"):
            peak = max(peak, held(i - 1, i))
            if kind == "tape":
                tapes.add(i)
                work = i
            else:
                work = None
        elif kind == "reverse":
            tapes.discard(i)
        peak = max(peak, held())
    return peak
