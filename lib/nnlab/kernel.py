r"""The project's Jupyter kernel: this environment's Python, pinned settings.

``python -m nnlab.kernel`` (run by ``make``) installs a kernelspec named
``nnlab`` into ``sys.prefix``, so that JupyterLab, nbval and
``python -m nnlab.execute`` all run the notebooks with the interpreter that
has nnlab installed, never a ``python3`` kernelspec that may point elsewhere.

The kernel fixes what a user's own settings could otherwise change in a
notebook's printed output:

- it starts with ``matplotlib.rcdefaults()``, so no ``matplotlibrc`` (the
  user's, ``$MATPLOTLIBRC``'s, or one beside the notebook, which matplotlib
  reads first) can change the ``<Figure size 640x360 ...>`` lines that nbval
  compares, e.g. with a personal ``figure.dpi: 150``;
- ``MPLBACKEND`` names the inline backend, so a ``MPLBACKEND=Agg`` in the
  user's shell cannot swallow the figures;
- one BLAS thread (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``,
  ``MKL_NUM_THREADS``): on a shared 2-core machine a second thread waits for
  a free core on every call;
- glibc's malloc keeps freed memory instead of handing it back at once
  (``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_``, `MALLOC_VARIABLES`).
  By default a block of 128 KiB or more is a fresh ``mmap`` and is unmapped
  when freed, so every temporary array of that size (a 500 x 64 float64
  activation is 250 KiB) pays page faults on first touch, thousands of times
  in a training loop (glibc raises its threshold after the first such free,
  but still trims the heap's top); with both thresholds at 64 MiB the heap
  reuses the pages (Problem 2's study ran 8 % faster, Problem 4's
  `leak_study` 25 %, each in a fresh process). Only the speed changes,
  never a result; a C library other than glibc ignores the variables.
- its ``language_info`` carries no interpreter version
  (`nnlab.kernel_app`), so a notebook opened and saved in JupyterLab is
  written back unchanged on any machine.

Which BLAS kernel runs (``OPENBLAS_CORETYPE``) is left to the caller: the
tests run the notebooks under several to show that their output does not
depend on it.

References
----------
Jupyter client documentation, "Kernel specs":
https://jupyter-client.readthedocs.io/en/stable/kernels.html#kernel-specs
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

KERNEL_NAME = "nnlab"
DISPLAY_NAME = "Python 3 (nnlab)"
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
#: Run in the kernel before any cell: matplotlib's own defaults, whatever
#: matplotlibrc files exist (the backend is not part of rcdefaults).
STARTUP = "import matplotlib; matplotlib.rcdefaults()"
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
#: glibc malloc settings (bytes): blocks below the first come from the heap,
#: not a fresh mmap; free memory up to the second stays in the heap.
MALLOC_VARIABLES = {
    "MALLOC_MMAP_THRESHOLD_": str(64 * 2**20),
    "MALLOC_TRIM_THRESHOLD_": str(64 * 2**20),
}
#: IPython's kernel reporting no interpreter version in ``language_info``, so
#: that opening and saving a notebook in JupyterLab changes nothing.
KERNEL_CLASS = "nnlab.kernel_app.NnlabKernel"

#: The kernelspec a notebook's metadata names; stored notebooks carry exactly
#: this, whatever machine executed them.
NOTEBOOK_KERNELSPEC = {
    "display_name": DISPLAY_NAME,
    "language": "python",
    "name": KERNEL_NAME,
}


def kernel_env() -> dict[str, str]:
    """Environment variables the kernel starts with (see the module doc)."""
    env = {"MPLBACKEND": INLINE_BACKEND}
    env.update(dict.fromkeys(THREAD_VARIABLES, "1"))
    env.update(MALLOC_VARIABLES)
    return env


def kernel_json(python: str | None = None) -> dict:
    """Return the ``kernel.json`` of the nnlab kernel for interpreter `python`."""
    return {
        "argv": [
            python or sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            f"--IPKernelApp.exec_lines={STARTUP}",
            f"--IPKernelApp.kernel_class={KERNEL_CLASS}",
        ],
        "display_name": DISPLAY_NAME,
        "language": "python",
        "env": kernel_env(),
        "metadata": {"debugger": True},
    }


def install(prefix: str | None = None) -> Path:
    """Install the ``nnlab`` kernelspec under `prefix` (default ``sys.prefix``).

    Returns
    -------
    pathlib.Path
        The folder that holds the installed ``kernel.json``.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "kernel.json").write_text(
            json.dumps(kernel_json(), indent=1) + "\n", encoding="utf-8"
        )
        where = KernelSpecManager().install_kernel_spec(
            tmp, KERNEL_NAME, prefix=prefix or sys.prefix
        )
    return Path(where)


def installed_python() -> str | None:
    """Interpreter of the installed ``nnlab`` kernelspec, or None if absent."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        return None
    return spec.argv[0]


def main() -> int:
    """Install the kernelspec (``python -m nnlab.kernel``) and say where; return 0."""
    where = install()
    print(f"kernel '{KERNEL_NAME}' ({sys.executable}) installed in {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
