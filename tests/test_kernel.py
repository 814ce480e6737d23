"""The project's kernel: installed for this interpreter, user settings pinned."""

import os
import subprocess
import sys

import matplotlib

from nnlab import kernel

ROOT = kernel.Path(__file__).resolve().parents[1]


def test_kernel_runs_this_environment_with_pinned_settings():
    spec = kernel.kernel_json()
    assert spec["argv"][:3] == [sys.executable, "-m", "ipykernel_launcher"]
    assert spec["env"]["MATPLOTLIBRC"] == str(kernel.MATPLOTLIBRC)
    assert {spec["env"][v] for v in kernel.THREAD_VARIABLES} == {"1"}
    assert "OPENBLAS_CORETYPE" not in spec["env"]


def test_make_installed_the_kernel_for_this_interpreter():
    python = kernel.installed_python()
    assert python is not None, "no 'nnlab' kernel: run `make` or python -m nnlab.kernel"
    assert os.path.samefile(python, sys.executable), (python, sys.executable)


def test_the_pinned_matplotlibrc_gives_matplotlibs_defaults():
    # the values nbval sees in "<Figure size WxH ...>" come from figure.dpi
    rc = matplotlib.rc_params_from_file(str(kernel.MATPLOTLIBRC))
    default = matplotlib.rcParamsDefault
    assert rc["figure.dpi"] == default["figure.dpi"] == 100
    assert rc["savefig.dpi"] == default["savefig.dpi"] == "figure"


def test_a_users_matplotlibrc_cannot_fail_a_notebook(tmp_path):
    """A personal `figure.dpi: 150` changes every stored "<Figure size ...>".

    The tour prints such lines; under nbval in the nnlab kernel it must still
    pass with that setting in the user's matplotlib config folder.
    """
    config = tmp_path / "mplconfig"
    config.mkdir()
    (config / "matplotlibrc").write_text("figure.dpi: 150\n")
    env = dict(os.environ, MPLCONFIGDIR=str(config))
    # first show the setting is seen at all: outside the kernel it applies
    seen = subprocess.run(
        [
            sys.executable,
            "-c",
            "import matplotlib as m; print(m.rcParams['figure.dpi'])",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert seen.stdout.strip() == "150.0"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "notebooks/00_tour.ipynb",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-3000:]
