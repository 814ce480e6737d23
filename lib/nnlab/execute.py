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
- no cell timings are recorded.

Building the handouts (``python -m nnlab.handouts``) only reads what this
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
    """The notebooks that `names` select, in order; every notebook if none.

    Parameters
    ----------
    names : list of str, optional
        Each a notebook's number (``"04"``), stem
        (``"04_sequence_normalization"``), file name or path.

    Raises
    ------
    ValueError
        If a name matches no notebook, or more than one; the message lists
        the notebook names.
    """
    every = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    if not names:
        return every
    chosen = []
    for name in names:
        path = Path(name)
        if path.suffix == ".ipynb" and path.is_file():
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


def normalize_metadata(nb: nbformat.NotebookNode) -> None:
    """Give `nb` the fixed kernelspec and language_info (see the module doc)."""
    nb.metadata["kernelspec"] = dict(NOTEBOOK_KERNELSPEC)
    nb.metadata["language_info"] = json.loads(json.dumps(LANGUAGE_INFO))


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


def execute_notebook(path: Path, timeout: int = 120) -> nbformat.NotebookNode:
    """Run every cell of the notebook at `path` in a fresh nnlab kernel.

    The kernel starts in the notebook's folder, as JupyterLab would start it.
    A cell gets `timeout` seconds (a notebook takes at most 15 s in all), and
    output that never arrives is an error rather than a warning, so that a
    stalled kernel cannot leave a notebook stored with missing outputs.
    Returns the executed notebook; the file is not written.

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        If a cell raises.
    """
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
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
    return nb


def store(paths: list[Path], figures_dir: Path = FIGURE_DIR, log=print) -> None:
    """Execute each notebook, write it back and save its key figure."""
    for path in paths:
        start = time.perf_counter()
        nb = execute_notebook(path)
        nbformat.write(nb, path)
        note = f"executed in {time.perf_counter() - start:5.1f} s"
        png = key_figure(nb)
        if png is not None:
            figures_dir.mkdir(parents=True, exist_ok=True)
            (figures_dir / f"{path.stem}.png").write_bytes(png)
            note += f", figure -> {figures_dir.name}/{path.stem}.png"
        log(f"{path.name:<48} {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", help="notebooks to run (default: every notebook)"
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
    store(paths)
    return 0


if __name__ == "__main__":
    sys.exit(main())
