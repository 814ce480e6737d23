"""Handouts: the course book, exported from the stored notebooks.

The first tests read the built HTML; the browser tests open every page in
headless Chromium at 1280 and 390 px, as a student on a laptop and on a
phone would, and save a screenshot of each in tests/screenshots/.
"""

import base64
import functools
import json
import re
import subprocess
import zipfile

import nbformat
import pytest
from bs4 import BeautifulSoup

from nnlab import __version__
from nnlab.book import build as handouts
from nnlab.book import pdf as handouts_print
from nnlab.book.page import NOTEBOOK_LINK
from nnlab.book.prepare import PLACEHOLDER_ALTS, first_heading, plain_title
from nnlab.views import tour

ROOT = handouts.ROOT
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
STEMS = [p.stem for p in NOTEBOOKS]
WIDTHS = (1280, 390)
# One pixel of PNG, for synthetic notebooks.
PIXEL = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
    )
).decode()


TRACKED = NOTEBOOKS + sorted((ROOT / "figures").glob("*.png"))


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """`make handouts --no-pdf` into a temporary folder, built once per module.

    Returns (folder, exit status, tracked files whose bytes the build changed).
    """
    out = tmp_path_factory.mktemp("handouts")
    before = {p: p.read_bytes() for p in TRACKED}
    status = handouts.main(["--out", str(out), "--no-pdf"])
    changed = [p.name for p in TRACKED if p.read_bytes() != before[p]]
    return out, status, changed


@pytest.fixture(scope="module")
def pages(book):
    """Every notebook's page, exported without executing (by `book`)."""
    out = book[0]
    return {p.stem: out / f"{p.stem}.html" for p in NOTEBOOKS}


@functools.lru_cache(maxsize=64)
def _parsed(path, mtime_ns):
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def soup_of(path):
    """The page parsed, once per file version: treat it as read-only."""
    return _parsed(path, path.stat().st_mtime_ns)


def all_pages(pages):
    index = next(iter(pages.values())).parent / "index.html"
    return {**pages, "index": index}


def test_every_notebook_has_a_handout_and_the_assets_are_local(pages):
    assert sorted(pages) == STEMS
    static = next(iter(pages.values())).parent / "static"
    for asset in handouts.ASSETS.values():
        assert (static.parent / asset.split("?")[0]).is_file(), asset
    assert (static / "mathjax" / "config" / "nnlab.js").is_file()
    assert (static / "book.css").is_file() and (static / "book.js").is_file()


def test_build_names_a_missing_notebook(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such notebook: .*nope.ipynb"):
        handouts.build([tmp_path / "nope.ipynb"], tmp_path)


def test_each_page_is_titled_by_its_first_heading(pages):
    for path in NOTEBOOKS:
        title = soup_of(pages[path.stem]).title.get_text()
        heading = first_heading(nbformat.read(path, as_version=4), "")
        assert title == plain_title(heading), path.stem
        assert title != "Notebook" and "$" not in title and "\\" not in title


def test_every_page_has_viewport_toc_and_footer(pages):
    stamp = re.compile(
        rf"nnlab {re.escape(__version__)} \u00b7 commit "
        r"(?:[0-9a-f]{12}(?: with local changes)?|unknown) \u00b7 built \d{4}-\d\d-\d\d"
    )
    for name, path in all_pages(pages).items():
        soup = soup_of(path)
        assert soup.find("meta", attrs={"name": "viewport"}), name
        toc = soup.find("nav", class_="nnlab-toc")
        assert [a["href"] for a in toc.select("ol a")] == [f"{s}.html" for s in STEMS]
        current = toc.select('[aria-current="page"]')
        expected = "index.html" if name == "index" else f"{name}.html"
        assert [a["href"] for a in current] == [expected], name
        footer = soup.find("footer", class_="nnlab-footer").get_text(" ")
        assert stamp.search(footer), footer
        assert "CC BY 4.0" in footer


def test_footer_names_the_commit():
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    assert f"commit {head}" in handouts.provenance(ROOT)


def test_previous_and_next_links_follow_the_book(pages):
    for i, stem in enumerate(STEMS):
        nav = soup_of(pages[stem]).find("nav", class_="nnlab-prevnext")
        prev = nav.find("a", rel="prev")["href"]
        assert prev == ("index.html" if i == 0 else f"{STEMS[i - 1]}.html")
        nxt = nav.find("a", rel="next")
        if i + 1 < len(STEMS):
            assert nxt["href"] == f"{STEMS[i + 1]}.html"
        else:
            assert nxt is None


def test_outline_links_every_section_of_the_page(pages):
    for stem, path in pages.items():
        soup = soup_of(path)
        outline = soup.find("nav", class_="nnlab-outline")
        targets = [a["href"][1:] for a in outline.find_all("a")]
        sections = [h["id"] for h in soup.select("main h2[id], main h3[id]")]
        assert targets == sections and len(targets) >= 3, stem


def test_index_shows_the_readme_table(pages):
    out = next(iter(pages.values())).parent
    rows = handouts.readme_rows((ROOT / "README.md").read_text())
    assert sorted(rows) == STEMS
    soup = soup_of(out / "index.html")
    cards = soup.select("li.nnlab-card")
    assert [c.h2.a["href"] for c in cards] == [f"{s}.html" for s in STEMS]
    for card, stem in zip(cards, STEMS, strict=True):
        summary, figure, alt = rows[stem]
        assert card.p.get_text()[:40] == summary.replace("`", "")[:40]
        img = card.find("img")
        assert img["alt"] == alt and (out / img["src"]).is_file()


def synthetic_notebook(markdown, outputs=(), metadata=None):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(m) for m in markdown]
    for cell_outputs, cell_metadata in outputs:
        code = nbformat.v4.new_code_cell("fig = view.step_size_figure()", outputs=[])
        code.outputs = [nbformat.from_dict(o) for o in cell_outputs]
        code.metadata.update(cell_metadata)
        nb.cells.append(code)
    nb.metadata.update(metadata or {})
    return nb


def png_output(metadata=None):
    return {
        "output_type": "display_data",
        "data": {"image/png": PIXEL, "text/plain": "<Figure>"},
        "metadata": metadata or {},
    }


def test_links_between_notebooks_point_at_the_pages(tmp_path):
    first = synthetic_notebook(
        [
            "# 1. Alpha\n\n## Start\n\nSee [the second part](02_beta.ipynb#Second-part)"
            ", [Beta](./02_beta.ipynb), [the tour](../notebooks/02_beta.ipynb) and"
            " [an outsider](99_missing.ipynb).",
        ]
    )
    second = synthetic_notebook(["# 2. Beta\n\n## First part\n\n## Second part\n"])
    nbformat.write(first, tmp_path / "01_alpha.ipynb")
    nbformat.write(second, tmp_path / "02_beta.ipynb")
    out = tmp_path / "out"
    built = handouts.build(
        [tmp_path / "01_alpha.ipynb", tmp_path / "02_beta.ipynb"], out, log=print
    )
    links = [a["href"] for a in soup_of(built[0]).select("main .jp-MarkdownCell a")]
    assert "02_beta.html#Second-part" in links
    assert links.count("02_beta.html") == 2
    assert "99_missing.ipynb" in links
    assert soup_of(built[1]).find(id="Second-part") is not None
    assert NOTEBOOK_LINK.match("04_seq.ipynb#A-b")["anchor"] == "#A-b"


def test_alt_text_comes_from_metadata_then_library_then_heading(tmp_path):
    nb = synthetic_notebook(
        ["# 1. Figures\n\n## The step $h$"],
        outputs=[
            ([png_output({"image/png": {"alt": "From the output"}})], {}),
            ([png_output(), png_output()], {"alt": ["From the cell", "Second"]}),
            ([png_output()], {}),
        ],
    )
    nb.cells.append(nbformat.v4.new_code_cell("print(1)"))
    nb.cells[-1].outputs = [nbformat.from_dict(png_output())]
    nbformat.write(nb, tmp_path / "01_figures.ipynb")
    (page,) = handouts.build([tmp_path / "01_figures.ipynb"], tmp_path / "out")
    alts = [img["alt"] for img in soup_of(page).select("main img")]
    assert alts[:3] == ["From the output", "From the cell", "Second"]
    # the tour's ALT entry for step_size_figure, with the section named
    assert alts[3] == (
        f"{tour.ALT['step_size_figure'].rstrip('.')} (figure in section "
        "\u201cThe step h\u201d)"
    )
    assert alts[4] == "Figure 1 of a code cell in section \u201cThe step h\u201d"


def test_no_image_has_an_empty_or_placeholder_alt(pages):
    for stem, path in all_pages(pages).items():
        soup = soup_of(path)
        for img in soup.find_all("img"):
            assert img.get("alt", "").strip().lower() not in PLACEHOLDER_ALTS, stem
        for box in soup.select("div.jupyter-widgets"):
            alt = box.get("data-nnlab-alt", "").strip().lower()
            assert alt not in PLACEHOLDER_ALTS, stem


def test_widgets_are_disabled_snapshots(pages):
    for stem, path in pages.items():
        soup = soup_of(path)
        views = soup.select('script[type="application/vnd.jupyter.widget-view+json"]')
        notes = soup.select("p.nnlab-snapshot")
        assert len(notes) == len(views), stem
        assert all("make lab" in n.get_text() for n in notes)
        for tag in soup.select(
            'script[type="application/vnd.jupyter.widget-state+json"]'
        ):
            for model in json.loads(tag.string)["state"].values():
                assert model["state"].get("disabled", True) is True, stem


def test_the_stored_notebooks_keep_their_widgets_enabled():
    """The build disables a copy: the stored notebooks stay as they are."""
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        state = nb["metadata"].get("widgets", {})
        for model in state.get(next(iter(state), ""), {}).get("state", {}).values():
            assert model["state"].get("disabled") is not True, path.name


def test_without_a_browser_the_pdf_step_says_so_and_the_rest_is_written(
    tmp_path, monkeypatch
):
    nbformat.write(synthetic_notebook(["# 1. One\n\n## A"]), tmp_path / "01_one.ipynb")
    monkeypatch.setattr(handouts_print, "chromium_path", lambda: None)
    out = tmp_path / "out"
    pages = handouts.build([tmp_path / "01_one.ipynb"], out, log=lambda _: None)
    message = handouts_print.write_pdf(pages, out)
    assert message.startswith("nnlab.pdf not written") and "\n" not in message
    assert not (out / "nnlab.pdf").exists()
    with zipfile.ZipFile(handouts_print.write_zip(out)) as zf:
        names = zf.namelist()
    assert "nnlab-handouts/index.html" in names
    assert "nnlab-handouts/01_one.html" in names
    assert "nnlab-handouts/static/mathjax/MathJax.js" in names


def test_the_pdf_has_a_contents_page_and_a_page_per_chapter(tmp_path, browser):
    for stem, title in (("01_one", "One"), ("02_two", "Two")):
        nb = synthetic_notebook([f"# {title}\n\n## A section\n\n$x^2$"])
        nbformat.write(nb, tmp_path / f"{stem}.ipynb")
    out = tmp_path / "out"
    pages = handouts.build(
        [tmp_path / "01_one.ipynb", tmp_path / "02_two.ipynb"], out, log=print
    )
    message = handouts_print.write_pdf(pages, out, browser=browser)
    pdf = (out / "nnlab.pdf").read_bytes()
    assert message.startswith("nnlab.pdf: 3 Letter pages")
    assert handouts_print.chapter_pages(pdf) == {"01_one": 2, "02_two": 3}
    assert b"/Outlines" in pdf


def test_make_handouts_writes_only_ignored_files():
    outputs = [
        "handouts/index.html",
        "handouts/nnlab.pdf",
        "handouts/nnlab-handouts.zip",
        "handouts/static/book.css",
        "tests/screenshots/handout-index-390.png",
    ]
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "check-ignore", *outputs],
            capture_output=True,
            text=True,
        )
    except OSError:
        pytest.skip("git is not installed")
    if done.returncode == 128:
        pytest.skip("not a git checkout")
    assert done.stdout.split() == outputs


def test_building_the_handouts_touches_no_tracked_file(book):
    """`make handouts` exports what is stored; it never rewrites a notebook."""
    out, status, changed = book
    assert status == 0
    assert (out / "index.html").is_file()
    assert (out / "nnlab-handouts.zip").is_file()
    assert changed == []


# The browser ---------------------------------------------------------------

OBSERVE = """() => {
  const vw = document.documentElement.clientWidth;
  const text = (() => {
    const body = document.body.cloneNode(true);
    body.querySelectorAll(
      "script, style, code, pre, .jp-CodeCell .jp-Cell-inputWrapper"
    ).forEach(e => e.remove());
    return body.innerText;
  })();
  const visible = e => e.getClientRects().length > 0;
  return {
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: vw,
    text: text,
    fullText: document.body.innerText,
    images: Array.from(document.images).map(i => ({
      complete: i.complete, natural: i.naturalWidth, alt: i.getAttribute("alt"),
      width: i.getBoundingClientRect().width, figure: !!i.closest(".jp-OutputArea"),
    })),
    math: document.querySelectorAll(".MathJax, .MathJax_Display").length,
    mathErrors: document.querySelectorAll(".MathJax_Error, .merror").length,
    widgets: document.querySelectorAll(".jupyter-widgets .widget-output").length,
    controls: Array.from(document.querySelectorAll(
      ".jupyter-widgets input, .jupyter-widgets select, .jupyter-widgets button"
    )).filter(visible).map(e => e.disabled),
    sliders: Array.from(document.querySelectorAll(".jupyter-widgets .noUi-target"))
      .map(e => e.hasAttribute("disabled")),
    controlsOffScreen: Array.from(document.querySelectorAll(
      ".widget-inline-hbox, .widget-hbox > *"
    )).filter(visible).filter(e => e.getBoundingClientRect().right > vw + 1).length,
    overflowing: Array.from(document.querySelectorAll(".nnlab-scroll"))
      .filter(e => e.scrollWidth > e.clientWidth + 1)
      .map(e => e.classList.contains("nnlab-overflows")),
  };
}"""


def widget_views(path):
    return len(
        soup_of(path).select('script[type="application/vnd.jupyter.widget-view+json"]')
    )


AHEAD = 3  # pages loading at once: MathJax of two, the load of a third


def _open(browser, path, width):
    """Load `path` in a new page `width` px wide; (page, remote URLs, errors)."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    remote, errors = [], []
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith(("file://", "data:")) else remote.append(r.url)
        ),
    )
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(path.as_uri(), wait_until="load")
    except BaseException:
        page.close()
        raise
    return page, remote, errors


@pytest.fixture(scope="module")
def rendered(pages, browser, screenshot_dir):
    """Every page at both widths, after MathJax and the widgets: what it shows.

    Saves ``tests/screenshots/handout-<page>-<width>.png``. Pages are
    loaded `AHEAD` at a time, so that their MathJax typesetting (most of the
    time) runs on both cores while the first is read.
    """
    seen = {}
    jobs = [(n, p, w) for n, p in all_pages(pages).items() for w in WIDTHS]
    opened = {}  # job -> (page, remote, errors), loaded ahead of its turn
    try:
        for i, (name, path, width) in enumerate(jobs):
            for job in jobs[i : i + AHEAD]:
                if job not in opened:
                    opened[job] = _open(browser, job[1], job[2])
            page, remote, errors = opened[name, path, width]
            if name != "index":
                # MathJax runs its queue in order: a callback queued now
                # runs after the initial typesetting.
                page.wait_for_function("window.MathJax && MathJax.Hub")
                page.evaluate(
                    "new Promise(done => MathJax.Hub.Queue(() => done(true)))"
                )
                views = widget_views(path)
                page.wait_for_function(
                    "n => document.querySelectorAll("
                    "'.jupyter-widgets .widget-output img').length >= n",
                    arg=views,
                    timeout=20000,
                )
            page.wait_for_timeout(300)
            seen[name, width] = page.evaluate(OBSERVE)
            seen[name, width].update(remote=remote, errors=errors)
            page.screenshot(
                path=str(screenshot_dir / f"handout-{name}-{width}.png"),
                full_page=False,
            )
            opened.pop((name, path, width))[0].close()
    finally:
        for page, _, _ in opened.values():
            page.close()
    return seen


PAGES = [*STEMS, "index"]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_page_renders_offline(name, width, rendered):
    """No remote request, no console error, images decoded, widgets drawn."""
    seen = rendered[name, width]
    assert seen["remote"] == [], f"requests to remote hosts: {seen['remote']}"
    assert seen["errors"] == [], f"console errors: {seen['errors']}"
    assert seen["images"], "no figure on the page"
    assert all(i["complete"] and i["natural"] > 0 for i in seen["images"])
    assert "Error displaying widget" not in seen["fullText"]
    assert "Loading widget" not in seen["fullText"]
    if name != "index":
        assert seen["math"] > 0, "no typeset math"
        assert seen["mathErrors"] == 0


TEX_LEFT = re.compile(r"\$|\\[A-Za-z]+|\\[{}()\[\]]")


@pytest.mark.parametrize("name", STEMS)
def test_math_is_never_eaten(name, rendered):
    """After MathJax, the text a reader sees holds no TeX source."""
    text = rendered[name, 1280]["text"]
    leftovers = [
        text[max(m.start() - 40, 0) : m.end() + 40] for m in TEX_LEFT.finditer(text)
    ]
    assert leftovers == [], f"TeX source left in the text: {leftovers[:5]}"


@pytest.mark.parametrize("name", PAGES)
def test_every_image_has_alt_text_in_the_browser(name, rendered):
    for width in WIDTHS:
        for image in rendered[name, width]["images"]:
            alt = (image["alt"] or "").strip().lower()
            assert alt not in PLACEHOLDER_ALTS, image


@pytest.mark.parametrize("name", STEMS)
def test_widget_controls_are_disabled(name, pages, rendered):
    seen = rendered[name, 1280]
    assert seen["widgets"] == widget_views(pages[name])
    assert seen["controls"] or seen["sliders"]
    assert all(seen["controls"]) and all(seen["sliders"])


@pytest.mark.parametrize("name", PAGES)
def test_phone_page_never_scrolls_sideways(name, rendered):
    """At 390 px: no sideways page scroll, figures full width, widgets wrap."""
    seen = rendered[name, 390]
    assert seen["scrollWidth"] <= seen["clientWidth"]
    assert seen["controlsOffScreen"] == 0
    assert all(seen["overflowing"]), "a wide table scrolls without the cue"
    for image in seen["images"]:
        if image["figure"] and image["natural"] >= seen["clientWidth"]:
            # The page keeps a margin of 8 px on each side.
            assert image["width"] >= seen["clientWidth"] - 16 - 1, image


def test_python_dash_m_nnlab_book_runs_the_builder():
    import subprocess
    import sys

    import nnlab.book.__main__ as entry  # importing it builds nothing

    assert entry.main is handouts.main

    out = subprocess.run(
        [sys.executable, "-m", "nnlab.book", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "--no-pdf" in out.stdout


def test_an_unknown_notebook_name_exits_2_and_lists_them(tmp_path, capsys):
    # as `python -m nnlab.execute` does; a number selects a project notebook
    assert handouts.main(["99", "--no-pdf", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "matches 0 notebooks" in err and "00_tour" in err
    assert not (tmp_path / "index.html").exists()
