"""Tests for nnlab.p5_bptt: gradients, exact costs, optimality, bad input."""

import math
from collections import deque

import numpy as np
import pytest

import nnlab.p5_bptt.driver as driver_module
from nnlab.gradcheck import check_pair
from nnlab.p5_bptt.adjacent import adjacent_cost, min_budget
from nnlab.p5_bptt.costs import (
    MEMORY_SCHEDULES,
    SCHEDULES,
    Stats,
    binomial_cost,
    bisect_cost,
    check_memory,
    constant_cost,
    cost,
    held_states,
    repetitions,
    report,
    revolve_at_budget,
    sqrt_taped_cost,
    sqrt_untaped_cost,
    store_all_cost,
)
from nnlab.p5_bptt.driver import bptt
from nnlab.p5_bptt.measure import random_problem, time_ratios, traced_peak_states
from nnlab.p5_bptt.plans import Action, make_plan, plan_held, plan_stats
from nnlab.rnn import rnn_step_forward

# Every schedule runs the same step function on the same arrays (same values,
# shapes and memory layout: fresh C-contiguous states, views of xs) and
# reverses steps T..1 in the same order, so the floating-point operations are
# identical and the gradients equal bit for bit. This is exact by construction,
# not by luck of a kernel: it needs only a BLAS that returns the same bits for
# the same call, which OpenBLAS (every kernel of the pinned build, checked with
# arrays at every 8-byte offset from 64-byte alignment) and MKL (checked the
# same way through its cblas_dgemm) both do.
# Centred differences in float64, threshold on the CS231n relative error.
# The step is 1e-5, not 1e-6: some dWh entries are ~1e-4 (a saturated unit
# scales its column by 1 - h**2), and the round-off of a difference quotient,
# ~1e-16 / step, would then alone be ~1e-7 relative. At 1e-5 both round-off
# and O(step**2) truncation stay ~1e-8 below a correct gradient.
GRAD_TOL = 1e-7
FD_STEP = 1e-5

PLAIN = [s for s in SCHEDULES if s not in MEMORY_SCHEDULES]
RUNS = (
    [(s, None) for s in PLAIN]
    + [("binomial", k) for k in (1, 2, 3)]
    + [("adjacent", m) for m in (3, 4, 6)]
)


def all_runs(T):
    """Every schedule; binomial with every admissible number of slots, and
    adjacent with every budget from the smallest to T + 2."""
    runs = [(s, None) for s in PLAIN]
    runs += [("adjacent", m) for m in range(min_budget(T), T + 3)]
    return runs + [("binomial", k) for k in range(1, max(1, T - 1) + 1)]


def fits(T, schedule, memory):
    if schedule == "binomial":
        return memory <= max(1, T - 1)
    return schedule != "adjacent" or memory >= min_budget(T)


# ------------------------------------------------------------- gradients


def admissible(lengths):
    """(T, schedule, slots) for every T in `lengths` and run in RUNS it allows."""
    return [
        (T, schedule, slots)
        for T in lengths
        for schedule, slots in RUNS
        if fits(T, schedule, slots)
    ]


@pytest.mark.parametrize("T, schedule, slots", admissible([1, 2, 7, 16, 33]))
def test_every_schedule_gives_the_store_all_gradients(T, schedule, slots):
    problem = random_problem(T, 3, 4, 5, seed=T)
    ref, _ = bptt(*problem, "store_all")
    got, _ = bptt(*problem, schedule, slots)
    for name, g, r in zip(["dxs", "dh0", "dWx", "dWh", "db"], got, ref, strict=True):
        np.testing.assert_array_equal(g, r, err_msg=name)


def unrolled_hs(xs, h0, Wx, Wh, b):
    hs, h = [], h0
    for x in xs:
        h, _ = rnn_step_forward(x, h, Wx, Wh, b)
        hs.append(h)
    return np.stack(hs)  # (T, N, Hd)


@pytest.mark.parametrize("T, N", [(1, 1), (4, 1), (5, 3)])
@pytest.mark.parametrize("which", range(5), ids=["xs", "h0", "Wx", "Wh", "b"])
def test_store_all_gradients_match_finite_differences(T, N, which):
    xs, h0, (Wx, Wh, b), dout = random_problem(T, N, 3, 4, seed=which)
    names = ["xs", "h0", "Wx", "Wh", "b"]
    inputs = dict(zip(names, [xs, h0, Wx, Wh, b], strict=True))

    def forward(xs, h0, Wx, Wh, b):
        return unrolled_hs(xs, h0, Wx, Wh, b), (xs, h0, (Wx, Wh, b))

    def backward(dout, cache):
        xs, h0, params = cache
        return bptt(xs, h0, params, dout, "store_all")[0]

    errs = check_pair(forward, backward, inputs, dout, h=FD_STEP, wrt=[names[which]])
    assert errs[names[which]] < GRAD_TOL, f"{errs}"


# ------------------------------------------------------------- counting


@pytest.mark.parametrize("T", [1, 2, 3, 5, 8, 13, 20])
def test_counted_stats_equal_the_cost_functions(T):
    problem = random_problem(T, 1, 1, 2, seed=T)
    for schedule, slots in all_runs(T):
        _, stats = bptt(*problem, schedule, slots)
        expected = cost(T, schedule, slots)
        assert stats == expected, (schedule, slots)
        assert plan_stats(make_plan(T, schedule, slots)) == expected


@pytest.mark.parametrize("schedule, slots", RUNS)
def test_step_calls_count_real_calls_of_the_step(monkeypatch, schedule, slots):
    calls = []

    def counting_step(*args, **kwargs):
        calls.append(1)
        return rnn_step_forward(*args, **kwargs)

    monkeypatch.setattr(driver_module, "rnn_step_forward", counting_step)
    _, stats = bptt(*random_problem(23, 2, 2, 3), schedule, slots)
    assert stats.step_calls == len(calls)


def test_sqrt_taped_cost_by_hand_and_the_issue_counts():
    # T = 16, k = 4: sweep to h12 (12 calls), then each step once with tape
    # (16): 28. Peak while the last segment [12, 16] is reversed: h0 h4 h8
    # h12 and its 4 tapes.
    assert sqrt_taped_cost(16) == Stats(12 + 16, 4 + 4)
    assert sqrt_untaped_cost(16).step_calls == 40
    # Issue 17: 1992 calls with 63 states at T = 1000; 190 at T = 100; and
    # the untaped variant's 2960 at T = 1000.
    assert sqrt_taped_cost(1000) == Stats(1992, 63)
    assert sqrt_taped_cost(100).step_calls == 190
    assert sqrt_untaped_cost(1000).step_calls == 2960
    assert sqrt_taped_cost(1) == Stats(1, 2)


def test_held_states_by_hand():
    # store_all: every state. constant: h0, the working h_{t-1} and h_t.
    # binomial with s slots: s stored, a recomputed h_{t-1} and h_t.
    assert held_states(10, "store_all") == 11
    assert held_states(10, "constant") == 3
    assert held_states(1, "constant") == 2
    assert held_states(10, "binomial", 4) == 6
    assert held_states(10, "adjacent", 5) <= 5
    assert report(1000, "sqrt_taped") == ("sqrt_taped", None, 1992, 63, 63)


@pytest.mark.parametrize("T", [*range(1, 41), 100, 256])
def test_held_states_equal_the_replayed_plans(T):
    runs = [(s, None) for s in PLAIN]
    runs += [("binomial", k) for k in sorted({1, 2, 3, T // 2, T - 1}) if k >= 1]
    runs += [("adjacent", m) for m in sorted({min_budget(T), 4, 11, T + 1})]
    for schedule, memory in runs:
        if fits(T, schedule, memory):
            plan = make_plan(T, schedule, memory)
            assert held_states(T, schedule, memory) == plan_held(plan), (
                schedule,
                memory,
            )


def test_revolve_at_equal_memory_against_the_adjacent_optimum():
    # Issue 17, T = 8, budgets 3..6 held at once: 34, 15, 12, 11 calls in
    # the adjacent model; revolve with the same memory holds s = budget - 2
    # slots: binomial 36 (s = 1, T(T+1)/2), 22, 19, 18.
    want = {3: (34, 36), 4: (15, 22), 5: (12, 19), 6: (11, 18)}
    for budget, (best, revolve) in want.items():
        assert adjacent_cost(8, budget) == best
        assert revolve_at_budget(8, budget).step_calls == revolve
        assert held_states(8, "binomial", budget - 2) == budget
    for T in (100, 1000, 1024):
        for budget in (3, 11, 63):
            assert adjacent_cost(T, budget) < revolve_at_budget(T, budget).step_calls


@pytest.mark.parametrize(
    "memory, error, match",
    [
        (2, ValueError, r"budget must be at least 3 states held at once for T = 5"),
        (3.5, TypeError, r"budget must be an integer .*at least 3 for T = 5"),
        (None, ValueError, r"'adjacent' needs a budget .*at least 3 for T = 5"),
    ],
)
def test_bad_budget_names_the_smallest_feasible_one(memory, error, match):
    with pytest.raises(error, match=match):
        bptt(*random_problem(5, 1, 1, 1), "adjacent", memory)
    with pytest.raises(error, match=match):
        cost(5, "adjacent", memory)


def test_store_all_and_constant_by_hand():
    assert store_all_cost(5) == Stats(5, 6)
    assert constant_cost(4) == Stats(1 + 2 + 3 + 4, 1)


def test_sqrt_cost_by_hand():
    # T = 16, k = 4: sweep to h12 (12 calls, h0 h4 h8 h12 stored), each
    # segment re-runs 3 advances (12) and its 4 steps (16): 40 calls. Peak
    # while the last segment is reversed: 4 checkpoints + h13 h14 h15.
    assert sqrt_untaped_cost(16) == Stats(12 + 12 + 16, 7)
    # T = 10, k = 4: segments [0,4) [4,8) [8,10): sweep 8, advances 3+3+1.
    assert sqrt_untaped_cost(10) == Stats(8 + 7 + 10, max(0 + 4, 1 + 4, 2 + 2))
    assert sqrt_untaped_cost(1) == Stats(1, 1)


MANY_T = [*range(1, 130), 255, 256, 257, 1000, 1023, 1024, 1025, 2047, 2048, 3001]


@pytest.mark.parametrize("schedule", PLAIN)
def test_plan_counts_equal_cost_functions_for_many_T(schedule):
    for T in MANY_T:
        assert plan_stats(make_plan(T, schedule)) == cost(T, schedule), T


def test_binomial_plan_counts_equal_cost_function_for_many_T_and_slots():
    for T in MANY_T:
        top = max(1, T - 1)
        for s in sorted({1, 2, 3, 4, 7, 10, top // 2 + 1, top - 1, top} - {0}):
            if s <= top and (s > 1 or T <= 300):
                plan = make_plan(T, "binomial", s)
                assert plan_stats(plan) == binomial_cost(T, s), (T, s)


# ------------------------------------------------------------- closed forms


def test_bisect_cost_equals_popcount_closed_form():
    for T in range(1, 3001):
        calls = T + sum(bin(k).count("1") for k in range(T))
        states = math.ceil(math.log2(T)) + 1
        assert bisect_cost(T) == Stats(calls, states), T
        # The O(T log T) bound quoted in the notebook.
        assert 2 * calls <= 2 * T + T * math.ceil(math.log2(T)), T


def test_constant_cost_closed_form():
    for T in range(1, 3001):
        assert constant_cost(T).step_calls * 2 == T * (T + 1)


def binomial_closed_form(T, s):
    r = 0
    while math.comb(s + r, s) < T:
        r += 1
    return T + r * T - math.comb(s + r, s + 1)


def test_binomial_cost_closed_form_and_published_values():
    assert binomial_cost(10, 3).step_calls == 25
    assert binomial_cost(100, 10).step_calls == 322
    assert binomial_cost(1000, 10).step_calls == 4636
    for T in [*range(1, 200), 1000, 3001]:
        assert binomial_cost(T, 1).step_calls == T * (T + 1) // 2
        for s in range(1, min(T - 1, 40) + 1):
            assert binomial_cost(T, s).step_calls == binomial_closed_form(T, s)


def optimal_calls_dp(max_T, max_s):
    """F(l, s): fewest calls to reverse l steps from a stored start, s slots.

    Minimises over every first advance m: advance m, store h_m, reverse the
    right part with s - 1 slots, then the left part with s slots.
    """
    F = {}
    for s in range(1, max_s + 1):
        for n in range(1, max_T + 1):
            if n == 1:
                F[n, s] = 1
            elif s == 1:
                F[n, s] = n * (n + 1) // 2
            else:
                F[n, s] = min(m + F[n - m, s - 1] + F[m, s] for m in range(1, n))
    return F


def test_binomial_equals_the_dynamic_programming_optimum():
    F = optimal_calls_dp(60, 8)
    for (T, s), best in F.items():
        if s <= max(1, T - 1):
            assert binomial_cost(T, s).step_calls == best, (T, s)


def optimal_calls_exhaustive(T, s):
    """Fewest step calls over every sequence of moves, by 0-1 BFS.

    A search state is (stored states, working state, next step to reverse).
    Moves: advance one step (1 call), store the working state if a slot is
    free, drop a stored state, load a stored state (0 calls), and, when the
    working state is h_{t-1}, re-run step t with tape and reverse it (1 call).
    """
    start = (frozenset({0}), 0, T)
    dist = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        stored, work, t = node
        d = dist[node]
        if t == 0:
            return d
        moves = []
        if work is not None and work < t - 1:  # states >= t are never needed
            moves.append(((stored, work + 1, t), 1))
        if work == t - 1:
            moves.append(((stored, None, t - 1), 1))
        if work is not None and work not in stored and len(stored) < s:
            moves.append(((stored | {work}, work, t), 0))
        for i in stored:
            moves.append(((stored - {i}, work, t), 0))
            moves.append(((stored, i, t), 0))
        for nxt, w in moves:
            if nxt not in dist or d + w < dist[nxt]:
                dist[nxt] = d + w
                (queue.appendleft if w == 0 else queue.append)(nxt)
    raise AssertionError("no schedule reverses every step")


@pytest.mark.parametrize("T", range(1, 9))
def test_binomial_equals_the_exhaustive_optimum(T):
    for s in range(1, max(1, T - 1) + 1):
        assert binomial_cost(T, s).step_calls == optimal_calls_exhaustive(T, s)


def test_binomial_never_beats_store_all_and_bisect_is_not_optimal():
    T = 1000
    assert binomial_cost(T, T - 1).step_calls == 2 * T - 1
    b = bisect_cost(T)
    assert binomial_cost(T, b.peak_states).step_calls < b.step_calls


# ------------------------------------------------------------- bad input


def test_unknown_schedule_names_the_valid_ones():
    with pytest.raises(
        ValueError, match=r"schedule must be one of 'store_all'.*got 'revolve'"
    ):
        bptt(*random_problem(4, 1, 1, 1), "revolve")
    with pytest.raises(ValueError, match=r"one of 'store_all', 'constant'.*'linear'"):
        cost(4, "linear")
    with pytest.raises(TypeError, match=r"schedule must be a str, .* got NoneType"):
        make_plan(4, None)
    with pytest.raises(ValueError, match=r"schedule must be one of .* got 'Bisect'"):
        check_memory(4, "Bisect", None)


@pytest.mark.parametrize(
    "T, slots, match",
    [
        (10, 0, r"slots must be from 1 to 9 for T = 10.*got 0"),
        (10, 10, r"slots must be from 1 to 9 for T = 10.*got 10"),
        (1, 2, r"slots must be from 1 to 1 for T = 1.*got 2"),
        (10, None, r"'binomial' needs slots, an int from 1 to 9.*got None"),
    ],
)
def test_bad_slots(T, slots, match):
    with pytest.raises(ValueError, match=match):
        bptt(*random_problem(T, 1, 1, 1), "binomial", slots)
    with pytest.raises(ValueError, match=match):
        binomial_cost(T, slots)


@pytest.mark.parametrize("slots, shown", [(2.5, "float 2.5"), (True, "bool True")])
def test_slots_of_the_wrong_type(slots, shown):
    match = rf"slots must be an integer, got {shown}"
    with pytest.raises(TypeError, match=match):
        bptt(*random_problem(10, 1, 1, 1), "binomial", slots)
    with pytest.raises(TypeError, match=match):
        binomial_cost(10, slots)


def test_slots_with_another_schedule_is_rejected():
    with pytest.raises(
        ValueError,
        match=r"memory is only used by 'binomial' \(slots\) and 'adjacent'.*'bisect'",
    ):
        bptt(*random_problem(4, 1, 1, 1), "bisect", 2)


@pytest.mark.parametrize(
    "which, shape, match",
    [
        ("h0", (3, 4), r"h0 must be \(2, 4\), got \(3, 4\)"),
        ("Wx", (4, 4), r"Wx must be \(3, 4\), got \(4, 4\)"),
        ("Wh", (4, 3), r"Wh must be \(4, 4\), got \(4, 3\)"),
        ("b", (3,), r"b must be \(4,\), got \(3,\)"),
        (
            "dout",
            (5, 2, 4),
            r"dout must have the forward output's shape \(6, 2, 4\), got \(5, 2, 4\)",
        ),
        ("xs", (6, 2), r"xs must be 3-D \(T, N, D\), got 2-D shape \(6, 2\)"),
    ],
)
def test_mismatched_shapes(which, shape, match):
    xs, h0, (Wx, Wh, b), dout = random_problem(6, 2, 3, 4)
    args = {"xs": xs, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b, "dout": dout}
    args[which] = np.zeros(shape)
    with pytest.raises(ValueError, match=match):
        bptt(
            args["xs"],
            args["h0"],
            (args["Wx"], args["Wh"], args["b"]),
            args["dout"],
            "bisect",
        )


def test_other_bad_inputs():
    xs, h0, params, dout = random_problem(3, 1, 1, 1)
    with pytest.raises(ValueError, match=r"params must be \(Wx, Wh, b\), got 2 items"):
        bptt(xs, h0, params[:2], dout, "sqrt_untaped")
    with pytest.raises(TypeError, match=r"params must be a tuple \(Wx, Wh, b\)"):
        bptt(xs, h0, dict(enumerate(params)), dout, "sqrt_untaped")
    with pytest.raises(TypeError, match="dout must be a numpy array, got list"):
        bptt(xs, h0, params, dout.tolist(), "sqrt_untaped")
    with pytest.raises(ValueError, match=r"xs must not have an empty axis"):
        bptt(xs[:0], h0, params, dout[:0], "sqrt_untaped")
    with pytest.raises(ValueError, match=r"xs must be finite, got nan"):
        bptt(xs * np.nan, h0, params, dout, "sqrt_untaped")
    with pytest.raises(ValueError, match="T must be an integer >= 1, got 0"):
        bisect_cost(0)
    with pytest.raises(TypeError, match="T must be an integer, got float 4.0"):
        sqrt_untaped_cost(4.0)


def test_plan_stats_rejects_a_plan_that_uses_a_state_it_lacks():
    plan = make_plan(4, "bisect")
    broken = tuple(a for a in plan if a.kind != "snapshot")
    with pytest.raises(ValueError, match="not stored"):
        plan_stats(broken)


def test_plan_stats_rejects_reversing_from_states_it_lacks():
    with pytest.raises(ValueError, match=r"reverse_stored of step 2 needs h_1, h_2"):
        plan_stats([Action("reverse_stored", 2, 2), Action("reverse_stored", 1, 1)])


def test_plan_stats_rejects_what_is_not_a_plan():
    with pytest.raises(TypeError, match="plan must be an iterable of Action, got"):
        plan_stats(None)
    with pytest.raises(TypeError, match=r"plan\[0\] must be an Action, got tuple"):
        plan_stats([("backward", 1, 1)])
    with pytest.raises(ValueError, match=r"plan\[0\].kind must be one of .*'jump'"):
        plan_stats([Action("jump", 1, 1)])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: repetitions(10, 0), r"s must be an integer >= 1, got 0"),
        (lambda: random_problem(3, 0, 1, 1), r"N must be an integer >= 1, got 0"),
        (lambda: random_problem(3, 1, 1, 1, seed=-1), r"seed must be an integer >= 0"),
        (lambda: time_ratios(3, 1, 1, 1, "bisect"), r"runs must be a list"),
        (lambda: time_ratios(3, 1, 1, 1, [("bisect",)]), r"runs\[0\] must be a"),
        (
            lambda: traced_peak_states(3, 1, 1, 1, "sqrt_untaped", 2),
            r"memory is only used",
        ),
    ],
)
def test_helpers_refuse_bad_arguments(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()


# ------------------------------------------------------------- drawing


@pytest.mark.parametrize("T, schedule, slots", admissible([1, 9, 16]))
def test_timeline_draws_what_is_counted(T, schedule, slots):
    from nnlab.p5_bptt.figure_parts import timeline

    tl = timeline(T, schedule, slots)
    stats = cost(T, schedule, slots)
    forward = sum(len(tl.segments[k]) for k in ("advance", "tape", "rerun"))
    assert forward == stats.step_calls
    assert len(tl.segments["backward"]) == T
    assert tl.ticks == stats.step_calls + T
    # Most bars alive at once, with [start, end) intervals, is the peak.
    events = sorted(
        [(y0, 1) for _, y0, _ in tl.held] + [(y1, -1) for *_, y1 in tl.held]
    )
    alive = np.cumsum([d for _, d in events])
    assert alive.max() == stats.peak_states
