"""Test-wide settings: a non-interactive matplotlib backend, no windows."""

import matplotlib

matplotlib.use("Agg")
