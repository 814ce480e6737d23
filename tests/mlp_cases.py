"""Small networks and the gradient-entry check that the MLP tests share."""

import numpy as np

from nnlab.gradcheck import rel_error
from nnlab.mlp import init_mlp

NAMES = ["relu", "min0", "linear", "shifted_relu", "sigmoid", "sign"]
GRAD_TOL = 1e-6  # whole network in float64, centred differences with step H
# The loss is O(1): rounding noise in a centred difference is ~1e-16 / H and
# truncation ~H^2, so H = 1e-5 keeps both near 1e-11 (1e-6 gives ~1e-10).
H = 1e-5


def small_net(batchnorm, seed=0, sizes=(3, 5, 4, 3)):
    """A network moved away from its init, a batch of 6 and its labels."""
    rng = np.random.default_rng(seed)
    params = init_mlp(list(sizes), rng, batchnorm=batchnorm)
    for layer in params:  # move away from the init so every term matters
        for k in layer:
            layer[k] = layer[k] + 0.3 * rng.standard_normal(layer[k].shape)
    X = rng.standard_normal((6, sizes[0]))
    y = rng.integers(0, sizes[-1], 6)
    return params, X, y


def check_entries(analytic, numerical):
    """rel_error where the gradient is not 0; an absolute check where it is.

    Some gradients are 0 in exact arithmetic: a bias before batch norm (the
    batch mean is subtracted), beta before linear -> batch norm, units that
    no sample activates, sign. There the analytic value is ~1e-17 and the
    centred difference is rounding noise of ~|loss| * 1e-16 / H ~ 1e-11,
    which rel_error would divide by its 1e-8 floor.
    """
    zero = np.abs(analytic) < 1e-12
    assert np.abs(numerical[zero]).max(initial=0.0) < 1e-8
    assert rel_error(analytic[~zero], numerical[~zero]) < GRAD_TOL
