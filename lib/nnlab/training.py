"""Training a `nnlab.mlp` network: SGD with momentum and the training loop.

Training is full-batch gradient descent with momentum: the data sets are a
few hundred points, so one batch is the whole training set, and every run
is deterministic given its seed.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from nnlab.activations import get_activation
from nnlab.data import Split, check_split
from nnlab.mlp import (
    check_params,
    mlp_backward,
    mlp_forward,
    predict_classes,
    softmax_cross_entropy,
)
from nnlab.records import freeze_arrays
from nnlab.validate import check_array, check_int, check_positive


def check_momentum(momentum) -> float:
    """Return `momentum` as a float after checking it is a real number in [0, 1).

    Raises
    ------
    TypeError
        If it is not a real number (bool included).
    ValueError
        If it is outside [0, 1): at 1 or above the velocity never decays.
    """
    if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real):
        raise TypeError(
            f"momentum must be a real number, got {type(momentum).__name__} "
            f"{momentum!r}"
        )
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
    return float(momentum)


def _check_like(name: str, tree, params) -> None:
    if not isinstance(tree, list | tuple) or len(tree) != len(params):
        raise TypeError(
            f"{name} must be a list of {len(params)} layer dicts like params, "
            f"got {tree!r:.60}"
        )
    for i, (t, p) in enumerate(zip(tree, params, strict=True)):
        if not isinstance(t, dict) or set(t) != set(p):
            raise ValueError(
                f"{name} layer {i} must hold the keys {sorted(p)} of params, "
                f"got {sorted(t) if isinstance(t, dict) else type(t).__name__}"
            )
        for k, v in t.items():
            check_array(f"{name} layer {i} {k!r}", v)
            if v.shape != p[k].shape:
                raise ValueError(
                    f"{name} layer {i} {k!r} must have shape {p[k].shape} like "
                    f"params, got {v.shape}"
                )


def sgd_momentum(params, grads, velocity, lr: float, momentum: float):
    """One step of SGD with momentum, returning new parameters and velocity.

    ``v <- momentum * v + g``, ``p <- p - lr * v`` for every array; a
    `velocity` of None is all zeros. Nothing passed in is modified.

    Parameters
    ----------
    params : list of dict
        The network, as in `nnlab.mlp`.
    grads, velocity : list of dict
        Shaped like params, key by key; velocity may be None.
    lr : float
        Learning rate, > 0.
    momentum : float
        In [0, 1).

    Returns
    -------
    params, velocity : list of dict
        New arrays.

    Raises
    ------
    TypeError, ValueError
        If grads or velocity are not shaped like params, or lr or momentum
        are out of range.
    """
    check_params(params)
    _check_like("grads", grads, params)
    lr = check_positive("lr", lr)
    momentum = check_momentum(momentum)
    if velocity is not None:
        _check_like("velocity", velocity, params)
    return _momentum_step(params, grads, velocity, lr, momentum)


def _momentum_step(params, grads, velocity, lr: float, momentum: float):
    """`sgd_momentum` without its checks, for `fit`'s loop.

    `fit` checks its arguments once, and every later step's trees are made
    by `nnlab.mlp` and by this function, so they are shaped like params by
    construction; checking them again cost a fifth of a small run's time.
    """
    if velocity is None:
        velocity = [{k: np.zeros_like(g) for k, g in layer.items()} for layer in grads]
    new_params, new_velocity = [], []
    for p, g, v in zip(params, grads, velocity, strict=True):
        v = {k: momentum * v[k] + g[k] for k in p}
        new_velocity.append(v)
        new_params.append({k: p[k] - lr * v[k] for k in p})
    return new_params, new_velocity


@dataclass(frozen=True)
class History:
    """What a training run recorded, built once; arrays indexed by step or layer.

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

    The fields cannot be reassigned, `watched` and `config` are read-only
    mappings, and `fit` makes every array read-only: runs are cached and
    shared by every caller, so none of them may change one.
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
    watched: Mapping = field(default_factory=dict)
    config: Mapping = field(default_factory=dict)

    def __post_init__(self):
        """Copy `watched` and `config` into read-only mappings."""
        # copies, so that a dict the caller keeps cannot change the record
        for name in ("watched", "config"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    @property
    def final_test_acc(self) -> float:
        """Test accuracy at the last evaluation."""
        return float(self.test_acc[-1])

    @property
    def final_train_acc(self) -> float:
        """Training accuracy at the last evaluation."""
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
    config: Mapping | None = None,
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
    config : mapping or None
        Further settings to record in ``History.config`` beside fit's own
        (activation, steps, lr, momentum), such as how `params` was built.

    Returns
    -------
    History
        Its arrays are read-only.

    Raises
    ------
    ValueError
        If `config` names one of fit's own settings.

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
    D, C = params[0]["W"].shape[0], params[-1]["W"].shape[1]
    X, y, X_test, y_test = check_split(data, D, C)
    steps = check_int("steps", steps, 1)
    eval_every = check_int("eval_every", eval_every, 1)
    act = get_activation(activation)
    lr = check_positive("lr", lr)
    momentum = check_momentum(momentum)
    if watch is not None and not callable(watch):
        raise TypeError(f"watch must be callable or None, got {type(watch).__name__}")
    if config is not None and not isinstance(config, Mapping):
        raise TypeError(f"config must be a mapping or None, got {config!r:.60}")
    settings = dict(activation=activation, steps=steps, lr=lr, momentum=momentum)
    extra = dict(config or {})
    if clash := sorted(set(extra) & set(settings)):
        raise ValueError(
            f"config must not repeat fit's own settings {sorted(settings)}, got {clash}"
        )
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
        test = predict_classes(X_test, params, activation, stats)
        evals.append((step, np.mean(scores.argmax(1) == y), np.mean(test == y_test)))

    for step in range(steps + 1):
        # momentum=0: the statistics returned are this batch's, exactly
        scores, cache, stats = mlp_forward(X, params, activation, momentum=0.0)
        if step % eval_every == 0 or step == steps:
            evaluate(step, params, scores, stats)
        if step == steps:
            break
        loss[step], dscores = softmax_cross_entropy(scores, y)
        _, grads = mlp_backward(dscores, cache)
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
        params, velocity = _momentum_step(params, grads, velocity, lr, momentum)
    eval_steps, train_acc, test_acc = (np.array(c) for c in zip(*evals, strict=True))
    # the arrays were all made here, so freezing them changes nothing the
    # caller holds; cached runs are shared, and must stay as they were made
    hist = History(
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
        settings | extra,
    )
    return freeze_arrays(hist)
