"""Problem 1's widgets: the preset drop-down redraws the table and the figure."""

import matplotlib.pyplot as plt
import pytest

from nnlab.p1_cnn import figures
from nnlab.p1_cnn.presets import presets


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
    table = figures._preset_table(name)
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
    assert figures.ERF_IMAGES == erf_figures.ERF_IMAGES
    assert figure_parts.VARIANTS == tuple(problem1_variants())
    # the table is computed once per variant: the same object comes back
    v = figure_parts.VARIANTS[0]
    assert figure_parts.variant_table(v) is figure_parts.variant_table(v)
    assert figure_parts.variant_row(v, 1) is figure_parts.variant_table(v).rows[0]
    with pytest.raises(ValueError, match="variant must be one of"):
        figure_parts.variant_network("no such network")
