"""Memory and wall time of each BPTT schedule at T = 1024, against its counts.

Memory: tracemalloc's peak during `bptt` (minus the returned gradients,
plus h0), in units of one (N, Hd) state, for every schedule at T = 1024
(constant at `T_CONSTANT`). Predicted: `held_states`, every hidden state
held at once (working state and tapes included, the adjacent model's
unit). Goal (issue 17 item 4): held <= measured <= held + the working
arrays stated by `working_states` (a step's temporaries and weight-gradient
terms) + `TAPE_BYTES` for each tape kept at once.

Time: each schedule's median wall time over `REPEATS` runs (alternating
with store_all so that load from other processes falls on both) divided by
store_all's, beside

- the step-call ratio, step_calls / T (the issue's yardstick), and
- the ratio a pure count predicts: store_all's time plus the extra
  (calls - T) forward steps at the measured time t_f of one step.

Goal (issues 7 and 17): wall ratio <= 1.10 x call ratio. The stricter check
wall / predicted - 1 <= 10% is printed too; a negative overhead means the
schedule's bookkeeping costs less than store_all's (which keeps T tapes).

The constant schedule at T = 1024 makes 524,800 step calls (~10 s a run),
so it alone is run at T = `T_CONSTANT`.

Scaling (issue 18 item 4): each schedule's CPU time (`scaling.best_time`,
this process's only: wall time also counts other processes' turns on the
shared cores, which inflate some sizes and not others and so bend the fitted
slope) from T = 1024 to 16,384 on a small state (N, D, Hd = 4, 8, 16, so
that a step's cost is mostly per call), as a ratio per doubling, against the
ratio of its step calls counted by `nnlab.p5_bptt.costs` (exponent log2 of
it: 1 for store_all and the sqrt schedules, a little over 1 for bisect's T
log T and for binomial and adjacent at a fixed memory). Goal: the measured
exponent at most the counted one + `SCALE_SLACK`. The constant schedule (T^2
calls, 134 M at T = 16,384) is left out.

BLAS runs single-threaded (unless OPENBLAS_NUM_THREADS is set): the machine
is shared and both sides of every ratio use the same BLAS.

    .venv/bin/python benchmarks/bench_p5_bptt.py
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import math  # noqa: E402
import time  # noqa: E402

from nnlab.p5_bptt.costs import cost, held_states  # noqa: E402
from nnlab.p5_bptt.driver import bptt  # noqa: E402
from nnlab.p5_bptt.measure import (  # noqa: E402
    TAPE_BYTES,
    random_problem,
    time_ratios,
    traced_peak_states,
    working_states,
)
from scaling import best_time, doubling_table  # noqa: E402

T, N, D, HD = 1024, 32, 64, 128
T_CONSTANT = 128
REPEATS = 5
GOAL = 0.10
MEM_N, MEM_D, MEM_HD = 32, 32, 256
RUNS = [
    ("sqrt_untaped", None),
    ("sqrt_taped", None),
    ("bisect", None),
    ("binomial", 9),  # holds 11 states at once, as adjacent(11)
    ("binomial", 61),  # holds 63
    ("adjacent", 11),
    ("adjacent", 63),
]
TAPES_AT_ONCE = {"store_all": T, "sqrt_taped": 32}  # ceil(sqrt 1024) = 32
SCALE_T = tuple(1024 * 2**k for k in range(5))  # 1,024 to 16,384
SCALE_SIZES = (4, 8, 16)  # N, D, Hd
SCALE_REPEATS = 5
SCALE_SLACK = 0.15
SCALE_RUNS = [
    ("store_all", None),
    ("sqrt_untaped", None),
    ("sqrt_taped", None),
    ("bisect", None),
    ("binomial", 9),
    ("adjacent", 11),
]


def name(schedule, memory):
    return schedule + (f"({memory})" if memory else "")


def memory_table() -> bool:
    state_bytes = MEM_N * MEM_HD * 8
    work = working_states(MEM_N, MEM_D, MEM_HD)
    print(
        f"Peak memory, N={MEM_N}, D={MEM_D}, Hd={MEM_HD}, in states of {state_bytes} B"
    )
    print(f"working arrays stated: {work:.1f} states; a kept tape: <= {TAPE_BYTES} B")
    head = f"{'schedule':<16}{'T':>6}{'held':>7}{'measured':>10}{'bound':>9}{'':>6}"
    print(head)
    print("-" * len(head))
    ok = True
    for schedule, memory in [("store_all", None), *RUNS, ("constant", None)]:
        t = T_CONSTANT if schedule == "constant" else T
        held = held_states(t, schedule, memory)
        bound = held + work + TAPES_AT_ONCE.get(schedule, 0) * TAPE_BYTES / state_bytes
        got = traced_peak_states(t, MEM_N, MEM_D, MEM_HD, schedule, memory)
        fine = held <= got <= bound
        ok &= fine
        row = f"{name(schedule, memory):<16}{t:>6}{held:>7}{got:>10.1f}{bound:>9.1f}"
        print(row + f"{'  ok' if fine else '  MISS':>6}")
    return ok


def time_table() -> bool:
    rows = time_ratios(T, N, D, HD, RUNS, REPEATS)
    rows += time_ratios(T_CONSTANT, N, D, HD, [("constant", None)], REPEATS)
    print(
        f"\nBPTT schedules over store_all, N={N}, D={D}, Hd={HD}, fastest of {REPEATS}"
    )
    head = (
        f"{'schedule':<16}{'T':>6}{'calls/T':>10}{'wall ratio':>12}"
        f"{'predicted':>11}{'wall/calls':>12}{'overhead':>10}"
    )
    print(head)
    print("-" * len(head))
    worst_calls, worst_model = 0.0, -1.0
    for r in rows:
        over = r.wall_ratio / r.model_ratio - 1
        worst_calls = max(worst_calls, r.wall_ratio / r.call_ratio)
        worst_model = max(worst_model, over)
        print(
            f"{name(r.schedule, r.memory):<16}{r.T:>6}{r.call_ratio:>10.2f}"
            f"{r.wall_ratio:>12.2f}{r.model_ratio:>11.2f}"
            f"{r.wall_ratio / r.call_ratio:>12.2f}{over:>+10.1%}"
        )
    big = cost(T, "constant").step_calls
    print(f"(constant timed at T = {T_CONSTANT}; at T = {T} it makes {big} calls)")
    ok_calls = worst_calls <= 1 + GOAL
    print(
        f"goal: wall ratio <= {1 + GOAL:.2f} x call ratio; worst {worst_calls:.2f}"
        f"  {'PASS' if ok_calls else 'MISS'}"
    )
    print(
        f"stricter: wall ratio <= predicted + {GOAL:.0%}; worst {worst_model:+.1%}"
        f"  {'PASS' if worst_model <= GOAL else 'MISS'}"
    )
    return ok_calls


def scaling_tables() -> bool:
    problems = {t: random_problem(t, *SCALE_SIZES) for t in SCALE_T}
    ok = True
    for schedule, memory in SCALE_RUNS:
        times = []
        for t in SCALE_T:

            def run(t=t, schedule=schedule, memory=memory):
                bptt(*problems[t], schedule, memory)

            times.append(best_time(run, SCALE_REPEATS))
        calls = [cost(t, schedule, memory).step_calls for t in SCALE_T]
        counted = [math.log2(b / a) for a, b in zip(calls, calls[1:], strict=False)]
        N, D, Hd = SCALE_SIZES
        ok &= doubling_table(
            f"\n{name(schedule, memory)}: CPU time as T doubles, N={N}, D={D}, "
            f"Hd={Hd}, fastest of {SCALE_REPEATS}; expected = log2 of the "
            "step-call ratio",
            "T",
            SCALE_T,
            times,
            exponent=round(sum(counted) / len(counted), 2),
            slack=SCALE_SLACK,
            expected=counted,
        )
    return ok


def main() -> int:
    start = time.perf_counter()
    ok_mem = memory_table()
    print(f"goal: held <= measured <= bound  {'PASS' if ok_mem else 'MISS'}")
    time_table()
    scaling_tables()
    print(f"({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
