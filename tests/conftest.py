"""Test-wide settings and the headless Chromium that browser tests share."""

import os
from pathlib import Path

import matplotlib
import pytest

# One Chromium setup for the book's PDF and the browser tests.
from nnlab.book.pdf import CHROMIUM_ARGS, chromium_path

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "tests" / "screenshots"


def pytest_collection_modifyitems(config, items):
    """Mark every test that uses the `browser` fixture ``browser``.

    `make test-core` runs the suite under other BLAS kernels with
    ``-m "not browser"``: the browser tests do not depend on the kernel and
    run once, in `make test`.
    """
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium driven by playwright, shared by the session.

    Locally the browser tests skip, saying why, when no Chromium is
    installed; under CI (CI=true) a missing browser is a failure, so CI
    never skips them.
    """
    path = chromium_path()
    if path is None:
        message = "no Chromium found on PATH: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests, but {message}")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chrome = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield chrome
        finally:
            chrome.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
