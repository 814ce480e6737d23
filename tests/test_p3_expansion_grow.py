"""Problem 3's growing of a trained network: widen and deepen by strategy."""

import numpy as np
import pytest

from nnlab.data import spirals
from nnlab.gradcheck import numerical_gradient, rel_error
from nnlab.mlp import init_mlp, mlp_backward, mlp_forward, softmax_cross_entropy
from nnlab.p3_expansion.grow import (
    SMALL,
    STRATEGIES,
    WIDEN_ONLY,
    Expansion,
    deepen,
    new_parameters,
    rescale_units,
    widen,
)
from nnlab.training import fit

RNG = np.random.default_rng(0)


def _trained_like(sizes=(2, 6, 5, 3), seed=0):
    """A plain ReLU network with non-zero biases, as after some training.

    Hidden biases near +1 keep every hidden unit alive on the spirals: a
    unit that is 0 on every point passes no gradient whatever the new
    parameters are, which is not what these tests are about.
    """
    rng = np.random.default_rng(seed)
    params = init_mlp(list(sizes), rng)
    for layer in params:
        layer["b"] = 0.3 * rng.standard_normal(layer["b"].shape)
    for layer in params[:-1]:
        layer["b"] += 1.0
    X = rng.uniform(-2, 2, (40, sizes[0]))
    return params, X


def _dead_units(params, X):
    _, cache, _ = mlp_forward(X, params)
    return sum(int(np.sum((c.pre <= 0).all(axis=0))) for c in cache.layers[:-1])


def _out(params, X):
    return mlp_forward(X, params)[0]


EXACT = ["preserve", "net2net"]


@pytest.mark.parametrize(
    ("strategy", "spread"), [("preserve", 0.0), ("net2net", 0.0), ("net2net", 0.5)]
)
@pytest.mark.parametrize(("layer", "new_width"), [(0, 7), (0, 20), (1, 6), (1, 13)])
def test_widening_by_preserve_and_net2net_keeps_the_function(
    strategy, layer, new_width, spread
):
    params, X = _trained_like()
    new = widen(params, layer, new_width, strategy, np.random.default_rng(1), spread)
    assert new[layer]["W"].shape[1] == new_width == new[layer + 1]["W"].shape[0]
    assert np.abs(_out(new, X) - _out(params, X)).max() <= 1e-12


@pytest.mark.parametrize("strategy", EXACT)
@pytest.mark.parametrize("after", [0, 1])
def test_deepening_by_preserve_and_net2net_keeps_the_function(strategy, after):
    params, X = _trained_like()
    new = deepen(params, after, strategy, np.random.default_rng(1))
    assert len(new) == len(params) + 1
    np.testing.assert_array_equal(
        new[after + 1]["W"], np.eye(params[after]["W"].shape[1])
    )
    assert np.abs(_out(new, X) - _out(params, X)).max() <= 1e-12


@pytest.mark.parametrize(
    ("kind", "where"), [("widen", 0), ("widen", 1), ("deepen", 0), ("deepen", 1)]
)
def test_kaiming_changes_the_function(kind, where):
    params, X = _trained_like()
    rng = np.random.default_rng(1)
    if kind == "widen":
        new = widen(params, where, 12, "kaiming", rng)
    else:
        new = deepen(params, where, "kaiming", rng)
    assert np.abs(_out(new, X) - _out(params, X)).max() > 1e-2


def test_kaiming_widening_draws_with_the_he_scales():
    params = [
        {"W": np.ones((400, 3)), "b": np.zeros(3)},
        {"W": np.ones((3, 300)), "b": np.zeros(300)},
    ]
    new = widen(params, 0, 503, "kaiming", np.random.default_rng(0))
    incoming, outgoing = new[0]["W"][:, 3:], new[1]["W"][3:, :]
    assert abs(incoming.std() / np.sqrt(2 / 400) - 1) < 0.02
    assert abs(outgoing.std() / np.sqrt(2 / 503) - 1) < 0.02
    np.testing.assert_array_equal(new[0]["b"][3:], 0.0)


def test_zero_widening_adds_exact_zeros_that_stay_zero_under_sgd():
    params, _ = _trained_like(sizes=(2, 8, 8, 2))
    data = spirals(100, 0.05, 0)
    new = widen(params, 0, 20, "zero", np.random.default_rng(1))
    where = Expansion("widen", 0, 8)
    seen = []

    def watch(p, g):
        seen.append(max(np.abs(a).max() for a in new_parameters(g, where).values()))
        return {}

    hist = fit(new, data, steps=100, lr=0.1, watch=watch)
    for a in new_parameters(hist.params, where).values():
        np.testing.assert_array_equal(a, 0.0)
    assert max(seen) == 0.0
    # ... while the old units learn exactly as the narrow network does
    narrow = fit(params, data, steps=100, lr=0.1)
    np.testing.assert_allclose(hist.loss, narrow.loss, rtol=1e-12)
    assert hist.loss[-1] < 0.9 * hist.loss[0]


def test_zero_deepening_freezes_the_new_layer_and_everything_below():
    params, _ = _trained_like(sizes=(2, 8, 8, 2))
    new = deepen(params, 0, "zero", np.random.default_rng(1))
    hist = fit(new, spirals(100, 0.05, 0), steps=50, lr=0.1)
    for i in (0, 1, 2):  # below the new layer, the new layer, W above it
        np.testing.assert_array_equal(hist.params[i]["W"], new[i]["W"])
    np.testing.assert_array_equal(hist.params[1]["b"], 0.0)


@pytest.mark.parametrize("layer", [0, 1])
def test_preserve_gives_every_new_parameter_a_gradient_within_two_steps(layer):
    params, _ = _trained_like(sizes=(2, 8, 8, 2))
    data = spirals(200, 0.05, 0)
    assert _dead_units(params, data.X) == 0
    where = Expansion("widen", layer, 8)
    new = widen(params, layer, 24, "preserve", np.random.default_rng(1))
    grads = []
    fit(
        new,
        data,
        steps=2,
        lr=0.1,
        watch=lambda p, g: grads.append(new_parameters(g, where)) or {},
    )
    first, second = grads
    # step 0: outgoing weights are 0, so by the chain rule nothing reaches
    # the new units' incoming weights and biases; their outgoing weights move
    np.testing.assert_array_equal(first["W_in"], 0.0)
    np.testing.assert_array_equal(first["b_in"], 0.0)
    # A new unit behind a ReLU layer sees inputs >= 0; with random incoming
    # weights and a zero bias it can be negative on every point: dead from
    # the start, it never gets a gradient. In front of the input layer (whose
    # inputs surround 0) that cannot happen.
    _, cache, _ = mlp_forward(data.X, new)
    fires = (cache.layers[layer].pre[:, 8:] > 0).any(axis=0)  # (16,)
    if layer == 0:
        assert fires.all()
    else:
        assert 0 < fires.sum() < 16  # this seed has some of each
    # W_out[j, m] = sum_n h_j dz_m is non-zero exactly where new unit j and
    # next unit m fire on a common point (the output layer always "fires")
    if layer + 1 < len(new) - 1:
        nxt = cache.layers[layer + 1].pre > 0  # (N, M)
    else:
        nxt = np.ones((len(data.y), 2), dtype=bool)
    together = (cache.layers[layer].pre[:, 8:] > 0).T.astype(int) @ nxt > 0
    np.testing.assert_array_equal(first["W_out"] != 0, together)
    # within two steps every new unit that fires gets all its gradients
    moved = {k: (first[k] != 0) | (second[k] != 0) for k in first}
    assert moved["W_in"][:, fires].all() and moved["b_in"][fires].all()
    assert not moved["W_in"][:, ~fires].any() and not moved["W_out"][~fires].any()


def test_net2net_copies_stay_identical_unless_the_split_is_uneven():
    params, _ = _trained_like(sizes=(2, 8, 8, 2))
    data = spirals(100, 0.05, 0)
    gaps = {}
    for spread in (0.0, 0.3):
        new = widen(params, 0, 16, "net2net", np.random.default_rng(2), spread)
        W, b = new[0]["W"], new[0]["b"]
        src = [
            int(np.flatnonzero((W[:, :8] == W[:, [j]]).all(0) & (b[:8] == b[j]))[0])
            for j in range(8, 16)
        ]
        end = fit(new, data, steps=60, lr=0.1).params
        gaps[spread] = np.abs(end[0]["W"][:, 8:] - end[0]["W"][:, src]).max()
        if spread == 0:
            np.testing.assert_array_equal(end[1]["W"][8:], end[1]["W"][src])
    assert gaps[0.0] == 0.0
    assert gaps[0.3] > 1e-3


def test_net2net_splits_each_outgoing_row_among_its_copies():
    params, _ = _trained_like(sizes=(2, 5, 3, 2))
    new = widen(params, 0, 12, "net2net", np.random.default_rng(3), spread=0.4)
    W, W_out = new[0]["W"], new[1]["W"]
    for i in range(5):
        group = np.flatnonzero((W == W[:, [i]]).all(axis=0))
        np.testing.assert_allclose(
            W_out[group].sum(axis=0), params[1]["W"][i], rtol=1e-12
        )


@pytest.mark.parametrize(
    ("kind", "strategy"),
    # deepen-zero sits on ReLU's kink: see the next test
    [
        (k, s)
        for k in ("widen", "deepen")
        for s in STRATEGIES
        if (k, s) != ("deepen", "zero") and not (k == "deepen" and s in WIDEN_ONLY)
    ],
)
def test_an_expanded_network_passes_a_gradient_check(kind, strategy):
    # A few SGD steps first: right at a preserve deepening every zero input of
    # the identity layer sits on ReLU's kink, where a centred difference
    # straddles the corner (see the next test).
    params, _ = _trained_like(sizes=(2, 4, 3, 2))
    rng = np.random.default_rng(4)
    if kind == "widen":
        new = widen(params, 1, 6, strategy, rng)
    else:
        new = deepen(params, 0, strategy, rng)
    data = spirals(8, 0.05, 0)
    # a writable copy: the finite differences perturb it in place, and a
    # History's arrays are read-only
    trained = fit(new, data, steps=3, lr=0.05).params
    new = [{k: v.copy() for k, v in layer.items()} for layer in trained]
    # away from every kink, by more than the finite-difference steps reach
    _, cache, _ = mlp_forward(data.X, new)
    pre = np.concatenate([c.pre.ravel() for c in cache.layers[:-1]])
    if strategy != "zero":  # zero units sit at 0 but pass nothing either way
        assert np.abs(pre).min() > 1e-4

    def loss():
        return softmax_cross_entropy(mlp_forward(data.X, new)[0], data.y)[0]

    scores, cache, _ = mlp_forward(data.X, new)
    _, grads = mlp_backward(softmax_cross_entropy(scores, data.y)[1], cache)
    for layer, grad in zip(new, grads, strict=True):
        for k in layer:
            # h = 1e-5: rounding (~1e-16 / h) and truncation (~h^2) both ~1e-11
            num = numerical_gradient(lambda v: loss(), layer[k], h=1e-5)
            zero = np.abs(grad[k]) < 1e-12  # exact zeros: dead units, zero rows
            assert np.abs(num[zero]).max(initial=0.0) < 1e-8
            assert rel_error(grad[k][~zero], num[~zero]) < 1e-6  # float64 network


def test_a_zero_layer_sits_on_the_relu_kink():
    # Every pre-activation of the zero layer is exactly 0, where ReLU has no
    # derivative. The backward pass takes ReLU'(0) = 0 and returns 0; the
    # loss still moves one-sidedly, so the centred difference is non-zero.
    params, _ = _trained_like(sizes=(2, 4, 3, 2))
    new = deepen(params, 0, "zero", np.random.default_rng(4))
    data = spirals(8, 0.05, 0)
    scores, cache, _ = mlp_forward(data.X, new)
    _, grads = mlp_backward(softmax_cross_entropy(scores, data.y)[1], cache)
    np.testing.assert_array_equal(grads[1]["W"], 0.0)

    def loss():
        return softmax_cross_entropy(mlp_forward(data.X, new)[0], data.y)[0]

    assert np.abs(numerical_gradient(lambda v: loss(), new[1]["W"])).max() > 1e-4


def test_expanding_does_not_modify_its_input():
    params, _ = _trained_like()
    before = [{k: v.copy() for k, v in layer.items()} for layer in params]
    for s in STRATEGIES:
        widen(params, 0, 9, s, np.random.default_rng(0))
        if s not in WIDEN_ONLY:
            deepen(params, 1, s, np.random.default_rng(0))
    for a, b in zip(params, before, strict=True):
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda p: widen(p, 0, 6, "zero", RNG),
            r"larger than the current width 6 .*got 6",
        ),
        (
            lambda p: widen(p, 0, 9, "random", RNG),
            r"strategy must be one of .*, got 'random'",
        ),
        (
            lambda p: widen(p, 2, 9, "zero", RNG),
            r"hidden layer index in \[0, 1\].*got 2",
        ),
        (lambda p: widen(p, -1, 9, "zero", RNG), r"in \[0, 1\].*got -1"),
        (
            lambda p: deepen(p, 5, "zero", RNG),
            r"after_layer must be .* \[0, 1\].*got 5",
        ),
        (
            lambda p: deepen(p, 0, "he", RNG),
            r"strategy must be one of 'zero', 'kaiming', 'preserve', 'net2net', "
            r"got 'he'",
        ),
        (
            lambda p: widen(p, 0, 9, "zero", RNG, spread=0.1),
            r"spread applies to strategy 'net2net' only",
        ),
        (lambda p: widen(p, 0, 9, "small_out", RNG, scale=0.0), r"\(0, 1\], got 0.0"),
        (lambda p: widen(p, 0, 9, "small_out", RNG, scale=2), r"\(0, 1\], got 2.0"),
        (
            lambda p: deepen(p, 0, "small_out", RNG),
            r"strategy must be one of 'zero', 'kaiming', 'preserve', 'net2net', "
            r"got 'small_out'",
        ),
        (lambda p: rescale_units(p, 0, np.ones(5)), r"factors must be 6 real numbers"),
        (
            lambda p: rescale_units(p, 1, -np.ones(5)),
            r"factors must be positive and finite",
        ),
        (lambda p: widen(p[:1], 0, 9, "zero", RNG), r"at least 2 layer dicts"),
    ],
)
def test_bad_input_names_the_valid_range(call, message):
    params, _ = _trained_like()
    with pytest.raises(ValueError, match=message):
        call(params)


def test_batch_norm_layers_are_refused():
    params = init_mlp([2, 4, 2], np.random.default_rng(0), batchnorm=True)
    with pytest.raises(ValueError, match=r"layer 0 must be a dict with exactly 'W'"):
        widen(params, 0, 6, "zero", RNG)


def test_small_outgoing_weights_are_scaled_kaiming_and_move_the_output_a_little():
    # Same stream as "kaiming": the incoming weights are equal and the
    # outgoing ones exactly SMALL times Kaiming's (one draw, scaled).
    params, X = _trained_like()
    k = widen(params, 0, 40, "kaiming", np.random.default_rng(5))
    s = widen(params, 0, 40, "small_out", np.random.default_rng(5))
    np.testing.assert_array_equal(s[0]["W"], k[0]["W"])
    np.testing.assert_allclose(s[1]["W"][6:], SMALL * k[1]["W"][6:], rtol=1e-15)
    np.testing.assert_array_equal(s[1]["W"][:6], params[1]["W"])
    # the extra input of the next layer is linear in the outgoing weights,
    # so its pre-activations move by exactly SMALL times Kaiming's change
    pre = [mlp_forward(X, p)[1].layers[1].pre for p in (params, k, s)]
    np.testing.assert_allclose(pre[2] - pre[0], SMALL * (pre[1] - pre[0]), atol=1e-12)
    # and every new incoming weight of a live unit gets a gradient at once
    scores, cache, _ = mlp_forward(X, s)
    _, grads = mlp_backward(softmax_cross_entropy(scores, np.arange(40) % 3)[1], cache)
    live = (cache.layers[0].pre[:, 6:] > 0).any(axis=0)
    assert (np.abs(grads[0]["W"][:, 6:][:, live]) > 0).all()


def test_rescaling_units_keeps_the_function_and_scales_the_gradients():
    params, X = _trained_like()
    f = np.array([1.0, 4.0, 0.25, 2.0, 9.0, 1.5])
    new = rescale_units(params, 0, f)
    np.testing.assert_allclose(_out(new, X), _out(params, X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(new[0]["W"], params[0]["W"] * f)
    np.testing.assert_allclose(new[1]["W"] * f[:, None], params[1]["W"])
    # chain rule for w = u / f: dL/du = dL/dw / f on the incoming side,
    # dL/du = dL/dw * f on the outgoing side
    y = np.arange(len(X)) % 3

    def grads(p):
        scores, cache, _ = mlp_forward(X, p)
        return mlp_backward(softmax_cross_entropy(scores, y)[1], cache)[1]

    g, gn = grads(params), grads(new)
    np.testing.assert_allclose(gn[0]["W"], g[0]["W"] / f, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(
        gn[1]["W"], g[1]["W"] * f[:, None], rtol=1e-10, atol=1e-14
    )
