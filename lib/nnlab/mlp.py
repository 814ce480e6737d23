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

import numbers
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from nnlab.activations import get_activation
from nnlab.init import kaiming_normal
from nnlab.layers import linear_backward, linear_forward
from nnlab.norm import batchnorm_backward, batchnorm_forward
from nnlab.validate import check_array, check_dout, check_int


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
    """Check that `params` is a well-formed network.

    Parameters
    ----------
    params : list of dict
        Layer i holds ``"W"`` (D_in, D_out) and ``"b"`` (D_out,), and a hidden
        layer may hold ``"gamma"`` and ``"beta"`` (D_out,); every array a
        finite floating one, and each layer's D_in the previous one's D_out.

    Raises
    ------
    TypeError
        If `params` is not a non-empty list or tuple of dicts, or an entry is
        not a floating ndarray.
    ValueError
        If a key is missing, a shape does not fit, an entry is not finite or
        the output layer has a batch norm. The message names the layer.
    """
    if not isinstance(params, list | tuple) or not params:
        raise TypeError(
            f"params must be a non-empty list of layer dicts, got {params!r:.60}"
        )
    for i, layer in enumerate(params):
        if not isinstance(layer, dict):
            raise TypeError(
                f"params layer {i} must be a dict with 'W' and 'b', "
                f"got {type(layer).__name__}"
            )
        if "W" not in layer or "b" not in layer:
            raise ValueError(
                f"params layer {i} must be a dict with 'W' and 'b', got keys "
                f"{sorted(layer)}"
            )
        for k, v in layer.items():
            check_array(f"params layer {i} {k!r}", v, 2 if k == "W" else 1)
        W = layer["W"]
        if layer["b"].shape != (W.shape[1],):
            raise ValueError(
                f"params layer {i}: b must have shape ({W.shape[1]},) to match W "
                f"{W.shape}, got {layer['b'].shape}"
            )
        if i > 0 and W.shape[0] != params[i - 1]["W"].shape[1]:
            raise ValueError(
                f"params layer {i} takes {W.shape[0]} inputs but layer {i - 1} gives "
                f"{params[i - 1]['W'].shape[1]}"
            )
        if ("gamma" in layer) != ("beta" in layer):
            raise ValueError(
                f"params layer {i} must hold both gamma and beta or neither"
            )
        if "gamma" in layer and i == len(params) - 1:
            raise ValueError(
                "params: the output layer takes no batch norm (gamma, beta)"
            )


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
    if isinstance(sizes, str) or not isinstance(sizes, Sequence):
        raise TypeError(f"sizes must be a sequence of ints, got {sizes!r:.60}")
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
    X,
    params,
    activation: str = "relu",
    running=None,
    train: bool = True,
    momentum: float = 0.9,
):
    """Scores of the network for a batch.

    Parameters
    ----------
    X : (N, D_in) ndarray
    params : list of dict
        As from `init_mlp`.
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
    check_array("X", X, 2, "(N, D_in)")
    check_params(params)
    act = get_activation(activation)
    if X.shape[1] != params[0]["W"].shape[0]:
        raise ValueError(
            f"X must have D_in = {params[0]['W'].shape[0]} features for these "
            f"params, got shape {X.shape}"
        )
    if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real):
        raise TypeError(f"momentum must be a real number, got {momentum!r}")
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"momentum must be in [0, 1], got {momentum!r}")
    if running is None:
        running = [None] * len(params)
    if not isinstance(running, list | tuple) or len(running) != len(params):
        raise ValueError(
            f"running must hold one entry a layer ({len(params)}), got {running!r:.60}"
        )
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


def mlp_backward(dout, cache: MLPCache):
    """Gradients of the loss for the input and for every parameter.

    Parameters
    ----------
    dout : (N, C) ndarray
        Gradient of the loss with respect to the scores.
    cache : MLPCache
        From `mlp_forward`.

    Returns
    -------
    dX : (N, D_in) ndarray
    dparams : list of dict
        Shaped like params, key by key.

    Raises
    ------
    TypeError, ValueError
        If `dout` is not a finite floating array of the scores' shape.
    """
    layers, activation = cache
    act = get_activation(activation)
    lin = layers[-1].linear
    check_dout(dout, (lin[0].shape[0], lin[1].shape[1]))
    dparams = [None] * len(layers)
    dh = dout
    for i in range(len(layers) - 1, -1, -1):
        lin, bn, act_cache, _ = layers[i]
        grad = {}
        if act_cache is not None:
            dh = act.backward(dh, act_cache)
            if bn is not None:
                dh, grad["gamma"], grad["beta"] = batchnorm_backward(dh, bn)
        dh, grad["W"], grad["b"] = linear_backward(dh, lin)
        dparams[i] = grad
    return dh, dparams


def check_labels(y, shape: tuple, classes: int, name: str = "y"):
    """Return `y` after checking it holds integer labels in [0, classes).

    Parameters
    ----------
    y : int ndarray
    shape : tuple of int
        The shape `y` must have (the scores' shape without the class axis).
    classes : int
        C, the number of classes.
    name : str, default "y"
        How the message names the argument.

    Raises
    ------
    TypeError
        If `y` is not an integer ndarray.
    ValueError
        If its shape is not `shape` or a label is outside [0, classes).
    """
    classes = check_int("classes", classes, 1)
    if not isinstance(y, np.ndarray) or not np.issubdtype(y.dtype, np.integer):
        got = y.dtype if isinstance(y, np.ndarray) else type(y).__name__
        raise TypeError(f"{name} must be an integer numpy array of labels, got {got}")
    if y.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= classes):
        raise ValueError(
            f"{name} must hold labels in [0, {classes}), got values from "
            f"{y.min()} to {y.max()}"
        )
    return y


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
        The gradient of the loss with respect to the scores.

    Raises
    ------
    TypeError, ValueError
        If scores is not a finite floating (N, C) array or y not N labels
        in [0, C).

    Notes
    -----
    With :math:`p = \mathrm{softmax}(s)` row by row,

    .. math::

        L = -\frac1N \sum_n \log p_{n, y_n}, \qquad
        \frac{\partial L}{\partial s} = \frac{p - \mathrm{onehot}(y)}{N}.

    The row maximum is subtracted first so that no exponential overflows.
    """
    check_array("scores", scores, 2, "(N, C)")
    N, C = scores.shape
    check_labels(y, (N,), C)
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, C)
    loss = -logp[np.arange(N), y].mean()
    dscores = np.exp(logp)
    dscores[np.arange(N), y] -= 1.0
    return float(loss), dscores / N


def predict_classes(X, params, activation: str = "relu", running=None):
    """Class labels of a batch in evaluation mode, with the given batch-norm statistics.

    Parameters
    ----------
    X : (N, D_in) ndarray
    params : list of dict
    activation : str
    running : list or None
        As for `mlp_forward`; None normalizes with the statistics of X.

    Returns
    -------
    (N,) int ndarray
        The arg-max of the scores.
    """
    scores, _, _ = mlp_forward(X, params, activation, running, train=False)
    return scores.argmax(axis=1)
