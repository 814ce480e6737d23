"""Prepare a stored notebook for the course book, before nbconvert sees it.

Works on a deep copy, never on the stored notebook:

- ``metadata.title`` becomes the notebook's first heading as plain text, which
  nbconvert's lab template writes into ``<title>``;
- every figure output gets alt text, in ``output.metadata[mimetype]["alt"]``
  (`figure_alt` says where it comes from), which the book's template emits;
- every widget control in the saved widget state is disabled: the handout
  shows a snapshot of the default setting, which no kernel can redraw.
"""

from __future__ import annotations

import copy
import importlib
import re
from collections.abc import Callable
from functools import lru_cache

import nbformat

PNG = "image/png"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
#: Alt texts that say nothing: nbconvert's placeholder, and empty ones.
PLACEHOLDER_ALTS = {"", "none", "no description has been provided for this image"}
WORD = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")


def first_heading(nb: nbformat.NotebookNode, default: str) -> str:
    """Text of the notebook's first Markdown heading, or `default`."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
    return default


def plain_title(title: str) -> str:
    r"""Return a Markdown heading as plain text: ``$O(\log T)$`` -> ``O(log T)``.

    Used where no MathJax runs (``<title>``, the table of contents, alt text).
    """
    text = re.sub(r"\\(?:mathrm|text|mathbf|operatorname)\{([^}]*)\}", r"\1", title)
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text)
    return re.sub(r"\s+", " ", text.replace("$", "").replace("{", "").replace("}", ""))


@lru_cache(maxsize=1)
def figure_registry() -> dict[str, Callable]:
    """Every figure function of the modules in `nnlab.views.WIDGET_MODULES`.

    The ``*_figure`` functions and the callbacks of each module's ``WIDGETS``
    registry (a widget callback draws the widget's image), by name.
    """
    from nnlab.views import WIDGET_MODULES

    found = {}
    for module_name in WIDGET_MODULES.values():
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if name.endswith("_figure") and callable(value):
                found.setdefault(name, value)
        for name, entry in getattr(module, "WIDGETS", {}).items():
            fn = entry[0] if isinstance(entry, tuple) else entry
            if callable(fn):
                found.setdefault(name, fn)
                found.setdefault(fn.__name__, fn)
    return found


def library_alt(function_name: str) -> str | None:
    """Alt text the library gives for a figure function, or None.

    Looked up, in order: the function's ``alt`` attribute; its module's
    ``ALT`` dict, keyed by function name; the first line of its docstring.
    """
    fn = figure_registry().get(function_name)
    if fn is None:
        return None
    alt = getattr(fn, "alt", None)
    if not alt:
        module = importlib.import_module(fn.__module__)
        table = getattr(module, "ALT", {})
        alt = table.get(function_name) or table.get(fn.__name__)
    if not alt and fn.__doc__:
        alt = fn.__doc__.strip().splitlines()[0]
        # Docstrings address the programmer ("Widget view: ...", "Draw ..."),
        # alt text the reader.
        alt = re.sub(r"^(Key figure|Widget view|Small multiples):\s*", "", alt)
        alt = re.sub(r"^(Draw|Plot)\s+", "", alt)
        alt = alt.replace("`", "")
        alt = alt[:1].upper() + alt[1:]
    return alt or None


def figure_alt(
    output: dict,
    mimetype: str,
    cell: nbformat.NotebookNode,
    index: int,
    heading: str,
) -> str:
    """Alt text for the `index`-th figure output of `cell`, under `heading`.

    In order of preference: an ``alt`` already in the output's metadata (set
    by whoever displayed it); the cell's ``alt`` metadata (a string, or a list
    with one entry per figure); what the library says about the ``*_figure``
    function the cell calls (`library_alt`); a caption naming the section.
    """
    alt = output.get("metadata", {}).get(mimetype, {}).get("alt")
    if alt and alt.strip().lower() not in PLACEHOLDER_ALTS:
        return alt
    given = cell.metadata.get("alt")
    if isinstance(given, list) and index < len(given):
        given = given[index]
    if isinstance(given, str) and given.strip():
        return given
    registry = figure_registry()
    calls = [w for w in WORD.findall(cell.source) if w in registry]
    where = f"section \u201c{plain_title(heading)}\u201d" if heading else "this page"
    if calls:
        name = calls[min(index, len(calls) - 1)]
        described = library_alt(name)
        if described:
            return f"{described.rstrip('.')} (figure in {where})"
    return f"Figure {index + 1} of a code cell in {where}"


def prepare(nb: nbformat.NotebookNode, default_title: str) -> nbformat.NotebookNode:
    """Return a copy of `nb` titled, alt text on every figure, widgets disabled."""
    nb = copy.deepcopy(nb)
    nb.metadata["title"] = plain_title(first_heading(nb, default_title))
    heading = ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            headings = [ln for ln in cell.source.splitlines() if ln.startswith("#")]
            if headings:
                heading = headings[-1].lstrip("#").strip()
            continue
        figures = 0
        for output in cell.get("outputs", []):
            for mimetype in (PNG, WIDGET_VIEW):
                if mimetype not in output.get("data", {}):
                    continue
                alt = figure_alt(output, mimetype, cell, figures, heading)
                output.setdefault("metadata", {}).setdefault(mimetype, {})["alt"] = alt
                figures += 1
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for model in state.values():
        if "disabled" in model.get("state", {}):
            model["state"]["disabled"] = True
    return nb
