"""What every notebook's figures share: widgets, PNGs, log ticks, the tour.

Each problem's figures live in its package (``nnlab.p1_cnn.figures``, ...);
the tour's in `nnlab.views.tour`. A function that a widget drives takes
keyword arguments only and returns a `matplotlib.figure.Figure` (or a
string); `interactive` wires it to ipywidgets controls. Each figures module
lists its widget callbacks with their default settings in
``WIDGETS = {name: (function, kwargs)}``, and `WIDGET_MODULES` lists those
modules, so that the tests and the latency benchmark call every callback,
and ``ALT = {function name: text}`` describes each ``*_figure`` function and
widget callback for a reader who cannot see it (the handouts' alt text).
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import IdentityTransform

#: The modules whose ``WIDGETS`` the tests call and the benchmark times.
WIDGET_MODULES = {
    "tour": "nnlab.views.tour",
    "p1_cnn": "nnlab.p1_cnn.figures",
    "p2_activations": "nnlab.p2_activations.figures",
    "p3_expansion": "nnlab.p3_expansion.figures",
    "p4_seqnorm": "nnlab.p4_seqnorm.figures",
    "p5_bptt": "nnlab.p5_bptt.figures",
    "p6_rnn2d": "nnlab.p6_rnn2d.figures",
}


def figure_png(fig: plt.Figure) -> bytes:
    """PNG bytes of `fig`, which is then closed.

    The figure is drawn as laid out by the function that drew it (each one
    sets tight, constrained or fixed margins), not with
    ``bbox_inches="tight"`` as the inline backend saves it: that option draws
    the whole figure twice, and a widget redraw has 100 ms to spend.

    The PNG is the one ``savefig`` writes (8-bit RGBA at the figure's dpi,
    with its Software and pHYs chunks), but deflated at level 1 with no row
    filters: Pillow's default (level 6, a filter chosen per row) took 25 to
    35 ms of a redraw, this takes a quarter of that for files about 5% larger.
    """
    try:
        canvas = fig.canvas
        if not isinstance(canvas, FigureCanvasAgg):
            canvas = FigureCanvasAgg(fig)
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())  # (H, W, 4) uint8
    finally:
        plt.close(fig)
    return _png(rgba, fig.dpi)


#: Figures that widget callbacks update in place, by key (see `live_figure`).
_LIVE: dict[str, tuple] = {}


def live_figure(key: str, build: Callable[[], tuple]) -> tuple:
    """Return the figure a widget callback redraws: built on first use, then reused.

    Drawing a figure whose axes, ticks and text already exist costs about
    half of building it anew (measured on the widgets of notebooks 0-6:
    31-83 ms against 60-170 ms), so a callback builds its figure once and
    afterwards only changes data, limits and text of the artists it kept:
    ``line.set_data``, ``image.set_data``, ``text.set_text``, ...

    Parameters
    ----------
    key : str
        One figure per key, e.g. ``"p6.receptive_field"``.
    build : callable
        ``build() -> (fig, parts)``, called once for `key`. The figure must
        be a `matplotlib.figure.Figure` made without pyplot, so that pyplot
        never shows it at the end of a cell or closes it (`figure_png`'s
        ``plt.close`` is then a no-op); `parts` is whatever the callback
        needs to update it (a dict of artists, say).

    Returns
    -------
    tuple
        ``(fig, parts)``, the same objects on every call with this `key`.
    """
    if not isinstance(key, str):
        raise TypeError(f"key must be a str, got {type(key).__name__}")
    if key not in _LIVE:
        fig, parts = build()
        pyplot_made = plt.fignum_exists(getattr(fig, "number", -1))
        if not isinstance(fig, Figure) or pyplot_made:
            raise ValueError(
                f"build for {key!r} must return a matplotlib.figure.Figure made "
                f"without pyplot, got {fig!r}"
            )
        _LIVE[key] = fig, parts
    return _LIVE[key]


def freeze(artist, keep=()) -> list:
    """Replace a static `artist` by its pixels, drawn as one image from then on.

    A legend lays out and renders each label on every draw: 15 ms for each of
    the widget's two legends, whose entries no setting changes. Frozen, the
    legend costs a copy of its pixels. Only for an artist whose pixels do not
    depend on what lies under it: here one over the white figure, or a legend
    with an opaque frame. Call once the figure's layout is final; the figure
    must then be drawn at its own dpi (`figure_png` does).

    Parameters
    ----------
    artist : matplotlib.artist.Artist
        A legend, say; it is removed from the figure.
    keep : sequence of matplotlib.lines.Line2D
        Lines inside `artist` to keep live (a legend key whose colour a
        setting changes): left out of the pixels and drawn on top instead.

    Returns
    -------
    list of matplotlib.lines.Line2D
        The kept lines' stand-ins, in figure pixels, one for each of `keep`.
    """
    fig = artist.get_figure(root=True)
    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg):
        canvas = FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    renderer.clear()
    fig.patch.draw(renderer)
    for line in keep:
        line.set_visible(False)
    artist.draw(renderer)  # which places it, and the lines in `keep`
    box = artist.get_window_extent(renderer)  # a legend's frame, not its edge line
    W, H = int(renderer.width), int(renderer.height)
    x0, y0 = max(int(np.floor(box.x0)) - 2, 0), max(int(np.floor(box.y0)) - 2, 0)
    x1, y1 = min(int(np.ceil(box.x1)) + 2, W), min(int(np.ceil(box.y1)) + 2, H)
    pixels = np.array(renderer.buffer_rgba())[H - y1 : H - y0, x0:x1]  # (h, w, 4)
    # (pixels counted from the bottom, the buffer's rows from the top)
    zorder = artist.get_zorder()
    fig.figimage(pixels, xo=x0, yo=y0, origin="upper", zorder=zorder)
    stand_ins = []
    for line in keep:
        x, y = line.get_transform().transform(line.get_xydata()).T  # pixels
        stand_in = Line2D(x, y)
        stand_in.update_from(line)
        # above the image, which a figure draws after its artists of equal zorder
        stand_in.set(transform=IdentityTransform(), visible=True, zorder=zorder + 0.1)
        stand_ins.append(fig.add_artist(stand_in))
    artist.remove()
    return stand_ins


def _png(rgba: np.ndarray, dpi: float) -> bytes:
    """Encode an (H, W, 4) uint8 image as PNG: filter type 0, deflate level 1."""
    import struct
    import zlib

    import matplotlib

    H, W, _ = rgba.shape
    rows = np.zeros((H, 1 + 4 * W), np.uint8)  # each row: filter byte 0, pixels
    rows[:, 1:] = rgba.reshape(H, 4 * W)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    per_metre = round(dpi / 0.0254)
    software = f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/"
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 6, 0, 0, 0)),
            chunk(b"tEXt", b"Software\0" + software.encode("latin-1")),
            chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
            chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)),
            chunk(b"IEND", b""),
        )
    )


def interactive(fn: Callable, **controls):
    """Build controls above an output area that `fn(**values)` redraws.

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
    from IPython.display import Image, display

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
            display(Image(data=figure_png(result), format="png"))
        elif isinstance(result, str):
            print(result)
        elif result is not None:
            display(result)

    out = widgets.interactive_output(show, controls)
    box = widgets.HBox(list(controls.values()))
    return widgets.VBox([box, out])


def _plain_label(value: float, _pos=None) -> str:
    """``0.05``, ``1``, ``200`` near 1; ``1e-6``, ``2e5`` far from it."""
    if value <= 0:
        return ""
    exponent = int(np.floor(np.log10(value) + 1e-9))
    if -2 <= exponent <= 3:
        return f"{value:g}"
    return f"{value / 10.0**exponent:g}e{exponent}"


def plain_log_ticks(
    ax, axis: str = "both", subs: tuple[float, ...] = (1.0,), numticks: int = 8
) -> None:
    """Log-axis ticks at ``subs`` times powers of ten, plain labels, no minor ticks.

    Matplotlib's default log ticks typeset every label as mathtext
    (``10^{-6}``) and lay out minor ticks too, which made a widget's redraw
    two to three times slower than the 150 ms it is allowed. Call after the
    last plotting call that sets the scale (``semilogy`` resets the ticks).
    ``subs=(1, 2, 5)`` ticks 1, 2, 5, 10, 20, ... for axes spanning few
    decades.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    if axis not in ("x", "y", "both"):
        raise ValueError(f"axis must be 'x', 'y' or 'both', got {axis!r}")
    for name in ("x", "y") if axis == "both" else (axis,):
        a = getattr(ax, f"{name}axis")
        a.set_major_locator(LogLocator(base=10, subs=subs, numticks=numticks))
        a.set_major_formatter(FuncFormatter(_plain_label))
        a.set_minor_locator(NullLocator())
