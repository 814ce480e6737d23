"""Re-executing notebooks: name resolution, deterministic ids and metadata."""

import base64
import hashlib
import json
import subprocess
import sys
import uuid

import nbformat
import pytest

from nnlab import execute
from nnlab.kernel import KERNEL_NAME

ROOT = execute.ROOT
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
STATE = execute.WIDGET_STATE


def _digests(paths):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_names_select_notebooks_by_number_stem_or_path():
    first = NOTEBOOKS[0]
    number = first.stem.split("_")[0]
    assert execute.notebook_paths([number]) == [first]
    assert execute.notebook_paths([first.stem]) == [first]
    assert execute.notebook_paths([first.name]) == [first]
    assert execute.notebook_paths([str(first)]) == [first.resolve()]
    assert execute.notebook_paths(None) == NOTEBOOKS


def test_an_unknown_name_lists_the_notebooks():
    with pytest.raises(ValueError, match="'99' matches 0 notebooks; give one of: 00_"):
        execute.notebook_paths(["99"])


def test_a_notebook_elsewhere_is_refused(tmp_path):
    stray = tmp_path / "04_x.ipynb"
    stray.write_text("{}")
    with pytest.raises(ValueError, match=r"04_x.ipynb' is not in .*notebooks"):
        execute.notebook_paths([str(stray)])


def test_cli_with_an_unknown_name_exits_nonzero_and_touches_nothing():
    tracked = NOTEBOOKS + sorted((ROOT / "figures").glob("*.png"))
    before = _digests(tracked)
    run = subprocess.run(
        [sys.executable, "-m", "nnlab.execute", "no_such_notebook"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 2
    assert "no_such_notebook" in run.stderr
    for p in NOTEBOOKS:
        assert p.stem in run.stderr
    assert _digests(tracked) == before


def _widget_notebook(ids):
    """A notebook whose saved widget state and outputs use the model `ids`."""
    state = {
        ids[0]: {"model_name": "IntSliderModel", "state": {"value": 1}},
        ids[1]: {
            "model_name": "VBoxModel",
            "state": {"children": [f"IPY_MODEL_{ids[0]}"]},
        },
    }
    nb = nbformat.v4.new_notebook(metadata={"widgets": {STATE: {"state": state}}})
    cell = nbformat.v4.new_code_cell("w", id="widget-cell")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                "application/vnd.jupyter.widget-view+json": {"model_id": ids[1]},
                "text/plain": "VBox()",
            },
        )
    ]
    nb.cells.append(cell)
    return nb


def test_widget_ids_are_derived_from_the_notebook_and_creation_order():
    run1 = _widget_notebook([uuid.uuid4().hex, uuid.uuid4().hex])
    run2 = _widget_notebook([uuid.uuid4().hex, uuid.uuid4().hex])
    out1 = execute.canonical_widget_ids(run1, "07_x")
    out2 = execute.canonical_widget_ids(run2, "07_x")
    assert nbformat.writes(out1) == nbformat.writes(out2)
    # the ids are uuid5 of "<stem>/<n>", computed here independently
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "nnlab.execute")
    first, second = (uuid.uuid5(namespace, f"07_x/{n}").hex for n in range(2))
    state = out1.metadata["widgets"][STATE]["state"]
    # (nbformat writes keys sorted, so the models are found by id, not order)
    assert sorted(state) == sorted([first, second])
    assert state[first]["model_name"] == "IntSliderModel"  # created first
    assert state[second]["model_name"] == "VBoxModel"
    # references between models and the view output follow the renaming
    assert state[second]["state"]["children"] == [f"IPY_MODEL_{first}"]
    view = out1.cells[0].outputs[0].data["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == second
    # another notebook gets other ids; the input is left as it was
    other = execute.canonical_widget_ids(run1, "08_y")
    assert first not in nbformat.writes(other)
    assert first not in nbformat.writes(run1)


def test_a_notebook_without_widgets_is_unchanged():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    assert nbformat.writes(execute.canonical_widget_ids(nb, "a")) == (
        nbformat.writes(nb)
    )


def test_metadata_is_fixed_whatever_machine_ran_it():
    nb = nbformat.v4.new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3"},
            "language_info": {"name": "python", "version": "3.12.1"},
        }
    )
    execute.normalize_metadata(nb)
    assert nb.metadata["kernelspec"]["name"] == KERNEL_NAME
    assert "version" not in nb.metadata["language_info"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_notebooks_carry_the_fixed_metadata(path):
    meta = json.loads(path.read_text())["metadata"]
    assert meta["kernelspec"] == {
        "display_name": "Python 3 (nnlab)",
        "language": "python",
        "name": "nnlab",
    }
    assert meta["language_info"] == execute.LANGUAGE_INFO


def test_key_figure_is_the_first_png_of_the_tagged_cell():
    png = b"\x89PNG fake"
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("1"),
            nbformat.v4.new_code_cell("2", metadata={"tags": [execute.KEY_FIGURE_TAG]}),
        ]
    )
    nb.cells[1].outputs = [
        {"output_type": "stream", "name": "stdout", "text": "x"},
        {
            "output_type": "display_data",
            "data": {"image/png": base64.b64encode(png).decode()},
            "metadata": {},
        },
    ]
    assert execute.key_figure(nb) == png
    nb.cells[1].metadata = {}
    assert execute.key_figure(nb) is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_figures_folder_holds_each_stored_key_figure(path):
    nb = nbformat.read(path, as_version=4)
    stored = (ROOT / "figures" / f"{path.stem}.png").read_bytes()
    assert execute.key_figure(nb) == stored, (
        f"figures/{path.stem}.png differs from the notebook's key figure: "
        f"run `make notebooks NB={path.stem.split('_')[0]}`"
    )


def test_consecutive_streams_are_joined():
    cell = nbformat.v4.new_code_cell("print(...)", id="c")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="a\n"),
        nbformat.v4.new_output("stream", name="stdout", text="b\n"),
        nbformat.v4.new_output("stream", name="stderr", text="w\n"),
        nbformat.v4.new_output("stream", name="stdout", text="c\n"),
    ]
    nb = nbformat.v4.new_notebook(cells=[cell])
    execute.join_streams(nb)
    assert [(o.name, o.text) for o in nb.cells[0].outputs] == [
        ("stdout", "a\nb\n"),
        ("stderr", "w\n"),
        ("stdout", "c\n"),
    ]


def _timing_notebook(source, text):
    cell = nbformat.v4.new_code_cell(
        source, id="t", metadata={"tags": ["nbval-ignore-output", "timing"]}
    )
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    plain = nbformat.v4.new_code_cell("1", id="p")
    plain.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    return nbformat.v4.new_notebook(cells=[cell, plain])


def test_timing_cells_keep_their_stored_wall_times():
    stored = _timing_notebook("time_it()", "1.23 ms\n")
    fresh = _timing_notebook("time_it()", "1.31 ms\n")
    assert execute.keep_timings(fresh, stored) == [0]
    assert fresh.cells[0].outputs[0].text == "1.23 ms\n"
    # an untagged cell always shows the new run
    assert fresh.cells[1].outputs[0].text == "1.31 ms\n"


def test_an_edited_timing_cell_is_measured_again():
    stored = _timing_notebook("time_it()", "1.23 ms\n")
    fresh = _timing_notebook("time_it(n=2)", "2.50 ms\n")
    assert execute.keep_timings(fresh, stored) == []
    assert fresh.cells[0].outputs[0].text == "2.50 ms\n"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_timing_cells_are_not_compared(path):
    for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if execute.TIMING_TAG in tags:
            assert "nbval-ignore-output" in tags, f"{path.name} cell {i}"
            assert cell.source.lstrip().startswith("#"), (
                f"{path.name} cell {i}: say in a first-line comment why it varies"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_ignored_cell_says_why(path):
    for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if "nbval-ignore-output" in cell.get("metadata", {}).get("tags", []):
            first = cell.source.lstrip().splitlines()[0]
            assert first.startswith("#") and len(first) > 10, (
                f"{path.name} cell {i}: start with a comment saying why its "
                "output is not compared"
            )


def test_widget_state_numbers_are_written_as_javascript_writes_them():
    # JSON.stringify(1.0) is "1": a stored "1.0" would change on every save.
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {
        STATE: {"state": {"a": {"state": {"min": -13.0, "step": 0.5, "n": 3}}}}
    }
    execute.js_widget_state(nb)
    text = nbformat.writes(nb)
    assert '"min": -13,' in text
    assert '"step": 0.5' in text


def test_widget_outputs_say_how_to_use_them_in_plain_text():
    nb = nbformat.v4.new_notebook()
    out = nbformat.v4.new_output(
        "display_data",
        data={
            execute.WIDGET_VIEW: {"model_id": "x", "version_major": 2},
            "text/plain": "VBox(children=(HBox(children=(FloatSlider(...",
        },
    )
    nb.cells.append(nbformat.v4.new_code_cell("w", outputs=[out]))
    execute.widget_placeholders(nb)
    data = nb.cells[0].outputs[0].data
    assert data["text/plain"] == execute.WIDGET_PLACEHOLDER
    assert "Run All Cells" in data["text/plain"]
    assert data[execute.WIDGET_VIEW]["model_id"] == "x"
