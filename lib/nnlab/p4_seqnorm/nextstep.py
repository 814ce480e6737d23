"""The next-step predictor of notebook 4, trained on many seeds at once.

The model of `nnlab.p4_seqnorm.predictor`, ``x @ W_in -> norm -> @ W_out + b``,
predicts the next increment of a random walk
(`nnlab.p4_seqnorm.leakage.next_step_data`). No model of the past can beat
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
import numbers
from typing import NamedTuple

import numpy as np

from nnlab.p4_seqnorm.leakage import NORMS
from nnlab.p4_seqnorm.predictor import (
    EPS,
    adam_step,
    backward,
    forward,
    init_nextstep,
    next_step_data_by_seed,
    stream_forward,
)
from nnlab.p4_seqnorm.seqnorm import seqnorm_running_forward
from nnlab.records import freeze_arrays
from nnlab.validate import check_choice, check_int, check_positive


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


def _running_update(running, params, x, eps: float):
    """`seqnorm_running_forward`'s update of every seed's running estimates.

    The S seeds' hidden features sit side by side as S * Hd features of one
    batch, which the kernel treats independently.
    """
    W_in = params[0]
    S, n, T, D_in = x.shape
    Hd = W_in.shape[-1]
    h = (x.reshape(S, n * T, D_in) @ W_in).reshape(S, n, T, Hd)
    h = h.transpose(1, 2, 0, 3).reshape(n, T, S * Hd)
    ones, zeros = np.ones(S * Hd), np.zeros(S * Hd)
    return seqnorm_running_forward(h, ones, zeros, eps, momentum=0.9, running=running)[
        2
    ]


def _running_eval(params, x, running, eps: float):
    """Held-out predictions of the full-norm models with running estimates."""
    W_in, gamma, beta, W_out, b = params
    S, n, T, D_in = x.shape
    Hd = W_in.shape[-1]
    h = (x.reshape(S, n * T, D_in) @ W_in).reshape(S, n, T, Hd)
    h = h.transpose(1, 2, 0, 3).reshape(n, T, S * Hd)
    a = seqnorm_running_forward(
        h, gamma.reshape(-1), beta.reshape(-1), eps, running=running, train=False
    )[0]
    a = a.reshape(n, T, S, Hd).transpose(2, 0, 1, 3).reshape(S, n * T, Hd)
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

    Raises
    ------
    TypeError
        If `norm` is not a str, an int argument not an integer, or lr, eps,
        perturb not a number.
    ValueError
        If `norm` is not one of `NORMS`, an int argument is < 1, lr or eps
        is not > 0, perturb is not finite, or T < 2 with ``"full"``.
    """
    check_choice("norm", norm, NORMS)
    for name, value in (("seeds", seeds), ("T", T), ("steps", steps), ("n", n)):
        check_int(name, value, 1)
    lr, eps = check_positive("lr", lr), check_positive("eps", eps)
    if isinstance(perturb, bool) or not isinstance(perturb, numbers.Real):
        raise TypeError(f"perturb must be a real number, got {perturb!r}")
    if not np.isfinite(perturb):
        raise ValueError(f"perturb must be finite, got {perturb!r}")
    if norm == "full" and T < 2:
        raise ValueError(
            f"T must be >= 2 with norm='full', got T={T}: its running estimates "
            "learned from one step a sequence would have variance 0"
        )
    x, target = next_step_data_by_seed(seeds, n, T)
    params = [p * (1 + perturb) for p in init_nextstep(seeds, x.shape[-1])]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    losses = np.empty((seeds, steps))
    running = None
    for it in range(steps):
        pred, cache = forward(x, params, norm, eps)
        if norm == "full":  # tracked for evaluation, not used in training
            running = _running_update(running, params, x, eps)
        r = pred - target
        losses[:, it] = (r * r).mean(axis=(1, 2, 3))
        grads = backward(2.0 * r / r[0].size, cache)[1]
        params, m, v = adam_step(params, grads, m, v, it, lr * (1 - it / steps))
    x_test, target_test = next_step_data_by_seed(seeds, n, T, held_out=True)
    running_loss = None
    if norm == "full":
        running_loss = _mse(_running_eval(params, x_test, running, eps), target_test)
    # cached and shared by every caller: its arrays must stay as made
    return freeze_arrays(
        SeedRuns(
            norm,
            losses,
            _mse(forward(x, params, norm, eps)[0], target),
            _mse(forward(x_test, params, norm, eps)[0], target_test),
            _mse(stream_forward(x_test, params, norm, eps), target_test),
            (target_test**2).mean(axis=(1, 2, 3)),
            (target**2).mean(axis=(1, 2, 3)),
            running_loss,
        )
    )


class LeakStudy(NamedTuple):
    """The three normalizations trained on the same seeds (paired runs)."""

    full: SeedRuns
    causal: SeedRuns
    layer: SeedRuns


SEEDS = 8


@functools.lru_cache(maxsize=4)
def leak_study(seeds: int = SEEDS, perturb: float = 0.0) -> LeakStudy:
    """`train_seeds` for every normalization, with the notebook's settings.

    Run s of every normalization uses the same data and initial weights, so
    differences between normalizations can be paired by seed.

    Parameters
    ----------
    seeds : int
        S, >= 1.
    perturb : float
        As in `train_seeds`.

    Returns
    -------
    LeakStudy
        Cached, shared by every caller; its arrays are read-only.

    Raises
    ------
    TypeError, ValueError
        As `train_seeds` for `seeds` and `perturb`.
    """
    return LeakStudy(*(train_seeds(norm, seeds, perturb=perturb) for norm in NORMS))
