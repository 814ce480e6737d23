r"""Re-execute notebooks and store their outputs: the maintainer's step.

``python -m nnlab.execute [NAME ...]`` (what ``make notebooks [NB=NAME]``
runs) executes each notebook top to bottom in a fresh ``nnlab`` kernel,
writes the outputs back into the ``.ipynb`` (the reference nbval compares
against) and saves the first image of the cell tagged ``key-figure`` to
``figures/<stem>.png`` for the README. A NAME is a notebook's number
(``04``), its stem or its path; with no NAME, every notebook runs.

Two runs in a row on one machine write the same bytes:

- widget model ids, random uuid4s in ipywidgets, are replaced by ids derived
  from the notebook's name and the order in which its widgets were created;
- the metadata is fixed: the ``nnlab`` kernelspec and a ``language_info``
  without the interpreter's version, whatever machine ran the notebook;
- numbers in the saved widget state are written as JupyterLab writes them
  (``1`` rather than ``1.0``), and each widget output's plain-text form is a
  one-line instruction rather than the widget's repr, so that opening and
  saving a notebook in JupyterLab changes nothing;
- no cell timings are recorded, and consecutive stream outputs are joined
  (the kernel flushes a long print in pieces where it happens to);
- a cell tagged ``timing`` prints or draws measurements that no two runs
  share (wall times; notebook 05's allocation peaks, which move by a
  fraction of a state): it keeps its stored output unless ``--measure``
  (``make notebooks MEASURE=1``) asks for new measurements. Such a cell is also tagged
  ``nbval-ignore-output`` and says in a comment that it is not compared.

Building the handouts (``python -m nnlab.book``) only reads what this
stores, so ``make handouts`` never touches a tracked file.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
import time
import uuid
from pathlib import Path

import nbformat

from nnlab.kernel import KERNEL_NAME, NOTEBOOK_KERNELSPEC

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
FIGURE_DIR = ROOT / "figures"
KEY_FIGURE_TAG = "key-figure"
TIMING_TAG = "timing"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
#: Fixed namespace for the widget ids (uuid5 of "nnlab.execute" in the URL
#: namespace); any constant would do, as long as it never changes.
WIDGET_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "nnlab.execute")
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}


def notebook_paths(names: list[str] | None = None) -> list[Path]:
    """Return the notebooks that `names` select, in order; every notebook if none.

    Parameters
    ----------
    names : list of str, optional
        Each a notebook's number (``"04"``), stem
        (``"04_sequence_normalization"``), file name or path.

    Raises
    ------
    ValueError
        If a name matches no notebook, or more than one (the message lists
        the notebook names), or is a path outside ``notebooks/``.
    """
    every = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    if not names:
        return every
    chosen = []
    for name in names:
        path = Path(name)
        if path.suffix == ".ipynb" and path.is_file():
            if path.resolve().parent != NOTEBOOK_DIR.resolve():
                raise ValueError(
                    f"notebook {name!r} is not in {NOTEBOOK_DIR}: only the "
                    "project's notebooks are stored (their key figures go to "
                    "figures/)"
                )
            chosen.append(path.resolve())
            continue
        stem = path.stem if path.suffix == ".ipynb" else name
        hits = [p for p in every if p.stem == stem or p.stem.split("_")[0] == stem]
        if len(hits) != 1:
            listing = ", ".join(p.stem for p in every)
            raise ValueError(
                f"notebook {name!r} matches {len(hits)} notebooks; "
                f"give one of: {listing} (or its number)"
            )
        chosen.append(hits[0])
    return chosen


def canonical_widget_ids(nb: nbformat.NotebookNode, stem: str) -> nbformat.NotebookNode:
    """`nb` with its random widget model ids replaced by ones from `stem`.

    The n-th model of the saved widget state (creation order, which a
    deterministic notebook repeats) gets ``uuid5(namespace, f"{stem}/{n}")``,
    everywhere it appears: the state itself, the references between models
    (``IPY_MODEL_<id>``) and the cells' widget-view outputs. `nb` itself is
    not changed.
    """
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    mapping = {
        old: uuid.uuid5(WIDGET_NAMESPACE, f"{stem}/{n}").hex
        for n, old in enumerate(state)
    }
    text = nbformat.writes(nb)
    if mapping:
        pattern = re.compile("|".join(re.escape(old) for old in mapping))
        text = pattern.sub(lambda m: mapping[m.group(0)], text)
    return nbformat.reads(text, as_version=4)


def _js_numbers(value):
    """`value` with integral floats as ints, as JavaScript's JSON writes them.

    JupyterLab saves the widget state through ``JSON.stringify``, which
    writes 1.0 as ``1``; stored as ``1.0`` it would change on every save.
    """
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _js_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_js_numbers(v) for v in value]
    return value


def js_widget_state(nb: nbformat.NotebookNode) -> None:
    """Write `nb`'s saved widget state as JupyterLab would save it."""
    widgets = nb.metadata.get("widgets", {})
    if WIDGET_STATE in widgets:
        widgets[WIDGET_STATE] = nbformat.from_dict(_js_numbers(widgets[WIDGET_STATE]))


#: What a widget output says where no widget can be drawn: in JupyterLab
#: before the cell has run, in a text-only viewer. (ipywidgets stores the
#: widget's repr, ``VBox(children=(HBox(...``, there.)
WIDGET_PLACEHOLDER = (
    "Interactive figure: run the notebook to use it (JupyterLab: Run > Run All Cells)."
)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def widget_placeholders(nb: nbformat.NotebookNode) -> None:
    """Replace each widget output's plain-text repr by `WIDGET_PLACEHOLDER`."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_VIEW in data:
                data["text/plain"] = WIDGET_PLACEHOLDER


def normalize_metadata(nb: nbformat.NotebookNode) -> None:
    """Give `nb` the fixed kernelspec and language_info (see the module doc)."""
    nb.metadata["kernelspec"] = dict(NOTEBOOK_KERNELSPEC)
    nb.metadata["language_info"] = json.loads(json.dumps(LANGUAGE_INFO))


def join_streams(nb: nbformat.NotebookNode) -> None:
    """Merge consecutive stream outputs of one name in every cell of `nb`."""
    for cell in nb.cells:
        joined = []
        for out in cell.get("outputs", []):
            last = joined[-1] if joined else None
            if (
                out.output_type == "stream"
                and last is not None
                and last.output_type == "stream"
                and last.name == out.name
            ):
                last.text += out.text
            else:
                joined.append(out)
        if "outputs" in cell:
            cell.outputs = joined


def keep_timings(nb: nbformat.NotebookNode, stored: nbformat.NotebookNode) -> list[int]:
    """Give `nb`'s ``timing`` cells the outputs `stored` has for them.

    A cell keeps its stored output only when `stored` has a cell with the
    same id and the same source that has outputs: a new or edited timing
    cell is measured. Returns the indices of the cells that kept theirs.
    """
    old = {c.get("id"): c for c in stored.cells if c.cell_type == "code"}
    kept = []
    for i, cell in enumerate(nb.cells):
        if TIMING_TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        before = old.get(cell.get("id"))
        if before is not None and before.source == cell.source and before.outputs:
            cell.outputs = before.outputs
            kept.append(i)
    return kept


def key_figure(nb: nbformat.NotebookNode) -> bytes | None:
    """PNG bytes of the first image output of the cell tagged ``key-figure``."""
    for cell in nb.cells:
        if KEY_FIGURE_TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                return base64.b64decode(data["image/png"])
    return None


def execute_notebook(
    path: Path, timeout: int = 120, measure: bool = False
) -> nbformat.NotebookNode:
    """Run every cell of the notebook at `path` in a fresh nnlab kernel.

    The kernel starts in the notebook's folder, as JupyterLab would start it.
    A cell gets `timeout` seconds (a notebook takes at most 15 s in all), and
    output that never arrives is an error rather than a warning, so that a
    stalled kernel cannot leave a notebook stored with missing outputs.
    Cells tagged ``timing`` keep their stored output unless `measure`.
    Returns the executed notebook; the file is not written.

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        If a cell raises.
    """
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    stored = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=KERNEL_NAME,
        # The kernel's own log (a warning that its local TCP link is not
        # encrypted, an interrupt at shutdown) is noise between progress lines.
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        timeout=timeout,
        raise_on_iopub_timeout=True,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    nb = canonical_widget_ids(nb, path.stem)
    normalize_metadata(nb)
    js_widget_state(nb)
    widget_placeholders(nb)
    join_streams(nb)
    if not measure:
        keep_timings(nb, stored)
    return nb


def store(
    paths: list[Path],
    figures_dir: Path = FIGURE_DIR,
    measure: bool = False,
    log=print,
) -> None:
    """Execute each notebook, write it back and save its key figure."""
    for path in paths:
        start = time.perf_counter()
        nb = execute_notebook(path, measure=measure)
        nbformat.write(nb, path)
        note = f"executed in {time.perf_counter() - start:5.1f} s"
        png = key_figure(nb)
        if png is not None:
            figures_dir.mkdir(parents=True, exist_ok=True)
            (figures_dir / f"{path.stem}.png").write_bytes(png)
            note += f", figure -> {figures_dir.name}/{path.stem}.png"
        log(f"{path.name:<48} {note}")


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``python -m nnlab.execute [NAME ...] [--measure]``.

    Returns
    -------
    int
        The exit status: 0 on success, 2 for an unknown notebook name or when
        no ``nnlab`` kernel is installed.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", help="notebooks to run (default: every notebook)"
    )
    parser.add_argument(
        "--measure",
        action="store_true",
        help="re-measure the cells tagged 'timing' instead of keeping them",
    )
    args = parser.parse_args(argv)
    try:
        paths = notebook_paths(args.names)
    except ValueError as err:
        print(f"nnlab.execute: {err}", file=sys.stderr)
        return 2
    from nnlab.kernel import installed_python

    if installed_python() is None:
        print(
            f"nnlab.execute: no '{KERNEL_NAME}' kernel is installed; run "
            "`make` or `python -m nnlab.kernel` first",
            file=sys.stderr,
        )
        return 2
    store(paths, measure=args.measure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
