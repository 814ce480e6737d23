r"""The fewest step calls when a step's backward reads only adjacent states.

Revolve's model (`nnlab.p5_bptt.costs.binomial_cost`) assumes that
reversing step t needs a fresh forward call of step t with its tape. For
the RNN of `nnlab.rnn` the backward of step t reads only x_t, h_{t-1} and
h_t, so a step whose two states are both held is reversed with no forward
call at all. This module finds the cheapest schedule in that model.

The model (issue 17)
--------------------
Hidden states h_0 ... h_T. A forward call makes h_t from a held h_{t-1};
while it runs both are held. Backward step t needs h_{t-1} and h_t held at
once (x_t stays readable); it makes no call, and afterwards h_t may be
dropped. The gradient arrives at h_T, so the steps are reversed in the order
T, T-1, ..., 1, and h_0, the input, can never be recomputed. Memory is the
most hidden states held at once, h_0 and the pair being worked on included;
time is the number of forward calls (every schedule makes the same T
backward calls). The smallest budget is 2 for T = 1 and 3 for T >= 2.

The dynamic program
-------------------
Two subproblems on a segment of n steps whose left end is held, with m
states allowed in all (the left end's included, the states held outside
the segment excluded):

- A(n, m): the right end h_n is not held;
- B(n, m): the right end h_n is held as well.

A schedule first advances from the left end to some k (k calls), keeping
h_k; the states passed on the way are dropped, since any of them worth
keeping is a k of its own in the nested segment. The segment [k, n] is then
reversed with one slot fewer (the left end stays held), after which h_k and
the left end remain and [0, k] is reversed with both ends held:

.. math::

    A(n, m) = \min_{1 \le k < n} \; k + A(n - k, m - 1) + B(k, m),

    B(n, m) = \min\Big(A(n, m),\;
              \min_{1 \le k < n} k + B(n - k, m - 1) + B(k, m)\Big),

with A(1, m) = 1 and B(1, m) = 0 for m >= 2. The first term of B drops the
right end. An advance holds the left end and the working pair, and in B the
right end too, so it needs m >= 3 (A) or m >= 4 (B) when k >= 2, one less
when k = 1. The program is confirmed against an exhaustive 0-1 breadth-first
search over (held states, gradient position) for every T <= 12 and every
budget (`exhaustive_cost`, tests/test_p5_adjacent.py).

References
----------
A. Griewank and A. Walther, "Algorithm 799: revolve", ACM TOMS 26 (2000):
the binomial optimum in the taped model, for comparison.
"""

from __future__ import annotations

from collections import deque
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from nnlab.validate import check_int

INF = np.iinfo(np.int64).max // 4  # "infeasible", safe to add a few of


class Move(NamedTuple):
    """One move of a schedule: ``("forward" | "drop" | "backward", t)``."""

    kind: str
    t: int


def min_budget(T: int) -> int:
    """Smallest number of states held at once that can reverse T steps.

    2 for T = 1 (h_0 and h_1); 3 for T >= 2, because backward step T needs
    h_{T-1} and h_T while h_0, which cannot be recomputed, stays held.
    """
    T = check_int("T", T, 1)
    return 2 if T == 1 else 3


def check_budget(T: int, budget, name: str = "budget") -> int:
    """Return `budget` after checking it is an integer >= min_budget(T).

    Raises
    ------
    TypeError
        If `budget` is not an integer.
    ValueError
        If it is below the smallest feasible budget for this T (named in the
        message).
    """
    low = min_budget(T)
    if isinstance(budget, bool) or not isinstance(budget, int | np.integer):
        raise TypeError(
            f"{name} must be an integer number of states held at once "
            f"(at least {low} for T = {T}), got {type(budget).__name__} {budget!r}"
        )
    if budget < low:
        raise ValueError(
            f"{name} must be at least {low} states held at once for T = {T} "
            f"(the smallest feasible), got {budget}"
        )
    return int(budget)


@lru_cache(maxsize=8)
def _tables(T: int, budget: int):
    """Cost tables A, B and the best split (0 = drop the right end), by (m, n).

    Vectorised over the budget m and the split k: one pass per segment
    length n, each an (m, k) array. Cached and read-only: the frontier, the
    schedule and the figures of one T share a run.
    """
    M = budget
    A = np.full((M + 1, T + 1), INF, dtype=np.int64)
    B = np.full((M + 1, T + 1), INF, dtype=np.int64)
    split_a = np.zeros((M + 1, T + 1), dtype=np.int64)
    split_b = np.zeros((M + 1, T + 1), dtype=np.int64)
    A[2:, 1], B[2:, 1], split_a[2:, 1] = 1, 0, 1
    rows = np.arange(M - 1)
    for n in range(2, T + 1):
        k = np.arange(1, n)  # the kept state; the advance costs k calls
        left = B[2:, 1:n] + k  # (m, k): k + B(k, m), for m = 2..M
        cost_a = A[1:M, n - 1 : 0 : -1] + left  # + A(n - k, m - 1)
        # memory of the advance itself: left end + working pair (+ right end)
        cost_a[0, 1:] = INF  # m = 2: only k = 1
        i = cost_a.argmin(axis=1)
        best = np.minimum(cost_a[rows, i], INF)
        A[2:, n], split_a[2:, n] = best, i + 1
        cost_b = B[1:M, n - 1 : 0 : -1] + left  # + B(n - k, m - 1)
        cost_b[0, :] = INF  # m = 2: no advance with both ends held
        if M >= 3:
            cost_b[1, 1:] = INF  # m = 3: only k = 1
        j = cost_b.argmin(axis=1)
        keep = cost_b[rows, j] < best
        B[2:, n] = np.where(keep, cost_b[rows, j], best)
        split_b[2:, n] = np.where(keep, j + 1, 0)
    for table in (A, B, split_a, split_b):
        table.setflags(write=False)
    return A, B, split_a, split_b


def adjacent_cost(T: int, budget: int) -> int:
    """Fewest forward calls to reverse T steps holding at most `budget` states.

    In the model of this module (a step's backward reads h_{t-1} and h_t
    only). O(T^2 budget) work, vectorised over the split.

    Parameters
    ----------
    T : int
        Steps, >= 1.
    budget : int
        Hidden states held at once, h_0 included; >= `min_budget(T)`.
        Beyond T + 1 nothing more is gained.

    Returns
    -------
    int
        Forward step calls; T when budget >= T + 1 (store all).
    """
    T = check_int("T", T, 1)
    budget = check_budget(T, budget)
    if budget >= T + 1:
        return T  # every state fits: one sweep, no recomputation
    A, _, _, _ = _tables(T, budget)
    return int(A[budget, T])


def adjacent_frontier(T: int, max_budget: int) -> dict[int, int]:
    """Fewest calls for every budget from `min_budget(T)` to `max_budget`.

    One run of the dynamic program gives them all (the tables hold every
    budget up to the largest): the trade-off curve of this model.

    Returns
    -------
    dict of int to int
        Budget (states held at once) -> forward calls.
    """
    T = check_int("T", T, 1)
    top = check_budget(T, max_budget, "max_budget")
    A, _, _, _ = _tables(T, min(top, T + 1))
    return {m: int(A[min(m, T + 1), T]) for m in range(min_budget(T), top + 1)}


def iter_moves(T: int, budget: int):
    """Yield an optimal schedule as moves, costing `adjacent_cost(T, budget)`.

    Starts with h_0 held; ends after backward step 1. A generator over an
    explicit stack of at most about `budget` pending segments, so a driver
    that consumes it holds no list of all moves. See `replay` for the
    bookkeeping that checks a schedule.
    """
    T = check_int("T", T, 1)
    budget = check_budget(T, budget)
    if budget >= T + 1:
        return _store_all_moves(T)  # no table needed: T + 1 states fit
    return _iter_moves(T, budget, *_tables(T, budget)[2:])


def _store_all_moves(T):
    for t in range(1, T + 1):
        yield Move("forward", t)
    for t in range(T, 0, -1):
        yield Move("backward", t)
        yield Move("drop", t)


def _iter_moves(T, budget, split_a, split_b):
    # explicit stack of tasks: (kind, lo, hi, m) or a Move to emit
    stack: list = [("A", 0, T, budget)]
    while stack:
        task = stack.pop()
        if isinstance(task, Move):
            yield task
            continue
        kind, lo, hi, m = task
        n = hi - lo
        if kind == "B" and split_b[m, n] == 0:
            if n > 1:
                yield Move("drop", hi)
                kind = "A"
        if n == 1:
            if kind == "A":
                yield Move("forward", hi)
            yield Move("backward", hi)
            yield Move("drop", hi)
            continue
        k = int(split_a[m, n] if kind == "A" else split_b[m, n])
        for t in range(lo + 1, lo + k + 1):
            yield Move("forward", t)
            if t - 1 > lo:
                yield Move("drop", t - 1)
        # pushed in reverse: right segment first, then the left with both ends
        stack += [("B", lo, lo + k, m), (kind, lo + k, hi, m - 1)]


def adjacent_moves(T: int, budget: int) -> list[Move]:
    """Return an optimal schedule as a list of moves (`iter_moves`, listed)."""
    return list(iter_moves(T, budget))


class Replay(NamedTuple):
    """Cost of a schedule of moves: forward calls and peak states held."""

    calls: int
    peak: int


def replay(T: int, moves) -> Replay:
    """Check a schedule against the model and count its calls and peak.

    Raises
    ------
    ValueError
        If a move uses a state that is not held, reverses out of order, or
        the schedule does not end with every step reversed.
    """
    T = check_int("T", T, 1)
    held, g, calls, peak = {0}, T, 0, 1
    for kind, t in moves:
        if kind == "forward":
            if t - 1 not in held or t in held:
                raise ValueError(f"forward {t} needs h_{t - 1} held and h_{t} not")
            held.add(t)
            calls += 1
        elif kind == "drop":
            if t not in held or t == 0:
                raise ValueError(f"drop {t}: not held, or h_0")
            held.remove(t)
        elif kind == "backward":
            if t != g or not {t - 1, t} <= held:
                raise ValueError(f"backward {t} needs step {g} and h_{t - 1}, h_{t}")
            g -= 1
        else:
            raise ValueError(f"unknown move {kind!r}")
        peak = max(peak, len(held))
    if g != 0:
        raise ValueError(f"schedule ends with steps 1..{g} not reversed")
    return Replay(calls, peak)


def exhaustive_cost(T: int, budget: int) -> int:
    """Fewest calls by 0-1 breadth-first search over every reachable situation.

    A situation is (held states, gradient position g). Moves: forward t
    (cost 1) when h_{t-1} is held and the budget allows one more; drop a
    held h_t, t >= 1 (cost 0); backward g when h_{g-1} and h_g are held
    (cost 0). States above g are never needed again, so they are dropped at
    once and never computed: that removes only dominated schedules. For the
    tests (T <= 12): the state space has about 2^(T+2) situations.
    """
    T = check_int("T", T, 1)
    budget = check_budget(T, budget)
    start = (1, T)  # bit t of the mask: h_t held
    dist = {start: 0}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        mask, g = state
        d = dist[state]
        if g == 0:
            return d
        held = mask.bit_count()
        steps = []
        if mask >> g & 1 and mask >> (g - 1) & 1:
            steps.append(((mask & ~(1 << g)), g - 1, 0))
        for t in range(1, g + 1):
            bit = 1 << t
            if mask & bit:
                steps.append((mask & ~bit, g, 0))
            elif mask >> (t - 1) & 1 and held < budget:
                steps.append((mask | bit, g, 1))
        for new_mask, new_g, cost in steps:
            key = (new_mask, new_g)
            if key not in dist or d + cost < dist[key]:
                dist[key] = d + cost
                (queue.appendleft if cost == 0 else queue.append)(key)
    raise AssertionError("unreachable: every budget >= min_budget is feasible")
