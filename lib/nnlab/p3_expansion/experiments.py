"""The experiments of Problem 3: train narrow, expand, keep training, watch.

A narrow ReLU network (two hidden layers of `NARROW` units) trains `T1`
steps on the spirals; `grow` then widens one hidden layer or inserts a layer
after it with one of the strategies of `nnlab.p3_expansion.grow`, trains `T2` more steps
and records the new parameters at every step. `narrow_continued` and
`scratch_run` are the two baselines: the narrow network trained on, and the
expanded architecture trained from Kaiming initialization for `T1 + T2`
steps. Every run is cached by its settings, so a notebook trains each once
and its figures and widgets reuse it.

Every run takes a `seed`: it draws the spirals (``DATA`` with that seed),
the narrow network's and the from-scratch network's Kaiming initialization
(``default_rng(seed)``) and the new parameters (``default_rng([seed, 1])``,
a stream of its own). Seed 0 is the run the notebook shows in detail;
`nnlab.p3_expansion.study` repeats everything over `SEEDS`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from nnlab.data import Split, spirals
from nnlab.mlp import init_mlp, mlp_forward
from nnlab.p3_expansion.grow import (
    Expansion,
    _new_parameters,
    deepen,
    rescale_units,
    widen,
)
from nnlab.p3_expansion.rounding import CURVE_ULPS as CURVE_ULPS
from nnlab.p3_expansion.rounding import keep_tolerance as keep_tolerance
from nnlab.p3_expansion.rounding import rounding_bound as rounding_bound
from nnlab.p3_expansion.rounding import ulps_apart as ulps_apart
from nnlab.records import freeze_arrays
from nnlab.training import History, fit
from nnlab.validate import check_choice, check_int

DATA = {"n": 300, "noise": 0.04, "turns": 1.5}  # the seed is each run's
NARROW = 8  # units in each of the two hidden layers before the expansion
T1, T2 = 200, 300  # steps before and after the expansion
LR = 0.05
SEED = 0  # the run shown in detail
UNEVEN = 0.3  # relative spread of net2net's split in the "uneven split" runs
ADDED = (8, 24, 56)  # units a widening adds
LAYERS = (0, 1)
KINDS = ("widen", "deepen")
COMPARED_STRATEGIES = (
    "zero",
    "kaiming",
    "small_out",
    "preserve",
    "net2net",
    "net2net_uneven",
)
DEEPEN_STRATEGIES = ("zero", "kaiming", "preserve")  # net2net deepens as preserve
LABELS = {
    "zero": "zero",
    "kaiming": "Kaiming",
    "small_out": "small outgoing",
    "preserve": "preserve",
    "net2net": "net2net",
    "net2net_uneven": "net2net, uneven split",
}


class Grown(NamedTuple):
    """One expansion and the training after it; cached, its arrays read-only."""

    expansion: Expansion
    start: list  # the expanded parameters at the moment of expansion
    output_change: float  # max |scores after - scores before| over all points
    kept: bool  # every score within keep_tolerance: the function is kept
    history: History  # the T2 steps after; watched holds the new parameters'
    # norms ("in", "out"), their gradients' largest entry ("grad") and, for
    # net2net, the largest gap between a copy and its source ("copy_gap")
    sources: np.ndarray  # for each new unit, the old unit it copies (or -1)


def _check_setting(kind: str, layer: int) -> None:
    check_choice("kind", kind, KINDS)
    layer = check_int("layer", layer)
    if layer not in LAYERS:
        raise ValueError(
            f"layer must be a hidden layer index in {LAYERS} of the narrow "
            f"network, got {layer}"
        )


def _check_added(added: int) -> None:
    check_int("added", added, 1)


def _check_seed(seed) -> int:
    return check_int("seed", seed, 0)


def expansion_spirals(seed: int = SEED) -> Split:
    """Return the spirals of this problem, 1.5 turns: ``spirals(**DATA)``, `seed`.

    Cached, its arrays read-only.
    """
    return _spirals(_check_seed(seed))


@lru_cache(maxsize=32)
def _spirals(seed: int) -> Split:
    return freeze_arrays(spirals(**DATA, seed=seed))


def narrow_run(seed: int = SEED) -> History:
    """Train the narrow network for its first `T1` steps, from Kaiming init."""
    return _narrow_run(_check_seed(seed))


@lru_cache(maxsize=32)
def _narrow_run(seed: int) -> History:
    params = init_mlp([2, NARROW, NARROW, 2], np.random.default_rng(seed))
    return fit(params, expansion_spirals(seed), steps=T1, lr=LR)


def narrow_continued(seed: int = SEED) -> History:
    """Train the narrow network `T2` more steps, momentum restarted as for the rest."""
    return _narrow_continued(_check_seed(seed))


@lru_cache(maxsize=32)
def _narrow_continued(seed: int) -> History:
    return fit(narrow_run(seed).params, expansion_spirals(seed), steps=T2, lr=LR)


def expanded_sizes(kind: str, layer: int, added: int) -> list[int]:
    """Layer sizes of the expanded architecture: ``[2, ..., 2]``.

    Parameters
    ----------
    kind : {"widen", "deepen"}
    layer : int
        One of `LAYERS`.
    added : int
        Units a widening adds, >= 1 (ignored when deepening).
    """
    _check_setting(kind, layer)
    if kind == "widen":
        added = check_int("added", added, 1)
        sizes = [2, NARROW, NARROW, 2]
        sizes[layer + 1] += added
        return sizes
    return [2] + [NARROW] * 3 + [2]


def scratch_run(kind: str, layer: int, added: int = 0, seed: int = SEED) -> History:
    """Train the expanded architecture `T1 + T2` steps from Kaiming init.

    Parameters
    ----------
    kind : {"widen", "deepen"}
    layer : int
        The hidden layer widened (0 or 1); a deepened network has the same
        architecture whichever layer goes in.
    added : int
        Units added by a widening, >= 1 (ignored when deepening).
    seed : int
        The data and the initialization (see the module docstring).
    """
    _check_setting(kind, layer)
    if kind == "widen":
        _check_added(added)
    added = int(added) if kind == "widen" else 0
    return _scratch_run(kind, int(layer), added, _check_seed(seed))


@lru_cache(maxsize=128)
def _scratch_run(kind: str, layer: int, added: int, seed: int) -> History:
    params = init_mlp(expanded_sizes(kind, layer, added), np.random.default_rng(seed))
    return fit(params, expansion_spirals(seed), steps=T1 + T2, lr=LR)


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
        # called every step of one fit: the trees are fit's own, shaped like
        # the start that grow checked, so the views skip new_parameters' checks
        new, g = _new_parameters(params, expansion), _new_parameters(grads, expansion)
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


def grow(
    kind: str, strategy: str, layer: int, added: int = 0, seed: int = SEED
) -> Grown:
    """Expand the narrow network after `T1` steps and train it `T2` more.

    Parameters
    ----------
    kind : {"widen", "deepen"}
    strategy : one of COMPARED_STRATEGIES ("net2net_uneven" is net2net
        with an uneven split of spread UNEVEN)
    layer : int
        The hidden layer widened, or the one after which a layer goes in:
        one of LAYERS.
    added : int
        Units added by a widening, >= 1 (ignored when deepening).
    seed : int
        The data, the narrow network and the new parameters (see the module
        docstring).

    Returns
    -------
    Grown
        Cached: equal settings return the same object.
    """
    _check_setting(kind, layer)
    check_choice("strategy", strategy, COMPARED_STRATEGIES)
    if kind == "widen":
        _check_added(added)
    added = int(added) if kind == "widen" else 0
    return _grow(kind, strategy, int(layer), added, _check_seed(seed))


def expanded(before, kind: str, strategy: str, layer: int, added: int, seed: int):
    """Expand the parameters `before` (a narrow network) as `grow` does.

    The new parameters are drawn from ``default_rng([seed, 1])``; a
    setting and a seed give the same new parameters here and in `grow`.

    Parameters
    ----------
    before : list of dict
        A plain ReLU network of hidden width `NARROW`.
    kind : {"widen", "deepen"}
    strategy : str
        One of `COMPARED_STRATEGIES`.
    layer : int
        One of `LAYERS`.
    added : int
        Units a widening adds, >= 1 (ignored when deepening).
    seed : int
        Draws the new parameters.

    Returns
    -------
    list of dict
        New arrays; `before` is not modified.
    """
    _check_setting(kind, layer)
    check_choice("strategy", strategy, COMPARED_STRATEGIES)
    seed = _check_seed(seed)
    if kind == "widen":
        added = check_int("added", added, 1)
    elif strategy not in DEEPEN_STRATEGIES + ("net2net",):
        raise ValueError(
            f"strategy must be one of {DEEPEN_STRATEGIES + ('net2net',)} to deepen, "
            f"got {strategy!r}"
        )
    rng = np.random.default_rng([seed, 1])
    base = "net2net" if strategy == "net2net_uneven" else strategy
    if kind == "widen":
        spread = UNEVEN if strategy == "net2net_uneven" else 0.0
        return widen(before, layer, NARROW + added, base, rng, spread=spread)
    return deepen(before, layer, base, rng)


@lru_cache(maxsize=512)
def _grow(kind: str, strategy: str, layer: int, added: int, seed: int) -> Grown:
    before = narrow_run(seed).params
    start = expanded(before, kind, strategy, layer, added, seed)
    expansion = Expansion(kind, layer, NARROW)
    split = expansion_spirals(seed)
    X = np.vstack([split.X, split.X_test])
    diff = np.abs(mlp_forward(X, start)[0] - mlp_forward(X, before)[0])
    kept = bool((diff <= keep_tolerance(X, before, start)).all())
    sources = _copy_sources(start, expansion)
    hist = fit(start, split, steps=T2, lr=LR, watch=_watch(expansion, sources))
    return freeze_arrays(
        Grown(expansion, start, float(diff.max()), kept, hist, sources)
    )


def net2net_as_narrow(layer: int, added: int = 24, seed: int = SEED) -> History:
    """Train the narrow network that a net2net widening trains as, `T2` steps.

    The narrow network after `T1` steps with unit i of hidden layer `layer`
    rescaled by the square root of its group size (`rescale_units`): the same
    function, trained by plain gradient descent at the per-unit learning
    rates of the widened network. Its loss curve is that of
    ``grow("widen", "net2net", layer, added, seed)`` to rounding.

    Parameters
    ----------
    layer : int
        One of `LAYERS`.
    added : int
        Units the widening adds, >= 1.
    seed : int
        As in `grow`.
    """
    _check_setting("widen", layer)
    _check_added(added)
    return _net2net_as_narrow(int(layer), int(added), _check_seed(seed))


@lru_cache(maxsize=32)
def _net2net_as_narrow(layer: int, added: int, seed: int) -> History:
    sources = grow("widen", "net2net", layer, added, seed).sources
    counts = 1 + np.bincount(sources, minlength=NARROW)  # (NARROW,) group sizes
    start = rescale_units(narrow_run(seed).params, layer, np.sqrt(counts))
    return fit(start, expansion_spirals(seed), steps=T2, lr=LR)
