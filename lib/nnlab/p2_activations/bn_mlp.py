"""Problem 2's batch-norm MLP: its start, its training, and what is read off it.

The network is `nnlab.mlp`'s with a batch norm in every hidden layer,
trained by `nnlab.training.fit`; the helpers here build it, train it on the
spirals, and read off what the notebook asks of it (the activations' inputs,
the affine map a linear network computes, the min(0, x) network as a ReLU
one).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nnlab.activations import get_activation
from nnlab.data import Split, check_split, spirals
from nnlab.mlp import check_params, init_mlp, mlp_forward
from nnlab.training import History, fit
from nnlab.validate import check_int

DEFAULT_DATA = {"n": 200, "noise": 0.05, "seed": 0}


def init_bn_mlp(
    depth: int, width: int = 32, seed: int = 0, d_in: int = 2, classes: int = 2
):
    """Initialize the starting point of `train_bn_mlp`: `depth` hidden BN layers."""
    depth = check_int("depth", depth, 1)
    width = check_int("width", width, 1)
    d_in = check_int("d_in", d_in, 1)
    classes = check_int("classes", classes, 2)
    rng = np.random.default_rng(check_int("seed", seed, 0))
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
    data = spirals(**DEFAULT_DATA) if data is None else check_split(data)
    return fit(
        params,
        data,
        activation=activation,
        steps=steps,
        lr=lr,
        momentum=momentum,
        config={"depth": depth, "width": width, "seed": seed},
    )


def train_linear_classifier(
    data: Split, steps: int = 300, lr: float = 0.5, seed: int = 0
) -> History:
    """Softmax regression (no hidden layer) by full-batch gradient descent.

    The best a linear classifier does on `data`, to compare networks with.
    """
    data = check_split(data)
    rng = np.random.default_rng(check_int("seed", seed, 0))
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
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    d_in = check_int("d_in", d_in, 1)
    probes = np.vstack([np.zeros(d_in), np.eye(d_in)])  # (1 + d_in, d_in)
    out = fn(probes)
    return out[1:] - out[0], out[0]


def min0_to_relu(params) -> list[dict]:
    r"""Parameters of a ReLU network computing what a min(0, x) network does.

    Since :math:`\min(0, u) = -\max(0, -u)`, each hidden layer's output is
    negated and the sign goes into the next linear layer: for a hidden layer
    with batch norm, :math:`-u = (-\gamma)\hat z + (-\beta)`, so gamma and beta
    flip; without one, :math:`-u = h(-W) - b`, so W and b flip. Either way the
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


def preactivations(X, params, activation: str = "relu", running=None):
    """Return the activation inputs of every hidden layer, [(N, H_i) ndarray, ...].

    With batch norm these are its outputs. `running` None normalizes with
    the statistics of X itself (training mode), else with `running`.
    """
    train = running is None
    _, cache, _ = mlp_forward(X, params, activation, running, train=train)
    return [layer.pre for layer in cache.layers[:-1]]
