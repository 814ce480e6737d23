"""Wall time of each BPTT schedule over store_all, against its step-call ratio.

At T = 1024, N = 32, D = 64, Hd = 128, float64, each schedule's median time
over `REPEATS` runs (alternating with store_all so that load from other
processes falls on both) is divided by store_all's, beside

- the step-call ratio, step_calls / T (the issue's yardstick), and
- the ratio a pure count predicts: store_all's time plus the extra
  (calls - T) forward steps at the measured time t_f of one step. Every
  schedule runs the same T backward steps, so its wall ratio is expected
  *below* its call ratio.

Goal (issue 7): bookkeeping adds at most 10% beyond the step-call ratio,
i.e. wall ratio <= 1.10 x call ratio. Because that bound is loose (the
backward steps dilute the ratio), the stricter check wall / predicted - 1
<= 10% is printed too; a negative overhead means the schedule's own
bookkeeping costs less than store_all's (which keeps T tapes).

The constant schedule at T = 1024 makes 524,800 step calls (~10 s a run),
so it alone is timed at T = `T_CONSTANT` (with its own store_all).

BLAS runs single-threaded (unless OPENBLAS_NUM_THREADS is set): the machine
is shared and both sides of every ratio use the same BLAS.

    .venv/bin/python benchmarks/bench_p5_bptt.py
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time  # noqa: E402

from nnlab.p5_bptt.costs import bisect_cost  # noqa: E402
from nnlab.p5_bptt.measure import time_ratios  # noqa: E402

T, N, D, HD = 1024, 32, 64, 128
T_CONSTANT = 128
REPEATS = 5
GOAL = 0.10
LOG_SLOTS = bisect_cost(T).peak_states  # binomial with bisect's memory


def main() -> int:
    start = time.perf_counter()
    runs = [("sqrt", None), ("bisect", None), ("binomial", LOG_SLOTS), ("binomial", 32)]
    rows = time_ratios(T, N, D, HD, runs, REPEATS)
    rows += time_ratios(T_CONSTANT, N, D, HD, [("constant", None)], REPEATS)
    print(f"BPTT schedules over store_all, N={N}, D={D}, Hd={HD}, median of {REPEATS}")
    head = (
        f"{'schedule':<16}{'T':>6}{'calls/T':>10}{'wall ratio':>12}"
        f"{'predicted':>11}{'wall/calls':>12}{'overhead':>10}"
    )
    print(head)
    print("-" * len(head))
    worst_calls, worst_model = 0.0, -1.0
    for r in rows:
        name = r.schedule + (f"({r.slots})" if r.slots else "")
        over = r.wall_ratio / r.model_ratio - 1
        worst_calls = max(worst_calls, r.wall_ratio / r.call_ratio)
        worst_model = max(worst_model, over)
        print(
            f"{name:<16}{r.T:>6}{r.call_ratio:>10.2f}{r.wall_ratio:>12.2f}"
            f"{r.model_ratio:>11.2f}{r.wall_ratio / r.call_ratio:>12.2f}{over:>+10.1%}"
        )
    big = T * (T + 1) // 2
    print(f"(constant timed at T = {T_CONSTANT}; at T = {T} it makes {big} calls)")
    ok_calls = worst_calls <= 1 + GOAL
    ok_model = worst_model <= GOAL
    print(
        f"goal: wall ratio <= {1 + GOAL:.2f} x call ratio; worst {worst_calls:.2f}"
        f"  {'PASS' if ok_calls else 'MISS'}"
    )
    print(
        f"stricter: wall ratio <= predicted + {GOAL:.0%}; worst {worst_model:+.1%}"
        f"  {'PASS' if ok_model else 'MISS'}"
    )
    print(f"({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
