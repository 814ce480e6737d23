"""Problem 1's widgets: the preset drop-down, and the views redrawn in place."""

import io
import random
from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlab import views
from nnlab.p1_cnn import erf_figures, figures, network_figures
from nnlab.p1_cnn.erf import spread
from nnlab.p1_cnn.figure_parts import variant_network, variant_row
from nnlab.p1_cnn.presets import PROBLEM1_INPUT, presets
from nnlab.p1_cnn.receptive import geometric_field


def test_network_widget_shows_every_preset():
    box = figures.network_widget("Problem 1")
    (controls, out) = box.children
    (choice,) = controls.children
    assert list(choice.options) == list(presets())
    for name in choice.options:
        choice.value = name  # redraws: any failure raises inside the callback
    assert plt.get_fignums() == []  # each figure was closed after drawing


@pytest.mark.parametrize("name", list(presets()))
def test_network_growth_figure_titles_the_full_field_row(name):
    fig = figures.network_growth_figure(name)
    table = network_figures._preset_table(name)
    title = fig.axes[0].get_title()
    if table.first_full is None:
        assert "no row's every output sees the whole input" in title
    else:
        assert f"from row {table.first_full.index} ({table.first_full.name})" in title
    plt.close(fig)


def test_network_widget_refuses_an_unknown_preset():
    with pytest.raises(ValueError, match="name must be one of"):
        figures.network_widget("LeNet")


def test_field_figure_clamps_the_layer_to_a_shorter_network():
    # The all-convolutional variant has 16 rows; the slider goes to 21.
    fig = figures.field_figure(layer=21, variant="strided, no pool")
    assert "layer 16" in fig.axes[0].get_title()
    plt.close(fig)


def test_figures_re_exports_the_effective_field_figures_and_shares_the_variants():
    from nnlab.p1_cnn import erf_figures, figure_parts, figures
    from nnlab.p1_cnn.presets import problem1_variants

    for name in ("erf_figure", "erf_growth_figure", "erf_maps", "erf_sweep_figure"):
        assert getattr(figures, name) is getattr(erf_figures, name), name
    for name in ("network_growth_figure", "network_growth_view", "network_widget"):
        assert getattr(figures, name) is getattr(network_figures, name), name
    assert figures.ERF_IMAGES == erf_figures.ERF_IMAGES
    assert figure_parts.VARIANTS == tuple(problem1_variants())
    # the table is computed once per variant: the same object comes back
    v = figure_parts.VARIANTS[0]
    assert figure_parts.variant_table(v) is figure_parts.variant_table(v)
    assert figure_parts.variant_row(v, 1) is figure_parts.variant_table(v).rows[0]
    with pytest.raises(ValueError, match="variant must be one of"):
        figure_parts.variant_network("no such network")


@pytest.fixture
def few_images(monkeypatch):
    """Effective fields averaged over 4 images, not 32: drawing is under test.

    About 0.1 s a variant instead of 2 s.
    """
    compute = erf_figures.erf_maps.__wrapped__
    maps = lru_cache(maxsize=None)(lambda variant: compute(variant, 4))
    monkeypatch.setattr(erf_figures, "erf_maps", maps)
    erf_figures._erf_curves.cache_clear()
    yield
    erf_figures._erf_curves.cache_clear()


def _pixels(fig) -> np.ndarray:
    """The RGBA pixels of the PNG a widget shows for `fig`."""
    return plt.imread(io.BytesIO(views.figure_png(fig)), format="png")


# (callback, its live-figure key, setting A, setting B): B differs from A in
# every control, and the zoom, the title's length, the colour scale or the
# y range of a profile all change from A to B.
LIVE = [
    (
        figures.field_view,
        "p1_cnn.field",
        {"layer": 3, "row": 30, "col": 2, "variant": "strided, no pool"},
        {"layer": 16, "row": 1, "col": 0, "variant": "conv 3x3/2, pad 1"},
    ),
    (
        figures.field_view,
        "p1_cnn.field",
        {"layer": 18, "row": 0, "col": 0, "variant": "max-pool 2x2/2"},
        # clamped to the 16 rows of this network and its 1x1 last map
        {"layer": 21, "row": 31, "col": 31, "variant": "strided, no pool"},
    ),
    (
        figures.erf_view,
        "p1_cnn.erf",
        {"layer": 21, "variant": "max-pool 2x2/2"},
        {"layer": 3, "variant": "conv 2x2/2"},
    ),
    (
        figures.erf_view,
        "p1_cnn.erf",
        {"layer": 2, "variant": "conv 3x3/2, pad 1"},
        {"layer": 21, "variant": "strided, no pool"},
    ),
    (
        figures.network_growth_view,
        "p1_cnn.own_network.ResNet-18",
        {"name": "VGG-16"},
        {"name": "ResNet-18"},
    ),
]


@pytest.mark.parametrize(("view", "key", "a", "b"), LIVE)
def test_a_view_redrawn_in_place_matches_one_built_afresh(view, key, a, b, few_images):
    # The widget's path: one figure, drawn at setting A, then updated to B
    # and drawn again (drawing A fixes what a first draw autoscales).
    updated = view(**a)
    first = _pixels(updated)
    assert view(**b) is updated or key.startswith("p1_cnn.own_network")
    redrawn = _pixels(view(**b))
    assert not np.array_equal(first, redrawn)
    # A figure built for B alone, as a first visit after a restart builds it.
    views._LIVE.pop(key)
    fresh = view(**b)
    assert fresh is not updated or key.startswith("p1_cnn.own_network")
    assert np.array_equal(redrawn, _pixels(fresh)), f"stale artists after {a}"
    assert np.array_equal(_pixels(view(**a)), first)  # and back to A
    assert plt.get_fignums() == []  # live figures are not pyplot's


@pytest.mark.parametrize("kwargs", [LIVE[0][2], LIVE[0][3], LIVE[1][3]])
def test_the_field_view_shades_the_field_the_gradient_reaches(kwargs):
    variant = kwargs["variant"]
    net = variant_network(variant)
    layer = min(kwargs["layer"], len(net))
    H_l, W_l, _ = variant_row(variant, layer).shape
    i, j = min(kwargs["row"], H_l - 1), min(kwargs["col"], W_l - 1)
    field = geometric_field(net, PROBLEM1_INPUT, layer, (i, j))

    ax = figures.field_view(**kwargs).axes[0]
    assert np.array_equal(ax.images[0].get_array()[..., 3] > 0, field)
    # the black dots: where the back-propagated gradient is non-zero
    dots = {(int(y), int(x)) for x, y in ax.lines[1].get_xydata()}
    assert dots == set(zip(*np.nonzero(field), strict=True))
    assert (
        f"layer {layer} " in ax.get_title() and f"output ({i}, {j})" in ax.get_title()
    )
    box = ax.patches[2].get_bbox()  # the dashed unclipped field, inside the view
    (x0, x1), (y1, y0) = ax.get_xlim(), ax.get_ylim()
    assert x0 < box.x0 < box.x1 < x1 and y0 < box.y0 < box.y1 < y1


@pytest.mark.parametrize("kwargs", [LIVE[2][2], LIVE[2][3], LIVE[3][3]])
def test_the_erf_view_shows_the_map_and_its_column_profile(kwargs, few_images):
    variant, layer = kwargs["variant"], kwargs["layer"]
    layer = min(layer, len(variant_network(variant)))
    m = erf_figures.erf_maps(variant)[layer - 1]
    H_l, W_l, _ = variant_row(variant, layer).shape
    centre = ((H_l - 1) // 2, (W_l - 1) // 2)
    field = geometric_field(variant_network(variant), PROBLEM1_INPUT, layer, centre)

    ax0, ax1 = figures.erf_view(**kwargs).axes
    image = ax0.images[0]
    assert np.array_equal(image.get_array(), m)
    assert image.get_clim() == (m.min(), m.max())  # the colours span this map
    profile, gauss, box = ax1.lines
    assert np.allclose(profile.get_ydata(), m.sum(axis=0))
    assert np.array_equal(box.get_ydata() > 0, field.any(axis=0))
    assert gauss.get_ydata().sum() == pytest.approx(1.0)
    low, high = ax1.get_ylim()
    for line in ax1.lines:
        assert low < line.get_ydata().min() and line.get_ydata().max() < high
    sigma = f"sigma {spread(m).sigma:.1f}"
    assert sigma in [t.get_text().split(", ")[-1] for t in ax1.get_legend().texts]


@pytest.mark.parametrize("name", sorted(figures.WIDGETS))
def test_every_value_of_every_control_draws(name, few_images):
    """Each value of each control once, the others drawn at random."""
    fn, defaults = figures.WIDGETS[name]
    ranges = figures.WIDGET_RANGES[name]
    rng = random.Random(name)
    for arg, values in ranges.items():
        for value in values:
            kwargs = {k: rng.choice(v) for k, v in ranges.items()} | {arg: value}
            fig = fn(**kwargs)
            assert isinstance(fig, Figure) and len(fig.axes) >= 1, kwargs
    assert views.figure_png(fn(**defaults)).startswith(b"\x89PNG")
