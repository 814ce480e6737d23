"""Export the stored notebooks as offline HTML handouts.

``python -m nnlab.handouts [NOTEBOOK ...]`` (what ``make handouts`` runs):

1. exports each notebook, with the outputs it stores, to
   ``handouts/<stem>.html`` with figures embedded, math typeset by a local
   MathJax and saved widget state rendered by a local widget manager: a
   handout makes no request to any remote host;
2. writes ``handouts/index.html`` linking every handout.

It writes nothing but ``handouts/`` (git-ignored). The stored outputs are the
ones nbval checks against a fresh run; re-executing the notebooks to store new
ones is the maintainer's step, ``python -m nnlab.execute``.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import sys
from pathlib import Path

import nbformat

STATIC = Path(__file__).parent / "_static"
ROOT = Path(__file__).resolve().parents[2]
ASSETS = {
    "mathjax": "static/mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,nnlab",
    "require": "static/require.js",
    "widgets": "static/embed-amd.js",
}


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
    r"""Return a Markdown heading as plain text: ``$O(\log T)$`` -> ``O(log T)``.

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


def build(notebooks: list[Path], out_dir: Path, log=print) -> list[Path]:
    """Export `notebooks` as they are stored into `out_dir`; return the pages.

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
        page = out_dir / f"{path.stem}.html"
        export_html(nbformat.read(path, as_version=4), page)
        pages.append(page)
        log(f"{path.name:<48} -> {out_dir.name}/{page.name}")
    return pages


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``python -m nnlab.handouts [NOTEBOOK ...] [--out DIR]``.

    Returns
    -------
    int
        The exit status: 0 on success, 1 when there is no notebook to export.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks",
        nargs="*",
        type=Path,
        help="notebooks to export (default: every notebooks/*.ipynb)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "handouts")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not notebooks:
        print("no notebooks found under notebooks/", file=sys.stderr)
        return 1
    build(notebooks, args.out)
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
