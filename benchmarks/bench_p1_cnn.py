"""GEMM efficiency of conv2d forward + backward on the Problem 1 layers.

For each conv layer of the Problem 1 network at batch 32, float32, time
`conv2d_forward` + `conv2d_backward` and the three plain numpy matmuls that
hold the same multiply-adds on ready-made contiguous operands:
``(M, K^2 C) @ (K^2 C, F)`` (forward), its transpose products for dw and for
the input gradient. The ratio matmul time / conv time is the fraction of
GEMM speed the kernels keep after im2col, padding, bias and col2im.
Goal: at least 0.6 over the whole network (sum of times).

BLAS runs single-threaded (unless OPENBLAS_NUM_THREADS is already set): on
the shared 2-core machine multi-threaded OpenBLAS stalls unpredictably on
these small products, and both sides of the ratio use the same BLAS.
Conv and matmul are timed alternately so that load from other processes
falls on both.

    .venv/bin/python benchmarks/bench_p1_cnn.py
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

from nnlab.layers import conv2d_backward, conv2d_forward  # noqa: E402
from nnlab.p1_cnn.specs import PROBLEM1_INPUT, Conv, problem1_layers  # noqa: E402
from nnlab.p1_cnn.summary import layer_table  # noqa: E402

N = 32
REPEATS = 9
GOAL = 0.6


def conv_cases():
    """(name, x shape, w shape) of every conv of the Problem 1 network."""
    layers = problem1_layers()
    rows = layer_table(layers, PROBLEM1_INPUT).rows
    shape_in = PROBLEM1_INPUT
    for spec, row in zip(layers, rows, strict=True):
        if isinstance(spec, Conv):
            H, W, C = shape_in
            yield row.name, (N, H, W, C), (spec.kernel, spec.kernel, C, spec.filters)
        shape_in = row.shape


def time_layer(x_shape, w_shape, rng) -> tuple[float, float]:
    """Median seconds of conv forward+backward and of the matched matmuls."""
    x = rng.standard_normal(x_shape, dtype=np.float32)
    w = rng.standard_normal(w_shape, dtype=np.float32)
    b = rng.standard_normal(w_shape[3], dtype=np.float32)
    K, _, C, F = w_shape
    M = x_shape[0] * x_shape[1] * x_shape[2]  # stride 1, "same" padding
    a = rng.standard_normal((M, K * K * C), dtype=np.float32)
    wm = rng.standard_normal((K * K * C, F), dtype=np.float32)
    d = rng.standard_normal((M, F), dtype=np.float32)
    dout = rng.standard_normal((*x_shape[:3], F), dtype=np.float32)

    def conv():
        _, cache = conv2d_forward(x, w, b)
        conv2d_backward(dout, cache)

    def gemm():
        a @ wm  # forward
        a.T @ d  # dw
        d @ wm.T  # input gradient, before col2im

    conv(), gemm()  # warm-up
    t_conv, t_gemm = [], []
    for _ in range(REPEATS):
        for fn, times in ((conv, t_conv), (gemm, t_gemm)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return float(np.median(t_conv)), float(np.median(t_gemm))


def main() -> int:
    rng = np.random.default_rng(0)
    threads = os.environ["OPENBLAS_NUM_THREADS"]
    print(
        f"conv2d forward+backward vs matmuls with the same multiply-adds, "
        f"batch {N}, float32, median of {REPEATS}, BLAS threads {threads}"
    )
    head = f"{'layer':<18} {'input':>12} {'GFLOP':>6} {'conv ms':>8} {'gemm ms':>8}"
    print(f"{head} {'ratio':>6}")
    total_conv = total_gemm = 0.0
    for name, x_shape, w_shape in conv_cases():
        t_conv, t_gemm = time_layer(x_shape, w_shape, rng)
        K, _, C, F = w_shape
        gflop = 3 * 2 * x_shape[0] * x_shape[1] * x_shape[2] * K * K * C * F / 1e9
        total_conv += t_conv
        total_gemm += t_gemm
        shape = "x".join(map(str, x_shape[1:]))
        print(
            f"{name:<18} {shape:>12} {gflop:>6.3f} {1e3 * t_conv:>8.2f} "
            f"{1e3 * t_gemm:>8.2f} {t_gemm / t_conv:>6.2f}"
        )
    ratio = total_gemm / total_conv
    print(
        f"{'network':<18} {'':>12} {'':>6} {1e3 * total_conv:>8.2f} "
        f"{1e3 * total_gemm:>8.2f} {ratio:>6.2f}"
    )
    verdict = "PASS" if ratio >= GOAL else "MISS"
    print(
        f"goal: GEMM efficiency >= {GOAL} over the network; got {ratio:.2f}: {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
