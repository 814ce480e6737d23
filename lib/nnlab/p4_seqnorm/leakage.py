"""How sequence statistics leak the future: the experiments of notebook 4.

Normalizing over the time axis (`nnlab.p4_seqnorm.seqnorm`, ``causal=False``) lets
every output step see every input step, the later ones included. This
module measures that, with the kernels of `nnlab.p4_seqnorm.seqnorm`:

- `time_jacobian`: which input steps each output step depends on;
- `running_gap`: the gap between training-mode (per-sequence) and
  evaluation-mode (running) statistics as the sequence grows;
- `next_step_data`, `predict_next`, `stream_predict`: a next-step predictor that
  beats the best possible loss only when full normalization shows it the
  future, and loses it again when run step by step. It is trained on many
  seeds at once in `nnlab.p4_seqnorm.nextstep`.
"""

from __future__ import annotations

import numpy as np

from nnlab.p4_seqnorm.layernorm import layernorm_backward, layernorm_forward
from nnlab.p4_seqnorm.seqnorm import (
    seqnorm_backward,
    seqnorm_forward,
    seqnorm_running_forward,
)
from nnlab.validate import check_array, check_choice, check_int

NORMS = ("full", "causal", "layer")  # the `norm` options of every function here
PARAM_NAMES = ("W_in", "gamma", "beta", "W_out", "b")  # the next-step model's


def check_nextstep_params(params, D_in: int, seeds: int | None = None) -> int:
    """Check the next-step model's ``[W_in, gamma, beta, W_out, b]``; return Hd.

    Parameters
    ----------
    params : list of 5 ndarrays
        ``W_in (D_in, Hd), gamma (Hd,), beta (Hd,), W_out (Hd, 1), b (1,)``,
        each with a leading seed axis (S,) when `seeds` is S.
    D_in : int
        Input features of the data the model is run on (``x.shape[-1]``).
    seeds : int, optional
        S, for the seed-batched model of `nnlab.p4_seqnorm.nextstep`.

    Returns
    -------
    int
        Hd, the hidden size.

    Raises
    ------
    TypeError
        If `params` is not a list or tuple of floating ndarrays.
    ValueError
        If it does not hold 5 arrays of the shapes above, or one is not
        finite; the message names the array and the input x.
    """
    if not isinstance(params, (list, tuple)):
        raise TypeError(
            f"params must be a list {list(PARAM_NAMES)}, got {type(params).__name__}"
        )
    if len(params) != len(PARAM_NAMES):
        raise ValueError(
            f"params must hold {len(PARAM_NAMES)} arrays {list(PARAM_NAMES)}, "
            f"got {len(params)}"
        )
    lead = () if seeds is None else (seeds,)
    for name, p in zip(PARAM_NAMES, params, strict=True):
        check_array(name, p)
    Hd = params[0].shape[-1]
    shapes = [(D_in, Hd), (Hd,), (Hd,), (Hd, 1), (1,)]
    layouts = ["D_in, Hd", "Hd,", "Hd,", "Hd, 1", "1,"]
    for name, p, shape, layout in zip(
        PARAM_NAMES, params, shapes, layouts, strict=True
    ):
        if p.shape != lead + shape:
            layout = ("S, " if lead else "") + layout
            raise ValueError(
                f"{name} (params) must have shape ({layout}) = {lead + shape} "
                f"for x with D_in = {D_in} features, got {p.shape}"
            )
    return Hd


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

    Raises
    ------
    TypeError
        If x is not a floating ndarray, `norm` not a str or eps not a number.
    ValueError
        If x is not one finite, non-empty (T, D) sequence, `norm` is not one
        of `NORMS`, or eps is not > 0.
    """
    check_array("x", x, 2, "(T, D), one sequence")
    check_choice("norm", norm, NORMS)
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
    n, batches : int
        Sequences a batch, and training batches.
    seed : int
        Seeds the generator of every batch.

    Returns
    -------
    float
        ``sqrt(mean((y_train - y_eval)**2))``.

    Raises
    ------
    TypeError
        If T, n, batches or seed is not an integer, or `data` not a str.
    ValueError
        If T < 2, n or batches < 1, seed < 0, or `data` is unknown.
    """
    T = check_int("T", T)
    if T < 2:
        raise ValueError(
            f"T must be an integer >= 2, got {T!r}: running statistics learned "
            "from one step a sequence have variance 0"
        )
    check_choice("data", data, ("iid", "walk"))
    n, batches = check_int("n", n, 1), check_int("batches", batches, 1)
    seed = check_int("seed", seed, 0)
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

    Parameters
    ----------
    n, T : int
        Sequences and steps, each >= 1.
    seed : int
        Seeds `numpy.random.default_rng`.

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

    Raises
    ------
    TypeError
        If n, T or seed is not an integer.
    ValueError
        If n or T < 1, or seed < 0.
    """
    n, T, seed = check_int("n", n, 1), check_int("T", T, 1), check_int("seed", seed, 0)
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


def _predict(x, params, norm: str, eps: float):
    W_in, gamma, beta, W_out, b = params
    h = x @ W_in  # (n, T, Hd)
    if norm == "layer":
        a, cache = layernorm_forward(h, gamma, beta, eps)
    else:
        a, cache = seqnorm_forward(h, gamma, beta, eps, causal=norm == "causal")
    return a @ W_out + b, (a, cache)  # (n, T, 1)


def _check_predict_args(x, params, norm: str) -> None:
    check_array("x", x, 3, "(n, T, D_in)")
    check_nextstep_params(params, x.shape[-1])
    check_choice("norm", norm, NORMS)


def predict_next(x, params, norm: str, eps: float = 1e-5):
    """Whole-sequence predictions of one next-step model (`nnlab.p4_seqnorm.nextstep`).

    Parameters
    ----------
    x : (n, T, D_in) ndarray
    params : list of ndarrays
        ``[W_in (D_in, Hd), gamma (Hd,), beta (Hd,), W_out (Hd, 1), b (1,)]``.
    norm : {"full", "causal", "layer"}
    eps : float
        The normalization's epsilon.

    Returns
    -------
    pred : (n, T, 1) ndarray
        ``norm(x @ W_in) @ W_out + b``; with ``"full"`` every step's
        prediction depends on the whole sequence.
    cache : tuple
        ``(a, norm_cache)``: the normalized hidden features (n, T, Hd) and
        the normalization's cache.

    Raises
    ------
    TypeError
        If x or a parameter is not a floating ndarray, or `norm` not a str.
    ValueError
        If x is not 3-D, empty or not finite, a parameter's shape does not
        fit x (`check_nextstep_params`), `norm` is not one of `NORMS`, or
        eps is not > 0.
    """
    _check_predict_args(x, params, norm)
    return _predict(x, params, norm, eps)


def stream_predict(x, params, norm: str, eps: float = 1e-5):
    """Predictions made step by step: step t runs the model on x[:, :t+1].

    Parameters and errors are those of `predict_next`; returns only the
    predictions, (n, T, 1). With ``"causal"`` or ``"layer"`` they equal
    `predict_next`'s up to rounding; with ``"full"`` they do not.
    """
    _check_predict_args(x, params, norm)
    T = x.shape[1]
    steps = [_predict(x[:, : t + 1], params, norm, eps)[0][:, -1] for t in range(T)]
    return np.stack(steps, axis=1)  # (n, T, 1)
