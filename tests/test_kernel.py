"""The project's kernel: installed for this interpreter, user settings pinned."""

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from nnlab import kernel

ROOT = kernel.Path(__file__).resolve().parents[1]
TOUR = ROOT / "notebooks" / "00_tour.ipynb"


def test_kernel_runs_this_environment_with_pinned_settings():
    spec = kernel.kernel_json()
    assert spec["argv"][:3] == [sys.executable, "-m", "ipykernel_launcher"]
    assert f"--IPKernelApp.exec_lines={kernel.STARTUP}" in spec["argv"]
    assert spec["env"]["MPLBACKEND"] == "module://matplotlib_inline.backend_inline"
    assert {spec["env"][v] for v in kernel.THREAD_VARIABLES} == {"1"}
    assert "OPENBLAS_CORETYPE" not in spec["env"]
    # glibc reads these as byte counts: 64 MiB, written out in digits
    assert {spec["env"][v] for v in kernel.MALLOC_VARIABLES} == {"67108864"}


def test_make_installed_the_kernel_for_this_interpreter():
    python = kernel.installed_python()
    assert python is not None, "no 'nnlab' kernel: run `make` or python -m nnlab.kernel"
    assert os.path.samefile(python, sys.executable), (python, sys.executable)


def _mplconfig(tmp_path):
    config = tmp_path / "mplconfig"
    config.mkdir()
    (config / "matplotlibrc").write_text("figure.dpi: 150\n")
    return {"MPLCONFIGDIR": str(config)}


def _agg(tmp_path):
    return {"MPLBACKEND": "Agg"}


def _beside_the_notebook(tmp_path):
    # matplotlib reads ./matplotlibrc before any other: the kernel's cwd is
    # the notebook's folder, so this one would apply to the notebook
    (tmp_path / "matplotlibrc").write_text("figure.dpi: 150\n")
    return {}


def _mplconfig_and_agg(tmp_path):
    # one run for two settings that cannot mask each other: the backend
    # comes from the environment, the dpi from the config folder's rc file
    return {**_mplconfig(tmp_path), **_agg(tmp_path)}


SETTINGS = {
    "MPLCONFIGDIR dpi 150 and MPLBACKEND=Agg": _mplconfig_and_agg,
    "matplotlibrc beside it": _beside_the_notebook,
}
FROM_NOTEBOOKS = "pytest from notebooks/"


def _tour_command(tmp_path, setting):
    """(argv, env, cwd) of an nbval run of a copy of the tour under `setting`."""
    env = dict(os.environ, **setting(tmp_path))
    notebook = tmp_path / TOUR.name
    shutil.copyfile(TOUR, notebook)
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-c",
        str(ROOT / "pyproject.toml"),
        f"--rootdir={ROOT}",
        str(notebook),
    ]
    return argv, env, ROOT


@pytest.fixture(scope="module")
def tour_runs(tmp_path_factory):
    """Each nbval run of the tour below, two at a time: name -> CompletedProcess.

    The runs are independent processes, each with its own kernel, so running
    them side by side on two cores checks the same things in half the time.
    """
    commands = {
        name: _tour_command(tmp_path_factory.mktemp("tour"), setting)
        for name, setting in SETTINGS.items()
    }
    commands[FROM_NOTEBOOKS] = (
        [sys.executable, "-m", "pytest", "-q", TOUR.name],
        None,
        TOUR.parent,
    )

    def run(command):
        argv, env, cwd = command
        return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(zip(commands, pool.map(run, commands.values()), strict=True))
    return done


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_a_users_matplotlib_settings_cannot_fail_a_notebook(setting, tour_runs):
    """Each of these fails the tour under a plain python kernel (shown when
    the kernel was written: a personal `figure.dpi: 150` changes every stored
    "<Figure size ...>", and Agg drops the figures); in the nnlab kernel the
    tour still passes under nbval."""
    run = tour_runs[setting]
    assert run.returncode == 0, run.stdout[-3000:]


def test_plain_pytest_works_from_another_folder(tour_runs):
    """The sanitizer path in pyproject's addopts is resolved from the rootdir,
    so `cd notebooks && pytest 00_tour.ipynb` works as it does from the top."""
    run = tour_runs[FROM_NOTEBOOKS]
    assert run.returncode == 0, run.stdout[-3000:]


def test_the_kernel_reports_what_execute_stores_as_language_info():
    # JupyterLab copies the kernel's language_info into a notebook it opens;
    # equal to the stored one, saving changes nothing (see test_lab).
    from jupyter_client.manager import start_new_kernel

    from nnlab.execute import LANGUAGE_INFO

    assert (
        f"--IPKernelApp.kernel_class={kernel.KERNEL_CLASS}"
        in (kernel.kernel_json()["argv"])
    )
    manager, client = start_new_kernel(kernel_name=kernel.KERNEL_NAME)
    try:
        reply = client.kernel_info(reply=True, timeout=60)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert reply["content"]["language_info"] == LANGUAGE_INFO


def test_the_kernel_class_only_drops_the_interpreter_version():
    from ipykernel.ipkernel import IPythonKernel

    from nnlab.kernel_app import NnlabKernel

    ours, theirs = NnlabKernel.language_info, dict(IPythonKernel.language_info)
    assert "version" in theirs
    del theirs["version"]
    assert ours == theirs
    assert issubclass(NnlabKernel, IPythonKernel)
    assert kernel.KERNEL_CLASS == f"{NnlabKernel.__module__}.{NnlabKernel.__name__}"
