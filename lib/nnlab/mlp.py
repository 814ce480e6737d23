r"""A fully connected classifier built from the library's kernels, and SGD.

A network is a list of per-layer dicts. Layer i holds ``"W"`` (D_in, D_out)
and ``"b"`` (D_out,); a hidden layer with batch normalization also holds
``"gamma"`` and ``"beta"`` (D_out,). Every layer but the last is

    Linear -> [BatchNorm] -> activation

and the last is Linear, whose scores feed a softmax cross-entropy loss.
Problem 2 uses batch norm in every hidden layer; Problem 3 uses none.

Training is full-batch gradient descent with momentum: the data sets are a
few hundred points, so one batch is the whole training set, and every run
is deterministic given its seed.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from nnlab.activations import get_activation
from nnlab.data import Split, spirals
from nnlab.init import kaiming_normal
from nnlab.layers import linear_backward, linear_forward
from nnlab.norm import batchnorm_backward, batchnorm_forward

DEFAULT_DATA = {"n": 200, "noise": 0.05, "seed": 0}


class LayerCache(NamedTuple):
    linear: tuple  # from linear_forward
    bn: tuple | None  # from batchnorm_forward, None without batch norm
    act: object  # from the activation's forward, None for the last layer
    pre: np.ndarray | None  # (N, D_out) input of the activation


class MLPCache(NamedTuple):
    layers: list  # one LayerCache a layer
    activation: str


def _check_int(name: str, v, minimum: int) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {v!r}")
    return int(v)


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
    sizes = [_check_int("every size", s, 1) for s in sizes]
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


def sgd_momentum(params, grads, velocity, lr: float, momentum: float):
    """One step of SGD with momentum, returning new parameters and velocity.

    ``v <- momentum * v + g``, ``p <- p - lr * v`` for every array; a
    `velocity` of None is all zeros. Nothing passed in is modified.
    """
    if velocity is None:
        velocity = [{k: np.zeros_like(g) for k, g in layer.items()} for layer in grads]
    new_params, new_velocity = [], []
    for p, g, v in zip(params, grads, velocity, strict=True):
        v = {k: momentum * v[k] + g[k] for k in p}
        new_velocity.append(v)
        new_params.append({k: p[k] - lr * v[k] for k in p})
    return new_params, new_velocity


@dataclass
class History:
    """What a training run recorded. Arrays are indexed by step or layer.

    loss : (steps,) training loss before each update.
    eval_steps : (E,) steps (updates done) at which accuracies were measured.
    train_acc, test_acc : (E,) accuracies, batch norm in evaluation mode.
    grad_norms : (steps, layers) Frobenius norm of each layer's dW.
    stat_steps : (S,) steps (before their update) at which `live_units`
        and `active` were measured: every `eval_every` steps.
    live_units : (S, hidden) fraction of a hidden layer's units with a
        non-zero gradient on any of their parameters.
    active : (S, hidden) fraction of (sample, unit) pairs where the
        activation's derivative is non-zero.
    watched : name -> (steps,) values returned by the `watch` callback.
    params, running : the parameters at the end and the batch-norm
        statistics of the training set under them.
    config : the settings of the run.
    """

    loss: np.ndarray
    eval_steps: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    grad_norms: np.ndarray
    stat_steps: np.ndarray
    live_units: np.ndarray
    active: np.ndarray
    params: list
    running: list
    watched: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)

    @property
    def final_test_acc(self) -> float:
        return float(self.test_acc[-1])

    @property
    def final_train_acc(self) -> float:
        return float(self.train_acc[-1])


def fit(
    params,
    data: Split,
    *,
    activation: str = "relu",
    steps: int = 300,
    lr: float = 0.1,
    momentum: float = 0.9,
    eval_every: int = 10,
    watch: Callable | None = None,
) -> History:
    """Full-batch gradient descent with momentum on ``data.X, data.y``.

    Parameters
    ----------
    params : list of dict
        The starting point; it is not modified.
    data : Split
        ``(X, y, X_test, y_test)`` as from `nnlab.data.spirals`.
    activation : str
    steps : int
    lr, momentum : float
    eval_every : int
        Accuracies are measured every `eval_every` steps, at step 0 and
        after the last update; unit statistics every `eval_every` steps.
    watch : callable or None
        ``watch(params, grads) -> {name: float}``, called at every step
        before the update; its values are collected in ``History.watched``.

    Returns
    -------
    History

    Notes
    -----
    The batch is the whole training set, so the statistics that batch norm
    uses in training are those of the training set under the current
    weights. Evaluation uses exactly these (returned in
    ``History.running``) rather than moving averages, which lag behind
    weights that change quickly and would make train-mode and eval-mode
    accuracy disagree.
    """
    check_params(params)
    steps = _check_int("steps", steps, 1)
    eval_every = _check_int("eval_every", eval_every, 1)
    act = get_activation(activation)
    X, y, X_test, y_test = data
    L, hidden = len(params), len(params) - 1
    loss = np.empty(steps)
    grad_norms = np.empty((steps, L))
    stat_steps = np.arange(0, steps, eval_every)
    live, active = (
        np.empty((len(stat_steps), hidden)),
        np.empty((len(stat_steps), hidden)),
    )
    evals, watched, velocity = [], {}, None

    def evaluate(step, params, scores, stats):
        test = predict(params, X_test, activation, stats)
        evals.append((step, np.mean(scores.argmax(1) == y), np.mean(test == y_test)))

    for step in range(steps + 1):
        # momentum=0: the statistics returned are this batch's, exactly
        scores, cache, stats = mlp_forward(params, X, activation, momentum=0.0)
        if step % eval_every == 0 or step == steps:
            evaluate(step, params, scores, stats)
        if step == steps:
            break
        loss[step], dscores = softmax_cross_entropy(scores, y)
        grads, _ = mlp_backward(dscores, cache)
        grad_norms[step] = [np.linalg.norm(g["W"]) for g in grads]
        if step % eval_every == 0:
            j = step // eval_every
            for i, g in enumerate(grads[:-1]):
                # a unit has moved if any of its parameters (a column) has
                moved = (g["W"] != 0).any(axis=0) | (g["b"] != 0)
                if "gamma" in g:
                    moved |= (g["gamma"] != 0) | (g["beta"] != 0)
                live[j, i] = moved.mean()
                lc = cache.layers[i]
                slope = act.backward(np.ones_like(lc.pre), lc.act)
                active[j, i] = np.count_nonzero(slope) / slope.size
        if watch is not None:
            for k, v in watch(params, grads).items():
                watched.setdefault(k, np.empty(steps))[step] = v
        params, velocity = sgd_momentum(params, grads, velocity, lr, momentum)
    eval_steps, train_acc, test_acc = (np.array(c) for c in zip(*evals, strict=True))
    return History(
        loss,
        eval_steps,
        train_acc,
        test_acc,
        grad_norms,
        stat_steps,
        live,
        active,
        params,
        stats,
        watched,
        {"activation": activation, "steps": steps, "lr": lr, "momentum": momentum},
    )


def init_bn_mlp(
    depth: int, width: int = 32, seed: int = 0, d_in: int = 2, classes: int = 2
):
    """The starting point of `train_bn_mlp`: `depth` hidden BN layers."""
    depth = _check_int("depth", depth, 1)
    width = _check_int("width", width, 1)
    rng = np.random.default_rng(seed)
    return init_mlp([d_in] + [width] * depth + [classes], rng, batchnorm=True)


def train_bn_mlp(
    activation: str,
    depth: int,
    width: int = 32,
    steps: int = 150,
    lr: float = 0.1,
    seed: int = 0,
    data: Split | None = None,
    momentum: float = 0.9,
) -> History:
    """Train a Linear -> BN -> activation network of `depth` hidden layers.

    Parameters
    ----------
    activation : str
        One of ``nnlab.activations.ACTIVATIONS``.
    depth : int
        Number of hidden layers, >= 1 (plus a linear output layer).
    width : int
        Units per hidden layer.
    steps, lr, momentum
        Full-batch SGD with momentum.
    seed : int
        Seeds the initialization; equal seeds give equal starting weights
        whatever the activation.
    data : Split or None
        None means ``spirals(**DEFAULT_DATA)``.

    Returns
    -------
    History
        With ``config`` holding every argument but `data`.
    """
    get_activation(activation)  # fail early, naming the choices
    params = init_bn_mlp(depth, width, seed)
    data = spirals(**DEFAULT_DATA) if data is None else data
    hist = fit(
        params, data, activation=activation, steps=steps, lr=lr, momentum=momentum
    )
    hist.config.update(depth=depth, width=width, seed=seed)
    return hist


def train_linear_classifier(
    data: Split, steps: int = 300, lr: float = 0.5, seed: int = 0
) -> History:
    """Softmax regression (no hidden layer) by full-batch gradient descent.

    The best a linear classifier does on `data`, to compare networks with.
    """
    rng = np.random.default_rng(seed)
    params = init_mlp([data.X.shape[1], int(data.y.max()) + 1], rng)
    return fit(params, data, steps=steps, lr=lr)


def as_affine(fn: Callable, d_in: int):
    """Read off the affine map a function would be: fn(x) ~ x @ A + c.

    Parameters
    ----------
    fn : callable
        Maps (N, d_in) to (N, C).
    d_in : int

    Returns
    -------
    A : (d_in, C) ndarray, c : (C,) ndarray
        ``c = fn(0)`` and row i of A is ``fn(e_i) - fn(0)``. If fn is affine,
        ``fn(X) == X @ A + c`` for every X up to rounding; the size of
        ``fn(X) - (X @ A + c)`` measures how far from affine fn is.
    """
    probes = np.vstack([np.zeros(d_in), np.eye(d_in)])  # (1 + d_in, d_in)
    out = fn(probes)
    return out[1:] - out[0], out[0]


def min0_to_relu(params) -> list[dict]:
    r"""Parameters of a ReLU network computing what a min(0, x) network does.

    Since $\min(0, u) = -\max(0, -u)$, each hidden layer's output is
    negated and the sign goes into the next linear layer: for a hidden layer
    with batch norm, $-u = (-\gamma)\hat z + (-\beta)$, so gamma and beta
    flip; without one, $-u = h(-W) - b$, so W and b flip. Either way the
    next layer's W flips. Running statistics stay valid (the batch norms'
    inputs do not change).
    """
    check_params(params)
    new = [{k: v.copy() for k, v in layer.items()} for layer in params]
    for i, layer in enumerate(new[:-1]):
        keys = ("gamma", "beta") if "gamma" in layer else ("W", "b")
        for k in keys:
            layer[k] = -layer[k]
        new[i + 1]["W"] = -new[i + 1]["W"]
    return new


def preactivations(params, X, activation: str = "relu", running=None):
    """The activation inputs of every hidden layer, [(N, H_i) ndarray, ...].

    With batch norm these are its outputs. `running` None normalizes with
    the statistics of X itself (training mode), else with `running`.
    """
    train = running is None
    _, cache, _ = mlp_forward(params, X, activation, running, train=train)
    return [layer.pre for layer in cache.layers[:-1]]
