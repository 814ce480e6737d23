"""The optimal schedule when a step's backward reads only adjacent states.

Known independently: the counts for T = 8 in issue 17 (found there by its
own breadth-first search), store-all's T calls, and the budget-3 closed
form derived by hand below; and for every T <= 12 and every budget, an
exhaustive search over all reachable situations.
"""

import pytest

from nnlab.p5_bptt.adjacent import (
    adjacent_cost,
    adjacent_frontier,
    adjacent_moves,
    exhaustive_cost,
    min_budget,
    replay,
)

SMALL = [(T, m) for T in range(1, 13) for m in range(min_budget(T), T + 2)]


@pytest.mark.parametrize("budget, calls", [(3, 34), (4, 15), (5, 12), (6, 11)])
def test_t8_counts_from_the_issue(budget, calls):
    assert adjacent_cost(8, budget) == calls


@pytest.mark.parametrize("T, budget", SMALL)
def test_dynamic_program_equals_exhaustive_search(T, budget):
    assert adjacent_cost(T, budget) == exhaustive_cost(T, budget)


@pytest.mark.parametrize("T, budget", SMALL)
def test_the_schedule_costs_what_the_program_says_within_the_budget(T, budget):
    calls, peak = replay(T, adjacent_moves(T, budget))
    assert calls == adjacent_cost(T, budget)
    assert peak <= budget


@pytest.mark.parametrize("T", [1, 2, 7, 50])
def test_store_all_budget_costs_t_calls(T):
    assert adjacent_cost(T, T + 1) == T
    assert adjacent_cost(T, T + 5) == T  # more memory buys nothing more


@pytest.mark.parametrize("T", [3, 8, 40])
def test_budget_three_closed_form(T):
    # With h_0 and a working pair only, no checkpoint fits: backward T costs
    # T calls; each backward t in T-1..3 drops h_t and recomputes h_1..h_t
    # (t calls), since computing h_{t-1} beside a held h_t needs a fourth
    # slot; backward 2 computes h_1 beside the held h_2 (1 call); backward 1
    # costs nothing. T + (3 + ... + (T-1)) + 1 = T(T+1)/2 - 2.
    assert adjacent_cost(T, 3) == T * (T + 1) // 2 - 2


def test_cost_never_rises_with_more_memory():
    frontier = adjacent_frontier(60, 64)
    assert list(frontier) == list(range(3, 65))
    costs = list(frontier.values())
    assert all(a >= b for a, b in zip(costs, costs[1:], strict=False))
    assert costs[-1] == 60
    for m in (3, 10, 61, 64):
        assert frontier[m] == adjacent_cost(60, m)


def test_beats_the_tape_per_segment_plan_quoted_in_the_issue():
    # Issue 17: a plan of sqrt(T) segments keeping tapes reverses T = 1000 in
    # 1992 calls with 63 states; the optimum with 63 can only do better.
    assert adjacent_cost(1000, 63) <= 1992


@pytest.mark.parametrize(
    "T, budget, error, message",
    [
        (5, 2, ValueError, r"budget must be at least 3 .*T = 5.*got 2"),
        (1, 1, ValueError, r"budget must be at least 2 .*T = 1.*got 1"),
        (5, 3.0, TypeError, r"budget must be an integer .*at least 3.*got float"),
        (5, True, TypeError, r"budget must be an integer"),
        (0, 3, ValueError, r"T must be an integer >= 1, got 0"),
    ],
)
def test_bad_budget_names_the_smallest_feasible_one(T, budget, error, message):
    with pytest.raises(error, match=message):
        adjacent_cost(T, budget)


def test_replay_refuses_a_schedule_that_breaks_the_model():
    with pytest.raises(ValueError, match="backward 2 needs"):
        replay(2, [("forward", 1), ("backward", 2)])
    with pytest.raises(ValueError, match="forward 2 needs h_1 held"):
        replay(2, [("forward", 2)])
    with pytest.raises(ValueError, match="not reversed"):
        replay(2, [("forward", 1), ("forward", 2), ("backward", 2)])
