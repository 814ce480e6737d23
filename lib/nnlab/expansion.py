"""The experiments of Problem 3: train narrow, expand, keep training, watch.

A narrow ReLU network (two hidden layers of `NARROW` units) trains `T1`
steps on the spirals; `grow` then widens one hidden layer or inserts a layer
after it with one of the strategies of `nnlab.init`, trains `T2` more steps
and records the new parameters at every step. `narrow_continued` and
`scratch_run` are the two baselines: the narrow network trained on, and the
expanded architecture trained from Kaiming initialization for `T1 + T2`
steps. Every run is cached by its settings, so a notebook trains each once
and its figures and widgets reuse it.
"""

from __future__ import annotations

import numbers
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from nnlab.data import Split, spirals
from nnlab.init import Expansion, deepen, new_parameters, widen
from nnlab.mlp import History, fit, init_mlp, mlp_forward

DATA = {"n": 300, "noise": 0.04, "seed": 0, "turns": 1.5}
NARROW = 8  # units in each of the two hidden layers before the expansion
T1, T2 = 200, 300  # steps before and after the expansion
LR = 0.05
SEED = 0
NOISE = 0.3  # net2net's split noise in the "net2net + noise" runs
ADDED = (8, 24, 56)  # units a widening adds
LAYERS = (0, 1)
KINDS = ("widen", "deepen")
STRATEGIES = ("zero", "kaiming", "preserve", "net2net", "net2net_noise")
DEEPEN_STRATEGIES = ("zero", "kaiming", "preserve")  # net2net deepens as preserve


class Grown(NamedTuple):
    """One expansion and the training after it."""

    expansion: Expansion
    start: list  # the expanded parameters at the moment of expansion
    output_change: float  # max |scores after - scores before| over all points
    history: History  # the T2 steps after; watched holds the new parameters'
    # norms ("in", "out"), their gradients' largest entry ("grad") and, for
    # net2net, the largest gap between a copy and its source ("copy_gap")
    sources: np.ndarray  # for each new unit, the old unit it copies (or -1)


def _check_setting(kind: str, layer: int) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if isinstance(layer, bool) or not isinstance(layer, numbers.Integral):
        raise ValueError(f"layer must be an integer in {LAYERS}, got {layer!r}")
    if layer not in LAYERS:
        raise ValueError(
            f"layer must be a hidden layer index in {LAYERS} of the narrow "
            f"network, got {layer}"
        )


def _check_added(added: int) -> None:
    if isinstance(added, bool) or not isinstance(added, numbers.Integral) or added < 1:
        raise ValueError(f"added must be an integer >= 1 to widen, got {added!r}")


@lru_cache(maxsize=1)
def data() -> Split:
    """The spirals of this problem: ``spirals(**DATA)``, 1.5 turns."""
    return spirals(**DATA)


@lru_cache(maxsize=1)
def narrow_run() -> History:
    """The narrow network's first `T1` steps, from Kaiming initialization."""
    params = init_mlp([2, NARROW, NARROW, 2], np.random.default_rng(SEED))
    return fit(params, data(), steps=T1, lr=LR)


@lru_cache(maxsize=1)
def narrow_continued() -> History:
    """The narrow network's next `T2` steps, momentum restarted as for the rest."""
    return fit(narrow_run().params, data(), steps=T2, lr=LR)


def _sizes(kind: str, layer: int, added: int):
    if kind == "widen":
        sizes = [2, NARROW, NARROW, 2]
        sizes[layer + 1] += added
        return sizes
    return [2] + [NARROW] * 3 + [2]


def scratch_run(kind: str, layer: int, added: int = 0) -> History:
    """The expanded architecture trained `T1 + T2` steps from Kaiming init.

    Parameters
    ----------
    kind : {"widen", "deepen"}
    layer : int
        The hidden layer widened (0 or 1); a deepened network has the same
        architecture whichever layer goes in.
    added : int
        Units added by a widening, >= 1 (ignored when deepening).
    """
    _check_setting(kind, layer)
    if kind == "widen":
        _check_added(added)
    return _scratch_run(kind, int(layer), int(added) if kind == "widen" else 0)


@lru_cache(maxsize=16)
def _scratch_run(kind: str, layer: int, added: int) -> History:
    params = init_mlp(_sizes(kind, layer, added), np.random.default_rng(SEED))
    return fit(params, data(), steps=T1 + T2, lr=LR)


def _copy_sources(params, expansion: Expansion) -> np.ndarray:
    """For each new unit, the old unit with identical incoming weights, or -1."""
    kind, layer, old = expansion
    if kind != "widen":
        return np.zeros(0, dtype=int)
    W, b = params[layer]["W"], params[layer]["b"]
    same = (W[:, old:, None] == W[:, None, :old]).all(axis=0)  # (k, old)
    same &= b[old:, None] == b[None, :old]
    return np.where(same.any(axis=1), same.argmax(axis=1), -1)


def _watch(expansion: Expansion, sources: np.ndarray):
    _, layer, old = expansion
    copied = np.flatnonzero(sources >= 0)

    def watch(params, grads):
        new, g = new_parameters(params, expansion), new_parameters(grads, expansion)
        incoming = "W_in" if "W_in" in new else "W"
        values = {
            "in": np.linalg.norm(new[incoming]),
            "out": np.linalg.norm(new["W_out"]) if "W_out" in new else np.nan,
            "grad": max(np.abs(a).max() for a in g.values()),
        }
        if copied.size:
            W = params[layer]["W"]
            values["copy_gap"] = np.abs(
                W[:, old + copied] - W[:, sources[copied]]
            ).max()
        return values

    return watch


def grow(kind: str, strategy: str, layer: int, added: int = 0) -> Grown:
    """The narrow network after `T1` steps, expanded, trained `T2` more.

    Parameters
    ----------
    kind : {"widen", "deepen"}
    strategy : one of STRATEGIES ("net2net_noise" is net2net with NOISE)
    layer : int
        The hidden layer widened, or the one after which a layer goes in:
        one of LAYERS.
    added : int
        Units added by a widening, >= 1 (ignored when deepening).

    Returns
    -------
    Grown
        Cached: equal settings return the same object.
    """
    _check_setting(kind, layer)
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {STRATEGIES}")
    if kind == "widen":
        _check_added(added)
    return _grow(kind, strategy, int(layer), int(added) if kind == "widen" else 0)


@lru_cache(maxsize=64)
def _grow(kind: str, strategy: str, layer: int, added: int) -> Grown:
    before = narrow_run().params
    rng = np.random.default_rng(SEED + 1)
    base = "net2net" if strategy == "net2net_noise" else strategy
    if kind == "widen":
        noise = NOISE if strategy == "net2net_noise" else 0.0
        start = widen(before, layer, NARROW + added, base, rng, noise=noise)
    else:
        start = deepen(before, layer, base, rng)
    expansion = Expansion(kind, layer, NARROW)
    X = np.vstack([data().X, data().X_test])
    change = np.abs(mlp_forward(start, X)[0] - mlp_forward(before, X)[0]).max()
    sources = _copy_sources(start, expansion)
    hist = fit(start, data(), steps=T2, lr=LR, watch=_watch(expansion, sources))
    return Grown(expansion, start, float(change), hist, sources)
