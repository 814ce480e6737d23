r"""A fully connected classifier built from the library's kernels.

A network is a list of per-layer dicts. Layer i holds ``"W"`` (D_in, D_out)
and ``"b"`` (D_out,); a hidden layer with batch normalization also holds
``"gamma"`` and ``"beta"`` (D_out,). Every layer but the last is

    Linear -> [BatchNorm] -> activation

and the last is Linear, whose scores feed a softmax cross-entropy loss.
Problem 2 uses batch norm in every hidden layer; Problem 3 uses none.
`nnlab.training` trains such a network.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from nnlab.activations import get_activation
from nnlab.init import kaiming_normal
from nnlab.layers import linear_backward, linear_forward
from nnlab.norm import batchnorm_backward, batchnorm_forward
from nnlab.validate import check_int


class LayerCache(NamedTuple):
    """What `mlp_forward` keeps of one layer for `mlp_backward`."""

    linear: tuple  # from linear_forward
    bn: tuple | None  # from batchnorm_forward, None without batch norm
    act: object  # from the activation's forward, None for the last layer
    pre: np.ndarray | None  # (N, D_out) input of the activation


class MLPCache(NamedTuple):
    """Cache of `mlp_forward`: one `LayerCache` a layer and the activation name."""

    layers: list  # one LayerCache a layer
    activation: str


def check_params(params) -> None:
    """ValueError/TypeError unless `params` is a well-formed network."""
    if not isinstance(params, list | tuple) or not params:
        raise TypeError(
            f"params must be a non-empty list of layer dicts, got {params!r:.60}"
        )
    for i, layer in enumerate(params):
        if not isinstance(layer, dict) or "W" not in layer or "b" not in layer:
            raise ValueError(
                f"layer {i} must be a dict with 'W' and 'b', got {layer!r:.60}"
            )
        W = layer["W"]
        if W.ndim != 2 or layer["b"].shape != (W.shape[1],):
            raise ValueError(
                f"layer {i}: W must be 2-D and b ({W.shape[-1]},), got W {W.shape} "
                f"and b {layer['b'].shape}"
            )
        if i > 0 and W.shape[0] != params[i - 1]["W"].shape[1]:
            raise ValueError(
                f"layer {i} takes {W.shape[0]} inputs but layer {i - 1} gives "
                f"{params[i - 1]['W'].shape[1]}"
            )
        if ("gamma" in layer) != ("beta" in layer):
            raise ValueError(f"layer {i} must hold both gamma and beta or neither")
        if "gamma" in layer and i == len(params) - 1:
            raise ValueError("the output layer takes no batch norm (gamma, beta)")


def init_mlp(
    sizes: Sequence[int], rng: np.random.Generator, batchnorm: bool = False
) -> list[dict]:
    """Kaiming-normal weights, zero biases, gamma = 1 and beta = 0.

    Parameters
    ----------
    sizes : sequence of int
        ``[D_in, H_1, ..., H_L, C]``: L hidden layers and C classes.
    rng : numpy Generator
    batchnorm : bool
        Give every hidden layer a batch norm.

    Returns
    -------
    list of dict
        ``len(sizes) - 1`` layers.
    """
    if len(sizes) < 2:
        raise ValueError(f"sizes needs an input and an output size, got {sizes!r}")
    sizes = [check_int("every size", s, 1) for s in sizes]
    params = []
    for i, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layer = {"W": kaiming_normal(d_in, d_out, rng), "b": np.zeros(d_out)}
        if batchnorm and i < len(sizes) - 2:
            layer["gamma"] = np.ones(d_out)
            layer["beta"] = np.zeros(d_out)
        params.append(layer)
    return params


def mlp_forward(
    params,
    X,
    activation: str = "relu",
    running=None,
    train: bool = True,
    momentum: float = 0.9,
):
    """Scores of the network for a batch.

    Parameters
    ----------
    params : list of dict
    X : (N, D_in) ndarray
    activation : str
        A name in `nnlab.activations.ACTIVATIONS`.
    running : list or None
        Per layer, the batch norm's `RunningStats` (None for layers without
        one); None starts every one afresh.
    train : bool
        Batch statistics (True) or running ones (False) in the batch norms.
    momentum : float
        Passed to `batchnorm_forward`; 0 makes the returned running
        statistics exactly those of this batch.

    Returns
    -------
    scores : (N, C) ndarray
    cache : MLPCache
        Per layer ``(linear, bn, act, pre)``: the kernels' caches and the
        activation's input.
    running : list
        The updated running statistics, one entry a layer.
    """
    check_params(params)
    act = get_activation(activation)
    if running is None:
        running = [None] * len(params)
    if len(running) != len(params):
        raise ValueError(f"running has {len(running)} entries for {len(params)} layers")
    h, caches, new_running = X, [], []
    last = len(params) - 1
    for i, layer in enumerate(params):
        z, lin = linear_forward(h, layer["W"], layer["b"])  # (N, D_out)
        if i == last:
            caches.append(LayerCache(lin, None, None, None))
            new_running.append(None)
            return z, MLPCache(caches, activation), new_running
        bn, stats = None, None
        if "gamma" in layer:
            z, bn, stats = batchnorm_forward(
                z,
                layer["gamma"],
                layer["beta"],
                momentum=momentum,
                running=running[i],
                train=train,
            )
        h, act_cache = act.forward(z)
        caches.append(LayerCache(lin, bn, act_cache, z))
        new_running.append(stats)


def mlp_backward(dscores, cache: MLPCache):
    """Gradients of the loss for every parameter and for the input.

    Parameters
    ----------
    dscores : (N, C) ndarray
    cache : MLPCache
        From `mlp_forward`.

    Returns
    -------
    grads : list of dict
        Shaped like params, key by key.
    dX : (N, D_in) ndarray
    """
    layers, activation = cache
    act = get_activation(activation)
    grads = [None] * len(layers)
    dh = dscores
    for i in range(len(layers) - 1, -1, -1):
        lin, bn, act_cache, _ = layers[i]
        grad = {}
        if act_cache is not None:
            dh = act.backward(dh, act_cache)
            if bn is not None:
                dh, grad["gamma"], grad["beta"] = batchnorm_backward(dh, bn)
        dh, grad["W"], grad["b"] = linear_backward(dh, lin)
        grads[i] = grad
    return grads, dh


def softmax_cross_entropy(scores, y):
    r"""Mean cross-entropy of softmax(scores) against integer labels.

    Parameters
    ----------
    scores : (N, C) ndarray
    y : (N,) int ndarray, entries in [0, C)

    Returns
    -------
    loss : float
    dscores : (N, C) ndarray

    Notes
    -----
    $L = -\frac1N \sum_n \log p_{n, y_n}$ with $p = \mathrm{softmax}(s)$ and
    $\partial L / \partial s = (p - \mathrm{onehot}(y)) / N$. The row maximum
    is subtracted first so that no exponential overflows.
    """
    if scores.ndim != 2 or y.shape != (scores.shape[0],):
        raise ValueError(
            f"scores must be (N, C) and y (N,), got {scores.shape} and {y.shape}"
        )
    N, C = scores.shape
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= C:
        raise ValueError(f"y must hold integer labels in [0, {C}), got {y[:5]}...")
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, C)
    loss = -logp[np.arange(N), y].mean()
    dscores = np.exp(logp)
    dscores[np.arange(N), y] -= 1.0
    return float(loss), dscores / N


def predict(params, X, activation: str = "relu", running=None):
    """Class labels (N,) in evaluation mode, with the given batch-norm statistics."""
    scores, _, _ = mlp_forward(params, X, activation, running, train=False)
    return scores.argmax(axis=1)
