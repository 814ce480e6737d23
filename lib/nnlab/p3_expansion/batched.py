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

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from nnlab.data import check_split
from nnlab.mlp import check_labels, check_params
from nnlab.training import check_momentum
from nnlab.validate import check_array, check_dout, check_int, check_positive


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
    if isinstance(networks, str) or not isinstance(networks, Iterable):
        raise TypeError(f"networks must be a list of networks, got {networks!r:.60}")
    networks = list(networks)
    if not networks:
        raise ValueError("networks must hold at least one network, got none")
    for net in networks:
        check_params(net)
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


def _check_stacked(params) -> None:
    if not isinstance(params, list | tuple) or not params:
        raise TypeError(
            f"params must be a non-empty list of layer dicts, got {params!r:.60}"
        )
    for j, layer in enumerate(params):
        if not isinstance(layer, dict) or set(layer) != {"W", "b"}:
            raise TypeError(f"params layer {j} must be a dict with 'W' and 'b'")
        W, b = layer["W"], layer["b"]
        check_array(f"params layer {j} 'W'", W, 3, "(B, D_in, D_out)")
        check_array(f"params layer {j} 'b'", b, 2, "(B, D_out)")
        B = params[0]["W"].shape[0]
        prev = W.shape[1] if j == 0 else params[j - 1]["W"].shape[2]
        if W.shape[:2] != (B, prev) or b.shape != (B, W.shape[2]):
            raise ValueError(
                f"params layer {j} must have W ({B}, {prev}, D_out) and b "
                f"({B}, D_out), got {W.shape} and {b.shape}"
            )


def unstack(params, i: int) -> list[dict]:
    """Network `i` of a stack, as a list of ``{"W", "b"}`` dicts (copies).

    Raises
    ------
    TypeError, ValueError
        If `params` is not a stack or `i` not one of its indices.
    """
    _check_stacked(params)
    B = params[0]["W"].shape[0]
    i = check_int("i", i, 0)
    if i >= B:
        raise ValueError(f"i must be a network index in [0, {B}), got {i}")
    return [{k: v[i].copy() for k, v in layer.items()} for layer in params]


class BatchCache(NamedTuple):
    """What `batch_forward` keeps for `batch_backward`, one entry a layer."""

    inputs: list  # (B, N, D_in) input h of each layer
    weights: list  # (B, D_in, D_out) W of each layer


def batch_forward(X, params):
    """Scores of B stacked ReLU networks, each on its own batch.

    Parameters
    ----------
    X : (B, N, D_in) ndarray
    params : list of dict
        Per layer ``W`` (B, D_in, D_out) and ``b`` (B, D_out).

    Returns
    -------
    scores : (B, N, C) ndarray
    cache : BatchCache
        Per layer its input h (B, N, D_in) and its W; `batch_backward`
        reads them (a hidden layer's ReLU fired where the next layer's input
        is > 0).

    Raises
    ------
    TypeError, ValueError
        If X is not a finite floating (B, N, D_in) array that fits `params`.
    """
    check_array("X", X, 3, "(B, N, D_in)")
    _check_stacked(params)
    B, D = params[0]["W"].shape[:2]
    if X.shape[0] != B or X.shape[2] != D:
        raise ValueError(
            f"X must be (B, N, D_in) = ({B}, N, {D}) for these networks, "
            f"got shape {X.shape}"
        )
    return _forward(X, params)


def _forward(X, params):
    h, inputs = X, []
    for i, layer in enumerate(params):
        z = np.matmul(h, layer["W"])  # (B, N, D_out)
        z += layer["b"][:, None, :]
        inputs.append(h)
        h = z if i == len(params) - 1 else np.maximum(z, 0, out=z)
    return h, BatchCache(inputs, [layer["W"] for layer in params])


def batch_backward(dout, cache: BatchCache):
    r"""Gradients of each network's loss for its own input and parameters.

    Parameters
    ----------
    dout : (B, N, C) ndarray
        d(loss of network b) / d(scores of network b), for every b.
    cache : BatchCache
        From `batch_forward`.

    Returns
    -------
    dX : (B, N, D_in) ndarray
    dparams : list of dict
        Per layer ``W`` (B, D_in, D_out) and ``b`` (B, D_out).

    Raises
    ------
    TypeError, ValueError
        If `dout` is not a finite floating array of the scores' shape.

    Notes
    -----
    Per network, as in `nnlab.layers`:

    .. math::

        dW = h^\top dz, \quad db = \sum_n dz, \quad dh = dz\, W^\top,

    and through a ReLU :math:`dz = dh \odot [z > 0]`.
    """
    inputs, weights = cache
    h, W = inputs[-1], weights[-1]
    check_dout(dout, (h.shape[0], h.shape[1], W.shape[2]))
    return _backward(dout, cache)


def _backward(dout, cache: BatchCache, input_grad: bool = True):
    # input_grad=False skips dX, one matmul a step that training never reads
    inputs, weights = cache
    grads = [None] * len(inputs)
    dz = dout
    ones = np.ones((dz.shape[0], 1, dz.shape[1]))  # (B, 1, N)
    for i in range(len(inputs) - 1, -1, -1):
        h = inputs[i]
        grads[i] = {
            "W": np.matmul(h.transpose(0, 2, 1), dz),  # (B, D_in, D_out)
            # a product rather than dz.sum(axis=1): numpy reduces over a
            # middle axis several times slower than BLAS does
            "b": np.matmul(ones, dz)[:, 0, :],  # (B, D_out)
        }
        if i == 0:
            break
        dz = np.matmul(dz, weights[i].transpose(0, 2, 1))  # (B, N, D_in)
        np.multiply(dz, h > 0, out=dz)  # ReLU'(z) = [z > 0] = [ReLU(z) > 0]
    dX = np.matmul(dz, weights[0].transpose(0, 2, 1)) if input_grad else None
    return dX, grads


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
        :math:`(p - \mathrm{onehot}(y)) / N`, network by network.
    """
    check_array("scores", scores, 3, "(B, N, C)")
    B, N, C = scores.shape
    check_labels(y, (B, N), C)
    return _cross_entropy(scores, y)


def _cross_entropy(scores, y):
    B, N, C = scores.shape
    # Classes one at a time: numpy reduces over a short last axis slowly, and
    # broadcasting a (B, N) array along it runs a loop of C elements B N times.
    top = scores[..., 0].copy()  # (B, N)
    for c in range(1, C):
        np.maximum(top, scores[..., c], out=top)
    shifted = np.empty_like(scores)  # (B, N, C)
    for c in range(C):
        np.subtract(scores[..., c], top, out=shifted[..., c])
    e = np.exp(shifted)
    total = e[..., 0].copy()
    for c in range(1, C):
        total += e[..., c]
    logp_y = np.take_along_axis(shifted, y[..., None], axis=2)[..., 0] - np.log(total)
    dscores = np.empty_like(e)
    for c in range(C):
        p = np.divide(e[..., c], total, out=dscores[..., c])
        p -= y == c  # p - onehot(y)
    dscores /= N
    return -logp_y.mean(axis=1), dscores


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
    _check_stacked(params)
    B, D = params[0]["W"].shape[:2]
    C = params[-1]["W"].shape[2]
    X, y, X_test, y_test = check_split((X, y, X_test, y_test), D, C, (B,))
    steps = check_int("steps", steps, 1)
    lr = check_positive("lr", lr)
    momentum = check_momentum(momentum)
    loss = np.empty((X.shape[0], steps))
    params = [{k: v.copy() for k, v in layer.items()} for layer in params]
    velocity = [{k: np.zeros_like(v) for k, v in layer.items()} for layer in params]
    for step in range(steps):
        # checked once above; the private kernels skip the per-step checks
        scores, cache = _forward(X, params)
        loss[:, step], dscores = _cross_entropy(scores, y)
        _, grads = _backward(dscores, cache, input_grad=False)
        # in place, on our own copies: the same operations as sgd_momentum
        for p, v, g in zip(params, velocity, grads, strict=True):
            for k in p:
                v[k] *= momentum
                v[k] += g[k]
                p[k] -= lr * v[k]
    scores = _forward(X, params)[0]
    final_loss = _cross_entropy(scores, y)[0]
    train_acc = (scores.argmax(axis=2) == y).mean(axis=1)
    test_acc = (_forward(X_test, params)[0].argmax(axis=2) == y_test).mean(axis=1)
    return BatchRun(loss, final_loss, train_acc, test_acc, params)
