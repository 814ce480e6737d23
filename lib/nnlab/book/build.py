"""Export the stored notebooks as an offline course book.

``python -m nnlab.book [NOTEBOOK ...]`` (what ``make handouts`` runs):

1. exports each notebook, with the outputs it stores, to
   ``handouts/<stem>.html`` with figures embedded, math typeset by a local
   MathJax and saved widget state rendered by a local widget manager: a
   handout makes no request to any remote host. `nnlab.book.prepare`
   titles it, gives every figure alt text and disables the widgets (a
   snapshot); `nnlab.book.page` adds the book's contents, previous/next
   links, the page's outline, links between notebooks and the footer;
2. writes ``handouts/index.html``: the README's table of notebooks;
3. prints the whole book to ``handouts/nnlab.pdf`` and zips the folder as
   ``handouts/nnlab-handouts.zip`` (`nnlab.book.pdf`).

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

from nnlab.book.page import Entry, decorate, footer_html, provenance, toc_html
from nnlab.book.pdf import write_pdf, write_zip
from nnlab.book.prepare import first_heading, plain_title, prepare
from nnlab.execute import notebook_paths

STATIC = Path(__file__).parents[1] / "_static"
ROOT = Path(__file__).resolve().parents[3]
ASSETS = {
    "mathjax": "static/mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,nnlab",
    "require": "static/require.js",
    "widgets": "static/embed-amd.js",
}


def copy_static(out_dir: Path) -> None:
    """Put MathJax, require.js, the widget manager, book.css, book.js in `out_dir`."""
    import jupyter_server_mathjax

    static = out_dir / "static"
    mathjax_src = Path(jupyter_server_mathjax.__file__).parent / "static"
    mathjax_dst = static / "mathjax"
    if not (mathjax_dst / "MathJax.js").exists():
        shutil.copytree(mathjax_src, mathjax_dst, dirs_exist_ok=True)
    shutil.copyfile(STATIC / "mathjax-nnlab.js", mathjax_dst / "config" / "nnlab.js")
    for name in ("require.js", "embed-amd.js", "book.css", "book.js"):
        shutil.copyfile(STATIC / name, static / name)


def export_html(nb: nbformat.NotebookNode) -> str:
    """`nb` as an HTML page that reads offline, before the book's furniture."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        extra_template_paths=[str(STATIC)],
        template_file="book.html.j2",
        mathjax_url=ASSETS["mathjax"],
        require_js_url=ASSETS["require"],
        widget_renderer_url=ASSETS["widgets"],
    )
    body, _ = exporter.from_notebook_node(nb)
    return body


def readme_rows(readme: str) -> dict[str, tuple[str, str, str]]:
    """Read the README's notebook table: ``{stem: (summary, figure, alt)}``.

    A row reads ``| [`stem`](notebooks/stem.ipynb) | summary | ![alt](path) |``.
    """
    rows = {}
    row = re.compile(
        r"^\|\s*\[`?(?P<stem>[^`\]]+)`?\]\([^)]*\)\s*\|\s*(?P<summary>.*?)\s*\|"
        r"\s*!\[(?P<alt>[^\]]*)\]\((?P<path>[^)]+)\)\s*\|\s*$"
    )
    for line in readme.splitlines():
        m = row.match(line)
        if m:
            rows[m["stem"]] = (m["summary"], m["path"], m["alt"])
    return rows


def inline_markdown(text: str) -> str:
    """Render the little Markdown a README cell uses (code spans) as HTML."""
    parts = re.split(r"`([^`]*)`", text)
    return "".join(
        f"<code>{html.escape(p)}</code>" if i % 2 else html.escape(p)
        for i, p in enumerate(parts)
    )


def write_index(entries: list[Entry], out_dir: Path, stamp: str) -> Path:
    """`handouts/index.html`: the README's table, one row per handout.

    Each row gives the title, the README's one-line summary and the key figure
    (copied from ``figures/`` into ``handouts/figures/``).
    """
    readme = ROOT / "README.md"
    rows = readme_rows(readme.read_text(encoding="utf-8")) if readme.is_file() else {}
    figures = out_dir / "figures"
    cards = []
    for e in entries:
        summary, fig, alt = rows.get(e.stem, ("", "", ""))
        figure = ""
        if fig and (ROOT / fig).is_file():
            figures.mkdir(exist_ok=True)
            shutil.copyfile(ROOT / fig, figures / Path(fig).name)
            figure = (
                f'<img src="figures/{html.escape(Path(fig).name)}" '
                f'alt="{html.escape(alt or "key figure of " + e.title)}">'
            )
        cards.append(
            f'<li class="nnlab-card"><h2><a href="{e.href}">'
            f"{html.escape(e.title)}</a></h2>\n<p>{inline_markdown(summary)}</p>\n"
            f'<a href="{e.href}" tabindex="-1">{figure}</a></li>'
        )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>nnlab course book</title>
<link rel="stylesheet" href="static/book.css">
<script src="static/book.js" defer></script>
</head>
<body class="nnlab-index">
{toc_html(entries, None)}
<main>
<h1>nnlab course book</h1>
<p>Worked, executed notebooks for the six problems, one page each, with their
stored outputs. Every page reads offline. The widgets show a snapshot of their
default setting; to turn the knobs, run the notebooks in JupyterLab
(<code>make lab</code>). The whole book is also a PDF
(<a href="nnlab.pdf">nnlab.pdf</a>, when a browser was found to print it).</p>
<ol class="nnlab-cards">
{chr(10).join(cards)}
</ol>
</main>
{footer_html(stamp)}
</body>
</html>
"""
    path = out_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def build(notebooks: list[Path], out_dir: Path, log=print) -> list[Path]:
    """Export `notebooks`, as stored, as the pages of a book in `out_dir`.

    Writes one page per notebook and ``index.html``; returns the notebook
    pages, in order.

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
    stored = [(p, nbformat.read(p, as_version=4)) for p in notebooks]
    entries = [
        Entry(p.stem, plain_title(first_heading(nb, p.stem))) for p, nb in stored
    ]
    stamp = provenance(ROOT)
    pages = []
    for path, nb in stored:
        page = out_dir / f"{path.stem}.html"
        exported = export_html(prepare(nb, path.stem))
        page.write_text(decorate(exported, entries, path.stem, stamp), "utf-8")
        pages.append(page)
        log(f"{path.name:<48} -> {out_dir.name}/{page.name}")
    write_index(entries, out_dir, stamp)
    return pages


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``python -m nnlab.book [NOTEBOOK ...] [--out DIR]``.

    Returns
    -------
    int
        The exit status: 0 on success, 1 when there is no notebook to export,
        2 when a NOTEBOOK names no notebook (the message lists them).
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks",
        nargs="*",
        help="notebooks to export: a path, or a project notebook's number (04) "
        "or stem (default: every notebooks/*.ipynb)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "handouts")
    parser.add_argument(
        "--no-pdf", action="store_true", help="skip nnlab.pdf (needs Chromium)"
    )
    args = parser.parse_args(argv)
    notebooks = []
    for name in args.notebooks:
        if Path(name).suffix == ".ipynb" and Path(name).is_file():
            notebooks.append(Path(name))  # any notebook, the project's or not
            continue
        try:  # a number or stem, resolved as `make notebooks` resolves them
            notebooks += notebook_paths([name])
        except ValueError as e:
            print(e, file=sys.stderr)
            return 2
    notebooks = notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not notebooks:
        print("no notebooks found under notebooks/", file=sys.stderr)
        return 1
    pages = build(notebooks, args.out)
    if not args.no_pdf:
        print(write_pdf(pages, args.out))
    print(f"{write_zip(args.out).name}: the folder, zipped for a course site")
    print(f"{len(pages)} handouts in {args.out}/ (open index.html)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
