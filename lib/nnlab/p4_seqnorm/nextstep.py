"""The next-step predictor of notebook 4, trained on many seeds at once.

A model ``x @ W_in -> norm -> @ W_out + b`` predicts the next increment of a
random walk (`nnlab.p4_seqnorm.leakage.next_step_data`). No model of the past can beat
the loss of predicting 0 on fresh data; one that normalizes with the
statistics of the whole sequence does, because they contain the future.

Every array carries a leading seed axis S: seed s draws its own training
data, held-out data and initial weights, and all S models are trained by one
batched computation (full-batch Adam with a linearly decaying step size).
The conclusions are then drawn from the spread over seeds
(`nnlab.stats`), not from one run.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from nnlab.p4_seqnorm.leakage import NORMS, check_norm, next_step_data
from nnlab.p4_seqnorm.seqnorm import (
    layernorm_backward,
    layernorm_forward,
    seqnorm_backward,
    seqnorm_forward,
    seqnorm_running_forward,
)
from nnlab.records import freeze_arrays

HIDDEN = 8
# Larger than the kernels' default 1e-5 on purpose. At t = 1 the causal
# statistics come from two steps, xhat = d / sqrt(d**2 + 4 eps) with
# d = (h[1] - h[0]) / 2: a smoothed sign whose slope at d = 0 is
# 1 / (2 sqrt(eps)), 158 at 1e-5. Sequences with d near 0 then kick the
# weights so hard that a 1e-15 change of the start moved the final losses
# by 3e-3; with 1e-3 (slope 16) it moves them by about 1e-15.
EPS = 1e-3


class SeedRuns(NamedTuple):
    """One normalization trained on S seeds; every field has a seed axis."""

    norm: str
    losses: np.ndarray  # (S, steps) training loss at each Adam step
    train_loss: np.ndarray  # (S,) training set, whole sequences
    test_loss: np.ndarray  # (S,) held-out sequences, whole sequences visible
    stream_loss: np.ndarray  # (S,) held-out, step by step: step t sees x[0..t]
    bound: np.ndarray  # (S,) held-out mean of target**2: loss of predicting 0
    train_bound: np.ndarray  # (S,) the same on the training set
    running_loss: np.ndarray | None  # (S,) full only: running estimates


def seed_data(seeds: int, n: int, T: int, held_out: bool = False):
    """`next_step_data` for seeds 0..seeds-1, stacked on a leading axis.

    Training data of seed s uses generator seed s, held-out data seed
    1000 + s, so no two sets share draws.

    Returns
    -------
    x : (S, n, T, 5) ndarray
    target : (S, n, T, 1) ndarray
    """
    pairs = [next_step_data(n, T, 1000 * held_out + s) for s in range(seeds)]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def init_params(seeds: int, D_in: int = 5, H: int = HIDDEN):
    """Draw the initial weights of every seed: ``[W_in, gamma, beta, W_out, b]``.

    Seed s draws from ``default_rng([s, 2])``, a stream of its own.
    Shapes (S, D_in, H), (S, H), (S, H), (S, H, 1), (S, 1).
    """
    W_in, W_out = [], []
    for s in range(seeds):
        rng = np.random.default_rng([s, 2])
        W_in.append(rng.standard_normal((D_in, H)) / np.sqrt(D_in))
        W_out.append(rng.standard_normal((H, 1)) * 0.1 / np.sqrt(H))
    return [
        np.stack(W_in),
        np.ones((seeds, H)),
        np.zeros((seeds, H)),
        np.stack(W_out),
        np.zeros((seeds, 1)),
    ]


def forward(params, x, norm: str, eps: float = EPS):
    """Predictions of the S models on their own inputs.

    Parameters
    ----------
    params : list of ndarrays
        As returned by `init_params`.
    x : (S, n, T, D_in) ndarray
    norm : {"full", "causal", "layer"}
    eps : float
        The normalization's epsilon (see `EPS`).

    Returns
    -------
    pred : (S, n, T, 1) ndarray
    cache : tuple
        ``(x, xhat, norm_cache)`` for `backward`.

    Notes
    -----
    The kernel normalizes with gamma = 1, beta = 0 on (S n, T, H); each
    seed's own gamma and beta are applied here, so the kernels of
    `nnlab.p4_seqnorm.seqnorm` are used unchanged.
    """
    check_norm(norm)
    W_in, gamma, beta, W_out, b = params
    S, n, T, D_in = x.shape
    H = W_in.shape[-1]
    h = (x.reshape(S, n * T, D_in) @ W_in).reshape(S * n, T, H)
    ones, zeros = np.ones(H), np.zeros(H)
    if norm == "layer":
        xhat, cache = layernorm_forward(h, ones, zeros, eps)
    else:
        xhat, cache = seqnorm_forward(h, ones, zeros, eps, causal=norm == "causal")
    xhat = xhat.reshape(S, n * T, H)
    a = xhat * gamma[:, None] + beta[:, None]  # (S, n T, H)
    pred = a @ W_out + b[:, None]  # (S, n T, 1)
    return pred.reshape(S, n, T, 1), (x, xhat, cache)


def backward(dpred, params, cache, norm: str):
    """Gradients of every parameter of `forward`, seed by seed."""
    check_norm(norm)
    W_in, gamma, beta, W_out, b = params
    x, xhat, norm_cache = cache
    S, n, T, D_in = x.shape
    H = W_in.shape[-1]
    dp = dpred.reshape(S, n * T, 1)
    a = xhat * gamma[:, None] + beta[:, None]
    dW_out = a.transpose(0, 2, 1) @ dp  # (S, H, 1)
    da = dp @ W_out.transpose(0, 2, 1)  # (S, n T, H)
    dgamma = (da * xhat).sum(axis=1)  # (S, H)
    dbeta = da.sum(axis=1)
    dxhat = (da * gamma[:, None]).reshape(S * n, T, H)
    kernel_backward = layernorm_backward if norm == "layer" else seqnorm_backward
    dh = kernel_backward(dxhat, norm_cache)[0].reshape(S, n * T, H)
    dW_in = x.reshape(S, n * T, D_in).transpose(0, 2, 1) @ dh  # (S, D_in, H)
    return [dW_in, dgamma, dbeta, dW_out, dp.sum(axis=1)]


def adam_step(params, grads, m, v, it: int, lr: float):
    """One Adam update (beta1 0.9, beta2 0.999, eps 1e-8); returns new lists.

    ``it`` counts from 0. Nothing passed in is modified.

    References
    ----------
    D. P. Kingma, J. Ba (2015), "Adam: a method for stochastic
    optimization", ICLR.
    """
    m = [0.9 * mi + 0.1 * g for mi, g in zip(m, grads, strict=True)]
    v = [0.999 * vi + 0.001 * g * g for vi, g in zip(v, grads, strict=True)]
    c1, c2 = 1 - 0.9 ** (it + 1), 1 - 0.999 ** (it + 1)
    params = [
        p - lr * (mi / c1) / (np.sqrt(vi / c2) + 1e-8)
        for p, mi, vi in zip(params, m, v, strict=True)
    ]
    return params, m, v


def stream_forward(params, x, norm: str, eps: float = EPS):
    """Step-by-step predictions: step t runs every model on x[..., :t+1, :]."""
    check_norm(norm)
    T = x.shape[2]
    steps = [
        forward(params, x[:, :, : t + 1], norm, eps)[0][:, :, -1] for t in range(T)
    ]
    return np.stack(steps, axis=2)  # (S, n, T, 1)


def _running_update(running, params, x, eps: float):
    """`seqnorm_running_forward`'s update of every seed's running estimates.

    The S seeds' hidden features sit side by side as S * H features of one
    batch, which the kernel treats independently.
    """
    W_in = params[0]
    S, n, T, D_in = x.shape
    H = W_in.shape[-1]
    h = (x.reshape(S, n * T, D_in) @ W_in).reshape(S, n, T, H)
    h = h.transpose(1, 2, 0, 3).reshape(n, T, S * H)
    ones, zeros = np.ones(S * H), np.zeros(S * H)
    return seqnorm_running_forward(h, ones, zeros, eps, momentum=0.9, running=running)[
        2
    ]


def _running_eval(params, x, running, eps: float):
    """Held-out predictions of the full-norm models with running estimates."""
    W_in, gamma, beta, W_out, b = params
    S, n, T, D_in = x.shape
    H = W_in.shape[-1]
    h = (x.reshape(S, n * T, D_in) @ W_in).reshape(S, n, T, H)
    h = h.transpose(1, 2, 0, 3).reshape(n, T, S * H)
    a = seqnorm_running_forward(
        h, gamma.reshape(-1), beta.reshape(-1), eps, running=running, train=False
    )[0]
    a = a.reshape(n, T, S, H).transpose(2, 0, 1, 3).reshape(S, n * T, H)
    return (a @ W_out + b[:, None]).reshape(S, n, T, 1)


def _mse(pred, target):
    return ((pred - target) ** 2).mean(axis=(1, 2, 3))  # (S,)


@functools.lru_cache(maxsize=16)
def train_seeds(
    norm: str,
    seeds: int = 8,
    T: int = 8,
    steps: int = 100,
    n: int = 256,
    lr: float = 0.03,
    perturb: float = 0.0,
    eps: float = EPS,
) -> SeedRuns:
    """Train the next-step predictor on `seeds` seeds with one normalization.

    Parameters
    ----------
    norm : {"full", "causal", "layer"}
    seeds : int
        Seeds 0..seeds-1, each with its own data and initial weights.
    T, steps, n : int
        Sequence length (>= 2 for "full", which tracks running estimates),
        Adam steps, training (and held-out) sequences.
    lr : float
        Initial Adam step size, decayed linearly to 0 over the steps.
    perturb : float
        Relative perturbation of the initial weights, ``W (1 + perturb)``:
        the amplification measurement of notebook 4 uses ~1e-15.
    eps : float
        The normalization's epsilon; `EPS` keeps training non-chaotic.

    Returns
    -------
    SeedRuns
        Cached, so shared by every caller: its arrays are read-only.
    """
    check_norm(norm)
    for name, value in (("seeds", seeds), ("T", T), ("steps", steps), ("n", n)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if norm == "full" and T < 2:
        raise ValueError(
            f"T must be >= 2 with norm='full', got T={T}: its running estimates "
            "learned from one step a sequence would have variance 0"
        )
    x, target = seed_data(seeds, n, T)
    params = [p * (1 + perturb) for p in init_params(seeds, x.shape[-1])]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    losses = np.empty((seeds, steps))
    running = None
    for it in range(steps):
        pred, cache = forward(params, x, norm, eps)
        if norm == "full":  # tracked for evaluation, not used in training
            running = _running_update(running, params, x, eps)
        r = pred - target
        losses[:, it] = (r * r).mean(axis=(1, 2, 3))
        grads = backward(2.0 * r / r[0].size, params, cache, norm)
        params, m, v = adam_step(params, grads, m, v, it, lr * (1 - it / steps))
    x_test, target_test = seed_data(seeds, n, T, held_out=True)
    running_loss = None
    if norm == "full":
        running_loss = _mse(_running_eval(params, x_test, running, eps), target_test)
    # cached and shared by every caller: its arrays must stay as made
    return freeze_arrays(
        SeedRuns(
            norm,
            losses,
            _mse(forward(params, x, norm, eps)[0], target),
            _mse(forward(params, x_test, norm, eps)[0], target_test),
            _mse(stream_forward(params, x_test, norm, eps), target_test),
            (target_test**2).mean(axis=(1, 2, 3)),
            (target**2).mean(axis=(1, 2, 3)),
            running_loss,
        )
    )


class Study(NamedTuple):
    """The three normalizations trained on the same seeds (paired runs)."""

    full: SeedRuns
    causal: SeedRuns
    layer: SeedRuns


SEEDS = 8


@functools.lru_cache(maxsize=4)
def leak_study(seeds: int = SEEDS, perturb: float = 0.0) -> Study:
    """`train_seeds` for every normalization, with the notebook's settings.

    Run s of every normalization uses the same data and initial weights, so
    differences between normalizations can be paired by seed.
    """
    return Study(*(train_seeds(norm, seeds, perturb=perturb) for norm in NORMS))
