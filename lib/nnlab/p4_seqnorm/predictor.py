"""The seed-batched next-step model of notebook 4: data, weights, passes, Adam.

A model ``x @ W_in -> norm -> @ W_out + b`` predicts the next increment of a
random walk (`nnlab.p4_seqnorm.leakage.next_step_data`). Every array carries
a leading seed axis S: seed s has its own data and initial weights, and the
S models run as one batched computation. `nnlab.p4_seqnorm.nextstep` trains
them; `nnlab.p4_seqnorm.leakage.predict_next` is the one-model reference.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nnlab.p4_seqnorm.layernorm import layernorm_backward, layernorm_forward
from nnlab.p4_seqnorm.leakage import NORMS, check_nextstep_params, next_step_data
from nnlab.p4_seqnorm.seqnorm import seqnorm_backward, seqnorm_forward
from nnlab.validate import (
    check_array,
    check_choice,
    check_dout,
    check_int,
    check_positive,
)

HIDDEN = 8
# Larger than the kernels' default 1e-5 on purpose. At t = 1 the causal
# statistics come from two steps, xhat = d / sqrt(d**2 + 4 eps) with
# d = (h[1] - h[0]) / 2: a smoothed sign whose slope at d = 0 is
# 1 / (2 sqrt(eps)), 158 at 1e-5. Sequences with d near 0 then kick the
# weights so hard that a 1e-15 change of the start moved the final losses
# by 3e-3; with 1e-3 (slope 16) it moves them by about 1e-15.
EPS = 1e-3


def next_step_data_by_seed(seeds: int, n: int, T: int, held_out: bool = False):
    """`next_step_data` for seeds 0..seeds-1, stacked on a leading axis.

    Training data of seed s uses generator seed s, held-out data seed
    1000 + s, so no two sets share draws.

    Parameters
    ----------
    seeds, n, T : int
        S, sequences a seed and steps, each >= 1.
    held_out : bool
        Draw the held-out sets instead of the training sets.

    Returns
    -------
    x : (S, n, T, 5) ndarray
    target : (S, n, T, 1) ndarray

    Raises
    ------
    TypeError
        If seeds, n or T is not an integer.
    ValueError
        If one of them is < 1.
    """
    seeds = check_int("seeds", seeds, 1)
    pairs = [next_step_data(n, T, 1000 * bool(held_out) + s) for s in range(seeds)]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def init_nextstep(seeds: int, D_in: int = 5, Hd: int = HIDDEN):
    """Draw the initial weights of every seed: ``[W_in, gamma, beta, W_out, b]``.

    Seed s draws from ``default_rng([s, 2])``, a stream of its own.

    Parameters
    ----------
    seeds, D_in, Hd : int
        S, input features and hidden size, each >= 1.

    Returns
    -------
    params : list of ndarrays
        Shapes (S, D_in, Hd), (S, Hd), (S, Hd), (S, Hd, 1), (S, 1).

    Raises
    ------
    TypeError
        If an argument is not an integer.
    ValueError
        If one is < 1.
    """
    seeds = check_int("seeds", seeds, 1)
    D_in, Hd = check_int("D_in", D_in, 1), check_int("Hd", Hd, 1)
    W_in, W_out = [], []
    for s in range(seeds):
        rng = np.random.default_rng([s, 2])
        W_in.append(rng.standard_normal((D_in, Hd)) / np.sqrt(D_in))
        W_out.append(rng.standard_normal((Hd, 1)) * 0.1 / np.sqrt(Hd))
    return [
        np.stack(W_in),
        np.ones((seeds, Hd)),
        np.zeros((seeds, Hd)),
        np.stack(W_out),
        np.zeros((seeds, 1)),
    ]


class NextStepCache(NamedTuple):
    """What `backward` needs from `forward`."""

    x: np.ndarray  # (S, n, T, D_in)
    xhat: np.ndarray  # (S, n T, Hd) normalized hidden features, gamma 1 beta 0
    norm_cache: tuple  # the normalization kernel's cache
    params: list  # [W_in, gamma, beta, W_out, b]
    norm: str


def _check_forward_args(x, params, norm: str) -> None:
    check_array("x", x, 4, "(S, n, T, D_in)")
    check_nextstep_params(params, x.shape[-1], seeds=x.shape[0])
    check_choice("norm", norm, NORMS)


def _forward(x, params, norm: str, eps: float):
    W_in, gamma, beta, W_out, b = params
    S, n, T, D_in = x.shape
    Hd = W_in.shape[-1]
    h = (x.reshape(S, n * T, D_in) @ W_in).reshape(S * n, T, Hd)
    ones, zeros = np.ones(Hd), np.zeros(Hd)
    if norm == "layer":
        xhat, cache = layernorm_forward(h, ones, zeros, eps)
    else:
        xhat, cache = seqnorm_forward(h, ones, zeros, eps, causal=norm == "causal")
    xhat = xhat.reshape(S, n * T, Hd)
    a = xhat * gamma[:, None] + beta[:, None]  # (S, n T, Hd)
    pred = a @ W_out + b[:, None]  # (S, n T, 1)
    return pred.reshape(S, n, T, 1), NextStepCache(x, xhat, cache, params, norm)


def forward(x, params, norm: str, eps: float = EPS):
    """Predictions of the S models on their own inputs.

    Parameters
    ----------
    x : (S, n, T, D_in) ndarray
    params : list of ndarrays
        As returned by `init_nextstep`.
    norm : {"full", "causal", "layer"}
    eps : float
        The normalization's epsilon (see `EPS`).

    Returns
    -------
    pred : (S, n, T, 1) ndarray
    cache : NextStepCache
        ``(x, xhat, norm_cache, params, norm)`` for `backward`.

    Raises
    ------
    TypeError
        If x or a parameter is not a floating ndarray, `norm` not a str or
        eps not a number.
    ValueError
        If x is not 4-D, empty or not finite, a parameter's shape does not
        fit x (`nnlab.p4_seqnorm.leakage.check_nextstep_params`), `norm` is
        not one of `NORMS`, or eps is not > 0.

    Notes
    -----
    The kernel normalizes with gamma = 1, beta = 0 on (S n, T, Hd); each
    seed's own gamma and beta are applied here, so the kernels of
    `nnlab.p4_seqnorm.seqnorm` are used unchanged.
    """
    _check_forward_args(x, params, norm)
    return _forward(x, params, norm, eps)


def backward(dout, cache: NextStepCache):
    """Gradients of `forward`, seed by seed.

    Parameters
    ----------
    dout : (S, n, T, 1) ndarray
        Gradient of the loss with respect to the predictions.
    cache : NextStepCache
        From `forward`.

    Returns
    -------
    dx : (S, n, T, D_in) ndarray
    dparams : list of ndarrays
        ``[dW_in, dgamma, dbeta, dW_out, db]``, shaped like the parameters.

    Raises
    ------
    TypeError
        If `dout` is not a floating ndarray.
    ValueError
        If `dout` is not shaped like the predictions or is not finite.
    """
    x, xhat, norm_cache, params, norm = cache
    W_in, gamma, beta, W_out, b = params
    S, n, T, D_in = x.shape
    check_dout(dout, (S, n, T, 1))
    Hd = W_in.shape[-1]
    dp = dout.reshape(S, n * T, 1)
    a = xhat * gamma[:, None] + beta[:, None]
    dW_out = a.transpose(0, 2, 1) @ dp  # (S, Hd, 1)
    da = dp @ W_out.transpose(0, 2, 1)  # (S, n T, Hd)
    dgamma = (da * xhat).sum(axis=1)  # (S, Hd)
    dbeta = da.sum(axis=1)
    dxhat = (da * gamma[:, None]).reshape(S * n, T, Hd)
    kernel_backward = layernorm_backward if norm == "layer" else seqnorm_backward
    dh = kernel_backward(dxhat, norm_cache)[0].reshape(S, n * T, Hd)
    dx = (dh @ W_in.transpose(0, 2, 1)).reshape(S, n, T, D_in)
    dW_in = x.reshape(S, n * T, D_in).transpose(0, 2, 1) @ dh  # (S, D_in, Hd)
    return dx, [dW_in, dgamma, dbeta, dW_out, dp.sum(axis=1)]


def _check_same_arrays(name: str, arrays, params) -> None:
    if not isinstance(arrays, (list, tuple)):
        raise TypeError(f"{name} must be a list of arrays, got {type(arrays).__name__}")
    if len(arrays) != len(params):
        raise ValueError(
            f"{name} must hold one array per entry of params ({len(params)}), "
            f"got {len(arrays)}"
        )
    for i, (a, p) in enumerate(zip(arrays, params, strict=True)):
        check_array(f"{name}[{i}]", a, nonempty=False)
        if a.shape != p.shape:
            raise ValueError(
                f"{name}[{i}] must have the shape of params[{i}] {p.shape}, "
                f"got {a.shape}"
            )


def adam_step(params, grads, m, v, it: int, lr: float):
    """One Adam update (beta1 0.9, beta2 0.999, eps 1e-8); returns new lists.

    Parameters
    ----------
    params, grads, m, v : lists of ndarrays
        The parameters, their gradients, and Adam's first and second moment
        estimates (zeros at the start), all of the same shapes.
    it : int
        The step, counted from 0 (for the bias correction).
    lr : float
        Step size, > 0.

    Returns
    -------
    params, m, v : lists of ndarrays
        New arrays; nothing passed in is modified.

    Raises
    ------
    TypeError
        If a list is not a list of floating ndarrays, `it` not an integer or
        `lr` not a number.
    ValueError
        If the lists differ in length or shapes, an array is not finite,
        `it` < 0 or `lr` is not > 0.

    References
    ----------
    D. P. Kingma, J. Ba (2015), "Adam: a method for stochastic
    optimization", ICLR.
    """
    _check_same_arrays("params", params, params)
    for name, arrays in (("grads", grads), ("m", m), ("v", v)):
        _check_same_arrays(name, arrays, params)
    it, lr = check_int("it", it, 0), check_positive("lr", lr)
    m = [0.9 * mi + 0.1 * g for mi, g in zip(m, grads, strict=True)]
    v = [0.999 * vi + 0.001 * g * g for vi, g in zip(v, grads, strict=True)]
    c1, c2 = 1 - 0.9 ** (it + 1), 1 - 0.999 ** (it + 1)
    params = [
        p - lr * (mi / c1) / (np.sqrt(vi / c2) + 1e-8)
        for p, mi, vi in zip(params, m, v, strict=True)
    ]
    return params, m, v


def stream_forward(x, params, norm: str, eps: float = EPS):
    """Step-by-step predictions: step t runs every model on x[..., :t+1, :].

    Parameters and errors are those of `forward`; returns only the
    predictions, (S, n, T, 1).
    """
    _check_forward_args(x, params, norm)
    T = x.shape[2]
    steps = [
        _forward(x[:, :, : t + 1], params, norm, eps)[0][:, :, -1] for t in range(T)
    ]
    return np.stack(steps, axis=2)  # (S, n, T, 1)
