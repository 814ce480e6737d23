"""Handouts: exported from the stored notebooks, read offline in Chromium."""

import json

import pytest

from nnlab import handouts

ROOT = handouts.ROOT
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """Every notebook exported, without executing, into a temporary folder."""
    out = tmp_path_factory.mktemp("handouts")
    built = handouts.build(NOTEBOOKS, out, log=lambda _: None)
    return {p.stem: p for p in built}


def test_every_notebook_has_a_handout_and_the_assets_are_local(pages):
    assert sorted(pages) == [p.stem for p in NOTEBOOKS]
    static = next(iter(pages.values())).parent / "static"
    for asset in handouts.ASSETS.values():
        assert (static.parent / asset.split("?")[0]).is_file(), asset
    assert (static / "mathjax" / "config" / "nnlab.js").is_file()


def test_index_links_every_handout(tmp_path):
    entries = [(f"{p.stem}.html", p.stem) for p in NOTEBOOKS]
    handouts.write_index(entries, tmp_path)
    index = (tmp_path / "index.html").read_text()
    for href, _ in entries:
        assert f'href="{href}"' in index


def test_build_names_a_missing_notebook(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such notebook: .*nope.ipynb"):
        handouts.build([tmp_path / "nope.ipynb"], tmp_path)


def _has_widgets(stem: str) -> bool:
    nb = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text())
    return "widgets" in nb.get("metadata", {})


@pytest.mark.parametrize("stem", [p.stem for p in NOTEBOOKS])
def test_handout_renders_offline(stem, pages, browser, screenshot_dir):
    """No remote request, images decoded, math typeset, widgets drawn."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    remote, errors = [], []

    def on_request(request):
        if not request.url.startswith(("file://", "data:")):
            remote.append(request.url)

    def on_console(message):
        if message.type == "error":
            errors.append(message.text)

    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(pages[stem].as_uri(), wait_until="load")
        # MathJax runs its queue in order: a callback queued now runs after
        # the initial typesetting.
        page.wait_for_function("window.MathJax && MathJax.Hub", timeout=20000)
        page.evaluate("new Promise(done => MathJax.Hub.Queue(() => done(true)))")
        if _has_widgets(stem):
            page.wait_for_selector(".jupyter-widgets", timeout=20000)
        page.wait_for_timeout(300)
        images = page.evaluate(
            "Array.from(document.images).map(i => [i.complete, i.naturalWidth])"
        )
        math = page.locator(".MathJax, .MathJax_Display").count()
        text = page.evaluate("document.body.innerText")
        math_errors = page.locator(".MathJax_Error, .merror").count()
        page.screenshot(path=str(screenshot_dir / f"handout-{stem}.png"))
    finally:
        page.close()
    assert remote == [], f"requests to remote hosts: {remote}"
    assert errors == [], f"console errors: {errors}"
    assert images, "no figure in the handout"
    assert all(done and width > 0 for done, width in images), images
    assert math > 0, "no typeset math"
    assert math_errors == 0
    assert "$$" not in text, "raw $$ left in the text: MathJax did not typeset it"
    assert "Error displaying widget" not in text
    assert "Loading widget" not in text


def test_index_titles_are_plain_text():
    assert handouts.plain_title(r"5. BPTT in $O(\log T)$ memory") == (
        "5. BPTT in O(log T) memory"
    )
    assert handouts.plain_title("2. Which activation?") == "2. Which activation?"


def test_building_the_handouts_touches_no_tracked_file(tmp_path):
    """`make handouts` exports what is stored; it never rewrites a notebook."""
    tracked = NOTEBOOKS + sorted((ROOT / "figures").glob("*.png"))
    before = {p: p.read_bytes() for p in tracked}
    assert handouts.main(["--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "index.html").is_file()
    changed = [p.name for p in tracked if p.read_bytes() != before[p]]
    assert changed == []
