"""Settings for every pytest run in the repository, notebooks included."""

from pathlib import Path


def pytest_configure(config):
    """Resolve pyproject's relative nbval sanitizer path from the rootdir.

    `addopts` names ``tools/nbval_sanitize.cfg`` relative to the repository,
    but nbval opens it relative to the working directory: without this,
    ``cd notebooks && pytest 00_tour.ipynb`` fails with FileNotFoundError.
    """
    path = getattr(config.option, "nbval_sanitize_with", None)
    if path and not Path(path).is_absolute() and not Path(path).exists():
        config.option.nbval_sanitize_with = str(config.rootpath / path)


def pytest_collection_modifyitems(config, items):
    """Run the longest files first: those with browser tests, then notebooks.

    `make test` runs two pytest-xdist workers that each take whole files
    (``--dist loadfile``) in this order (``--no-loadscope-reorder``), so the
    two browser files, which spend most of their time waiting on a kernel or
    on Chromium, start at once and the unit tests fill the gaps; had they
    come last, one worker would run a browser file alone at the end. The
    order of the tests within a file is kept (the sort is stable).
    """
    browser = {i.path for i in items if "browser" in getattr(i, "fixturenames", ())}

    def rank(item):
        if item.path in browser:
            return 0
        return 1 if item.path.suffix == ".ipynb" else 2

    items.sort(key=rank)
