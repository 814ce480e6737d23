"""Gradient check of the receptive fields of VGG-16 at 224x224x3 (issue 16).

`nnlab.p1_cnn.receptive.check_fields` back-propagates a unit gradient from
every diagonal location of every row of VGG-16's convolutional part (31
rows, 2,149 locations) through a one-channel positive-weight copy of the
network, in chunks that fit a memory cap, and compares the support with the
exact geometric fields. Reports mismatches, wall time and peak memory
(Python allocations by tracemalloc, and the process's peak resident set).
Goal: under 2 GiB and under 2 minutes on 2 cores.

    .venv/bin/python benchmarks/bench_p1_fields.py
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import resource  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

from nnlab.p1_cnn.presets import IMAGENET_INPUT, vgg16  # noqa: E402
from nnlab.p1_cnn.receptive import check_fields, probe_bytes  # noqa: E402

CAP = 1 << 30  # bytes for the probe chunks


def main() -> None:
    """Run the check once and print what it cost."""
    features = vgg16()[:31]  # up to pool5: the rows the kernels run
    per_loc = probe_bytes(features, IMAGENET_INPUT)
    tracemalloc.start()
    start = time.perf_counter()
    checks = check_fields(features, IMAGENET_INPUT, max_bytes=CAP)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    locations = sum(c.locations for c in checks)
    mismatches = sum(c.mismatches for c in checks)
    print(f"VGG-16 features at {IMAGENET_INPUT}: {len(checks)} rows, {locations:,}")
    print(
        f"locations, {per_loc / 2**20:.1f} MiB a location, chunks of {CAP // per_loc}"
    )
    print(f"mismatched pixels: {mismatches}")
    print(
        f"time {seconds:.1f} s; peak numpy/Python allocations {peak / 2**30:.2f} GiB;"
    )
    print(f"peak resident set {rss:.2f} GiB (goal < 2 GiB, < 120 s)")


if __name__ == "__main__":
    main()
