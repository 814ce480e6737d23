r"""Problem 3 over many seeds, and the statistics that compare strategies.

`nnlab.p3_expansion.experiments` follows one seed in detail. A conclusion about where
training ends (Kaiming against preserve, preserve against the narrow network
or a network trained from scratch) rests on that seed's luck unless it is
repeated: `study` reruns every expansion of `SETTINGS` with every strategy
for each seed of `SEEDS`, each seed drawing its own spirals, its own narrow
network and its own new parameters (the seeding of
`nnlab.p3_expansion.experiments`), and
the functions below compare the runs seed by seed.

A comparison of two strategies is paired: both grow the same narrow network
on the same data, so their difference is taken seed by seed and its mean is
judged against its standard error with Student's t (`compare`).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from nnlab.mlp import init_mlp, mlp_forward
from nnlab.p3_expansion.batched import fit_batch, stack, unstack
from nnlab.p3_expansion.experiments import (
    ADDED,
    COMPARED_STRATEGIES,
    DEEPEN_STRATEGIES,
    LR,
    NARROW,
    T1,
    T2,
    expanded,
    expanded_sizes,
    expansion_spirals,
    keep_tolerance,
    narrow_run,
)
from nnlab.records import freeze_arrays
from nnlab.validate import check_int

SEEDS = tuple(range(8))
SETTINGS = (("widen", 0, 24), ("widen", 1, 24), ("deepen", 0, 0), ("deepen", 1, 0))


class SettingRuns(NamedTuple):
    """One expansion over the seeds: arrays of one value a seed.

    test_acc : name -> (S,) final test accuracy; the names are the
        strategies, "scratch" (the expanded architecture trained T1 + T2
        steps from Kaiming init) and "narrow" (the narrow network trained on).
    jump : strategy -> (S,) training loss right after the expansion minus
        right before it.
    change : strategy -> (S,) largest |change| of the scores over the
        training and test points at the expansion.
    kept : strategy -> (S,) bool, change within `keep_tolerance`.
    final_loss : name -> (S,) training loss at the end, as test_acc.

    `study` returns them cached: every mapping and array is read-only.
    """

    test_acc: Mapping
    jump: Mapping
    change: Mapping
    kept: Mapping
    final_loss: Mapping


def _perturbed(a: np.ndarray, rel: float, rng: np.random.Generator) -> np.ndarray:
    if rel == 0:
        return a
    return a * (1 + rel * rng.choice([-1.0, 1.0], size=a.shape))


def _stacked_data(seeds, rel: float, repeat: int = 1):
    parts = []
    for seed in seeds:
        rng = np.random.default_rng([seed, 2])
        d = expansion_spirals(seed)
        parts.append(
            (_perturbed(d.X, rel, rng), d.y, _perturbed(d.X_test, rel, rng), d.y_test)
        )
    return tuple(
        np.stack([p[k] for p in parts for _ in range(repeat)]) for k in range(4)
    )


def study(perturb: float = 0.0, seeds=SEEDS) -> Mapping:
    """Every expansion of `SETTINGS`, every strategy, over `seeds`.

    Parameters
    ----------
    perturb : float
        0 for the runs the notebook reports. Otherwise every input point and
        every initial weight is multiplied by ``1 +- perturb`` (random
        signs): a perturbation of rounding size, to measure how much the
        training amplifies it and to guard the printed statistics.
    seeds : tuple of int
        At least 2 (the statistics need a spread).

    Returns
    -------
    mapping
        ``(kind, layer, added) -> SettingRuns``. Cached, so read-only, its
        arrays too.
    """
    if isinstance(perturb, bool) or not isinstance(perturb, numbers.Real):
        raise TypeError(f"perturb must be a real number, got {type(perturb).__name__}")
    if not perturb >= 0 or perturb > 1e-6:
        raise ValueError(
            f"perturb must be in [0, 1e-6] (rounding size), got {perturb!r}"
        )
    if isinstance(seeds, str) or not isinstance(seeds, Iterable):
        raise TypeError(f"seeds must be a tuple of ints, got {seeds!r:.60}")
    seeds = tuple(check_int("every seed", s, 0) for s in seeds)
    if len(seeds) < 2 or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must hold at least 2 distinct seeds, got {seeds!r}")
    for s in seeds:
        expansion_spirals(s)  # validates each seed
    return _study(float(perturb), seeds)


def _init(sizes, seed: int, rel: float) -> list[dict]:
    params = init_mlp(sizes, np.random.default_rng(seed))
    rng = np.random.default_rng([seed, 3])
    return [{k: _perturbed(v, rel, rng) for k, v in layer.items()} for layer in params]


@lru_cache(maxsize=8)
def _study(rel: float, seeds: tuple) -> Mapping:
    S = len(seeds)
    Xs = _stacked_data(seeds, rel)
    narrow0 = stack([_init([2, NARROW, NARROW, 2], s, rel) for s in seeds])
    first = fit_batch(narrow0, *Xs, steps=T1, lr=LR)
    cont = fit_batch(first.params, *Xs, steps=T2, lr=LR)
    before = [unstack(first.params, i) for i in range(S)]
    scratch = {}
    for kind, layer, added in SETTINGS:
        sizes = tuple(expanded_sizes(kind, layer, added))
        if sizes not in scratch:
            start = stack([_init(list(sizes), s, rel) for s in seeds])
            scratch[sizes] = fit_batch(start, *Xs, steps=T1 + T2, lr=LR)
    out = {}
    for kind, layer, added in SETTINGS:
        names = COMPARED_STRATEGIES if kind == "widen" else DEEPEN_STRATEGIES
        starts, change, kept = [], [], []
        for i, seed in enumerate(seeds):
            X = np.vstack([Xs[0][i], Xs[2][i]])
            old = mlp_forward(X, before[i])[0]
            for s in names:
                p = expanded(before[i], kind, s, layer, added, seed)
                starts.append(p)
                diff = np.abs(mlp_forward(X, p)[0] - old)
                change.append(diff.max())
                kept.append(bool((diff <= keep_tolerance(X, before[i], p)).all()))
        k = len(names)
        run = fit_batch(stack(starts), *_stacked_data(seeds, rel, k), steps=T2, lr=LR)

        def per_seed(values, j, k=k):
            return np.asarray(values)[j::k]

        fresh = scratch[tuple(expanded_sizes(kind, layer, added))]
        jump = run.loss[:, 0] - np.repeat(cont.loss[:, 0], k)
        proxy = MappingProxyType
        out[(kind, layer, added)] = SettingRuns(
            test_acc=proxy(
                {
                    **{s: per_seed(run.test_acc, j) for j, s in enumerate(names)},
                    "scratch": fresh.test_acc,
                    "narrow": cont.test_acc,
                }
            ),
            jump=proxy({s: per_seed(jump, j) for j, s in enumerate(names)}),
            change=proxy({s: per_seed(change, j) for j, s in enumerate(names)}),
            kept=proxy({s: per_seed(kept, j) for j, s in enumerate(names)}),
            final_loss=proxy(
                {
                    **{s: per_seed(run.final_loss, j) for j, s in enumerate(names)},
                    "scratch": fresh.final_loss,
                    "narrow": cont.final_loss,
                }
            ),
        )
    # cached and shared by every caller: nothing in it may change
    return freeze_arrays(MappingProxyType(out))


def added_sweep(layer: int = 0, added=None, seed: int = 0) -> Mapping:
    """Return the final test accuracy of each widening strategy at each width.

    The runs of ``experiments.grow("widen", strategy, layer, a, seed)``,
    trained side by side (`fit_batch`): one batch a width, so the sweep
    costs a fraction of the single runs.

    Parameters
    ----------
    layer : int
        The hidden layer widened, one of ``experiments.LAYERS``.
    added : tuple of int, optional
        Units added; default ``experiments.ADDED``.
    seed : int

    Returns
    -------
    mapping
        strategy -> (len(added),) final test accuracy; cached, read-only.
    """
    added = ADDED if added is None else added
    if isinstance(added, str) or not isinstance(added, Iterable):
        raise TypeError(f"added must be a tuple of ints, got {added!r:.60}")
    added = tuple(check_int("every added", a, 1) for a in added)
    if not added:
        raise ValueError("added must hold at least one width, got none")
    expanded_sizes("widen", layer, added[0])  # validates layer
    expansion_spirals(seed)  # validates seed
    return _added_sweep(int(layer), added, int(seed))


@lru_cache(maxsize=8)
def _added_sweep(layer: int, added: tuple, seed: int) -> Mapping:
    before = narrow_run(seed).params
    S = len(COMPARED_STRATEGIES)
    acc = {s: [] for s in COMPARED_STRATEGIES}
    for a in added:
        starts = [
            expanded(before, "widen", s, layer, a, seed) for s in COMPARED_STRATEGIES
        ]
        run = fit_batch(stack(starts), *_stacked_data((seed,), 0.0, S), steps=T2, lr=LR)
        for s, value in zip(COMPARED_STRATEGIES, run.test_acc, strict=True):
            acc[s].append(value)
    return freeze_arrays(MappingProxyType({s: np.array(v) for s, v in acc.items()}))
