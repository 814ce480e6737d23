"""The project's own plumbing: dependency lists, notebooks stored executed."""

import json
import re
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _name(requirement: str) -> str:
    """Package name of a requirement string, normalised as pip does."""
    name = re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_packages() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    return {_name(r) for r in reqs}


def lock_pins() -> dict[str, set[str]]:
    """Package name -> the exact versions the lock file pins for it.

    A universal lock may pin one package twice, once per Python range.
    """
    pins: dict[str, set[str]] = {}
    for line in (ROOT / "requirements-lock.txt").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        requirement = line.split(";")[0].strip()
        assert "==" in requirement, f"lock line without an exact version: {line!r}"
        name, version = requirement.split("==")
        pins.setdefault(_name(name), set()).add(version.strip())
    return pins


def test_the_lock_pins_every_dependency_of_pyproject():
    missing = pyproject_packages() - set(lock_pins())
    assert not missing, f"not in requirements-lock.txt: {sorted(missing)}; `make lock`"


def test_the_lock_is_generated_from_pyproject():
    header = (ROOT / "requirements-lock.txt").read_text().splitlines()[:2]
    assert "uv pip compile pyproject.toml --extra dev --universal" in header[1]


def test_conda_installs_the_lock_and_nothing_else():
    """environment.yml: Python and pip from conda, every package from the lock."""
    lines = [
        line.strip()
        for line in (ROOT / "environment.yml").read_text().splitlines()
        if line.strip().startswith("- ")
    ]
    assert lines == [
        "- conda-forge",
        "- python=3.11",
        "- pip",
        "- pip:",
        "- -r requirements-lock.txt",
        "- -e .",
    ]


def test_make_installs_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    assert "LOCK := requirements-lock.txt" in makefile
    assert "pip install --quiet -r $(LOCK)" in makefile
    assert "--no-deps -e ." in makefile


def test_requirement_names_are_parsed():
    assert _name("numpy>=1.24") == "numpy"
    assert _name("jupyter_server_mathjax") == "jupyter-server-mathjax"
    assert _name("playwright ; python_version>'3'") == "playwright"


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS][:1] == ["00_tour.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_executed_top_to_bottom(path):
    nb = json.loads(path.read_text())
    counts = [
        c.get("execution_count")
        for c in nb["cells"]
        if c["cell_type"] == "code" and "".join(c["source"]).strip()
    ]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts}; run `make notebooks`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_outputs_have_no_errors_or_warnings(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{path.name} cell {i}: error"
            if out.get("name") == "stderr":
                text = "".join(out.get("text", ""))
                raise AssertionError(f"{path.name} cell {i} wrote to stderr: {text}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_one_key_figure_and_a_checked_answers_section(path):
    nb = json.loads(path.read_text())
    tagged = [
        c for c in nb["cells"] if "key-figure" in c.get("metadata", {}).get("tags", [])
    ]
    assert len(tagged) == 1, f"{path.name}: {len(tagged)} cells tagged key-figure"
    if path.name.startswith("00_"):
        return
    headings = "".join(
        "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"
    )
    assert "Common answers, checked" in headings
    assert "Summary" in headings


# Longest output line a notebook may print (issue 14): prose is rendered
# Markdown (nnlab.views.prose), whose plain-text form wraps at this width too.
OUTPUT_WIDTH = 100


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_printed_output_line_is_longer_than_100_characters(path):
    nb = json.loads(path.read_text())
    long = []
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                text = "".join(out["text"])
            else:
                data = out.get("data", {})
                if "text/html" in data or "text/markdown" in data:
                    continue  # rendered: the browser wraps it
                text = "".join(data.get("text/plain", ""))
            long += [
                f"cell {i}: {len(line)} chars: {line[:60]}..."
                for line in text.splitlines()
                if len(line) > OUTPUT_WIDTH
            ]
    assert long == [], f"{path.name}: " + "\n".join(long)
