"""Checkpointing schedules for BPTT and their exact costs, in closed form.

A schedule decides which hidden states h_0..h_T are kept and which are
recomputed; its plan is in `nnlab.p5_bptt.plans`, and `nnlab.p5_bptt.driver`
executes it. The functions here give what a plan costs without running it.

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
from functools import cache
from typing import NamedTuple

from nnlab.validate import check_choice, check_int

SCHEDULES = ("store_all", "constant", "sqrt", "bisect", "binomial")


class Stats(NamedTuple):
    """Forward step calls and the most hidden states stored at once."""

    step_calls: int
    peak_states: int


def _max_slots(T: int) -> int:
    # With T - 1 slots every input h_0..h_{T-2} is stored and h_{T-1} is the
    # working state; revolve cannot use more.
    return max(1, T - 1)


def check_slots(T: int, schedule: str, slots) -> int | None:
    """Return `slots` as an int for ``"binomial"``, else None, after checks.

    Checks the three arguments that name a schedule run, as `cost`,
    `nnlab.p5_bptt.plans.iter_plan` and `nnlab.p5_bptt.driver.bptt` take them.

    Parameters
    ----------
    T : int
        Number of time steps, at least 1.
    schedule : str
        One of `SCHEDULES`.
    slots : int or None
        ``"binomial"`` only: states stored at once, h0 included, from 1 to
        max(1, T - 1); None for every other schedule.

    Returns
    -------
    int or None

    Raises
    ------
    TypeError
        If `T` or (for ``"binomial"``) `slots` is not an integer (bools
        refused), or `schedule` is not a str.
    ValueError
        If `T` < 1, if `schedule` is not one of `SCHEDULES`, if `slots` is
        given to another schedule, or if ``"binomial"`` gets no slots or
        slots outside 1..max(1, T - 1).
    """
    T = check_int("T", T, 1)
    check_choice("schedule", schedule, SCHEDULES)
    if schedule != "binomial":
        if slots is not None:
            raise ValueError(
                f"slots is only used by 'binomial', got slots={slots!r} with "
                f"schedule {schedule!r}; pass slots=None"
            )
        return None
    if slots is None:
        raise ValueError(
            f"'binomial' needs slots, an int from 1 to {_max_slots(T)} for "
            f"T = {T}, got None"
        )
    slots = check_int("slots", slots)
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
    T = check_int("T", T, 1)
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
    r"""Fewest step calls possible with `slots` stored states (h0 counted).

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
    s = check_slots(T, "binomial", slots)
    r, beta, _ = repetitions(T, s)
    # C(s + r, s + 1) = C(s + r, s) * r / (s + 1)
    return Stats(T + r * T - beta * r // (s + 1), s)


def cost(T: int, schedule: str, slots: int | None = None) -> Stats:
    """Return the exact `Stats` of a schedule, from its closed form.

    Parameters
    ----------
    T : int
        Number of time steps, at least 1.
    schedule : str
        One of `SCHEDULES`.
    slots : int, optional
        ``"binomial"`` only, from 1 to max(1, T - 1).

    Returns
    -------
    Stats

    Raises
    ------
    TypeError, ValueError
        As `check_slots`.
    """
    T = check_int("T", T, 1)
    slots = check_slots(T, schedule, slots)
    if schedule == "binomial":
        return binomial_cost(T, slots)
    return {
        "store_all": store_all_cost,
        "constant": constant_cost,
        "sqrt": sqrt_cost,
        "bisect": bisect_cost,
    }[schedule](T)
