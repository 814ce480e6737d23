"""The finite-difference checker and the pair harness against closed forms."""

import numpy as np
import pytest

from nnlab.gradcheck import (
    TOL,
    check_gradient,
    check_pair,
    numerical_gradient,
    rel_error,
)


def test_rel_error_is_zero_for_equal_arrays_and_scale_free():
    a = np.array([1.0, -2.0, 3.0])
    assert rel_error(a, a) == 0.0
    # |1 - 1.1| / (1 + 1.1) = 0.1 / 2.1, whatever the common scale.
    assert rel_error([1.0], [1.1]) == pytest.approx(0.1 / 2.1)
    assert rel_error([1e6], [1.1e6]) == pytest.approx(0.1 / 2.1)


def test_rel_error_floor_keeps_two_zeros_at_zero():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(np.zeros(0), np.zeros(0)) == 0.0


def test_rel_error_rejects_shape_mismatch():
    with pytest.raises(
        ValueError, match=r"^a and b must have one shape, got a \(3,\) and b \(2,\)$"
    ):
        rel_error(np.zeros(3), np.zeros(2))


def test_numerical_gradient_of_a_cubic_matches_3x2():
    x = np.linspace(-2.0, 2.0, 7)
    grad = numerical_gradient(lambda v: np.sum(v**3), x)
    assert rel_error(grad, 3 * x**2) < 1e-8


def test_numerical_gradient_weights_by_dout_and_restores_x():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    x0 = x.copy()
    dout = rng.standard_normal((3, 4))
    # d/dx sum(sin(x) * dout) = cos(x) * dout
    grad = numerical_gradient(np.sin, x, dout)
    assert rel_error(grad, np.cos(x) * dout) < 1e-8
    np.testing.assert_array_equal(x, x0)


def test_numerical_gradient_of_a_matrix_product():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 3))
    b = rng.standard_normal((3, 4))
    dout = rng.standard_normal((2, 4))
    # d/da sum((a @ b) * dout) = dout @ b.T
    assert check_gradient(lambda v: v @ b, a, dout @ b.T, dout) < 1e-8


def test_check_gradient_detects_a_wrong_gradient():
    x = np.linspace(0.1, 1.0, 5)
    assert check_gradient(lambda v: np.sum(v**2), x, 2 * x) < 1e-8
    assert check_gradient(lambda v: np.sum(v**2), x, 2.01 * x) > 1e-3


def test_numerical_gradient_needs_float64():
    with pytest.raises(TypeError, match="float64 input, got dtype float32"):
        numerical_gradient(np.sum, np.ones(3, dtype=np.float32))
    with pytest.raises(TypeError, match="numpy array, got list"):
        numerical_gradient(np.sum, [1.0, 2.0])


def test_check_gradient_rejects_analytic_of_wrong_shape():
    with pytest.raises(ValueError, match=r"shape \(2,\), expected .* \(3,\)"):
        check_gradient(np.sum, np.ones(3), np.ones(2))


def _matmul_pair():
    """f = sum(dout * (x @ W)): dx = dout @ W.T and dW = x.T @ dout."""

    def forward(x, W):
        return x @ W, (x, W)

    def backward(dout, cache):
        x, W = cache
        return dout @ W.T, x.T @ dout

    return forward, backward


def test_check_pair_matches_the_closed_form_of_a_product():
    rng = np.random.default_rng(2)
    x, W = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    x0 = x.copy()
    forward, backward = _matmul_pair()
    errs = check_pair(forward, backward, {"x": x, "W": W})
    assert list(errs) == ["x", "W"]
    assert max(errs.values()) < TOL, errs
    np.testing.assert_array_equal(x, x0)  # the caller's arrays are not perturbed


def test_check_pair_flags_a_wrong_backward_by_name():
    rng = np.random.default_rng(3)
    x, W = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    forward, _ = _matmul_pair()

    def wrong(dout, cache):
        x, W = cache
        return dout @ W.T, x.T @ dout * 1.01  # dW off by 1 %

    errs = check_pair(forward, wrong, {"x": x, "W": W})
    assert errs["x"] < TOL
    assert errs["W"] > 1e-3


def test_check_pair_names_nested_parameters_and_takes_dout():
    # out = x @ p[0].W + p[0].b, then @ p[1].W; a dict and a list of dicts
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3))
    params = [
        {"W": rng.standard_normal((3, 4)), "b": rng.standard_normal(4)},
        {"W": rng.standard_normal((4, 2))},
    ]
    extra = {"s": rng.standard_normal(2)}
    dout = rng.standard_normal((2, 2))

    def forward(x, params, extra):
        a = x @ params[0]["W"] + params[0]["b"]
        return a @ params[1]["W"] * extra["s"], (x, params, extra, a)

    def backward(dout, cache):
        x, params, extra, a = cache
        out = a @ params[1]["W"]
        ds = (dout * out).sum(axis=0)
        dpre = dout * extra["s"]
        da = dpre @ params[1]["W"].T
        dparams = [{"W": x.T @ da, "b": da.sum(axis=0)}, {"W": a.T @ dpre}]
        return da @ params[0]["W"].T, dparams, {"s": ds}

    errs = check_pair(
        forward, backward, {"x": x, "params": params, "extra": extra}, dout
    )
    assert list(errs) == ["x", "params[0].W", "params[0].b", "params[1].W", "extra.s"]
    assert max(errs.values()) < TOL, errs
    only = check_pair(
        forward,
        backward,
        {"x": x, "params": params, "extra": extra},
        dout,
        wrt=["extra"],
    )
    assert list(only) == ["extra.s"]


def test_check_pair_accepts_a_bare_gradient_and_extra_forward_outputs():
    # away from 0, where the O(h**2) truncation (h**2 for x**3) meets a zero
    x = np.linspace(0.5, 1.5, 5)

    def forward(x):
        return x**3, x, "running statistics"

    errs = check_pair(forward, lambda dout, x: dout * 3 * x**2, {"x": x}, h=1e-5)
    assert errs["x"] < 1e-9


def test_check_pair_default_dout_is_seeded():
    rng = np.random.default_rng(5)
    x, W = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    forward, _ = _matmul_pair()
    seen = []

    def backward(dout, cache):
        seen.append(dout)
        return _matmul_pair()[1](dout, cache)

    check_pair(forward, backward, {"x": x, "W": W}, seed=7, wrt=["x"])
    check_pair(forward, backward, {"x": x, "W": W}, seed=7, wrt=["x"])
    np.testing.assert_array_equal(seen[0], seen[1])
    np.testing.assert_array_equal(
        seen[0], np.random.default_rng(7).standard_normal((3, 2))
    )


def test_check_pair_refuses_bad_input_naming_it():
    forward, backward = _matmul_pair()
    x, W = np.ones((2, 3)), np.ones((3, 2))
    with pytest.raises(TypeError, match="input W must be float64.*got dtype float32"):
        check_pair(forward, backward, {"x": x, "W": W.astype(np.float32)})
    with pytest.raises(TypeError, match=r"input p\[0\].b must be float64.*int64"):
        check_pair(
            forward, backward, {"x": x, "p": [{"b": np.ones(2, dtype=np.int64)}]}
        )
    with pytest.raises(
        TypeError, match="input W must be a float64 ndarray, a dict .*got str"
    ):
        check_pair(forward, backward, {"x": x, "W": "weights"})
    with pytest.raises(TypeError, match="forward must return .*got ndarray"):
        check_pair(lambda x, W: x @ W, backward, {"x": x, "W": W})
    with pytest.raises(
        ValueError, match=r"gradient dW has shape \(2, 3\), expected .*\(3, 2\)"
    ):
        check_pair(forward, lambda d, c: (d @ c[1].T, (c[0].T @ d).T), {"x": x, "W": W})
    with pytest.raises(
        ValueError, match=r"one gradient per input \['x', 'W'\], got 1 gradients"
    ):
        check_pair(forward, lambda d, c: (d @ c[1].T,), {"x": x, "W": W})
    with pytest.raises(
        ValueError, match=r"dp must be a dict with the keys \['b'\], got \['c'\]"
    ):
        check_pair(
            lambda x, p: (x + p["b"], None),
            lambda d, c: (d, {"c": d.sum(0)}),
            {"x": x, "p": {"b": np.ones(3)}},
        )
    with pytest.raises(
        ValueError,
        match=r"dout must have the forward output's shape \(2, 2\), got \(3,\)",
    ):
        check_pair(forward, backward, {"x": x, "W": W}, dout=np.ones(3))
    with pytest.raises(ValueError, match=r"wrt names unknown inputs \['w'\]"):
        check_pair(forward, backward, {"x": x, "W": W}, wrt=["w"])
    with pytest.raises(ValueError, match="h must be a finite number > 0, got 0"):
        check_pair(forward, backward, {"x": x, "W": W}, h=0)
    with pytest.raises(TypeError, match="inputs must be a dict of named arrays"):
        check_pair(forward, backward, [x, W])
    with pytest.raises(TypeError, match="backward must be callable, got NoneType"):
        check_pair(forward, None, {"x": x, "W": W})
    with pytest.raises(ValueError, match="inputs must be a non-empty dict"):
        check_pair(forward, backward, {})
