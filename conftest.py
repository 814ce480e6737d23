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
