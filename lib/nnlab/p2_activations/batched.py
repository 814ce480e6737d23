r"""The batch-norm MLP of `nnlab.mlp`, trained for many seeds at once.

Every array carries a leading seed axis S: run s has its own data
``X[s]`` (N, D_in), its own starting weights and its own trajectory, and
nothing is shared between runs. The layers are those of `nnlab.mlp`
(Linear -> BatchNorm -> activation, then a linear output layer) with the
matrix products done by batched matmul, so S runs cost one pass of
Python overhead instead of S. This is what lets a notebook train every
activation for several seeds within its time budget.

A network is a list of per-layer dicts as in `nnlab.mlp`, each array with
the seed axis in front: ``"W"`` (S, D_in, D_out), ``"b"`` (S, D_out) and,
in hidden layers, ``"gamma"``, ``"beta"`` (S, D_out). `stack_params` builds
one from per-seed networks, so slice s is exactly ``init_bn_mlp(..., seed)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from nnlab.activations import get_activation
from nnlab.data import Split
from nnlab.norm import shifted_moments
from nnlab.p2_activations.bn_mlp import init_bn_mlp
from nnlab.validate import check_int

EPS = 1e-5  # the batch norm's eps, as in `nnlab.norm.batchnorm_forward`


class SeedLayerCache(NamedTuple):
    """What `forward_seeds` keeps of a layer for `backward_seeds`; axis 0: seed."""

    h: np.ndarray  # (S, N, D_in) input of the linear layer
    W: np.ndarray  # (S, D_in, D_out)
    bn: tuple | None  # (xhat, gamma, inv_std) or None for the output layer
    act: object  # the activation's cache, None for the output layer


class SeedHistory(NamedTuple):
    """What `fit_seeds` recorded; axis 1 (or 0 for finals) is the seed.

    loss : (steps, S) training loss before each update.
    grad_norms : (steps, S, L) Frobenius norm of each layer's dW.
    train_acc, test_acc : (S,) final accuracies, batch norm in evaluation
        mode with the training set's statistics under the final weights.
    params : the final parameters (seed axis in front).
    running : per hidden layer ``(mean, var)``, each (S, D): the training
        set's batch statistics under the final weights.
    """

    loss: np.ndarray
    grad_norms: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    params: list
    running: list


def stack_params(nets: Sequence[list]) -> list[dict]:
    """One network with a leading seed axis from S networks of equal shapes."""
    if not nets:
        raise ValueError("need at least one network to stack, got none")
    return [
        {k: np.stack([net[i][k] for net in nets]) for k in nets[0][i]}
        for i in range(len(nets[0]))
    ]


def unstack_params(params: list[dict], s: int) -> list[dict]:
    """Return the network of seed `s` (copies), in the layout of `nnlab.mlp`."""
    return [{k: v[s].copy() for k, v in layer.items()} for layer in params]


def init_bn_mlp_seeds(
    depth: int, width: int, seeds: Sequence[int], d_in: int = 2, classes: int = 2
) -> list[dict]:
    """`nnlab.p2_activations.bn_mlp.init_bn_mlp` for every seed, stacked on axis 0."""
    return stack_params([init_bn_mlp(depth, width, s, d_in, classes) for s in seeds])


def stack_splits(splits: Sequence[Split]) -> Split:
    """S data sets of equal sizes as one Split with a leading seed axis."""
    if not splits:
        raise ValueError("need at least one data set to stack, got none")
    return Split(*(np.stack(parts) for parts in zip(*splits, strict=True)))


def forward_seeds(params, X, activation: str, running=None):
    """Scores of S networks, each on its own batch.

    Parameters
    ----------
    params : list of dict
        Seed axis in front (see the module docstring).
    X : (S, N, D_in) ndarray
    activation : str
    running : list or None
        None normalizes with each batch's own statistics (training mode,
        N >= 2, from `nnlab.norm.shifted_moments` as in batch norm); else
        per hidden layer ``(mean, var)`` (S, D) to normalize with.

    Returns
    -------
    scores : (S, N, C) ndarray
    cache : list of SeedLayerCache
    stats : list
        Per hidden layer the ``(mean, var)`` (S, D) that were used.
    """
    act = get_activation(activation)
    if X.ndim != 3 or X.shape[0] != params[0]["W"].shape[0]:
        raise ValueError(
            f"X must be (S, N, D_in) with S = {params[0]['W'].shape[0]} seeds, "
            f"got shape {X.shape}"
        )
    if running is None and X.shape[1] < 2:
        raise ValueError(
            f"X must have N >= 2 samples in training, got N={X.shape[1]} (X of "
            f"shape {X.shape}): the statistics of one sample are the sample "
            "itself and variance 0"
        )
    h, cache, stats = X, [], []
    for i, layer in enumerate(params):
        z = h @ layer["W"] + layer["b"][:, None, :]  # (S, N, D_out)
        if "gamma" not in layer:
            cache.append(SeedLayerCache(h, layer["W"], None, None))
            return z, cache, stats
        if running is None:
            mean, zc, var = shifted_moments(z, axis=1)  # (S, 1, D), zc (S, N, D)
            mean, var = mean[:, 0], var[:, 0]  # (S, D), var biased as nnlab.norm
        else:
            mean, var = running[i]
            zc = z - mean[:, None, :]
        inv_std = 1.0 / np.sqrt(var + EPS)  # (S, D)
        xhat = zc * inv_std[:, None, :]  # (S, N, D)
        x = layer["gamma"][:, None, :] * xhat + layer["beta"][:, None, :]
        out, act_cache = act.forward(x)
        cache.append(
            SeedLayerCache(h, layer["W"], (xhat, layer["gamma"], inv_std), act_cache)
        )
        stats.append((mean, var))
        h = out
    raise ValueError("the last layer must be a linear output layer without gamma")


def backward_seeds(dscores, cache, activation: str):
    """Gradients for every seed's parameters; batch statistics of training mode.

    Parameters
    ----------
    dscores : (S, N, C) ndarray
    cache : list of SeedLayerCache
        From `forward_seeds` with ``running=None``.
    activation : str

    Returns
    -------
    list of dict
        Shaped like params, key by key.

    Notes
    -----
    Per seed and layer these are the formulas of `nnlab.norm.batchnorm_backward`
    and `nnlab.layers.linear_backward`, with sums over the batch axis 1.
    """
    act = get_activation(activation)
    grads = [None] * len(cache)
    dz = dscores
    for i in range(len(cache) - 1, -1, -1):
        h, W, bn, act_cache = cache[i]
        grad = {}
        if bn is not None:
            xhat, gamma, inv_std = bn
            N = xhat.shape[1]
            dx = act.backward(dz, act_cache)  # (S, N, D)
            grad["gamma"] = (dx * xhat).sum(axis=1)  # (S, D)
            grad["beta"] = dx.sum(axis=1)
            dz = (gamma * inv_std)[:, None, :] * (
                dx - (grad["beta"][:, None, :] + xhat * grad["gamma"][:, None, :]) / N
            )
        grad["W"] = h.transpose(0, 2, 1) @ dz  # (S, D_in, D_out)
        grad["b"] = dz.sum(axis=1)  # (S, D_out)
        grads[i] = grad
        if i > 0:
            dz = dz @ W.transpose(0, 2, 1)  # (S, N, D_in)
    return grads


def cross_entropy_seeds(scores, y):
    """Each seed's mean softmax cross-entropy: loss (S,), dscores (S, N, C)."""
    S, N, C = scores.shape
    shifted = scores - scores.max(axis=2, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    picked = np.take_along_axis(logp, y[:, :, None], axis=2)[:, :, 0]  # (S, N)
    dscores = np.exp(logp)
    np.put_along_axis(
        dscores, y[:, :, None], np.take_along_axis(dscores, y[:, :, None], 2) - 1, 2
    )
    return -picked.mean(axis=1), dscores / N


def fit_seeds(
    params,
    data: Split,
    *,
    activation: str,
    steps: int,
    lr: float,
    momentum: float,
) -> SeedHistory:
    """Full-batch gradient descent with momentum, S runs side by side.

    The update is `nnlab.training.sgd_momentum`'s, ``v <- momentum v + g``,
    ``p <- p - lr v``, for every seed at once; `params` is not modified.

    Parameters
    ----------
    params : list of dict
        Seed axis in front, e.g. from `init_bn_mlp_seeds`.
    data : Split
        With a seed axis in front, e.g. from `stack_splits`: run s trains on
        ``data.X[s], data.y[s]`` and is tested on ``data.X_test[s]``.
    activation : str
    steps : int
    lr, momentum : float

    Returns
    -------
    SeedHistory
    """
    steps = check_int("steps", steps, 1)
    get_activation(activation)
    X, y, X_test, y_test = data
    S, L = X.shape[0], len(params)
    loss = np.empty((steps, S))
    grad_norms = np.empty((steps, S, L))
    velocity = [{k: np.zeros_like(v) for k, v in layer.items()} for layer in params]
    for step in range(steps):
        scores, cache, _ = forward_seeds(params, X, activation)
        loss[step], dscores = cross_entropy_seeds(scores, y)
        grads = backward_seeds(dscores, cache, activation)
        for i, g in enumerate(grads):
            grad_norms[step, :, i] = np.sqrt((g["W"] ** 2).sum(axis=(1, 2)))
        velocity = [
            {k: momentum * v[k] + g[k] for k in v}
            for v, g in zip(velocity, grads, strict=True)
        ]
        params = [
            {k: p[k] - lr * v[k] for k in p}
            for p, v in zip(params, velocity, strict=True)
        ]
    scores, _, stats = forward_seeds(params, X, activation)
    test_scores, _, _ = forward_seeds(params, X_test, activation, running=stats)
    return SeedHistory(
        loss,
        grad_norms,
        (scores.argmax(axis=2) == y).mean(axis=1),
        (test_scores.argmax(axis=2) == y_test).mean(axis=1),
        params,
        stats,
    )
