"""The figures' shared parts, read against independent routes.

`nnlab.p2_activations.figure_parts` holds the decision maps the training
widget and the static figures draw; `nnlab.p6_rnn2d.figure_parts` the
gradient maps of the receptive-field figure. The widget tests check the
pixels they become; these check the numbers themselves.
"""

import numpy as np
import pytest

from nnlab.mlp import mlp_forward
from nnlab.p2_activations import figure_parts as p2_parts
from nnlab.p6_rnn2d import costs
from nnlab.p6_rnn2d import figure_parts as p6_parts


def _p_class1(params, running, n):
    """P(class 1) at the centres of an n x n grid over [-1.3, 1.3]^2, row 0 at
    the bottom, by the two-class softmax written out: 1 / (1 + e^(s0 - s1))."""
    centres = -1.3 + 2.6 * (np.arange(n) + 0.5) / n
    xx, yy = np.meshgrid(centres, centres)
    scores = mlp_forward(np.c_[xx.ravel(), yy.ravel()], params, "relu", running, False)[
        0
    ]
    return (1.0 / (1.0 + np.exp(scores[:, 0] - scores[:, 1]))).reshape(n, n)


def test_a_widget_run_s_map_is_its_network_on_the_pixel_centres():
    h = p2_parts.run("relu", 2, 0.03)
    got = p2_parts.run_grid("relu", 2, 0.03, n=9)
    assert got.shape == (9, 9)
    np.testing.assert_allclose(got, _p_class1(h.params, h.running, 9), rtol=1e-12)


@pytest.mark.parametrize("ij", [(0, 0), (6, 9), (11, 15)])
def test_the_conv_stack_sees_a_clipped_box_and_four_way_sees_everything(ij):
    H, W, C = p6_parts.FIELD_SHAPE
    one, four, conv, L = p6_parts.field_maps(*ij)
    assert L == costs.equal_flop_conv_layers(H, W, C)
    i, j = ij
    # L stacked 3x3 convolutions, padding 1: inputs within L steps each way
    rows = (np.arange(H) >= i - L) & (np.arange(H) <= i + L)
    cols = (np.arange(W) >= j - L) & (np.arange(W) <= j + L)
    assert np.array_equal(conv > 0, np.outer(rows, cols))
    assert (four > 0).all()  # ReNet's four sweeps reach every input
    assert one.shape == four.shape == conv.shape == (H, W)
