"""Causal sequence normalization, forward + backward, as T grows (D = 64).

Both passes are prefix / reverse-prefix sums, so the time should grow
linearly in T: the goal is a time ratio of at most 5 per 4x of T.

    .venv/bin/python benchmarks/bench_seqnorm.py
"""

from __future__ import annotations

import time

import numpy as np

from nnlab.p4_seqnorm.seqnorm import seqnorm_backward, seqnorm_forward

D = 64
LENGTHS = (1_000, 4_000, 16_000)
REPEATS = 7
GOAL = 5.0


def forward_backward(x, gamma, beta, dout):
    _, cache = seqnorm_forward(x, gamma, beta, causal=True)
    return seqnorm_backward(dout, cache)


def median_time(T: int, rng) -> float:
    x = 1e4 + rng.standard_normal((T, D))
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)
    dout = rng.standard_normal((T, D))
    forward_backward(x, gamma, beta, dout)  # warm-up
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        forward_backward(x, gamma, beta, dout)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> int:
    rng = np.random.default_rng(0)
    times = [median_time(T, rng) for T in LENGTHS]
    print(f"causal seqnorm forward+backward, D = {D}, median of {REPEATS}")
    print(f"{'T':>7} {'time (ms)':>10} {'ratio per 4x T':>15}")
    ratios = []
    for i, (T, t) in enumerate(zip(LENGTHS, times, strict=True)):
        ratio = "" if i == 0 else f"{t / times[i - 1]:.2f}"
        if i:
            ratios.append(t / times[i - 1])
        print(f"{T:>7} {1e3 * t:>10.2f} {ratio:>15}")
    worst = max(ratios)
    verdict = "PASS" if worst <= GOAL else "MISS"
    print(
        f"goal: ratio <= {GOAL:.0f} per 4x of T (linear is 4); worst {worst:.2f}: "
        f"{verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
