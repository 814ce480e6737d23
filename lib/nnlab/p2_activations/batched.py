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

from typing import NamedTuple

import numpy as np

from nnlab.activations import get_activation
from nnlab.data import Split, check_split
from nnlab.mlp import check_labels
from nnlab.norm import shifted_moments

# the stacking helpers are re-exported: a reader of the batched model (and
# notebook 02, as `mlp_seeds`) finds them beside it
from nnlab.p2_activations.seed_stack import (  # noqa: F401
    check_seed_params,
    init_bn_mlp_seeds,
    stack_params,
    stack_splits,
    unstack_params,
)
from nnlab.training import check_momentum
from nnlab.validate import check_array, check_dout, check_int, check_positive

EPS = 1e-5  # the batch norm's eps, as in `nnlab.norm.batchnorm_forward`


class SeedLayerCache(NamedTuple):
    """What `forward_seeds` keeps of a layer for `backward_seeds`; axis 0: seed."""

    h: np.ndarray  # (S, N, D_in) input of the linear layer
    W: np.ndarray  # (S, D_in, D_out)
    bn: tuple | None  # (xhat, gamma, inv_std) or None for the output layer
    act: object  # the activation's cache, None for the output layer


class SeedCache(NamedTuple):
    """Cache of `forward_seeds`: one `SeedLayerCache` a layer and the activation."""

    layers: list  # one SeedLayerCache a layer
    activation: str


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


def _check_running(running, params) -> None:
    hidden = len(params) - 1
    if not isinstance(running, list | tuple) or len(running) != hidden:
        raise ValueError(
            f"running must hold one (mean, var) a hidden layer ({hidden}), "
            f"got {running!r:.60}"
        )
    for i, stats in enumerate(running):
        want = params[i]["gamma"].shape
        if not isinstance(stats, tuple) or len(stats) != 2:
            raise TypeError(f"running[{i}] must be a (mean, var) pair")
        for name, v in zip(("mean", "var"), stats, strict=True):
            check_array(f"running[{i}] {name}", v, 2, "(S, D)")
            if v.shape != want:
                raise ValueError(
                    f"running[{i}] {name} must have shape {want}, got {v.shape}"
                )
        if (stats[1] < 0).any():
            raise ValueError(f"running[{i}] var must be >= 0")


def forward_seeds(X, params, activation: str, running=None):
    """Scores of S networks, each on its own batch.

    Parameters
    ----------
    X : (S, N, D_in) ndarray
    params : list of dict
        Seed axis in front (see the module docstring).
    activation : str
        A name in `nnlab.activations.ACTIVATIONS`.
    running : list or None
        None normalizes with each batch's own statistics (training mode,
        N >= 2, from `nnlab.norm.shifted_moments` as in batch norm); else
        per hidden layer ``(mean, var)`` (S, D) to normalize with.

    Returns
    -------
    scores : (S, N, C) ndarray
    cache : SeedCache
        Per layer a `SeedLayerCache`, and the activation's name.
    stats : list
        Per hidden layer the ``(mean, var)`` (S, D) that were used.

    Raises
    ------
    TypeError, ValueError
        If X is not a finite floating (S, N, D_in) array matching `params`,
        N < 2 in training, or the activation is unknown.
    """
    check_array("X", X, 3, "(S, N, D_in)")
    check_seed_params(params)
    get_activation(activation)
    S, D = params[0]["W"].shape[:2]
    if X.shape[0] != S or X.shape[2] != D:
        raise ValueError(
            f"X must be (S, N, D_in) with S = {S} seeds and D_in = {D}, "
            f"got shape {X.shape}"
        )
    if running is None and X.shape[1] < 2:
        raise ValueError(
            f"X must have N >= 2 samples in training, got N={X.shape[1]} (X of "
            f"shape {X.shape}): the statistics of one sample are the sample "
            "itself and variance 0"
        )
    if running is not None:
        _check_running(running, params)
    return _forward(X, params, activation, running)


def _forward(X, params, activation: str, running=None, reuse=None):
    # reuse=(k, cache, stats) of a forward of X whose layers < k have not
    # changed since: their outputs are taken from it instead of recomputed
    act = get_activation(activation)
    h, layers, stats, first = X, [], [], 0
    if reuse is not None:
        first, old, old_stats = reuse
        layers, stats, h = old.layers[:first], old_stats[:first], old.layers[first].h
    for i, layer in enumerate(params[first:], first):
        # in place on arrays made here: the same operations as
        # `h @ W + b` and `gamma * xhat + beta`, with fewer temporaries
        z = np.matmul(h, layer["W"])  # (S, N, D_out)
        z += layer["b"][:, None, :]
        if "gamma" not in layer:
            layers.append(SeedLayerCache(h, layer["W"], None, None))
            return z, SeedCache(layers, activation), stats
        if running is None:
            mean, zc, var = _batch_moments(z)  # (S, D), zc (S, N, D), var (S, D)
        else:
            mean, var = running[i]
            zc = z - mean[:, None, :]
        inv_std = 1.0 / np.sqrt(var + EPS)  # (S, D)
        xhat = np.multiply(zc, inv_std[:, None, :], out=zc)  # (S, N, D)
        x = np.multiply(layer["gamma"][:, None, :], xhat, out=z)
        x += layer["beta"][:, None, :]
        out, act_cache = act.forward(x)
        layers.append(
            SeedLayerCache(h, layer["W"], (xhat, layer["gamma"], inv_std), act_cache)
        )
        stats.append((mean, var))
        h = out
    raise ValueError("params: the last layer must be a linear output layer")


def backward_seeds(dout, cache: SeedCache):
    """Gradients for every seed's input and parameters; training-mode statistics.

    Parameters
    ----------
    dout : (S, N, C) ndarray
        Gradient of each seed's loss with respect to its scores.
    cache : SeedCache
        From `forward_seeds` with ``running=None``.

    Returns
    -------
    dX : (S, N, D_in) ndarray
    dparams : list of dict
        Shaped like params, key by key.

    Raises
    ------
    TypeError, ValueError
        If `dout` is not a finite floating array of the scores' shape.

    Notes
    -----
    Per seed and layer these are the formulas of `nnlab.norm.batchnorm_backward`
    and `nnlab.layers.linear_backward`, with sums over the batch axis 1.
    """
    layers, activation = cache
    h, W = layers[-1].h, layers[-1].W
    check_dout(dout, (h.shape[0], h.shape[1], W.shape[2]))
    return _backward(dout, cache)


def _batch_sum(a, b=None):
    """Sum over the batch axis 1 of a C-ordered (S, N, D) array, or of a * b.

    For D > 1 einsum adds the N rows in order, as ``a.sum(axis=1)`` does
    (so the sums are the same to the bit), in about half the time and
    without the product's temporary. For D = 1 the rows are contiguous and
    numpy sums them pairwise, einsum not: that case keeps numpy's sum.
    """
    if a.shape[2] == 1:
        return a.sum(axis=1) if b is None else (a * b).sum(axis=1)
    return np.einsum("snd->sd", a) if b is None else np.einsum("snd,snd->sd", a, b)


def _batch_moments(z):
    """`nnlab.norm.shifted_moments` over axis 1, to the bit; mean and var (S, D).

    Its two means go through `_batch_sum` and a division by N, which is what
    numpy's mean over axis 1 does to a float64 array, in a fifth of the time
    (a fifth of a training step was spent here). Other dtypes, whose sums
    shifted_moments accumulates in float64, are passed on to it.
    """
    if z.dtype != np.float64:
        mean, zc, var = shifted_moments(z, axis=1)  # (S, 1, D), zc (S, N, D)
        return mean[:, 0], zc, var[:, 0]
    N = z.shape[1]
    shift = z[:, 0, :]  # (S, D)
    d = z - shift[:, None, :]  # (S, N, D)
    md = _batch_sum(d) / N
    zc = np.subtract(d, md[:, None, :], out=d)
    return shift + md, zc, _batch_sum(zc, zc) / N


def _backward(dout, cache: SeedCache, input_grad: bool = True):
    # input_grad=False skips dX, one matmul a step that training never reads
    layers, activation = cache
    act = get_activation(activation)
    dparams = [None] * len(layers)
    dz = dout
    for i in range(len(layers) - 1, -1, -1):
        h, W, bn, act_cache = layers[i]
        grad = {}
        if bn is not None:
            xhat, gamma, inv_std = bn
            N = xhat.shape[1]
            dx = act.backward(dz, act_cache)  # (S, N, D)
            if not input_grad and not dx.any():
                # nothing passes this activation: every gradient from here
                # down is 0 exactly (up to its sign, which no update sees)
                for j in range(i + 1):
                    _, W_j, (_, gamma_j, _), _ = layers[j]
                    zero = np.zeros_like(gamma_j)  # (S, D_out)
                    dparams[j] = {"gamma": zero, "beta": zero, "b": zero}
                    dparams[j]["W"] = np.zeros_like(W_j)
                return None, dparams
            grad["gamma"] = _batch_sum(dx, xhat)  # (S, D)
            grad["beta"] = _batch_sum(dx)
            # the same operations as
            # (gamma * inv_std) * (dx - (dbeta + xhat * dgamma) / N), in t
            t = xhat * grad["gamma"][:, None, :]
            t += grad["beta"][:, None, :]
            t /= N
            t = np.subtract(dx, t, out=t)
            dz = np.multiply(t, (gamma * inv_std)[:, None, :], out=t)
        grad["W"] = h.transpose(0, 2, 1) @ dz  # (S, D_in, D_out)
        grad["b"] = _batch_sum(dz)  # (S, D_out)
        dparams[i] = grad
        if i or input_grad:
            dz = dz @ W.transpose(0, 2, 1)  # (S, N, D_in)
    return (dz if input_grad else None), dparams


def cross_entropy_seeds(scores, y):
    """Each seed's mean softmax cross-entropy and its gradient.

    Parameters
    ----------
    scores : (S, N, C) ndarray
    y : (S, N) int ndarray, labels in [0, C)

    Returns
    -------
    loss : (S,) ndarray
    dscores : (S, N, C) ndarray
        As `nnlab.mlp.softmax_cross_entropy`, seed by seed.
    """
    check_array("scores", scores, 3, "(S, N, C)")
    S, N, C = scores.shape
    check_labels(y, (S, N), C)
    return _cross_entropy(scores, y)


def _cross_entropy(scores, y):
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
    Work that cannot change a bit of the result is skipped: the layers
    below an activation whose backward gives exactly 0 everywhere (their
    gradients are 0) and the forward of leading layers whose velocity is
    still 0 (their parameters, input and so outputs are those of the step
    before).

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
    check_seed_params(params)
    S, D = params[0]["W"].shape[:2]
    X, y, X_test, y_test = check_split(data, D, params[-1]["W"].shape[2], (S,))
    steps = check_int("steps", steps, 1)
    get_activation(activation)
    lr = check_positive("lr", lr)
    momentum = check_momentum(momentum)
    if X.shape[1] < 2:
        raise ValueError(
            f"data.X must have N >= 2 samples a seed to train batch norm, got "
            f"shape {X.shape}"
        )
    S, L = X.shape[0], len(params)
    loss = np.empty((steps, S))
    grad_norms = np.empty((steps, S, L))
    # our own copies, updated in place: the operations of sgd_momentum
    params = [{k: v.copy() for k, v in layer.items()} for layer in params]
    velocity = [{k: np.zeros_like(v) for k, v in layer.items()} for layer in params]
    reuse = None
    for step in range(steps):
        # checked once above; the private kernels skip the per-step checks
        scores, cache, stats = _forward(X, params, activation, reuse=reuse)
        loss[step], dscores = _cross_entropy(scores, y)
        _, grads = _backward(dscores, cache, input_grad=False)
        for i, g in enumerate(grads):
            grad_norms[step, :, i] = np.sqrt((g["W"] ** 2).sum(axis=(1, 2)))
        for p, v, g in zip(params, velocity, grads, strict=True):
            for k in p:
                v[k] *= momentum
                v[k] += g[k]
                p[k] -= lr * v[k]
        # A layer whose velocity is 0 (every gradient so far exactly 0, as
        # behind a dead activation) kept its parameters bit for bit: v never
        # becomes -0 from a start at +0, and p - lr * (+0) is p. The leading
        # run of such hidden layers gives the same outputs next step.
        k = 0
        while k < len(params) - 1 and not any(v.any() for v in velocity[k].values()):
            k += 1
        reuse = (k, cache, stats) if k else None
    scores, _, stats = _forward(X, params, activation)
    test_scores, _, _ = _forward(X_test, params, activation, running=stats)
    return SeedHistory(
        loss,
        grad_norms,
        (scores.argmax(axis=2) == y).mean(axis=1),
        (test_scores.argmax(axis=2) == y_test).mean(axis=1),
        params,
        stats,
    )
