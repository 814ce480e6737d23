"""The Problem 3 experiments: narrow run, expansion, training after it.

`tests/test_p3_expansion_grow.py` checks `widen` / `deepen` themselves on small
networks; these tests check what `nnlab.p3_expansion.experiments` builds on
them: the cached runs,
what the watch records at every step, the copies it finds, its baselines
and the validation at its entry points. The runs are cached, so each is
trained once for the whole file.
"""

import numpy as np
import pytest

from nnlab.mlp import mlp_forward, softmax_cross_entropy
from nnlab.p3_expansion.experiments import (
    CURVE_ULPS,
    LAYERS,
    LR,
    NARROW,
    T1,
    T2,
    expanded,
    expansion_spirals,
    grow,
    keep_tolerance,
    narrow_continued,
    narrow_run,
    net2net_as_narrow,
    rounding_bound,
    scratch_run,
    ulps_apart,
)
from nnlab.p3_expansion.grow import Expansion
from nnlab.p3_expansion.tables import JUMP_TOL
from nnlab.training import fit

SETTINGS = [("widen", 0, 24), ("widen", 1, 24), ("deepen", 0, 0), ("deepen", 1, 0)]


def _fresh_points():
    """Points the runs never saw: a function kept exactly is kept on them too."""
    return np.random.default_rng(7).uniform(-2, 2, (400, 2))


def _scores(params, X):
    return mlp_forward(X, params)[0]


def test_runs_have_the_promised_lengths_and_architectures():
    assert len(narrow_run().loss) == T1
    assert len(narrow_continued().loss) == T2
    for kind, layer, added in SETTINGS:
        g = grow(kind, "preserve", layer, added)
        assert g.expansion == Expansion(kind, layer, NARROW)
        assert len(g.history.loss) == T2
        scratch = scratch_run(kind, layer, added)
        assert len(scratch.loss) == T1 + T2
        # the expanded network and the one trained from scratch: same shapes
        shapes = [p["W"].shape for p in g.start]
        assert shapes == [p["W"].shape for p in scratch.params], (kind, layer)
    # a widening adds to the chosen layer only: hand count 8 + 24 = 32
    assert [p["W"].shape for p in grow("widen", "zero", 1, 24).start] == [
        (2, 8),
        (8, 32),
        (32, 2),
    ]
    # deepening ignores `added`, so both spellings are one cached run
    assert grow("deepen", "kaiming", 0, 24) is grow("deepen", "kaiming", 0)


def test_the_narrow_network_continues_from_where_it_stopped():
    # the continued run's first loss is that of the narrow run's end point
    X, y, _, _ = expansion_spirals()
    loss = softmax_cross_entropy(_scores(narrow_run().params, X), y)[0]
    assert narrow_continued().loss[0] == loss
    assert narrow_continued().loss[-1] < narrow_run().loss[-1]


@pytest.mark.parametrize("layer", LAYERS)
def test_zero_widening_gets_no_gradient_and_trains_as_the_narrow_network(layer):
    g = grow("widen", "zero", layer, 24)
    w = g.history.watched
    assert w["grad"].shape == (T2,)
    # chain rule: outgoing weights 0 -> no gradient reaches the incoming ones,
    # units that output 0 everywhere -> none reaches the outgoing ones. Exact:
    # every term of these gradients is a product with an exact 0.
    np.testing.assert_array_equal(w["grad"], 0.0)
    np.testing.assert_array_equal(w["in"], 0.0)
    np.testing.assert_array_equal(w["out"], 0.0)
    # ... and the old units train as in the narrow network's run. In exact
    # arithmetic identically; computed, the wider product adds its zero
    # terms in another order, so the runs agree to a few ulps (CURVE_ULPS
    # explains the 16; test_training_here_is_contractive backs it).
    cont = narrow_continued()
    assert ulps_apart(g.history.loss, cont.loss) <= CURVE_ULPS
    old_W = g.history.params[layer]["W"][:, :NARROW]
    ref_W = cont.params[layer]["W"]
    # entries near 0 have tiny ulps of their own: measure in ulps of the
    # layer's largest weight, the scale at which the products round
    assert np.abs(old_W - ref_W).max() <= CURVE_ULPS * np.spacing(np.abs(ref_W).max())
    # Same predictions but for a test point whose two scores agree to within
    # the few ulps the runs differ by: at most one such point, in principle
    # (none has been seen). One point is 1 / len(test set) of accuracy.
    n_test = len(expansion_spirals()[3])
    assert abs(g.history.final_test_acc - cont.final_test_acc) <= 1 / n_test + 1e-12


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_training_here_is_contractive(seed):
    # The justification of CURVE_ULPS: perturb the narrow network at the
    # expansion by 1e-15 relative (about 4.5 ulps) and train T2 steps. The
    # loss curve moves by less than 2e-15 relative at every step (0.7e-15
    # measured on Haswell, SkylakeX and Sandybridge kernels): rounding
    # differences do not grow over the run.
    rng = np.random.default_rng([seed, 9])
    start = [
        {
            k: v * (1 + 1e-15 * rng.choice([-1.0, 1.0], v.shape))
            for k, v in layer.items()
        }
        for layer in narrow_run(seed).params
    ]
    moved = fit(start, expansion_spirals(seed), steps=T2, lr=LR).loss
    ref = narrow_continued(seed).loss
    assert (np.abs(moved - ref) / ref).max() < 2e-15
    assert ulps_apart(moved, ref) <= CURVE_ULPS / 2


def test_ulps_apart_counts_units_in_the_last_place():
    u = 2.0**-52  # the spacing of floats in [1, 2)
    assert ulps_apart([1.0, 1.5], [1.0, 1.5]) == 0
    assert ulps_apart([1.0], [1.0 + u]) == 1
    assert ulps_apart([1.0, -3.0], [1.0 + 3 * u, -3.0]) == 3
    assert ulps_apart([0.5 + 2**-53 * 2], [0.5]) == 2  # [0.5, 1): spacing 2^-53
    with pytest.raises(ValueError, match=r"one shape, got \(2,\) and \(1,\)"):
        ulps_apart([1.0, 2.0], [1.0])


def test_rounding_bound_holds_against_a_longer_precision():
    # scores in numpy's long double (64-bit mantissa on x86, 11 more bits
    # than float64) are the exact ones to within 2^-11 of the float64 error
    params = narrow_run(0).params
    X = np.vstack([expansion_spirals(0).X, expansion_spirals(0).X_test])
    E = rounding_bound(X, params)
    if np.finfo(np.longdouble).nmant < 60:
        pytest.skip("long double is float64 here: no longer precision to compare")
    h = X.astype(np.longdouble)
    for i, layer in enumerate(params):
        h = h @ layer["W"].astype(np.longdouble) + layer["b"].astype(np.longdouble)
        if i < len(params) - 1:
            h = np.maximum(h, 0)
    err = np.abs(mlp_forward(X, params)[0].astype(np.longdouble) - h)
    assert (err <= E).all()
    # and the bound is not vacuous: rounding-sized, far below any real change
    assert E.max() < 1e-12


@pytest.mark.parametrize(("kind", "layer", "added"), SETTINGS)
@pytest.mark.parametrize("strategy", ["kaiming", "preserve", "net2net"])
def test_expanded_is_what_grow_starts_from(strategy, kind, layer, added):
    start = expanded(narrow_run(0).params, kind, strategy, layer, added, 0)
    for a, b in zip(start, grow(kind, strategy, layer, added).start, strict=True):
        np.testing.assert_array_equal(a["W"], b["W"])


def test_seeds_draw_their_own_data_and_networks():
    assert not np.array_equal(expansion_spirals(0).X, expansion_spirals(1).X)
    assert not np.array_equal(
        narrow_run(0).params[0]["W"], narrow_run(1).params[0]["W"]
    )
    # the new parameters come from a stream of their own: not the narrow
    # network of the next seed (default_rng(seed + 1) would have been)
    new = grow("widen", "kaiming", 0, 24, seed=0).start[0]["W"][:, NARROW:]
    assert not np.isin(new, narrow_run(1).params[0]["W"]).any()


@pytest.mark.parametrize("layer", LAYERS)
def test_a_zero_layer_gets_no_gradient(layer):
    # every pre-activation of the zero layer is 0, and ReLU'(0) = 0
    g = grow("deepen", "zero", layer)
    assert not g.kept  # every score is now the same constant
    np.testing.assert_array_equal(g.history.watched["grad"], 0.0)
    np.testing.assert_array_equal(g.history.watched["in"], 0.0)
    assert np.isnan(g.history.watched["out"]).all()  # a new layer has no W_out


# a zero layer changes the function; net2net deepens as preserve does
KEEPING = [
    (s, *setting)
    for setting in SETTINGS
    for s in (
        ("zero", "preserve", "net2net", "net2net_uneven")
        if setting[0] == "widen"
        else ("preserve",)
    )
]


@pytest.mark.parametrize(("strategy", "kind", "layer", "added"), KEEPING)
def test_preserving_strategies_keep_the_outputs(strategy, kind, layer, added):
    g = grow(kind, strategy, layer, added)
    # equal in exact arithmetic, so the computed scores differ by rounding
    # only: within keep_tolerance (twice the two forward passes' bounds)
    P = np.vstack([_fresh_points(), expansion_spirals().X])
    before = _scores(narrow_run().params, P)
    tol = keep_tolerance(P, narrow_run().params, g.start)
    assert (np.abs(_scores(g.start, P) - before) <= tol).all()
    assert g.output_change <= tol.max()
    assert g.kept
    # same function, same loss: no jump at the expansion
    assert abs(g.history.loss[0] - narrow_continued().loss[0]) <= JUMP_TOL


def test_the_keep_tolerance_catches_a_real_change():
    # a preserved network with one outgoing weight moved by 1e-9: a change
    # of the function far below anything printed, yet far above rounding
    g = grow("widen", "preserve", 0, 24)
    moved = [{k: v.copy() for k, v in layer.items()} for layer in g.start]
    moved[1]["W"][NARROW, 0] = 1e-9
    P = expansion_spirals().X
    diff = np.abs(_scores(moved, P) - _scores(narrow_run().params, P))
    assert (diff > keep_tolerance(P, narrow_run().params, moved)).any()


@pytest.mark.parametrize(("kind", "layer", "added"), SETTINGS)
def test_kaiming_changes_the_outputs_and_its_new_parameters_learn(kind, layer, added):
    g = grow(kind, "kaiming", layer, added)
    assert g.output_change > 1e-2 and not g.kept
    P = _fresh_points()
    before = _scores(narrow_run().params, P)
    assert np.abs(_scores(g.start, P) - before).max() > 1e-2
    assert g.history.loss[0] != narrow_continued().loss[0]
    # the watch does see gradients when there are some
    assert g.history.watched["grad"].max() > 1e-3
    # the watched norm at step 0 is that of the new weights as drawn
    new_in = (
        g.start[layer]["W"][:, NARROW:] if kind == "widen" else g.start[layer + 1]["W"]
    )
    assert g.history.watched["in"][0] == np.linalg.norm(new_in)


def test_random_new_units_are_copies_of_nothing():
    g = grow("widen", "kaiming", 0, 24)
    np.testing.assert_array_equal(g.sources, -1)
    assert "copy_gap" not in g.history.watched


@pytest.mark.parametrize("layer", LAYERS)
def test_net2net_copies_stay_identical_unless_the_split_is_uneven(
    layer,
):
    exact, noisy = (grow("widen", s, layer, 24) for s in ("net2net", "net2net_uneven"))
    for g in (exact, noisy):
        W, b = g.start[layer]["W"], g.start[layer]["b"]
        assert g.sources.shape == (24,) and (g.sources >= 0).all()
        assert (g.sources < NARROW).all()
        # a copy has its source's incoming weights and bias, bit for bit
        np.testing.assert_array_equal(W[:, NARROW:], W[:, g.sources])
        np.testing.assert_array_equal(b[NARROW:], b[g.sources])
        assert g.history.watched["copy_gap"][0] == 0.0
    # an even split: copy and source get equal gradients at every step
    np.testing.assert_array_equal(exact.history.watched["copy_gap"], 0.0)
    end = exact.history.params[layer]["W"]
    np.testing.assert_array_equal(end[:, NARROW:], end[:, exact.sources])
    # an uneven split gives them different outgoing weights, then gradients
    assert noisy.history.watched["copy_gap"][-1] > 1e-3
    end = noisy.history.params[layer]["W"]
    assert np.abs(end[:, NARROW:] - end[:, noisy.sources]).max() > 1e-3


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: grow("stretch", "zero", 0, 24),
            r"kind must be one of 'widen', 'deepen', got 'stretch'",
        ),
        (
            lambda: grow("widen", "random", 0, 24),
            r"strategy must be one of 'zero', 'kaiming', "
            r"'small_out', 'preserve', 'net2net', 'net2net_uneven', got 'random'",
        ),
        (
            lambda: grow("widen", "zero", 2, 24),
            r"layer must be a hidden layer index in \(0, 1\) .*got 2",
        ),
        (lambda: grow("deepen", "zero", -1), r"index in \(0, 1\) .*got -1"),
        (
            lambda: grow("widen", "zero", 0, 0),
            r"added must be an integer >= 1, got 0",
        ),
        (lambda: grow("widen", "zero", 0), r"added must be .* got 0"),
        (
            lambda: scratch_run("wide", 0, 8),
            r"kind must be one of 'widen', 'deepen', got 'wide'",
        ),
        (lambda: scratch_run("widen", 2, 8), r"index in \(0, 1\) .*got 2"),
        (lambda: scratch_run("widen", 0, -3), r"added must be .* got -3"),
        (
            lambda: grow("widen", "zero", 0, 24, -1),
            r"seed must be an integer >= 0, got -1",
        ),
    ],
)
def test_bad_input_names_the_valid_values(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: grow("widen", "zero", 0.5, 24),
            r"layer must be an integer, got float 0.5",
        ),
        (lambda: grow("widen", "zero", True, 24), r"layer must be .* got bool True"),
        (
            lambda: scratch_run("deepen", 0, seed=1.5),
            r"seed must be an integer, got float 1.5",
        ),
        (lambda: expansion_spirals(True), r"seed must be an integer, got bool True"),
        (lambda: narrow_run("0"), r"seed must be an integer, got str '0'"),
    ],
)
def test_arguments_of_the_wrong_type_raise_type_error(call, message):
    with pytest.raises(TypeError, match=message):
        call()


@pytest.mark.parametrize("layer", [0, 1])
@pytest.mark.parametrize("seed", [0, 3])
def test_net2net_trains_as_the_rescaled_narrow_network(layer, seed):
    # Even split: the copies stay copies, so the wide network is a narrow one
    # at every step; which narrow one is rescale_units by sqrt(group size).
    wide = grow("widen", "net2net", layer, 24, seed).history.loss
    as_narrow = net2net_as_narrow(layer, 24, seed).loss
    assert ulps_apart(wide, as_narrow) <= CURVE_ULPS
    # and not the narrow network trained on: far more than rounding apart
    cont = narrow_continued(seed).loss
    assert np.abs(cont / wide - 1).max() > 1e-3


def test_experiments_re_exports_the_rounding_helpers():
    from nnlab.p3_expansion import experiments, rounding

    for name in ("CURVE_ULPS", "keep_tolerance", "rounding_bound", "ulps_apart"):
        assert getattr(experiments, name) is getattr(rounding, name), name
