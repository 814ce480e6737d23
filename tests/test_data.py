"""The spirals: format, determinism, geometry, and that no line separates them."""

import numpy as np
import pytest

from nnlab.data import Split, mahalanobis, spirals
from nnlab.norm import batchnorm_forward


def test_format_and_balance():
    split = spirals(n=101, noise=0.1, seed=3, n_test=40)
    assert isinstance(split, Split)
    X, y, X_test, y_test = split
    assert X.shape == (101, 2) and X.dtype == np.float64
    assert y.shape == (101,) and y.dtype == np.int64
    assert X_test.shape == (40, 2) and y_test.shape == (40,)
    assert set(np.unique(y)) == {0, 1} and abs(int(y.sum()) - 50) <= 1
    assert int(y_test.sum()) == 20


def test_test_set_defaults_to_the_size_of_the_training_set():
    assert spirals(n=30).X_test.shape == (30, 2)


def test_seeded():
    a, b, c = spirals(50, 0.1, 0), spirals(50, 0.1, 0), spirals(50, 0.1, 1)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a.X, c.X)


def test_the_held_out_points_are_other_points():
    X, _, X_test, _ = spirals(100, 0.05, 0)
    dist = np.linalg.norm(X[:, None, :] - X_test[None, :, :], axis=2)
    assert dist.min() > 0


@pytest.mark.parametrize("turns", [0.75, 1.0, 1.5])
def test_without_noise_every_point_is_on_its_arm(turns):
    X, y, _, _ = spirals(200, noise=0.0, seed=0, turns=turns)
    r = np.linalg.norm(X, axis=1)
    theta = 2 * np.pi * turns * r + np.pi * y
    np.testing.assert_allclose(
        X, r[:, None] * np.c_[np.cos(theta), np.sin(theta)], atol=1e-12
    )
    assert r.max() <= 1.0


def _best_line_accuracy(X, y, directions=720):
    """Brute force over directions and every threshold between projections."""
    best = 0.0
    for a in np.linspace(0, np.pi, directions, endpoint=False):
        p = X @ np.array([np.cos(a), np.sin(a)])
        order = np.argsort(p)
        ys = y[order]
        # predict 1 above the cut: correct = ones above + zeros below
        ones_above = np.concatenate([[ys.sum()], ys.sum() - np.cumsum(ys)])
        zeros_below = np.concatenate([[0], np.cumsum(1 - ys)])
        acc = (ones_above + zeros_below) / len(y)
        best = max(best, acc.max(), 1 - acc.min())
    return best


def test_no_line_separates_the_classes():
    X, y, _, _ = spirals(300, noise=0.05, seed=0)
    assert _best_line_accuracy(X, y) < 0.75


def test_the_brute_force_finds_a_line_where_there_is_one():
    X = np.array([[-1.0, 0.3], [-2.0, -0.1], [1.0, 0.0], [3.0, 1.0]])
    assert _best_line_accuracy(X, np.array([0, 0, 1, 1])) == 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 1}, r"at least 2 training and 2 test points, got n=1"),
        ({"n_test": 0}, r"n_test=0"),
        ({"noise": -0.1}, r"noise must be >= 0, got -0.1"),
        ({"turns": 0}, r"turns must be > 0, got 0"),
    ],
)
def test_bad_input_is_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        spirals(**kwargs)


def test_n_must_be_an_int():
    with pytest.raises(TypeError, match=r"n must be an integer, got float"):
        spirals(n=10.0)


def test_mahalanobis_closed_form():
    # four points at +-(2, 0) and +-(0, 1): mean 0, biased covariance
    # diag(2, 0.5), so (2, 0) is sqrt(4 / 2) away and (1, 1) is
    # sqrt(1 / 2 + 1 / 0.5) = sqrt(2.5) away
    X = np.array([[2.0, 0], [-2, 0], [0, 1], [0, -1]])
    d = mahalanobis(X, np.array([[2.0, 0], [1, 1], [0, 0]]))
    np.testing.assert_allclose(d, [np.sqrt(2), np.sqrt(2.5), 0], rtol=1e-15, atol=0)
    np.testing.assert_allclose(mahalanobis(X), np.sqrt(2), rtol=1e-15)


def test_mahalanobis_bounds_every_batch_norm_output_of_a_linear_layer():
    # Cauchy-Schwarz: whatever the weights, a standardized projection of a
    # point is at most its distance; batch norm's eps only lowers it
    X = spirals(200, 0.05, 0).X
    bound = mahalanobis(X)  # (N,)
    rng = np.random.default_rng(0)
    W = rng.standard_normal((2, 500))
    out, _, _ = batchnorm_forward(
        X @ W + rng.standard_normal(500), np.ones(500), np.zeros(500)
    )
    assert np.all(out < bound[:, None])
    # and it is nearly reached: the weight along Sigma^-1 (x - mean) of the
    # farthest point standardizes that point to its distance, less eps's share
    far = int(bound.argmax())
    centred = X - X.mean(axis=0)
    w = np.linalg.solve(centred.T @ centred / len(X), centred[far])
    best, _, _ = batchnorm_forward((X @ w)[:, None], np.ones(1), np.zeros(1))
    assert best[far, 0] == pytest.approx(bound[far], rel=1e-4)


@pytest.mark.parametrize(
    ("X", "points", "message"),
    [
        (np.zeros(3), None, r"X must be \(N, D\) with N >= 2, got shape \(3,\)"),
        (np.ones((1, 2)), None, r"X must be \(N, D\) with N >= 2, got shape \(1, 2\)"),
        (np.eye(2), np.ones((2, 3)), r"points must be \(M, 2\) like X's rows"),
    ],
)
def test_mahalanobis_names_bad_input(X, points, message):
    with pytest.raises(ValueError, match=message):
        mahalanobis(X, points)
