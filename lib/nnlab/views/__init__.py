"""Figures and widget callbacks, one module a notebook.

Each module here turns library results into matplotlib figures. A function
that a widget drives takes keyword arguments only and returns a
`matplotlib.figure.Figure` (or a string); `interactive` wires it to
ipywidgets controls. Each module lists its widget callbacks with their
default settings in ``WIDGETS = {name: (function, kwargs)}`` so that the
latency benchmark and the browser tests can call them directly.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt


def interactive(fn: Callable, **controls):
    """Controls above an output area that `fn(**values)` redraws.

    Parameters
    ----------
    fn : callable
        Takes one keyword argument per control and returns a matplotlib
        Figure, a string, or an object IPython can display.
    **controls : ipywidgets.ValueWidget
        One widget per keyword argument of `fn`.

    Returns
    -------
    ipywidgets.VBox
        The controls in a row, then the output. Display it as the last
        expression of a cell.
    """
    import ipywidgets as widgets
    from IPython.display import display

    if not controls:
        raise ValueError("interactive needs at least one control, got none")
    for name, w in controls.items():
        if not isinstance(w, widgets.ValueWidget):
            raise TypeError(
                f"control {name!r} must be an ipywidgets value widget, "
                f"got {type(w).__name__}"
            )

    def show(**values):
        result = fn(**values)
        if isinstance(result, plt.Figure):
            display(result)
            plt.close(result)
        elif isinstance(result, str):
            print(result)
        elif result is not None:
            display(result)

    out = widgets.interactive_output(show, controls)
    box = widgets.HBox(list(controls.values()))
    return widgets.VBox([box, out])
