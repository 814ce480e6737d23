"""2D RNN module against a 3x3 convolution: wall time next to FLOPs.

Forward + backward of `nnlab.p6_rnn2d.rnn2d` (one-way, Hd = C) and of
`nnlab.layers.conv2d_*` (3x3, C -> C, 'same'), both (N, H, W, C) -> (N, H, W, C)
in float64, median of several repeats in one run. The FLOP ratio is the
formula that tests/test_p6_rnn2d.py checks against the counted matmuls.

Goal: the module turns at least half of its FLOP saving into time, i.e.
time ratio <= 2 x FLOP ratio. Its H + W dependent steps are what can stop it.

One BLAS thread unless OPENBLAS_NUM_THREADS is set: on a small shared machine
a threaded product waits for a free core and the times swing wildly.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from nnlab.p6_rnn2d import costs, timing  # noqa: E402

N, H, W, C = 16, 32, 32, 64
REPEATS = 7


def main() -> int:
    times = timing.time_forward_backward(N, H, W, C, repeats=REPEATS)
    flops_rnn = sum(costs.rnn2d_flops(N, H, W, C, C))
    flops_conv = sum(costs.conv_flops(N, H, W, C, C))
    t_ratio = times["rnn2d"] / times["conv2d"]
    f_ratio = flops_rnn / flops_conv
    goal = 2 * f_ratio
    print(
        f"rnn2d vs conv2d 3x3, forward + backward, N={N} {H}x{W}x{C}, float64, "
        f"median of {REPEATS}, BLAS threads {os.environ['OPENBLAS_NUM_THREADS']}"
    )
    print(f"{'':8s} {'ms':>8s} {'GFLOP':>8s} {'GFLOP/s':>8s}")
    for name, t, f in (
        ("rnn2d", times["rnn2d"], flops_rnn),
        ("conv2d", times["conv2d"], flops_conv),
    ):
        print(f"{name:8s} {1e3 * t:8.1f} {f / 1e9:8.3f} {f / t / 1e9:8.1f}")
    print(f"time ratio {t_ratio:.3f}   FLOP ratio {f_ratio:.3f}")
    print(f"dependent steps: rnn2d {2 * (H + W)} (forward + backward), conv2d 2")
    verdict = "PASS" if t_ratio <= goal else "MISS"
    print(f"goal: time ratio <= 2 x FLOP ratio = {goal:.3f}: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
