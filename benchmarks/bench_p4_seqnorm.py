"""Causal sequence normalization, forward + backward, as T grows (D = 64).

Both passes are prefix / reverse-prefix sums, so the time should grow
linearly in T: a ratio of 2 per doubling, exponent 1 (issue 18 item 4),
from T = 1,000 to 64,000, each size the fastest of `REPEATS` runs in CPU
time of this process (`scaling.best_time`). The
first doubling is shown but left out of the verdict: at T = 1,000 fixed
per-call costs still show. At 64,000 the arrays (32 MB each) no longer fit
in cache, which a slack of 0.25 on the fitted exponent leaves room for.

    .venv/bin/python benchmarks/bench_p4_seqnorm.py
"""

from __future__ import annotations

import time

import numpy as np

from nnlab.p4_seqnorm.seqnorm import seqnorm_backward, seqnorm_forward
from scaling import best_time, doubling_table

D = 64
LENGTHS = tuple(1_000 * 2**k for k in range(7))  # 1,000 to 64,000
REPEATS = 5
SLACK = 0.25  # exponent 1.25 is a ratio of 2.38 per doubling


def forward_backward(x, gamma, beta, dout):
    _, cache = seqnorm_forward(x, gamma, beta, causal=True)
    return seqnorm_backward(dout, cache)


def main() -> int:
    start = time.perf_counter()
    rng = np.random.default_rng(0)
    times = []
    for T in LENGTHS:
        x = 1e4 + rng.standard_normal((T, D))
        gamma, beta = rng.standard_normal(D), rng.standard_normal(D)
        dout = rng.standard_normal((T, D))
        args = (x, gamma, beta, dout)
        times.append(best_time(lambda args=args: forward_backward(*args), REPEATS))
    doubling_table(
        f"causal seqnorm forward+backward, D = {D}, float64, fastest of {REPEATS}",
        "T",
        LENGTHS,
        times,
        exponent=1.0,
        slack=SLACK,
        skip=1,
    )
    print(f"({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
