"""Execute the notebooks, store their outputs, and export offline HTML handouts.

``python -m nnlab.handouts [NOTEBOOK ...]`` (what ``make handouts`` runs):

1. executes each notebook top to bottom in a fresh kernel with nbclient and
   writes the outputs back into the ``.ipynb``, so that nbval has a
   reference to compare against;
2. exports it to ``handouts/<stem>.html`` with figures embedded, math typeset
   by a local MathJax and saved widget state rendered by a local widget
   manager: a handout makes no request to any remote host;
3. saves the first image of the cell tagged ``key-figure`` to
   ``figures/<stem>.png`` for the README;
4. writes ``handouts/index.html`` linking every handout.

With ``--no-execute`` it only exports what the notebooks already store (the
browser test uses that).
"""

from __future__ import annotations

import argparse
import base64
import html
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat

STATIC = Path(__file__).parent / "_static"
ROOT = Path(__file__).resolve().parents[2]
KEY_FIGURE_TAG = "key-figure"
ASSETS = {
    "mathjax": "static/mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,nnlab",
    "require": "static/require.js",
    "widgets": "static/embed-amd.js",
}


def execute_notebook(path: Path, timeout: int = 120) -> nbformat.NotebookNode:
    """Run every cell of the notebook at `path` in a fresh kernel, in place.

    The kernel starts in the notebook's folder, as JupyterLab would start it.
    Cell timings are not recorded so that re-executing an unchanged notebook
    changes nothing but widget model ids. A cell gets `timeout` seconds
    (notebooks take at most 15 s in all), and output that never arrives is an
    error rather than a warning, so a stalled kernel cannot leave a notebook
    stored with missing outputs.
    """
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        # The kernel's own log (a warning that its local TCP link is not
        # encrypted, an interrupt at shutdown) is noise between progress lines.
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        timeout=timeout,
        raise_on_iopub_timeout=True,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    nbformat.write(nb, path)
    return nb


def copy_static(out_dir: Path) -> None:
    """Put MathJax, require.js and the widget manager under `out_dir/static`."""
    import jupyter_server_mathjax

    static = out_dir / "static"
    mathjax_src = Path(jupyter_server_mathjax.__file__).parent / "static"
    mathjax_dst = static / "mathjax"
    if not (mathjax_dst / "MathJax.js").exists():
        shutil.copytree(mathjax_src, mathjax_dst, dirs_exist_ok=True)
    shutil.copyfile(STATIC / "mathjax-nnlab.js", mathjax_dst / "config" / "nnlab.js")
    for name in ("require.js", "embed-amd.js"):
        shutil.copyfile(STATIC / name, static / name)


def export_html(nb: nbformat.NotebookNode, out_path: Path) -> None:
    """Write `nb` as a self-contained HTML page that reads offline."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        mathjax_url=ASSETS["mathjax"],
        require_js_url=ASSETS["require"],
        widget_renderer_url=ASSETS["widgets"],
    )
    body, _ = exporter.from_notebook_node(nb)
    out_path.write_text(body, encoding="utf-8")


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


def title_of(nb: nbformat.NotebookNode, default: str) -> str:
    """Text of the notebook's first Markdown heading, or `default`."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
    return default


def plain_title(title: str) -> str:
    """A Markdown heading as plain text: ``$O(\\log T)$`` becomes ``O(log T)``.

    The index page loads no MathJax, so TeX in a notebook's title would show
    as source.
    """
    return re.sub(r"\\([A-Za-z]+)", r"\1", title).replace("$", "")


def write_index(entries: list[tuple[str, str]], out_dir: Path) -> None:
    """`handouts/index.html`: one link per handout, in notebook order."""
    items = "\n".join(
        f'    <li><a href="{html.escape(href)}">{html.escape(plain_title(title))}'
        "</a></li>"
        for href, title in entries
    )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>nnlab handouts</title>
  <style>
    body {{ font-family: system-ui, sans-serif; max-width: 44rem;
           margin: 3rem auto; line-height: 1.5; padding: 0 1rem; }}
    li {{ margin: 0.4rem 0; }}
  </style>
</head>
<body>
  <h1>nnlab handouts</h1>
  <p>Worked, executed notebooks for the six problems. Each page reads offline;
  open the notebooks in JupyterLab (<code>make lab</code>) to turn the knobs.</p>
  <ul>
{items}
  </ul>
</body>
</html>
"""
    (out_dir / "index.html").write_text(page, encoding="utf-8")


def build(
    notebooks: list[Path],
    out_dir: Path,
    execute: bool = True,
    figures_dir: Path | None = None,
    log=print,
) -> list[Path]:
    """Execute (optionally) and export `notebooks`; return the HTML paths.

    Raises
    ------
    FileNotFoundError
        If a notebook path does not exist.
    """
    missing = [str(p) for p in notebooks if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"no such notebook: {', '.join(missing)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    copy_static(out_dir)
    pages = []
    for path in notebooks:
        start = time.perf_counter()
        if execute:
            nb = execute_notebook(path)
        else:
            nb = nbformat.read(path, as_version=4)
        seconds = time.perf_counter() - start
        page = out_dir / f"{path.stem}.html"
        export_html(nb, page)
        pages.append(page)
        note = f"executed in {seconds:5.1f} s" if execute else "exported"
        if figures_dir is not None:
            png = key_figure(nb)
            if png is not None:
                figures_dir.mkdir(parents=True, exist_ok=True)
                (figures_dir / f"{path.stem}.png").write_bytes(png)
                note += f", figure -> {figures_dir.name}/{path.stem}.png"
        log(f"{path.name:<48} {note}")
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks",
        nargs="*",
        type=Path,
        help="notebooks to build (default: every notebooks/*.ipynb)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "handouts")
    parser.add_argument(
        "--no-execute",
        action="store_true",
        help="export the stored outputs without running the notebooks",
    )
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not notebooks:
        print("no notebooks found under notebooks/", file=sys.stderr)
        return 1
    build(
        notebooks,
        args.out,
        execute=not args.no_execute,
        figures_dir=ROOT / "figures",
    )
    everything = sorted((ROOT / "notebooks").glob("*.ipynb"))
    entries = [
        (f"{p.stem}.html", title_of(nbformat.read(p, as_version=4), p.stem))
        for p in everything
        if (args.out / f"{p.stem}.html").exists()
    ]
    write_index(entries, args.out)
    print(f"{len(entries)} handouts in {args.out}/ (open index.html)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
