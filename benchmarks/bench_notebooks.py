"""Notebook execution time: each notebook, and the nbval run of all of them.

Goal (issue 18, item 3): every notebook executes in at most `GOAL_S`
seconds on 2 cores, and ``pytest --nbval notebooks/`` (the project's nbval
options from pyproject.toml) takes under `TOTAL_GOAL_S`.

Each notebook runs as ``python -m nnlab.execute`` runs it: nbclient, a
fresh ``nnlab`` kernel started in ``notebooks/``, every cell top to bottom;
the executed copy stays in memory and nothing is written (the tracked
notebooks and figures do not change). The time per notebook is the wall
time of the whole execution, kernel start and shutdown included, as nbval
pays it; beside it the CPU time of the kernel process (less disturbed by
other processes than the wall time) and the slowest cells. Then
``pytest --nbval notebooks/`` runs once as a subprocess and its wall time
is the total compared with `TOTAL_GOAL_S` (the sum of the single runs is
printed too; it leaves out nbval's own start-up and comparisons).

The machine may be shared: the load average is printed before and after,
and a MISS under load should be re-run before it is believed. BLAS runs
single-threaded, as in the ``nnlab`` kernel.

    .venv/bin/python benchmarks/bench_notebooks.py [NAME ...] [--no-nbval]

NAME selects notebooks as ``python -m nnlab.execute`` does (``02``); with a
NAME the nbval run covers only those notebooks.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import datetime  # noqa: E402

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from traitlets.config import Config  # noqa: E402

from nnlab.execute import ROOT, notebook_paths  # noqa: E402
from nnlab.kernel import KERNEL_NAME, installed_python  # noqa: E402

GOAL_S = 10.0
TOTAL_GOAL_S = 45.0
SLOWEST = 3  # cells listed a notebook
NOTEBOOK_LIMIT_S = 150  # a run that takes longer has hung


def load() -> str:
    """The 1-minute load average and the core count, for the report."""
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cell_seconds(cell) -> float:
    """Wall seconds a cell took in the kernel, from nbclient's timing record."""
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = datetime.fromisoformat
    return (
        parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))
    ).total_seconds()


def execute(path) -> tuple[float, float, list]:
    """Execute the notebook at `path` in memory; wall s, kernel CPU s, cells."""
    nb = nbformat.read(path, as_version=4)
    # The kernel is reached through socket files in a fresh folder, not TCP
    # ports: kernels started at the same moment by other processes on a
    # shared machine can pick the same free ports, and a run then waits for
    # replies that go elsewhere (seen here as runs hanging with an idle
    # kernel). The files cannot collide and stay out of the repository.
    with tempfile.TemporaryDirectory(prefix="bench-kernel-") as folder:
        ipc = {"transport": "ipc", "ip": os.path.join(folder, "kernel")}
        client = NotebookClient(
            nb,
            kernel_name=KERNEL_NAME,
            config=Config({"KernelManager": ipc}),
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            timeout=300,
            raise_on_iopub_timeout=True,
            record_timing=True,
            resources={"metadata": {"path": str(path.parent)}},
        )
        cpu = children_cpu()
        start = time.perf_counter()
        client.execute()
        wall = time.perf_counter() - start
    cells = [
        (cell_seconds(c), i) for i, c in enumerate(nb.cells) if c.cell_type == "code"
    ]
    return wall, children_cpu() - cpu, sorted(cells, reverse=True)[:SLOWEST]


def run_notebook(path) -> tuple[float, float, list]:
    """`execute` in a child process of its own, with a time limit.

    One process a notebook, so that the child's count of its finished
    children's CPU time holds exactly that notebook's kernel. A run that
    exceeds `NOTEBOOK_LIMIT_S` has hung (under heavy load nbclient has been
    seen to wait on an idle kernel for good): it is killed and run once
    more, and the table says so.
    """
    cmd = [sys.executable, __file__, "--one", str(path)]
    for _ in range(2):
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=NOTEBOOK_LIMIT_S
            )
        except subprocess.TimeoutExpired:
            print(f"{path.stem}: no end after {NOTEBOOK_LIMIT_S} s, run again")
            continue
        if proc.returncode:
            raise RuntimeError(f"{path.name} failed:\n{proc.stderr[-2000:]}")
        wall, cpu, cells = json.loads(proc.stdout.splitlines()[-1])
        return wall, cpu, cells
    raise RuntimeError(f"{path.name} hung twice")


def run_nbval(paths) -> tuple[float, int, str]:
    """Wall seconds, exit status and summary line of pytest --nbval on `paths`."""
    # pyproject's addopts give --nbval, the nnlab kernel, the sanitizer and
    # -p no:cacheprovider, so this run writes nothing into the repository
    cmd = [sys.executable, "-m", "pytest", "-q", *(str(p) for p in paths)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    return wall, proc.returncode, lines[-1] if lines else proc.stderr.strip()[-200:]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebooks (default: all)")
    parser.add_argument("--no-nbval", action="store_true", help="skip the nbval run")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # run_notebook's child
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(execute(notebook_paths([args.one])[0])))
        return 0
    if installed_python() is None:
        print(f"no '{KERNEL_NAME}' kernel installed: run `make` first")
        return 1
    paths = notebook_paths(args.names)
    print(f"each notebook in a fresh {KERNEL_NAME} kernel (nbclient, nothing written);")
    print(f"goal: <= {GOAL_S:.0f} s a notebook, nbval of all < {TOTAL_GOAL_S:.0f} s")
    print(f"before: {load()}")
    print(f"{'notebook':<44} {'wall s':>7} {'kernel CPU s':>12}  goal  slowest cells")
    total = 0.0
    for path in paths:
        wall, cpu, cells = run_notebook(path)
        total += wall
        slow = ", ".join(f"[{i}] {s:.1f} s" for s, i in cells)
        goal = verdict(wall <= GOAL_S)
        print(f"{path.stem:<44} {wall:7.1f} {cpu:12.1f}  {goal}  {slow}")
    print(f"{'sum of the runs above':<44} {total:7.1f}")
    print(f"after: {load()}")
    if args.no_nbval:
        return 0
    wall, status, summary = run_nbval(paths)
    print(
        f"pytest --nbval on {len(paths)} notebooks: {wall:.1f} s (goal < "
        f"{TOTAL_GOAL_S:.0f} s) {verdict(wall < TOTAL_GOAL_S and status == 0)}; "
        f"{summary}; {load()}"
    )
    if status:
        print(f"nbval failed (exit {status}): the times above are not a pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
