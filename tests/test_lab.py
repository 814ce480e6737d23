"""Every notebook, run in a real JupyterLab in headless Chromium.

nbval shows that a notebook's printed outputs are right; only a browser shows
that its widgets render in JupyterLab and that moving one redraws what it
drives. The server runs on 127.0.0.1 with a random free port and token, on a
copy of the notebooks (JupyterLab saves what it runs), and is shut down
however the test ends.

Each notebook is opened once, in one kernel: first saved unrun (the file
must not change), then cleared and run with Run All, so the kernel start and
the page load are paid once per notebook, not twice.
"""

import json
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import NamedTuple

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from nnlab.execute import WIDGET_PLACEHOLDER
from nnlab.kernel import DISPLAY_NAME, KERNEL_NAME

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
RUN_TIMEOUT_MS = 180_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, browser):
    """(base URL, token) of a JupyterLab serving a copy of notebooks/."""
    root = tmp_path_factory.mktemp("lab")
    settings = tmp_path_factory.mktemp("lab-settings")
    # Render every cell, not only those in view, so the test sees them all.
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"})
    )
    (root / "stored").mkdir()
    for path in NOTEBOOKS:
        # Byte-for-byte copies: saved unrun, then cleared and run (`opened`).
        shutil.copyfile(path, root / "stored" / path.name)
    port, token = _free_port(), secrets.token_hex(16)
    log = open(root / "server.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--allow-root",  # CI runs as root
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={settings}",
            "--LabApp.news_url=None",
            "--LabApp.extension_manager=readonly",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            # window.jupyterapp: the stored-notebook checks open each notebook
            # in one loaded JupyterLab, as a student opens one after another
            "--LabApp.expose_app_in_browser=True",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=root,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited: {(root / 'server.log').read_text()}")
            try:
                with urllib.request.urlopen(
                    f"{base}/api/status?token={token}", timeout=2
                ) as r:
                    json.load(r)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not answer within 60 s")
                time.sleep(0.5)
        with urllib.request.urlopen(
            f"{base}/api/kernelspecs?token={token}", timeout=10
        ) as r:
            specs = json.load(r)["kernelspecs"]
        assert KERNEL_NAME in specs, (
            f"kernel {KERNEL_NAME!r} is not installed (python -m nnlab.kernel); "
            f"JupyterLab has {sorted(specs)}"
        )
        yield base, token, root
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


# Closes every document in the main area without asking: a notebook another
# test left modified would otherwise open a "Save changes?" dialog.
CLOSE_ALL = """() => {
    for (const w of Array.from(window.jupyterapp.shell.widgets('main'))) {
        if (w.context) w.context.model.dirty = false;
        w.dispose();
    }
}"""


class LabPage(NamedTuple):
    """The shared JupyterLab page and the errors thrown in it."""

    page: object
    errors: list


def _open_alone(page, path: str) -> None:
    """Close every open document, open notebook `path`, wait for its cells."""
    page.evaluate(CLOSE_ALL)
    page.evaluate(
        "path => window.jupyterapp.commands.execute('docmanager:open', {path})",
        path,
    )
    page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=120_000)


@pytest.fixture(scope="module")
def lab_page(lab, browser):
    """One JupyterLab page, loaded once, in which notebooks are opened in turn."""
    base, token, _ = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    # errors thrown in the page; a test that checks them clears the list first
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        # ?reset: a clean workspace, so no notebook of an earlier run reopens
        page.goto(f"{base}/lab?reset&token={token}")
        page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.started", timeout=120_000
        )
        page.evaluate("() => window.jupyterapp.restored")
        yield LabPage(page, errors)
    finally:
        page.close()


def _start_session(base: str, token: str, name: str, path: str) -> str:
    """Start the notebook's own kernel for it before the page opens.

    JupyterLab then finds a session for the path and attaches to it, instead
    of racing its kernel-spec list on a fresh server (the race is what opens
    a "Select Kernel" dialog, and switching kernels from that dialog leaves
    the session "terminating" for a while). The kernel name is read from the
    notebook's metadata, as JupyterLab would read it.
    """
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    body = json.dumps(
        {
            "path": path,
            "name": name,
            "type": "notebook",
            "kernel": {"name": nb.metadata.kernelspec.name},
        }
    ).encode()
    request = urllib.request.Request(
        f"{base}/api/sessions?token={token}",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as r:
        return json.load(r)["id"]


def _end_session(base: str, token: str, session: str) -> None:
    """Shut the session's kernel down: seven idle kernels need not wait."""
    request = urllib.request.Request(
        f"{base}/api/sessions/{session}?token={token}", method="DELETE"
    )
    with urllib.request.urlopen(request, timeout=60):
        pass


def _menu(page, menu: str, item: str) -> None:
    """Click `item` in the menu bar's `menu`, past a kernel dialog if one opens."""
    bar = page.locator(".lm-MenuBar-item", has_text=re.compile(f"^{menu}$"))
    for attempt in range(3):
        _accept_kernel_dialog(page)
        try:
            bar.click(timeout=10_000)
            break
        except PlaywrightTimeout:  # a dialog opened between the check and the click
            if attempt == 2:
                raise
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).click()


PROGRESS = """() => Array.from(document.querySelectorAll(
    '.jp-Notebook .jp-CodeCell .jp-InputArea-prompt'))
    .map(p => p.textContent.trim())"""
STALL_S = 20


# Dialogs JupyterLab may open around a kernel that is starting or changing.
# Each is answered and the page then waits for an idle kernel; any other
# dialog fails the test with its text.
KERNEL_DIALOGS = ("Select Kernel", "Kernel Terminating", "Kernel Restarting")
IDLE = ".jp-Notebook-ExecutionIndicator[data-status='idle']"


def _accept_kernel_dialog(page) -> bool:
    """Answer every kernel dialog JupyterLab shows; True if there was one.

    "Select Kernel" (the notebook opened before its session had a kernel)
    is answered with the nnlab kernel; "Kernel Terminating" (a cell was run
    while the session was switching kernels; one dialog per queued cell) is
    dismissed. Then the page waits for the kernel to be idle again.
    """
    answered = False
    for _ in range(200):  # at most one dialog per cell, and a few to spare
        dialog = page.locator(".jp-Dialog")
        if not (dialog.count() and dialog.first.is_visible()):
            break
        box = dialog.first
        text = box.inner_text()
        if not any(title in text for title in KERNEL_DIALOGS):
            raise AssertionError(f"unexpected JupyterLab dialog: {text!r}")
        if "Select Kernel" in text:
            box.locator("select").first.select_option(label=DISPLAY_NAME)
        box.locator(".jp-Dialog-button.jp-mod-accept").first.click()
        answered = True
        page.wait_for_timeout(200)
    if answered:
        page.wait_for_selector(IDLE, timeout=120_000)
    return answered


def _run_all(page) -> None:
    """Run all cells and wait until every code cell has an execution count.

    On a fresh server the first notebook can look idle before its kernel
    connection is up; a Run All sent then is lost (no cell even queues).
    So while no cell is queued or running and nothing has moved for
    STALL_S seconds, Run All is sent again:
    rerunning cells is harmless, and the wait only ends when every cell
    shows a count from this kernel.
    """
    _accept_kernel_dialog(page)
    _menu(page, "Run", "Run All Cells")
    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    last, moved = None, time.monotonic()
    while True:
        prompts = page.evaluate(PROGRESS)
        if prompts and all(re.fullmatch(r"\[\d+\]:?", p) for p in prompts):
            return
        if time.monotonic() > deadline:
            raise AssertionError(
                f"cells still unrun after {RUN_TIMEOUT_MS / 1000:.0f} s: {prompts}"
            )
        if prompts != last:
            last, moved = prompts, time.monotonic()
        busy = any("*" in p for p in prompts)  # a cell is queued or running
        stalled = not busy and time.monotonic() - moved > STALL_S
        if _accept_kernel_dialog(page) or stalled:
            _menu(page, "Run", "Run All Cells")
            moved = time.monotonic()
        page.wait_for_timeout(500)


def _output_signature(widget_box) -> str:
    """What a widget's output area shows: image data or text."""
    return widget_box.evaluate(
        """box => {
            const out = box.querySelector('.widget-output');
            if (!out) return '';
            const imgs = Array.from(out.querySelectorAll('img')).map(i => i.src);
            return imgs.join('|') + '#' + out.innerText;
        }"""
    )


def _nudge(widget_box, page) -> str:
    """Change the first control of a widget box; return what was changed."""
    handle = widget_box.locator(".noUi-handle").first
    if handle.count():
        handle.focus()
        before = handle.get_attribute("aria-valuenow")
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(200)
        if handle.get_attribute("aria-valuenow") == before:  # at its maximum
            page.keyboard.press("ArrowLeft")
        return "slider"
    select = widget_box.locator("select").first
    if select.count():
        options = select.locator("option").all_inner_texts()
        current = select.input_value()
        choice = next(o for o in options if o != current)
        select.select_option(label=choice)
        return "dropdown"
    toggle = widget_box.locator("button").first
    if toggle.count():
        toggle.click()
        return "button"
    raise AssertionError("the first widget box has no slider, drop-down or button")


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=lambda p: p.name)
def opened(request, lab, lab_page):
    """A stored notebook, open alone in the page, with an idle kernel of its own.

    Module scope and parameters make pytest run both tests below for one
    notebook before it opens the next: the save test first (file order), then
    the run test in the same kernel.
    """
    path = request.param
    base, token, _ = lab
    name = f"stored/{path.name}"
    session = _start_session(base, token, path.name, name)
    page = lab_page.page
    try:
        _open_alone(page, name)
        # Wait for the kernel, or the first cells run may queue behind its start.
        page.wait_for_selector(IDLE, timeout=120_000)
        _accept_kernel_dialog(page)
        yield path, name
    finally:
        page.evaluate(CLOSE_ALL)
        _end_session(base, token, session)


def test_opening_and_saving_without_running_leaves_the_file_unchanged(
    opened, lab, lab_page, screenshot_dir
):
    """A student opens a stored notebook, reads it and saves: no git diff.

    JupyterLab rewrites what it saves from its own model of the notebook
    (metadata from the kernel it starts, the widget state it holds), so any
    field the stored file has in another form shows up as a change.
    """
    path, name = opened
    stored = lab[2] / name
    page = lab_page.page
    page.wait_for_selector(".jp-OutputArea-output", timeout=60_000)
    page.wait_for_timeout(1000)  # let every stored output render
    shown = page.evaluate("() => document.body.innerText")
    drawn = page.locator(".jp-OutputArea-output .widget-vbox").count()
    before = stored.stat().st_mtime_ns
    page.locator(".jp-Notebook").first.click()
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 30
    while stored.stat().st_mtime_ns == before:
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} was not saved within 30 s")
        page.wait_for_timeout(200)
    page.wait_for_timeout(500)  # the write may land in two steps
    page.screenshot(path=str(screenshot_dir / f"lab-saved-{path.stem}.png"))
    # an unrun widget output shows the instruction (or the saved widget),
    # never ipywidgets' VBox(children=... repr
    assert "VBox(children" not in shown
    assert WIDGET_PLACEHOLDER in shown or drawn > 0
    saved, original = stored.read_text(), path.read_text()
    if saved != original:
        import difflib

        diff = "".join(
            list(
                difflib.unified_diff(
                    original.splitlines(True), saved.splitlines(True), n=1
                )
            )[:60]
        )
        raise AssertionError(f"saving {path.name} unrun changed it:\n{diff}")


CLEAR_ALL = (
    "() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')"
)


def test_notebook_runs_in_jupyterlab_and_its_widget_responds(
    opened, lab_page, screenshot_dir
):
    """Cleared, then Run All: every cell gets a count from this kernel."""
    path, _ = opened
    page, page_errors = lab_page
    page_errors.clear()
    # Stored outputs and execution counts cleared: the test then waits for
    # every cell to get a count of its own, and sees only new output.
    page.locator(".jp-Notebook").first.click()
    page.evaluate(CLEAR_ALL)
    page.wait_for_function(
        "() => !document.querySelector('.jp-Notebook .jp-OutputArea-output')",
        timeout=30_000,
    )
    unrun = page.evaluate(PROGRESS)
    assert unrun and not any(re.search(r"\d", p) for p in unrun), (
        f"{path.name}: clearing left execution counts: {unrun}"
    )
    try:
        _run_all(page)
    finally:
        page.screenshot(path=str(screenshot_dir / f"lab-{path.stem}.png"))
    errors = page.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    ).all_inner_texts()
    boxes = page.locator(".jp-OutputArea-output .widget-vbox")
    page.wait_for_function(
        """() => !document.body.innerText.includes('Loading widget...')""",
        timeout=60_000,
    )
    text = page.locator(".jp-Notebook").first.inner_text()
    kernel = page.locator(".jp-NotebookPanel-toolbar .jp-Toolbar-kernelName")
    kernel_name = kernel.first.inner_text().strip()
    box_count = boxes.count()
    changed = None
    if box_count:
        box = boxes.first
        box.scroll_into_view_if_needed()
        before = _output_signature(box)
        kind = _nudge(box, page)
        try:
            page.wait_for_function(
                """([box, before]) => {
                    const out = box.querySelector('.widget-output');
                    const imgs = Array.from(out.querySelectorAll('img'))
                        .map(i => i.src);
                    return imgs.join('|') + '#' + out.innerText !== before;
                }""",
                arg=[box.element_handle(), before],
                timeout=60_000,
            )
            changed = kind
        except Exception:  # noqa: BLE001 - reported by the assert below
            changed = False
    page.screenshot(path=str(screenshot_dir / f"lab-{path.stem}.png"))
    assert errors == [], f"{path.name}: error or stderr output: {errors}"
    # the notebook ran in the project's kernel, not a python3 one
    assert kernel_name == DISPLAY_NAME, f"{path.name} ran in {kernel_name!r}"
    assert "Error displaying widget" not in text
    assert "Loading widget" not in text
    assert box_count > 0, f"{path.name}: no widget rendered"
    assert changed, f"{path.name}: changing the first widget did not redraw it"
    assert page_errors == [], page_errors
