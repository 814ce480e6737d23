"""The course book as one printed PDF, and the book's folder as a zip.

`write_pdf` joins the pages into ``nnlab-print.html`` (a title page, a table
of contents, then every notebook, each starting a page) and prints it with
headless Chromium through playwright: ``nnlab.pdf`` has page numbers in the
footer, PDF bookmarks, and the chapters' first pages in its table of
contents. The page numbers come from a first print: Chromium names a
destination for every internal link's target, which gives the page each
chapter starts on; the second print carries them. Without a browser it says
so in one line, and the rest of the book is still written.

`write_zip` packs the folder, which needs nothing else to be read, as
``nnlab-handouts.zip`` for a course site.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

from bs4 import BeautifulSoup

PDF_NAME = "nnlab.pdf"
PRINT_NAME = "nnlab-print.html"
ZIP_NAME = "nnlab-handouts.zip"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    # Without these Chromium phones home at start; the handouts need nothing.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FOOTER = (
    '<div style="font-size:8px;width:100%;text-align:center;color:#555">'
    'nnlab course book \u00b7 page <span class="pageNumber"></span> of '
    '<span class="totalPages"></span></div>'
)


def chromium_path() -> str | None:
    """Debian's chromium (``apt-get install chromium``), if installed."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _chapter(page: Path) -> tuple[BeautifulSoup, list]:
    """Return a page's content as a chapter, anchors prefixed by its stem."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    stem = page.stem
    main = soup.find("main")
    for h in main.select("h1[id], h2[id], h3[id], h4[id], h5[id], h6[id]"):
        h["id"] = f"{stem}--{h['id']}"
    for a in main.find_all("a", href=True):
        href = a["href"]
        m = re.match(r"^(\d\d_[A-Za-z0-9_-]+)\.html(?:#(.*))?$", href)
        if href.startswith("#"):
            a["href"] = f"#{stem}--{href[1:]}"
        elif m:
            a["href"] = f"#{m[1]}--{m[2]}" if m[2] else f"#ch-{m[1]}"
    states = soup.select('script[type="application/vnd.jupyter.widget-state+json"]')
    return soup, [main, *states]


def print_html(pages: list[Path], out_dir: Path) -> Path:
    """Join `pages` into one printable page, ``nnlab-print.html``; return it."""
    first = BeautifulSoup(pages[0].read_text(encoding="utf-8"), "html.parser")
    head = first.find("head")
    head.title.string = "nnlab course book"
    toc, chapters, states = [], [], []
    for page in pages:
        soup, (main, *page_states) = _chapter(page)
        title = soup.title.get_text()
        toc.append(
            f'<li><a href="#ch-{page.stem}"><span class="nnlab-toc-title">'
            f'{title}</span><span class="nnlab-toc-page" data-stem="{page.stem}">'
            "</span></a></li>"
        )
        main.name = "section"
        main["class"] = "nnlab-chapter"
        main["id"] = f"ch-{page.stem}"
        chapters.append(str(main))
        states.extend(str(s) for s in page_states)
    footer = first.find("footer", class_="nnlab-footer")
    front = (
        '<section class="nnlab-front"><h1 class="nnlab-cover">nnlab course book</h1>'
        "<p>Worked, executed notebooks for a graduate deep-learning problem set."
        "</p>"
        f"{footer}"
        '<h2 class="nnlab-toc-heading">Contents</h2>'
        f'<ol class="nnlab-print-toc">{"".join(toc)}</ol></section>'
    )
    body = (
        '<body class="jp-Notebook nnlab-print" data-jp-theme-light="true" '
        'data-jp-theme-name="JupyterLab Light">'
        f"{front}{''.join(chapters)}</body>{''.join(states)}"
    )
    path = out_dir / PRINT_NAME
    text = f'<!DOCTYPE html>\n<html lang="en">\n{head}\n{body}\n</html>\n'
    path.write_text(text, encoding="utf-8")
    return path


def pdf_page_count(pdf: bytes) -> int:
    """Count the pages of a PDF written by Chromium (its page objects)."""
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def chapter_pages(pdf: bytes) -> dict[str, int]:
    """``{stem: first page}`` from the named destinations ``ch-<stem>``.

    Chromium (Skia) writes its dictionaries uncompressed: the page tree as
    ``/Type /Pages`` nodes with ``/Kids``, and every internal link's target
    as a named destination ``/ch-00_tour [16 0 R /XYZ ...]``.
    """
    nodes = {}
    for num, body in re.findall(rb"\n(\d+) 0 obj\s*<<(.*?)>>\s*endobj", pdf, re.S):
        if re.search(rb"/Type\s*/Pages\b", body):
            kids = re.search(rb"/Kids\s*\[([^\]]*)\]", body)
            parent = re.search(rb"/Parent\s+(\d+)\s+0\s+R", body)
            nodes[num] = (
                re.findall(rb"(\d+)\s+0\s+R", kids[1]) if kids else [],
                parent is not None,
            )
    roots = [num for num, (_, has_parent) in nodes.items() if not has_parent]
    order: list[bytes] = []

    def walk(num: bytes) -> None:
        for kid in nodes[num][0]:
            if kid in nodes:
                walk(kid)
            else:
                order.append(kid)

    if len(roots) != 1:
        return {}
    walk(roots[0])
    number = {ref: i + 1 for i, ref in enumerate(order)}
    found = {}
    for name, ref in re.findall(rb"/ch-([0-9A-Za-z_-]+)\s*\[\s*(\d+)\s+0\s+R", pdf):
        if ref in number:
            found[name.decode()] = number[ref]
    return found


def _open_book(browser, path: Path):
    """Open the print page; wait for its math to typeset and its widgets."""
    page = browser.new_page(viewport={"width": 1000, "height": 1200})
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function("window.MathJax && MathJax.Hub", timeout=60000)
    page.evaluate("new Promise(done => MathJax.Hub.Queue(() => done(true)))")
    page.wait_for_function(
        "document.querySelectorAll('.jupyter-widgets .widget-output').length"
        " >= document.querySelectorAll("
        "'script[type=\"application/vnd.jupyter.widget-view+json\"]').length",
        timeout=60000,
    )
    page.emulate_media(media="print")
    return page


def _pdf(page) -> bytes:
    return page.pdf(
        format="Letter",
        margin={"top": "0.5in", "bottom": "0.6in", "left": "0.5in", "right": "0.5in"},
        display_header_footer=True,
        header_template="<span></span>",
        footer_template=FOOTER,
        print_background=True,
        outline=True,
        tagged=True,
    )


def _print_book(browser, source: Path) -> bytes:
    """Print `source` twice: the first print gives the chapters' pages."""
    page = _open_book(browser, source)
    try:
        first = chapter_pages(_pdf(page))
        page.evaluate(
            "starts => document.querySelectorAll('.nnlab-toc-page').forEach("
            "s => { s.textContent = starts[s.dataset.stem] || ''; })",
            first,
        )
        return _pdf(page)
    finally:
        page.close()


def write_pdf(pages: list[Path], out_dir: Path, browser=None) -> str:
    """Print the book to ``out_dir/nnlab.pdf``; return one line saying what was done.

    Needs Chromium and playwright; without them the line says so and no PDF
    is written (a stale one is removed, so that it cannot disagree with the
    pages). `browser`, a playwright Chromium already running, is used if
    given (playwright's sync API cannot start a second one in a process
    that runs it).
    """
    target = out_dir / PDF_NAME
    target.unlink(missing_ok=True)
    browser_path = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return f"{PDF_NAME} not written: playwright is not installed"
    if browser_path is None:
        return f"{PDF_NAME} not written: no Chromium found (apt-get install chromium)"
    source = print_html(pages, out_dir)
    if browser is not None:
        pdf = _print_book(browser, source)
    else:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=browser_path, args=CHROMIUM_ARGS
            )
            try:
                pdf = _print_book(browser, source)
            finally:
                browser.close()
    target.write_bytes(pdf)
    return f"{PDF_NAME}: {pdf_page_count(pdf)} Letter pages, {len(pages)} chapters"


def write_zip(out_dir: Path) -> Path:
    """Zip `out_dir` (all but the zip itself) under one folder; return the zip."""
    target = out_dir / ZIP_NAME
    target.unlink(missing_ok=True)
    tmp = target.with_suffix(".zip.part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(out_dir.rglob("*")):
            if path.is_file() and path != tmp:
                zf.write(path, Path("nnlab-handouts") / path.relative_to(out_dir))
    tmp.rename(target)
    return target
