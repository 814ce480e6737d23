"""What Problem 2's figures read: the widget's runs and decision-region grids, cached.

`nnlab.p2_activations.figures` draws them; a widget slider only re-reads
them, so each is computed once per setting.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from nnlab.mlp import mlp_forward
from nnlab.p2_activations import study
from nnlab.p2_activations.batched import forward_seeds
from nnlab.p2_activations.bn_mlp import train_bn_mlp

EXTENT = 1.3


@lru_cache(maxsize=1)
def widget_spirals():
    """Seed 0's spirals, which the widget's single runs train on."""
    return study.seed_spirals((0,))[0]


def run(activation: str, depth: int, lr: float = study.LR):
    """One `train_bn_mlp` run on `widget_spirals()`, seed 0; cached, do not mutate."""
    # one cache key per setting, however the arguments were spelled
    return _run(activation, int(depth), float(lr))


@lru_cache(maxsize=64)
def _run(activation: str, depth: int, lr: float):
    return train_bn_mlp(
        activation,
        depth,
        width=study.WIDTH,
        steps=study.STEPS,
        lr=lr,
        seed=0,
        data=widget_spirals(),
        momentum=study.MOMENTUM,
    )


def _pixels(n: int = 80):
    half = EXTENT / n  # half a pixel
    ticks = np.linspace(-EXTENT + half, EXTENT - half, n)
    xx, yy = np.meshgrid(ticks, ticks)
    return np.c_[xx.ravel(), yy.ravel()]  # (n*n, 2), rows go up in y


def _p1(scores):
    scores = scores - scores.max(axis=-1, keepdims=True)
    return np.exp(scores[..., 1]) / np.exp(scores).sum(axis=-1)


@lru_cache(maxsize=16)
def study_grid(activation: str, depth: int, seed_index: int, n: int = 80):
    """(n, n) P(class 1) of one seed's trained network on the pixels."""
    h = study.run_study().runs[activation, depth]
    s = slice(seed_index, seed_index + 1)  # keep the seed axis, of length 1
    params = [{k: v[s] for k, v in layer.items()} for layer in h.params]
    running = [(mean[s], var[s]) for mean, var in h.running]
    scores, _, _ = forward_seeds(_pixels(n)[None], params, activation, running)
    return _p1(scores[0]).reshape(n, n)


@lru_cache(maxsize=64)
def run_grid(activation: str, depth: int, lr: float, n: int = 80):
    """(n, n) P(class 1) of the widget's run of one setting on the pixels."""
    h = run(activation, depth, lr)
    scores, _, _ = mlp_forward(_pixels(n), h.params, activation, h.running, False)
    return _p1(scores).reshape(n, n)
