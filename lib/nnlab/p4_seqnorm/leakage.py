"""How sequence statistics leak the future: the experiments of notebook 4.

Normalizing over the time axis (`nnlab.p4_seqnorm.seqnorm`, ``causal=False``) lets
every output step see every input step, the later ones included. This
module measures that, with the kernels of `nnlab.p4_seqnorm.seqnorm`:

- `time_jacobian`: which input steps each output step depends on;
- `running_gap`: the gap between training-mode (per-sequence) and
  evaluation-mode (running) statistics as the sequence grows;
- `next_step_data`, `predict`, `stream_predict`: a next-step predictor that
  beats the best possible loss only when full normalization shows it the
  future, and loses it again when run step by step. It is trained on many
  seeds at once in `nnlab.p4_seqnorm.nextstep`.
"""

from __future__ import annotations

import numpy as np

from nnlab.p4_seqnorm.seqnorm import (
    check_sequence,
    layernorm_backward,
    layernorm_forward,
    seqnorm_backward,
    seqnorm_forward,
    seqnorm_running_forward,
)
from nnlab.validate import check_int

NORMS = ("full", "causal", "layer")


def check_norm(norm) -> None:
    """Raise ValueError unless norm is one of `NORMS`, naming them."""
    if norm not in NORMS:
        raise ValueError(f"norm must be 'full', 'causal' or 'layer', got {norm!r}")


def time_jacobian(x, norm: str = "full", eps: float = 1e-5):
    """How much each output step depends on each input step.

    Parameters
    ----------
    x : (T, D) ndarray
    norm : {"full", "causal", "layer"}
        Sequence normalization over all of time, over each prefix, or layer
        normalization over D; gamma = 1 and beta = 0.
    eps : float

    Returns
    -------
    J : (T, T) ndarray
        ``J[t, s] = max_{k, j} |dy[t, k] / dx[s, j]|``, from T * D
        backward passes run as one batch. Exactly 0 where y[t] cannot
        see x[s].
    """
    check_sequence(x)
    if x.ndim != 2:
        raise ValueError(f"x must be one sequence (T, D), got shape {x.shape}")
    check_norm(norm)
    T, D = x.shape
    ones, zeros = np.ones(D), np.zeros(D)
    xb = np.broadcast_to(x, (T * D, T, D)).copy()  # one copy a (t, k) pair
    dout = np.eye(T * D).reshape(T * D, T, D)  # row (t, k) selects y[t, k]
    if norm == "layer":
        _, cache = layernorm_forward(xb, ones, zeros, eps)
        dx = layernorm_backward(dout, cache)[0]
    else:
        _, cache = seqnorm_forward(xb, ones, zeros, eps, causal=norm == "causal")
        dx = seqnorm_backward(dout, cache)[0]
    return np.abs(dx.reshape(T, D, T, D)).max(axis=(1, 3))  # (T, T)


def running_gap(
    T: int, data: str = "iid", n: int = 64, batches: int = 40, seed: int = 0
) -> float:
    """RMS gap between training- and evaluation-mode outputs at length T.

    Runs `seqnorm_running_forward` in training mode over `batches` batches
    of n sequences (D = 4, momentum 0.9), then on a fresh batch compares
    the output with per-sequence statistics (training) against the output
    with the running estimates (evaluation); gamma = 1, beta = 0.

    Parameters
    ----------
    T : int
        Sequence length, >= 2: one step a sequence would teach the running
        estimates variance 0 (`seqnorm_running_forward` refuses it).
    data : {"iid", "walk"}
        Steps drawn i.i.d. from N(3, 2**2) (stationary), or a Gaussian
        random walk started at 0 (its statistics drift with T).

    Returns
    -------
    float
        ``sqrt(mean((y_train - y_eval)**2))``.
    """
    T = check_int("T", T)
    if T < 2:
        raise ValueError(
            f"T must be an integer >= 2, got {T!r}: running statistics learned "
            "from one step a sequence have variance 0"
        )
    if data not in ("iid", "walk"):
        raise ValueError(f"data must be 'iid' or 'walk', got {data!r}")
    rng = np.random.default_rng(seed)
    D = 4
    gamma, beta = np.ones(D), np.zeros(D)

    def draw():
        steps = rng.standard_normal((n, T, D))
        return 3.0 + 2.0 * steps if data == "iid" else np.cumsum(steps, axis=1)

    running = None
    for _ in range(batches):
        _, _, running = seqnorm_running_forward(
            x=draw(), gamma=gamma, beta=beta, running=running
        )
    x = draw()
    y_train = seqnorm_forward(x, gamma, beta)[0]
    y_eval = seqnorm_running_forward(x, gamma, beta, running=running, train=False)[0]
    return float(np.sqrt(np.mean((y_train - y_eval) ** 2)))


def next_step_data(n: int, T: int, seed: int):
    """Random walks with positional features, and their next increments.

    Returns
    -------
    x : (n, T, 5) ndarray
        Channel 0 is a Gaussian random walk w[t] = u[0] + ... + u[t];
        channels 1-4 are the same positional features for every sequence
        (cos(pi t), t / T, sin(2 pi t / T), cos(2 pi t / T)), as a
        transformer's positional encoding.
    target : (n, T, 1) ndarray
        u[t + 1], independent of everything up to step t, so no predictor
        that sees only the past has expected squared error below
        Var(u) = 1.
    """
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((n, T + 1, 1))
    t = np.arange(T)
    pos = np.stack(
        [
            np.cos(np.pi * t),
            t / T,
            np.sin(2 * np.pi * t / T),
            np.cos(2 * np.pi * t / T),
        ],
        axis=1,
    )  # (T, 4)
    walk = np.cumsum(u, axis=1)[:, :T]  # (n, T, 1)
    x = np.concatenate([walk, np.broadcast_to(pos, (n, T, 4))], axis=2)
    return x, u[:, 1:]


def _norm_forward(h, gamma, beta, norm: str, eps: float):
    check_norm(norm)
    if norm == "layer":
        return layernorm_forward(h, gamma, beta, eps)
    return seqnorm_forward(h, gamma, beta, eps, causal=norm == "causal")


def predict(params, x, norm: str, eps: float = 1e-5):
    """Whole-sequence predictions of one next-step model (`nnlab.p4_seqnorm.nextstep`).

    Parameters
    ----------
    params : list of ndarrays
        ``[W_in (D_in, H), gamma (H,), beta (H,), W_out (H, 1), b (1,)]``.
    x : (n, T, D_in) ndarray
    norm : {"full", "causal", "layer"}
    eps : float
        The normalization's epsilon.

    Returns
    -------
    pred : (n, T, 1) ndarray
        ``norm(x @ W_in) @ W_out + b``; with ``"full"`` every step's
        prediction depends on the whole sequence.
    cache : tuple
        ``(a, norm_cache)``: the normalized hidden features (n, T, H) and
        the normalization's cache, for the backward pass.
    """
    W_in, gamma, beta, W_out, b = params
    a, cache = _norm_forward(x @ W_in, gamma, beta, norm, eps)  # (n, T, H)
    return a @ W_out + b, (a, cache)  # (n, T, 1)


def stream_predict(params, x, norm: str, eps: float = 1e-5):
    """Predictions made step by step: step t runs the model on x[:, :t+1]."""
    T = x.shape[1]
    steps = [predict(params, x[:, : t + 1], norm, eps)[0][:, -1] for t in range(T)]
    return np.stack(steps, axis=1)  # (n, T, 1)
