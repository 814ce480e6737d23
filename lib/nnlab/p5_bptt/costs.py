"""Checkpointing schedules for BPTT and their exact costs, in closed form.

A schedule decides which hidden states h_0..h_T are kept and which are
recomputed; its plan is in `nnlab.p5_bptt.plans`, and `nnlab.p5_bptt.driver`
executes it. The functions here give what a plan costs without running it.

Two models of what a backward step needs, and the schedules of each:

- **Revolve's model** (Griewank and Walther): reversing step t needs its
  tape, made by a fresh forward call of step t from h_{t-1}. ``constant``,
  ``sqrt_untaped``, ``bisect`` and ``binomial`` keep no tape: they bring
  h_{t-1} into the working register and re-run step t with tape just before
  reversing it, so T of their step calls are these re-runs. ``binomial`` is
  the fewest calls in this model for its number of slots.
- **The adjacent model** (`nnlab.p5_bptt.adjacent`): the RNN step's backward
  reads only x_t, h_{t-1} and h_t, so a step whose two states are held is
  reversed with no call, and a kept tape is just those states.
  ``store_all`` (all tapes kept), ``sqrt_taped`` (each segment re-run once
  with its tapes, Chen et al.'s 2T) and ``adjacent`` (the fewest calls in
  this model for a budget of states held at once) use it.

Units, the same for every schedule: ``step_calls`` counts every call of the
forward step, taped or not. ``peak_states`` counts the states stored at once
(h0, checkpoints, states inside kept tapes) but not the working state:
revolve's "slots". `nnlab.p5_bptt.plans.plan_held` counts every
hidden-state-sized array held at once, the working state and the output of
a running step included: the adjacent model's memory, in which both models
compare at equal memory (`nnlab.p5_bptt.compare`).
"""

from __future__ import annotations

import math
from functools import cache
from typing import NamedTuple

from nnlab.p5_bptt import adjacent
from nnlab.validate import check_choice, check_int

SCHEDULES = (
    "store_all",
    "constant",
    "sqrt_untaped",
    "sqrt_taped",
    "bisect",
    "binomial",
    "adjacent",
)
MEMORY_SCHEDULES = ("binomial", "adjacent")  # take a memory argument


class Stats(NamedTuple):
    """Forward step calls and the most hidden states stored at once."""

    step_calls: int
    peak_states: int


def _max_slots(T: int) -> int:
    # With T - 1 slots every input h_0..h_{T-2} is stored and h_{T-1} is the
    # working state; revolve cannot use more.
    return max(1, T - 1)


def check_memory(T: int, schedule: str, memory) -> int | None:
    """Return `memory` as an int for a schedule that takes one, else None.

    Checks the three arguments that name a schedule run, as `cost`,
    `nnlab.p5_bptt.plans.iter_plan` and `nnlab.p5_bptt.driver.bptt` take them.

    Parameters
    ----------
    T : int
        Number of time steps, at least 1.
    schedule : str
        One of `SCHEDULES`.
    memory : int or None
        ``"binomial"``: its slots, states stored at once in revolve's count
        (h0 included, the working state not), from 1 to max(1, T - 1).
        ``"adjacent"``: its budget, hidden states held at once in the
        adjacent model (h0 and the working pair included), at least
        `nnlab.p5_bptt.adjacent.min_budget` (3 for T >= 2); a budget above
        T + 1 buys nothing more. None for every other schedule.

    Returns
    -------
    int or None

    Raises
    ------
    TypeError
        If `T` or (where it is used) `memory` is not an integer (bools
        refused), or `schedule` is not a str.
    ValueError
        If `T` < 1, if `schedule` is not one of `SCHEDULES`, if `memory` is
        given to a schedule that takes none, or is missing or out of range
        (the message names the smallest feasible value).
    """
    T = check_int("T", T, 1)
    check_choice("schedule", schedule, SCHEDULES)
    if schedule not in MEMORY_SCHEDULES:
        if memory is not None:
            raise ValueError(
                f"memory is only used by 'binomial' (slots) and 'adjacent' "
                f"(budget), got memory={memory!r} with schedule {schedule!r}; "
                "pass memory=None"
            )
        return None
    if schedule == "adjacent":
        if memory is None:
            raise ValueError(
                f"'adjacent' needs a budget of states held at once, an int of at "
                f"least {adjacent.min_budget(T)} for T = {T}, got None"
            )
        return adjacent.check_budget(T, memory)
    if memory is None:
        raise ValueError(
            f"'binomial' needs slots, an int from 1 to {_max_slots(T)} for "
            f"T = {T}, got None"
        )
    slots = check_int("slots", memory)
    if not 1 <= slots <= _max_slots(T):
        raise ValueError(
            f"slots must be from 1 to {_max_slots(T)} for T = {T} (h0 counted; "
            f"more than T - 1 slots cannot lower the cost), got {slots}"
        )
    return slots


def store_all_cost(T: int) -> Stats:
    """Cost standard BPTT: T taped calls, all of h_0..h_T stored."""
    T = check_int("T", T, 1)
    return Stats(T, T + 1)


def constant_cost(T: int) -> Stats:
    """Only h0 stored: step t is reached by t - 1 advances and one re-run."""
    T = check_int("T", T, 1)
    return Stats(T * (T + 1) // 2, 1)


def sqrt_untaped_cost(T: int) -> Stats:
    """Checkpoints every k = ceil(sqrt T) steps, untaped: about 3T calls.

    Each segment is re-run once to store its states, then each step is
    re-run again with tape before its backward step (revolve's model),
    although both of its states are then stored. `sqrt_taped_cost` is the
    2T schedule of Chen et al. (2016).

    Notes
    -----
    With n = ceil(T / k) segments and the last starting at c = k (n - 1):
    the first sweep advances c steps, each segment of length L re-runs
    L - 1 advances storing its states, and each of the T steps is re-run
    once with tape, so step_calls = c + (T - n) + T. While segment j
    (0-based) is reversed, checkpoints 0..j and L_j - 1 segment states are
    stored: peak = max_j (j + L_j).
    """
    T = check_int("T", T, 1)
    k = math.isqrt(T - 1) + 1  # ceil(sqrt(T))
    n = -(-T // k)
    last_start = k * (n - 1)
    peak = n - 1 + (T - last_start)
    if n >= 2:
        peak = max(peak, n - 2 + k)
    return Stats(last_start + (T - n) + T, peak)


def sqrt_taped_cost(T: int) -> Stats:
    """Checkpoints every k = ceil(sqrt T) steps, each segment re-run once with tape.

    Notes
    -----
    With n = ceil(T / k) segments and the last starting at c = k (n - 1):
    the first sweep advances c steps, then every segment is re-run once
    keeping its tapes and reversed from them, so step_calls = c + T, about
    2T. While segment j (0-based, length L_j) is reversed, checkpoints
    0..j and its L_j tapes are stored: peak = max_j (j + 1 + L_j).

    References
    ----------
    T. Chen, B. Xu, C. Zhang, C. Guestrin, "Training deep nets with
    sublinear memory cost", arXiv:1604.06174 (2016).
    """
    T = check_int("T", T, 1)
    k = math.isqrt(T - 1) + 1  # ceil(sqrt(T))
    n = -(-T // k)
    last_start = k * (n - 1)
    peak = n + (T - last_start)
    if n >= 2:
        peak = max(peak, n - 1 + k)
    return Stats(last_start + T, peak)


def adjacent_stats(T: int, budget: int) -> Stats:
    """Cost of the adjacent model's optimum: `adjacent.adjacent_cost` calls.

    Its peak_states is the most states its schedule holds (all of them
    stored, none only as a working state), at most `budget`: fewer when
    the optimum does not need the whole budget.
    """
    T = check_int("T", T, 1)
    budget = adjacent.check_budget(T, budget)
    return Stats(*adjacent.replay(T, adjacent.iter_moves(T, budget)))


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
    T = check_int("T", T, 1)
    return Stats(*_bisect_counts(T))


def repetitions(T: int, s: int) -> tuple[int, int, int]:
    """Smallest r with C(s + r, s) >= T, with C(s + r, s) and C(s + r - 1, s).

    r is the repetition number of Griewank's binomial schedule for T steps
    and s stored states; `binomial_cost` and the binomial plan use it.

    Raises
    ------
    TypeError
        If `T` or `s` is not an integer (bools refused).
    ValueError
        If `T` or `s` is less than 1.
    """
    T, s = check_int("T", T, 1), check_int("s", s, 1)
    r, beta, beta_prev = 0, 1, 0
    while beta < T:
        r += 1
        beta_prev, beta = beta, beta * (s + r) // r
    return r, beta, beta_prev


def binomial_cost(T: int, slots: int) -> Stats:
    r"""Fewest step calls in revolve's model with `slots` stored states.

    Revolve's model: a backward step needs a fresh taped forward call, and
    the slots count stored states (h0 counted, the working state not).
    When a step's backward reads only adjacent states, fewer calls suffice
    at equal memory (`nnlab.p5_bptt.adjacent`).

    Notes
    -----
    With r the smallest integer such that C(s + r, s) >= T,

    .. math:: \mathrm{calls} = T + rT - \binom{s + r}{s + 1},

    T re-runs with tape plus the advances of Griewank's binomial
    schedule; s = 1 gives T (T + 1) / 2. The schedule uses all s slots.

    References
    ----------
    A. Griewank, "Achieving logarithmic growth of temporal and spatial
    complexity in reverse automatic differentiation", Optim. Methods Softw.
    1 (1992). A. Griewank and A. Walther, "Algorithm 799: revolve", ACM
    TOMS 26 (2000).
    """
    T = check_int("T", T, 1)
    s = check_memory(T, "binomial", slots)
    r, beta, _ = repetitions(T, s)
    # C(s + r, s + 1) = C(s + r, s) * r / (s + 1)
    return Stats(T + r * T - beta * r // (s + 1), s)


def cost(T: int, schedule: str, memory: int | None = None) -> Stats:
    """Return the exact `Stats` of a schedule, from its closed form.

    Parameters
    ----------
    T : int
        Number of time steps, at least 1.
    schedule : str
        One of `SCHEDULES`.
    memory : int, optional
        ``"binomial"``: slots; ``"adjacent"``: budget of states held at
        once. See `check_memory`.

    Returns
    -------
    Stats

    Raises
    ------
    TypeError, ValueError
        As `check_memory`.
    """
    T = check_int("T", T, 1)
    memory = check_memory(T, schedule, memory)
    if schedule == "binomial":
        return binomial_cost(T, memory)
    if schedule == "adjacent":
        return adjacent_stats(T, memory)
    return {
        "store_all": store_all_cost,
        "constant": constant_cost,
        "sqrt_untaped": sqrt_untaped_cost,
        "sqrt_taped": sqrt_taped_cost,
        "bisect": bisect_cost,
    }[schedule](T)


def held_states(T: int, schedule: str, memory: int | None = None) -> int:
    """Most hidden-state arrays a schedule holds at once: the adjacent model's memory.

    Counts the stored states, the states inside kept tapes, the working
    state, and while a step runs both its input and its output, as
    `nnlab.p5_bptt.plans.plan_held` replays them; the closed forms below
    equal that replay (tests/test_p5_bptt.py).

    Notes
    -----
    Against `Stats.peak_states` (revolve's slots, no working state):

    - ``store_all``, ``sqrt_taped``, ``adjacent``: equal; the working state
      is always a stored state or inside a tape.
    - ``bisect``, ``sqrt_untaped``: one more; at the deepest point the
      step being re-run reads a stored h_{t-1} and makes h_t.
    - ``binomial`` and ``constant`` (binomial with one slot): two more for
      T >= 2; with every slot full, a recomputed, unstored h_{t-1} and the
      step's output h_t are held besides.

    So revolve with s slots and the adjacent optimum with budget s + 2
    hold the same memory (`revolve_at_budget`).
    """
    T = check_int("T", T, 1)
    memory = check_memory(T, schedule, memory)
    if schedule == "adjacent":
        return adjacent_stats(T, memory).peak_states
    peak = cost(T, schedule, memory).peak_states
    extra = {"store_all": 0, "sqrt_taped": 0, "bisect": 1, "sqrt_untaped": 1}
    if schedule in extra:
        return peak + extra[schedule]
    return peak + (2 if T >= 2 else 1)  # binomial, constant


def revolve_at_budget(T: int, budget: int) -> Stats:
    """Revolve's optimum (binomial) that holds at most `budget` states at once.

    The most slots s with held_states = s + 2 <= budget, so that it can be
    compared with `nnlab.p5_bptt.adjacent.adjacent_cost(T, budget)` at
    equal memory. Budgets beyond T + 1 are capped at T + 1 (revolve's T - 1
    slots).

    Raises
    ------
    TypeError, ValueError
        As `nnlab.p5_bptt.adjacent.check_budget` (below 3 for T >= 2, the
        smallest feasible budget is named).
    """
    T = check_int("T", T, 1)
    budget = adjacent.check_budget(T, budget)
    return binomial_cost(T, max(1, min(budget, T + 1) - 2))


class Report(NamedTuple):
    """One schedule's cost in both units: calls, revolve's slots, states held."""

    schedule: str
    memory: int | None
    step_calls: int
    stored: int  # Stats.peak_states: revolve's count, no working state
    held: int  # every hidden-state array at once: the adjacent model's count


def report(T: int, schedule: str, memory: int | None = None) -> Report:
    """Return a schedule's `Report`: the same units for every schedule.

    Raises
    ------
    TypeError, ValueError
        As `check_memory`.
    """
    st = cost(T, schedule, memory)
    held = held_states(T, schedule, memory)
    return Report(schedule, memory, st.step_calls, st.peak_states, held)
