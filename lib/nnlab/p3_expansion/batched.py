r"""Many ReLU networks of one architecture, trained side by side.

The seed statistics of Problem 3 (`nnlab.p3_expansion.study`) train every
expansion strategy from several seeds. `nnlab.training.fit` trains one network a
call, and at these sizes (a few hundred points, a few dozen units) a step
costs mostly Python overhead; stacking B networks along a leading axis makes
one step of all of them a few batched matmuls.

The algorithm is `nnlab.training.fit`'s, restricted to what Problem 3 uses:
ReLU after every layer but the last, no batch norm, softmax cross-entropy,
full-batch gradient descent with momentum. A stacked network is a list of
per-layer dicts ``{"W": (B, D_in, D_out), "b": (B, D_out)}``; network i is
``unstack(params, i)``. The data are stacked too, so each network can have
its own training set.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nnlab.validate import check_int


class BatchRun(NamedTuple):
    """What `fit_batch` returns for B networks trained for `steps` steps."""

    loss: np.ndarray  # (B, steps) training loss before each update
    final_loss: np.ndarray  # (B,) training loss after the last update
    train_acc: np.ndarray  # (B,) after the last update
    test_acc: np.ndarray  # (B,) after the last update
    params: list  # the stacked parameters after the last update


def stack(networks) -> list[dict]:
    """Stack B networks of one architecture (lists of ``{"W", "b"}`` dicts).

    Returns
    -------
    list of dict
        Per layer ``{"W": (B, D_in, D_out), "b": (B, D_out)}``, new arrays.
    """
    networks = list(networks)
    if not networks:
        raise ValueError("networks must hold at least one network, got none")
    shapes = [[layer["W"].shape for layer in net] for net in networks]
    for i, s in enumerate(shapes):
        if s != shapes[0]:
            raise ValueError(
                f"networks must share one architecture: network 0 has W shapes "
                f"{shapes[0]}, network {i} has {s}"
            )
        for j, layer in enumerate(networks[i]):
            if set(layer) != {"W", "b"}:
                raise ValueError(
                    f"network {i} layer {j} must hold exactly 'W' and 'b' (no batch "
                    f"norm), got {sorted(layer)}"
                )
    return [
        {k: np.stack([net[j][k] for net in networks]) for k in ("W", "b")}
        for j in range(len(shapes[0]))
    ]


def unstack(params, i: int) -> list[dict]:
    """Network `i` of a stack, as a list of ``{"W", "b"}`` dicts (copies)."""
    return [{k: v[i].copy() for k, v in layer.items()} for layer in params]


def batch_forward(params, X):
    """Scores of B stacked ReLU networks, each on its own batch.

    Parameters
    ----------
    params : list of dict
        Per layer ``W`` (B, D_in, D_out) and ``b`` (B, D_out).
    X : (B, N, D_in) ndarray

    Returns
    -------
    scores : (B, N, C) ndarray
    cache : list
        Per layer its input h (B, N, D_in); `batch_backward` reads them (a
        hidden layer's ReLU fired where the next layer's input is > 0).
    """
    h, cache = X, []
    for i, layer in enumerate(params):
        z = np.matmul(h, layer["W"])  # (B, N, D_out)
        z += layer["b"][:, None, :]
        cache.append(h)
        h = z if i == len(params) - 1 else np.maximum(z, 0, out=z)
    return h, cache


def batch_backward(dscores, cache, params) -> list[dict]:
    r"""Gradients of each network's loss for its own parameters.

    Parameters
    ----------
    dscores : (B, N, C) ndarray
        d(loss of network b) / d(scores of network b), for every b.
    cache : list
        From `batch_forward`.
    params : list of dict
        The stacked parameters the forward pass used.

    Returns
    -------
    list of dict
        Per layer ``W`` (B, D_in, D_out) and ``b`` (B, D_out).

    Notes
    -----
    Per network, as in `nnlab.layers`: $dW = h^\top dz$, $db = \sum_n dz$,
    $dh = dz\, W^\top$, and through a ReLU $dz = dh \odot [z > 0]$.
    """
    grads = [None] * len(params)
    dz = dscores
    ones = np.ones((dz.shape[0], 1, dz.shape[1]))  # (B, 1, N)
    for i in range(len(params) - 1, -1, -1):
        h = cache[i]
        grads[i] = {
            "W": np.matmul(h.transpose(0, 2, 1), dz),  # (B, D_in, D_out)
            # a product rather than dz.sum(axis=1): numpy reduces over a
            # middle axis several times slower than BLAS does
            "b": np.matmul(ones, dz)[:, 0, :],  # (B, D_out)
        }
        if i > 0:
            dz = np.matmul(dz, params[i]["W"].transpose(0, 2, 1))  # (B, N, D_in)
            np.multiply(dz, h > 0, out=dz)  # ReLU'(z) = [z > 0] = [ReLU(z) > 0]
    return grads


def batch_cross_entropy(scores, y):
    r"""Each network's mean softmax cross-entropy and its gradient.

    Parameters
    ----------
    scores : (B, N, C) ndarray
    y : (B, N) int ndarray

    Returns
    -------
    loss : (B,) ndarray
    dscores : (B, N, C) ndarray
        $(p - \mathrm{onehot}(y)) / N$, network by network.
    """
    B, N, C = scores.shape
    # Classes one at a time: numpy reduces over a short last axis slowly.
    top = scores[..., 0].copy()  # (B, N)
    for c in range(1, C):
        np.maximum(top, scores[..., c], out=top)
    shifted = scores - top[..., None]  # (B, N, C)
    e = np.exp(shifted)
    total = e[..., 0].copy()
    for c in range(1, C):
        total += e[..., c]
    logp_y = np.take_along_axis(shifted, y[..., None], axis=2)[..., 0] - np.log(total)
    dscores = e / total[..., None]
    dscores -= y[..., None] == np.arange(C)  # p - onehot(y)
    dscores /= N
    return -logp_y.mean(axis=1), dscores


def _check_data(params, X, y, name: str) -> None:
    B, D = params[0]["W"].shape[0], params[0]["W"].shape[1]
    if X.ndim != 3 or X.shape[0] != B or X.shape[2] != D:
        raise ValueError(
            f"{name} must be (B, N, D_in) = ({B}, N, {D}) for these networks, "
            f"got shape {X.shape}"
        )
    if y.shape != X.shape[:2] or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            f"the labels of {name} must be integers of shape {X.shape[:2]}, got "
            f"{y.dtype} {y.shape}"
        )


def fit_batch(
    params,
    X,
    y,
    X_test,
    y_test,
    *,
    steps: int,
    lr: float,
    momentum: float = 0.9,
) -> BatchRun:
    """Full-batch gradient descent with momentum, B networks at once.

    Parameters
    ----------
    params : list of dict
        Stacked starting points (`stack`); not modified.
    X : (B, N, D_in) ndarray, y : (B, N) int ndarray
        Network b trains on ``X[b], y[b]``.
    X_test : (B, N_test, D_in) ndarray, y_test : (B, N_test) int ndarray
    steps : int
    lr, momentum : float
        ``v <- momentum v + g``, ``p <- p - lr v``, v starting at 0, as in
        `nnlab.training.sgd_momentum`.

    Returns
    -------
    BatchRun
    """
    steps = check_int("steps", steps, 1)
    _check_data(params, X, y, "X")
    _check_data(params, X_test, y_test, "X_test")
    loss = np.empty((X.shape[0], steps))
    params = [{k: v.copy() for k, v in layer.items()} for layer in params]
    velocity = [{k: np.zeros_like(v) for k, v in layer.items()} for layer in params]
    for step in range(steps):
        scores, cache = batch_forward(params, X)
        loss[:, step], dscores = batch_cross_entropy(scores, y)
        grads = batch_backward(dscores, cache, params)
        # in place, on our own copies: the same operations as sgd_momentum
        for p, v, g in zip(params, velocity, grads, strict=True):
            for k in p:
                v[k] *= momentum
                v[k] += g[k]
                p[k] -= lr * v[k]
    scores = batch_forward(params, X)[0]
    final_loss = batch_cross_entropy(scores, y)[0]
    train_acc = (scores.argmax(axis=2) == y).mean(axis=1)
    test_acc = (batch_forward(params, X_test)[0].argmax(axis=2) == y_test).mean(axis=1)
    return BatchRun(loss, final_loss, train_acc, test_acc, params)
